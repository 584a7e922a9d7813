//! The cross-target runs of `cargo xtask test`: the end-to-end tests and the spec
//! testsuites for the targets [`kiln_targets::TARGETS`] says run here under an emulator
//! (qemu-user) or wine.

use crate::{cargo_test_args, on_path, run, run_spec, step, target_dir, SPEC_SUITES};
use kiln_targets::RunsHere;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs the end-to-end tests and spec suites for every target whose executables run here
/// other than directly: under an emulator or wine. A target whose runner is missing is
/// said and skipped.
pub(crate) fn run_all(root: &Path, target: &Path) -> Result<(usize, usize), String> {
    let (mut passed, mut failed) = (0, 0);
    for info in kiln_targets::TARGETS {
        let (runner, tools, packages) = match info.runs_here {
            RunsHere::Emulator(emulator) => (emulator, vec![emulator], "qemu-user"),
            RunsHere::Wine => (
                wine_runner(),
                vec!["wine", "x86_64-w64-mingw32-gcc"],
                "wine wine64 gcc-mingw-w64-x86-64",
            ),
            RunsHere::Directly | RunsHere::No => continue,
        };
        if let Some(missing) = tools.iter().find(|t| !on_path(t)) {
            println!(
                "not run: the {} end-to-end and spec runs (`{missing}` is not installed; \
                 Debian: apt-get install {packages})",
                info.name
            );
            continue;
        }
        if info.runs_here == RunsHere::Wine {
            start_wine(target)?;
        }
        let (p, f) = run_cross(root, info.name, runner)?;
        passed += p;
        failed += f;
        if info.runs_here == RunsHere::Wine {
            let _ = Command::new("wineserver").arg("-k").status();
        }
    }
    Ok((passed, failed))
}

/// How the Windows executables run: under wine, without address-space randomization
/// where `setarch` can turn it off. With it, about one wine start in 5000 fails before
/// the program runs (exit status 1; `err:virtual:virtual_alloc_first_teb wine: failed to
/// map the shared user data: c0000018`, hidden by `WINEDEBUG=-all`): a randomly placed
/// mapping took the fixed address of that page. 5000 starts under `setarch -R` all ran.
fn wine_runner() -> &'static str {
    if on_path("setarch") {
        "setarch -R wine"
    } else {
        "wine"
    }
}

/// Prepares wine for the Windows runs: a prefix of our own under the target directory
/// (unless `WINEPREFIX` is set), no debug chatter, a persistent wineserver, and wine's
/// services started by `wineboot` with no pipes attached (services inherit the stdout of
/// the wine process that starts them, and a test would then never see end of output).
fn start_wine(target: &Path) -> Result<(), String> {
    let prefix = match std::env::var_os("WINEPREFIX") {
        Some(prefix) => PathBuf::from(prefix),
        None => target.join("wine-prefix"),
    };
    // wineserver needs the directory; wineboot fills it.
    std::fs::create_dir_all(&prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    std::env::set_var("WINEPREFIX", &prefix);
    std::env::set_var("WINEDEBUG", "-all");
    step("starting wine (the first time this creates its prefix, about 10 s)");
    // A server left running in this prefix (an interrupted run) makes `-p` fail: the
    // prefix is the project's own, so end it first.
    let _ = Command::new("wineserver")
        .arg("-k")
        .stderr(Stdio::null())
        .status();
    run(Command::new("wineserver").arg("-p"))?;
    let mut wine = wine_runner().split(' ');
    run(Command::new(wine.next().unwrap_or("wine"))
        .args(wine)
        .arg("wineboot")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null()))
}

/// For a cross `target` whose executables run here under `runner`: the end-to-end tests
/// that run executables, then the spec testsuites in both bounds-check modes.
fn run_cross(root: &Path, target: &str, runner: &str) -> Result<(usize, usize), String> {
    step(&format!(
        "running the end-to-end tests for {target} under {runner}"
    ));
    let (mut passed, mut failed) = cargo_test_cross(root, target, runner)?;
    println!("cargo test ({target}): {passed} passed, {failed} failed");
    for suite in SPEC_SUITES {
        for mode in ["guard", "explicit"] {
            step(&format!(
                "running the Wasm {suite} spec testsuite for {target} under {runner} ({mode})"
            ));
            let args = [
                "--suite",
                suite,
                "--target",
                target,
                "--bounds-checks",
                mode,
            ];
            let (p, f) = run_spec(&target_dir(root), &args.map(String::from))?;
            passed += p;
            failed += f;
        }
    }
    Ok((passed, failed))
}

/// The end-to-end tests that run executables, once more for a cross `target` whose
/// executables run under `runner`.
fn cargo_test_cross(root: &Path, target: &str, runner: &str) -> Result<(usize, usize), String> {
    let tests = [
        "programs",
        "simd_programs",
        "tail_call_programs",
        "atomics_programs",
        "exception_programs",
        "traps",
        "instructions",
        "sandbox_attacks",
        "wasi_fs",
        "limits",
    ];
    let mut args = vec!["-p".to_string(), "kiln-testsuite".to_string()];
    for test in tests {
        args.extend(["--test".to_string(), test.to_string()]);
    }
    // /proc/self is the emulator's own under qemu-user (which rewrites some of it) and
    // is Linux's, not Windows', under wine: the magic-link cases are for the host.
    args.extend(["--", "--skip", "proc_self_magic_links"].map(String::from));
    if target == "x86_64-windows" {
        // A symlink that a host process flips during the calls defeats any Windows
        // program under wine, whose handles are host paths (on Windows handles are
        // objects, and links are reparse points, which the runtime never follows).
        args.extend(["--skip", "symlink_swapped"].map(String::from));
        // The Windows runtime makes no symbolic links (these use them; the std::fs test
        // runs there without them) and has no `NONBLOCK` to set; under
        // wine a removed directory that a handle still holds keeps its name until the
        // handle closes (Windows 10 1809+ removes it at once).
        for test in [
            "std_fs_matches_the_native_build",
            "hard_links_symlinks_readlink",
            "filestat_set_times",
            "fdstat_flags_and_rights",
            "directories_readdir_remove_rename",
        ] {
            args.extend(["--skip".to_string(), test.to_string()]);
        }
    }
    let env = [("KILN_TEST_TARGET", target), ("KILN_TEST_RUNNER", runner)];
    cargo_test_args(root, &args, &env)
}
