//! Executables for Windows, checked structurally with the `object` crate: x86_64 ones
//! (linked by MinGW's gcc; they also run under wine in `cargo xtask test`) and aarch64
//! ones (linked by `zig cc`; nothing here can run them).
//!
//! Each must be a PE32+ console executable of the target's machine with an entry point,
//! hold the module descriptor `kiln_module`, and import only from Windows' own DLLs.
//! The linker is required: without it these tests fail and say how to install it.

use kiln_targets::{linker_available, Linker, Target};
use kiln_testsuite::{compile_ok, example, wasm_program, wasm_symbol_names, wat_fixture, Scratch};
use object::{Architecture, BinaryFormat, Object, ObjectKind, ObjectSymbol};
use std::path::Path;

struct WindowsTarget {
    name: &'static str,
    linker: Linker,
    arch: Architecture,
    install: &'static str,
}

const TARGETS: [WindowsTarget; 2] = [
    WindowsTarget {
        name: "x86_64-windows",
        linker: Linker::MingwGcc,
        arch: Architecture::X86_64,
        install: "apt-get install gcc-mingw-w64-x86-64",
    },
    WindowsTarget {
        name: "aarch64-windows",
        linker: Linker::ZigCc,
        arch: Architecture::Aarch64,
        install: "python3 -m pip install ziglang==0.17.1",
    },
];

/// Windows' own DLLs: the runtime calls kernel32, advapi32 (RtlGenRandom), shell32
/// (CommandLineToArgvW) and ntdll (handle-relative opens); the C runtime is msvcrt or the universal CRT.
fn system_dll(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "kernel32.dll",
        "advapi32.dll",
        "shell32.dll",
        "ntdll.dll",
        "msvcrt.dll",
        "ucrtbase.dll",
    ]
    .contains(&name.as_str())
        || name.starts_with("api-ms-win-crt-")
}

fn require_linker(target: &WindowsTarget) {
    let parsed = Target::parse(target.name).expect("a known target");
    if let Err(why) = linker_available(target.linker, &parsed) {
        panic!(
            "cannot link {} executables: {why} (install with `{}`; CI does in .ci/run)",
            target.name, target.install
        );
    }
}

fn check_executable(path: &Path, target: &WindowsTarget, what: &str) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    let file = object::File::parse(&*data).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(file.format(), BinaryFormat::Pe, "{what}: format");
    assert!(file.is_64(), "{what}: not PE32+");
    assert_eq!(file.architecture(), target.arch, "{what}: architecture");
    assert_eq!(file.kind(), ObjectKind::Executable, "{what}: kind");
    assert_ne!(file.entry(), 0, "{what}: no entry point");
    let imports = file
        .imports()
        .unwrap_or_else(|e| panic!("{what}: imports: {e}"));
    assert!(!imports.is_empty(), "{what}: imports nothing");
    for import in &imports {
        let library = String::from_utf8_lossy(import.library());
        assert!(
            system_dll(&library),
            "{what}: imports {} from {library}, not a Windows system DLL",
            String::from_utf8_lossy(import.name())
        );
    }
    // Stripped of its COFF symbol table, a PE still says what it is through its
    // imports; when the table is there, the descriptor must be in it.
    let symbols: Vec<String> = file
        .symbols()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .collect();
    if !symbols.is_empty() {
        assert!(
            symbols.iter().any(|s| s == "kiln_module"),
            "{what}: no kiln_module symbol"
        );
    }
}

fn compile_and_check(input: &Path, label: &str, flags: &[&str]) {
    let scratch = Scratch::new(&format!("windows-{label}"));
    for target in &TARGETS {
        require_linker(target);
        let name = format!("{label}-{}.exe", target.name);
        let mut args = vec!["--target", target.name];
        args.extend(flags);
        let exe = compile_ok(input, &scratch, &name, &args);
        check_executable(&exe, target, &format!("{label} for {}", target.name));
    }
    // Nothing but the executables is left behind.
    assert!(
        scratch.entries().iter().all(|e| !e.starts_with('.')),
        "{:?}",
        scratch.entries()
    );
}

#[test]
fn wat_example_links_for_windows() {
    compile_and_check(&example("hello.wat"), "hello-wat", &[]);
}

#[test]
fn trap_fixture_links_for_windows_in_both_bounds_check_modes() {
    let fixture = wat_fixture("traps/oob_load.wat");
    compile_and_check(&fixture, "oob-load", &[]);
    compile_and_check(
        &fixture,
        "oob-load-explicit",
        &["--bounds-checks", "explicit"],
    );
}

#[test]
fn rust_programs_link_for_windows() {
    for program in ["hello", "numeric"] {
        compile_and_check(&wasm_program(program), program, &[]);
    }
}

#[test]
fn strip_leaves_the_wasm_function_names_out() {
    let scratch = Scratch::new("windows-strip");
    let wasm = wasm_program("collections");
    for target in &TARGETS {
        require_linker(target);
        for strip in [false, true] {
            let name = format!("collections-{}-{strip}.exe", target.name);
            let mut args = vec!["--target", target.name];
            if strip {
                args.push("--strip");
            }
            let exe = compile_ok(&wasm, &scratch, &name, &args);
            check_executable(&exe, target, &name);
            let named = wasm_symbol_names(&exe).len();
            // zig links aarch64-windows with lld, whose COFF symbols go only to a PDB file,
            // which the recipe does not keep: that target has no names either way.
            if strip || target.linker == Linker::ZigCc {
                assert_eq!(named, 0, "{name}: {named} wasm symbols");
            } else {
                assert!(named > 100, "{name}: only {named} wasm symbols");
            }
        }
    }
}
