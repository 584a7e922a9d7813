//! The runner must be able to fail: the same small `.wast` file passes with a correct
//! translation and fails when `i32.sub` is deliberately miscompiled.

use kiln::Options;
use kiln_spec_tests::{run_file, Config, FileReport};
use std::path::PathBuf;
use std::time::Duration;

const WAST: &str = r#"
(module
  (func (export "sub") (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $loop (export "loop") (call $loop)))
(assert_return (invoke "sub" (i32.const 5) (i32.const 3)) (i32.const 2))
(assert_return (invoke "sub" (i32.const 0) (i32.const 1)) (i32.const -1))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_return (invoke "sub" (i32.const 10) (i32.const 4)) (i32.const 6))
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module quote "(func (i32.sub))x") "unexpected token")
"#;

/// `target/<profile>`, where `cargo xtask test` builds the runtime library.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn run(name: &str, options: Options) -> FileReport {
    let dir = profile_dir().join("spec-runner-test").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sub.wast");
    std::fs::write(&file, WAST).unwrap();
    let runtime_lib = profile_dir().join("libkiln_runtime.a");
    assert!(
        runtime_lib.is_file(),
        "{} is missing: run `cargo xtask test` (it builds the runtime first)",
        runtime_lib.display()
    );
    let config = Config {
        options,
        work_dir: dir.join("work"),
        runtime_lib,
        runner: Vec::new(),
        timeout: Duration::from_secs(60),
    };
    run_file(&file, &config)
}

#[test]
fn a_correct_translation_passes_every_assertion() {
    let report = run("correct", Options::default());
    assert_eq!(report.assertions, 7, "{report:?}");
    assert_eq!(report.passed, 7, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
}

#[test]
fn a_broken_translation_fails() {
    let options = Options {
        swap_i32_sub_operands: true,
        ..Options::default()
    };
    let report = run("broken", options);
    // The three `sub` results are wrong; traps, exhaustion and rejections still pass.
    assert_eq!(report.failed, 3, "{report:?}");
    assert_eq!(report.passed, 4, "{report:?}");
    assert!(
        report.failures.iter().all(|f| f.contains("invoke \"sub\"")),
        "{report:?}"
    );
}
