//! Ways into compiled code: the per-type trampolines the runtime calls wasm through,
//! the `main` of a standalone executable, and that of the spec-test harness executable
//! that links several compiled modules.

use crate::codegen::new_object_module;
use crate::error::Error;
use crate::index::TypeIndex;
use crate::translate::{self, enter_function};
use crate::Options;
use cranelift_codegen::ir::{
    types, AbiParam, ExternalName, Function, GlobalValueData, InstBuilder, MemFlagsData, Signature,
    UserExternalName,
};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use cranelift_object::ObjectModule;
use kiln_abi as abi;

fn internal(e: cranelift_module::ModuleError) -> Error {
    Error::new(format!("internal error in the entry point: {e}"))
}

/// An argument `main` passes on after `argc` and `argv`.
pub enum MainArg {
    /// The address of a data object.
    Data(DataId),
    Const(i64),
}

/// Defines C `main(argc, argv)` as `return runner(argc, argv, extra...)`.
pub fn define_main(
    module: &mut ObjectModule,
    runner: &str,
    extra: &[MainArg],
) -> Result<(), Error> {
    let call_conv = module.isa().default_call_conv();
    let frontend_config = module.isa().frontend_config();
    let mut main_sig = Signature::new(call_conv);
    main_sig.params.push(AbiParam::new(types::I32));
    main_sig.params.push(AbiParam::new(types::I64));
    main_sig.returns.push(AbiParam::new(types::I32));
    let main_id = module
        .declare_function(abi::ENTRY_SYMBOL, Linkage::Export, &main_sig)
        .map_err(internal)?;
    let mut runner_sig = main_sig.clone();
    runner_sig
        .params
        .extend(extra.iter().map(|_| AbiParam::new(types::I64)));
    let runner_id = module
        .declare_function(runner, Linkage::Import, &runner_sig)
        .map_err(internal)?;

    let mut func = Function::with_name_signature(Default::default(), main_sig);
    let runner = module.declare_func_in_func(runner_id, &mut func);
    let mut data_refs = Vec::new();
    for arg in extra {
        if let MainArg::Data(data) = arg {
            // Referenced as not colocated: aarch64 COFF objects cannot express the
            // PC-relative page relocations a colocated reference would use.
            let name = func.declare_imported_user_function(UserExternalName::new(1, data.as_u32()));
            data_refs.push(func.create_global_value(GlobalValueData::Symbol {
                name: ExternalName::user(name),
                offset: 0.into(),
                colocated: false,
                tls: false,
            }));
        }
    }
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut builder_ctx);
    let mut args = enter_function(&mut b);
    let mut data_refs = data_refs.into_iter();
    for arg in extra {
        args.push(match arg {
            MainArg::Data(_) => b.ins().symbol_value(types::I64, data_refs.next().unwrap()),
            MainArg::Const(c) => b.ins().iconst(types::I64, *c),
        });
    }
    let call = b.ins().call(runner, &args);
    let status = b.inst_results(call)[0];
    b.ins().return_(&[status]);
    b.finalize(frontend_config);
    let mut context = Context::for_function(func);
    module
        .define_function(main_id, &mut context)
        .map_err(internal)
}

/// The runtime's spec-test harness: `fn(argc, argv, modules, count) -> i32`.
pub const HARNESS_SYMBOL: &str = "kiln_spec_main";

/// An object whose `main` runs the spec-test harness over the modules whose descriptor
/// symbols are given (compiled with `entry: false`), in that order.
pub fn harness_object(options: &Options, descriptors: &[String]) -> Result<Vec<u8>, Error> {
    let mut module = new_object_module(options)?;
    let table = module
        .declare_data("kiln_spec_modules", Linkage::Local, false, false)
        .map_err(internal)?;
    let mut data = DataDescription::new();
    data.define(vec![0u8; descriptors.len().max(1) * 8].into_boxed_slice());
    data.set_align(8);
    for (i, symbol) in descriptors.iter().enumerate() {
        let id = module
            .declare_data(symbol, Linkage::Import, false, false)
            .map_err(internal)?;
        let gv = module.declare_data_in_data(id, &mut data);
        data.write_data_addr(i as u32 * 8, gv, 0);
    }
    module.define_data(table, &data).map_err(internal)?;
    let count = MainArg::Const(descriptors.len() as i64);
    define_main(&mut module, HARNESS_SYMBOL, &[MainArg::Data(table), count])?;
    module
        .finish()
        .emit()
        .map_err(|e| Error::new(format!("cannot write the harness object: {e}")))
}

/// A trampoline for function type `index`: `(fn_ptr, vmctx, values)` loads the
/// arguments from `values`, calls, and stores the results back (see `abi::Trampoline`).
pub fn define_trampoline(
    module: &mut ObjectModule,
    index: TypeIndex,
    ty: &wasmparser::FuncType,
) -> Result<FuncId, Error> {
    let call_conv = module.isa().default_call_conv();
    let frontend_config = module.isa().frontend_config();
    let ptr = types::I64;
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(ptr); 3]);
    let id = module
        .declare_function(&format!("kiln_trampoline_{index}"), Linkage::Local, &sig)
        .map_err(internal)?;
    let mut func = Function::with_name_signature(Default::default(), sig);
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut builder_ctx);
    let [callee, vmctx, values] = enter_function(&mut b).try_into().unwrap();
    let flags = MemFlagsData::trusted();
    let mut args = vec![vmctx];
    for (i, param) in ty.params().iter().enumerate() {
        let offset = i as i32 * abi::VMGLOBAL_SIZE as i32;
        args.push(
            b.ins()
                .load(translate::clif_type(*param), flags, values, offset),
        );
    }
    let callee_sig = b.import_signature(translate::wasm_signature(ty));
    let call = b.ins().call_indirect(callee_sig, callee, &args);
    let results = b.inst_results(call).to_vec();
    for (i, result) in results.into_iter().enumerate() {
        let offset = i as i32 * abi::VMGLOBAL_SIZE as i32;
        b.ins().store(flags, result, values, offset);
    }
    b.ins().return_(&[]);
    b.finalize(frontend_config);
    let mut context = Context::for_function(func);
    module
        .define_function(id, &mut context)
        .map_err(|e| Error::new(format!("internal error in trampoline {index}: {e:?}")))?;
    Ok(id)
}

/// The host adapter for function type `index`: a wasm-convention function whose `vmctx`
/// is a `VMHostFunc`, calling its C function with the real vmctx and the same arguments
/// (see `abi::FuncTypeDesc::host_adapter`).
pub fn define_host_adapter(
    module: &mut ObjectModule,
    index: TypeIndex,
    ty: &wasmparser::FuncType,
) -> Result<FuncId, Error> {
    let call_conv = module.isa().default_call_conv();
    let frontend_config = module.isa().frontend_config();
    // Exactly the signature wasm callers use; only the vmctx means a `VMHostFunc` here.
    let sig = translate::wasm_signature(ty);
    let id = module
        .declare_function(&format!("kiln_host_adapter_{index}"), Linkage::Local, &sig)
        .map_err(internal)?;
    let mut host_sig = translate::wasm_signature(ty);
    host_sig.call_conv = call_conv;
    host_sig.params[0] = AbiParam::new(types::I64);
    let mut func = Function::with_name_signature(Default::default(), sig);
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut builder_ctx);
    let mut args = enter_function(&mut b);
    let flags = MemFlagsData::trusted();
    let host = args[0];
    let host_fn = b
        .ins()
        .load(types::I64, flags, host, abi::VMHOSTFUNC_HOST_FN as i32);
    args[0] = b
        .ins()
        .load(types::I64, flags, host, abi::VMHOSTFUNC_VMCTX as i32);
    let host_sig = b.import_signature(host_sig);
    let call = b.ins().call_indirect(host_sig, host_fn, &args);
    let results = b.inst_results(call).to_vec();
    b.ins().return_(&results);
    b.finalize(frontend_config);
    let mut context = Context::for_function(func);
    module
        .define_function(id, &mut context)
        .map_err(|e| Error::new(format!("internal error in host adapter {index}: {e:?}")))?;
    Ok(id)
}
