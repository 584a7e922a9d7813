//! Where the tests find what `cargo xtask test` built: `kiln`, fixtures, the wasm and
//! native test programs, and the real-world tools.

use super::*;

/// The target directory's profile directory this test binary was built into
/// (`target/<profile>`), derived from `target/<profile>/deps/<test binary>`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary has a parent directory");
    let dir = if deps.file_name() == Some(OsStr::new("deps")) {
        deps.parent().expect("deps/ has a parent")
    } else {
        deps
    };
    dir.to_path_buf()
}

/// The cargo target directory (`target/`), which also holds the prebuilt
/// `wasm-programs/` and `native-programs/`.
pub fn target_dir() -> PathBuf {
    let profile = profile_dir();
    let mut dir = profile
        .parent()
        .expect("profile dir has a parent")
        .to_path_buf();
    // With `--target <triple>` the layout is target/<triple>/<profile>.
    if !dir.join("wasm-programs").exists()
        && dir
            .parent()
            .is_some_and(|p| p.join("wasm-programs").exists())
    {
        dir = dir.parent().unwrap().to_path_buf();
    }
    dir
}

/// The `kiln` binary built alongside these tests, or the one named by the
/// `KILN_BIN` environment variable (e.g. to test a release build).
pub fn kiln_exe() -> PathBuf {
    if let Some(exe) = std::env::var_os("KILN_BIN") {
        let exe = PathBuf::from(exe);
        assert!(exe.is_file(), "KILN_BIN={} does not exist", exe.display());
        return exe;
    }
    let exe = profile_dir().join(format!("kiln{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.is_file(),
        "{} does not exist: {BUILD_HINT}",
        exe.display()
    );
    exe
}

/// The root of the repository.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testsuite/ has a parent")
        .to_path_buf()
}

/// A WAT fixture, by path relative to `testsuite/wat/` (e.g. `traps/unreachable.wat`).
pub fn wat_fixture(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("wat")
        .join(relative);
    assert!(path.is_file(), "fixture {} does not exist", path.display());
    path
}

/// A file from the repository's `examples/` directory.
pub fn example(name: &str) -> PathBuf {
    let path = repo_dir().join("examples").join(name);
    assert!(path.is_file(), "example {} does not exist", path.display());
    path
}

/// A Rust program from `testsuite/programs/`, prebuilt for wasm32-wasip1.
pub fn wasm_program(name: &str) -> PathBuf {
    prebuilt(
        target_dir().join("wasm-programs/wasm32-wasip1/release"),
        &format!("{name}.wasm"),
    )
}

/// The same Rust program built natively for the host, to compare outputs with.
pub fn native_program(name: &str) -> PathBuf {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    prebuilt(target_dir().join("native-programs/release"), &file)
}

/// A SIMD program from `testsuite/programs/` (`simd_*`), prebuilt for wasm32-wasip1
/// with `-C target-feature=+simd128`; its native build is [`native_program`].
pub fn wasm_simd_program(name: &str) -> PathBuf {
    let dir = target_dir().join("wasm-simd-programs/wasm32-wasip1/release");
    prebuilt(dir, &format!("{name}.wasm"))
}

/// `dir/file`, which `cargo xtask test` builds before the tests run.
fn prebuilt(dir: PathBuf, file: &str) -> PathBuf {
    let path = dir.join(file);
    assert!(
        path.is_file(),
        "{} does not exist: {BUILD_HINT}",
        path.display()
    );
    path
}

/// A C program from `testsuite/programs/c/`, prebuilt by `zig cc`: the wasm32-wasi
/// module (with SIMD) and the native executable of the same source.
pub fn c_program(name: &str) -> (PathBuf, PathBuf) {
    let dir = target_dir().join("c-programs");
    let wasm = dir.join(format!("{name}.wasm"));
    let native = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    for path in [&wasm, &native] {
        assert!(
            path.is_file(),
            "{} does not exist: run `cargo xtask test` (it builds the C programs with zig cc, \
             from `python3 -m pip install ziglang==0.17.1`; CI installs it in .ci/run)",
            path.display()
        );
    }
    (wasm, native)
}

/// The prebuilt `.wasm` and native executable of a real-world tool that `cargo xtask
/// test` installs from crates.io (see `xtask/src/realworld.rs`).
pub fn realworld_binaries(bin: &str) -> (PathBuf, PathBuf) {
    realworld_build(bin, "wasm")
}

/// Like [`realworld_binaries`], with the module built with wasm SIMD (`+simd128`;
/// `SIMD_TOOLS` in `xtask/src/realworld.rs`).
pub fn realworld_simd_binaries(bin: &str) -> (PathBuf, PathBuf) {
    realworld_build(bin, "wasm-simd")
}

fn realworld_build(bin: &str, wasm_dir: &str) -> (PathBuf, PathBuf) {
    let root = target_dir().join("realworld");
    let wasm = root.join(wasm_dir).join("bin").join(format!("{bin}.wasm"));
    let native = root
        .join("native/bin")
        .join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    for path in [&wasm, &native] {
        assert!(
            path.is_file(),
            "{} does not exist: run `cargo xtask test` (it builds the real-world tools with \
             `cargo install`)",
            path.display()
        );
    }
    (wasm, native)
}

/// `testsuite/realworld-inputs/`: the inputs fed to the real-world tools.
pub fn realworld_inputs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("realworld-inputs")
}
