//! WASI preview1 on Windows: the program's arguments, granted environment, clocks,
//! random bytes, `proc_exit`, and stdin/stdout/stderr (console, pipe or file handles) as
//! fds 0-2. No directory can be granted on Windows yet ([`Grants::open`] refuses), so no
//! other fd exists: every call on one answers `EBADF`, as it would on Linux for a program
//! granted nothing.

use super::args_env::granted_env;
use super::types::{errno, filetype, rights, Errno};
use super::{ret, GuestMemory};
use crate::abi::manifest::Grant;
use crate::abi::VMContext;
use crate::prelude::*;
use crate::sys;
use core::ffi::c_void;

#[link(name = "kernel32")]
extern "system" {
    fn GetFileType(file: *mut c_void) -> u32;
    fn QueryPerformanceCounter(count: *mut i64) -> i32;
    fn QueryPerformanceFrequency(frequency: *mut i64) -> i32;
    fn GetSystemTimePreciseAsFileTime(time: *mut u64);
    fn GetCurrentProcess() -> *mut c_void;
    fn GetCurrentThread() -> *mut c_void;
    fn GetProcessTimes(p: *mut c_void, c: *mut u64, e: *mut u64, k: *mut u64, u: *mut u64) -> i32;
    fn GetThreadTimes(t: *mut c_void, c: *mut u64, e: *mut u64, k: *mut u64, u: *mut u64) -> i32;
    fn Sleep(milliseconds: u32);
    fn SwitchToThread() -> i32;
}

/// What the deployer granted, opened at start-up.
#[derive(Default)]
pub struct Grants {
    pub(crate) env: Vec<Vec<u8>>,
}

impl Grants {
    /// The granted environment; a directory grant is an error (not supported on Windows).
    pub fn open(grants: &[Grant]) -> Result<Grants, String> {
        if let Some(Grant::Dir { host, guest, .. }) =
            grants.iter().find(|g| matches!(g, Grant::Dir { .. }))
        {
            return Err(format!(
                "cannot grant directory `{host}` (for `{guest}`): directory grants are not \
                 supported on Windows yet"
            ));
        }
        Ok(Grants {
            env: granted_env(grants),
        })
    }
}

/// The guest's view: its arguments and environment.
pub(crate) struct WasiState {
    pub args: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
}

static STATE: sys::ThreadLocal<core::cell::RefCell<WasiState>> = sys::ThreadLocal::new(|| {
    core::cell::RefCell::new(WasiState {
        args: Vec::new(),
        env: Vec::new(),
    })
});

pub(crate) fn with_state<R>(f: impl FnOnce(&mut WasiState) -> R) -> R {
    STATE.with(|state| f(&mut state.borrow_mut()))
}

/// Sets up this thread's WASI state (the thread that runs the guest).
pub fn install(args: Vec<Vec<u8>>, grants: Grants) {
    with_state(|s| {
        s.args = args;
        s.env = grants.env;
    });
}

/// Rights of fd 0 (read) and fds 1, 2 (write).
fn stdio_rights(fd: u32) -> Result<u64, Errno> {
    match fd {
        0 => Ok(rights::FD_READ | rights::POLL_FD_READWRITE | rights::FD_FILESTAT_GET),
        1 | 2 => Ok(rights::FD_WRITE | rights::POLL_FD_READWRITE | rights::FD_FILESTAT_GET),
        _ => Err(errno::BADF),
    }
}

fn stdio_filetype(fd: u32) -> u8 {
    let Ok(handle) = sys::std_handle(fd as i32) else {
        return filetype::UNKNOWN;
    };
    // SAFETY: GetFileType only inspects the handle.
    match unsafe { GetFileType(handle) } {
        1 => filetype::REGULAR_FILE,
        2 => filetype::CHARACTER_DEVICE,
        _ => filetype::UNKNOWN,
    }
}

fn needs(fd: u32, right: u64) -> Result<(), Errno> {
    if stdio_rights(fd)? & right == 0 {
        Err(errno::NOTCAPABLE)
    } else {
        Ok(())
    }
}

/// The `(address, length)` of each iovec at `iovs`, checked against guest memory.
fn iovecs(mem: &GuestMemory, iovs: u32, count: u32) -> Result<Vec<(*mut u8, u32)>, Errno> {
    let mut out = Vec::new();
    for i in 0..u64::from(count) {
        let entry: [u8; 8] = mem.read(u64::from(iovs) + i * 8)?;
        let buf = u32::from_le_bytes(entry[..4].try_into().unwrap());
        let len = u32::from_le_bytes(entry[4..].try_into().unwrap());
        out.push((mem.ptr(buf.into(), len.into())?, len));
    }
    Ok(out)
}

fn host_errno(e: sys::OsError) -> Errno {
    match e.0 {
        // ERROR_BROKEN_PIPE, ERROR_NO_DATA
        109 | 232 => errno::PIPE,
        _ => errno::IO,
    }
}

/// # Safety
/// `vmctx` must be the context of a live instance (compiled code passes its own).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_write(
    vmctx: *mut VMContext,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        needs(fd, rights::FD_WRITE)?;
        m.ptr(nwritten.into(), 4)?;
        let mut total = 0u32;
        for (p, len) in iovecs(&m, iovs, iovs_len)? {
            // SAFETY: `[p, p + len)` is inside guest memory (checked by `iovecs`).
            let bytes = unsafe { core::slice::from_raw_parts(p, len as usize) };
            sys::write_all(fd as i32, bytes).map_err(host_errno)?;
            total = total.saturating_add(len);
        }
        m.write_u32(nwritten.into(), total)
    }))
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_read(
    vmctx: *mut VMContext,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        needs(fd, rights::FD_READ)?;
        m.ptr(nread.into(), 4)?;
        let mut total = 0u32;
        for (p, len) in iovecs(&m, iovs, iovs_len)? {
            // SAFETY: `[p, p + len)` is inside guest memory (checked by `iovecs`).
            let buf = unsafe { core::slice::from_raw_parts_mut(p, len as usize) };
            let n = sys::read(fd as i32, buf).map_err(host_errno)?;
            total = total.saturating_add(n as u32);
            if n < buf.len() {
                break;
            }
        }
        m.write_u32(nread.into(), total)
    }))
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_fdstat_get(vmctx: *mut VMContext, fd: u32, out: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let base = stdio_rights(fd)?;
        let mut stat = [0u8; 24];
        stat[0] = stdio_filetype(fd);
        stat[8..16].copy_from_slice(&base.to_le_bytes());
        m.write(out.into(), &stat)
    }))
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_filestat_get(
    vmctx: *mut VMContext,
    fd: u32,
    out: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        needs(fd, rights::FD_FILESTAT_GET)?;
        // dev, ino, filetype, nlink, size, atim, mtim, ctim: only the type is known.
        let mut stat = [0u8; 64];
        stat[16] = stdio_filetype(fd);
        m.write(out.into(), &stat)
    }))
}

/// Functions on fds: stdio cannot seek, sync, be resized or listed; any other fd does
/// not exist.
macro_rules! fd_only_errors {
    ($($name:ident($($p:ident: $t:ty),*) => $stdio:expr;)*) => {$(
        /// # Safety
        /// As for [`kiln_wasi_fd_write`].
        #[no_mangle]
        pub unsafe extern "C" fn $name(_vmctx: *mut VMContext, fd: u32 $(, $p: $t)*) -> i32 {
            $(let _ = $p;)*
            ret(stdio_rights(fd).and_then(|_| Err($stdio)))
        }
    )*};
}

fd_only_errors! {
    kiln_wasi_fd_advise(offset: u64, len: u64, advice: u32) => errno::SPIPE;
    kiln_wasi_fd_allocate(offset: u64, len: u64) => errno::SPIPE;
    kiln_wasi_fd_close() => errno::NOTSUP;
    kiln_wasi_fd_datasync() => errno::INVAL;
    kiln_wasi_fd_fdstat_set_flags(flags: u32) => errno::NOTSUP;
    kiln_wasi_fd_fdstat_set_rights(base: u64, inheriting: u64) => errno::NOTSUP;
    kiln_wasi_fd_filestat_set_size(size: u64) => errno::INVAL;
    kiln_wasi_fd_filestat_set_times(atim: u64, mtim: u64, flags: u32) => errno::NOTSUP;
    kiln_wasi_fd_pread(iovs: u32, len: u32, offset: u64, nread: u32) => errno::SPIPE;
    kiln_wasi_fd_prestat_get(out: u32) => errno::BADF;
    kiln_wasi_fd_prestat_dir_name(path: u32, len: u32) => errno::BADF;
    kiln_wasi_fd_pwrite(iovs: u32, len: u32, offset: u64, nwritten: u32) => errno::SPIPE;
    kiln_wasi_fd_readdir(buf: u32, len: u32, cookie: u64, used: u32) => errno::NOTDIR;
    kiln_wasi_fd_renumber(to: u32) => errno::NOTSUP;
    kiln_wasi_fd_seek(offset: i64, whence: u32, out: u32) => errno::SPIPE;
    kiln_wasi_fd_sync() => errno::INVAL;
    kiln_wasi_fd_tell(out: u32) => errno::SPIPE;
    kiln_wasi_path_create_directory(path: u32, len: u32) => errno::NOTDIR;
    kiln_wasi_path_filestat_get(flags: u32, path: u32, len: u32, out: u32) => errno::NOTDIR;
    kiln_wasi_path_filestat_set_times(flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst: u32) => errno::NOTDIR;
    kiln_wasi_path_link(flags: u32, path: u32, len: u32, to_fd: u32, to: u32, to_len: u32) => errno::NOTDIR;
    kiln_wasi_path_open(dirflags: u32, path: u32, len: u32, oflags: u32, base: u64, inheriting: u64, fdflags: u32, out: u32) => errno::NOTDIR;
    kiln_wasi_path_readlink(path: u32, len: u32, buf: u32, buf_len: u32, used: u32) => errno::NOTDIR;
    kiln_wasi_path_remove_directory(path: u32, len: u32) => errno::NOTDIR;
    kiln_wasi_path_rename(path: u32, len: u32, to_fd: u32, to: u32, to_len: u32) => errno::NOTDIR;
    kiln_wasi_path_symlink(path: u32, len: u32, to: u32, to_len: u32) => errno::BADF;
    kiln_wasi_path_unlink_file(path: u32, len: u32) => errno::NOTDIR;
    kiln_wasi_sock_accept(flags: u32, out: u32) => errno::NOTSOCK;
    kiln_wasi_sock_recv(iovs: u32, len: u32, flags: u32, nread: u32, oflags: u32) => errno::NOTSOCK;
    kiln_wasi_sock_send(iovs: u32, len: u32, flags: u32, nwritten: u32) => errno::NOTSOCK;
    kiln_wasi_sock_shutdown(how: u32) => errno::NOTSOCK;
}

// ---------------------------------------------------------------------------
// Clocks, random, process
// ---------------------------------------------------------------------------

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME: u32 = 2;
const CLOCK_THREAD_CPUTIME: u32 = 3;
/// 100 ns FILETIME ticks from 1601-01-01 to 1970-01-01.
const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

fn qpc_frequency() -> u64 {
    let mut f = 0i64;
    // SAFETY: `f` is writable.
    unsafe { QueryPerformanceFrequency(&mut f) };
    f.max(1) as u64
}

/// The time of clock `id` in nanoseconds.
fn now(id: u32) -> Result<u64, Errno> {
    match id {
        CLOCK_REALTIME => {
            let mut ft = 0u64;
            // SAFETY: `ft` is writable.
            unsafe { GetSystemTimePreciseAsFileTime(&mut ft) };
            Ok(ft.saturating_sub(UNIX_EPOCH_FILETIME) * 100)
        }
        CLOCK_MONOTONIC => {
            let mut c = 0i64;
            // SAFETY: `c` is writable.
            unsafe { QueryPerformanceCounter(&mut c) };
            Ok((u128::from(c as u64) * 1_000_000_000 / u128::from(qpc_frequency())) as u64)
        }
        CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => {
            let (mut c, mut e, mut k, mut u) = (0u64, 0u64, 0u64, 0u64);
            // SAFETY: pseudo-handles of this process/thread; all outputs writable.
            let ok = unsafe {
                if id == CLOCK_PROCESS_CPUTIME {
                    GetProcessTimes(GetCurrentProcess(), &mut c, &mut e, &mut k, &mut u)
                } else {
                    GetThreadTimes(GetCurrentThread(), &mut c, &mut e, &mut k, &mut u)
                }
            };
            if ok == 0 {
                return Err(errno::IO);
            }
            Ok((k + u) * 100)
        }
        _ => Err(errno::INVAL),
    }
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_clock_res_get(vmctx: *mut VMContext, id: u32, out: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let resolution = match id {
            CLOCK_MONOTONIC => (1_000_000_000 / qpc_frequency()).max(1),
            CLOCK_REALTIME | CLOCK_PROCESS_CPUTIME | CLOCK_THREAD_CPUTIME => 100,
            _ => return Err(errno::INVAL),
        };
        m.write_u64(out.into(), resolution)
    }))
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_clock_time_get(
    vmctx: *mut VMContext,
    id: u32,
    _precision: u64,
    out: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| m.write_u64(out.into(), now(id)?)))
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_random_get(vmctx: *mut VMContext, buf: u32, len: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let p = m.ptr(buf.into(), len.into())?;
        // SAFETY: `[p, p + len)` is inside the guest memory.
        unsafe { sys::fill_random(p, len as usize) }.map_err(|_| errno::IO)
    }))
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_proc_exit(_vmctx: *mut VMContext, code: u32) -> ! {
    sys::exit_now(code as i32)
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_proc_raise(_vmctx: *mut VMContext, _signal: u32) -> i32 {
    i32::from(errno::NOSYS)
}

/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_sched_yield(_vmctx: *mut VMContext) -> i32 {
    // SAFETY: no preconditions.
    unsafe { SwitchToThread() };
    0
}

const SUBSCRIPTION_SIZE: u64 = 48;
const EVENT_SIZE: u64 = 32;
const EVENTTYPE_CLOCK: u8 = 0;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

/// Clock subscriptions sleep until the earliest deadline; a stdio read or write
/// subscription is reported ready at once (a console or pipe read may then block).
///
/// # Safety
/// As for [`kiln_wasi_fd_write`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_poll_oneoff(
    vmctx: *mut VMContext,
    subs: u32,
    events: u32,
    count: u32,
    nevents: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        if count == 0 {
            return Err(errno::INVAL);
        }
        m.ptr(subs.into(), u64::from(count) * SUBSCRIPTION_SIZE)?;
        m.ptr(events.into(), u64::from(count) * EVENT_SIZE)?;
        m.ptr(nevents.into(), 4)?;
        // (userdata, tag, clock deadline in monotonic ns or fd)
        let mut ready: Vec<(u64, u8, Errno)> = Vec::new();
        let mut deadlines: Vec<(u64, u64)> = Vec::new();
        for i in 0..u64::from(count) {
            let s: [u8; 48] = m.read(u64::from(subs) + i * SUBSCRIPTION_SIZE)?;
            let userdata = u64::from_le_bytes(s[0..8].try_into().unwrap());
            match s[8] {
                EVENTTYPE_CLOCK => {
                    let id = u32::from_le_bytes(s[16..20].try_into().unwrap());
                    let timeout = u64::from_le_bytes(s[24..32].try_into().unwrap());
                    let flags = u16::from_le_bytes(s[40..42].try_into().unwrap());
                    let start = now(id);
                    match start {
                        Err(e) => ready.push((userdata, EVENTTYPE_CLOCK, e)),
                        Ok(start) => {
                            let wait = if flags & SUBCLOCKFLAGS_ABSTIME != 0 {
                                timeout.saturating_sub(start)
                            } else {
                                timeout
                            };
                            deadlines.push((userdata, wait));
                        }
                    }
                }
                tag @ (1 | 2) => {
                    let fd = u32::from_le_bytes(s[16..20].try_into().unwrap());
                    let right = if tag == 1 {
                        rights::FD_READ
                    } else {
                        rights::FD_WRITE
                    };
                    let error = needs(fd, right).err().unwrap_or(errno::SUCCESS);
                    ready.push((userdata, tag, error));
                }
                _ => return Err(errno::INVAL),
            }
        }
        if ready.is_empty() {
            // Sleep for the shortest wait; every clock due by then fires.
            let shortest = deadlines.iter().map(|d| d.1).min().unwrap_or(0);
            let ms = shortest.div_ceil(1_000_000).min(u64::from(u32::MAX - 1)) as u32;
            // SAFETY: no preconditions.
            unsafe { Sleep(ms) };
            for &(userdata, wait) in &deadlines {
                if wait <= shortest {
                    ready.push((userdata, EVENTTYPE_CLOCK, errno::SUCCESS));
                }
            }
        }
        for (i, &(userdata, tag, error)) in ready.iter().enumerate() {
            let mut event = [0u8; 32];
            event[0..8].copy_from_slice(&userdata.to_le_bytes());
            event[8..10].copy_from_slice(&error.to_le_bytes());
            event[10] = tag;
            m.write(u64::from(events) + i as u64 * EVENT_SIZE, &event)?;
        }
        m.write_u32(nevents.into(), ready.len() as u32)
    }))
}
