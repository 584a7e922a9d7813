//! Operations on open descriptors (`fd_*`, except reading, writing and seeking in
//! `io.rs` and the directory ones in `dirs.rs` and `path.rs`), written once for every
//! platform: each checks the WASI fd and its rights, then its arguments and every guest
//! pointer, then calls the platform's primitive (`host_fs`: `unix_fs.rs` or
//! `windows_fs.rs`) and writes the result back.

use super::host_fs;
use super::state;
use super::types::{advice, errno, fdflags, fstflags, rights, Errno, FDSTAT_SIZE, FILESTAT_SIZE};
use super::{ret, GuestMemory};
use kiln_abi::VMContext;

// --- descriptor state ----------------------------------------------------------------

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_fdstat_get(vmctx: *mut VMContext, fd: u32, buf: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let entry = state::fd(fd, 0)?;
        m.ptr(buf.into(), FDSTAT_SIZE as u64)?;
        let (filetype, flags) = host_fs::fdstat(&entry)?;
        let mut out = [0u8; FDSTAT_SIZE];
        out[0] = filetype;
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
    ret((|| {
        let entry = state::fd(fd, rights::FD_FDSTAT_SET_FLAGS)?;
        let flags = u16::try_from(flags).map_err(|_| errno::INVAL)?;
        if flags & !fdflags::ALL != 0
            || flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0
        {
            return Err(errno::INVAL);
        }
        host_fs::set_fdflags(fd, &entry, flags)
    })())
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
        m.write(buf.into(), &host_fs::filestat(&entry)?)
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
    ret(state::fd(fd, rights::FD_FILESTAT_SET_SIZE).and_then(|e| host_fs::set_size(&e, size)))
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
    ret(state::fd(fd, rights::FD_FILESTAT_SET_TIMES)
        .and_then(|e| host_fs::set_times(&e, requested_times(atim, mtim, fst_flags)?)))
}

/// One timestamp `fd_filestat_set_times` or `path_filestat_set_times` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetTime {
    Keep,
    Now,
    /// Nanoseconds since the Unix epoch.
    At(u64),
}

/// The (access, modification) times `fst_flags` asks for; `EINVAL` for an unknown flag
/// or a time both given and "now".
pub(crate) fn requested_times(atim: u64, mtim: u64, fst_flags: u32) -> Result<[SetTime; 2], Errno> {
    let flags = u16::try_from(fst_flags).map_err(|_| errno::INVAL)?;
    let known = fstflags::ATIM | fstflags::ATIM_NOW | fstflags::MTIM | fstflags::MTIM_NOW;
    if flags & !known != 0 {
        return Err(errno::INVAL);
    }
    let pick = |set: u16, now: u16, nanos: u64| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(errno::INVAL),
        (true, false) => Ok(SetTime::At(nanos)),
        (false, true) => Ok(SetTime::Now),
        (false, false) => Ok(SetTime::Keep),
    };
    Ok([
        pick(fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
        pick(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
    ])
}

// --- syncing and allocation ----------------------------------------------------------

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_sync(_vmctx: *mut VMContext, fd: u32) -> i32 {
    ret(state::fd(fd, rights::FD_SYNC).and_then(|e| host_fs::sync(&e, false)))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_datasync(_vmctx: *mut VMContext, fd: u32) -> i32 {
    ret(state::fd(fd, rights::FD_DATASYNC).and_then(|e| host_fs::sync(&e, true)))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_advise(
    _vmctx: *mut VMContext,
    fd: u32,
    offset: u64,
    len: u64,
    how: u32,
) -> i32 {
    ret(state::fd(fd, rights::FD_ADVISE).and_then(|e| {
        let how = match u8::try_from(how) {
            Ok(how @ advice::NORMAL..=advice::NOREUSE) => how,
            _ => return Err(errno::INVAL),
        };
        host_fs::advise(&e, offset, len, how)
    }))
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
    ret(state::fd(fd, rights::FD_ALLOCATE).and_then(|e| host_fs::allocate(&e, offset, len)))
}
