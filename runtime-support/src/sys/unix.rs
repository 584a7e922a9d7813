//! What Linux and macOS share: reservations with mmap/mprotect, the trap signal handlers
//! (SA_SIGINFO | SA_ONSTACK) and the per-thread alternate signal stack, raw write/_exit.
//! The OS-specific parts come from [`super::os`].

use super::os;
use crate::prelude::*;
use crate::traps::FaultAction;
use core::cell::RefCell;
use core::cell::UnsafeCell;
use core::ffi::{c_int, c_void};
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

// ---------------------------------------------------------------------------
// Virtual memory
// ---------------------------------------------------------------------------

/// Reserves `size` bytes of inaccessible address space. Nothing is committed until
/// [`commit`] makes pages accessible.
pub(crate) fn reserve(size: usize) -> Result<*mut u8, OsError> {
    // SAFETY: a new anonymous private mapping at an address of the kernel's choosing
    // cannot alias anything that exists.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            size,
            libc::PROT_NONE,
            os::RESERVE_FLAGS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        Err(OsError::last())
    } else {
        Ok(p.cast())
    }
}

/// Makes `[ptr, ptr + len)` readable and writable (zero-filled on first touch).
///
/// # Safety
/// The range must lie inside a reservation made by [`reserve`], page-aligned.
pub(crate) unsafe fn commit(ptr: *mut u8, len: usize) -> Result<(), OsError> {
    if len == 0 {
        return Ok(());
    }
    // SAFETY: the caller guarantees the range is part of our own reservation.
    let r = unsafe { libc::mprotect(ptr.cast(), len, libc::PROT_READ | libc::PROT_WRITE) };
    if r == 0 {
        Ok(())
    } else {
        Err(OsError::last())
    }
}

/// Returns a reservation to the OS.
///
/// # Safety
/// `ptr`/`size` must be exactly a reservation from [`reserve`] that nothing uses any more.
pub(crate) unsafe fn release(ptr: *mut u8, size: usize) {
    // SAFETY: the caller guarantees the mapping is ours and unused.
    unsafe { libc::munmap(ptr.cast(), size) };
}

// ---------------------------------------------------------------------------
// Trap signals
// ---------------------------------------------------------------------------

/// Out-of-bounds accesses raise SIGSEGV (Linux; macOS for unmapped addresses) or SIGBUS
/// (macOS for a PROT_NONE page of a reservation), trap instructions (`ud2`, `udf`) SIGILL,
/// x86_64 integer division faults SIGFPE.
const TRAP_SIGNALS: [c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// The dispositions our handlers replaced, restored when a fault is not a wasm trap.
struct PreviousActions(UnsafeCell<[MaybeUninit<libc::sigaction>; 4]>);

// SAFETY: each slot is written once, by sigaction(2) while our handler for that signal is
// being installed (by the one caller that sets `INSTALLED`), and only read afterwards, by
// that handler.
unsafe impl Sync for PreviousActions {}

static PREVIOUS: PreviousActions = PreviousActions(UnsafeCell::new([MaybeUninit::zeroed(); 4]));

fn previous_action(i: usize) -> *mut libc::sigaction {
    PREVIOUS.0.get().cast::<libc::sigaction>().wrapping_add(i)
}

/// Installs the process-wide handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE (once).
pub(crate) fn install_signal_handlers() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    // Only the first caller installs; the handlers are the same for every thread, and a
    // second thread that starts meanwhile gets its alternate stack before running wasm.
    if !INSTALLED.swap(true, Ordering::AcqRel) {
        for (i, &sig) in TRAP_SIGNALS.iter().enumerate() {
            // SAFETY: `act` is zero-initialised plain data with the handler and flags set;
            // `on_signal` has the three-argument SA_SIGINFO signature; the old action is
            // written to our own slot `i`, which nothing reads before the handler runs.
            unsafe {
                let mut act: libc::sigaction = core::mem::zeroed();
                act.sa_sigaction = on_signal as *const () as usize;
                // SA_ONSTACK: run on the alternate stack so a trap is reported even when
                // the thread's stack is exhausted. No SA_NODEFER: a fault inside the
                // handler itself must kill the process rather than recurse.
                act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut act.sa_mask);
                libc::sigaction(sig, &act, previous_action(i));
            }
        }
    }
}

extern "C" fn on_signal(sig: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: for an SA_SIGINFO handler the kernel passes valid siginfo and ucontext pointers.
    let (pc, from_fault) = unsafe { (os::faulting_pc(context), os::is_fault(info)) };
    // A signal sent with kill()/raise() is never a wasm trap, wherever the PC is.
    if from_fault {
        match crate::traps::handle_fault(pc) {
            FaultAction::Resume(resume) => {
                // SAFETY: the kernel's ucontext of this very signal; returning from the
                // handler resumes at the landing routine with the protected call's stack.
                unsafe { os::redirect(context, resume) };
                return;
            }
            FaultAction::NotWasm => {}
        }
    }
    // Not ours: put the previous disposition back and return. A synchronous fault happens
    // again when the instruction restarts and is then handled by the previous handler (the
    // default action: the process dies with this signal); a sent signal is re-sent.
    if let Some(i) = TRAP_SIGNALS.iter().position(|&s| s == sig) {
        // SAFETY: slot `i` was filled by sigaction(2) when this handler was installed.
        unsafe { libc::sigaction(sig, previous_action(i), ptr::null_mut()) };
    }
    if !from_fault {
        // SAFETY: raise is async-signal-safe; the signal stays blocked until we return.
        unsafe { libc::raise(sig) };
    }
}

// ---------------------------------------------------------------------------
// Alternate signal stack
// ---------------------------------------------------------------------------

/// At least MINSIGSTKSZ on both systems (macOS: 32 KiB).
const ALT_STACK_SIZE: usize = 64 * 1024;

/// This thread's alternate signal stack: a guard page below `ALT_STACK_SIZE` usable bytes.
struct AltStack {
    mapping: *mut u8,
    size: usize,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        let page = page_size();
        // SAFETY: plain queries/updates of this thread's signal stack; the mapping is ours
        // and is unmapped only after the kernel no longer uses it as the signal stack.
        unsafe {
            let mut current: libc::stack_t = core::mem::zeroed();
            libc::sigaltstack(ptr::null(), &mut current);
            if current.ss_sp == self.mapping.add(page).cast() {
                let disable = libc::stack_t {
                    ss_sp: ptr::null_mut(),
                    ss_flags: libc::SS_DISABLE,
                    ss_size: 0,
                };
                libc::sigaltstack(&disable, ptr::null_mut());
            }
            libc::munmap(self.mapping.cast(), self.size);
        }
    }
}

/// This thread's alternate stack, unmapped when the thread ends.
static ALT_STACK: ThreadLocal<RefCell<Option<AltStack>>> = ThreadLocal::new(|| RefCell::new(None));

/// Gives the current thread an alternate signal stack unless it has a big enough one.
pub(crate) fn ensure_alt_stack() -> Result<(), OsError> {
    // SAFETY: querying the current thread's signal stack into a local.
    let current = unsafe {
        let mut current: libc::stack_t = core::mem::zeroed();
        libc::sigaltstack(ptr::null(), &mut current);
        current
    };
    if current.ss_flags & libc::SS_DISABLE == 0 && current.ss_size >= ALT_STACK_SIZE {
        return Ok(());
    }
    let page = page_size();
    let size = ALT_STACK_SIZE + page;
    // SAFETY: a fresh private mapping; the lowest page becomes a guard so a handler that
    // overflows the alternate stack faults instead of corrupting memory.
    let mapping = unsafe {
        let p = libc::mmap(
            ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return Err(OsError::last());
        }
        libc::mprotect(p, page, libc::PROT_NONE);
        p.cast::<u8>()
    };
    let stack = libc::stack_t {
        ss_sp: mapping.wrapping_add(page).cast(),
        ss_flags: 0,
        ss_size: ALT_STACK_SIZE,
    };
    // SAFETY: `stack` describes memory we own for as long as this thread lives (AltStack
    // disables it before unmapping).
    if unsafe { libc::sigaltstack(&stack, ptr::null_mut()) } != 0 {
        let err = OsError::last();
        // SAFETY: the mapping was never published.
        unsafe { libc::munmap(mapping.cast(), size) };
        return Err(err);
    }
    ALT_STACK.with(|s| *s.borrow_mut() = Some(AltStack { mapping, size }));
    Ok(())
}

// ---------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------

/// Makes a write to a closed pipe fail with EPIPE, which WASI reports to the guest,
/// instead of killing the process (what wasmtime and Rust's own runtime do; `lang_start`,
/// which would set this up, does not run in a Kiln executable).
pub(crate) fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Writes all of `bytes` to `fd` with write(2) only (async-signal-safe, no allocation).
pub(crate) fn write_all(fd: c_int, mut bytes: &[u8]) -> Result<(), OsError> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid readable buffer.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            match OsError::last() {
                OsError(libc::EINTR) => continue,
                e => return Err(e),
            }
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// One read(2) from `fd` into `buf` (0: end of file).
pub(crate) fn read(fd: c_int, buf: &mut [u8]) -> Result<usize, OsError> {
    loop {
        // SAFETY: `buf` is a valid writable buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        match OsError::last() {
            OsError(libc::EINTR) => continue,
            e => return Err(e),
        }
    }
}

/// Ends the process with SIGABRT (a bug in the runtime).
pub(crate) fn abort() -> ! {
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}

/// Ends the process now, without running exit handlers (async-signal-safe).
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}

// ---------------------------------------------------------------------------
// Errors, threads, thread-locals, environment
// ---------------------------------------------------------------------------

/// An OS error number (errno).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsError(pub i32);

impl OsError {
    /// This thread's `errno`, as left by the last failed call.
    pub(crate) fn last() -> OsError {
        OsError(os::errno())
    }
}

impl fmt::Display for OsError {
    /// `Cannot allocate memory (os error 12)`, as std would print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0 as core::ffi::c_char; 128];
        // SAFETY: `buf` is writable for its length; strerror_r NUL-terminates on success.
        let text = if unsafe { libc::strerror_r(self.0, buf.as_mut_ptr(), buf.len()) } == 0 {
            // SAFETY: NUL-terminated by strerror_r (see above).
            unsafe { core::ffi::CStr::from_ptr(buf.as_ptr()) }
                .to_str()
                .unwrap_or("unknown error")
        } else {
            "unknown error"
        };
        write!(f, "{text} (os error {})", self.0)
    }
}

/// Runs `body` on a new thread with a stack of `stack_size` bytes and returns its result
/// once it ends.
pub(crate) fn run_on_thread(
    stack_size: usize,
    body: Box<dyn FnOnce() -> i32 + Send>,
) -> Result<i32, OsError> {
    extern "C" fn start(arg: *mut c_void) -> *mut c_void {
        // SAFETY: `arg` is the box leaked below, handed to exactly this thread.
        let body = unsafe { Box::from_raw(arg.cast::<Box<dyn FnOnce() -> i32 + Send>>()) };
        body() as isize as *mut c_void
    }
    let arg = Box::into_raw(Box::new(body));
    // SAFETY: the attribute object is initialised before use and destroyed after; the
    // thread gets sole ownership of `arg`, reclaimed here if it could not start.
    unsafe {
        let mut attr: libc::pthread_attr_t = core::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        let page = page_size();
        libc::pthread_attr_setstacksize(&mut attr, stack_size.div_ceil(page) * page);
        let mut thread: libc::pthread_t = core::mem::zeroed();
        let r = libc::pthread_create(&mut thread, &attr, start, arg.cast());
        libc::pthread_attr_destroy(&mut attr);
        if r != 0 {
            drop(Box::from_raw(arg));
            return Err(OsError(r));
        }
        let mut result: *mut c_void = ptr::null_mut();
        let r = libc::pthread_join(thread, &mut result);
        if r != 0 {
            return Err(OsError(r));
        }
        Ok(result as isize as i32)
    }
}

/// Starts `body` on a detached thread of its own (a small stack: watchdogs only).
pub(crate) fn spawn_detached(body: Box<dyn FnOnce() + Send>) -> Result<(), OsError> {
    extern "C" fn start(arg: *mut c_void) -> *mut c_void {
        // SAFETY: `arg` is the box leaked below, handed to exactly this thread.
        let body = unsafe { Box::from_raw(arg.cast::<Box<dyn FnOnce() + Send>>()) };
        body();
        ptr::null_mut()
    }
    let arg = Box::into_raw(Box::new(body));
    // SAFETY: the thread gets sole ownership of `arg`, reclaimed here if it could not
    // start; a detached thread's resources are freed when it ends.
    unsafe {
        let mut thread: libc::pthread_t = core::mem::zeroed();
        let r = libc::pthread_create(&mut thread, ptr::null(), start, arg.cast());
        if r != 0 {
            drop(Box::from_raw(arg));
            return Err(OsError(r));
        }
        libc::pthread_detach(thread);
    }
    Ok(())
}

/// Sleeps for `ms` milliseconds (resuming after signals).
pub(crate) fn sleep_ms(ms: u64) {
    let mut left = libc::timespec {
        tv_sec: (ms / 1000) as _,
        tv_nsec: ((ms % 1000) * 1_000_000) as libc::c_long,
    };
    loop {
        let mut rest = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: both pointers are to live timespecs.
        if unsafe { libc::nanosleep(&left, &mut rest) } == 0 {
            return;
        }
        left = rest;
    }
}

/// A per-thread value of type `T`, created by `init` on a thread's first use and dropped
/// when the thread ends (a POSIX thread-specific key, created on first use).
pub(crate) struct ThreadLocal<T: 'static> {
    /// The pthread key plus one; 0 until created.
    key: AtomicUsize,
    init: fn() -> T,
}

impl<T: 'static> ThreadLocal<T> {
    pub(crate) const fn new(init: fn() -> T) -> Self {
        ThreadLocal {
            key: AtomicUsize::new(0),
            init,
        }
    }

    fn key(&self) -> libc::pthread_key_t {
        let k = self.key.load(Ordering::Acquire);
        if k != 0 {
            return (k - 1) as libc::pthread_key_t;
        }
        unsafe extern "C" fn destroy<T>(value: *mut c_void) {
            // SAFETY: every value stored under this key is a leaked `Box<T>` (see `with`).
            drop(unsafe { Box::from_raw(value.cast::<T>()) });
        }
        let mut key: libc::pthread_key_t = 0;
        // SAFETY: `key` is writable; `destroy::<T>` matches what `with` stores.
        if unsafe { libc::pthread_key_create(&mut key, Some(destroy::<T>)) } != 0 {
            super::write_stderr(b"error: out of thread-specific keys\n");
            abort();
        }
        match self
            .key
            .compare_exchange(0, key as usize + 1, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => key,
            Err(theirs) => {
                // Another thread created the key first: use that one.
                // SAFETY: our key was never used.
                unsafe { libc::pthread_key_delete(key) };
                (theirs - 1) as libc::pthread_key_t
            }
        }
    }

    /// Calls `f` with this thread's value, creating it first if needed.
    pub(crate) fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let key = self.key();
        // SAFETY: a valid key; a non-null value is the `Box<T>` stored below.
        let mut value = unsafe { libc::pthread_getspecific(key) }.cast::<T>();
        if value.is_null() {
            value = Box::into_raw(Box::new((self.init)()));
            // SAFETY: a valid key; the box is freed by `destroy` when the thread ends.
            unsafe { libc::pthread_setspecific(key, value.cast()) };
        }
        // SAFETY: the value lives until this thread ends, and only this thread sees it.
        f(unsafe { &*value })
    }

    /// This thread's value if it has one, without creating it (for signal handlers:
    /// pthread_getspecific neither allocates nor locks).
    pub(crate) fn get_existing(&'static self) -> Option<&'static T> {
        let k = self.key.load(Ordering::Acquire);
        if k == 0 {
            return None;
        }
        // SAFETY: a created key; a non-null value is a `Box<T>` of this thread, alive until
        // the thread ends (the caller keeps the reference on this thread).
        unsafe {
            libc::pthread_getspecific((k - 1) as libc::pthread_key_t)
                .cast::<T>()
                .as_ref()
        }
    }
}

/// The process's environment as `KEY=VALUE` byte strings.
pub(crate) fn environment() -> Vec<Vec<u8>> {
    let mut vars = Vec::new();
    let mut p = os::environ();
    if p.is_null() {
        return vars;
    }
    // SAFETY: `environ` is a null-terminated array of C strings, not changed by the
    // runtime (it never calls setenv).
    unsafe {
        while !(*p).is_null() {
            vars.push(core::ffi::CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    vars
}

/// What the WASI descriptor table holds for an open host file: a file descriptor.
pub(crate) type RawHost = c_int;

/// The host side of WASI fd 0, 1 or 2.
pub(crate) fn stdio_host(fd: c_int) -> RawHost {
    fd
}

/// # Safety
/// The caller owns `host` and never uses it again.
pub(crate) unsafe fn close_host(host: RawHost) {
    // SAFETY: caller's contract.
    unsafe { libc::close(host) };
}

/// An owned file descriptor, closed when dropped.
#[derive(Debug)]
pub(crate) struct Fd(c_int);

impl Fd {
    /// # Safety
    /// `fd` must be an open descriptor that nothing else owns (or closes).
    pub(crate) unsafe fn from_raw(fd: c_int) -> Fd {
        Fd(fd)
    }

    pub(crate) fn raw(&self) -> c_int {
        self.0
    }

    /// Gives up ownership: the caller closes the descriptor.
    pub(crate) fn into_raw(self) -> c_int {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor (see `from_raw`), so nothing else closes or uses it.
        unsafe { libc::close(self.0) };
    }
}

// The unit tests hand descriptors between std's file types and the runtime's.
#[cfg(test)]
impl From<std::fs::File> for Fd {
    fn from(file: std::fs::File) -> Fd {
        use std::os::fd::IntoRawFd;
        Fd(file.into_raw_fd())
    }
}

#[cfg(test)]
impl From<Fd> for std::fs::File {
    fn from(fd: Fd) -> std::fs::File {
        use std::os::fd::FromRawFd;
        // SAFETY: `fd` is open and owned by the `Fd`, whose ownership passes to the file.
        unsafe { std::fs::File::from_raw_fd(fd.into_raw()) }
    }
}

#[cfg(test)]
impl std::os::fd::AsRawFd for Fd {
    fn as_raw_fd(&self) -> c_int {
        self.0
    }
}
