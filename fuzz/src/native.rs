//! Kiln's side: a batch of modules is compiled by the same `kiln::compile` users run,
//! linked once into a spec-harness executable, and driven over its line protocol. One link
//! per batch (not per module) is what makes hundreds of modules a minute possible.

use crate::trace::{Call, Outcome, State, Trace};
use kiln::{Emit, Options};
use kiln_abi::hex;
use kiln_spec_tests::harness::{Harness, Response};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one request may take: generated calls end within milliseconds (their fuel is
/// bounded, memories are at most 1 MiB), so only a miscompiled loop reaches this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Native {
    pub options: Options,
    pub runtime_lib: PathBuf,
    pub work_dir: PathBuf,
}

/// One module of a batch and the calls to make on it.
pub struct Case<'a> {
    pub wasm: &'a [u8],
    pub calls: &'a [Call],
    /// Exported globals whose values to read after each call (for triage; usually none).
    pub globals: &'a [String],
}

impl Native {
    /// Runs every case; `Err` for a case means Kiln failed on it outright (rejected the valid
    /// module, or its harness process died), which is a finding in itself.
    pub fn run_batch(&self, cases: &[Case<'_>]) -> Result<Vec<Result<Trace, String>>, String> {
        std::fs::create_dir_all(&self.work_dir)
            .map_err(|e| format!("cannot create {}: {e}", self.work_dir.display()))?;
        let mut results: Vec<Result<Trace, String>> = Vec::new();
        let mut objects = Vec::new();
        let mut symbols = Vec::new();
        // Case index -> module number in the harness.
        let mut linked: Vec<Option<usize>> = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let symbol = format!("kiln_fuzz_module_{i}");
            let options = Options {
                emit: Emit::Obj,
                entry: false,
                descriptor_symbol: symbol.clone(),
                ..self.options.clone()
            };
            match crate::compiler::guarded(case.wasm, || kiln::compile(case.wasm, &options))
                .unwrap_or_else(|panic| Err(kiln::Error::new(panic)))
            {
                Ok(compiled) => {
                    let path = self.work_dir.join(format!("module{i}.o"));
                    std::fs::write(&path, compiled.object)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    linked.push(Some(objects.len()));
                    objects.push(path);
                    symbols.push(symbol);
                    results.push(Ok(Trace::default()));
                }
                Err(e) => {
                    linked.push(None);
                    results.push(Err(format!("kiln rejected a valid module: {e}")));
                }
            }
        }
        if objects.is_empty() {
            return Ok(results);
        }
        let exe = self
            .work_dir
            .join(format!("harness{}", self.options.target.exe_suffix()));
        let link_options = Options {
            emit: Emit::Exe,
            entry: false,
            ..self.options.clone()
        };
        kiln_spec_tests::link_harness(&link_options, &objects, &symbols, &self.runtime_lib, &exe)?;

        let mut harness = None;
        for (i, case) in cases.iter().enumerate() {
            let Some(module) = linked[i] else { continue };
            let h = match &mut harness {
                Some(h) => h,
                None => harness.insert(
                    Harness::start(&exe, &[], REQUEST_TIMEOUT)
                        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?,
                ),
            };
            results[i] = drive(h, module, case);
            if results[i].is_err() {
                // The process is gone (a crash or the timeout): later cases get a new one.
                harness = None;
            }
        }
        if let Some(h) = harness {
            h.finish()?;
        }
        Ok(results)
    }
}

/// Instantiates module `module` as instance `module` and makes the calls.
fn drive(h: &mut Harness, module: usize, case: &Case<'_>) -> Result<Trace, String> {
    let calls = case.calls;
    let mut trace = Trace::default();
    match h.request(&format!("instantiate {module} {module}")) {
        Response::Ok(_) => trace.instantiation = Some(Ok(state(h, module)?)),
        Response::Trap(Some(kind)) => {
            trace.instantiation = Some(Err(kind));
            return Ok(trace);
        }
        other => return Err(format!("instantiation: {other:?}")),
    }
    for call in calls {
        let request = format!(
            "invoke {module} {} {}",
            hex(&call.export),
            call.args.join(" ")
        );
        let outcome = match h.request(&request) {
            Response::Ok(values) => Outcome::Returned(values),
            Response::Trap(Some(kind)) => Outcome::Trapped(kind),
            other => return Err(format!("call of {:?}: {other:?}", call.export)),
        };
        let stop = outcome == Outcome::Trapped(kiln_abi::TrapKind::StackOverflow);
        trace.calls.push((outcome, state(h, module)?));
        let mut values = Vec::new();
        for global in case.globals {
            match h.request(&format!("get {module} {}", hex(global))) {
                Response::Ok(mut v) if v.len() == 1 => values.push(v.remove(0)),
                other => return Err(format!("get {global:?}: {other:?}")),
            }
        }
        trace.global_values.push(values);
        if stop {
            break;
        }
    }
    Ok(trace)
}

fn state(h: &mut Harness, instance: usize) -> Result<State, String> {
    match h.request(&format!("state {instance}")) {
        Response::Ok(mut digests) => {
            digests.sort();
            Ok(digests)
        }
        other => Err(format!("state: {other:?}")),
    }
}

/// Scratch directory for one batch.
pub fn batch_dir(root: &Path, worker: usize) -> PathBuf {
    root.join(format!("batch{worker}"))
}
