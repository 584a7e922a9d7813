//! The Windows primitives under the shared guest-facing WASI layer (`io.rs`, `fd.rs`,
//! `path.rs`, which check descriptors, rights and guest memory): reading and writing,
//! descriptor state, and paths resolved beneath granted directories, all on handles in
//! the shared descriptor table ([`super::state`]). The Unix versions are in `unix_fs.rs`.
//!
//! The sandbox: a guest path is resolved beneath the directory handle it is relative to,
//! one component at a time, each opened with `NtCreateFile` relative to the handle of the
//! directory reached so far (`OBJECT_ATTRIBUTES.RootDirectory`); no host path string is
//! ever built. So:
//! - an absolute path is `EPERM`; `..` goes back to the handle the walk came from, and is
//!   `EPERM` at the starting directory (the handles are the directories walked, so one
//!   moved meanwhile cannot lead outside);
//! - reparse points (symbolic links, junctions, mount points) are never followed: every
//!   component is opened with `FILE_OPEN_REPARSE_POINT`, passing through one is `EPERM`,
//!   and a final one is acted on itself (`path_filestat_get` reports a symbolic link);
//! - a component holding `\` or `:` (which would name an alternate data stream) is
//!   `EINVAL`. DOS device names (`CON`, `NUL`) are ordinary names to `NtCreateFile`.
//!
//! Files are opened sharing read, write and delete, and removed with POSIX semantics where
//! Windows has them (Windows 10 1809+), so open files behave much as on Linux. Not
//! supported, answered `ENOTSUP`: creating symbolic links (Windows wants a privilege for
//! it), reading reparse points, and `NONBLOCK`.
//!
//! Three files: this one (the primitives), `windows_fs/beneath.rs` (the sandbox walk and
//! what is done with the entry it reaches) and `windows_fs/nt.rs` (the API declarations
//! and errno mapping). All `unsafe` calls of the Windows file APIs live in these three.

use super::dirs::{DirEntry, OpenRights};
use super::fd::SetTime;
use super::guest::GuestBuf;
use super::io::Whence;
use super::state::{with_state, FdEntry, Kind};
use super::types::{errno, fdflags, filetype, oflags, rights, Errno, FILESTAT_SIZE, PATH_MAX};
use crate::prelude::*;
use crate::sys::{Fd, Handle, OsError, RawHost};
use core::ptr;
mod beneath;
mod nt;

use beneath::*;
pub(crate) use beneath::{listing, open_granted_dir};
use nt::*;

fn handle(entry: &FdEntry) -> Handle {
    entry.host as Handle
}

// ---------------------------------------------------------------------------
// Times and attributes
// ---------------------------------------------------------------------------

fn filetime_to_nanos(ft: u64) -> u64 {
    ft.saturating_sub(UNIX_EPOCH_FILETIME).saturating_mul(100)
}

fn now_filetime() -> u64 {
    let mut ft = 0u64;
    // SAFETY: `ft` is writable.
    unsafe { GetSystemTimePreciseAsFileTime(&mut ft) };
    ft
}

/// The FILETIMEs (access, write) to set for `times`; `None` leaves one unchanged.
fn filetimes(times: [SetTime; 2]) -> [Option<u64>; 2] {
    times.map(|time| match time {
        SetTime::At(nanos) => Some(nanos / 100 + UNIX_EPOCH_FILETIME),
        SetTime::Now => Some(now_filetime()),
        SetTime::Keep => None,
    })
}

fn set_handle_times(h: Handle, times: [Option<u64>; 2]) -> Result<(), Errno> {
    let ptr_of = |t: &Option<u64>| t.as_ref().map_or(ptr::null(), |t| t as *const u64);
    // SAFETY: null or pointers to the live FILETIMEs in `times`.
    check_win32(unsafe { SetFileTime(h, ptr::null(), ptr_of(&times[0]), ptr_of(&times[1])) })
}

/// A WASI `filestat` of an open handle; for a console or pipe only its type is known.
fn handle_filestat(h: Handle) -> Result<[u8; FILESTAT_SIZE], Errno> {
    let mut out = [0u8; FILESTAT_SIZE];
    // SAFETY: GetFileType only inspects the handle.
    match unsafe { GetFileType(h) } {
        FILE_TYPE_DISK => {}
        FILE_TYPE_CHAR => {
            out[16] = filetype::CHARACTER_DEVICE;
            return Ok(out);
        }
        _ => return Ok(out),
    }
    let info = Info::of(h)?;
    out[0..8].copy_from_slice(&u64::from(info.volume).to_le_bytes());
    out[8..16].copy_from_slice(&info.index.to_le_bytes());
    out[16] = info.filetype();
    out[24..32].copy_from_slice(&u64::from(info.links).to_le_bytes());
    out[32..40].copy_from_slice(&info.size.to_le_bytes());
    out[40..48].copy_from_slice(&filetime_to_nanos(info.access_time).to_le_bytes());
    out[48..56].copy_from_slice(&filetime_to_nanos(info.write_time).to_le_bytes());
    // Windows keeps no status-change time in this record: the last write stands in.
    out[56..64].copy_from_slice(&filetime_to_nanos(info.write_time).to_le_bytes());
    Ok(out)
}

fn is_disk_file(h: Handle) -> bool {
    // SAFETY: GetFileType only inspects the handle.
    unsafe { GetFileType(h) == FILE_TYPE_DISK }
}

/// Queries a small fixed-size information class of an open file.
fn query_u32(h: Handle, class: u32) -> Result<u32, Errno> {
    let mut value = 0u32;
    let mut io = IoStatusBlock::default();
    // SAFETY: the classes asked for (access, mode) are one 4-byte ULONG.
    check_nt(unsafe {
        NtQueryInformationFile(h, &mut io, (&mut value as *mut u32).cast(), 4, class)
    })?;
    Ok(value)
}

/// Whether `h` was opened to append (it may add data but not overwrite it).
fn appends(h: Handle) -> bool {
    query_u32(h, FILE_ACCESS_INFORMATION)
        .is_ok_and(|access| access & FILE_APPEND_DATA != 0 && access & FILE_WRITE_DATA == 0)
}

/// Whether writes through `h` reach the disk before they return.
fn writes_through(h: Handle) -> bool {
    query_u32(h, FILE_MODE_INFORMATION).is_ok_and(|mode| mode & FILE_WRITE_THROUGH != 0)
}

/// The `fdflags` of an open file: `APPEND`, and `DSYNC | SYNC` when it writes through.
fn file_fdflags(h: Handle) -> u16 {
    let mut flags = 0;
    if appends(h) {
        flags |= fdflags::APPEND;
    }
    if writes_through(h) {
        flags |= fdflags::DSYNC | fdflags::SYNC;
    }
    flags
}

// ---------------------------------------------------------------------------
// Reading, writing, seeking
// ---------------------------------------------------------------------------

/// Reads into each iovec in turn (at `offset`, if given) until one is not filled.
fn read_into(h: Handle, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let mut total = 0u32;
    for &GuestBuf { ptr: p, len } in bufs {
        // The whole list holds at most u32::MAX bytes.
        let len = len as u32;
        let mut done = 0u32;
        let mut at = offset.map(|o| overlapped(o + u64::from(total)));
        let ov = at
            .as_mut()
            .map_or(ptr::null_mut(), |o| (o as *mut Overlapped).cast());
        // SAFETY: `[p, p + len)` is inside guest memory (`GuestMemory::iovecs`).
        if unsafe { ReadFile(h, p, len, &mut done, ov) } == 0 {
            match OsError::last() {
                OsError(ERROR_BROKEN_PIPE | ERROR_HANDLE_EOF) => break,
                e => return Err(win32_errno(e)),
            }
        }
        total = total.saturating_add(done);
        if done < len {
            break;
        }
    }
    Ok(total)
}

/// Writes each iovec in turn (at `offset`, if given).
fn write_from(h: Handle, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let mut total = 0u32;
    for &GuestBuf { ptr: p, len } in bufs {
        let len = len as u32;
        let mut written = 0u32;
        while written < len {
            let mut done = 0u32;
            let mut at = offset.map(|o| overlapped(o + u64::from(total) + u64::from(written)));
            let ov = at
                .as_mut()
                .map_or(ptr::null_mut(), |o| (o as *mut Overlapped).cast());
            // SAFETY: `[p, p + len)` is inside guest memory (`GuestMemory::iovecs`).
            let ok = unsafe { WriteFile(h, p.add(written as usize), len - written, &mut done, ov) };
            check_win32(ok)?;
            written += done;
        }
        total = total.saturating_add(len);
    }
    Ok(total)
}

fn overlapped(offset: u64) -> Overlapped {
    Overlapped {
        offset: offset as u32,
        offset_high: (offset >> 32) as u32,
        ..Overlapped::default()
    }
}

/// Moves the file position; the new position.
fn set_position(h: Handle, offset: i64, method: u32) -> Result<u64, Errno> {
    if !is_disk_file(h) {
        return Err(errno::SPIPE);
    }
    let mut position = 0i64;
    // SAFETY: `position` is writable.
    check_win32(unsafe { SetFilePointerEx(h, offset, &mut position, method) })?;
    Ok(position as u64)
}

/// Runs a positional transfer and puts the file position back where it was (Windows
/// moves it even for a read or write at an explicit offset).
fn at_offset(h: Handle, transfer: impl FnOnce() -> Result<u32, Errno>) -> Result<u32, Errno> {
    let position = set_position(h, 0, 1)?;
    let result = transfer();
    set_position(h, position as i64, 0)?;
    result
}

/// `ReadFile` into each buffer in turn, at `offset` if given (the file position is put
/// back afterwards); the byte count.
pub(crate) fn read(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let h = handle(entry);
    match offset {
        None => read_into(h, bufs, None),
        Some(at) => at_offset(h, || read_into(h, bufs, Some(at))),
    }
}

/// `WriteFile` from each buffer in turn, at `offset` if given (the file position is put
/// back afterwards); the byte count.
pub(crate) fn write(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let h = handle(entry);
    match offset {
        None => write_from(h, bufs, None),
        Some(at) => at_offset(h, || write_from(h, bufs, Some(at))),
    }
}

/// Moves the file position (disk files only, else `ESPIPE`); the new position.
pub(crate) fn seek(entry: &FdEntry, offset: i64, from: Whence) -> Result<u64, Errno> {
    let method = match from {
        Whence::Start => 0,
        Whence::Current => 1,
        Whence::End => 2,
    };
    set_position(handle(entry), offset, method)
}

// ---------------------------------------------------------------------------
// Descriptors: the primitives under the shared `fd.rs`
// ---------------------------------------------------------------------------

/// The descriptor's file type and fdflags (files only; others have none).
pub(crate) fn fdstat(entry: &FdEntry) -> Result<(u8, u16), Errno> {
    let h = handle(entry);
    let flags = if entry.kind == Kind::File {
        file_fdflags(h)
    } else {
        0
    };
    Ok((handle_filestat(h)?[16], flags))
}

/// `APPEND` is switched by reopening the file with or without `FILE_WRITE_DATA` (Windows
/// fixes it in the handle's access) at the same position. `NONBLOCK`, which changes
/// nothing for files, consoles or pipes here, is `ENOTSUP`.
pub(crate) fn set_fdflags(fd: u32, entry: &FdEntry, flags: u16) -> Result<(), Errno> {
    if flags & fdflags::NONBLOCK != 0 {
        return Err(errno::NOTSUP);
    }
    let h = handle(entry);
    let append = flags & fdflags::APPEND != 0;
    if entry.kind != Kind::File {
        return if append { Err(errno::NOTSUP) } else { Ok(()) };
    }
    if append == appends(h) {
        return Ok(());
    }
    let access = query_u32(h, FILE_ACCESS_INFORMATION)?;
    let access = if append {
        (access & !FILE_WRITE_DATA) | FILE_APPEND_DATA
    } else {
        access | FILE_WRITE_DATA
    };
    let options = if writes_through(h) {
        FILE_WRITE_THROUGH
    } else {
        0
    };
    // An empty name relative to the file's own handle opens the file again.
    let reopened = nt_open(h, &[], access, FILE_OPEN, options)?;
    set_position(reopened.raw(), set_position(h, 0, 1)? as i64, 0)?;
    let old = with_state(|s| s.fds.set_host(fd, reopened.into_raw()))?;
    // SAFETY: the table owned the old handle and has let go of it.
    unsafe { crate::sys::close_host(old) };
    Ok(())
}

fn set_file_size(h: Handle, size: u64) -> Result<(), Errno> {
    let size = i64::try_from(size).map_err(|_| errno::FBIG)?;
    // SAFETY: FILE_END_OF_FILE_INFO is one LARGE_INTEGER.
    check_win32(unsafe {
        SetFileInformationByHandle(h, FILE_END_OF_FILE_INFO, (&size as *const i64).cast(), 8)
    })
}

pub(crate) fn filestat(entry: &FdEntry) -> Result<[u8; FILESTAT_SIZE], Errno> {
    handle_filestat(handle(entry))
}

/// Sets a file's size (only files have one: `EINVAL` otherwise).
pub(crate) fn set_size(entry: &FdEntry, size: u64) -> Result<(), Errno> {
    if entry.kind != Kind::File {
        return Err(errno::INVAL);
    }
    set_file_size(handle(entry), size)
}

pub(crate) fn set_times(entry: &FdEntry, times: [SetTime; 2]) -> Result<(), Errno> {
    set_handle_times(handle(entry), filetimes(times))
}

/// Extends the file to `offset + len` if it is shorter (as `posix_fallocate`).
pub(crate) fn allocate(entry: &FdEntry, offset: u64, len: u64) -> Result<(), Errno> {
    if len == 0 {
        return Err(errno::INVAL);
    }
    if entry.kind != Kind::File {
        return Err(errno::NODEV);
    }
    let end = offset.checked_add(len).ok_or(errno::FBIG)?;
    let h = handle(entry);
    if end > Info::of(h)?.size {
        set_file_size(h, end)?;
    }
    Ok(())
}

/// Advice is only advice: nothing to do (the shared layer checked it).
pub(crate) fn advise(_entry: &FdEntry, _offset: u64, _len: u64, _how: u8) -> Result<(), Errno> {
    Ok(())
}

/// Flushes a file to disk (data and metadata alike). A directory has nothing to flush,
/// and a handle opened only to read has no data of its own in flight (Windows refuses to
/// flush it: Linux accepts).
pub(crate) fn sync(entry: &FdEntry, _data_only: bool) -> Result<(), Errno> {
    let h = handle(entry);
    if !is_disk_file(h) {
        return Err(errno::INVAL);
    }
    if entry.kind == Kind::Directory {
        return Ok(());
    }
    // SAFETY: FlushFileBuffers only needs a valid handle.
    match check_win32(unsafe { FlushFileBuffers(h) }) {
        Err(errno::ACCES) => Ok(()),
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Paths: the primitives under the shared `path.rs`
// ---------------------------------------------------------------------------

pub(crate) fn create_directory(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    if entry.name.is_empty() {
        return Err(errno::EXIST);
    }
    entry
        .open(FILE_READ_ATTRIBUTES, FILE_CREATE, FILE_DIRECTORY_FILE)
        .map(drop)
}

pub(crate) fn path_filestat(
    dir: &FdEntry,
    path: &[u8],
    follow: bool,
) -> Result<[u8; FILESTAT_SIZE], Errno> {
    let entry = resolve(handle(dir), path)?;
    let file = entry.open(FILE_READ_ATTRIBUTES, FILE_OPEN, 0)?;
    let stat = handle_filestat(file.raw())?;
    if follow && stat[16] == filetype::SYMBOLIC_LINK {
        // Following it could leave the sandbox: reparse points are never followed.
        return Err(errno::PERM);
    }
    Ok(stat)
}

pub(crate) fn set_path_times(
    dir: &FdEntry,
    path: &[u8],
    follow: bool,
    times: [SetTime; 2],
) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    let file = entry.open(FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN, 0)?;
    if follow && Info::of(file.raw())?.is_reparse_point() {
        return Err(errno::PERM);
    }
    set_handle_times(file.raw(), filetimes(times))
}

pub(crate) fn link(
    old_dir: &FdEntry,
    old_path: &[u8],
    new_dir: &FdEntry,
    new_path: &[u8],
) -> Result<(), Errno> {
    let old = resolve(handle(old_dir), old_path)?;
    let new = resolve(handle(new_dir), new_path)?;
    if new.name.is_empty() || new.trailing_slash {
        return Err(errno::EXIST);
    }
    let file = match old.open(FILE_READ_ATTRIBUTES, FILE_OPEN, FILE_NON_DIRECTORY_FILE) {
        // Directories cannot be hard-linked.
        Err(errno::ISDIR) => return Err(errno::PERM),
        other => other?,
    };
    set_name(&file, &new, false, true)
}

/// How `path_open` opens: NtCreateFile's access, disposition and options.
struct OpenRequest {
    access: u32,
    disposition: u32,
    options: u32,
}

/// NtCreateFile's arguments for `path_open`'s checked arguments ([`super::dirs::open_rights`]).
fn open_request(checked: &OpenRights) -> OpenRequest {
    let &OpenRights {
        oflags: of,
        fdflags: ff,
        read,
        write,
        base,
        ..
    } = checked;
    let mut access = FILE_READ_ATTRIBUTES;
    if read {
        access |= FILE_GENERIC_READ;
    }
    if write {
        access |= if ff & fdflags::APPEND != 0 {
            FILE_GENERIC_APPEND
        } else {
            FILE_GENERIC_WRITE
        };
    }
    if base & rights::FD_FILESTAT_SET_TIMES != 0 {
        access |= FILE_WRITE_ATTRIBUTES;
    }
    if of & oflags::TRUNC != 0 {
        // Truncating is a write to the checked handle (see `Entry::open`).
        access |= FILE_WRITE_DATA;
    }
    let disposition = match (
        of & oflags::CREAT != 0,
        of & oflags::EXCL != 0,
        of & oflags::TRUNC != 0,
    ) {
        (true, true, _) => FILE_CREATE,
        (true, false, true) => FILE_OVERWRITE_IF,
        (true, false, false) => FILE_OPEN_IF,
        (false, _, true) => FILE_OVERWRITE,
        (false, _, false) => FILE_OPEN,
    };
    let mut options = if of & oflags::DIRECTORY != 0 {
        FILE_DIRECTORY_FILE
    } else {
        0
    };
    if ff & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
        options |= FILE_WRITE_THROUGH;
    }
    OpenRequest {
        access,
        disposition,
        options,
    }
}

/// Opens `path` beneath `dir` as `path_open`'s checked arguments ([`super::dirs::open_rights`]) ask:
/// the new handle and what it is.
pub(crate) fn open(
    dir: &FdEntry,
    path: &[u8],
    checked: &OpenRights,
) -> Result<(RawHost, Kind), Errno> {
    let req = open_request(checked);
    let entry = resolve(handle(dir), path)?;
    if entry.trailing_slash && checked.oflags & oflags::CREAT != 0 {
        // Only a directory can be named with a trailing `/`, and this creates files.
        return Err(errno::ISDIR);
    }
    let file = entry.open(req.access, req.disposition, req.options)?;
    let info = Info::of(file.raw())?;
    if info.is_reparse_point() {
        // Never followed; not following it means not opening it (as O_NOFOLLOW).
        return Err(if checked.follow {
            errno::PERM
        } else {
            errno::LOOP
        });
    }
    let kind = if info.is_dir() {
        if checked.write {
            return Err(errno::ISDIR);
        }
        Kind::Directory
    } else {
        Kind::File
    };
    Ok((file.into_raw() as RawHost, kind))
}

/// Reparse points are never read (nor followed): `ENOTSUP` for one, `EINVAL` for
/// anything else, as for a file that is not a symbolic link.
pub(crate) fn readlink(dir: &FdEntry, path: &[u8]) -> Result<Vec<u8>, Errno> {
    if resolve(handle(dir), path)?.info()?.is_reparse_point() {
        Err(errno::NOTSUP)
    } else {
        Err(errno::INVAL)
    }
}

pub(crate) fn remove_directory(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    if entry.name.is_empty() {
        return Err(errno::INVAL);
    }
    let file = entry.open(
        DELETE | FILE_READ_ATTRIBUTES,
        FILE_OPEN,
        FILE_DIRECTORY_FILE,
    )?;
    delete(&file)
}

pub(crate) fn unlink_file(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    if entry.name.is_empty() {
        return Err(errno::ISDIR);
    }
    if entry.trailing_slash {
        // `x/` names a directory: one is not unlinked, anything else is not one.
        return Err(if entry.info()?.is_dir() {
            errno::ISDIR
        } else {
            errno::NOTDIR
        });
    }
    let file = entry.open(
        DELETE | FILE_READ_ATTRIBUTES,
        FILE_OPEN,
        FILE_NON_DIRECTORY_FILE,
    )?;
    delete(&file)
}

/// Renames with POSIX's rules where Windows' differ: a directory may replace an empty
/// directory (which is removed first), and the kinds of source and target must agree.
pub(crate) fn rename(
    old_dir: &FdEntry,
    old_path: &[u8],
    new_dir: &FdEntry,
    new_path: &[u8],
) -> Result<(), Errno> {
    let old = resolve(handle(old_dir), old_path)?;
    let new = resolve(handle(new_dir), new_path)?;
    if old.name.is_empty() || new.name.is_empty() {
        return Err(errno::BUSY);
    }
    let file = old.open(DELETE | FILE_READ_ATTRIBUTES, FILE_OPEN, 0)?;
    let source = Info::of(file.raw())?;
    if new.trailing_slash && !source.is_dir() {
        return Err(errno::NOTDIR);
    }
    match new.open(DELETE | FILE_READ_DATA | FILE_READ_ATTRIBUTES, FILE_OPEN, 0) {
        Err(errno::NOENT) => {}
        Err(e) => return Err(e),
        Ok(target) => {
            let existing = Info::of(target.raw())?;
            if (existing.volume, existing.index) == (source.volume, source.index) {
                return Ok(()); // the same file: nothing to do
            }
            match (source.is_dir(), existing.is_dir()) {
                (true, false) => return Err(errno::NOTDIR),
                (false, true) => return Err(errno::ISDIR),
                (true, true) => {
                    if !list_dir(target.raw())?.is_empty() {
                        return Err(errno::NOTEMPTY);
                    }
                    delete(&target)?;
                }
                (false, false) => {}
            }
        }
    }
    set_name(&file, &new, true, false)
}

/// Symbolic links cannot be made: Windows wants a privilege (or developer mode) for them.
/// What would be refused anyway is refused first, as on Unix: a link path outside the
/// directory is `EPERM` (the shared layer refused absolute targets).
pub(crate) fn symlink(_target: &[u8], dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    resolve(handle(dir), path)?;
    Err(errno::NOTSUP)
}
