//! A real program with atomics: `c/atomics_c.c`, C11 `<stdatomic.h>` on 8- to 64-bit
//! values (fetch-add/sub/and/or/xor, exchange, compare-exchange, fences, a lock-free
//! stack), built by `zig cc -matomics` so each operation is a wasm atomic instruction.
//! Compiled by kiln, its output must equal the same source built natively.

use kiln_testsuite::{assert_same_output_as_native, c_program};

#[test]
fn c11_atomics_match_the_native_build() {
    let (wasm, native) = c_program("atomics_c");
    let bytes = std::fs::read(&wasm).unwrap();
    let mut atomics = 0;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() else {
            continue;
        };
        let mut ops = body.get_operators_reader().unwrap();
        while !ops.eof() {
            let name = format!("{:?}", ops.read().unwrap());
            atomics += usize::from(name.contains("Atomic"));
        }
    }
    assert!(
        atomics >= 10,
        "{} should use atomic instructions, has {atomics}",
        wasm.display()
    );
    assert_same_output_as_native(
        "atomics_c",
        &wasm,
        &native,
        &[&[], &["-O", "none"], &["--bounds-checks", "explicit"]],
    );
}
