//! The fixtures themselves, independent of kiln: every WAT file parses, and
//! validates exactly when it is meant to. (The expected behaviour of each
//! fixture was checked against a reference engine when it was written; see
//! testsuite/wat/README.md.)

use std::path::{Path, PathBuf};

fn wat_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("wat").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// Validates with wasmparser's default features plus the legacy exception-handling
/// encoding (`instructions/exceptions.wat` uses both encodings).
fn validate(path: &Path) -> Result<(), String> {
    let wasm = wat::parse_file(path).map_err(|e| format!("does not parse: {e}"))?;
    let features =
        wasmparser::WasmFeatures::default() | wasmparser::WasmFeatures::LEGACY_EXCEPTIONS;
    wasmparser::Validator::new_with_features(features)
        .validate_all(&wasm)
        .map(drop)
        .map_err(|e| format!("invalid: {e}"))
}

/// The export section lists `_start` as a function and `memory` as a memory.
fn assert_wasi_command_exports(path: &Path) {
    let wasm = wat::parse_file(path).unwrap();
    let mut start = false;
    let mut memory = false;
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let wasmparser::Payload::ExportSection(exports) = payload.unwrap() {
            for export in exports {
                let export = export.unwrap();
                match (export.name, export.kind) {
                    ("_start", wasmparser::ExternalKind::Func) => start = true,
                    ("memory", wasmparser::ExternalKind::Memory) => memory = true,
                    _ => {}
                }
            }
        }
    }
    assert!(
        start && memory,
        "{} must export `_start` and `memory`",
        path.display()
    );
}

#[test]
fn instruction_and_trap_fixtures_are_valid_wasi_commands() {
    let mut files = wat_files("instructions");
    files.extend(wat_files("traps"));
    files.extend(wat_files("limits"));
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello.wat"));
    for path in files {
        if let Err(e) = validate(&path) {
            panic!("{}: {e}", path.display());
        }
        assert_wasi_command_exports(&path);
    }
}

#[test]
fn bad_input_fixtures_are_bad_in_the_intended_way() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("wat/bad_input");
    // Parses, but fails validation.
    let err =
        validate(&dir.join("type_mismatch.wat")).expect_err("type_mismatch.wat must not validate");
    assert!(err.contains("type mismatch"), "{err}");
    // Valid wasm: only its imports are the problem.
    validate(&dir.join("missing_imports.wat")).unwrap();
    assert_eq!(
        wat_files("bad_input").len(),
        2,
        "a new bad-input fixture needs a check here and a test in bad_input.rs"
    );
}
