//! Arguments, environment grants, clocks, randomness, poll and exit codes,
//! through `wasi_raw` (raw preview1 calls, cross-checked with std's view) and
//! `wasi_env` (std only).
//!
//! Deny by default: without `--env`/`--inherit-env` the module sees no
//! environment at all, whatever the process that runs it has. `--env K=V`
//! grants exactly those variables (baked in at compile time); `--inherit-env`
//! grants the environment of the process running the executable.

use std::time::{SystemTime, UNIX_EPOCH};

use kiln_testsuite::{compile_ok, run, wasm_program, Cmd, Scratch};

fn raw_exe(scratch: &Scratch, name: &str, flags: &[&str]) -> std::path::PathBuf {
    compile_ok(&wasm_program("wasi_raw"), scratch, name, flags)
}

#[test]
fn no_environment_without_a_grant() {
    let scratch = Scratch::new("env-none");
    let exe = raw_exe(&scratch, "wasi_raw", &[]);
    let out = Cmd::new(&exe)
        .arg("env")
        .env("KILN_TEST_SECRET", "must not leak")
        .env("PATH", "/usr/bin:/bin")
        .output();
    out.assert_success().assert_stdout(
        "== env\nenviron_sizes_get: count 0\nenviron_get: ok\nbuffer size matches: true\nstd::env::vars agrees: true\n",
    );
}

#[test]
fn env_grants_are_exactly_what_was_granted() {
    let scratch = Scratch::new("env-grants");
    let exe = raw_exe(
        &scratch,
        "wasi_raw",
        &[
            "--env",
            "GREETING=hello world",
            "--env",
            "EMPTY=",
            "--env",
            "WITH_EQUALS=a=b=c",
            "--env",
            "UNICODE=ünïcödé ✓",
        ],
    );
    // The running process's own environment is not visible, not even a variable
    // of the same name as a granted one.
    let out = Cmd::new(&exe)
        .arg("env")
        .env("KILN_TEST_SECRET", "must not leak")
        .env("GREETING", "from the host")
        .output();
    out.assert_success().assert_stdout(
        "== env\nenviron_sizes_get: count 4\nenviron_get: ok\nbuffer size matches: true\n\
         EMPTY=\nGREETING=hello world\nUNICODE=ünïcödé ✓\nWITH_EQUALS=a=b=c\nstd::env::vars agrees: true\n",
    );
}

#[test]
fn inherit_env_grants_the_running_environment() {
    let scratch = Scratch::new("env-inherit");
    let exe = raw_exe(&scratch, "wasi_raw", &["--inherit-env"]);
    let out = Cmd::new(&exe)
        .arg("env")
        .env_clear()
        .env("ALPHA", "1")
        .env("BETA", "two words")
        .env("GAMMA", "")
        .output();
    out.assert_success().assert_stdout(
        "== env\nenviron_sizes_get: count 3\nenviron_get: ok\nbuffer size matches: true\n\
         ALPHA=1\nBETA=two words\nGAMMA=\nstd::env::vars agrees: true\n",
    );
}

#[test]
fn std_env_sees_the_grants() {
    let scratch = Scratch::new("env-std");
    let exe = compile_ok(
        &wasm_program("wasi_env"),
        &scratch,
        "wasi_env",
        &["--env", "KILN_TEST_SECRET=granted"],
    );
    let out = Cmd::new(&exe)
        .env("KILN_TEST_SECRET", "from the host")
        .output();
    out.assert_success();
    let text = out.stdout_text();
    assert!(
        text.starts_with("env vars: 1\nKILN_TEST_SECRET visible: true\n"),
        "{}",
        out.describe()
    );
}

#[test]
fn arguments_pass_through_raw_args_get() {
    let scratch = Scratch::new("args-raw");
    let exe = raw_exe(&scratch, "wasi_raw", &[]);
    let args = [
        "args",
        "",
        "two words",
        "ünïcödé ✓",
        "--dir",
        "/etc::/etc",
        "--env",
        "X=1",
        "-",
        "--",
    ];
    let out = run(&exe, &args, b"");
    let mut expected = format!(
        "== args\nargs_sizes_get: argc {}\nargs_get: ok\nbuffer size matches: true\n",
        args.len() + 1
    );
    for (i, a) in args.iter().enumerate() {
        expected.push_str(&format!("arg {}: {a:?}\n", i + 1));
    }
    expected.push_str("std::env::args agrees: true\n");
    out.assert_success().assert_stdout(&expected);
    // The arguments that look like grants granted nothing.
    let env = run(&exe, &["env", "--env", "X=1"], b"");
    assert!(env.stdout_text().contains("count 0"), "{}", env.describe());
}

#[test]
fn many_and_long_arguments() {
    let scratch = Scratch::new("args-many");
    let exe = raw_exe(&scratch, "wasi_raw", &[]);
    let long = "x".repeat(100_000);
    let mut args: Vec<String> = vec!["args".into(), long.clone()];
    args.extend((0..2000).map(|i| format!("arg-{i}")));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&exe, &refs, b"");
    out.assert_success();
    let text = out.stdout_text();
    assert!(
        text.contains(&format!("args_sizes_get: argc {}\n", args.len() + 1)),
        "{}",
        out.describe()
    );
    assert!(text.contains(&format!("arg 2: \"{long}\"\n")));
    assert!(text.contains("arg 2002: \"arg-1999\"\n"));
    assert!(text.ends_with("std::env::args agrees: true\n"));
}

#[test]
fn clocks_are_real_and_plausible() {
    let scratch = Scratch::new("clocks");
    let exe = raw_exe(&scratch, "wasi_raw", &[]);
    let host = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = run(&exe, &["clocks", &format!("host_time={host}")], b"");
    out.assert_success().assert_stdout(
        "== clocks\n\
         realtime: res ok nonzero=true time ok ordered true\n\
         monotonic: res ok nonzero=true time ok ordered true\n\
         process_cputime: res ok nonzero=true time ok ordered true\n\
         thread_cputime: res ok nonzero=true time ok ordered true\n\
         realtime within 60 s of the host: true\n\
         monotonic advances: true\n\
         std SystemTime agrees: true\n",
    );
}

#[test]
fn random_get_fills_exactly_what_was_asked() {
    let scratch = Scratch::new("random");
    let exe = raw_exe(&scratch, "wasi_raw", &[]);
    let out = run(&exe, &["random"], b"");
    out.assert_success().assert_stdout(
        "== random\n\
         random_get 0 bytes: ok\n\
         random_get 64: ok\n\
         two draws differ: true\n\
         not all zero: true\n\
         random_get 1 MiB: ok\n\
         byte histogram plausible: true\n\
         only the requested bytes are written: true\n",
    );
    // Two processes draw different numbers (std's HashMap keys come from random_get).
    let env_exe = compile_ok(&wasm_program("wasi_env"), &scratch, "wasi_env", &[]);
    let hash = |out: &kiln_testsuite::Output| {
        out.stdout_text()
            .lines()
            .find_map(|l| l.strip_prefix("random hash: ").map(str::to_owned))
            .unwrap()
    };
    let (a, b) = (run(&env_exe, &[], b""), run(&env_exe, &[], b""));
    assert_ne!(hash(&a), hash(&b), "two runs drew the same random numbers");
}

#[test]
fn poll_oneoff_sleeps_on_a_clock_without_a_grant() {
    // The clock part of poll needs no grant; the fd part uses /work, so grant it.
    let scratch = Scratch::new("poll-clock");
    let work = scratch.join("work");
    std::fs::create_dir(&work).unwrap();
    let grant = format!("{}::/work", work.display());
    let exe = raw_exe(&scratch, "wasi_raw", &["--dir", &grant]);
    let started = std::time::Instant::now();
    let out = run(&exe, &["poll"], b"");
    out.assert_success();
    let text = out.stdout_text();
    for line in [
        "relative 30 ms: ok [\"7:CLOCK:ok\"]\n",
        "slept at least 30 ms: true\n",
        "absolute +20 ms: ok [\"8:CLOCK:ok\"]\n",
        "reached the deadline: true\n",
        "returned at once: true\n",
    ] {
        assert!(text.contains(line), "missing {line:?}\n{}", out.describe());
    }
    // The whole run slept at least the 30 + 20 + 10 + 10 ms it asked for.
    assert!(started.elapsed().as_millis() >= 70);
}

#[test]
fn proc_exit_codes() {
    let scratch = Scratch::new("proc-exit");
    let exe = raw_exe(&scratch, "wasi_raw", &[]);
    for code in [0, 1, 2, 42, 100, 125] {
        let out = run(&exe, &[&format!("random,exit={code}")], b"");
        out.assert_status(code).assert_stderr("");
        assert!(
            out.stdout_text()
                .ends_with(&format!("exiting with {code}\n")),
            "output before proc_exit must be flushed\n{}",
            out.describe()
        );
    }
    // 126 and above could be mistaken for a trap (134) or a signal: refused, status 1.
    for code in [126u32, 134, 255, 256, u32::MAX] {
        let out = run(&exe, &[&format!("exit={code}")], b"");
        out.assert_status(1)
            .assert_stdout(&format!("== exit={code}\nexiting with {code}\n"))
            .assert_stderr(&format!(
                "error: proc_exit({code}): exit status outside [0, 126) (126 and above are \
                 reserved, 134 means a trap); exiting with status 1\n"
            ));
    }
    // Nothing after proc_exit runs.
    let out = run(&exe, &["exit=7,random"], b"");
    out.assert_status(7)
        .assert_stdout("== exit=7\nexiting with 7\n");
}
