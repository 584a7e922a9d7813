//! macOS on x86_64 and arm64: what differs from Linux under [`super::unix`].
//!
//! Traps arrive as BSD signals (not Mach exception ports): out-of-bounds accesses to the
//! PROT_NONE part of a reservation raise SIGBUS (SIGSEGV for unmapped addresses), `ud2` /
//! `udf` raise SIGILL, x86_64 integer division faults raise SIGFPE. The signal context is
//! `ucontext_t.uc_mcontext`, a pointer to the thread state (`__ss`). arm64 macOS reserves
//! x18 for the system; nothing here or in `traps::recover` touches it.

use super::OsError;
use crate::traps::Resume;
use core::ffi::c_char;
use core::ffi::{c_int, c_void};

/// Mapping flags of a reservation. macOS has no overcommit accounting for untouched
/// PROT_NONE anonymous memory (MAP_NORESERVE exists but is ignored), so none is needed.
pub(super) const RESERVE_FLAGS: c_int = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;

/// `si_code` of a signal sent by a process (`<sys/signal.h>`): SI_USER (kill, raise),
/// SI_QUEUE (sigqueue), SI_TIMER, SI_ASYNCIO, SI_MESGQ. The kernel's fault codes are small
/// (ILL_ILLOPC, FPE_INTDIV, SEGV_ACCERR, ...; 0 when it has no better one, e.g. SIGSEGV
/// after a general-protection fault), so unlike on Linux "positive" does not mean "fault".
const SI_SENT: core::ops::RangeInclusive<c_int> = 0x10001..=0x10005;

/// Whether the signal described by `info` was raised by the CPU (a fault) rather than
/// sent by a process.
///
/// # Safety
/// `info` must be the siginfo the kernel passed to an SA_SIGINFO handler.
pub(super) unsafe fn is_fault(info: *const libc::siginfo_t) -> bool {
    // SAFETY: caller's contract.
    let code = unsafe { (*info).si_code };
    !SI_SENT.contains(&code)
}

/// The interrupted thread's saved state: `uc_mcontext` points at it.
///
/// # Safety
/// `context` must be the ucontext the kernel gave the signal handler.
unsafe fn mcontext(context: *mut c_void) -> *mut libc::__darwin_mcontext64 {
    let uc = context.cast::<libc::ucontext_t>();
    // SAFETY: caller's contract; the kernel fills uc_mcontext with a valid pointer into
    // the signal frame it built.
    unsafe { (*uc).uc_mcontext }
}

#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn faulting_pc(context: *mut c_void) -> usize {
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler.
    unsafe { (*mcontext(context)).__ss.__rip as usize }
}

#[cfg(target_arch = "aarch64")]
pub(super) unsafe fn faulting_pc(context: *mut c_void) -> usize {
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler.
    unsafe { (*mcontext(context)).__ss.__pc as usize }
}

/// Makes the interrupted thread continue at `resume.pc` with the given stack pointer,
/// frame pointer and first argument once the handler returns (sigreturn loads the thread
/// state from the mcontext, and the signal mask as it was before the fault).
///
/// # Safety
/// `context` must be the ucontext of the signal being handled, and `resume` a landing
/// routine with a live stack.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn redirect(context: *mut c_void, resume: Resume) {
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler; nothing
    // else refers to its thread state while the handler runs.
    let ss = unsafe { &mut (*mcontext(context)).__ss };
    ss.__rip = resume.pc as u64;
    ss.__rsp = resume.sp as u64;
    ss.__rbp = resume.fp as u64;
    ss.__rdi = resume.arg as u64;
}

/// Makes the interrupted thread continue at `resume.pc` with the given stack pointer,
/// frame pointer and first argument once the handler returns (sigreturn loads the thread
/// state from the mcontext, and the signal mask as it was before the fault).
///
/// # Safety
/// `context` must be the ucontext of the signal being handled, and `resume` a landing
/// routine with a live stack.
#[cfg(target_arch = "aarch64")]
pub(super) unsafe fn redirect(context: *mut c_void, resume: Resume) {
    // SAFETY: the caller passes the ucontext the kernel gave the signal handler; nothing
    // else refers to its thread state while the handler runs. (aarch64-apple-darwin is
    // arm64, not arm64e: the saved pc/lr/sp/fp are plain, unsigned values.)
    let ss = unsafe { &mut (*mcontext(context)).__ss };
    ss.__pc = resume.pc as u64;
    ss.__sp = resume.sp as u64;
    ss.__fp = resume.fp as u64;
    ss.__x[0] = resume.arg as u64;
}

/// getentropy(2) fills at most this many bytes per call.
const GETENTROPY_MAX: usize = 256;

/// Fills `[ptr, ptr + len)` with random bytes from the OS (getentropy(2), macOS 10.12+,
/// in chunks of at most 256 bytes).
///
/// # Safety
/// The range must be writable memory.
pub(crate) unsafe fn fill_random(mut ptr: *mut u8, mut len: usize) -> Result<(), OsError> {
    while len > 0 {
        let chunk = len.min(GETENTROPY_MAX);
        // SAFETY: the caller guarantees `[ptr, ptr + len)` is writable; chunk <= len.
        if unsafe { libc::getentropy(ptr.cast(), chunk) } != 0 {
            return Err(OsError::last());
        }
        ptr = ptr.wrapping_add(chunk);
        len -= chunk;
    }
    Ok(())
}

/// This thread's errno.
pub(super) fn errno() -> i32 {
    // SAFETY: __error returns this thread's errno slot.
    unsafe { *libc::__error() }
}

/// The C library's environment array (`environ` itself is not reachable from every
/// image on macOS; `_NSGetEnviron` is).
pub(super) fn environ() -> *const *const c_char {
    // SAFETY: _NSGetEnviron returns the address of the process's environment pointer.
    unsafe { *libc::_NSGetEnviron() as *const *const c_char }
}

/// The host file-system calls WASI uses that macOS lacks or spells differently, with the
/// Linux names and calling conventions (so the WASI code reads the same on both).
pub(crate) mod fs {
    use core::ffi::c_int;

    /// macOS has no `O_PATH`. The closest is a read-only, non-blocking open (no hang on a
    /// FIFO), which unlike `O_PATH` needs read permission. With `O_NOFOLLOW` it fails with
    /// `ELOOP` on a symlink instead of opening the link itself, so the sandbox's
    /// component walk refuses paths through symlinks on macOS rather than following them
    /// (never out of the sandbox).
    pub(crate) const O_PATH: c_int = libc::O_RDONLY | libc::O_NONBLOCK;

    /// macOS has no `O_RSYNC`; `O_SYNC` is at least as strong (and glibc's `O_RSYNC` is
    /// `O_SYNC` too).
    pub(crate) const O_RSYNC: c_int = libc::O_SYNC;

    /// `fdatasync` is not in macOS's headers: `fsync` (data and metadata).
    ///
    /// # Safety
    /// None beyond those of fsync(2).
    pub(crate) unsafe fn fdatasync(fd: c_int) -> c_int {
        // SAFETY: fsync has no memory preconditions.
        unsafe { libc::fsync(fd) }
    }

    // POSIX's values; macOS has no posix_fadvise, so they are only told apart here.
    pub(crate) const POSIX_FADV_NORMAL: c_int = 0;
    pub(crate) const POSIX_FADV_RANDOM: c_int = 1;
    pub(crate) const POSIX_FADV_SEQUENTIAL: c_int = 2;
    pub(crate) const POSIX_FADV_WILLNEED: c_int = 3;
    pub(crate) const POSIX_FADV_DONTNEED: c_int = 4;
    pub(crate) const POSIX_FADV_NOREUSE: c_int = 5;

    /// Advice is only advice: macOS has no posix_fadvise, so it is checked and ignored.
    /// Returns an error number like posix_fadvise (0, or EBADF/EINVAL/ESPIPE).
    ///
    /// # Safety
    /// None beyond those of fstat(2).
    pub(crate) unsafe fn posix_fadvise(
        fd: c_int,
        offset: libc::off_t,
        len: libc::off_t,
        _advice: c_int,
    ) -> c_int {
        if offset < 0 || len < 0 {
            return libc::EINVAL;
        }
        match fstat_mode(fd) {
            Err(e) => e,
            Ok(mode) if mode & libc::S_IFMT == libc::S_IFIFO => libc::ESPIPE,
            Ok(_) => 0,
        }
    }

    /// posix_fallocate for macOS, which has none: makes sure `[offset, offset + len)` is
    /// part of the file — F_PREALLOCATE for the blocks past the end (best effort), then
    /// ftruncate to extend the size (never shrinks). Returns an error number like
    /// posix_fallocate.
    ///
    /// # Safety
    /// None beyond those of fstat(2), fcntl(2) and ftruncate(2).
    pub(crate) unsafe fn posix_fallocate(
        fd: c_int,
        offset: libc::off_t,
        len: libc::off_t,
    ) -> c_int {
        if offset < 0 || len <= 0 {
            return libc::EINVAL;
        }
        let Some(end) = offset.checked_add(len) else {
            return libc::EFBIG;
        };
        // SAFETY: plain data, filled in by fstat.
        let mut st: libc::stat = unsafe { core::mem::zeroed() };
        // SAFETY: `st` is a valid out-pointer.
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return errno();
        }
        match st.st_mode & libc::S_IFMT {
            libc::S_IFREG => {}
            libc::S_IFIFO => return libc::ESPIPE,
            _ => return libc::ENODEV,
        }
        if end <= st.st_size {
            return 0;
        }
        let mut store = libc::fstore_t {
            fst_flags: libc::F_ALLOCATEALL,
            fst_posmode: libc::F_PEOFPOSMODE,
            fst_offset: 0,
            fst_length: end - st.st_size,
            fst_bytesalloc: 0,
        };
        // SAFETY: `store` is a valid fstore_t that fcntl reads and updates. A failure
        // (e.g. a file system without preallocation) still leaves ftruncate to extend.
        unsafe { libc::fcntl(fd, libc::F_PREALLOCATE, &mut store as *mut libc::fstore_t) };
        // SAFETY: ftruncate has no memory preconditions.
        if unsafe { libc::ftruncate(fd, end) } != 0 {
            return errno();
        }
        0
    }

    fn fstat_mode(fd: c_int) -> Result<libc::mode_t, c_int> {
        // SAFETY: plain data, filled in by fstat.
        let mut st: libc::stat = unsafe { core::mem::zeroed() };
        // SAFETY: `st` is a valid out-pointer.
        if unsafe { libc::fstat(fd, &mut st) } == 0 {
            Ok(st.st_mode)
        } else {
            Err(errno())
        }
    }

    fn errno() -> c_int {
        super::errno()
    }
}
