//! The Unix (Linux, macOS) primitives under the shared guest-facing WASI layer
//! (`io.rs`, `fd.rs`): each acts on an open descriptor whose rights and guest buffers were
//! already checked, and only translates to the host's system calls. The Windows versions
//! of the same functions are in `windows_fs.rs`.

use super::guest::GuestBuf;
use super::host::{check_code, filestat as stat_bytes, filetype, fstat, set_times_spec, syscall};
use super::io::Whence;
use super::state::FdEntry;
use super::types::{advice, errno, fdflags, Errno, FILESTAT_SIZE};
use crate::prelude::*;
use core::ffi::c_int;

/// An offset or length the host's `off_t` can represent.
fn off_t(value: u64) -> Result<libc::off_t, Errno> {
    libc::off_t::try_from(value).map_err(|_| errno::INVAL)
}

// --- reading, writing, seeking ------------------------------------------------------

/// The checked guest buffers as the host's iovecs.
fn host_iovecs(bufs: &[GuestBuf]) -> Vec<libc::iovec> {
    bufs.iter()
        .map(|b| libc::iovec {
            iov_base: b.ptr.cast(),
            iov_len: b.len,
        })
        .collect()
}

/// `readv`, or `preadv` at `offset` (at most `i64::MAX`); the byte count.
pub(crate) fn read(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let iov = host_iovecs(bufs);
    let (p, n) = (iov.as_ptr(), iov.len() as c_int);
    let moved = syscall(|| match offset {
        // SAFETY: every buffer lies in guest memory (`GuestMemory::iovecs`).
        None => unsafe { libc::readv(entry.host, p, n) as i64 },
        // SAFETY: as above.
        Some(at) => unsafe { libc::preadv(entry.host, p, n, at as libc::off_t) as i64 },
    })?;
    // The list holds at most u32::MAX bytes.
    Ok(moved as u32)
}

/// `writev`, or `pwritev` at `offset` (at most `i64::MAX`); the byte count.
pub(crate) fn write(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let iov = host_iovecs(bufs);
    let (p, n) = (iov.as_ptr(), iov.len() as c_int);
    let moved = syscall(|| match offset {
        // SAFETY: every buffer lies in guest memory (`GuestMemory::iovecs`).
        None => unsafe { libc::writev(entry.host, p, n) as i64 },
        // SAFETY: as above.
        Some(at) => unsafe { libc::pwritev(entry.host, p, n, at as libc::off_t) as i64 },
    })?;
    Ok(moved as u32)
}

/// `lseek`; the new position.
pub(crate) fn seek(entry: &FdEntry, offset: i64, from: Whence) -> Result<u64, Errno> {
    let how = match from {
        Whence::Start => libc::SEEK_SET,
        Whence::Current => libc::SEEK_CUR,
        Whence::End => libc::SEEK_END,
    };
    // SAFETY: lseek has no memory preconditions.
    let position = syscall(|| unsafe { libc::lseek(entry.host, offset, how) })?;
    Ok(position as u64)
}

// --- descriptor state ----------------------------------------------------------------

fn host_fdflags(host: c_int) -> Result<c_int, Errno> {
    // SAFETY: F_GETFL takes no pointer.
    syscall(|| unsafe { libc::fcntl(host, libc::F_GETFL) } as i64).map(|f| f as c_int)
}

/// The descriptor's file type and fdflags.
pub(crate) fn fdstat(entry: &FdEntry) -> Result<(u8, u16), Errno> {
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
    Ok((filetype(st.st_mode), flags))
}

/// Sets `APPEND` and `NONBLOCK` (the only flags `fd_fdstat_set_flags` may change) as
/// `flags` says.
pub(crate) fn set_fdflags(_fd: u32, entry: &FdEntry, flags: u16) -> Result<(), Errno> {
    let mut fl = host_fdflags(entry.host)? & !(libc::O_APPEND | libc::O_NONBLOCK);
    if flags & fdflags::APPEND != 0 {
        fl |= libc::O_APPEND;
    }
    if flags & fdflags::NONBLOCK != 0 {
        fl |= libc::O_NONBLOCK;
    }
    // SAFETY: F_SETFL takes an integer.
    syscall(|| unsafe { libc::fcntl(entry.host, libc::F_SETFL, fl) } as i64).map(drop)
}

// --- file attributes -----------------------------------------------------------------

pub(crate) fn filestat(entry: &FdEntry) -> Result<[u8; FILESTAT_SIZE], Errno> {
    Ok(stat_bytes(&fstat(entry.host)?))
}

pub(crate) fn set_size(entry: &FdEntry, size: u64) -> Result<(), Errno> {
    let size = off_t(size)?;
    // SAFETY: ftruncate has no memory preconditions.
    syscall(|| unsafe { libc::ftruncate(entry.host, size) } as i64).map(drop)
}

pub(crate) fn set_times(entry: &FdEntry, atim: u64, mtim: u64, flags: u32) -> Result<(), Errno> {
    let times = set_times_spec(atim, mtim, flags)?;
    // SAFETY: `times` is an array of two timespecs.
    syscall(|| unsafe { libc::futimens(entry.host, times.as_ptr()) } as i64).map(drop)
}

// --- syncing and allocation ----------------------------------------------------------

/// `fsync`, or `fdatasync` when only the data must reach the disk.
pub(crate) fn sync(entry: &FdEntry, data_only: bool) -> Result<(), Errno> {
    syscall(|| {
        if data_only {
            // SAFETY: fdatasync has no memory preconditions.
            unsafe { crate::sys::fs::fdatasync(entry.host) as i64 }
        } else {
            // SAFETY: fsync has no memory preconditions.
            unsafe { libc::fsync(entry.host) as i64 }
        }
    })
    .map(drop)
}

/// `posix_fadvise` with a checked WASI `advice` (where the host has it).
pub(crate) fn advise(entry: &FdEntry, offset: u64, len: u64, how: u8) -> Result<(), Errno> {
    let host_advice = match how {
        advice::NORMAL => crate::sys::fs::POSIX_FADV_NORMAL,
        advice::SEQUENTIAL => crate::sys::fs::POSIX_FADV_SEQUENTIAL,
        advice::RANDOM => crate::sys::fs::POSIX_FADV_RANDOM,
        advice::WILLNEED => crate::sys::fs::POSIX_FADV_WILLNEED,
        advice::DONTNEED => crate::sys::fs::POSIX_FADV_DONTNEED,
        _ => crate::sys::fs::POSIX_FADV_NOREUSE,
    };
    let (offset, len) = (off_t(offset)?, off_t(len)?);
    // SAFETY: posix_fadvise has no memory preconditions.
    check_code(unsafe { crate::sys::fs::posix_fadvise(entry.host, offset, len, host_advice) })
}

pub(crate) fn allocate(entry: &FdEntry, offset: u64, len: u64) -> Result<(), Errno> {
    let (offset, len) = (off_t(offset)?, off_t(len)?);
    // SAFETY: posix_fallocate has no memory preconditions.
    check_code(unsafe { crate::sys::fs::posix_fallocate(entry.host, offset, len) })
}
