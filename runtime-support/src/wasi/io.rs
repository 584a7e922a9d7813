//! Reading, writing and the file position (`fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`,
//! `fd_seek`, `fd_tell`), written once for every platform: the descriptor and its rights,
//! every guest pointer and the iovec list are checked here, and the result is written
//! back here. The transfer itself is the platform's primitive (`host_fs`: `unix_fs.rs` on
//! Linux and macOS, `windows_fs.rs` on Windows), which sees only checked buffers.

use super::guest::GuestBuf;
use super::host_fs;
use super::state::{self, FdEntry};
use super::types::{errno, rights, whence, Errno};
use super::{ret, GuestMemory};
use kiln_abi::VMContext;

/// Where `fd_seek` counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Whence {
    Start,
    Current,
    End,
}

/// An explicit offset as the hosts take it (`off_t`, `LARGE_INTEGER`): at most
/// `i64::MAX`, else `EINVAL`.
fn host_offset(offset: u64) -> Result<u64, Errno> {
    i64::try_from(offset)
        .map(|_| offset)
        .map_err(|_| errno::INVAL)
}

/// One transfer: `fd` must hold `required`, the count pointer and every iovec must lie in
/// guest memory before `op` runs; the byte count `op` moved is written back.
///
/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
unsafe fn transfer(
    vmctx: *mut VMContext,
    fd: u32,
    required: u64,
    iovs: u32,
    iovs_len: u32,
    count_ptr: u32,
    op: impl FnOnce(&FdEntry, &[GuestBuf]) -> Result<u32, Errno>,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let entry = state::fd(fd, required)?;
        m.ptr(count_ptr.into(), 4)?;
        let bufs = m.iovecs(iovs, iovs_len)?;
        let n = op(&entry, &bufs)?;
        m.write_u32(count_ptr.into(), n)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_read(
    vmctx: *mut VMContext,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread: u32,
) -> i32 {
    // SAFETY: caller's contract.
    unsafe {
        transfer(vmctx, fd, rights::FD_READ, iovs, iovs_len, nread, |e, b| {
            host_fs::read(e, b, None)
        })
    }
}

/// # Safety
/// As for [`kiln_wasi_fd_read`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_write(
    vmctx: *mut VMContext,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> i32 {
    // SAFETY: caller's contract.
    unsafe {
        transfer(
            vmctx,
            fd,
            rights::FD_WRITE,
            iovs,
            iovs_len,
            nwritten,
            |e, b| host_fs::write(e, b, None),
        )
    }
}

/// # Safety
/// As for [`kiln_wasi_fd_read`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_pread(
    vmctx: *mut VMContext,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread: u32,
) -> i32 {
    let required = rights::FD_READ | rights::FD_SEEK;
    // SAFETY: caller's contract.
    unsafe {
        transfer(vmctx, fd, required, iovs, iovs_len, nread, |e, b| {
            host_fs::read(e, b, Some(host_offset(offset)?))
        })
    }
}

/// # Safety
/// As for [`kiln_wasi_fd_read`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_pwrite(
    vmctx: *mut VMContext,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> i32 {
    let required = rights::FD_WRITE | rights::FD_SEEK;
    // SAFETY: caller's contract.
    unsafe {
        transfer(vmctx, fd, required, iovs, iovs_len, nwritten, |e, b| {
            host_fs::write(e, b, Some(host_offset(offset)?))
        })
    }
}

/// # Safety
/// As for [`kiln_wasi_fd_read`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_seek(
    vmctx: *mut VMContext,
    fd: u32,
    offset: i64,
    how: u32,
    newoffset: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let from = match u8::try_from(how) {
            Ok(whence::SET) => Whence::Start,
            Ok(whence::CUR) => Whence::Current,
            Ok(whence::END) => Whence::End,
            _ => return Err(errno::INVAL),
        };
        // Reading the position only needs FD_TELL.
        let required = if from == Whence::Current && offset == 0 {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        };
        let entry = state::fd(fd, required)?;
        m.ptr(newoffset.into(), 8)?;
        let position = host_fs::seek(&entry, offset, from)?;
        m.write_u64(newoffset.into(), position)
    }))
}

/// # Safety
/// As for [`kiln_wasi_fd_read`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_tell(vmctx: *mut VMContext, fd: u32, out: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let entry = state::fd(fd, rights::FD_TELL)?;
        m.ptr(out.into(), 8)?;
        let position = host_fs::seek(&entry, 0, Whence::Current)?;
        m.write_u64(out.into(), position)
    }))
}
