//! Every wasm trap kind, from the fixtures in `testsuite/wat/traps/`.
//!
//! Each fixture prints `start`, calls function 3, `trap_here`, which traps,
//! and would print `after trap` if execution went on. The executable must
//! report `error: wasm trap: <message>` as the first stderr line, name the
//! trapping function on the second, exit with status 134 and not die from a
//! signal. Every fixture is run with guard-page and with explicit bounds checks.

use kiln_testsuite::{compile_and_run_fixture, TRAP_STATUS};

/// The function every trap fixture traps in.
const TRAP_FUNCTION: &str = "  in wasm function 3 `trap_here`";

/// Whether the trapping function must be named. Traps raised by compiled code
/// map to a function through the trap table; a few operations may be
/// implemented as calls into the runtime, where the function may be unknown:
/// there the line is optional, but must be right when present.
#[derive(Clone, Copy, PartialEq)]
enum Frame {
    Required,
    IfKnown,
}

fn check_trap(fixture: &str, message: &str, frame: Frame) {
    let expected_first = format!("error: wasm trap: {message}");
    let expected_stdout = if fixture == "in_start_function" {
        ""
    } else {
        "start\n"
    };
    for flags in [&[][..], &["--bounds-checks", "explicit"][..]] {
        let out = compile_and_run_fixture(&format!("traps/{fixture}.wat"), flags);
        let context = format!(
            "fixture {fixture} compiled with {flags:?}\n{}",
            out.describe()
        );
        out.assert_status(TRAP_STATUS);
        out.assert_first_stderr_line(&expected_first);
        assert_eq!(
            out.stdout_text(),
            expected_stdout,
            "stdout before the trap, and nothing after it: {context}"
        );
        let lines = out.stderr_lines();
        match (frame, lines.get(1)) {
            (_, Some(line)) if line.starts_with("  in wasm function") => {
                let rest = line.strip_prefix(TRAP_FUNCTION);
                assert!(rest.is_some(), "wrong trapping function: {context}");
                check_offset(fixture, rest.unwrap(), &context);
            }
            (Frame::IfKnown, _) => {}
            (Frame::Required, _) => {
                panic!("expected `{TRAP_FUNCTION}` as the second stderr line: {context}")
            }
        }
    }
}

/// After the function: nothing (a trap in the prologue's stack check, which is no wasm
/// instruction) or ` at offset 0xHEX`, the offset in the module of an instruction of
/// `trap_here` (function 3, the third body: every fixture imports one function).
fn check_offset(fixture: &str, rest: &str, context: &str) {
    if rest.is_empty() {
        return;
    }
    let hex = rest
        .strip_prefix(" at offset 0x")
        .unwrap_or_else(|| panic!("expected ` at offset 0xHEX` after the function: {context}"));
    let offset = usize::from_str_radix(hex, 16).expect("a hexadecimal offset");
    let wasm = wat::parse_file(kiln_testsuite::wat_fixture(&format!("traps/{fixture}.wat")))
        .expect("the fixture parses");
    let body = wasmparser::Parser::new(0)
        .parse_all(&wasm)
        .filter_map(|p| match p.unwrap() {
            wasmparser::Payload::CodeSectionEntry(body) => Some(body),
            _ => None,
        })
        .nth(2)
        .expect("function 3 has a body");
    let mut ops = body.get_operators_reader().unwrap();
    let mut instructions = Vec::new();
    while !ops.eof() {
        instructions.push(ops.read_with_offset().unwrap().1);
    }
    assert!(
        instructions.contains(&offset),
        "offset {offset:#x} is not an instruction of `trap_here` ({instructions:x?}): {context}"
    );
}

macro_rules! traps {
    ($($fixture:ident => $message:literal, $frame:ident;)*) => {
        /// Every fixture in testsuite/wat/traps/ has a test below.
        const FIXTURES: &[&str] = &[$(stringify!($fixture)),*];
        $(
            #[test]
            fn $fixture() {
                check_trap(stringify!($fixture), $message, Frame::$frame);
            }
        )*
    };
}

traps! {
    unreachable => "unreachable instruction executed", Required;
    not_caught_by_catch_all => "unreachable instruction executed", Required;
    in_start_function => "unreachable instruction executed", Required;
    div_by_zero_i32 => "integer divide by zero", Required;
    in_tail_called_function => "integer divide by zero", Required;
    rem_by_zero_i64 => "integer divide by zero", Required;
    div_overflow_i32 => "integer overflow", Required;
    div_overflow_i64 => "integer overflow", Required;
    trunc_overflow_i32 => "integer overflow", Required;
    trunc_overflow_u64 => "integer overflow", Required;
    trunc_nan_i32 => "invalid conversion to integer", Required;
    trunc_nan_i64 => "invalid conversion to integer", Required;
    oob_load => "out of bounds memory access", Required;
    oob_load_straddle => "out of bounds memory access", Required;
    oob_load_high_address => "out of bounds memory access", Required;
    oob_load_large_offset => "out of bounds memory access", Required;
    oob_load_memory64 => "out of bounds memory access", Required;
    oob_store => "out of bounds memory access", Required;
    oob_store_offset => "out of bounds memory access", Required;
    oob_after_grow => "out of bounds memory access", Required;
    oob_memory_fill => "out of bounds memory access", IfKnown;
    oob_memory_copy => "out of bounds memory access", IfKnown;
    oob_memory_init_dropped => "out of bounds memory access", IfKnown;
    table_oob_call_indirect => "out of bounds table access", Required;
    table_oob_get => "out of bounds table access", IfKnown;
    table_oob_set => "out of bounds table access", IfKnown;
    table_oob_fill => "out of bounds table access", IfKnown;
    table_oob_copy => "out of bounds table access", IfKnown;
    table_oob_init_dropped => "out of bounds table access", IfKnown;
    indirect_call_null => "indirect call to null", Required;
    null_call_ref => "null reference", Required;
    unaligned_atomic => "unaligned atomic", Required;
    atomic_wait_unshared => "atomic wait on non-shared memory", Required;
    indirect_call_type_mismatch => "indirect call type mismatch", Required;
    indirect_call_arity_mismatch => "indirect call type mismatch", Required;
    stack_exhausted => "call stack exhausted", Required;
    stack_exhausted_big_frames => "call stack exhausted", Required;
    stack_exhausted_indirect => "call stack exhausted", Required;
}

#[test]
fn every_trap_fixture_has_a_test() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("wat/traps");
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
