//! Project tasks.
//!
//! `cargo xtask test [ARGS...]` — everything CI checks:
//! 1. check that the `wasm32-wasip1` Rust target is installed;
//! 2. build `kiln`, the runtime library and the spec runner (dev profile);
//! 3. build `testsuite/programs` for wasm32-wasip1 into `target/wasm-programs/`
//!    and for the host into `target/native-programs/` (both release), except that
//!    the SIMD programs (`SIMD_PROGRAMS`) are built for wasm32-wasip1 by a second
//!    cargo invocation with `RUSTFLAGS="-C target-feature=+simd128"` into
//!    `target/wasm-simd-programs/` (RUSTFLAGS covers a whole build, and the other
//!    programs stay free of SIMD); the C programs (`testsuite/programs/c/`) with
//!    `zig cc` (Python's `ziglang`) for wasm32-wasi with `-msimd128` and for the
//!    host into `target/c-programs/` (skipped, saying so, without zig); and the
//!    real-world CLIs into `target/realworld/`;
//! 4. run `cargo test --workspace [ARGS...]`;
//! 5. run the spec testsuite in guard and in explicit bounds-check mode, each for the
//!    baseline CPU and for this machine's (`--cpu native`), and a short fixed-seed fuzz
//!    round (`fuzz.rs`);
//! 6. with qemu-aarch64 installed, the end-to-end tests and the spec testsuite (both modes)
//!    for aarch64-linux; with wine and MinGW installed, the same for x86_64-windows;
//! 7. print one `N passed, M failed` line over all of it.
//!
//! `cargo xtask bench [--rounds N] [--cold-runs N] [--kiln-flags FLAGS] [PROGRAM...]` — Kiln against
//! wasmtime and native builds (see `bench.rs`).
//!
//! `cargo xtask spec [kiln-spec ARGS...]` — only the spec testsuite (see
//! `kiln-spec --help`: `--bounds-checks guard|explicit`, `--suite 2.0|3.0|DIR`, filters).
//!
//! `cargo xtask fuzz [kiln-fuzz ARGS...]` — a fuzz campaign (see `kiln-fuzz --help`:
//! `--seconds N`, `--seed S`, `--bounds-checks`, `check FILE...`).

mod bench;
mod cross;
mod fuzz;
mod realworld;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

const WASM_TARGET: &str = "wasm32-wasip1";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("spec") => spec_only(&args[1..]),
        Some("runtime") => runtime(&args[1..]),
        Some("bench") => bench::bench(&args[1..]).map(|()| ExitCode::SUCCESS),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask test [ARGS for cargo test...]\n       \
                 cargo xtask spec [--bounds-checks guard|explicit] [--target T] [--suite 2.0|3.0|DIR] [FILTER...]\n       \
                 cargo xtask runtime [--release] [--target RUST_TRIPLE]...\n       \
                 cargo xtask bench [--rounds N] [--cold-runs N] [--kiln-flags FLAGS] [PROGRAM...]\n       \
                 cargo xtask fuzz [--seconds N] [--seed S] [kiln-fuzz ARGS...]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn test(extra: &[String]) -> Result<ExitCode, String> {
    let root = repo_root();
    let target = target_dir(&root);

    ensure_rust_targets(&[&[WASM_TARGET][..], &runtime_targets()[..]].concat())?;

    step("building kiln and the runtime library");
    run(cargo().current_dir(&root).args([
        "build",
        "-p",
        "kiln",
        "-p",
        "kiln-runtime",
        "-p",
        "kiln-spec-tests",
    ]))?;

    let programs = root.join("testsuite/programs/Cargo.toml");
    step("building the test programs for wasm32-wasip1");
    run(cargo()
        .current_dir(&root)
        .args(["build", "--release", "--target", WASM_TARGET, "--workspace"])
        .args(SIMD_PROGRAMS.iter().flat_map(|p| ["--exclude", p]))
        .arg("--manifest-path")
        .arg(&programs)
        .arg("--target-dir")
        .arg(target.join("wasm-programs")))?;
    step("building the SIMD test programs for wasm32-wasip1 (+simd128)");
    run(cargo()
        .current_dir(&root)
        .args(["build", "--release", "--target", WASM_TARGET])
        .args(SIMD_PROGRAMS.iter().flat_map(|p| ["-p", p]))
        .arg("--manifest-path")
        .arg(&programs)
        .arg("--target-dir")
        .arg(target.join("wasm-simd-programs"))
        // CARGO_ENCODED_RUSTFLAGS would win over RUSTFLAGS.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", "-C target-feature=+simd128"))?;
    step("building the test programs natively");
    run(cargo()
        .current_dir(&root)
        .args(["build", "--release", "--manifest-path"])
        .arg(&programs)
        .arg("--target-dir")
        .arg(target.join("native-programs")))?;

    build_c_programs(&root, &target)?;

    build_runtimes(&root, &runtime_targets(), false)?;

    step("building the real-world programs (ripgrep, pulldown-cmark, jaq, hexyl, bnz)");
    realworld::build_realworld(&root)?;

    step("running the tests");
    let (mut passed, mut failed) = cargo_test(&root, extra)?;
    println!("cargo test: {passed} passed, {failed} failed");
    // SIMD code differs most between CPU levels (SSE4.2 only, or AVX2 and more where this
    // machine has them), so the host runs the suite for both.
    for suite in SPEC_SUITES {
        for cpu in ["baseline", "native"] {
            for mode in ["guard", "explicit"] {
                step(&format!(
                    "running the Wasm {suite} spec testsuite ({mode} bounds checks, {cpu} CPU)"
                ));
                let args = ["--suite", suite, "--bounds-checks", mode, "--cpu", cpu];
                let (p, f) = run_spec(&target, &args.map(String::from))?;
                passed += p;
                failed += f;
            }
        }
    }
    let (p, f) = fuzz::ci_round(&root, &target)?;
    passed += p;
    failed += f;
    let (p, f) = cross::run_all(&root, &target)?;
    passed += p;
    failed += f;
    // One plain closing line over every test binary and spec assertion.
    println!("total: {passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The programs of `testsuite/programs` that are built for wasm32-wasip1 with SIMD
/// (`+simd128`) only, into their own target directory: what kiln compiles of them
/// must contain v128 instructions (`testsuite/tests/simd_programs.rs`).
const SIMD_PROGRAMS: [&str; 2] = ["simd_autovec", "simd_intrinsics"];

/// The C programs in `testsuite/programs/c/` (`NAME.c`), with the wasm features each is
/// built with.
const C_PROGRAMS: [(&str, &str, &[&str]); 5] = [
    ("simd_c", "simd_c", &["-msimd128"]),
    ("tail_interp", "tail_interp", &["-mtail-call"]),
    ("atomics_c", "atomics_c", &["-matomics"]),
    // setjmp/longjmp as wasm exceptions, in the legacy encoding clang still emits by
    // default and in the standard one.
    (
        "sjlj_c",
        "sjlj_legacy",
        &["-mexception-handling", "-mllvm", "-wasm-enable-sjlj"],
    ),
    (
        "sjlj_c",
        "sjlj_standard",
        &[
            "-mexception-handling",
            "-mllvm",
            "-wasm-enable-sjlj",
            "-mllvm",
            "-wasm-use-legacy-eh=false",
        ],
    ),
];

/// Builds each of `C_PROGRAMS` (source file, output name, wasm features) twice with
/// `zig cc` into `target/c-programs/`: `NAME.wasm` for wasm32-wasi with its features, and
/// `NAME` natively, to compare outputs with. zig caches
/// what it compiled (the first wasm build also builds its wasi-libc, about 30 s), so
/// building every time costs a second. Without zig this says so and builds nothing;
/// the tests of these programs then fail with the install command.
fn build_c_programs(root: &Path, target: &Path) -> Result<(), String> {
    let zig = |args: &[&str]| {
        let mut command = Command::new("python3");
        command.args(["-m", "ziglang"]).args(args);
        command
    };
    let found = zig(&["version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        println!(
            "not built: the C test programs (they need zig: python3 -m pip install \
             ziglang==0.17.1); their tests will fail"
        );
        return Ok(());
    }
    let out = target.join("c-programs");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    // No fused multiply-add in either build (clang contracts a*b+c by default where the
    // CPU has FMA, and zig compiles for this machine's CPU), so float results agree.
    let flags = ["-O2", "-ffp-contract=off"];
    for (source, name, features) in C_PROGRAMS {
        let source = root.join(format!("testsuite/programs/c/{source}.c"));
        step(&format!(
            "building {name} with zig cc for wasm32-wasi ({}) and natively",
            features.join(" ")
        ));
        // `-s`: no DWARF sections (they are most of the module otherwise).
        run(zig(&["cc", "--target=wasm32-wasi", "-s"])
            .args(features)
            .args(flags)
            .arg(&source)
            .arg("-o")
            .arg(out.join(format!("{name}.wasm"))))?;
        run(zig(&["cc"])
            .args(flags)
            .arg(&source)
            .arg("-o")
            .arg(out.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))))?;
    }
    Ok(())
}

/// The Rust targets whose runtime library `cargo xtask runtime` builds by default: one
/// per supported target (the host's own glibc build comes with `cargo build`). A
/// staticlib needs no linker, so they all build on any host.
fn runtime_targets() -> Vec<&'static str> {
    kiln_targets::TARGETS
        .iter()
        .map(|t| t.rust_triple)
        .collect()
}

/// `cargo xtask runtime [--release] [--target TRIPLE]...`: builds the runtime library
/// for other targets, where `kiln` of the same profile finds it.
fn runtime(args: &[String]) -> Result<ExitCode, String> {
    let release = args.iter().any(|a| a == "--release");
    let mut targets: Vec<&str> = args
        .windows(2)
        .filter(|w| w[0] == "--target")
        .map(|w| w[1].as_str())
        .collect();
    if targets.is_empty() {
        targets = runtime_targets();
    }
    build_runtimes(&repo_root(), &targets, release)?;
    Ok(ExitCode::SUCCESS)
}

fn build_runtimes(root: &Path, targets: &[&str], release: bool) -> Result<(), String> {
    let installed = installed_targets()?;
    for target in targets {
        if !installed.iter().any(|t| t == target) {
            return Err(format!(
                "the Rust target {target} is not installed; run `rustup target add {target}`"
            ));
        }
        step(&format!("building the runtime library for {target}"));
        let mut command = cargo();
        command
            .current_dir(root)
            .args(["build", "-p", "kiln-runtime", "--target", target]);
        if release {
            command.arg("--release");
        }
        run(&mut command)?;
    }
    Ok(())
}

fn installed_targets() -> Result<Vec<String>, String> {
    let output = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("cannot run `rustup target list --installed`: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .collect())
}

fn spec_only(args: &[String]) -> Result<ExitCode, String> {
    let root = repo_root();
    step("building kiln, the runtime library and the spec runner");
    run(cargo()
        .current_dir(&root)
        .args(["build", "-p", "kiln-runtime", "-p", "kiln-spec-tests"]))?;
    let (_, failed) = run_spec(&target_dir(&root), args)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `kiln-spec`, echoing its output; its last line is `N passed, M failed`.
fn run_spec(target: &Path, args: &[String]) -> Result<(usize, usize), String> {
    run_summarised(&target.join("debug/kiln-spec"), args)
}

/// Runs a tool that ends with a `N passed, M failed` line, echoing its output.
fn run_summarised(exe: &Path, args: &[String]) -> Result<(usize, usize), String> {
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let mut summary = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.map_err(|e| format!("reading {} output: {e}", exe.display()))?;
        println!("{line}");
        summary = parse_summary(&line).or(summary);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    match summary {
        Some(counts) => Ok(counts),
        None => Err(format!(
            "{} ended ({status}) without a summary",
            exe.display()
        )),
    }
}

/// `26716 passed, 0 failed` → (26716, 0).
fn parse_summary(line: &str) -> Option<(usize, usize)> {
    let (passed, failed) = line.split_once(" passed, ")?;
    Some((
        passed.parse().ok()?,
        failed.strip_suffix(" failed")?.parse().ok()?,
    ))
}

/// The spec testsuites `cargo xtask test` runs (`kiln-spec --suite`).
const SPEC_SUITES: [&str; 2] = ["2.0", "3.0"];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// Installs the Rust targets the tests need (rustup fetches them from its server).
fn ensure_rust_targets(targets: &[&str]) -> Result<(), String> {
    let installed = installed_targets()?;
    let missing: Vec<&str> = targets
        .iter()
        .copied()
        .filter(|t| !installed.iter().any(|i| i == t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("installing Rust targets: {}", missing.join(" ")));
    run(Command::new("rustup")
        .args(["target", "add"])
        .args(&missing))
}

/// Runs `cargo test --workspace`, echoing its output, and adds up its
/// `test result:` lines.
fn cargo_test(root: &Path, extra: &[String]) -> Result<(usize, usize), String> {
    let mut args = vec!["--workspace".to_string()];
    args.extend(extra.iter().cloned());
    cargo_test_args(root, &args, &[])
}

fn cargo_test_args(
    root: &Path,
    args: &[String],
    env: &[(&str, &str)],
) -> Result<(usize, usize), String> {
    let mut child = cargo()
        .current_dir(root)
        .args(["test", "--no-fail-fast"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let (mut passed, mut failed) = (0, 0);
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.map_err(|e| format!("reading cargo test output: {e}"))?;
        println!("{line}");
        if let Some((p, f)) = parse_test_result(&line) {
            passed += p;
            failed += f;
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() && failed == 0 {
        // A build failure or a crashed test binary: no result line says so.
        failed += 1;
        eprintln!("xtask: cargo test failed ({status})");
    }
    Ok((passed, failed))
}

/// `test result: ok. 8 passed; 1 failed; ...` → (8, 1).
fn parse_test_result(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("test result: ")?;
    let count = |word: &str| -> Option<usize> {
        rest.split(';')
            .map(str::trim)
            .map(|part| {
                part.trim_start_matches("ok. ")
                    .trim_start_matches("FAILED. ")
            })
            .find_map(|part| part.strip_suffix(word)?.trim().parse().ok())
    };
    Some((count(" passed")?, count(" failed")?))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn step(what: &str) {
    eprintln!("xtask: {what}");
}

/// The workspace root: the parent of this package's directory.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

/// Where cargo puts build output: `$CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_test_result;

    #[test]
    fn test_result_lines() {
        let ok = "test result: ok. 8 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(parse_test_result(ok), Some((8, 0)));
        let bad = "test result: FAILED. 5 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_test_result(bad), Some((5, 1)));
        assert_eq!(parse_test_result("running 3 tests"), None);
        assert_eq!(
            super::parse_summary("26716 passed, 2 failed"),
            Some((26716, 2))
        );
        assert_eq!(super::parse_summary("skipped: 58 files"), None);
    }
}
