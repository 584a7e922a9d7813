//! Native entry points: the `main` of a standalone executable, and of the spec-test
//! harness executable that links several compiled modules.

use crate::codegen::new_object_module;
use crate::error::Error;
use crate::Options;
use cranelift_codegen::ir::{
    types, AbiParam, ExternalName, Function, GlobalValueData, InstBuilder, Signature,
    UserExternalName,
};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, DataId, Linkage, Module};
use cranelift_object::ObjectModule;
use kiln_runtime::abi;

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
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let mut args = b.block_params(entry).to_vec();
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
