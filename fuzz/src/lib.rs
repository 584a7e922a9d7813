//! `kiln-fuzz`: differential fuzzing of Kiln-compiled code against the wasmi interpreter,
//! and fuzzing of the compiler itself (see the README's "Fuzzing" section).
//!
//! A differential round generates a batch of modules with wasm-smith ([`generate`]), runs
//! each through wasmi ([`reference`]) and through Kiln ([`native`]: one harness executable
//! per batch), and compares results, trap kinds and the exported state after every call
//! ([`trace`]). A disagreement is saved, shrunk with wasm-shrink, and written where the
//! regression test (`testsuite/tests/fuzz_regressions.rs`) replays it.

pub mod compiler;
pub mod exceptions;
pub mod generate;
pub mod native;
pub mod reference;
pub mod rng;
pub mod trace;
pub mod triage;

use native::{Case, Native};
use reference::Reference;
use rng::Rng;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trace::{Call, Trace, Verdict};

/// What a campaign runs.
pub struct Settings {
    pub seed: u64,
    /// Stop after this long, or after `modules` differential modules, whichever is first.
    pub duration: Duration,
    pub modules: Option<usize>,
    /// Compiler-fuzzing inputs per differential batch.
    pub compiler_inputs_per_batch: usize,
    pub batch: usize,
    pub options: kiln::Options,
    pub runtime_lib: PathBuf,
    pub work_dir: PathBuf,
    /// Where shrunk findings are written as regression tests.
    pub regressions: PathBuf,
    /// Time spent shrinking each finding.
    pub shrink_budget: Duration,
    /// The wasmtime CLI that settles disagreements with the reference (see `triage`).
    pub wasmtime: Option<PathBuf>,
    /// Valid modules the compiler fuzzer mutates.
    pub corpus: Vec<Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub modules: usize,
    pub calls: usize,
    pub agreed: usize,
    /// Compared up to a stack overflow (whose depth differs between engines by design).
    pub inconclusive: usize,
    /// wasm-smith could not build a module from the bytes, or the reference refused it.
    pub skipped: usize,
    pub divergences: Vec<String>,
    pub compiler_inputs: usize,
    pub compiler_crashes: Vec<String>,
    /// The reference interpreter itself failed (panicked) on a module, which is skipped.
    pub reference_panics: usize,
    /// Disagreements where wasmtime computed what Kiln did (see `triage`).
    pub reference_bugs: usize,
    /// Size of the differential modules, in bytes, and their exported functions.
    pub module_bytes: usize,
    pub functions: usize,
    pub elapsed: Duration,
}

/// One generated module, run through the reference.
struct Prepared {
    seed: u64,
    wasm: Vec<u8>,
    calls: Vec<Call>,
    functions: usize,
    globals: Vec<String>,
    reference: Trace,
}

pub fn campaign(settings: &Settings) -> Result<Summary, String> {
    let start = Instant::now();
    let config = generate::differential_config();
    let reference = Reference::default();
    let native = Native {
        options: settings.options.clone(),
        runtime_lib: settings.runtime_lib.clone(),
        work_dir: settings.work_dir.join("batch"),
    };
    let compiler_fuzz = compiler::CompilerFuzz::new(
        settings.corpus.clone(),
        settings.options.clone(),
        &settings.work_dir.join("compiler-crashes"),
    );
    let mut rng = Rng::new(settings.seed);
    let mut summary = Summary::default();
    let done = |s: &Summary| {
        start.elapsed() >= settings.duration || settings.modules.is_some_and(|m| s.modules >= m)
    };
    while !done(&summary) {
        let mut batch = Vec::new();
        while batch.len() < settings.batch {
            let seed = rng.next_u64();
            match prepare(&config, &reference, seed) {
                Ok(Some(p)) => batch.push(p),
                Ok(None) => summary.skipped += 1,
                Err(panic) => {
                    eprintln!(
                        "kiln-fuzz: the reference panicked (seed {seed:016x}, skipped): {panic}"
                    );
                    summary.reference_panics += 1;
                }
            }
        }
        let cases: Vec<Case<'_>> = batch
            .iter()
            .map(|p| Case {
                wasm: &p.wasm,
                calls: &p.calls,
                globals: &[],
            })
            .collect();
        let traces = native.run_batch(&cases)?;
        for (p, kiln) in batch.iter().zip(traces) {
            summary.modules += 1;
            summary.calls += p.calls.len();
            summary.module_bytes += p.wasm.len();
            summary.functions += p.functions;
            match judge(p, kiln) {
                Verdict::Agree => summary.agreed += 1,
                Verdict::Inconclusive(_) => summary.inconclusive += 1,
                Verdict::Diverge(why) => {
                    if reference_bug(settings, &native, p)? {
                        let saved = save(&settings.work_dir.join("reference-bugs"), p)?;
                        // The script wasmtime passed pins the values: a regression test
                        // for `testsuite/fuzz-regressions/` as it is.
                        let script = native.work_dir.with_file_name("triage").join("triage.wast");
                        let _ = std::fs::copy(script, saved.with_extension("wast"));
                        eprintln!(
                            "kiln-fuzz: wasmi disagrees with both Kiln and wasmtime (a reference \
                             bug, not counted): {why}\n  module: {}",
                            saved.display()
                        );
                        summary.reference_bugs += 1;
                        continue;
                    }
                    let report = report_finding(settings, &reference, p, &why)?;
                    eprintln!("{report}");
                    summary.divergences.push(report);
                }
            }
        }
        for _ in 0..settings.compiler_inputs_per_batch {
            if let Err(crash) = compiler_fuzz.run_one(&mut rng) {
                eprintln!("kiln-fuzz: COMPILER CRASH: {crash}");
                summary.compiler_crashes.push(crash);
            }
            summary.compiler_inputs += 1;
        }
        summary.elapsed = start.elapsed();
        eprintln!(
            "kiln-fuzz: {} modules ({} calls), {} divergent; {} compiler inputs; {:.0}s",
            summary.modules,
            summary.calls,
            summary.divergences.len(),
            summary.compiler_inputs,
            summary.elapsed.as_secs_f64()
        );
    }
    summary.elapsed = start.elapsed();
    Ok(summary)
}

/// `Err` when the reference panicked (wasmi 2.0.0 has been seen to).
fn prepare(
    config: &wasm_smith::Config,
    reference: &Reference,
    seed: u64,
) -> Result<Option<Prepared>, String> {
    let Ok(wasm) = generate::module(config, seed) else {
        return Ok(None);
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prepare_module(reference, seed, wasm)
    }))
    .map_err(|payload| panic_message(payload.as_ref()))
}

fn prepare_module(reference: &Reference, seed: u64, wasm: Vec<u8>) -> Option<Prepared> {
    let loaded = reference.load(&wasm).ok()?;
    let calls = generate::plan(seed, &loaded.exports);
    let reference = reference.run(&loaded, &calls).ok()?;
    Some(Prepared {
        seed,
        wasm,
        calls,
        functions: loaded.exports.len(),
        globals: loaded.globals.clone(),
        reference,
    })
}

/// Whether wasmtime sides with Kiln against the reference on `p` (never without wasmtime).
fn reference_bug(settings: &Settings, native: &Native, p: &Prepared) -> Result<bool, String> {
    let Some(wasmtime) = &settings.wasmtime else {
        return Ok(false);
    };
    ask_wasmtime(
        wasmtime,
        native,
        &native.work_dir.with_file_name("triage"),
        p,
    )
}

/// [`triage::wasmtime_agrees_with_kiln`] for `p`, in the scratch directory `work_dir`.
fn ask_wasmtime(
    wasmtime: &Path,
    native: &Native,
    work_dir: &Path,
    p: &Prepared,
) -> Result<bool, String> {
    let triage = Native {
        work_dir: work_dir.to_path_buf(),
        ..native.clone()
    };
    triage::wasmtime_agrees_with_kiln(
        wasmtime,
        &triage,
        &p.wasm,
        &p.calls,
        &p.globals,
        &p.reference,
    )
}

/// The text of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn save(dir: &Path, p: &Prepared) -> Result<PathBuf, String> {
    save_module(dir, p.seed, &p.wasm)
}

/// Writes the module of `seed` to `dir/SEED.wasm`.
pub(crate) fn save_module(dir: &Path, seed: u64, wasm: &[u8]) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let path = dir.join(format!("{seed:016x}.wasm"));
    std::fs::write(&path, wasm).map_err(|e| e.to_string())?;
    Ok(path)
}

fn judge(p: &Prepared, kiln: Result<Trace, String>) -> Verdict {
    match kiln {
        Ok(trace) => trace::compare(&p.calls, &p.reference, &trace),
        Err(why) => Verdict::Diverge(why),
    }
}

/// Runs one module (as a batch of one) and compares; `None` when the reference cannot run
/// it.
fn check_one(
    native: &Native,
    reference: &Reference,
    seed: u64,
    wasm: Vec<u8>,
) -> Result<Option<Verdict>, String> {
    let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prepare_module(reference, seed, wasm)
    }));
    let Ok(Some(p)) = prepared else {
        return Ok(None);
    };
    let case = Case {
        wasm: &p.wasm,
        calls: &p.calls,
        globals: &[],
    };
    let kiln = native
        .run_batch(&[case])?
        .pop()
        .expect("one case, one result");
    Ok(Some(match judge(&p, kiln) {
        // Say what ran before, to reproduce it by hand.
        Verdict::Diverge(why) => {
            let calls: Vec<String> = p
                .calls
                .iter()
                .map(|c| format!("{:?}({})", c.export, c.args.join(", ")))
                .collect();
            Verdict::Diverge(format!("{why}\n  calls made: {}", calls.join("; ")))
        }
        other => other,
    }))
}

/// Saves the module, shrinks it while it still diverges, and writes the result as a
/// regression test named after its seed (the seed fixes the call arguments).
fn report_finding(
    settings: &Settings,
    reference: &Reference,
    p: &Prepared,
    why: &str,
) -> Result<String, String> {
    let findings = settings.work_dir.join("findings");
    std::fs::create_dir_all(&findings).map_err(|e| e.to_string())?;
    let original = findings.join(format!("{:016x}.wasm", p.seed));
    std::fs::write(&original, &p.wasm).map_err(|e| e.to_string())?;
    let native = Native {
        options: settings.options.clone(),
        runtime_lib: settings.runtime_lib.clone(),
        work_dir: settings.work_dir.join("shrink"),
    };
    let seed = p.seed;
    let start = Instant::now();
    let shrunk = wasm_shrink::WasmShrink::default()
        .attempts(1000)
        .seed(seed)
        .run(p.wasm.clone(), |candidate: &[u8]| {
            if start.elapsed() > settings.shrink_budget {
                return Ok(false);
            }
            let verdict =
                check_one(&native, reference, seed, candidate.to_vec()).map_err(anyhow_error)?;
            // The same kind of divergence: a shrink step must not trade a wrong result
            // for, say, a harness that timed out.
            Ok(matches!(verdict, Some(Verdict::Diverge(w)) if divergence_class(&w) == divergence_class(why)))
        })
        .map(|info| info.output)
        .unwrap_or_else(|_| p.wasm.clone());
    std::fs::create_dir_all(&settings.regressions).map_err(|e| e.to_string())?;
    let test = settings.regressions.join(format!("{:016x}.wasm", p.seed));
    std::fs::write(&test, &shrunk).map_err(|e| e.to_string())?;
    Ok(format!(
        "kiln-fuzz: DIVERGENCE (seed {:016x}): {why}\n  module: {}\n  shrunk ({} -> {} bytes) regression test: {}",
        p.seed,
        original.display(),
        p.wasm.len(),
        shrunk.len(),
        test.display()
    ))
}

/// What kind of disagreement a divergence report describes.
fn divergence_class(why: &str) -> &'static str {
    if why.starts_with("instantiation") {
        "instantiation"
    } else if why.starts_with("kiln rejected") {
        "rejected"
    } else if why.contains("exported state differs") {
        "state"
    } else if why.contains(" in the reference, ") {
        "result"
    } else {
        "harness"
    }
}

fn anyhow_error(e: String) -> anyhow::Error {
    anyhow::anyhow!(e)
}

/// A replayed file and its verdict (`Err`: why it still diverges).
pub type CheckedFile = (PathBuf, Result<(), String>);

/// Replays saved findings (files named `SEED.wasm`): `Ok` lists each file with its verdict.
pub fn check_files(
    files: &[PathBuf],
    seed: Option<u64>,
    wasmtime: Option<&Path>,
    options: &kiln::Options,
    runtime_lib: &Path,
    work_dir: &Path,
) -> Result<Vec<CheckedFile>, String> {
    let reference = Reference::default();
    let native = Native {
        options: options.clone(),
        runtime_lib: runtime_lib.to_path_buf(),
        work_dir: work_dir.to_path_buf(),
    };
    let mut out = Vec::new();
    for file in files {
        let seed = match seed {
            Some(seed) => seed,
            None => file
                .file_stem()
                .and_then(|s| u64::from_str_radix(&s.to_string_lossy(), 16).ok())
                .ok_or_else(|| format!("{}: the name must be the seed in hex", file.display()))?,
        };
        let wasm = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let outcome = match check_one(&native, &reference, seed, wasm.clone())? {
            Some(Verdict::Diverge(why)) => {
                let sided = match (wasmtime, prepare_module(&reference, seed, wasm)) {
                    (Some(wasmtime), Some(p)) => {
                        ask_wasmtime(wasmtime, &native, &work_dir.join("triage"), &p)?
                    }
                    _ => false,
                };
                if sided {
                    Err(format!(
                        "{why}\n  wasmtime computes what Kiln does: a reference bug"
                    ))
                } else {
                    Err(why)
                }
            }
            Some(Verdict::Agree) => Ok(()),
            Some(Verdict::Inconclusive(why)) => Err(format!("inconclusive: {why}")),
            None => Err("the reference cannot run it".to_string()),
        };
        out.push((file.clone(), outcome));
    }
    Ok(out)
}

/// Valid modules for the compiler fuzzer to mutate: every module of the spec testsuite's
/// `.wast` files in `dir`.
pub fn spec_corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut corpus = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return corpus;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
    {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(buf) = wast::parser::ParseBuffer::new(&text) else {
            continue;
        };
        let Ok(script) = wast::parser::parse::<wast::Wast<'_>>(&buf) else {
            continue;
        };
        for directive in script.directives {
            if let wast::WastDirective::Module(mut quote) = directive {
                if let Ok(bytes) = quote.encode() {
                    corpus.push(bytes);
                }
            }
        }
    }
    corpus
}
