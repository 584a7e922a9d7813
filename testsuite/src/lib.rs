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

mod paths;
mod process;
mod scratch;
mod tree;

pub use paths::*;
pub use process::*;
pub use scratch::*;
pub use tree::*;

/// The `wasm[INDEX]::NAME` symbols (one per compiled wasm function) in the symbol table
/// of executable `exe`.
pub fn wasm_symbol_names(exe: &Path) -> Vec<String> {
    use object::{Object, ObjectSymbol};
    let bytes = std::fs::read(exe).unwrap_or_else(|e| panic!("cannot read {}: {e}", exe.display()));
    let file = object::File::parse(&*bytes)
        .unwrap_or_else(|e| panic!("{} is not an object file: {e}", exe.display()));
    file.symbols()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .filter(|n| n.starts_with("wasm["))
        .collect()
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

/// The host's short target name, when the host is one of Kiln's targets.
pub fn host_target() -> Option<&'static str> {
    kiln_targets::Target::host().short_name()
}
