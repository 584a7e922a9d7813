//! Modules the differential fuzzer (`cargo xtask fuzz`) found, pinned as `.wast` scripts in
//! `testsuite/fuzz-regressions/`: each call's results and every exported global after it,
//! as Kiln computed them and wasmtime confirmed (see each file's header). Run through the
//! spec runner: compiled by the same compiler, linked with the same runtime.

use kiln_spec_tests::{run_file, Config};
use kiln_testsuite::{profile_dir, repo_dir, Scratch};
use std::path::PathBuf;
use std::time::Duration;

#[test]
fn fuzz_findings_keep_their_confirmed_values() {
    let dir = repo_dir().join("testsuite/fuzz-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scripts in {}", dir.display());
    let scratch = Scratch::new("fuzz-regressions");
    let runtime_lib = profile_dir().join("libkiln_runtime.a");
    assert!(
        runtime_lib.is_file(),
        "{} is missing: run `cargo xtask test`",
        runtime_lib.display()
    );
    for bounds_checks in [kiln::BoundsChecks::Guard, kiln::BoundsChecks::Explicit] {
        let config = Config {
            options: kiln::Options {
                bounds_checks,
                ..kiln::Options::default()
            },
            work_dir: scratch.join(&format!("{bounds_checks:?}")),
            runtime_lib: runtime_lib.clone(),
            runner: Vec::new(),
            timeout: Duration::from_secs(60),
        };
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy();
            let report = run_file(file, &name, &config);
            assert!(
                report.failed == 0 && report.passed == report.assertions && report.assertions > 0,
                "{} ({bounds_checks:?}): {} of {} passed\n{}",
                file.display(),
                report.passed,
                report.assertions,
                report.failures.join("\n")
            );
        }
    }
}
