//! Instruction-family fixtures from `testsuite/wat/instructions/`. Each one
//! checks hundreds of results against constants itself and prints `ok`, or
//! `FAIL <check number>` and exits with status 1 (the number is the
//! `(i32.const N)` passed to `$check_*` in the fixture).
//!
//! Every fixture is compiled at each optimisation level (`-O none` keeps
//! constant operands from being folded away, so the instructions themselves
//! run); the ones that touch linear memory also with explicit bounds checks.

use kiln_testsuite::compile_and_run_fixture;

const OPT_LEVELS: &[&[&str]] = &[&[], &["-O", "none"], &["-O", "speed-and-size"]];
const EXPLICIT_BOUNDS: &[&[&str]] = &[
    &["--bounds-checks", "explicit"],
    &["--bounds-checks", "explicit", "-O", "none"],
];

fn check_fixture(name: &str, uses_memory: bool) {
    let explicit: &[&[&str]] = if uses_memory { EXPLICIT_BOUNDS } else { &[] };
    for flags in OPT_LEVELS.iter().chain(explicit) {
        let out = compile_and_run_fixture(&format!("instructions/{name}.wat"), flags);
        assert!(
            out.status == 0 && out.stdout == b"ok\n" && out.stderr.is_empty(),
            "instructions/{name}.wat compiled with {flags:?} should print `ok`\n{}",
            out.describe()
        );
    }
}

macro_rules! fixtures {
    ($($test:ident: $file:literal, memory: $memory:literal;)*) => {
        /// Every fixture in testsuite/wat/instructions/ has a test below.
        const FIXTURES: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                check_fixture($file, $memory);
            }
        )*
    };
}

fixtures! {
    i32_arithmetic_bitwise_comparisons: "i32", memory: false;
    i64_arithmetic_bitwise_comparisons: "i64", memory: false;
    f32_arithmetic_rounding_min_max_sign: "f32", memory: false;
    f64_arithmetic_rounding_min_max_sign: "f64", memory: false;
    conversions: "conversions", memory: false;
    sign_extension: "sign_extension", memory: false;
    loads_and_stores: "memory_access", memory: true;
    memory_size_and_grow: "memory_grow", memory: true;
    memory_grow_without_maximum: "memory_grow_unbounded", memory: true;
    locals_and_globals: "locals_globals", memory: false;
    control_flow: "control", memory: false;
    multi_value: "multi_value", memory: false;
    calls_and_call_indirect: "calls", memory: false;
    bulk_memory_and_data_segments: "bulk_memory", memory: true;
    tables_elements_and_reference_types: "tables", memory: false;
    start_function: "start", memory: true;
    relaxed_simd_fixed_choices: "relaxed_simd", memory: false;
    tail_calls_in_constant_stack: "tail_calls", memory: false;
    multiple_memories: "multi_memory", memory: true;
    memory64_past_4_gib: "memory64", memory: true;
    typed_function_references: "typed_function_references", memory: false;
    exception_handling_and_legacy_encoding: "exceptions", memory: false;
}

#[test]
fn every_instruction_fixture_has_a_test() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("wat/instructions");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".wat").map(str::to_owned))
        .collect();
    on_disk.sort();
    let mut tested: Vec<&str> = FIXTURES.to_vec();
    tested.sort();
    assert_eq!(on_disk, tested);
}
