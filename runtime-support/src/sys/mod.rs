//! Platform layer: address-space reservation, signal handling (including reading the
//! faulting PC), the alternate signal stack, random bytes and raw process exit.
//!
//! Everything that differs between operating systems or CPU architectures lives below this
//! module; the rest of the runtime only calls the functions re-exported here. [`unix`] holds
//! what Linux and macOS share (mmap/mprotect reservations, the SIGSEGV/SIGBUS/SIGILL/SIGFPE
//! handlers on an alternate stack, raw write/_exit); the per-OS module (`linux.rs`,
//! `macos.rs`) supplies the mapping flags, the layout of the signal context (faulting PC and
//! the rewrite that resumes at a trap landing), how a fault is told apart from a signal sent
//! by a process, and the random-bytes source. [`windows`] is the same set of functions
//! for Windows (`VirtualAlloc`, a vectored exception handler, standard
//! handles, fiber-local storage).

#[cfg(all(
    any(target_os = "linux", target_os = "macos"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod unix;
#[cfg(all(
    any(target_os = "linux", target_os = "macos"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use unix::*;

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[path = "linux.rs"]
mod os;

#[cfg(all(
    target_os = "macos",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
#[path = "macos.rs"]
mod os;

#[cfg(all(
    any(target_os = "linux", target_os = "macos"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use os::{fill_random, fs};

#[cfg(all(
    target_os = "windows",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod windows;
#[cfg(all(
    target_os = "windows",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use windows::*;

#[cfg(not(any(
    all(
        any(target_os = "linux", target_os = "macos"),
        any(target_arch = "x86_64", target_arch = "aarch64")
    ),
    all(
        target_os = "windows",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )
)))]
compile_error!(
    "kiln-runtime supports x86_64 and aarch64 on Linux and macOS so far: port src/sys/ \
     (memory reservation, trap signal/exception handling, faulting PC, alternate stack, \
     random bytes, raw exit) to this target"
);

/// Writes all of `bytes` to stderr, ignoring failures (usable in the trap handlers: it
/// neither allocates nor locks).
pub(crate) fn write_stderr(bytes: &[u8]) {
    let _ = write_all(2, bytes);
}

/// `core::fmt` output to stderr, unbuffered (for the panic handler and reports).
#[cfg_attr(test, allow(dead_code))]
pub(crate) struct StderrWriter;

impl core::fmt::Write for StderrWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        write_stderr(s.as_bytes());
        Ok(())
    }
}
