//! Command-line behaviour that is not about one instruction or trap:
//! `.wat` and `.wasm` inputs, `--emit` kinds, optimisation levels, usage errors.

use kiln_testsuite::{
    compile, compile_ok, example, kiln, kiln_exe, profile_dir, run, wat_fixture, Cmd, Scratch,
};

#[test]
fn wat_and_wasm_inputs_behave_the_same() {
    let scratch = Scratch::new("wat-wasm");
    let wasm = wat::parse_file(example("hello.wat")).unwrap();
    let wasm_input = scratch.write("hello.wasm", &wasm);
    let from_wat = compile_ok(&example("hello.wat"), &scratch, "from-wat", &[]);
    let from_wasm = compile_ok(&wasm_input, &scratch, "from-wasm", &[]);
    for exe in [from_wat, from_wasm] {
        run(&exe, &[], b"")
            .assert_success()
            .assert_stdout("Hello from Kiln!\n")
            .assert_stderr("");
    }
}

#[test]
fn input_file_extension_does_not_matter_for_binaries() {
    let scratch = Scratch::new("extension");
    let wasm = wat::parse_file(example("hello.wat")).unwrap();
    let input = scratch.write("module.bin", &wasm);
    let exe = compile_ok(&input, &scratch, "hello", &[]);
    run(&exe, &[], b"")
        .assert_success()
        .assert_stdout("Hello from Kiln!\n");
}

#[test]
fn emit_clif_writes_the_ir_of_every_function() {
    let scratch = Scratch::new("clif");
    let output = compile_ok(
        &wat_fixture("instructions/calls.wat"),
        &scratch,
        "calls.clif",
        &["--emit", "clif"],
    );
    let text = std::fs::read_to_string(&output).expect("CLIF output is UTF-8 text");
    assert!(
        text.contains("function"),
        "no Cranelift function in the CLIF output:\n{text}"
    );
    // Annotated with the wasm function names.
    for name in ["fib", "is_even", "is_odd", "many_caller", "_start"] {
        assert!(
            text.contains(name),
            "the CLIF output does not mention function `{name}`"
        );
    }
    assert!(
        text.contains("call_indirect"),
        "the CLIF of calls.wat should contain call_indirect"
    );
}

#[test]
fn every_optimisation_level_and_bounds_check_mode_runs_the_example() {
    let scratch = Scratch::new("opt-levels");
    for level in ["none", "speed", "speed-and-size"] {
        for checks in ["guard", "explicit"] {
            let name = format!("hello-{level}-{checks}");
            let exe = compile_ok(
                &example("hello.wat"),
                &scratch,
                &name,
                &["-O", level, "--bounds-checks", checks],
            );
            run(&exe, &[], b"")
                .assert_success()
                .assert_stdout("Hello from Kiln!\n");
        }
    }
}

#[test]
fn usage_errors_exit_with_status_1() {
    let scratch = Scratch::new("usage");
    let output = scratch.join("out");
    let input = example("hello.wat");
    for flags in [
        &["-O", "fastest"][..],
        &["--emit", "assembly"],
        &["--bounds-checks", "none"],
        &["--no-such-flag"],
    ] {
        let out = compile(&input, &output, flags);
        out.assert_cli_error();
        assert!(
            !output.exists(),
            "a usage error wrote output\n{}",
            out.describe()
        );
    }
    kiln(["compile"]).assert_cli_error();
    kiln(["frobnicate", "x.wasm"]).assert_cli_error();
}

#[test]
fn an_existing_output_file_is_replaced() {
    let scratch = Scratch::new("overwrite");
    let output = scratch.write("hello", b"old contents");
    let out = compile(&example("hello.wat"), &output, &[]);
    out.assert_success();
    run(&output, &[], b"")
        .assert_success()
        .assert_stdout("Hello from Kiln!\n");
    assert_eq!(
        scratch.entries(),
        ["hello"],
        "temporary files left next to the output"
    );
}

#[test]
fn reserve_limits_memory_growth_in_explicit_mode() {
    let scratch = Scratch::new("reserve");
    let fixture = wat_fixture("reserve/small_reservation.wat");
    let flags = ["--bounds-checks", "explicit", "--reserve", "256KiB"];
    let exe = compile_ok(&fixture, &scratch, "reserve", &flags);
    run(&exe, &[], b"")
        .assert_status(134)
        .assert_stdout("grew\n")
        .assert_first_stderr_line("error: wasm trap: out of bounds memory access");
    // Guard pages need the whole reservation: --reserve alone is a usage error.
    let refused = scratch.join("refused");
    compile(&fixture, &refused, &["--reserve", "256KiB"]).assert_cli_error();
    assert!(!refused.exists());
}

#[test]
fn cpu_native_runs_here_and_is_refused_for_another_architecture() {
    let scratch = Scratch::new("cpu");
    let exe = compile_ok(
        &example("hello.wat"),
        &scratch,
        "native",
        &["--cpu", "native"],
    );
    run(&exe, &[], b"")
        .assert_success()
        .assert_stdout("Hello from Kiln!\n");

    let other = if std::env::consts::ARCH == "x86_64" {
        "aarch64-linux"
    } else {
        "x86_64-linux"
    };
    let output = scratch.join("other");
    let out = compile(
        &example("hello.wat"),
        &output,
        &["--target", other, "--cpu", "native"],
    );
    out.assert_cli_error();
    assert!(
        out.stderr_text()
            .contains("--cpu native describes this machine's"),
        "{}",
        out.describe()
    );
    assert!(!output.exists(), "{}", out.describe());
}

/// A `kiln` copied out of the cargo target directory (as an install would) finds its
/// runtime library only in the distribution layout, `<its dir>/runtime/<triple>/`, and
/// says exactly where it looked when the library is missing.
#[test]
fn an_installed_kiln_uses_the_distribution_layout() {
    let scratch = Scratch::new("installed-kiln");
    let bin = scratch.join("dist");
    std::fs::create_dir_all(&bin).unwrap();
    let installed = bin.join(format!("kiln{}", std::env::consts::EXE_SUFFIX));
    std::fs::copy(kiln_exe(), &installed).unwrap();
    let triple = kiln_targets::Target::host().rust_triple();
    let expected = bin.join("runtime").join(&triple).join("libkiln_runtime.a");
    let output = scratch.join("hello");
    let compile = || {
        Cmd::new(&installed)
            .env_remove("KILN_RUNTIME_LIB")
            .args(["compile".as_ref(), example("hello.wat").as_os_str()])
            .args(["-o".as_ref(), output.as_os_str()])
            .output()
    };

    let missing = compile();
    missing.assert_cli_error();
    let stderr = missing.stderr_text();
    let looked = format!("looked for {}. ", expected.display());
    assert!(
        stderr.contains(&looked),
        "the error should name the one place looked in, `{}`\n{}",
        expected.display(),
        missing.describe()
    );
    assert!(!output.exists(), "a failed link left output behind");

    std::fs::create_dir_all(expected.parent().unwrap()).unwrap();
    std::fs::copy(profile_dir().join("libkiln_runtime.a"), &expected).unwrap();
    compile().assert_success();
    run(&output, &[], b"")
        .assert_success()
        .assert_stdout("Hello from Kiln!\n");
}
