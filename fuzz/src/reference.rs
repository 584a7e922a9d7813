//! The reference: wasmi, a WebAssembly interpreter written independently of Cranelift and
//! of Kiln, runs the same module and calls, and produces the same kind of [`Trace`].

use crate::generate::ParamType;
use crate::trace::{Call, Outcome, State, Trace};
use kiln_abi::{hex, Fnv1a, TrapKind};
use wasmi::TrapCode;
use wasmi::{Config, Engine, Extern, Instance, Linker, Module, Store, Val, ValType};

pub struct Reference {
    engine: Engine,
}

/// A module the reference has loaded, with its exported functions' parameter types.
pub struct Loaded {
    module: Module,
    pub exports: Vec<(String, Vec<ParamType>)>,
    /// Names of the exported globals.
    pub globals: Vec<String>,
}

impl Default for Reference {
    fn default() -> Self {
        let mut config = Config::default();
        config
            .wasm_simd(true)
            .wasm_relaxed_simd(false)
            .wasm_multi_memory(true)
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_memory64(true)
            .wasm_custom_page_sizes(false)
            .wasm_wide_arithmetic(false)
            // Deeper than the generated fuel allows, so only Kiln's stack limit can be hit.
            .set_max_recursion_depth(100_000);
        Reference {
            engine: Engine::new(&config),
        }
    }
}

impl Reference {
    /// Loads a module; `Err` if the reference rejects it.
    pub fn load(&self, wasm: &[u8]) -> Result<Loaded, String> {
        let module = Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        let mut exports = Vec::new();
        let mut globals = Vec::new();
        for export in module.exports() {
            match export.ty() {
                wasmi::ExternType::Func(ty) => {
                    let params = ty.params().iter().map(|t| param_type(*t)).collect();
                    exports.push((export.name().to_string(), params));
                }
                wasmi::ExternType::Global(_) => globals.push(export.name().to_string()),
                _ => {}
            }
        }
        Ok(Loaded {
            module,
            exports,
            globals,
        })
    }

    /// Instantiates the module and makes the calls; `Err` when the reference failed in a
    /// way that is not a wasm trap (then there is nothing to compare).
    pub fn run(&self, loaded: &Loaded, calls: &[Call]) -> Result<Trace, String> {
        let mut store = Store::new(&self.engine, ());
        let linker = Linker::<()>::new(&self.engine);
        let mut trace = Trace::default();
        let instance = match linker.instantiate_and_start(&mut store, &loaded.module) {
            Ok(instance) => instance,
            Err(e) => {
                trace.instantiation = Some(Err(trap_kind(&e)?));
                return Ok(trace);
            }
        };
        trace.instantiation = Some(Ok(state(&store, &instance)));
        for call in calls {
            let func = instance
                .get_func(&store, &call.export)
                .ok_or_else(|| format!("no function export {}", call.export))?;
            let ty = func.ty(&store);
            let args: Vec<Val> = call
                .args
                .iter()
                .map(|a| value(a))
                .collect::<Result<_, _>>()?;
            let mut results: Vec<Val> = ty
                .results()
                .iter()
                .map(|t| Val::default_for_ty(*t))
                .collect();
            let outcome = match func.call(&mut store, &args, &mut results) {
                Ok(()) => Outcome::Returned(results.iter().map(protocol).collect()),
                Err(e) => Outcome::Trapped(trap_kind(&e)?),
            };
            let stop = outcome == Outcome::Trapped(TrapKind::StackOverflow);
            trace.calls.push((outcome, state(&store, &instance)));
            if stop {
                break;
            }
        }
        Ok(trace)
    }
}

fn param_type(t: ValType) -> ParamType {
    match t {
        ValType::I32 => ParamType::I32,
        ValType::I64 => ParamType::I64,
        ValType::F32 => ParamType::F32,
        ValType::F64 => ParamType::F64,
        ValType::V128 => ParamType::V128,
        ValType::FuncRef => ParamType::FuncRef,
        ValType::ExternRef => ParamType::ExternRef,
    }
}

/// Kiln's trap kind for a reference error; `Err` for errors that are not traps.
fn trap_kind(e: &wasmi::Error) -> Result<TrapKind, String> {
    let code = e
        .as_trap_code()
        .ok_or_else(|| format!("reference error: {e}"))?;
    Ok(match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::IndirectCallToNull,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        TrapCode::StackOverflow => TrapKind::StackOverflow,
        TrapCode::BadSignature => TrapKind::IndirectCallTypeMismatch,
        other => {
            return Err(format!(
                "reference trap with no Kiln counterpart: {other:?}"
            ))
        }
    })
}

/// An argument from its protocol form.
fn value(text: &str) -> Result<Val, String> {
    let bad = || format!("bad argument {text}");
    let (kind, bits) = text.split_once(':').ok_or_else(bad)?;
    Ok(match kind {
        "i32" => Val::I32(u32::from_str_radix(bits, 16).map_err(|_| bad())? as i32),
        "i64" => Val::I64(u64::from_str_radix(bits, 16).map_err(|_| bad())? as i64),
        "f32" => Val::F32(wasmi::F32::from_bits(
            u32::from_str_radix(bits, 16).map_err(|_| bad())?,
        )),
        "f64" => Val::F64(wasmi::F64::from_bits(
            u64::from_str_radix(bits, 16).map_err(|_| bad())?,
        )),
        "v128" => Val::V128(u128::from_str_radix(bits, 16).map_err(|_| bad())?.into()),
        "funcref" => Val::default_for_ty(ValType::FuncRef),
        "externref" => Val::default_for_ty(ValType::ExternRef),
        _ => return Err(bad()),
    })
}

/// A result in protocol form (see `runtime-support/src/harness.rs`).
fn protocol(v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32:{:x}", *x as u32),
        Val::I64(x) => format!("i64:{:x}", *x as u64),
        Val::F32(x) => format!("f32:{:x}", x.to_bits()),
        Val::F64(x) => format!("f64:{:x}", x.to_bits()),
        Val::V128(x) => format!("v128:{:032x}", x.as_u128()),
        Val::FuncRef(r) if r.is_null() => "funcref:null".into(),
        Val::FuncRef(_) => "funcref:ref".into(),
        Val::ExternRef(r) if r.is_null() => "externref:null".into(),
        Val::ExternRef(_) => "externref:?".into(),
    }
}

/// The digests Kiln's harness computes for `state` (same byte streams, see
/// `export_digest` in `runtime-support/src/harness.rs`), sorted.
fn state(store: &Store<()>, instance: &Instance) -> State {
    let mut state = Vec::new();
    for export in instance.exports(store) {
        let name = export.name().to_string();
        let mut digest = Fnv1a::default();
        match export.into_extern() {
            Extern::Func(_) => continue,
            Extern::Memory(m) => digest.write(m.data(store)),
            Extern::Table(t) => {
                let size = t.size(store);
                digest.write(&(size as u32).to_le_bytes());
                for i in 0..size {
                    let null = t.get(store, i).is_none_or(|r| r.is_null());
                    digest.write(&[u8::from(!null)]);
                }
            }
            Extern::Global(g) => match g.get(store) {
                Val::I32(x) => digest.write(&x.to_le_bytes()),
                Val::I64(x) => digest.write(&x.to_le_bytes()),
                Val::F32(x) => digest.write(&x.to_bits().to_le_bytes()),
                Val::F64(x) => digest.write(&x.to_bits().to_le_bytes()),
                Val::V128(x) => digest.write(&x.as_u128().to_le_bytes()),
                Val::FuncRef(r) => digest.write(&[u8::from(!r.is_null())]),
                Val::ExternRef(r) => digest.write(&[u8::from(!r.is_null())]),
            },
        }
        state.push(format!("{}:{:016x}", hex(&name), digest.0));
    }
    state.sort();
    state
}
