//! `--max-memory` and `--max-time`: the deployer's limits, baked into the executable
//! (`kiln inspect` shows them) and enforced by the runtime, on every runnable target (this
//! file is in the qemu and wine runs too).

use kiln_testsuite::{compile, compile_ok, kiln, run, wat_fixture, Cmd, Scratch, TRAP_STATUS};
use std::time::{Duration, Instant};

#[test]
fn deadline_stops_an_endless_loop() {
    let scratch = Scratch::new("limits-spin");
    let exe = compile_ok(
        &wat_fixture("limits/spin.wat"),
        &scratch,
        "spin",
        &["--max-time", "300ms"],
    );
    let started = Instant::now();
    let out = Cmd::new(&exe).timeout(Duration::from_secs(60)).output();
    out.assert_status(TRAP_STATUS)
        // 0x31: the `loop`, whose header checks for the interrupt.
        .assert_stderr(
            "error: wasm trap: deadline exceeded\n  in wasm function 0 `spin` at offset 0x31\n",
        );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{}",
        out.describe()
    );
}

#[test]
fn deadline_stops_a_program_blocked_in_a_wasi_call() {
    let scratch = Scratch::new("limits-sleep");
    let exe = compile_ok(
        &wat_fixture("limits/sleep.wat"),
        &scratch,
        "sleep",
        &["--max-time", "200ms"],
    );
    let started = Instant::now();
    let out = Cmd::new(&exe).timeout(Duration::from_secs(60)).output();
    out.assert_status(TRAP_STATUS)
        .assert_stderr("error: wasm trap: deadline exceeded\n  while blocked in a host call\n");
    // The deadline, then one second of grace for the call to return, not the 60 s sleep.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{}",
        out.describe()
    );
}

/// Without `--max-time` the code has no interrupt checks at all; with it, each loop
/// header gets one (the "deadline exceeded" trap code is user trap 10).
#[test]
fn interrupt_checks_only_with_max_time() {
    let scratch = Scratch::new("limits-clif");
    let clif = |flags: &[&str]| {
        let out = scratch.join("spin.clif");
        let mut all = vec!["--emit", "clif"];
        all.extend(flags);
        compile(&wat_fixture("limits/spin.wat"), &out, &all).assert_success();
        std::fs::read_to_string(&out).unwrap()
    };
    let plain = clif(&[]);
    let limited = clif(&["--max-time", "1s"]);
    assert!(!plain.contains("user10"), "{plain}");
    assert_eq!(limited.matches("user10").count(), 1, "{limited}");
}

#[test]
fn max_memory_fails_grows_beyond_it() {
    let scratch = Scratch::new("limits-grow");
    let grow = wat_fixture("limits/grow.wat");
    // 1 page + 16 pages = 1.06 MiB; the table adds 800000 bytes.
    for (limit, status) in [("512KiB", 1), ("1200KiB", 3), ("2MiB", 7)] {
        let exe = compile_ok(
            &grow,
            &scratch,
            &format!("grow-{limit}"),
            &["--max-memory", limit],
        );
        run(&exe, &[], b"").assert_status(status).assert_stderr("");
    }
    let unlimited = compile_ok(&grow, &scratch, "grow-unlimited", &[]);
    run(&unlimited, &[], b"").assert_status(7);
}

#[test]
fn max_memory_refuses_a_larger_initial_memory() {
    let scratch = Scratch::new("limits-minimum");
    let exe = compile_ok(
        &wat_fixture("limits/big_minimum.wat"),
        &scratch,
        "big",
        &["--max-memory", "1MiB"],
    );
    run(&exe, &[], b"").assert_status(1).assert_stderr(
        "error: the module needs 2097152 bytes for its linear memory, beyond the \
         --max-memory limit of 1048576 bytes (0 bytes already in use)\n",
    );
}

#[test]
fn limits_are_inspectable_and_checked() {
    let scratch = Scratch::new("limits-inspect");
    let exe = compile_ok(
        &wat_fixture("limits/spin.wat"),
        &scratch,
        "spin",
        &["--max-memory", "64MiB", "--max-time", "2m"],
    );
    let text = kiln(["inspect".as_ref(), exe.as_os_str()]);
    text.assert_success();
    assert!(
        text.stdout_text()
            .contains("limits: max memory 67108864 bytes, max time 120000 ms\n"),
        "{}",
        text.describe()
    );
    let json = kiln(["inspect".as_ref(), "--json".as_ref(), exe.as_os_str()]);
    assert!(
        json.stdout_text()
            .contains("\"limits\":{\"max_memory_bytes\":67108864,\"max_time_ms\":120000}"),
        "{}",
        json.describe()
    );
    for bad in [
        &["--max-time", "soon"][..],
        &["--max-time", "0s"],
        &["--max-memory", "0"],
        &["--max-memory", "lots"],
    ] {
        compile(&wat_fixture("limits/spin.wat"), &scratch.join("bad"), bad).assert_cli_error();
    }
}
