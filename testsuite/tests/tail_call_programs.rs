//! A real program that depends on proper tail calls: `c/tail_interp.c`, a bytecode
//! interpreter whose handlers dispatch with `musttail`, built by `zig cc -mtail-call`
//! (every dispatch a wasm `return_call_indirect`, about 4 * 10^7 of them). Compiled by
//! kiln, its output must equal the same source built natively; without constant-stack
//! tail calls it would exhaust the stack.

use kiln_testsuite::{assert_same_output_as_native, c_program};

/// How often `wasm` uses each tail-call instruction.
fn tail_calls(wasm: &std::path::Path) -> (usize, usize) {
    let bytes = std::fs::read(wasm).unwrap();
    let (mut direct, mut indirect) = (0, 0);
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() else {
            continue;
        };
        let mut ops = body.get_operators_reader().unwrap();
        while !ops.eof() {
            match ops.read().unwrap() {
                wasmparser::Operator::ReturnCall { .. } => direct += 1,
                wasmparser::Operator::ReturnCallIndirect { .. } => indirect += 1,
                _ => {}
            }
        }
    }
    (direct, indirect)
}

#[test]
fn c_musttail_interpreter_matches_the_native_build() {
    let (wasm, native) = c_program("tail_interp");
    let (_, indirect) = tail_calls(&wasm);
    assert!(
        indirect >= 16,
        "{} should dispatch with return_call_indirect in every handler, has {indirect}",
        wasm.display()
    );
    assert_same_output_as_native(
        "tail_interp",
        &wasm,
        &native,
        &[&[], &["-O", "none"], &["--bounds-checks", "explicit"]],
    );
}
