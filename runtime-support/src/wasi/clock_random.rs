//! Clocks, randomness, scheduling and process control.

use super::host::{from_host, nanos, syscall};
use super::types::{clockid, errno, Errno};
use super::{ret, GuestMemory};
use crate::sys;
use kiln_abi::VMContext;

fn host_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    match id {
        clockid::REALTIME => Ok(libc::CLOCK_REALTIME),
        clockid::MONOTONIC => Ok(libc::CLOCK_MONOTONIC),
        clockid::PROCESS_CPUTIME_ID => Ok(libc::CLOCK_PROCESS_CPUTIME_ID),
        clockid::THREAD_CPUTIME_ID => Ok(libc::CLOCK_THREAD_CPUTIME_ID),
        _ => Err(errno::INVAL),
    }
}

/// The current time of WASI clock `id` in nanoseconds.
pub(crate) fn now(id: u32) -> Result<u64, Errno> {
    let clock = host_clock(id)?;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    syscall(|| unsafe { libc::clock_gettime(clock, &mut ts) } as i64)?;
    Ok(nanos(ts.tv_sec, ts.tv_nsec))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_clock_res_get(
    vmctx: *mut VMContext,
    id: u32,
    resolution: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        m.ptr(resolution.into(), 8)?;
        let clock = host_clock(id)?;
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid out-pointer.
        syscall(|| unsafe { libc::clock_getres(clock, &mut ts) } as i64)?;
        m.write_u64(resolution.into(), nanos(ts.tv_sec, ts.tv_nsec))
    }))
}

/// # Safety
/// As for [`kiln_wasi_clock_res_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_clock_time_get(
    vmctx: *mut VMContext,
    id: u32,
    _precision: u64,
    time: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        m.ptr(time.into(), 8)?;
        m.write_u64(time.into(), now(id)?)
    }))
}

/// # Safety
/// As for [`kiln_wasi_clock_res_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_random_get(vmctx: *mut VMContext, buf: u32, len: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let p = m.ptr(buf.into(), len.into())?;
        // SAFETY: `[p, p + len)` is inside the guest memory.
        unsafe { sys::fill_random(p, len as usize) }.map_err(|e| from_host(e.0))
    }))
}

/// # Safety
/// As for [`kiln_wasi_clock_res_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_sched_yield(_vmctx: *mut VMContext) -> i32 {
    // SAFETY: sched_yield has no preconditions.
    unsafe { libc::sched_yield() };
    ret(Ok(()))
}

/// Exits at once: the runtime buffers nothing (stdout/stderr are written with write(2)).
///
/// # Safety
/// As for [`kiln_wasi_clock_res_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_proc_exit(_vmctx: *mut VMContext, code: u32) -> ! {
    super::proc_exit(code)
}

/// Preview1 allows `proc_raise` to be unsupported (it was removed from later snapshots,
/// and wasmtime does not implement it either): `ENOSYS`.
///
/// # Safety
/// As for [`kiln_wasi_clock_res_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_proc_raise(_vmctx: *mut VMContext, _signal: u32) -> i32 {
    ret(Err(errno::NOSYS))
}
