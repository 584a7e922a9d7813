//! Windows on x86_64 and aarch64: reservations with VirtualAlloc, traps from a vectored exception
//! handler, console and pipe I/O through the standard handles, threads, fiber-local
//! storage and the environment block.
//!
//! The few kernel32/advapi32 functions used are declared here by hand: the runtime is a
//! static library, and the final link (mingw's `gcc` or `zig cc`) supplies
//! `-lkernel32 -ladvapi32`.

use crate::prelude::*;
use crate::traps::{FaultAction, Resume};
use core::ffi::{c_int, c_void};
use core::fmt;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

pub(crate) type Handle = *mut c_void;
type Bool = i32;

#[repr(C)]
struct ExceptionRecord {
    code: u32,
    flags: u32,
    record: *mut ExceptionRecord,
    address: *mut c_void,
    number_parameters: u32,
    information: [usize; 15],
}

#[repr(C)]
struct ExceptionPointers {
    record: *mut ExceptionRecord,
    /// The `CONTEXT`; only the registers at [`context`] offsets are touched.
    context: *mut u8,
}

/// Offsets in the `CONTEXT` structure (winnt.h) of the registers a trap redirect sets:
/// program counter, stack pointer, frame pointer and first argument.
#[cfg(target_arch = "x86_64")]
mod context {
    pub const PC: usize = 0xf8; // Rip
    pub const SP: usize = 0x98; // Rsp
    pub const FP: usize = 0xa0; // Rbp
    pub const ARG: usize = 0x80; // Rcx
}
#[cfg(target_arch = "aarch64")]
mod context {
    pub const PC: usize = 0x108; // Pc
    pub const SP: usize = 0x100; // Sp
    pub const FP: usize = 0xf0; // Fp (x29)
    pub const ARG: usize = 0x08; // X0
}

type VectoredHandler = unsafe extern "system" fn(*mut ExceptionPointers) -> i32;
type ThreadStart = unsafe extern "system" fn(*mut c_void) -> u32;
type FlsCallback = unsafe extern "system" fn(*const c_void);

#[link(name = "kernel32")]
extern "system" {
    fn VirtualAlloc(address: *mut c_void, size: usize, kind: u32, protect: u32) -> *mut c_void;
    fn VirtualFree(address: *mut c_void, size: usize, kind: u32) -> Bool;
    fn GetLastError() -> u32;
    fn AddVectoredExceptionHandler(first: u32, handler: VectoredHandler) -> *mut c_void;
    fn SetThreadStackGuarantee(size: *mut u32) -> Bool;
    fn GetStdHandle(which: u32) -> Handle;
    fn WriteFile(file: Handle, buf: *const u8, len: u32, done: *mut u32, ov: *mut c_void) -> Bool;
    fn ReadFile(file: Handle, buf: *mut u8, len: u32, done: *mut u32, ov: *mut c_void) -> Bool;
    fn ExitProcess(code: u32) -> !;
    fn CreateThread(
        attributes: *mut c_void,
        stack_size: usize,
        start: ThreadStart,
        parameter: *mut c_void,
        flags: u32,
        id: *mut u32,
    ) -> Handle;
    fn WaitForSingleObject(handle: Handle, milliseconds: u32) -> u32;
    fn GetExitCodeThread(thread: Handle, code: *mut u32) -> Bool;
    fn CloseHandle(handle: Handle) -> Bool;
    fn FlsAlloc(callback: Option<FlsCallback>) -> u32;
    fn FlsFree(index: u32) -> Bool;
    fn FlsGetValue(index: u32) -> *mut c_void;
    fn FlsSetValue(index: u32, value: *const c_void) -> Bool;
    fn GetEnvironmentStringsW() -> *mut u16;
    fn FreeEnvironmentStringsW(block: *mut u16) -> Bool;
    fn GetCommandLineW() -> *const u16;
    fn LocalFree(memory: *mut c_void) -> *mut c_void;
    fn Sleep(milliseconds: u32);
}

#[link(name = "shell32")]
extern "system" {
    fn CommandLineToArgvW(command_line: *const u16, argc: *mut c_int) -> *mut *mut u16;
}

#[link(name = "advapi32")]
extern "system" {
    /// `RtlGenRandom`, exported under this name.
    fn SystemFunction036(buffer: *mut u8, length: u32) -> u8;
}

const MEM_COMMIT: u32 = 0x1000;
const MEM_RESERVE: u32 = 0x2000;
const MEM_RELEASE: u32 = 0x8000;
const PAGE_NOACCESS: u32 = 0x01;
const PAGE_READWRITE: u32 = 0x04;
const STD_INPUT_HANDLE: u32 = -10i32 as u32;
const STD_OUTPUT_HANDLE: u32 = -11i32 as u32;
const STD_ERROR_HANDLE: u32 = -12i32 as u32;
const STACK_SIZE_PARAM_IS_A_RESERVATION: u32 = 0x0001_0000;
const INFINITE: u32 = u32::MAX;
const FLS_OUT_OF_INDEXES: u32 = u32::MAX;
const ERROR_BROKEN_PIPE: i32 = 109;
const EXCEPTION_CONTINUE_EXECUTION: i32 = -1;
const EXCEPTION_CONTINUE_SEARCH: i32 = 0;

/// The exceptions a wasm trap raises: an access to a guard page, `ud2`, and the two
/// integer division faults.
const TRAP_EXCEPTIONS: [u32; 4] = [
    0xC000_0005, // EXCEPTION_ACCESS_VIOLATION
    0xC000_001D, // EXCEPTION_ILLEGAL_INSTRUCTION
    0xC000_0094, // EXCEPTION_INT_DIVIDE_BY_ZERO
    0xC000_0095, // EXCEPTION_INT_OVERFLOW
];

// ---------------------------------------------------------------------------
// Virtual memory
// ---------------------------------------------------------------------------

/// Reserves `size` bytes of inaccessible address space; [`commit`] makes pages usable.
pub(crate) fn reserve(size: usize) -> Result<*mut u8, OsError> {
    // SAFETY: a new reservation at an address of the system's choosing aliases nothing.
    let p = unsafe { VirtualAlloc(ptr::null_mut(), size, MEM_RESERVE, PAGE_NOACCESS) };
    if p.is_null() {
        Err(OsError::last())
    } else {
        Ok(p.cast())
    }
}

/// Makes `[ptr, ptr + len)` readable and writable (zero-filled).
///
/// # Safety
/// The range must lie inside a reservation made by [`reserve`], page-aligned.
pub(crate) unsafe fn commit(ptr: *mut u8, len: usize) -> Result<(), OsError> {
    if len == 0 {
        return Ok(());
    }
    // SAFETY: the caller guarantees the range is part of our own reservation.
    let p = unsafe { VirtualAlloc(ptr.cast(), len, MEM_COMMIT, PAGE_READWRITE) };
    if p.is_null() {
        Err(OsError::last())
    } else {
        Ok(())
    }
}

/// Returns a reservation to the system.
///
/// # Safety
/// `ptr` must be exactly a reservation from [`reserve`] that nothing uses any more.
pub(crate) unsafe fn release(ptr: *mut u8, _size: usize) {
    // SAFETY: the caller guarantees the reservation is ours and unused.
    unsafe { VirtualFree(ptr.cast(), 0, MEM_RELEASE) };
}

// ---------------------------------------------------------------------------
// Traps
// ---------------------------------------------------------------------------

/// Installs the process-wide vectored exception handler (once). It runs before any
/// structured exception handler, on the faulting thread.
pub(crate) fn install_signal_handlers() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if !INSTALLED.swap(true, Ordering::AcqRel) {
        // SAFETY: `on_exception` has the handler signature; 1 = call it first.
        unsafe { AddVectoredExceptionHandler(1, on_exception) };
    }
}

unsafe extern "system" fn on_exception(info: *mut ExceptionPointers) -> i32 {
    // SAFETY: the system passes valid exception and context records.
    let (code, context) = unsafe { ((*(*info).record).code, (*info).context) };
    if !TRAP_EXCEPTIONS.contains(&code) {
        return EXCEPTION_CONTINUE_SEARCH;
    }
    let reg = |offset: usize| context.wrapping_add(offset).cast::<u64>();
    // SAFETY: `context` is the CONTEXT of the faulting thread (offsets from winnt.h).
    let pc = unsafe { reg(context::PC).read_unaligned() } as usize;
    match crate::traps::handle_fault(pc) {
        FaultAction::Resume(Resume { pc, sp, fp, arg }) => {
            // SAFETY: as above; the thread continues at the landing routine with the
            // protected call's stack and its record as the first argument.
            unsafe {
                reg(context::PC).write_unaligned(pc as u64);
                reg(context::SP).write_unaligned(sp as u64);
                reg(context::FP).write_unaligned(fp as u64);
                reg(context::ARG).write_unaligned(arg as u64);
            }
            EXCEPTION_CONTINUE_EXECUTION
        }
        FaultAction::NotWasm => EXCEPTION_CONTINUE_SEARCH,
    }
}

/// Windows runs exception handlers on the faulting thread's own stack: keep enough of it
/// for the handler when a stack overflow is what faulted.
pub(crate) fn ensure_alt_stack() -> Result<(), OsError> {
    let mut size: u32 = 64 * 1024;
    // SAFETY: `size` is a valid in/out argument.
    if unsafe { SetThreadStackGuarantee(&mut size) } == 0 {
        return Err(OsError::last());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Standard streams, exit
// ---------------------------------------------------------------------------

/// Nothing to do: Windows has no SIGPIPE; a write to a closed pipe fails.
pub(crate) fn ignore_sigpipe() {}

/// The standard handle behind fd 0, 1 or 2.
pub(crate) fn std_handle(fd: c_int) -> Result<Handle, OsError> {
    let which = match fd {
        0 => STD_INPUT_HANDLE,
        1 => STD_OUTPUT_HANDLE,
        2 => STD_ERROR_HANDLE,
        // ERROR_INVALID_HANDLE
        _ => return Err(OsError(6)),
    };
    // SAFETY: GetStdHandle has no preconditions.
    Ok(unsafe { GetStdHandle(which) })
}

/// What the WASI descriptor table holds for an open host file: a `HANDLE`, as an integer
/// (the table is thread-local data; a raw pointer would make it neither `Send` nor `Sync`).
pub(crate) type RawHost = isize;

/// The host side of WASI fd 0, 1 or 2: the standard handle (null when there is none).
pub(crate) fn stdio_host(fd: c_int) -> RawHost {
    std_handle(fd).map_or(0, |h| h as RawHost)
}

/// # Safety
/// The caller owns `host` and never uses it again.
pub(crate) unsafe fn close_host(host: RawHost) {
    // SAFETY: caller's contract.
    unsafe { CloseHandle(host as Handle) };
}

/// An owned file or directory handle, closed when dropped.
#[derive(Debug)]
pub(crate) struct Fd(Handle);

impl Fd {
    /// # Safety
    /// `handle` must be an open handle that nothing else owns (or closes).
    pub(crate) unsafe fn from_raw(handle: Handle) -> Fd {
        Fd(handle)
    }

    pub(crate) fn raw(&self) -> Handle {
        self.0
    }

    /// Gives up ownership: the caller closes the handle.
    pub(crate) fn into_raw(self) -> RawHost {
        let handle = self.0;
        core::mem::forget(self);
        handle as RawHost
    }
}

// SAFETY: a file handle may be used and closed from any thread of the process.
unsafe impl Send for Fd {}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the handle (see `from_raw`), so nothing else closes or uses it.
        unsafe { CloseHandle(self.0) };
    }
}

/// Writes all of `bytes` to stdout (1) or stderr (2).
pub(crate) fn write_all(fd: c_int, mut bytes: &[u8]) -> Result<(), OsError> {
    let handle = std_handle(fd)?;
    while !bytes.is_empty() {
        let chunk = bytes.len().min(u32::MAX as usize) as u32;
        let mut done = 0u32;
        // SAFETY: `bytes` is readable for `chunk` bytes; `done` is writable.
        if unsafe { WriteFile(handle, bytes.as_ptr(), chunk, &mut done, ptr::null_mut()) } == 0 {
            return Err(OsError::last());
        }
        bytes = &bytes[done as usize..];
    }
    Ok(())
}

/// One read from stdin (0: end of input, also when the writer closed its pipe).
pub(crate) fn read(fd: c_int, buf: &mut [u8]) -> Result<usize, OsError> {
    let handle = std_handle(fd)?;
    let len = buf.len().min(u32::MAX as usize) as u32;
    let mut done = 0u32;
    // SAFETY: `buf` is writable for `len` bytes; `done` is writable.
    if unsafe { ReadFile(handle, buf.as_mut_ptr(), len, &mut done, ptr::null_mut()) } == 0 {
        return match OsError::last() {
            OsError(ERROR_BROKEN_PIPE) => Ok(0),
            e => Err(e),
        };
    }
    Ok(done as usize)
}

/// Ends the process now with `code`.
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: ExitProcess has no preconditions.
    unsafe { ExitProcess(code as u32) }
}

/// Ends the process abnormally (a bug in the runtime).
pub(crate) fn abort() -> ! {
    // SAFETY: abort has no preconditions.
    unsafe { libc::abort() }
}

/// Fills `[ptr, ptr + len)` with random bytes from the system (RtlGenRandom).
///
/// # Safety
/// The range must be writable memory.
pub(crate) unsafe fn fill_random(mut ptr: *mut u8, mut len: usize) -> Result<(), OsError> {
    while len > 0 {
        let chunk = len.min(1 << 20);
        // SAFETY: the caller guarantees the range is writable; chunk <= len.
        if unsafe { SystemFunction036(ptr, chunk as u32) } == 0 {
            return Err(OsError::last());
        }
        ptr = ptr.wrapping_add(chunk);
        len -= chunk;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Errors, threads, thread-locals, environment
// ---------------------------------------------------------------------------

/// A Win32 error code (`GetLastError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsError(pub i32);

impl OsError {
    pub(crate) fn last() -> OsError {
        // SAFETY: GetLastError has no preconditions.
        OsError(unsafe { GetLastError() } as i32)
    }
}

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "os error {}", self.0)
    }
}

/// Runs `body` on a new thread with `stack_size` bytes of stack and returns its result.
pub(crate) fn run_on_thread(
    stack_size: usize,
    body: Box<dyn FnOnce() -> i32 + Send>,
) -> Result<i32, OsError> {
    unsafe extern "system" fn start(arg: *mut c_void) -> u32 {
        // SAFETY: `arg` is the box leaked below, handed to exactly this thread.
        let body = unsafe { Box::from_raw(arg.cast::<Box<dyn FnOnce() -> i32 + Send>>()) };
        body() as u32
    }
    let arg = Box::into_raw(Box::new(body));
    // SAFETY: the thread gets sole ownership of `arg`, reclaimed here if it cannot start;
    // the handle is closed after the thread ended.
    unsafe {
        let thread = CreateThread(
            ptr::null_mut(),
            stack_size,
            start,
            arg.cast(),
            STACK_SIZE_PARAM_IS_A_RESERVATION,
            ptr::null_mut(),
        );
        if thread.is_null() {
            drop(Box::from_raw(arg));
            return Err(OsError::last());
        }
        WaitForSingleObject(thread, INFINITE);
        let mut code = 0u32;
        let ok = GetExitCodeThread(thread, &mut code);
        CloseHandle(thread);
        if ok == 0 {
            return Err(OsError::last());
        }
        Ok(code as i32)
    }
}

/// Starts `body` on a thread of its own that nobody waits for (watchdogs only).
pub(crate) fn spawn_detached(body: Box<dyn FnOnce() + Send>) -> Result<(), OsError> {
    unsafe extern "system" fn start(arg: *mut c_void) -> u32 {
        // SAFETY: `arg` is the box leaked below, handed to exactly this thread.
        let body = unsafe { Box::from_raw(arg.cast::<Box<dyn FnOnce() + Send>>()) };
        body();
        0
    }
    let arg = Box::into_raw(Box::new(body));
    // SAFETY: the thread gets sole ownership of `arg`, reclaimed here if it cannot start;
    // closing the handle does not stop the thread.
    unsafe {
        let thread = CreateThread(ptr::null_mut(), 0, start, arg.cast(), 0, ptr::null_mut());
        if thread.is_null() {
            drop(Box::from_raw(arg));
            return Err(OsError::last());
        }
        CloseHandle(thread);
    }
    Ok(())
}

/// Sleeps for `ms` milliseconds.
pub(crate) fn sleep_ms(mut ms: u64) {
    while ms > 0 {
        let step = ms.min(u64::from(u32::MAX - 1));
        // SAFETY: no preconditions.
        unsafe { Sleep(step as u32) };
        ms -= step;
    }
}

/// A per-thread value of type `T`, created by `init` on a thread's first use and dropped
/// when the thread ends (a fiber-local storage slot, allocated on first use).
pub(crate) struct ThreadLocal<T: 'static> {
    /// The FLS index plus one; 0 until allocated.
    index: AtomicU32,
    init: fn() -> T,
}

impl<T: 'static> ThreadLocal<T> {
    pub(crate) const fn new(init: fn() -> T) -> Self {
        ThreadLocal {
            index: AtomicU32::new(0),
            init,
        }
    }

    fn index(&self) -> u32 {
        let i = self.index.load(Ordering::Acquire);
        if i != 0 {
            return i - 1;
        }
        unsafe extern "system" fn destroy<T>(value: *const c_void) {
            if !value.is_null() {
                // SAFETY: every value stored in this slot is a leaked `Box<T>`.
                drop(unsafe { Box::from_raw(value.cast_mut().cast::<T>()) });
            }
        }
        // SAFETY: `destroy::<T>` matches what `with` stores.
        let index = unsafe { FlsAlloc(Some(destroy::<T>)) };
        if index == FLS_OUT_OF_INDEXES {
            super::write_stderr(b"error: out of fiber-local storage slots\n");
            abort();
        }
        match self
            .index
            .compare_exchange(0, index + 1, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => index,
            Err(theirs) => {
                // SAFETY: our slot was never used.
                unsafe { FlsFree(index) };
                theirs - 1
            }
        }
    }

    /// Calls `f` with this thread's value, creating it first if needed.
    pub(crate) fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let index = self.index();
        // SAFETY: a valid slot; a non-null value is the `Box<T>` stored below.
        let mut value = unsafe { FlsGetValue(index) }.cast::<T>();
        if value.is_null() {
            value = Box::into_raw(Box::new((self.init)()));
            // SAFETY: a valid slot; the box is freed by `destroy` when the thread ends.
            unsafe { FlsSetValue(index, value.cast()) };
        }
        // SAFETY: the value lives until this thread ends, and only this thread sees it.
        f(unsafe { &*value })
    }

    /// This thread's value if it has one, without creating it (for the exception
    /// handler: FlsGetValue neither allocates nor locks).
    pub(crate) fn get_existing(&'static self) -> Option<&'static T> {
        let i = self.index.load(Ordering::Acquire);
        if i == 0 {
            return None;
        }
        // SAFETY: an allocated slot; a non-null value is a `Box<T>` of this thread, alive
        // until the thread ends.
        unsafe { FlsGetValue(i - 1).cast::<T>().as_ref() }
    }
}

/// UTF-16 text (a slice of a `NUL`-terminated string) as UTF-8, unpaired surrogates
/// replaced.
fn utf8(units: &[u16]) -> Vec<u8> {
    char::decode_utf16(units.iter().copied())
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect::<String>()
        .into_bytes()
}

/// The length of the `NUL`-terminated UTF-16 string at `p`.
///
/// # Safety
/// `p` must point at a `NUL`-terminated UTF-16 string.
unsafe fn wide_len(p: *const u16) -> usize {
    let mut len = 0;
    // SAFETY: caller's contract: every unit up to the terminator is readable.
    while unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    len
}

/// The program's arguments as UTF-8, from the UTF-16 command line (the `argv` the C
/// runtime gives `main` is in the ANSI code page, which cannot hold every argument).
pub(crate) fn arguments() -> Option<Vec<Vec<u8>>> {
    let mut argc: c_int = 0;
    // SAFETY: the command line is a NUL-terminated string owned by the process;
    // CommandLineToArgvW returns one LocalAlloc block, freed below.
    unsafe {
        let argv = CommandLineToArgvW(GetCommandLineW(), &mut argc);
        if argv.is_null() {
            return None;
        }
        let args = (0..argc.max(0) as usize)
            .map(|i| {
                let arg = *argv.add(i);
                utf8(core::slice::from_raw_parts(arg, wide_len(arg)))
            })
            .collect();
        LocalFree(argv.cast());
        Some(args)
    }
}

/// The process's environment as UTF-8 `KEY=VALUE` byte strings (the `=C:`-style
/// per-drive entries are left out).
pub(crate) fn environment() -> Vec<Vec<u8>> {
    let mut vars = Vec::new();
    // SAFETY: the block is a sequence of NUL-terminated UTF-16 strings ending with an
    // empty one; it is freed after reading.
    unsafe {
        let block = GetEnvironmentStringsW();
        if block.is_null() {
            return vars;
        }
        let mut p: *const u16 = block;
        loop {
            let len = wide_len(p);
            if len == 0 {
                break;
            }
            let units = core::slice::from_raw_parts(p, len);
            if units[0] != u16::from(b'=') {
                vars.push(utf8(units));
            }
            p = p.add(len + 1);
        }
        FreeEnvironmentStringsW(block);
    }
    vars
}
