//! Executables keep a symbol per compiled wasm function, named `wasm[INDEX]::NAME` after
//! the name section (demangled), so `perf report`, gdb and crash dumps show wasm
//! function names (README, "Profiling a Kiln executable"). Checked on the symbol table,
//! since perf has no hardware counters on CI machines.

use kiln_testsuite::{compile_ok, run, wasm_program, wasm_symbol_names, Scratch};

#[test]
fn a_rust_program_s_functions_are_named_in_the_executable() {
    let scratch = Scratch::new("symbols");
    let exe = compile_ok(&wasm_program("collections"), &scratch, "collections", &[]);
    let names = wasm_symbol_names(&exe);
    assert!(
        names.iter().any(|n| n.ends_with("::collections::main")),
        "no symbol for collections::main among {} wasm symbols: {:?}",
        names.len(),
        &names[..names.len().min(20)]
    );
    assert!(
        names.iter().any(|n| n.contains("::alloc::")),
        "no demangled standard-library names: {:?}",
        &names[..names.len().min(20)]
    );
}

/// The `wasm[...]` symbols of an executable, and its size.
fn wasm_symbols(exe: &std::path::Path) -> (usize, u64) {
    let size = std::fs::metadata(exe).unwrap().len();
    (wasm_symbol_names(exe).len(), size)
}

#[test]
fn strip_leaves_the_names_out_and_the_program_still_runs() {
    let scratch = Scratch::new("strip");
    let wasm = wasm_program("collections");
    // The host's own recipe (cc) and the static one (rust-lld).
    for (label, flags) in [
        ("host", &[][..]),
        ("static", &["--target", "x86_64-linux"][..]),
    ] {
        let full = compile_ok(&wasm, &scratch, &format!("{label}-full"), flags);
        let stripped_flags: Vec<&str> = flags.iter().copied().chain(["--strip"]).collect();
        let stripped = compile_ok(
            &wasm,
            &scratch,
            &format!("{label}-stripped"),
            &stripped_flags,
        );
        let (named, full_size) = wasm_symbols(&full);
        let (left, stripped_size) = wasm_symbols(&stripped);
        assert!(
            named > 100,
            "{label}: only {named} wasm symbols without --strip"
        );
        assert_eq!(left, 0, "{label}: --strip left {left} wasm symbols");
        assert!(
            stripped_size < full_size,
            "{label}: stripped {stripped_size} bytes, not smaller than {full_size}"
        );
        let (a, b) = (run(&full, &[], b""), run(&stripped, &[], b""));
        a.assert_success();
        b.assert_success();
        assert_eq!(a.stdout, b.stdout, "{label}: stripped output differs");
    }
}
