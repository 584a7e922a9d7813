//! Linux on x86_64 and aarch64: what differs from macOS under [`super::unix`].

use super::OsError;
use crate::traps::Resume;
use core::ffi::{c_char, c_int, c_void};

/// Mapping flags of a reservation. `MAP_NORESERVE`: nothing is committed (or charged
/// against overcommit limits) until pages are made accessible.
pub(super) const RESERVE_FLAGS: c_int =
    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;

/// Whether the signal described by `info` was raised by the CPU (a fault) rather than
/// sent by a process with kill()/raise()/sigqueue(), which Linux marks with si_code <= 0.
///
/// # Safety
/// `info` must be the siginfo the kernel passed to an SA_SIGINFO handler.
pub(super) unsafe fn is_fault(info: *const libc::siginfo_t) -> bool {
    // SAFETY: caller's contract.
    unsafe { (*info).si_code > 0 }
}

#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn faulting_pc(context: *mut c_void) -> usize {
    let uc = context.cast::<libc::ucontext_t>();
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler.
    unsafe { (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] as usize }
}

#[cfg(target_arch = "aarch64")]
pub(super) unsafe fn faulting_pc(context: *mut c_void) -> usize {
    let uc = context.cast::<libc::ucontext_t>();
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler.
    unsafe { (*uc).uc_mcontext.pc as usize }
}

/// Makes the interrupted thread continue at `resume.pc` with the given stack pointer,
/// frame pointer and first argument once the handler returns (sigreturn loads the context,
/// including the signal mask as it was before the fault).
///
/// # Safety
/// `context` must be the ucontext of the signal being handled, and `resume` a landing
/// routine with a live stack.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn redirect(context: *mut c_void, resume: Resume) {
    let uc = context.cast::<libc::ucontext_t>();
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler.
    let gregs = unsafe { &mut (*uc).uc_mcontext.gregs };
    gregs[libc::REG_RIP as usize] = resume.pc as i64;
    gregs[libc::REG_RSP as usize] = resume.sp as i64;
    gregs[libc::REG_RBP as usize] = resume.fp as i64;
    gregs[libc::REG_RDI as usize] = resume.arg as i64;
}

/// Makes the interrupted thread continue at `resume.pc` with the given stack pointer,
/// frame pointer and first argument once the handler returns (sigreturn loads the context,
/// including the signal mask as it was before the fault).
///
/// # Safety
/// `context` must be the ucontext of the signal being handled, and `resume` a landing
/// routine with a live stack.
#[cfg(target_arch = "aarch64")]
pub(super) unsafe fn redirect(context: *mut c_void, resume: Resume) {
    let uc = context.cast::<libc::ucontext_t>();
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler.
    let mc = unsafe { &mut (*uc).uc_mcontext };
    mc.pc = resume.pc as u64;
    mc.sp = resume.sp as u64;
    mc.regs[29] = resume.fp as u64;
    mc.regs[0] = resume.arg as u64;
}

/// Fills `[ptr, ptr + len)` with random bytes from the OS (getrandom(2)).
///
/// # Safety
/// The range must be writable memory.
pub(crate) unsafe fn fill_random(mut ptr: *mut u8, mut len: usize) -> Result<(), OsError> {
    while len > 0 {
        // SAFETY: the caller guarantees `[ptr, ptr + len)` is writable.
        let n = unsafe { libc::getrandom(ptr.cast(), len, 0) };
        if n < 0 {
            let err = OsError::last();
            if err.0 == libc::EINTR {
                continue;
            }
            return Err(err);
        }
        let n = n as usize;
        ptr = ptr.wrapping_add(n);
        len -= n;
    }
    Ok(())
}

/// This thread's errno.
pub(super) fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() }
}

/// The C library's environment array.
pub(super) fn environ() -> *const *const c_char {
    extern "C" {
        static environ: *const *const c_char;
    }
    // SAFETY: reading the pointer value of libc's `environ`.
    unsafe { environ }
}

/// The host file-system calls WASI uses that macOS lacks or spells differently (see
/// `macos.rs`); on Linux they are libc's own.
pub(crate) mod fs {
    pub(crate) use libc::{
        fdatasync, posix_fadvise, posix_fallocate, O_PATH, O_RSYNC, POSIX_FADV_DONTNEED,
        POSIX_FADV_NOREUSE, POSIX_FADV_NORMAL, POSIX_FADV_RANDOM, POSIX_FADV_SEQUENTIAL,
        POSIX_FADV_WILLNEED,
    };
}
