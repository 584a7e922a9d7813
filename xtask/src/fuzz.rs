//! `cargo xtask fuzz [kiln-fuzz ARGS...]` — a fuzz campaign (see `fuzz/src/lib.rs` and the
//! README's "Fuzzing"), and the short fixed-seed round `cargo xtask test` runs.

use crate::{cargo, repo_root, run, run_summarised, step, target_dir};
use std::path::Path;
use std::process::ExitCode;

pub fn fuzz(args: &[String]) -> Result<ExitCode, String> {
    let root = repo_root();
    build(&root)?;
    let (_, failed) = run_summarised(&exe(&target_dir(&root)), args)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Builds the runtime library (dev profile) and kiln-fuzz (profile `fuzz`, which unwinds:
/// see the workspace Cargo.toml).
fn build(root: &Path) -> Result<(), String> {
    step("building kiln-fuzz (profile fuzz) and the runtime library");
    run(cargo()
        .current_dir(root)
        .args(["build", "-p", "kiln-runtime"]))?;
    run(cargo()
        .current_dir(root)
        .args(["build", "--profile", "fuzz", "-p", "kiln-fuzz"]))
}

fn exe(target: &Path) -> std::path::PathBuf {
    target.join("fuzz/kiln-fuzz")
}

/// The CI round: fixed seeds and module counts (so every run tries the same cases), both
/// bounds-check modes, compiler fuzzing between batches; then a round with a deliberately
/// broken `i32.sub`, which must report a divergence. About two minutes here.
pub fn ci_round(root: &Path, target: &Path) -> Result<(usize, usize), String> {
    build(root)?;
    let exe = exe(target);
    let scratch = target.join("fuzz-ci");
    let common = |seed: &str, work: &str| {
        [
            "--seed",
            seed,
            "--work-dir",
            &scratch.join(work).to_string_lossy(),
            "--regressions",
            &scratch.join(work).join("regressions").to_string_lossy(),
        ]
        .map(String::from)
        .to_vec()
    };
    let (mut passed, mut failed) = (0, 0);
    for (mode, seed, modules) in [("guard", "1", "4800"), ("explicit", "2", "2400")] {
        step(&format!("fuzzing: {modules} modules, {mode} bounds checks"));
        let mut args = common(seed, mode);
        args.extend(
            [
                "--bounds-checks",
                mode,
                "--modules",
                modules,
                "--seconds",
                "600",
            ]
            .map(String::from),
        );
        let (p, f) = run_summarised(&exe, &args)?;
        passed += p;
        failed += f;
    }
    step("fuzzing with a deliberately miscompiled i32.sub: a divergence must be reported");
    let mut args = common("3", "injected");
    args.extend(
        [
            "--inject-fault",
            "--modules",
            "8",
            "--batch",
            "8",
            "--shrink-seconds",
            "0",
        ]
        .map(String::from),
    );
    let (_, f) = run_summarised(&exe, &args)?;
    if f > 0 {
        println!("fault injection: the fuzzer reported {f} divergences, as it must");
        passed += 1;
    } else {
        println!("FAILED: fault injection: the fuzzer found no divergence in a broken compiler");
        failed += 1;
    }
    Ok((passed, failed))
}
