//! Support code for Kiln's end-to-end tests.
//!
//! The tests drive the real `kiln` binary: they compile a fixture (a WAT file
//! from `testsuite/wat/` or a Rust program prebuilt for `wasm32-wasip1`) into a
//! fresh scratch directory, run the resulting executable, and check its exit
//! status, stdout and stderr. Every process started here is checked for death
//! by a signal: Kiln's contract is that a wasm trap is an ordinary exit (status
//! 134), never a crash.
//!
//! `cargo xtask test` builds `kiln`, the runtime library and the wasm programs
//! before running the tests; the helpers below panic with a pointer to it when
//! something is missing.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Exit status of an executable that hit a wasm trap.
pub const TRAP_STATUS: i32 = 134;

/// How long one `kiln` invocation may take before the test fails.
const COMPILE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one compiled program may run before the test fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

const BUILD_HINT: &str = "run `cargo xtask test` (it builds kiln and the runtime first)";

/// The target directory's profile directory this test binary was built into
/// (`target/<profile>`), derived from `target/<profile>/deps/<test binary>`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary has a parent directory");
    let dir = if deps.file_name() == Some(OsStr::new("deps")) {
        deps.parent().expect("deps/ has a parent")
    } else {
        deps
    };
    dir.to_path_buf()
}

/// The cargo target directory (`target/`), which also holds the prebuilt
/// `wasm-programs/` and `native-programs/`.
pub fn target_dir() -> PathBuf {
    let profile = profile_dir();
    let mut dir = profile
        .parent()
        .expect("profile dir has a parent")
        .to_path_buf();
    // With `--target <triple>` the layout is target/<triple>/<profile>.
    if !dir.join("wasm-programs").exists()
        && dir
            .parent()
            .is_some_and(|p| p.join("wasm-programs").exists())
    {
        dir = dir.parent().unwrap().to_path_buf();
    }
    dir
}

/// The `kiln` binary built alongside these tests, or the one named by the
/// `KILN_BIN` environment variable (e.g. to test a release build).
pub fn kiln_exe() -> PathBuf {
    if let Some(exe) = std::env::var_os("KILN_BIN") {
        let exe = PathBuf::from(exe);
        assert!(exe.is_file(), "KILN_BIN={} does not exist", exe.display());
        return exe;
    }
    let exe = profile_dir().join(format!("kiln{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.is_file(),
        "{} does not exist: {BUILD_HINT}",
        exe.display()
    );
    exe
}

/// The root of the repository.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testsuite/ has a parent")
        .to_path_buf()
}

/// A WAT fixture, by path relative to `testsuite/wat/` (e.g. `traps/unreachable.wat`).
pub fn wat_fixture(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("wat")
        .join(relative);
    assert!(path.is_file(), "fixture {} does not exist", path.display());
    path
}

/// A file from the repository's `examples/` directory.
pub fn example(name: &str) -> PathBuf {
    let path = repo_dir().join("examples").join(name);
    assert!(path.is_file(), "example {} does not exist", path.display());
    path
}

/// A Rust program from `testsuite/programs/`, prebuilt for wasm32-wasip1.
pub fn wasm_program(name: &str) -> PathBuf {
    let path = target_dir()
        .join("wasm-programs/wasm32-wasip1/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} does not exist: {BUILD_HINT}",
        path.display()
    );
    path
}

/// The same Rust program built natively for the host, to compare outputs with.
pub fn native_program(name: &str) -> PathBuf {
    let path = target_dir()
        .join("native-programs/release")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} does not exist: {BUILD_HINT}",
        path.display()
    );
    path
}

/// A fresh, empty directory under `target/testsuite-tmp/`. Removed on drop,
/// except when the test is failing, so its contents can be inspected.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let label: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = target_dir()
            .join("testsuite-tmp")
            .join(format!("{label}-{}-{n}", std::process::id()));
        if path.exists() {
            std::fs::remove_dir_all(&path).expect("removing a stale scratch directory");
        }
        std::fs::create_dir_all(&path).expect("creating a scratch directory");
        Scratch { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the scratch directory (not created).
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `contents` to a file in the scratch directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, contents).expect("writing a scratch file");
        path
    }

    /// The names of everything in the scratch directory, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.path)
            .expect("listing a scratch directory")
            .map(|e| {
                e.expect("directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("keeping {} for inspection", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// What a finished process did. `status` is its exit code: processes killed by
/// a signal never get this far (see [`Cmd::output`]).
#[derive(Debug, Clone)]
pub struct Output {
    pub command: String,
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr_text().lines().map(str::to_owned).collect()
    }

    /// Everything about the run, for assertion messages.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "command: {}", self.command);
        let _ = writeln!(s, "status: {}", self.status);
        let _ = writeln!(s, "--- stdout ---\n{}", truncate(&self.stdout_text()));
        let _ = write!(s, "--- stderr ---\n{}", truncate(&self.stderr_text()));
        s
    }

    pub fn assert_status(&self, expected: i32) -> &Self {
        assert_eq!(
            self.status,
            expected,
            "unexpected exit status\n{}",
            self.describe()
        );
        self
    }

    pub fn assert_success(&self) -> &Self {
        self.assert_status(0)
    }

    pub fn assert_stdout(&self, expected: &str) -> &Self {
        assert_eq!(
            self.stdout_text(),
            expected,
            "unexpected stdout\n{}",
            self.describe()
        );
        self
    }

    pub fn assert_stderr(&self, expected: &str) -> &Self {
        assert_eq!(
            self.stderr_text(),
            expected,
            "unexpected stderr\n{}",
            self.describe()
        );
        self
    }

    /// The first stderr line is exactly `expected`.
    pub fn assert_first_stderr_line(&self, expected: &str) -> &Self {
        let lines = self.stderr_lines();
        assert_eq!(
            lines.first().map(String::as_str),
            Some(expected),
            "unexpected first stderr line\n{}",
            self.describe()
        );
        self
    }

    /// A compile/usage error: status 1 and stderr starting with `error: `.
    pub fn assert_cli_error(&self) -> &Self {
        self.assert_status(1);
        assert!(
            self.stderr_text().starts_with("error: "),
            "stderr should start with `error: `\n{}",
            self.describe()
        );
        self
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 8000;
    if s.len() <= MAX {
        s.to_owned()
    } else {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}\n[... {} more bytes]", &s[..end], s.len() - end)
    }
}

/// A process to run: program, arguments, stdin, extra environment, timeout.
pub struct Cmd {
    command: Command,
    display: String,
    stdin: Vec<u8>,
    timeout: Duration,
}

/// Environment variable: the `--target` every compile in the suite adds (e.g.
/// `aarch64-linux`), for running the whole suite against a cross target.
pub const TARGET_ENV: &str = "KILN_TEST_TARGET";
/// Environment variable: the command (e.g. `qemu-aarch64`) that runs the executables
/// kiln built, when they are for another machine.
pub const RUNNER_ENV: &str = "KILN_TEST_RUNNER";

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let program = program.as_ref();
        // Executables kiln built live in scratch directories; with a cross target they
        // run under its emulator (kiln itself and native programs never do).
        let runner = std::env::var(RUNNER_ENV).ok().filter(|r| !r.is_empty());
        let scratch_root = target_dir().join("testsuite-tmp");
        let command = match runner {
            Some(runner) if Path::new(program).starts_with(&scratch_root) => {
                let mut words = runner.split_whitespace();
                let mut c = Command::new(words.next().unwrap_or_default());
                c.args(words).arg(program);
                c
            }
            _ => Command::new(program),
        };
        Cmd {
            command,
            display: program.to_string_lossy().into_owned(),
            stdin: Vec::new(),
            timeout: RUN_TIMEOUT,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        let arg = arg.as_ref();
        let _ = write!(self.display, " {:?}", arg);
        self.command.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = input.into();
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Cmd {
        self.command.env(key, value);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Cmd {
        self.timeout = timeout;
        self
    }

    /// Runs the process to completion (killing it after the timeout) and
    /// asserts that it exited normally rather than dying from a signal.
    pub fn output(mut self) -> Output {
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.display));
        let mut stdin = child.stdin.take().unwrap();
        let input = std::mem::take(&mut self.stdin);
        // A program may exit without reading its stdin: a broken pipe is fine.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            buf
        });
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait().expect("waiting for a child process") {
                Some(status) => break status,
                None if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stdout = out_reader.join().unwrap();
                    let stderr = err_reader.join().unwrap();
                    panic!(
                        "timed out after {:?}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        self.timeout,
                        self.display,
                        truncate(&String::from_utf8_lossy(&stdout)),
                        truncate(&String::from_utf8_lossy(&stderr)),
                    );
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        writer.join().unwrap();
        let stdout = out_reader.join().unwrap();
        let stderr = err_reader.join().unwrap();
        let code = exit_code(&status).unwrap_or_else(|why| {
            panic!(
                "{}: {why}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.display,
                truncate(&String::from_utf8_lossy(&stdout)),
                truncate(&String::from_utf8_lossy(&stderr)),
            )
        });
        Output {
            command: self.display,
            status: code,
            stdout,
            stderr,
        }
    }
}

/// The exit code, or why there is none (death by a signal).
fn exit_code(status: &ExitStatus) -> Result<i32, String> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let core = if status.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            return Err(format!(
                "killed by signal {signal}{core}; a wasm trap must exit with status {TRAP_STATUS}"
            ));
        }
    }
    status
        .code()
        .ok_or_else(|| format!("no exit code ({status})"))
}

/// Runs `kiln` with the given arguments.
pub fn kiln<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> Output {
    Cmd::new(kiln_exe())
        .args(args)
        .timeout(COMPILE_TIMEOUT)
        .output()
}

/// `kiln compile INPUT -o OUTPUT FLAGS...`, whatever the outcome; with
/// `$KILN_TEST_TARGET` set and no `--target` among the flags, for that target.
pub fn compile(input: &Path, output: &Path, flags: &[&str]) -> Output {
    let mut args: Vec<OsString> = vec![
        "compile".into(),
        input.as_os_str().into(),
        "-o".into(),
        output.as_os_str().into(),
    ];
    args.extend(flags.iter().map(OsString::from));
    if let Ok(target) = std::env::var(TARGET_ENV) {
        if !target.is_empty() && !flags.contains(&"--target") {
            args.extend(["--target".into(), target.into()]);
        }
    }
    kiln(args)
}

/// Compiles `input` to `scratch/<name>` and asserts that it worked.
pub fn compile_ok(input: &Path, scratch: &Scratch, name: &str, flags: &[&str]) -> PathBuf {
    let output = scratch.join(name);
    let result = compile(input, &output, flags);
    assert_eq!(
        result.status,
        0,
        "compiling {} failed\n{}",
        input.display(),
        result.describe()
    );
    let len = std::fs::metadata(&output)
        .unwrap_or_else(|e| {
            panic!(
                "kiln succeeded but {} is missing ({e})\n{}",
                output.display(),
                result.describe()
            )
        })
        .len();
    assert!(
        len > 0,
        "kiln succeeded but {} is empty\n{}",
        output.display(),
        result.describe()
    );
    output
}

/// Runs a compiled executable with arguments and stdin.
pub fn run(exe: &Path, args: &[&str], stdin: &[u8]) -> Output {
    Cmd::new(exe).args(args).stdin(stdin).output()
}

/// Compiles a WAT fixture (relative to `testsuite/wat/`) with `flags` and runs it without arguments.
pub fn compile_and_run_fixture(relative: &str, flags: &[&str]) -> Output {
    let scratch = Scratch::new(&format!("{relative}{}", flags.join("")));
    let exe = compile_ok(&wat_fixture(relative), &scratch, "prog", flags);
    run(&exe, &[], b"")
}

/// The host's short target name, when the host is one of Kiln's targets.
pub fn host_target() -> Option<&'static str> {
    match (std::env::consts::ARCH, std::env::consts::OS) {
        ("x86_64", "linux") => Some("x86_64-linux"),
        ("aarch64", "linux") => Some("aarch64-linux"),
        ("x86_64", "macos") => Some("x86_64-macos"),
        ("aarch64", "macos") => Some("aarch64-macos"),
        ("x86_64", "windows") => Some("x86_64-windows"),
        ("aarch64", "windows") => Some("aarch64-windows"),
        _ => None,
    }
}
