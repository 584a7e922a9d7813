//! Exception handling end to end: an uncaught exception's report, and real C programs
//! whose setjmp/longjmp clang lowered to wasm exceptions (`c/sjlj_c.c`, in the legacy and
//! in the standard encoding), whose output must equal the native build's. The
//! instruction-level checks are `wat/instructions/exceptions.wat` (tests/instructions.rs)
//! and the spec suite.

use kiln_testsuite::{assert_same_output_as_native, c_program, compile_and_run_fixture};

/// An exception that reaches the host is reported with its tag's export name and ends
/// the program with status 1, as under `wasmtime run` (it is an error, not a trap).
#[test]
fn uncaught_exception_is_reported_with_its_tag() {
    for flags in [&[][..], &["--bounds-checks", "explicit"][..]] {
        let out = compile_and_run_fixture("exceptions/uncaught.wat", flags);
        out.assert_status(1);
        out.assert_first_stderr_line("error: wasm exception: uncaught exception (tag `boom`)");
        assert_eq!(out.stdout_text(), "start\n", "{}", out.describe());
    }
}

fn check_sjlj(name: &str, legacy: bool) {
    let (wasm, native) = c_program(name);
    let bytes = std::fs::read(&wasm).unwrap();
    let (mut legacy_ops, mut standard_ops) = (0, 0);
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() else {
            continue;
        };
        let mut ops = body.get_operators_reader().unwrap();
        while !ops.eof() {
            match ops.read().unwrap() {
                wasmparser::Operator::Try { .. } | wasmparser::Operator::Delegate { .. } => {
                    legacy_ops += 1
                }
                wasmparser::Operator::TryTable { .. } => standard_ops += 1,
                _ => {}
            }
        }
    }
    let (used, other) = if legacy {
        (legacy_ops, standard_ops)
    } else {
        (standard_ops, legacy_ops)
    };
    assert!(
        used > 0 && other == 0,
        "{} should use only the {} encoding: {legacy_ops} try/delegate, {standard_ops} try_table",
        wasm.display(),
        if legacy { "legacy" } else { "standard" }
    );
    assert_same_output_as_native(
        name,
        &wasm,
        &native,
        &[&[], &["-O", "none"], &["--bounds-checks", "explicit"]],
    );
}

#[test]
fn setjmp_longjmp_as_legacy_exceptions_match_the_native_build() {
    check_sjlj("sjlj_legacy", true);
}

#[test]
fn setjmp_longjmp_as_standard_exceptions_match_the_native_build() {
    check_sjlj("sjlj_standard", false);
}
