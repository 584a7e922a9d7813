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

/// v128 values across module boundaries: globals exported and imported (constant and
/// mutable, read through `get` and through code), functions taking and returning v128
/// called from another module and through a table, and v128 in blocks and `select`.
const SIMD_LINKING: &str = r#"
(module $A
  (global (export "g") v128 (v128.const i32x4 1 2 3 4))
  (global $mg (export "mg") (mut v128) (v128.const i64x2 -1 7))
  (table (export "t") 1 funcref)
  (elem (i32.const 0) $swap)
  (func $swap (export "swap") (param v128 i32 v128) (result v128 i32 v128)
    (local.get 2) (local.get 1) (local.get 0))
  (func (export "set") (param v128) (global.set $mg (local.get 0))))
(register "A" $A)
(module $B
  (import "A" "g" (global $g v128))
  (import "A" "mg" (global $mg (mut v128)))
  (import "A" "swap" (func $swap (param v128 i32 v128) (result v128 i32 v128)))
  (import "A" "t" (table 1 funcref))
  (type $swap_t (func (param v128 i32 v128) (result v128 i32 v128)))
  (global (export "copy") v128 (global.get $g))
  (func (export "sum") (result v128)
    (i32x4.add (global.get $g) (global.get $mg)))
  (func (export "bump")
    (global.set $mg (i64x2.add (global.get $mg) (v128.const i64x2 1 1))))
  (func (export "swap_direct") (result v128)
    (call $swap (global.get $g) (i32.const 9) (v128.const f32x4 0.5 -0 inf -1))
    (drop) (drop))
  (func (export "swap_indirect") (result v128)
    (call_indirect (type $swap_t) (global.get $g) (i32.const 9) (v128.const f64x2 1.5 -2)
      (i32.const 0))
    (drop) (drop))
  (func (export "pick") (param i32) (result v128)
    (block (result v128)
      (select (global.get $g) (v128.const i8x16 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9)
        (local.get 0)))))
(assert_return (get $A "g") (v128.const i32x4 1 2 3 4))
(assert_return (get $B "copy") (v128.const i32x4 1 2 3 4))
(assert_return (invoke $B "sum") (v128.const i32x4 0 1 10 4))
(invoke $B "bump")
(assert_return (get $A "mg") (v128.const i64x2 0 8))
(invoke $A "set" (v128.const f32x4 nan -0 1 2))
(assert_return (get $A "mg") (v128.const f32x4 nan -0 1 2))
(assert_return (invoke $B "swap_direct") (v128.const f32x4 0.5 -0 inf -1))
(assert_return (invoke $B "swap_indirect") (v128.const f64x2 1.5 -2))
(assert_return (invoke $A "swap" (v128.const i16x8 1 2 3 4 5 6 7 8) (i32.const 3)
    (v128.const i16x8 -1 -2 -3 -4 -5 -6 -7 -8))
  (v128.const i16x8 -1 -2 -3 -4 -5 -6 -7 -8) (i32.const 3) (v128.const i16x8 1 2 3 4 5 6 7 8))
(assert_return (invoke $B "pick" (i32.const 1)) (v128.const i32x4 1 2 3 4))
(assert_return (invoke $B "pick" (i32.const 0)) (v128.const i8x16 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9))
"#;

/// `target/<profile>`, where `cargo xtask test` builds the runtime library.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn run(name: &str, options: Options) -> FileReport {
    run_text(name, WAST, options)
}

fn run_text(name: &str, wast: &str, options: Options) -> FileReport {
    let dir = profile_dir().join("spec-runner-test").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("test.wast");
    std::fs::write(&file, wast).unwrap();
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
    run_file(&file, "test.wast", &config)
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

#[test]
fn v128_values_cross_module_boundaries() {
    let report = run_text("simd-linking", SIMD_LINKING, Options::default());
    assert_eq!(report.assertions, 10, "{report:?}");
    assert_eq!(report.passed, 10, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
}
