//! The Unix (Linux, macOS) primitives under the shared guest-facing WASI layer
//! (`io.rs`, `fd.rs`, `path.rs`): each acts on descriptors whose rights, and on guest
//! buffers and paths that, were already checked, and only translates to the host's
//! system calls (paths through the `sandbox` resolver). The Windows versions
//! of the same functions are in `windows_fs.rs`.

use super::dirs::{DirEntry, OpenRights};
use super::fd::SetTime;
use super::guest::GuestBuf;
use super::host::{check_code, filestat as stat_bytes, filetype, fstat, syscall};
use super::io::Whence;
use super::sandbox::{self, Entry};
use super::state::{FdEntry, Kind};
use super::types::{advice, errno, fdflags, filetype, oflags, Errno, FILESTAT_SIZE};
use crate::prelude::*;
use crate::sys::RawHost;
use alloc::ffi::CString;
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

/// `readv`/`writev`, or the positional `preadv`/`pwritev` at `offset` (at most
/// `i64::MAX`), on the checked guest buffers; the byte count.
fn transfer(
    entry: &FdEntry,
    bufs: &[GuestBuf],
    offset: Option<u64>,
    vectored: unsafe extern "C" fn(c_int, *const libc::iovec, c_int) -> isize,
    positional: unsafe extern "C" fn(c_int, *const libc::iovec, c_int, libc::off_t) -> isize,
) -> Result<u32, Errno> {
    let iov = host_iovecs(bufs);
    let (p, n) = (iov.as_ptr(), iov.len() as c_int);
    let moved = syscall(|| match offset {
        // SAFETY: every buffer lies in guest memory (`GuestMemory::iovecs`).
        None => unsafe { vectored(entry.host, p, n) as i64 },
        // SAFETY: as above.
        Some(at) => unsafe { positional(entry.host, p, n, at as libc::off_t) as i64 },
    })?;
    // The list holds at most u32::MAX bytes.
    Ok(moved as u32)
}

pub(crate) fn read(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    transfer(entry, bufs, offset, libc::readv, libc::preadv)
}

pub(crate) fn write(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    transfer(entry, bufs, offset, libc::writev, libc::pwritev)
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

/// The `timespec`s futimens/utimensat take for `times`.
fn timespecs(times: [SetTime; 2]) -> [libc::timespec; 2] {
    times.map(|time| match time {
        SetTime::At(nanos) => libc::timespec {
            tv_sec: (nanos / 1_000_000_000) as _,
            tv_nsec: (nanos % 1_000_000_000) as _,
        },
        SetTime::Now => libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_NOW,
        },
        SetTime::Keep => libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        },
    })
}

pub(crate) fn set_times(entry: &FdEntry, times: [SetTime; 2]) -> Result<(), Errno> {
    let times = timespecs(times);
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

// --- paths: each resolved beneath its directory by `sandbox` ------------------------
//
// `sandbox::Entry` names never carry a trailing `/`; these give it its POSIX meaning.

/// An error for a path ending in `/` whose last component, not followed, is `entry`: what
/// creating something there answers (`ENOENT` if nothing is there, else `EEXIST`, or
/// `ENOTDIR` for a non-directory).
fn slash_create_error(entry: &Entry) -> Errno {
    match entry.lstat() {
        Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => errno::EXIST,
        Ok(_) => errno::NOTDIR,
        Err(e) => e,
    }
}

/// `.`, `..` (both with the directory's own inode, as wasmtime), then the entries.
pub(crate) fn listing(dir: &FdEntry) -> Result<Vec<DirEntry>, Errno> {
    let ino = fstat(dir.host)?.st_ino;
    let dot = |name: &[u8]| DirEntry {
        name: name.to_vec(),
        ino,
        filetype: filetype::DIRECTORY,
    };
    let mut all = vec![dot(b"."), dot(b"..")];
    all.extend(sandbox::list_dir(dir.host)?);
    Ok(all)
}

pub(crate) fn create_directory(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    sandbox::parent(dir.host, path)?.mkdir()
}

pub(crate) fn path_filestat(
    dir: &FdEntry,
    path: &[u8],
    follow: bool,
) -> Result<[u8; FILESTAT_SIZE], Errno> {
    // A trailing slash follows a final symlink and wants a directory: the kernel's own
    // resolution does both.
    let st = if follow || path.ends_with(b"/") {
        let file = sandbox::open(dir.host, path, crate::sys::fs::O_PATH, 0, true)?;
        fstat(file.raw())?
    } else {
        sandbox::parent(dir.host, path)?.lstat()?
    };
    Ok(stat_bytes(&st))
}

pub(crate) fn set_path_times(
    dir: &FdEntry,
    path: &[u8],
    follow: bool,
    times: [SetTime; 2],
) -> Result<(), Errno> {
    let entry = if follow || path.ends_with(b"/") {
        sandbox::follow(dir.host, path)?
    } else {
        sandbox::parent(dir.host, path)?
    };
    if entry.trailing_slash && !entry.is_dir()? {
        return Err(errno::NOTDIR);
    }
    entry.set_times(&timespecs(times))
}

/// Hard links are made between two entries inside the sandbox (never following a
/// symlink: a link to a symlink is another symlink, resolved like the first).
pub(crate) fn link(
    old_dir: &FdEntry,
    old_path: &[u8],
    new_dir: &FdEntry,
    new_path: &[u8],
) -> Result<(), Errno> {
    let old = sandbox::parent(old_dir.host, old_path)?;
    let new = sandbox::parent(new_dir.host, new_path)?;
    if old.trailing_slash {
        // `x/` names a directory, and directories cannot be hard-linked.
        return Err(if old.is_dir()? {
            errno::PERM
        } else {
            errno::NOTDIR
        });
    }
    if new.trailing_slash {
        return Err(match new.lstat() {
            Ok(_) => errno::EXIST,
            Err(e) => e,
        });
    }
    old.link_to(&new)
}

/// The host flags for `path_open`'s checked arguments.
fn open_flags(checked: &OpenRights) -> libc::c_int {
    let mut flags = libc::O_NOCTTY
        | match (checked.read, checked.write) {
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        };
    for (bit, host) in [
        (oflags::CREAT, libc::O_CREAT),
        (oflags::DIRECTORY, libc::O_DIRECTORY),
        (oflags::EXCL, libc::O_EXCL),
        (oflags::TRUNC, libc::O_TRUNC),
    ] {
        if checked.oflags & bit != 0 {
            flags |= host;
        }
    }
    for (bit, host) in [
        (fdflags::APPEND, libc::O_APPEND),
        (fdflags::DSYNC, libc::O_DSYNC),
        (fdflags::NONBLOCK, libc::O_NONBLOCK),
        (fdflags::RSYNC, crate::sys::fs::O_RSYNC),
        (fdflags::SYNC, libc::O_SYNC),
    ] {
        if checked.fdflags & bit != 0 {
            flags |= host;
        }
    }
    flags
}

/// Opens `path` beneath `dir` as `path_open`'s checked arguments ask: the new host
/// descriptor and what it is.
pub(crate) fn open(
    dir: &FdEntry,
    path: &[u8],
    checked: &OpenRights,
) -> Result<(RawHost, Kind), Errno> {
    let file = sandbox::open(dir.host, path, open_flags(checked), 0o666, checked.follow)?;
    let st = fstat(file.raw())?;
    let kind = if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
        Kind::Directory
    } else {
        Kind::File
    };
    Ok((file.into_raw(), kind))
}

pub(crate) fn readlink(dir: &FdEntry, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let entry = sandbox::parent(dir.host, path)?;
    if entry.trailing_slash {
        // `x/` follows x: whatever it names now is not a symlink.
        sandbox::open(dir.host, path, crate::sys::fs::O_PATH, 0, true)?;
        return Err(errno::INVAL);
    }
    entry.readlink()
}

pub(crate) fn remove_directory(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    // A trailing slash changes nothing here: rmdir wants a directory anyway.
    sandbox::parent(dir.host, path)?.unlink(true)
}

pub(crate) fn rename(
    old_dir: &FdEntry,
    old_path: &[u8],
    new_dir: &FdEntry,
    new_path: &[u8],
) -> Result<(), Errno> {
    let old = sandbox::parent(old_dir.host, old_path)?;
    let new = sandbox::parent(new_dir.host, new_path)?;
    // A trailing slash on either side is only for directories.
    if (old.trailing_slash || new.trailing_slash) && !old.is_dir()? {
        return Err(errno::NOTDIR);
    }
    old.rename_to(&new)
}

/// Makes a symbolic link holding `target` (relative: the shared layer refused absolute
/// ones) at `path`.
pub(crate) fn symlink(target: &[u8], dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let target = CString::new(target).map_err(|_| errno::INVAL)?;
    let new = sandbox::parent(dir.host, path)?;
    if new.trailing_slash {
        return Err(slash_create_error(&new));
    }
    new.symlink(&target)
}

pub(crate) fn unlink_file(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let entry = sandbox::parent(dir.host, path)?;
    if entry.trailing_slash {
        // Only a directory can be named `x/`, and unlink_file does not remove one.
        return Err(match entry.lstat() {
            Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => errno::ISDIR,
            Ok(_) => errno::NOTDIR,
            Err(e) => e,
        });
    }
    entry.unlink(false)
}
