//! Inputs and outputs kiln must refuse: each gives `error: ...` on stderr,
//! exit status 1, and leaves no output file (nor any other file) behind.

use std::path::Path;

use kiln_testsuite::{compile, example, wat_fixture, Output, Scratch};

/// Compiles `input` to `scratch/out` with `flags`, expecting an error and no new files.
fn expect_error(scratch: &Scratch, input: &Path, flags: &[&str]) -> Output {
    let before = scratch.entries();
    let output = scratch.join("out");
    let out = compile(input, &output, flags);
    out.assert_cli_error();
    assert!(
        !output.exists(),
        "a failed compile left {} behind\n{}",
        output.display(),
        out.describe()
    );
    assert_eq!(
        scratch.entries(),
        before,
        "a failed compile left files behind\n{}",
        out.describe()
    );
    out
}

fn hello_wasm() -> Vec<u8> {
    wat::parse_file(example("hello.wat")).expect("examples/hello.wat parses")
}

#[test]
fn not_a_wasm_file() {
    let scratch = Scratch::new("not-wasm");
    let text = scratch.write("notes.wasm", "this is not a WebAssembly module\n");
    let empty = scratch.write("empty.wasm", b"");
    let elf_header = scratch.write("program.wasm", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    let wrong_version = scratch.write("version.wasm", b"\0asm\x02\0\0\0");
    for input in [&text, &empty, &elf_header, &wrong_version] {
        for emit in ["exe", "obj"] {
            expect_error(&scratch, input, &["--emit", emit]);
        }
    }
}

#[test]
fn wat_syntax_error() {
    let scratch = Scratch::new("bad-wat");
    let input = scratch.write(
        "broken.wat",
        "(module (func $f (result i32) (i32.const 1)\n",
    );
    expect_error(&scratch, &input, &[]);
    let input = scratch.write("unknown.wat", "(module (func (i32.frobnicate)))\n");
    expect_error(&scratch, &input, &[]);
}

#[test]
fn truncated_module() {
    let scratch = Scratch::new("truncated");
    let wasm = hello_wasm();
    for cut in [5, wasm.len() / 2, wasm.len() - 1] {
        let truncated = &wasm[..cut];
        assert!(
            wasmparser::Validator::new()
                .validate_all(truncated)
                .is_err(),
            "cutting at {cut} should break the module"
        );
        let input = scratch.write(&format!("cut-{cut}.wasm"), truncated);
        for emit in ["exe", "obj"] {
            expect_error(&scratch, &input, &["--emit", emit]);
        }
    }
}

#[test]
fn invalid_module_reports_the_byte_offset() {
    let scratch = Scratch::new("invalid");
    let wasm = wat::parse_file(wat_fixture("bad_input/type_mismatch.wat")).unwrap();
    let offset = match wasmparser::Validator::new().validate_all(&wasm) {
        Ok(_) => panic!("bad_input/type_mismatch.wat must be invalid"),
        Err(e) => e.offset(),
    };
    let input = scratch.write("invalid.wasm", &wasm);
    for emit in ["exe", "obj"] {
        let out = expect_error(&scratch, &input, &["--emit", emit]);
        let stderr = out.stderr_text();
        let hex = format!("{offset:#x}");
        let decimal = offset.to_string();
        let has_decimal = stderr.match_indices(&decimal).any(|(i, _)| {
            let before = stderr[..i].chars().next_back();
            let after = stderr[i + decimal.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric())
                && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        });
        assert!(
            stderr.contains(&hex) || has_decimal,
            "the error should give the byte offset {offset} ({hex})\n{}",
            out.describe()
        );
        assert!(
            stderr.contains("type mismatch"),
            "the validator's message should be shown\n{}",
            out.describe()
        );
    }
    // The same module as WAT text is rejected too.
    expect_error(&scratch, &wat_fixture("bad_input/type_mismatch.wat"), &[]);
}

#[test]
fn missing_input_file() {
    let scratch = Scratch::new("missing-input");
    let input = scratch.join("no-such-module.wasm");
    let out = expect_error(&scratch, &input, &[]);
    assert!(
        out.stderr_text().contains("no-such-module.wasm"),
        "the error should name the missing file\n{}",
        out.describe()
    );
    let out = expect_error(&scratch, &scratch.join("no-such-dir/module.wat"), &[]);
    assert!(
        out.stderr_text().contains("module.wat"),
        "the error should name the missing file\n{}",
        out.describe()
    );
}

/// Compiles a valid module to an output path that cannot be written.
fn expect_unwritable(scratch: &Scratch, output: &Path, emit: &str) {
    let input = example("hello.wat");
    let before = scratch.entries();
    let out = compile(&input, output, &["--emit", emit]);
    out.assert_cli_error();
    assert_eq!(
        scratch.entries(),
        before,
        "a failed compile changed the scratch directory\n{}",
        out.describe()
    );
}

#[test]
fn unwritable_output_path() {
    let scratch = Scratch::new("unwritable");
    for emit in ["exe", "obj"] {
        // Inside a directory that does not exist (kiln must not create it).
        expect_unwritable(&scratch, &scratch.join("no/such/dir/out"), emit);
        // Below a regular file.
        let file = scratch.write("a-file", "x");
        expect_unwritable(&scratch, &file.join("out"), emit);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"x",
            "kiln changed an unrelated file"
        );
        // An existing directory as the output path.
        std::fs::create_dir_all(scratch.join("a-dir")).unwrap();
        expect_unwritable(&scratch, &scratch.join("a-dir"), emit);
        assert!(
            scratch.join("a-dir").is_dir(),
            "kiln removed a directory given as output"
        );
        // A directory nobody can create files in, even root.
        #[cfg(target_os = "linux")]
        {
            let out = compile(
                &example("hello.wat"),
                Path::new("/proc/kiln-testsuite-output"),
                &["--emit", emit],
            );
            out.assert_cli_error();
        }
    }
}

#[cfg(unix)]
#[test]
fn read_only_output_directory() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("read-only");
    let dir = scratch.join("read-only");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root (and CAP_DAC_OVERRIDE) can write into a read-only directory, so
    // the check only means something when a plain write fails.
    let probe = dir.join("probe");
    let writable = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    if writable {
        eprintln!("running with permission to write into read-only directories: checking the compile succeeds instead");
    }
    for emit in ["exe", "obj"] {
        let output = dir.join("out");
        let out = compile(&example("hello.wat"), &output, &["--emit", emit]);
        if writable {
            out.assert_status(0);
            std::fs::remove_file(&output).unwrap();
        } else {
            out.assert_cli_error();
            assert!(!output.exists());
        }
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert!(
            left.is_empty(),
            "files left in the output directory: {left:?}\n{}",
            out.describe()
        );
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn missing_imports_are_all_listed() {
    let scratch = Scratch::new("imports");
    let out = expect_error(&scratch, &wat_fixture("bad_input/missing_imports.wat"), &[]);
    let stderr = out.stderr_text();
    for expected in [
        "wasi_snapshot_preview1",
        "kiln_no_such_call",
        "env",
        "host_callback",
        "other_module",
        "shared_counter",
    ] {
        assert!(
            stderr.contains(expected),
            "the error should list `{expected}`\n{}",
            out.describe()
        );
    }
}

/// WASI preview1 is 32-bit: a module importing it whose memory 0 is 64-bit cannot run.
#[test]
fn wasi_with_a_64_bit_memory_0_is_refused() {
    let scratch = Scratch::new("wasi-memory64");
    let input = scratch.write(
        "wasi64.wat",
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
             (memory i64 1)
             (func (export "_start")))"#,
    );
    for emit in ["exe", "obj"] {
        let out = expect_error(&scratch, &input, &["--emit", emit]);
        let stderr = out.stderr_text();
        assert!(
            stderr.contains("memory 0 is a 64-bit memory (memory64)")
                && stderr.contains("wasi_snapshot_preview1::proc_exit"),
            "{}",
            out.describe()
        );
    }
}

/// A valid module using a proposal Kiln does not compile is named as such, with the
/// validator's offset.
#[test]
fn unsupported_proposals_are_named() {
    let scratch = Scratch::new("unsupported-proposal");
    let input = scratch.write(
        "gc.wat",
        r#"(module (type $p (struct (field i32)))
             (func (export "_start") (drop (struct.new $p (i32.const 1)))))"#,
    );
    let out = expect_error(&scratch, &input, &[]);
    let stderr = out.stderr_text();
    assert!(
        stderr.contains("unsupported WebAssembly feature: garbage collection (Wasm 3.0 GC)")
            && stderr.contains("byte offset"),
        "{}",
        out.describe()
    );
}
