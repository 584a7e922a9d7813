//! From a module environment to one native object: ISA set-up, parallel translation
//! and compilation of the functions, trampolines, the descriptor and the entry point.

use crate::builtins::{self, Builtin};
use crate::descriptor::{self, CompiledFunction};
use crate::entry::{self, MainArg};
use crate::environ::ModuleEnv;
use crate::error::Error;
use crate::index::{DefinedFuncIndex, TypeIndex};
use crate::manifest;
use crate::translate::{self, ModuleContext};
use crate::{traps, Cpu, Emit, OptLevel, Options};
use cranelift_codegen::entity::{EntityRef, PrimaryMap};
use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{control::ControlPlane, Context, FinalizedMachExceptionHandler};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module, ModuleReloc};
use cranelift_object::{ObjectBuilder, ObjectModule};
use kiln_abi::exception::HandlerSite;
use kiln_abi::{self as abi, TrapSite, VMContextLayout, VMCounts};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use target_lexicon::{Architecture, Triple};

/// What compiling a module produced.
pub struct Output {
    /// The object file bytes (empty for a listing).
    pub object: Vec<u8>,
    /// The text of every function, for a listing kind ([`Emit::is_listing`]).
    pub listing: String,
}

pub fn build_isa(options: &Options) -> Result<OwnedTargetIsa, Error> {
    let mut flags = settings::builder();
    let opt = match options.opt_level {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
        OptLevel::SpeedAndSize => "speed_and_size",
    };
    set(&mut flags, "opt_level", opt)?;
    // ELF and Mach-O executables are position independent (through the GOT); COFF has
    // no GOT and relocates absolute addresses instead.
    let coff = options.target.binary_format() == target_lexicon::BinaryFormat::Coff;
    set(&mut flags, "is_pic", if coff { "false" } else { "true" })?;
    // Wasm functions may return several values.
    set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
    // Cranelift's x86-64 tail calls rely on frame pointers (every x86-64 frame has one
    // anyway); on aarch64 they also let debuggers and profilers walk wasm frames.
    set(&mut flags, "preserve_frame_pointers", "true")?;
    set(
        &mut flags,
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    let triple = options.target.triple.clone();
    let mut isa = isa::lookup(triple.clone()).map_err(|e| {
        Error::new(format!(
            "target `{triple}` is not supported by this build: {e}"
        ))
    })?;
    if options.cpu == Cpu::Native {
        if triple.architecture != Triple::host().architecture {
            return Err(Error::new(format!(
                "--cpu native describes this machine's {} CPU, not one of `{triple}`",
                Triple::host().architecture
            )));
        }
        cranelift_native::infer_native_flags(&mut isa)
            .map_err(|e| Error::new(format!("cannot detect this machine's CPU features: {e}")))?;
    } else if triple.architecture == Architecture::X86_64 {
        // x86-64-v2 (every x86-64 CPU since 2009): SSE4.1 gives single-instruction
        // float rounding for ceil/floor/trunc/nearest, POPCNT gives popcnt.
        for feature in [
            "has_sse3",
            "has_ssse3",
            "has_sse41",
            "has_sse42",
            "has_popcnt",
        ] {
            set(&mut isa, feature, "true")?;
        }
    }
    isa.finish(settings::Flags::new(flags)).map_err(|e| {
        Error::new(format!(
            "cannot configure code generation for `{triple}`: {e}"
        ))
    })
}

fn set(flags: &mut impl Configurable, name: &str, value: &str) -> Result<(), Error> {
    flags
        .set(name, value)
        .map_err(|e| Error::new(format!("internal error: Cranelift flag {name}: {e}")))
}

pub fn new_object_module(options: &Options) -> Result<ObjectModule, Error> {
    object_module(build_isa(options)?)
}

fn object_module(isa: OwnedTargetIsa) -> Result<ObjectModule, Error> {
    let builder = ObjectBuilder::new(isa, "kiln-module", default_libcall_names())
        .map_err(|e| Error::new(format!("cannot create the object: {e}")))?;
    Ok(ObjectModule::new(builder))
}

pub fn compile_module(env: &ModuleEnv<'_>, options: &Options) -> Result<Output, Error> {
    let isa = build_isa(options)?;
    let mut module = object_module(isa.clone())?;
    let call_conv = isa.default_call_conv();
    let module_err = |e: cranelift_module::ModuleError| Error::new(format!("internal error: {e}"));

    let mut func_ids = PrimaryMap::with_capacity(env.bodies.len());
    for def_index in env.bodies.keys() {
        let func_index = env.func_index(def_index);
        let sig = translate::wasm_signature(env.func_type(func_index));
        let name = crate::symbols::function_symbol(func_index, env.func_name(func_index));
        func_ids.push(
            module
                .declare_function(&name, Linkage::Local, &sig)
                .map_err(module_err)?,
        );
    }
    let builtin_ids = Builtin::ALL
        .iter()
        .map(|b| {
            module
                .declare_function(
                    b.symbol(),
                    Linkage::Import,
                    &builtins::signature(*b, call_conv),
                )
                .map_err(module_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let layout = VMContextLayout::new(VMCounts {
        functions: env.func_types.len() as u32,
        types: env.types.len() as u32,
        tables: env.tables.len() as u32,
        memories: env.memories.len() as u32,
        globals: env.globals.len() as u32,
        tags: env.tags.len() as u32,
    });
    let ctx = ModuleContext {
        env,
        layout,
        call_conv,
        frontend_config: isa.frontend_config(),
        bounds_checks: options.bounds_checks,
        interruptible: options.limits.max_time_ms.is_some(),
        func_ids,
        builtin_ids,
        #[cfg(feature = "fault-injection")]
        swap_i32_sub_operands: options.swap_i32_sub_operands,
    };

    // The manifest's feature list costs a validation per proposal (about a sixth of the
    // code generation's time): it runs beside code generation.
    let (compiled, features) = std::thread::scope(|scope| {
        let features = options
            .entry
            .then(|| scope.spawn(|| crate::environ::features_used(env.wasm)));
        let compiled = compile_functions(&ctx, &*isa, options.emit);
        let features = features.map(|f| f.join().expect("listing features panicked"));
        (compiled, features.unwrap_or_default())
    });
    let compiled = compiled?;
    if options.emit.is_listing() {
        let listing = compiled.into_iter().map(|f| f.listing).collect();
        return Ok(Output {
            object: Vec::new(),
            listing,
        });
    }
    for f in &compiled {
        module
            .define_function_bytes(f.id, f.alignment, &f.code, &f.relocs)
            .map_err(module_err)?;
    }

    let mut trampolines = PrimaryMap::with_capacity(env.types.len());
    for (index, ty) in &env.types {
        trampolines.push(entry::define_trampoline(&mut module, index, ty)?);
    }
    // Only a function import can be a host function.
    let mut host_adapters: PrimaryMap<TypeIndex, Option<FuncId>> =
        env.types.keys().map(|_| None).collect();
    for &type_index in env.imported_func_types() {
        let slot = &mut host_adapters[type_index];
        if slot.is_none() {
            let ty = &env.types[type_index];
            *slot = Some(entry::define_host_adapter(&mut module, type_index, ty)?);
        }
    }
    let functions: PrimaryMap<DefinedFuncIndex, CompiledFunction> = compiled
        .into_iter()
        .map(|f| CompiledFunction {
            id: f.id,
            len: f.code.len() as u32,
            traps: f.traps,
            handlers: f.handlers,
        })
        .collect();
    let desc = descriptor::define(
        &mut module,
        env,
        options,
        &functions,
        &trampolines,
        &host_adapters,
    )?;
    if options.entry {
        let text = manifest::render(env, &features, options);
        let id = module
            .declare_data(abi::manifest::SYMBOL, Linkage::Export, false, false)
            .map_err(module_err)?;
        let mut data = cranelift_module::DataDescription::new();
        data.define(text.clone().into_bytes().into_boxed_slice());
        module.define_data(id, &data).map_err(module_err)?;
        let args = [
            MainArg::Data(desc),
            MainArg::Data(id),
            MainArg::Const(text.len() as i64),
        ];
        entry::define_main(&mut module, abi::RUN_MAIN_SYMBOL, &args)?;
    }
    let object = module
        .finish()
        .emit()
        .map_err(|e| Error::new(format!("cannot write the object: {e}")))?;
    Ok(Output {
        object,
        listing: String::new(),
    })
}

struct FunctionCode {
    id: FuncId,
    alignment: u64,
    code: Vec<u8>,
    relocs: Vec<ModuleReloc>,
    traps: Vec<TrapSite>,
    handlers: Vec<HandlerSite>,
    /// The function's text, for a listing kind.
    listing: String,
}

/// Translates and compiles every defined function on all cores; results come back in
/// function order so the object is deterministic.
fn compile_functions(
    ctx: &ModuleContext<'_>,
    isa: &dyn isa::TargetIsa,
    emit: Emit,
) -> Result<Vec<FunctionCode>, Error> {
    let count = ctx.env.bodies.len();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<FunctionCode, Error>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut context = Context::new();
                let mut builder_ctx = FunctionBuilderContext::new();
                loop {
                    let position = next.fetch_add(1, Ordering::Relaxed);
                    if position >= count {
                        break;
                    }
                    let def_index = DefinedFuncIndex::new(position);
                    let result =
                        compile_one(ctx, isa, def_index, &mut context, &mut builder_ctx, emit);
                    let failed = result.is_err();
                    results.lock().unwrap()[position] = Some(result);
                    if failed {
                        // Stop handing out work; the first error is reported.
                        next.store(count, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut out = Vec::with_capacity(count);
    for result in results {
        match result {
            Some(Ok(f)) => out.push(f),
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    Ok(out)
}

fn compile_one(
    ctx: &ModuleContext<'_>,
    isa: &dyn isa::TargetIsa,
    def_index: DefinedFuncIndex,
    context: &mut Context,
    builder_ctx: &mut FunctionBuilderContext,
    emit: Emit,
) -> Result<FunctionCode, Error> {
    context.clear();
    let env = ctx.env;
    let func_index = env.func_index(def_index);
    let describe = || match env.func_name(func_index) {
        Some(name) => format!("function {func_index} `{name}`"),
        None => format!("function {func_index}"),
    };
    translate::translate_function(ctx, def_index, &mut context.func, builder_ctx)
        .map_err(|e| Error::new(format!("{} (in {})", e.message(), describe())))?;
    if emit == Emit::Clif {
        let listing = format!("; wasm {}\n{}\n", describe(), context.func.display());
        return Ok(FunctionCode {
            id: ctx.func_ids[def_index],
            alignment: 1,
            code: Vec::new(),
            relocs: Vec::new(),
            traps: Vec::new(),
            handlers: Vec::new(),
            listing,
        });
    }
    context.set_disasm(emit == Emit::Asm);
    context
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| {
            Error::new(format!(
                "internal compiler error in {}: {:?}",
                describe(),
                e.inner
            ))
        })?;
    let compiled = context.compiled_code().expect("just compiled");
    let id = ctx.func_ids[def_index];
    // The ISA's preferred alignment (32 bytes on x86-64 and aarch64), not just what the
    // code needs: with byte-aligned functions a hot loop's placement against fetch and
    // branch-predictor boundaries varied from build to build (sort_ints: 30% apart).
    let alignment = u64::from(
        compiled
            .buffer
            .alignment
            .max(isa.function_alignment().preferred),
    );
    let code = compiled.buffer.data().to_vec();
    let mut trap_sites = Vec::with_capacity(compiled.buffer.traps().len());
    for trap in compiled.buffer.traps() {
        let kind = traps::trap_kind(trap.code).ok_or_else(|| {
            Error::new(format!(
                "internal compiler error in {}: unexpected trap code {}",
                describe(),
                trap.code
            ))
        })?;
        trap_sites.push(TrapSite {
            offset: trap.offset,
            kind: kind as u32,
            wasm_offset: wasm_offset_at(&compiled.buffer, trap.offset),
        });
    }
    trap_sites.sort_by_key(|t| t.offset);
    let handlers = handler_sites(&compiled.buffer)
        .map_err(|e| Error::new(format!("internal compiler error in {}: {e}", describe())))?;
    let relocs = compiled
        .buffer
        .relocs()
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &context.func, id))
        .collect();
    Ok(FunctionCode {
        id,
        alignment,
        code,
        relocs,
        traps: trap_sites,
        handlers,
        listing: match emit {
            Emit::ClifOptimized => {
                format!(
                    "; wasm {} (optimised)\n{}\n",
                    describe(),
                    context.func.display()
                )
            }
            Emit::Asm => asm_listing(&describe(), compiled),
            _ => String::new(),
        },
    })
}

/// The calls with an exception handler (`try_call`s, whose only handler is a catch-all
/// edge to the enclosing construct's dispatch code; see `kiln_abi::exception`).
fn handler_sites(
    buffer: &cranelift_codegen::MachBufferFinalized<cranelift_codegen::Final>,
) -> Result<Vec<HandlerSite>, String> {
    let mut sites = Vec::new();
    for call in buffer.call_sites() {
        for handler in call.exception_handlers {
            let FinalizedMachExceptionHandler::Default(handler_offset) = *handler else {
                return Err(format!("unexpected exception handler {handler:?}"));
            };
            let sp_below_fp = call
                .frame_offset
                .ok_or("a call with a handler has no frame offset")?;
            sites.push(HandlerSite {
                return_offset: call.ret_addr,
                handler_offset,
                sp_below_fp,
            });
        }
    }
    sites.sort_by_key(|s| s.return_offset);
    Ok(sites)
}

/// The wasm byte offset of the instruction whose machine code covers `code_offset`, or
/// `abi::NO_INDEX` (code with no wasm instruction, such as the prologue).
fn wasm_offset_at(
    buffer: &cranelift_codegen::MachBufferFinalized<cranelift_codegen::Final>,
    code_offset: u32,
) -> u32 {
    let srclocs = buffer.get_srclocs_sorted();
    let after = srclocs.partition_point(|s| s.start <= code_offset);
    after
        .checked_sub(1)
        .map(|i| &srclocs[i])
        .filter(|s| code_offset < s.end && !s.loc.is_default())
        .map_or(abi::NO_INDEX, |s| s.loc.bits())
}

/// `--emit asm` for one function: Cranelift's disassembly, then which code offsets each
/// wasm instruction became.
fn asm_listing(describe: &str, compiled: &cranelift_codegen::CompiledCode) -> String {
    let mut text = format!(
        "; wasm {describe}: {} bytes of machine code\n",
        compiled.buffer.data().len()
    );
    text.push_str(compiled.vcode.as_deref().unwrap_or("; (no disassembly)\n"));
    text.push_str("; wasm offset -> code offsets\n");
    for s in compiled.buffer.get_srclocs_sorted() {
        if !s.loc.is_default() {
            text.push_str(&format!(
                ";   {:#x} -> {:#x}..{:#x}\n",
                s.loc.bits(),
                s.start,
                s.end
            ));
        }
    }
    text.push('\n');
    text
}
