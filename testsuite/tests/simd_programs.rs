//! Real SIMD programs: `simd_intrinsics` (Rust with `core::arch::wasm32`
//! intrinsics) and `simd_autovec` (plain Rust loops that LLVM vectorises), both
//! built for wasm32-wasip1 with `-C target-feature=+simd128`, and `c/simd_c.c`
//! (C with `<wasm_simd128.h>`, built by `zig cc -msimd128`), all in
//! `testsuite/programs/`. Each is compiled by kiln and its output compared byte
//! for byte with the same source built natively, where every SIMD kernel is a
//! scalar twin with wasm's semantics.
//!
//! First each module is checked to really contain v128 instructions: a build
//! that lost its SIMD flags would otherwise pass unnoticed.

use std::collections::BTreeMap;
use std::path::Path;

use kiln_testsuite::{
    assert_same_output_as_native, c_program, native_program, wasm_simd_program, TARGET_ENV,
};

/// The SIMD instructions in a module's code and how often each occurs, by
/// wasmparser's operator name (`V128Load`, `I8x16Shuffle`, `F32x4Sqrt`, ...).
fn simd_instructions(wasm: &Path) -> BTreeMap<String, usize> {
    let bytes =
        std::fs::read(wasm).unwrap_or_else(|e| panic!("cannot read {}: {e}", wasm.display()));
    let mut counts = BTreeMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let payload = payload.unwrap_or_else(|e| panic!("{}: {e}", wasm.display()));
        let wasmparser::Payload::CodeSectionEntry(body) = payload else {
            continue;
        };
        let mut ops = body.get_operators_reader().expect("function body");
        while !ops.eof() {
            let op = ops
                .read()
                .unwrap_or_else(|e| panic!("{}: {e}", wasm.display()));
            // The variant's name is the Debug text up to its fields; every SIMD
            // operator (and only those) is named after its lane shape.
            let text = format!("{op:?}");
            let name = text.split([' ', '{', '(']).next().unwrap_or_default();
            let shapes = ["V128", "I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"];
            if shapes.iter().any(|shape| name.starts_with(shape)) {
                *counts.entry(name.to_string()).or_default() += 1;
            }
        }
    }
    counts
}

/// Fails unless the module contains each of `required` (and some SIMD at all).
fn assert_uses_simd(wasm: &Path, required: &[&str]) {
    let counts = simd_instructions(wasm);
    let missing: Vec<&&str> = required
        .iter()
        .filter(|name| !counts.contains_key(**name))
        .collect();
    assert!(
        !counts.is_empty() && missing.is_empty(),
        "{} should contain v128 instructions, including {required:?}; missing {missing:?}; \
         it has {counts:?}",
        wasm.display()
    );
}

#[test]
fn the_modules_really_use_simd() {
    assert_uses_simd(
        &wasm_simd_program("simd_intrinsics"),
        &[
            "V128Load",
            "V128Store",
            "I8x16Shuffle",
            "I8x16Swizzle",
            "I8x16Bitmask",
            "V128AnyTrue",
            "I32x4AllTrue",
            "I8x16Eq",
            "I8x16AddSatU",
            "I16x8AddSatS",
            "I8x16NarrowI16x8U",
            "I16x8ExtendLowI8x16U",
            "I32x4DotI16x8S",
            "I32x4ExtractLane",
            "F32x4Add",
            "F32x4Mul",
            "F32x4Min",
            "F32x4Max",
            "F32x4Sqrt",
        ],
    );
    // Whatever LLVM chose: at least vector loads.
    assert_uses_simd(&wasm_simd_program("simd_autovec"), &["V128Load"]);
    assert_uses_simd(
        &c_program("simd_c").0,
        &[
            "V128Load",
            "V128Store",
            "I8x16Shuffle",
            "I8x16Swizzle",
            "I8x16Bitmask",
            "V128AnyTrue",
            "I32x4AllTrue",
            "I32x4DotI16x8S",
            "F32x4Sqrt",
            "F32x4Min",
        ],
    );
}

/// `flag_sets`, plus `--cpu native` (on x86-64 the v128 instructions may then use
/// AVX) when the executables are for this machine's architecture: kiln refuses
/// `--cpu native` for another one.
fn with_cpu_native<'a>(flag_sets: &[&'a [&'a str]]) -> Vec<&'a [&'a str]> {
    let mut sets = flag_sets.to_vec();
    let target = std::env::var(TARGET_ENV).unwrap_or_default();
    if target.is_empty() || target.starts_with(std::env::consts::ARCH) {
        sets.push(&["--cpu", "native"]);
    }
    sets
}

#[test]
fn rust_intrinsics_match_the_native_build() {
    // The widest use of SIMD: also unoptimised (no folding of constant vectors)
    // and with explicit bounds checks on every v128 load and store.
    assert_same_output_as_native(
        "simd_intrinsics",
        &wasm_simd_program("simd_intrinsics"),
        &native_program("simd_intrinsics"),
        &with_cpu_native(&[&[], &["-O", "none"], &["--bounds-checks", "explicit"]]),
    );
}

#[test]
fn rust_autovectorised_loops_match_the_native_build() {
    assert_same_output_as_native(
        "simd_autovec",
        &wasm_simd_program("simd_autovec"),
        &native_program("simd_autovec"),
        &with_cpu_native(&[&[], &["--bounds-checks", "explicit"]]),
    );
}

#[test]
fn c_with_wasm_simd128_h_matches_the_native_build() {
    let (wasm, native) = c_program("simd_c");
    assert_same_output_as_native(
        "simd_c",
        &wasm,
        &native,
        &with_cpu_native(&[&[], &["-O", "none"], &["--bounds-checks", "explicit"]]),
    );
}
