//! Real `wasm32-wasip1` programs built by rustc from `testsuite/programs/`,
//! compiled by kiln and run: output, arguments, exit codes, stdin, WASI
//! calls, panics, and numeric/allocation-heavy work compared byte for byte
//! with a native build of the same source.

use kiln_testsuite::{
    argv0, compile_ok, native_program, run, wasm_program, Cmd, Scratch, TRAP_STATUS,
};

#[test]
fn hello_world_prints_exactly_one_line() {
    let scratch = Scratch::new("hello");
    let exe = compile_ok(&wasm_program("hello"), &scratch, "hello", &[]);
    run(&exe, &[], b"")
        .assert_success()
        .assert_stdout("Hello, world!\n")
        .assert_stderr("");
}

#[test]
fn hello_world_at_every_optimisation_level() {
    let scratch = Scratch::new("hello-opt");
    for level in ["none", "speed", "speed-and-size"] {
        let exe = compile_ok(
            &wasm_program("hello"),
            &scratch,
            &format!("hello-{level}"),
            &["-O", level],
        );
        run(&exe, &[], b"")
            .assert_success()
            .assert_stdout("Hello, world!\n")
            .assert_stderr("");
    }
}

#[test]
fn arguments_reach_std_env_args() {
    let scratch = Scratch::new("args");
    let exe = compile_ok(&wasm_program("args_exit"), &scratch, "args_exit", &[]);
    let args = ["first", "two words", "ünïcödé ✓", "", "--flag=value", "-"];
    let out = run(&exe, &args, b"");
    out.assert_success().assert_stderr("");
    // argv[0] is the executable's own argv[0]: the path it was started with.
    let mut expected = format!("{}\n", argv0(&exe));
    for a in args {
        expected.push_str(a);
        expected.push('\n');
    }
    out.assert_stdout(&expected);

    // No arguments at all: only argv[0].
    run(&exe, &[], b"")
        .assert_success()
        .assert_stdout(&format!("{}\n", argv0(&exe)));
}

#[test]
fn process_exit_sets_the_exit_status() {
    let scratch = Scratch::new("exit");
    let exe = compile_ok(&wasm_program("args_exit"), &scratch, "args_exit", &[]);
    for status in [0, 1, 2, 3, 42, 100, 125] {
        let arg = format!("exit={status}");
        let out = run(&exe, &["before", &arg, "after"], b"");
        out.assert_status(status).assert_stderr("");
        out.assert_stdout(&format!("{}\nbefore\n{arg}\nafter\n", argv0(&exe)));
    }
}

fn echo_expected(input: &[u8]) -> Vec<u8> {
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    let mut expected = format!("bytes: {}\nlines: {lines}\n", input.len()).into_bytes();
    expected.extend(input.to_ascii_uppercase());
    expected
}

#[test]
fn stdin_reaches_std_io_stdin() {
    let scratch = Scratch::new("stdin");
    let exe = compile_ok(&wasm_program("stdin_echo"), &scratch, "stdin_echo", &[]);

    let small = "hello, Kiln\nsecond line: ünïcödé\nno newline at the end".as_bytes();
    let out = run(&exe, &[], small);
    out.assert_success().assert_stderr("");
    assert_eq!(out.stdout, echo_expected(small), "\n{}", out.describe());

    // Empty stdin: read_to_end sees end-of-file at once.
    let out = run(&exe, &[], b"");
    out.assert_success().assert_stdout("bytes: 0\nlines: 0\n");

    // Several hundred KiB, every byte value: many fd_read calls, binary-safe.
    let big: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let out = run(&exe, &[], &big);
    out.assert_success().assert_stderr("");
    assert!(
        out.stdout == echo_expected(&big),
        "large stdin not echoed correctly\n{}",
        out.describe()
    );

    // And the native build agrees.
    let native = run(&native_program("stdin_echo"), &[], &big);
    native.assert_success();
    assert!(
        native.stdout == out.stdout,
        "native and kiln output differ for large stdin"
    );
}

/// Runs a program natively and under kiln (with each set of compile flags)
/// and asserts identical stdout, empty stderr and status 0.
fn assert_same_output_as_native(name: &str, flag_sets: &[&[&str]]) {
    kiln_testsuite::assert_same_output_as_native(
        name,
        &wasm_program(name),
        &native_program(name),
        flag_sets,
    );
}

#[test]
fn numeric_results_match_the_native_build() {
    assert_same_output_as_native("numeric", &[&[], &["-O", "none"]]);
}

#[test]
fn collections_results_match_the_native_build() {
    assert_same_output_as_native("collections", &[&[], &["--bounds-checks", "explicit"]]);
}

#[test]
fn panic_prints_the_message_then_traps() {
    let scratch = Scratch::new("panic");
    let exe = compile_ok(&wasm_program("panic"), &scratch, "panic", &[]);
    let out = run(&exe, &[], b"");
    out.assert_status(TRAP_STATUS)
        .assert_stdout("about to panic\n");
    let lines = out.stderr_lines();
    let message = lines
        .iter()
        .position(|l| l.contains("kiln test panic: the answer is 42"));
    let trap = lines
        .iter()
        .position(|l| l == "error: wasm trap: unreachable instruction executed");
    match (message, trap) {
        (Some(m), Some(t)) => assert!(
            m < t,
            "the trap should be reported after the panic message\n{}",
            out.describe()
        ),
        _ => panic!(
            "expected the panic message and then the trap line on stderr\n{}",
            out.describe()
        ),
    }
}

#[test]
fn wasi_environment_clocks_and_randomness() {
    let scratch = Scratch::new("wasi-env");
    let exe = compile_ok(&wasm_program("wasi_env"), &scratch, "wasi_env", &[]);
    let run_once = || Cmd::new(&exe).env("KILN_TEST_SECRET", "hunter2").output();
    let first = run_once();
    first
        .assert_success()
        .assert_stderr("this line goes to stderr\n");
    let lines: Vec<String> = first.stdout_text().lines().map(str::to_owned).collect();
    assert_eq!(
        lines[..4],
        [
            // Deny by default: the host's environment is not visible.
            "env vars: 0",
            "KILN_TEST_SECRET visible: false",
            "realtime clock plausible: true",
            "monotonic clock ordered: true",
        ],
        "\n{}",
        first.describe()
    );
    assert_eq!(lines.len(), 5, "\n{}", first.describe());
    assert!(
        lines[4].starts_with("random hash: "),
        "\n{}",
        first.describe()
    );
    // random_get seeds HashMap keys: two runs must hash differently.
    let second = run_once();
    second.assert_success();
    assert_ne!(
        first.stdout, second.stdout,
        "random_get returned the same bytes in two runs"
    );
}
