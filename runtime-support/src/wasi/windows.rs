//! WASI preview1 on Windows, apart from descriptors and paths ([`super::windows_fs`]):
//! clocks, random bytes, `proc_exit`, `sched_yield`, `poll_oneoff`, and sockets (there are
//! none).

use super::state;
use super::types::{errno, rights, Errno};
use super::{ret, GuestMemory};
use crate::prelude::*;
use crate::sys;
use core::ffi::c_void;
use kiln_abi::VMContext;

#[link(name = "kernel32")]
extern "system" {
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

/// There are no sockets: every fd that exists is not one.
macro_rules! not_sockets {
    ($($name:ident($($p:ident: $t:ty),*);)*) => {$(
        /// # Safety
        /// As for [`kiln_wasi_clock_time_get`].
        #[no_mangle]
        pub unsafe extern "C" fn $name(_vmctx: *mut VMContext, fd: u32 $(, $p: $t)*) -> i32 {
            $(let _ = $p;)*
            ret(state::fd(fd, 0).and(Err(errno::NOTSOCK)))
        }
    )*};
}

not_sockets! {
    kiln_wasi_sock_accept(flags: u32, out: u32);
    kiln_wasi_sock_recv(iovs: u32, len: u32, flags: u32, nread: u32, oflags: u32);
    kiln_wasi_sock_send(iovs: u32, len: u32, flags: u32, nwritten: u32);
    kiln_wasi_sock_shutdown(how: u32);
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
/// As for [`kiln_wasi_clock_time_get`].
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
/// `vmctx` must be the context of a live instance (compiled code passes its own).
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
/// As for [`kiln_wasi_clock_time_get`].
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
/// As for [`kiln_wasi_clock_time_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_proc_exit(_vmctx: *mut VMContext, code: u32) -> ! {
    super::proc_exit(code)
}

/// # Safety
/// As for [`kiln_wasi_clock_time_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_proc_raise(_vmctx: *mut VMContext, _signal: u32) -> i32 {
    i32::from(errno::NOSYS)
}

/// # Safety
/// As for [`kiln_wasi_clock_time_get`].
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

/// Clock subscriptions sleep until the earliest deadline; a read or write subscription is
/// reported ready at once (files always are; a console or pipe read may then block).
///
/// # Safety
/// As for [`kiln_wasi_clock_time_get`].
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
                    let error = state::fd(fd, right | rights::POLL_FD_READWRITE)
                        .err()
                        .unwrap_or(errno::SUCCESS);
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
