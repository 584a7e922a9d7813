//! Library-level checks of `kiln::compile` where running an executable would be
//! awkward: error messages, import checking and the objects' shape.

use kiln::{compile, Emit, Options, Target};
use object::{Object, ObjectSymbol};

fn obj_options() -> Options {
    Options {
        emit: Emit::Obj,
        ..Options::default()
    }
}

const COMMAND: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call 0 (i32.const 3))))"#;

#[test]
fn invalid_module_reports_the_byte_offset() {
    let wasm = wat::parse_str("(module (func (result i32) (i64.const 1)))").unwrap();
    let err = compile(&wasm, &obj_options()).err().unwrap();
    assert!(
        err.message()
            .starts_with("invalid WebAssembly module: type mismatch"),
        "{err}"
    );
    assert!(err.message().contains("at byte offset 0x"), "{err}");
}

#[test]
fn non_wasm_input_is_rejected_clearly() {
    let err = compile(b"\x7fELF\x02\x01\x01", &obj_options())
        .err()
        .unwrap();
    assert!(
        err.message().starts_with("not a WebAssembly module"),
        "{err}"
    );
    let err = compile(b"hello there", &obj_options()).err().unwrap();
    assert!(
        err.message().starts_with("not a WebAssembly module"),
        "{err}"
    );
}

#[test]
fn truncated_module_is_rejected() {
    let wasm = wat::parse_str(COMMAND).unwrap();
    let err = compile(&wasm[..wasm.len() / 2], &obj_options())
        .err()
        .unwrap();
    assert!(
        err.message().starts_with("invalid WebAssembly module"),
        "{err}"
    );
}

#[test]
fn every_missing_import_is_listed() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "no_such_call" (func))
      (import "env" "helper" (func (param i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i64)))
      (func (export "_start")))"#;
    let err = compile(wat.as_bytes(), &obj_options()).err().unwrap();
    let msg = err.message();
    assert!(msg.contains("3 import(s)"), "{msg}");
    assert!(
        msg.contains("`wasi_snapshot_preview1::no_such_call`"),
        "{msg}"
    );
    assert!(msg.contains("`env::helper`"), "{msg}");
    assert!(
        msg.contains("`wasi_snapshot_preview1::proc_exit`: imported with type"),
        "{msg}"
    );
    assert!(!msg.contains("fd_write"), "{msg}");
}

#[test]
fn a_command_needs_start() {
    let err = compile(b"(module (func (export \"main\")))", &obj_options())
        .err()
        .unwrap();
    assert!(err.message().contains("no `_start`"), "{err}");
}

#[test]
fn shared_memories_and_atomics_compile() {
    let wat = "(module (memory 1 1 shared)
        (func (export \"_start\") (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))))";
    compile(wat.as_bytes(), &obj_options()).unwrap();
}

#[test]
fn exceptions_in_both_encodings_compile() {
    let standard = "(module (tag $e) (func (export \"_start\")
        (block $h (try_table (catch $e $h) (throw $e)))))";
    let legacy = "(module (tag $e) (func (export \"_start\")
        try (throw $e) catch $e end))";
    for wat in [standard, legacy] {
        compile(wat.as_bytes(), &obj_options()).unwrap();
    }
}

#[test]
fn garbage_collection_is_reported_as_unsupported() {
    let wat = "(module (type $s (struct (field i32)))
        (func (export \"_start\") (drop (struct.new $s (i32.const 1)))))";
    let err = compile(wat.as_bytes(), &obj_options()).err().unwrap();
    assert!(
        err.message()
            .starts_with("unsupported WebAssembly feature: garbage collection"),
        "{err}"
    );
}

#[test]
fn objects_for_every_target_carry_the_descriptor_and_entry() {
    for kiln_targets::TargetInfo { name, .. } in kiln_targets::TARGETS {
        let options = Options {
            target: Target::parse(name).unwrap(),
            ..obj_options()
        };
        let out = compile(COMMAND.as_bytes(), &options).unwrap();
        let file = object::File::parse(&*out.object).unwrap();
        let names: Vec<String> = file
            .symbols()
            .filter_map(|s| s.name().ok().map(str::to_string))
            .collect();
        let mangled = |s: &str| {
            if name.ends_with("macos") {
                format!("_{s}")
            } else {
                s.to_string()
            }
        };
        assert!(names.contains(&mangled("kiln_module")), "{name}: {names:?}");
        assert!(names.contains(&mangled("main")), "{name}: {names:?}");
    }
}

#[test]
fn clif_output_names_functions() {
    let options = Options {
        emit: Emit::Clif,
        ..Options::default()
    };
    let wat = "(module (func $helper (result i32) (i32.const 7)) (func (export \"_start\") (drop (call $helper))))";
    let out = compile(wat.as_bytes(), &options).unwrap();
    assert!(
        out.listing.contains("; wasm function 0 `helper`"),
        "{}",
        out.listing
    );
    assert!(out.listing.contains("iconst.i32 7"), "{}", out.listing);
}

/// Profilers and debuggers name compiled wasm functions from the symbol table:
/// `wasm[INDEX]::NAME`, demangled, in the objects of every target (the linker keeps
/// them; `testsuite/tests/symbols.rs` checks an executable).
#[test]
fn objects_name_wasm_functions_after_the_name_section() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func $_ZN3foo3barEi (result i32) (i32.const 1))
      (func $_ZN5crate6module5parse17h0123456789abcdefE (result i32) (i32.const 2))
      (func (export "_start") (call $exit (i32.const 0))))"#;
    for kiln_targets::TargetInfo { name, .. } in kiln_targets::TARGETS {
        let options = Options {
            target: Target::parse(name).unwrap(),
            ..obj_options()
        };
        let out = compile(wat.as_bytes(), &options).unwrap();
        let file = object::File::parse(&*out.object).unwrap();
        let names: Vec<String> = file
            .symbols()
            .filter_map(|s| s.name().ok().map(str::to_string))
            .collect();
        for expected in [
            "wasm[1]::foo::bar(int)",
            "wasm[2]::crate::module::parse",
            "wasm[3]",
        ] {
            assert!(
                names
                    .iter()
                    .any(|n| n.trim_start_matches('_') == expected || n == expected),
                "{name}: no symbol {expected} in {names:?}"
            );
        }
    }
}

/// `--emit clif-opt` and `--emit asm`: the optimised IR and the machine code per
/// function, with wasm offsets (the views for a benchmark that regressed).
#[test]
fn optimised_ir_and_machine_code_listings() {
    let wat =
        "(module (func $helper (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
        (func (export \"_start\") (drop (call $helper (i32.const 2)))))";
    let wasm = wat::parse_str(wat).unwrap();
    let listing = |emit| {
        let options = Options {
            emit,
            ..Options::default()
        };
        compile(&wasm, &options).unwrap().listing
    };
    let optimised = listing(Emit::ClifOptimized);
    assert!(
        optimised.contains("; wasm function 0 `helper` (optimised)") && optimised.contains("udiv"),
        "{optimised}"
    );
    let asm = listing(Emit::Asm);
    assert!(asm.contains("; wasm function 0 `helper`: "), "{asm}");
    assert!(asm.contains("; wasm offset -> code offsets"), "{asm}");
    // The division (at 0x2d in the binary) maps to machine code.
    let div = 0x2d;
    assert_eq!(wasm[div], 0x6e, "i32.div_u is at {div:#x}");
    assert!(asm.contains(&format!(";   {div:#x} -> 0x")), "{asm}");
}
