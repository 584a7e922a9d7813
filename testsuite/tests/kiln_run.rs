//! `kiln run IN.wasm [grants] [-- ARGS]`: compiles (cached by module, options
//! and grants in `$KILN_CACHE_DIR`) and runs. It must behave exactly like the
//! executable `kiln compile` makes — output, exit status, traps, grants — and
//! pass the program's own arguments through untouched, even ones that look
//! like kiln's flags. Every test here uses its own cache directory.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kiln_testsuite::{compile_ok, kiln_exe, run, wasm_program, Cmd, Output, Scratch, TRAP_STATUS};

/// `kiln run ARGS...` with `KILN_CACHE_DIR=cache`.
fn kiln_run<S: AsRef<OsStr>>(cache: &Path, args: &[S], stdin: &[u8]) -> Output {
    Cmd::new(kiln_exe())
        .arg("run")
        .args(args)
        .env("KILN_CACHE_DIR", &cache.to_string_lossy())
        .stdin(stdin)
        .timeout(Duration::from_secs(300))
        .output()
}

fn cache_files(cache: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(cache) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

#[test]
fn same_output_and_status_as_a_compiled_executable() {
    let scratch = Scratch::new("run-same");
    let cache = scratch.join("cache");
    let wasm = wasm_program("args_exit");
    let exe = compile_ok(&wasm, &scratch, "args_exit", &[]);
    for status in [0, 3, 42, 125] {
        let arg = format!("exit={status}");
        let compiled = run(&exe, &["one", &arg], b"");
        let via_run = kiln_run(
            &cache,
            &[
                wasm.as_os_str(),
                "--".as_ref(),
                "one".as_ref(),
                arg.as_ref(),
            ],
            b"",
        );
        via_run.assert_status(status).assert_stderr("");
        assert_eq!(compiled.status, status);
        // argv[0] is the module's path under `kiln run`, the executable's otherwise.
        assert_eq!(
            via_run.stdout_text(),
            format!("{}\none\n{arg}\n", wasm.display()),
            "{}",
            via_run.describe()
        );
        assert_eq!(
            compiled.stdout_text(),
            format!("{}\none\n{arg}\n", exe.display())
        );
    }
}

#[test]
fn traps_and_stdin_behave_as_compiled() {
    let scratch = Scratch::new("run-trap");
    let cache = scratch.join("cache");
    let wasm = wasm_program("panic");
    let exe = compile_ok(&wasm, &scratch, "panic", &[]);
    let compiled = run(&exe, &[], b"");
    let via_run = kiln_run(&cache, &[wasm.as_os_str()], b"");
    via_run
        .assert_status(TRAP_STATUS)
        .assert_stdout("about to panic\n");
    assert_eq!(compiled.status, TRAP_STATUS);
    assert_eq!(
        via_run.stderr_text(),
        compiled.stderr_text(),
        "{}",
        via_run.describe()
    );

    let echo = wasm_program("stdin_echo");
    let input = "line one\nline twö\n".repeat(1000);
    let compiled = run(
        &compile_ok(&echo, &scratch, "echo", &[]),
        &[],
        input.as_bytes(),
    );
    let via_run = kiln_run(&cache, &[echo.as_os_str()], input.as_bytes());
    via_run.assert_success();
    assert_eq!(via_run.stdout, compiled.stdout);
}

#[test]
fn program_arguments_pass_through_untouched() {
    let scratch = Scratch::new("run-args");
    let cache = scratch.join("cache");
    let wasm = wasm_program("wasi_raw");
    // Everything after `--` belongs to the program, including kiln's own flags
    // and a second `--`.
    let program_args = [
        "args",
        "--dir",
        "/::/",
        "--env",
        "SECRET=1",
        "--inherit-env",
        "-O",
        "none",
        "--help",
        "--version",
        "--",
        "",
        "two words",
        "ünïcödé ✓",
        "-",
    ];
    let mut args: Vec<&OsStr> = vec![wasm.as_os_str(), "--".as_ref()];
    args.extend(program_args.iter().map(OsStr::new));
    let out = kiln_run(&cache, &args, b"");
    let mut expected = format!(
        "== args\nargs_sizes_get: argc {}\nargs_get: ok\nbuffer size matches: true\n",
        program_args.len() + 1
    );
    for (i, a) in program_args.iter().enumerate() {
        expected.push_str(&format!("arg {}: {a:?}\n", i + 1));
    }
    expected.push_str("std::env::args agrees: true\n");
    out.assert_success().assert_stdout(&expected);

    // And they granted nothing: no environment, no preopen.
    let mut args: Vec<&OsStr> = vec![wasm.as_os_str(), "--".as_ref(), "env".as_ref()];
    args.extend(
        ["--env", "SECRET=1", "--inherit-env"]
            .iter()
            .map(OsStr::new),
    );
    let out = kiln_run(&cache, &args, b"");
    out.assert_success();
    assert!(
        out.stdout_text().contains("environ_sizes_get: count 0\n"),
        "{}",
        out.describe()
    );
}

#[test]
fn grants_work_under_run() {
    let scratch = Scratch::new("run-grants");
    let cache = scratch.join("cache");
    let work = scratch.join("work");
    std::fs::create_dir(&work).unwrap();
    let wasm = wasm_program("wasi_raw");
    let grant = format!("{}::/work", work.display());
    let out = kiln_run(
        &cache,
        &[
            wasm.as_os_str(),
            "--dir".as_ref(),
            grant.as_ref(),
            "--env".as_ref(),
            "A=1".as_ref(),
            "--".as_ref(),
            "prestat,env".as_ref(),
        ],
        b"",
    );
    out.assert_success();
    let text = out.stdout_text();
    assert!(
        text.contains("fd_prestat_dir_name: ok \"/work\"\n"),
        "{}",
        out.describe()
    );
    assert!(
        text.contains("environ_sizes_get: count 1\n") && text.contains("\nA=1\n"),
        "{}",
        out.describe()
    );

    // --inherit-env under run: the environment of `kiln run` itself (which
    // needs PATH to find the linker).
    let path = std::env::var("PATH").unwrap_or_default();
    let out = Cmd::new(kiln_exe())
        .args([
            "run".as_ref(),
            wasm.as_os_str(),
            "--inherit-env".as_ref(),
            "--".as_ref(),
            "env".as_ref(),
        ])
        .env_clear()
        .env("PATH", &path)
        .env("KILN_CACHE_DIR", &cache.to_string_lossy())
        .env("ONLY_VAR", "x")
        .output();
    out.assert_success();
    assert!(
        out.stdout_text().contains("environ_sizes_get: count 3\n")
            && out
                .stdout_text()
                .contains(&format!("\nKILN_CACHE_DIR={}\n", cache.display()))
            && out.stdout_text().contains(&format!("\nPATH={path}\n"))
            && out.stdout_text().contains("\nONLY_VAR=x\n"),
        "{}",
        out.describe()
    );

    // The sandbox holds under run too.
    let attack = wasm_program("wasi_attack");
    let root = scratch.join("root");
    std::fs::create_dir_all(root.join("sandbox")).unwrap();
    std::fs::write(root.join("secret.txt"), "secret").unwrap();
    let grant = format!("{}::/sandbox", root.join("sandbox").display());
    let out = kiln_run(
        &cache,
        &[
            attack.as_os_str(),
            "--dir".as_ref(),
            grant.as_ref(),
            "--".as_ref(),
            "dotdot".as_ref(),
            "absolute".as_ref(),
            "dotdot_create".as_ref(),
        ],
        b"",
    );
    out.assert_success()
        .assert_stdout("dotdot: EPERM\nabsolute: EPERM\ndotdot_create: EPERM\n");
    assert!(!root.join("outside").exists());
}

#[test]
fn second_run_uses_the_cache() {
    let scratch = Scratch::new("run-cache");
    let cache = scratch.join("cache");
    let wasm = wasm_program("hello");
    assert!(cache_files(&cache).is_empty());

    let first = kiln_run(&cache, &[wasm.as_os_str()], b"");
    first.assert_success().assert_stdout("Hello, world!\n");
    let files = cache_files(&cache);
    assert_eq!(
        files.len(),
        1,
        "one cached executable after the first run: {files:?}"
    );
    let cached = &files[0];
    let stamp = |p: &Path| {
        let m = std::fs::metadata(p).unwrap();
        (m.len(), m.modified().unwrap())
    };
    let before = stamp(cached);
    // The cached file is a working executable on its own.
    run(cached, &[], b"")
        .assert_success()
        .assert_stdout("Hello, world!\n");

    std::thread::sleep(Duration::from_millis(20));
    let second = kiln_run(&cache, &[wasm.as_os_str()], b"");
    second.assert_success().assert_stdout("Hello, world!\n");
    assert_eq!(cache_files(&cache), files, "the second run compiled again");
    assert_eq!(stamp(cached), before, "the cached executable was rewritten");

    // Different options or grants are a different executable; the same ones again are not.
    let grant = format!("{}::/g", scratch.path().display());
    for extra in [
        &["-O", "none"][..],
        &["--env", "A=1"],
        &["--dir", &grant],
        &["--env", "A=1"],
    ] {
        let mut args: Vec<&OsStr> = vec![wasm.as_os_str()];
        args.extend(extra.iter().map(OsStr::new));
        kiln_run(&cache, &args, b"")
            .assert_success()
            .assert_stdout("Hello, world!\n");
    }
    assert_eq!(cache_files(&cache).len(), 4, "{:?}", cache_files(&cache));
    // A different module is another entry.
    let other = wasm_program("args_exit");
    kiln_run(&cache, &[other.as_os_str()], b"").assert_success();
    assert_eq!(cache_files(&cache).len(), 5);
}

#[test]
fn run_errors_are_kiln_errors() {
    let scratch = Scratch::new("run-errors");
    let cache = scratch.join("cache");
    let missing = scratch.join("missing.wasm");
    kiln_run(&cache, &[missing.as_os_str()], b"").assert_cli_error();
    let junk = scratch.write("junk.wasm", b"not wasm at all");
    kiln_run(&cache, &[junk.as_os_str()], b"").assert_cli_error();
    assert!(
        cache_files(&cache).is_empty(),
        "a failed compile left {:?}",
        cache_files(&cache)
    );
    let wasm = wasm_program("hello");
    let other_target = if cfg!(target_arch = "x86_64") {
        "aarch64-linux"
    } else {
        "x86_64-linux"
    };
    kiln_run(
        &cache,
        &[wasm.as_os_str(), "--target".as_ref(), other_target.as_ref()],
        b"",
    )
    .assert_cli_error();
    kiln_run(
        &cache,
        &[wasm.as_os_str(), "--env".as_ref(), "NOEQUALS".as_ref()],
        b"",
    )
    .assert_cli_error();
}

/// The cache key covers every compile option: a build made with one `--reserve` is not
/// reused for another (it once was: the key listed options by hand and missed this one).
#[test]
fn cached_builds_differ_by_every_option() {
    let scratch = Scratch::new("run-cache-reserve");
    let cache = scratch.join("cache");
    // Exits 0 when growing the memory to 33 pages (2.06 MiB) fails, 2 when it succeeds.
    let wat = scratch.write(
        "grow.wat",
        br#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (call $exit (i32.add (i32.const 1) (memory.grow (i32.const 32))))))"#,
    );
    let with_reserve = |reserve: &str| {
        kiln_run(
            &cache,
            &[
                "--bounds-checks".as_ref(),
                "explicit".as_ref(),
                "--reserve".as_ref(),
                OsStr::new(reserve),
                wat.as_os_str(),
            ],
            b"",
        )
    };
    with_reserve("1MiB").assert_status(0).assert_stderr("");
    with_reserve("1GiB").assert_status(2).assert_stderr("");
    with_reserve("1MiB").assert_status(0).assert_stderr("");
    assert_eq!(cache_files(&cache).len(), 2, "{:?}", cache_files(&cache));
}
