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
    prebuilt(
        target_dir().join("wasm-programs/wasm32-wasip1/release"),
        &format!("{name}.wasm"),
    )
}

/// The same Rust program built natively for the host, to compare outputs with.
pub fn native_program(name: &str) -> PathBuf {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    prebuilt(target_dir().join("native-programs/release"), &file)
}

/// A SIMD program from `testsuite/programs/` (`simd_*`), prebuilt for wasm32-wasip1
/// with `-C target-feature=+simd128`; its native build is [`native_program`].
pub fn wasm_simd_program(name: &str) -> PathBuf {
    let dir = target_dir().join("wasm-simd-programs/wasm32-wasip1/release");
    prebuilt(dir, &format!("{name}.wasm"))
}

/// `dir/file`, which `cargo xtask test` builds before the tests run.
fn prebuilt(dir: PathBuf, file: &str) -> PathBuf {
    let path = dir.join(file);
    assert!(
        path.is_file(),
        "{} does not exist: {BUILD_HINT}",
        path.display()
    );
    path
}

/// A C program from `testsuite/programs/c/`, prebuilt by `zig cc`: the wasm32-wasi
/// module (with SIMD) and the native executable of the same source.
pub fn c_program(name: &str) -> (PathBuf, PathBuf) {
    let dir = target_dir().join("c-programs");
    let wasm = dir.join(format!("{name}.wasm"));
    let native = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    for path in [&wasm, &native] {
        assert!(
            path.is_file(),
            "{} does not exist: run `cargo xtask test` (it builds the C programs with zig cc, \
             from `python3 -m pip install ziglang==0.17.1`; CI installs it in .ci/run)",
            path.display()
        );
    }
    (wasm, native)
}

/// Runs the native build, then `wasm` compiled by kiln with each set of flags,
/// and asserts identical stdout, empty stderr and status 0.
pub fn assert_same_output_as_native(name: &str, wasm: &Path, native: &Path, flag_sets: &[&[&str]]) {
    let native = run(native, &[], b"");
    native.assert_success();
    assert!(
        !native.stdout.is_empty(),
        "the native {name} printed nothing"
    );
    let scratch = Scratch::new(name);
    for (i, flags) in flag_sets.iter().enumerate() {
        let exe = compile_ok(wasm, &scratch, &format!("{name}-{i}"), flags);
        let out = run(&exe, &[], b"");
        out.assert_success().assert_stderr("");
        if out.stdout != native.stdout {
            let kiln = out.stdout_text();
            let native = native.stdout_text();
            let first_difference = kiln
                .lines()
                .zip(native.lines())
                .enumerate()
                .find(|(_, (k, n))| k != n)
                .map(|(line, (k, n))| format!("line {}:\n  kiln:   {k}\n  native: {n}", line + 1))
                .unwrap_or_else(|| {
                    format!(
                        "lengths differ: kiln {} lines, native {}",
                        kiln.lines().count(),
                        native.lines().count()
                    )
                });
            panic!("{name} compiled with {flags:?} differs from the native build at {first_difference}");
        }
    }
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

/// One entry of a [`TreeSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// `file`, `dir`, `symlink` or `other`.
    pub kind: &'static str,
    /// File contents, or a symlink's target.
    pub data: Vec<u8>,
    pub len: u64,
    /// Modification time in nanoseconds since the epoch (symlinks: of the link itself).
    pub mtime_ns: i128,
    /// Permission bits (Unix), 0 elsewhere.
    pub mode: u32,
    /// Hard-link count (Unix), 0 elsewhere.
    pub nlink: u64,
}

/// Everything under a directory — names, types, contents, symlink targets,
/// modification times, permissions and link counts — never following
/// symlinks, so that a test can prove that a sandboxed program left a host
/// directory exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSnapshot {
    pub root: PathBuf,
    pub entries: std::collections::BTreeMap<PathBuf, TreeEntry>,
}

impl TreeSnapshot {
    /// Snapshots `root` (which must exist) and everything below it. The root
    /// itself is included as the entry with the empty path.
    pub fn take(root: &Path) -> TreeSnapshot {
        let mut entries = std::collections::BTreeMap::new();
        snapshot_into(root, Path::new(""), &mut entries);
        TreeSnapshot {
            root: root.to_path_buf(),
            entries,
        }
    }

    /// The differences from `earlier`, one line each (empty when identical).
    pub fn changes_since(&self, earlier: &TreeSnapshot) -> Vec<String> {
        let mut out = Vec::new();
        for (path, before) in &earlier.entries {
            match self.entries.get(path) {
                None => out.push(format!("removed: {}", path.display())),
                Some(after) if after != before => {
                    let mut what = Vec::new();
                    if after.kind != before.kind {
                        what.push(format!("type {} -> {}", before.kind, after.kind));
                    }
                    if after.data != before.data {
                        what.push(format!(
                            "contents {:?} -> {:?}",
                            String::from_utf8_lossy(&before.data[..before.data.len().min(60)]),
                            String::from_utf8_lossy(&after.data[..after.data.len().min(60)])
                        ));
                    }
                    if after.len != before.len {
                        what.push(format!("size {} -> {}", before.len, after.len));
                    }
                    if after.mtime_ns != before.mtime_ns {
                        what.push(format!("mtime {} -> {}", before.mtime_ns, after.mtime_ns));
                    }
                    if after.mode != before.mode {
                        what.push(format!("mode {:o} -> {:o}", before.mode, after.mode));
                    }
                    if after.nlink != before.nlink {
                        what.push(format!("link count {} -> {}", before.nlink, after.nlink));
                    }
                    out.push(format!("changed: {} ({})", path.display(), what.join(", ")));
                }
                Some(_) => {}
            }
        }
        for path in self.entries.keys() {
            if !earlier.entries.contains_key(path) {
                out.push(format!("added: {}", path.display()));
            }
        }
        out
    }

    /// Panics, listing every difference, unless the tree is as it was in `earlier`.
    pub fn assert_unchanged_since(&self, earlier: &TreeSnapshot, context: &str) {
        let changes = self.changes_since(earlier);
        assert!(
            changes.is_empty(),
            "{context}: {} changed outside the sandbox:\n  {}",
            self.root.display(),
            changes.join("\n  ")
        );
    }
}

fn snapshot_into(
    root: &Path,
    relative: &Path,
    out: &mut std::collections::BTreeMap<PathBuf, TreeEntry>,
) {
    let path = root.join(relative);
    let meta = std::fs::symlink_metadata(&path)
        .unwrap_or_else(|e| panic!("snapshot: cannot stat {}: {e}", path.display()));
    let file_type = meta.file_type();
    let (kind, data) = if file_type.is_symlink() {
        let target = std::fs::read_link(&path).expect("snapshot: readlink");
        ("symlink", target.into_os_string().into_encoded_bytes())
    } else if file_type.is_dir() {
        ("dir", Vec::new())
    } else if file_type.is_file() {
        (
            "file",
            std::fs::read(&path)
                .unwrap_or_else(|e| panic!("snapshot: cannot read {}: {e}", path.display())),
        )
    } else {
        ("other", Vec::new())
    };
    #[cfg(unix)]
    let (mtime_ns, mode, nlink) = {
        use std::os::unix::fs::MetadataExt;
        (
            i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            meta.mode(),
            meta.nlink(),
        )
    };
    #[cfg(not(unix))]
    let (mtime_ns, mode, nlink) = (
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128),
        0,
        0,
    );
    out.insert(
        relative.to_path_buf(),
        TreeEntry {
            kind,
            data,
            len: meta.len(),
            mtime_ns,
            mode,
            nlink,
        },
    );
    if kind == "dir" {
        let mut names: Vec<_> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("snapshot: cannot list {}: {e}", path.display()))
            .map(|e| e.expect("snapshot: directory entry").file_name())
            .collect();
        names.sort();
        for name in names {
            snapshot_into(root, &relative.join(name), out);
        }
    }
}

/// The prebuilt `.wasm` and native executable of a real-world tool that `cargo xtask
/// test` installs from crates.io (see `xtask/src/realworld.rs`).
pub fn realworld_binaries(bin: &str) -> (PathBuf, PathBuf) {
    realworld_build(bin, "wasm")
}

/// Like [`realworld_binaries`], with the module built with wasm SIMD (`+simd128`;
/// `SIMD_TOOLS` in `xtask/src/realworld.rs`).
pub fn realworld_simd_binaries(bin: &str) -> (PathBuf, PathBuf) {
    realworld_build(bin, "wasm-simd")
}

fn realworld_build(bin: &str, wasm_dir: &str) -> (PathBuf, PathBuf) {
    let root = target_dir().join("realworld");
    let wasm = root.join(wasm_dir).join("bin").join(format!("{bin}.wasm"));
    let native = root
        .join("native/bin")
        .join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    for path in [&wasm, &native] {
        assert!(
            path.is_file(),
            "{} does not exist: run `cargo xtask test` (it builds the real-world tools with \
             `cargo install`)",
            path.display()
        );
    }
    (wasm, native)
}

/// `testsuite/realworld-inputs/`: the inputs fed to the real-world tools.
pub fn realworld_inputs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("realworld-inputs")
}

/// Compares two trees by everything but modification times (the two runs
/// happen at different moments; times the programs set are in the transcripts).
pub fn assert_same_tree(kiln: &Path, native: &Path) {
    let strip = |dir: &Path| {
        let mut snap = TreeSnapshot::take(dir);
        for entry in snap.entries.values_mut() {
            entry.mtime_ns = 0;
            // A directory's size is file-system bookkeeping, not content.
            if entry.kind == "dir" {
                entry.len = 0;
            }
        }
        snap.entries
    };
    let (k, n) = (strip(kiln), strip(native));
    let only = |a: &std::collections::BTreeMap<_, _>, b: &std::collections::BTreeMap<_, _>| {
        a.keys()
            .filter(|p| !b.contains_key(*p))
            .map(|p: &std::path::PathBuf| p.display().to_string())
            .collect::<Vec<_>>()
    };
    let differing: Vec<String> = k
        .iter()
        .filter_map(|(p, e)| match n.get(p) {
            Some(f) if f != e => Some(format!("{}: kiln {e:?} / native {f:?}", p.display())),
            _ => None,
        })
        .collect();
    assert!(
        k == n,
        "the kiln and native runs left different trees\n  only in kiln's: {:?}\n  only in native's: {:?}\n  different: {differing:#?}",
        only(&k, &n),
        only(&n, &k)
    );
}
