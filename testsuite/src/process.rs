//! Running `kiln` and compiled programs: captured output with assertions, timeouts,
//! and the cross-target runner (`KILN_TEST_TARGET`, `KILN_TEST_RUNNER`).

use super::*;

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

    /// Starts the process with an empty environment (then only what [`Cmd::env`] adds).
    pub fn env_clear(mut self) -> Cmd {
        self.command.env_clear();
        self
    }

    pub fn env_remove(mut self, key: &str) -> Cmd {
        self.command.env_remove(key);
        self
    }

    /// Runs the process in `dir` instead of the test's working directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        let _ = write!(self.display, " (in {})", dir.as_ref().display());
        self.command.current_dir(dir);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Cmd {
        self.timeout = timeout;
        self
    }

    /// Runs the process to completion (killing it after the timeout) and
    /// asserts that it exited normally rather than dying from a signal.
    pub fn output(self) -> Output {
        self.try_output().unwrap_or_else(|why| panic!("{why}"))
    }

    /// [`Cmd::output`], with a process that could not start, ran past the timeout or
    /// died from a signal reported as an error instead of a panic.
    pub fn try_output(mut self) -> Result<Output, String> {
        let mut child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.display))?;
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
                    return Err(format!(
                        "timed out after {:?}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                        self.timeout,
                        self.display,
                        truncate(&String::from_utf8_lossy(&stdout)),
                        truncate(&String::from_utf8_lossy(&stderr)),
                    ));
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        writer.join().unwrap();
        let stdout = out_reader.join().unwrap();
        let stderr = err_reader.join().unwrap();
        let code = exit_code(&status).map_err(|why| {
            format!(
                "{}: {why}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.display,
                truncate(&String::from_utf8_lossy(&stdout)),
                truncate(&String::from_utf8_lossy(&stderr)),
            )
        })?;
        Ok(Output {
            command: self.display,
            status: code,
            stdout,
            stderr,
        })
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

/// The `argv[0]` a compiled executable sees when [`run`] starts it: its path, or under
/// wine the Windows form of that path (`Z:` and backslashes).
pub fn argv0(exe: &Path) -> String {
    let path = exe.display().to_string();
    match std::env::var(RUNNER_ENV) {
        Ok(runner) if runner.split_whitespace().any(|word| word == "wine") => {
            format!("Z:{}", path.replace('/', "\\"))
        }
        _ => path,
    }
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
