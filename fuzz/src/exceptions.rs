//! Exception handling, fuzzed against wasmtime: the reference interpreter (wasmi) has no
//! exceptions, so modules that throw and catch (wasm-smith with exceptions on) run in
//! Kiln, and the outcome of every call (values, traps, uncaught exceptions) and the
//! exported globals after it are replayed as a `.wast` script in `wasmtime wast`
//! ([`triage::script`]). wasmtime must agree on all of it. Memories and tables are not
//! compared (a script cannot express digests). `kiln-fuzz --exceptions` runs this.

use crate::generate::{self, ParamType};
use crate::native::{Case, Native};
use crate::rng::Rng;
use crate::trace::Call;
use crate::{save_module, triage};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, ValType};

#[derive(Debug, Default)]
pub struct ExceptionsSummary {
    pub modules: usize,
    pub calls: usize,
    pub agreed: usize,
    /// Modules that use no exception instruction (wasm-smith chose none), or whose
    /// exports cannot be called from a script, or that trap while instantiating.
    pub skipped: usize,
    pub divergences: Vec<String>,
    pub elapsed: Duration,
}

/// One generated module and what to call on it.
struct Planned {
    seed: u64,
    wasm: Vec<u8>,
    calls: Vec<Call>,
    globals: Vec<String>,
}

pub fn campaign(
    seed: u64,
    duration: Duration,
    batch: usize,
    native: &Native,
    wasmtime: &Path,
    findings: &Path,
) -> Result<ExceptionsSummary, String> {
    let start = Instant::now();
    let config = wasm_smith::Config {
        exceptions_enabled: true,
        ..generate::differential_config()
    };
    let mut rng = Rng::new(seed);
    let mut summary = ExceptionsSummary::default();
    while start.elapsed() < duration {
        let mut planned = Vec::new();
        while planned.len() < batch {
            let seed = rng.next_u64();
            match plan(&config, seed) {
                Some(p) => planned.push(p),
                None => summary.skipped += 1,
            }
        }
        let cases: Vec<Case<'_>> = planned
            .iter()
            .map(|p| Case {
                wasm: &p.wasm,
                calls: &p.calls,
                globals: &p.globals,
            })
            .collect();
        let traces = native.run_batch(&cases)?;
        for (p, kiln) in planned.iter().zip(traces) {
            summary.modules += 1;
            summary.calls += p.calls.len();
            let kiln = match kiln {
                Ok(trace) => trace,
                Err(why) => {
                    let saved = save_module(findings, p.seed, &p.wasm)?;
                    summary.divergences.push(format!(
                        "Kiln failed on a valid module: {why}\n  module: {}",
                        saved.display()
                    ));
                    continue;
                }
            };
            if !matches!(kiln.instantiation, Some(Ok(_))) {
                summary.skipped += 1;
                continue;
            }
            let script = triage::script(&p.wasm, &p.calls, &kiln, &p.globals);
            let path = native.work_dir.join("exceptions.wast");
            std::fs::write(&path, &script).map_err(|e| format!("{}: {e}", path.display()))?;
            let out = Command::new(wasmtime)
                .args(["wast", "-W", "exceptions=y"])
                .arg(&path)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", wasmtime.display()))?;
            if out.status.success() {
                summary.agreed += 1;
            } else {
                let saved = save_module(findings, p.seed, &p.wasm)?;
                let _ = std::fs::write(saved.with_extension("wast"), &script);
                summary.divergences.push(format!(
                    "wasmtime disagrees with Kiln: {}\n  module: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .take(6)
                        .collect::<Vec<_>>()
                        .join("\n  "),
                    saved.display()
                ));
            }
        }
        summary.elapsed = start.elapsed();
        eprintln!(
            "kiln-fuzz: {} exception modules ({} calls), {} divergent, {} skipped; {:.0}s",
            summary.modules,
            summary.calls,
            summary.divergences.len(),
            summary.skipped,
            summary.elapsed.as_secs_f64()
        );
    }
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// A module for `seed` that uses exceptions, with its calls; `None` when wasm-smith made
/// none, or a module without exception instructions.
fn plan(config: &wasm_smith::Config, seed: u64) -> Option<Planned> {
    let wasm = generate::module(config, seed).ok()?;
    let (exports, globals, throws) = exports(&wasm)?;
    if !throws {
        return None;
    }
    let calls = generate::plan(seed, &exports);
    Some(Planned {
        seed,
        wasm,
        calls,
        globals,
    })
}

/// The exported functions a script can call (numbers, vectors and null references in
/// and out; no `exnref`), the exported globals it can read, and whether any function
/// body throws.
#[allow(clippy::type_complexity)]
fn exports(wasm: &[u8]) -> Option<(Vec<(String, Vec<ParamType>)>, Vec<String>, bool)> {
    let mut types = Vec::new();
    let mut func_types = Vec::new();
    let mut global_types = Vec::new();
    let mut exports = Vec::new();
    let mut throws = false;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty.ok()?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    match import.ok()?.ty {
                        TypeRef::Func(t) => func_types.push(t),
                        TypeRef::Global(g) => global_types.push(g.content_type),
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    func_types.push(t.ok()?);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    global_types.push(g.ok()?.ty.content_type);
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.ok()?;
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().ok()?;
                while !ops.eof() {
                    throws |= matches!(
                        ops.read().ok()?,
                        wasmparser::Operator::Throw { .. } | wasmparser::Operator::ThrowRef
                    );
                }
            }
            _ => {}
        }
    }
    let scriptable =
        |t: &ValType| !matches!(t, ValType::Ref(r) if !r.is_func_ref() && !r.is_extern_ref());
    let mut functions = Vec::new();
    let mut globals = Vec::new();
    for (name, kind, index) in exports {
        match kind {
            ExternalKind::Func => {
                let ty = &types[*func_types.get(index as usize)? as usize];
                if ty.params().iter().chain(ty.results()).all(scriptable) {
                    let params = ty.params().iter().map(param_type).collect::<Option<_>>()?;
                    functions.push((name, params));
                }
            }
            ExternalKind::Global if global_types.get(index as usize).is_some_and(scriptable) => {
                globals.push(name)
            }
            _ => {}
        }
    }
    Some((functions, globals, throws))
}

fn param_type(t: &ValType) -> Option<ParamType> {
    Some(match t {
        ValType::I32 => ParamType::I32,
        ValType::I64 => ParamType::I64,
        ValType::F32 => ParamType::F32,
        ValType::F64 => ParamType::F64,
        ValType::V128 => ParamType::V128,
        ValType::Ref(r) if r.is_func_ref() => ParamType::FuncRef,
        ValType::Ref(_) => ParamType::ExternRef,
    })
}
