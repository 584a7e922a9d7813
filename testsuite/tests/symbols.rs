//! Executables keep a symbol per compiled wasm function, named `wasm[INDEX]::NAME` after
//! the name section (demangled), so `perf report`, gdb and crash dumps show wasm
//! function names (README, "Profiling a Kiln executable"). Checked on the symbol table,
//! since perf has no hardware counters on CI machines.

use kiln_testsuite::{compile_ok, wasm_program, Scratch};
use object::{Object, ObjectSymbol};

#[test]
fn a_rust_program_s_functions_are_named_in_the_executable() {
    let scratch = Scratch::new("symbols");
    let exe = compile_ok(&wasm_program("collections"), &scratch, "collections", &[]);
    let bytes = std::fs::read(&exe).unwrap();
    let file = object::File::parse(&*bytes).unwrap();
    let names: Vec<String> = file
        .symbols()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .filter(|n| n.starts_with("wasm["))
        .collect();
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
