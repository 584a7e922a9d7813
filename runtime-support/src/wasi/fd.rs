//! Operations on open descriptors (`fd_*`, except the directory ones in `path.rs`).
//! Each checks the WASI fd and its rights, then every guest pointer, then calls the host.

use super::host::{check_code, filestat, filetype, fstat, set_times_spec, syscall};
use super::state;
use super::types::{advice, errno, fdflags, rights, Errno, FDSTAT_SIZE, FILESTAT_SIZE};
use super::{ret, GuestMemory};
use core::ffi::c_int;
use kiln_abi::VMContext;

/// An offset or length the host's `off_t` can represent.
fn off_t(value: u64) -> Result<libc::off_t, Errno> {
    libc::off_t::try_from(value).map_err(|_| errno::INVAL)
}

// --- descriptor state ----------------------------------------------------------------

fn host_fdflags(host: c_int) -> Result<c_int, Errno> {
    // SAFETY: F_GETFL takes no pointer.
    syscall(|| unsafe { libc::fcntl(host, libc::F_GETFL) } as i64).map(|f| f as c_int)
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_fdstat_get(vmctx: *mut VMContext, fd: u32, buf: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let entry = state::fd(fd, 0)?;
        m.ptr(buf.into(), FDSTAT_SIZE as u64)?;
        let st = fstat(entry.host)?;
        let fl = host_fdflags(entry.host)?;
        let mut flags = 0u16;
        let has = |bits: c_int| fl & bits == bits;
        if has(libc::O_APPEND) {
            flags |= fdflags::APPEND;
        }
        if has(libc::O_NONBLOCK) {
            flags |= fdflags::NONBLOCK;
        }
        // Linux's O_SYNC includes the O_DSYNC bit (and O_RSYNC is O_SYNC).
        if has(libc::O_SYNC) {
            flags |= fdflags::SYNC;
        } else if has(libc::O_DSYNC) {
            flags |= fdflags::DSYNC;
        }
        let mut out = [0u8; FDSTAT_SIZE];
        out[0] = filetype(st.st_mode);
        out[2..4].copy_from_slice(&flags.to_le_bytes());
        out[8..16].copy_from_slice(&entry.rights_base.to_le_bytes());
        out[16..24].copy_from_slice(&entry.rights_inheriting.to_le_bytes());
        m.write(buf.into(), &out)
    }))
}

/// Only APPEND and NONBLOCK can be changed on an open descriptor; asking for a sync flag
/// is `EINVAL`, as in wasmtime.
///
/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_fdstat_set_flags(
    _vmctx: *mut VMContext,
    fd: u32,
    flags: u32,
) -> i32 {
    let result = (|| {
        let entry = state::fd(fd, rights::FD_FDSTAT_SET_FLAGS)?;
        let flags = u16::try_from(flags).map_err(|_| errno::INVAL)?;
        if flags & !fdflags::ALL != 0 {
            return Err(errno::INVAL);
        }
        if flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
            return Err(errno::INVAL);
        }
        let mut fl = host_fdflags(entry.host)? & !(libc::O_APPEND | libc::O_NONBLOCK);
        if flags & fdflags::APPEND != 0 {
            fl |= libc::O_APPEND;
        }
        if flags & fdflags::NONBLOCK != 0 {
            fl |= libc::O_NONBLOCK;
        }
        // SAFETY: F_SETFL takes an integer.
        syscall(|| unsafe { libc::fcntl(entry.host, libc::F_SETFL, fl) } as i64).map(drop)
    })();
    ret(result)
}

// --- file attributes -----------------------------------------------------------------

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_filestat_get(
    vmctx: *mut VMContext,
    fd: u32,
    buf: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let entry = state::fd(fd, rights::FD_FILESTAT_GET)?;
        m.ptr(buf.into(), FILESTAT_SIZE as u64)?;
        let st = fstat(entry.host)?;
        m.write(buf.into(), &filestat(&st))
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_filestat_set_size(
    _vmctx: *mut VMContext,
    fd: u32,
    size: u64,
) -> i32 {
    let result = state::fd(fd, rights::FD_FILESTAT_SET_SIZE).and_then(|entry| {
        let size = off_t(size)?;
        // SAFETY: ftruncate has no memory preconditions.
        syscall(|| unsafe { libc::ftruncate(entry.host, size) } as i64).map(drop)
    });
    ret(result)
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_filestat_set_times(
    _vmctx: *mut VMContext,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> i32 {
    let result = state::fd(fd, rights::FD_FILESTAT_SET_TIMES).and_then(|entry| {
        let times = set_times_spec(atim, mtim, fst_flags)?;
        // SAFETY: `times` is an array of two timespecs.
        syscall(|| unsafe { libc::futimens(entry.host, times.as_ptr()) } as i64).map(drop)
    });
    ret(result)
}

// --- syncing and allocation ----------------------------------------------------------

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_sync(_vmctx: *mut VMContext, fd: u32) -> i32 {
    let result = state::fd(fd, rights::FD_SYNC).and_then(|entry| {
        // SAFETY: fsync has no memory preconditions.
        syscall(|| unsafe { libc::fsync(entry.host) } as i64).map(drop)
    });
    ret(result)
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_datasync(_vmctx: *mut VMContext, fd: u32) -> i32 {
    let result = state::fd(fd, rights::FD_DATASYNC).and_then(|entry| {
        // SAFETY: fdatasync has no memory preconditions.
        syscall(|| unsafe { crate::sys::fs::fdatasync(entry.host) } as i64).map(drop)
    });
    ret(result)
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_advise(
    _vmctx: *mut VMContext,
    fd: u32,
    offset: u64,
    len: u64,
    advice: u32,
) -> i32 {
    let result = state::fd(fd, rights::FD_ADVISE).and_then(|entry| {
        let host_advice = match u8::try_from(advice) {
            Ok(advice::NORMAL) => crate::sys::fs::POSIX_FADV_NORMAL,
            Ok(advice::SEQUENTIAL) => crate::sys::fs::POSIX_FADV_SEQUENTIAL,
            Ok(advice::RANDOM) => crate::sys::fs::POSIX_FADV_RANDOM,
            Ok(advice::WILLNEED) => crate::sys::fs::POSIX_FADV_WILLNEED,
            Ok(advice::DONTNEED) => crate::sys::fs::POSIX_FADV_DONTNEED,
            Ok(advice::NOREUSE) => crate::sys::fs::POSIX_FADV_NOREUSE,
            _ => return Err(errno::INVAL),
        };
        let (offset, len) = (off_t(offset)?, off_t(len)?);
        // SAFETY: posix_fadvise has no memory preconditions.
        check_code(unsafe { crate::sys::fs::posix_fadvise(entry.host, offset, len, host_advice) })
    });
    ret(result)
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_allocate(
    _vmctx: *mut VMContext,
    fd: u32,
    offset: u64,
    len: u64,
) -> i32 {
    let result = state::fd(fd, rights::FD_ALLOCATE).and_then(|entry| {
        let (offset, len) = (off_t(offset)?, off_t(len)?);
        // SAFETY: posix_fallocate has no memory preconditions.
        check_code(unsafe { crate::sys::fs::posix_fallocate(entry.host, offset, len) })
    });
    ret(result)
}
