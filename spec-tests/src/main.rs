//! `kiln-spec`: runs the WebAssembly spec testsuite's `.wast` files through Kiln in
//! parallel, one line per file, ending with `N passed, M failed`.

use kiln::{BoundsChecks, Cpu, Options, Target, WasmVersion};
use kiln_spec_tests::{run_file, Config, FileReport};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: kiln-spec [--suite 2.0|3.0|DIR] [--bounds-checks guard|explicit]
                 [--cpu baseline|native] [--target T] [--jobs N] [FILTER...]

Runs the .wast files of a WebAssembly core testsuite through Kiln-compiled native
code and prints `N passed, M failed` (assertions).

  --suite SUITE         2.0 (default): ../shared/spec-testsuite beside the workspace
                        (or $KILN_SPEC_SUITE): its top-level files, validated as
                        Wasm 2.0, proposals/relaxed-simd, as Wasm 3.0, and
                        proposals/threads, as Wasm 1.0 plus threads;
                        3.0: ../shared/spec-testsuite-3.0: its top-level files,
                        custom/ and legacy/, as Wasm 3.0, and proposals/threads
                        (its other proposals/ are not part of Wasm 3.0);
                        DIR: a 2.0-layout suite there. Outside this environment,
                        clone WebAssembly/testsuite at the commit in SOURCE.txt
  --bounds-checks MODE  guard (default): guard pages; explicit: checked accesses
  --cpu CPU             baseline (default): x86-64-v2 / ARMv8.0-A only; native: every
                        extension of this machine's CPU (host target only)
  --target T            compile for target T (aarch64-linux, x86_64-windows) and run
                        the executables under qemu-aarch64 or wine [default: host]
  --jobs N              files run in parallel [default: number of cores]
  FILTER                only files whose path in the suite contains one of these

A file with a module that needs a proposal Kiln does not compile yet (garbage
collection...) is skipped and listed with that proposal; its
assertions count neither as passed nor as failed.";

/// The directories of a suite that are run (`""` is the top level): the standard their
/// modules are validated against, and the proposal their files need when Kiln does not
/// compile it yet (such files are skipped whole).
type Layout = &'static [(&'static str, WasmVersion, Option<&'static str>)];
/// Relaxed SIMD is part of Wasm 3.0; the 2.0 suite has its tests among the proposals.
const SUITE_2_0: Layout = &[
    ("", WasmVersion::V2, None),
    ("proposals/relaxed-simd", WasmVersion::V3, None),
    ("proposals/threads", WasmVersion::ThreadsProposal, None),
];
/// `legacy/` (legacy exception handling) is written in a folded `try` syntax the wast
/// crate does not parse; the runner unfolds it first (`legacy_text`).
const SUITE_3_0: Layout = &[
    ("", WasmVersion::V3, None),
    ("custom", WasmVersion::V3, None),
    ("proposals/threads", WasmVersion::ThreadsProposal, None),
    ("legacy", WasmVersion::V3, None),
];

struct Args {
    bounds_checks: BoundsChecks,
    cpu: Cpu,
    target: Option<String>,
    /// The suite's directory and the subdirectories (besides the top level) to run.
    suite: (PathBuf, Layout),
    jobs: usize,
    filters: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut args = Args {
        bounds_checks: BoundsChecks::Guard,
        cpu: Cpu::Baseline,
        target: None,
        suite: (
            std::env::var_os("KILN_SPEC_SUITE")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("../shared/spec-testsuite")),
            SUITE_2_0,
        ),
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        filters: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--bounds-checks" => {
                args.bounds_checks = match value("--bounds-checks")?.as_str() {
                    "guard" => BoundsChecks::Guard,
                    "explicit" => BoundsChecks::Explicit,
                    other => return Err(format!("unknown bounds-check mode `{other}`")),
                }
            }
            "--cpu" => {
                args.cpu = match value("--cpu")?.as_str() {
                    "baseline" => Cpu::Baseline,
                    "native" => Cpu::Native,
                    other => return Err(format!("unknown CPU `{other}`")),
                }
            }
            "--target" => args.target = Some(value("--target")?),
            "--suite" => {
                args.suite = match value("--suite")?.as_str() {
                    "2.0" => (root.join("../shared/spec-testsuite"), SUITE_2_0),
                    "3.0" => (root.join("../shared/spec-testsuite-3.0"), SUITE_3_0),
                    dir => (PathBuf::from(dir), SUITE_2_0),
                }
            }
            "--jobs" => {
                args.jobs = value("--jobs")?
                    .parse()
                    .map_err(|_| "--jobs needs a number".to_string())?
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option `{flag}`\n{USAGE}"))
            }
            filter => args.filters.push(filter.to_string()),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<bool, String> {
    let (suite, layout) = &args.suite;
    // (path in the suite, file, its standard, the unsupported proposal it needs)
    let mut files: Vec<(String, PathBuf, WasmVersion, Option<&'static str>)> = Vec::new();
    for &(sub, version, needs) in layout.iter() {
        let dir = suite.join(sub);
        if sub.is_empty() || dir.is_dir() {
            for file in wast_files(&dir)? {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                let name = if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                };
                files.push((name, file, version, needs));
            }
        }
    }
    files.retain(|(name, ..)| {
        args.filters.is_empty() || args.filters.iter().any(|f| name.contains(f.as_str()))
    });
    files.sort_by(|a, b| a.0.cmp(&b.0));

    let target = match &args.target {
        Some(t) => Target::parse(t)?,
        None => Target::host(),
    };
    let runner = emulator(&target)?;
    let mode = match args.bounds_checks {
        BoundsChecks::Guard => "guard",
        BoundsChecks::Explicit => "explicit",
    };
    let cpu = match args.cpu {
        Cpu::Baseline => "baseline",
        Cpu::Native => "native",
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let config = Config {
        runtime_lib: kiln_targets::runtime_library(&target).map_err(|e| e.0)?,
        work_dir: root
            .join("target/spec-work")
            .join(target.name())
            .join(format!("{mode}-{cpu}")),
        options: Options {
            target,
            bounds_checks: args.bounds_checks,
            cpu: args.cpu,
            ..Options::default()
        },
        runner,
        timeout: Duration::from_secs(300),
    };

    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let reports = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..args.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, file, version, needs)) = files.get(i) else {
                    break;
                };
                let mut config = config.clone();
                config.options.wasm = *version;
                let report = match needs {
                    Some(feature) => skipped_file(file, name, feature),
                    None => run_file(file, name, &config),
                };
                print_report(&report);
                reports.lock().unwrap().push(report);
            });
        }
    });
    let reports = reports.into_inner().unwrap();

    let (skipped, reports): (Vec<FileReport>, Vec<FileReport>) =
        reports.into_iter().partition(|r| r.skipped.is_some());
    let mut reports = reports;
    let assertions: usize = reports.iter().map(|r| r.assertions).sum();
    let passed: usize = reports.iter().map(|r| r.passed).sum();
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    reports.sort_by_key(|r| std::cmp::Reverse(r.elapsed));
    let slowest: Vec<String> = reports
        .iter()
        .take(5)
        .map(|r| format!("{} {:.1}s", r.name, r.elapsed.as_secs_f64()))
        .collect();
    println!();
    println!(
        "{} files, {assertions} assertions, target: {}, bounds checks: {mode}, cpu: {cpu}, {:.1}s wall; slowest: {}",
        reports.len(),
        config.options.target.name(),
        start.elapsed().as_secs_f64(),
        slowest.join(", ")
    );
    if !skipped.is_empty() {
        print_skips(&skipped);
    }
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

/// A file not run because its directory needs `feature`; its assertions are counted from
/// the text (commands starting with `(assert_`), as it is not parsed.
fn skipped_file(file: &std::path::Path, name: &str, feature: &'static str) -> FileReport {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    FileReport {
        name: name.to_string(),
        assertions: text.matches("(assert_").count(),
        skipped: Some(feature),
        ..FileReport::default()
    }
}

/// The `.wast` files directly in `dir`.
fn wast_files(dir: &std::path::Path) -> Result<Vec<PathBuf>, String> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the testsuite `{}`: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect())
}

/// How to run executables for `target` here: directly, under qemu-user (aarch64 Linux)
/// or under wine (x86_64 Windows; set `WINEDEBUG=-all` to keep wine quiet).
fn emulator(target: &Target) -> Result<Vec<String>, String> {
    if target.is_host() {
        return Ok(Vec::new());
    }
    let (program, package) = match target.short_name() {
        Some("aarch64-linux") => ("qemu-aarch64", "qemu-user"),
        Some("x86_64-windows") => ("wine", "wine wine64"),
        _ => {
            return Err(format!(
                "{} executables cannot run on this machine",
                target.name()
            ))
        }
    };
    if !found_on_path(program) {
        return Err(format!(
            "running {} executables needs `{program}` (Debian: apt-get install {package})",
            target.name()
        ));
    }
    if program != "wine" {
        return Ok(vec![program.to_string()]);
    }
    // Without address-space randomization where `setarch` can turn it off: with it, about
    // one wine start in 5000 fails before the program runs (exit status 1, `failed to map
    // the shared user data`, an `err:` line that `WINEDEBUG=-all` hides).
    let wine: Vec<String> = if found_on_path("setarch") {
        ["setarch", "-R", "wine"].map(String::from).to_vec()
    } else {
        vec!["wine".to_string()]
    };
    start_wine(&wine)?;
    Ok(wine)
}

fn found_on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Brings wine's services up before any harness starts: the services the first wine
/// process of a session starts inherit its stdout, and a harness whose pipe a service
/// holds never reports end of output. `wineboot` takes that role, with no pipes at all.
fn start_wine(wine: &[String]) -> Result<(), String> {
    let status = std::process::Command::new(&wine[0])
        .args(&wine[1..])
        .arg("wineboot")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run `wine wineboot`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`wine wineboot` failed ({status})"))
    }
}

/// Skipped files by the proposal they need, with their assertion counts.
fn print_skips(skipped: &[FileReport]) {
    let mut by_feature: Vec<(&str, Vec<&FileReport>)> = Vec::new();
    for report in skipped {
        let feature = report.skipped.unwrap_or_default();
        match by_feature.iter_mut().find(|(f, _)| *f == feature) {
            Some((_, files)) => files.push(report),
            None => by_feature.push((feature, vec![report])),
        }
    }
    let assertions: usize = skipped.iter().map(|r| r.assertions).sum();
    println!(
        "skipped (not counted as passed or failed): {} files, {assertions} assertions",
        skipped.len()
    );
    for (feature, files) in by_feature {
        let mut names: Vec<&str> = files.iter().map(|r| r.name.as_str()).collect();
        names.sort();
        let assertions: usize = files.iter().map(|r| r.assertions).sum();
        println!(
            "  needs {feature}: {} files, {assertions} assertions: {}",
            files.len(),
            names.join(" ")
        );
    }
}

fn print_report(report: &FileReport) {
    if let Some(feature) = report.skipped {
        println!(
            "skip {:<32} {:>6} assertions, needs {feature}",
            report.name, report.assertions
        );
        return;
    }
    let mut out = format!(
        "{:<4} {:<32} {:>6} passed {:>5} failed  {:>6.2}s\n",
        if report.failed == 0 { "ok" } else { "FAIL" },
        report.name,
        report.passed,
        report.failed,
        report.elapsed.as_secs_f64()
    );
    for failure in report.failures.iter().take(10) {
        out.push_str(&format!("       {failure}\n"));
    }
    if report.failures.len() > 10 {
        out.push_str(&format!("       ... {} more\n", report.failures.len() - 10));
    }
    print!("{out}");
}
