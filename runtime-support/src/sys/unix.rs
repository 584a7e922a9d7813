//! What Linux and macOS share: reservations with mmap/mprotect, the trap signal handlers
//! (SA_SIGINFO | SA_ONSTACK) and the per-thread alternate signal stack, raw write/_exit.
//! The OS-specific parts come from [`super::os`].

use super::os;
use crate::traps::FaultAction;
use core::cell::UnsafeCell;
use core::ffi::{c_int, c_void};
use core::mem::MaybeUninit;
use core::ptr;
use std::cell::RefCell;
use std::io;
use std::sync::Once;

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
pub(crate) fn reserve(size: usize) -> io::Result<*mut u8> {
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
        Err(io::Error::last_os_error())
    } else {
        Ok(p.cast())
    }
}

/// Makes `[ptr, ptr + len)` readable and writable (zero-filled on first touch).
///
/// # Safety
/// The range must lie inside a reservation made by [`reserve`], page-aligned.
pub(crate) unsafe fn commit(ptr: *mut u8, len: usize) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    // SAFETY: the caller guarantees the range is part of our own reservation.
    let r = unsafe { libc::mprotect(ptr.cast(), len, libc::PROT_READ | libc::PROT_WRITE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
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
// being installed (inside a `Once`), and only read afterwards, by that handler.
unsafe impl Sync for PreviousActions {}

static PREVIOUS: PreviousActions = PreviousActions(UnsafeCell::new([MaybeUninit::zeroed(); 4]));

fn previous_action(i: usize) -> *mut libc::sigaction {
    PREVIOUS.0.get().cast::<libc::sigaction>().wrapping_add(i)
}

/// Installs the process-wide handlers for SIGSEGV, SIGBUS, SIGILL and SIGFPE (once).
pub(crate) fn install_signal_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
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
    });
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

thread_local! {
    // Also the first thread-local this thread touches before running wasm: on macOS that
    // makes dyld allocate the image's thread-local block now, so that the signal handler's
    // later read of the innermost protected call (see `traps::recover`) never allocates.
    static ALT_STACK: RefCell<Option<AltStack>> = const { RefCell::new(None) };
}

/// Gives the current thread an alternate signal stack unless it has a big enough one.
pub(crate) fn ensure_alt_stack() -> io::Result<()> {
    // SAFETY: querying the current thread's signal stack into a local.
    let current = unsafe {
        let mut current: libc::stack_t = core::mem::zeroed();
        libc::sigaltstack(ptr::null(), &mut current);
        current
    };
    // Touch this thread's thread-locals (see ALT_STACK) even when it has a stack already.
    ALT_STACK.with(|_| ());
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
            return Err(io::Error::last_os_error());
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
        let err = io::Error::last_os_error();
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

/// Writes all of `bytes` to fd 2 with write(2) only (async-signal-safe, no allocation).
pub(crate) fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid readable buffer.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// Ends the process now, without running exit handlers (async-signal-safe).
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}
