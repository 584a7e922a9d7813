//! Directories: preopens, `fd_readdir` and `path_*`.
//!
//! Every path is resolved beneath the directory descriptor it is relative to by
//! [`sandbox`]; this module checks descriptors, rights and guest pointers, and gives the
//! POSIX meaning of a trailing `/` (which [`sandbox::Entry`] names never carry).
//!
//! Errno choices (wasmtime's where the spec leaves room):
//! - a path leaving its directory (absolute, `..` above it, a symlink pointing outside,
//!   including absolute targets) is `EPERM`; a symlink loop or more than 40 links `ELOOP`;
//! - a missing right is `ENOTCAPABLE`; a read-only grant has none of the rights that
//!   change anything, so every write through it is `ENOTCAPABLE` too;
//! - `path_*` on a descriptor that is not a directory is `ENOTDIR`, on a closed one `EBADF`;
//! - `path_symlink` with an absolute target, and `path_readlink` of a link (made on the
//!   host) with an absolute target, are `EPERM` (as wasmtime); `path_link` with
//!   `symlink_follow` is `EINVAL` (as wasmtime).

use super::dirs::{follow, open_rights, DirEntry, OpenRights};
use super::host::{filestat, fstat, set_times_spec};
use super::sandbox::{self, Entry};
use super::state::{directories, directory, with_state, FdEntry, Kind};
use super::types::{errno, fdflags, filetype, oflags, rights, Errno, FILESTAT_SIZE};
use super::{ret, GuestMemory};
use crate::prelude::*;
use alloc::ffi::CString;
use kiln_abi::VMContext;

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

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_create_directory(
    vmctx: *mut VMContext,
    fd: u32,
    path: u32,
    path_len: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::PATH_CREATE_DIRECTORY)?;
        let path = m.read_path(path, path_len)?;
        sandbox::parent(dir.host, &path)?.mkdir()
    }))
}

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_filestat_get(
    vmctx: *mut VMContext,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    buf: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::PATH_FILESTAT_GET)?;
        let follow = follow(flags)?;
        let path = m.read_path(path, path_len)?;
        m.ptr(buf.into(), FILESTAT_SIZE as u64)?;
        // A trailing slash follows a final symlink and wants a directory: the kernel's
        // own resolution does both.
        let st = if follow || path.ends_with(b"/") {
            let file = sandbox::open(dir.host, &path, crate::sys::fs::O_PATH, 0, true)?;
            fstat(file.raw())?
        } else {
            sandbox::parent(dir.host, &path)?.lstat()?
        };
        m.write(buf.into(), &filestat(&st))
    }))
}

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kiln_wasi_path_filestat_set_times(
    vmctx: *mut VMContext,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::PATH_FILESTAT_SET_TIMES)?;
        let follow = follow(flags)?;
        let times = set_times_spec(atim, mtim, fst_flags)?;
        let path = m.read_path(path, path_len)?;
        let entry = if follow || path.ends_with(b"/") {
            sandbox::follow(dir.host, &path)?
        } else {
            sandbox::parent(dir.host, &path)?
        };
        if entry.trailing_slash && !entry.is_dir()? {
            return Err(errno::NOTDIR);
        }
        entry.set_times(&times)
    }))
}

/// Hard links are made between two entries inside the sandbox (never following a
/// symlink: a link to a symlink is another symlink, resolved like the first).
///
/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kiln_wasi_path_link(
    vmctx: *mut VMContext,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let (old_dir, new_dir) = directories(
            old_fd,
            rights::PATH_LINK_SOURCE,
            new_fd,
            rights::PATH_LINK_TARGET,
        )?;
        if follow(old_flags)? {
            return Err(errno::INVAL);
        }
        let old_path = m.read_path(old_path, old_path_len)?;
        let new_path = m.read_path(new_path, new_path_len)?;
        let old = sandbox::parent(old_dir.host, &old_path)?;
        let new = sandbox::parent(new_dir.host, &new_path)?;
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
    }))
}

/// What `path_open` asks the host for.
struct OpenRequest {
    flags: libc::c_int,
    follow: bool,
    /// Rights of the new descriptor before they are cut to its type.
    base: u64,
    inheriting: u64,
}

/// The host flags for `path_open`'s checked arguments ([`open_rights`]).
fn open_request(checked: &OpenRights) -> OpenRequest {
    let &OpenRights {
        follow,
        oflags: of,
        fdflags: ff,
        read,
        write,
        base,
        inheriting,
    } = checked;
    let mut flags = libc::O_NOCTTY
        | match (read, write) {
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
        if of & bit != 0 {
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
        if ff & bit != 0 {
            flags |= host;
        }
    }
    OpenRequest {
        flags,
        follow,
        base,
        inheriting,
    }
}

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kiln_wasi_path_open(
    vmctx: *mut VMContext,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags_bits: u32,
    rights_base: u64,
    rights_inheriting: u64,
    fdflags_bits: u32,
    opened_fd: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let (dir, checked) = open_rights(
            fd,
            dirflags,
            oflags_bits,
            rights_base,
            rights_inheriting,
            fdflags_bits,
        )?;
        let req = open_request(&checked);
        let path = m.read_path(path, path_len)?;
        m.ptr(opened_fd.into(), 4)?;
        let file = sandbox::open(dir.host, &path, req.flags, 0o666, req.follow)?;
        let st = fstat(file.raw())?;
        let (kind, mask) = if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            (Kind::Directory, rights::DIRECTORY)
        } else {
            (Kind::File, rights::FILE)
        };
        let entry = FdEntry {
            host: file.into_raw(),
            kind,
            rights_base: req.base & mask,
            rights_inheriting: req.inheriting,
            owned: true,
            read_only: dir.read_only,
        };
        let new_fd = with_state(|s| s.fds.insert(entry, None));
        m.write_u32(opened_fd.into(), new_fd)
    }))
}

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_readlink(
    vmctx: *mut VMContext,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::PATH_READLINK)?;
        let path = m.read_path(path, path_len)?;
        m.ptr(buf.into(), buf_len.into())?;
        m.ptr(bufused.into(), 4)?;
        let entry = sandbox::parent(dir.host, &path)?;
        if entry.trailing_slash {
            // `x/` follows x: whatever it names now is not a symlink.
            sandbox::open(dir.host, &path, crate::sys::fs::O_PATH, 0, true)?;
            return Err(errno::INVAL);
        }
        let mut target = entry.readlink()?;
        if target.starts_with(b"/") {
            // A link that could never be followed here, whose text is a host path: as
            // wasmtime, it is not read either.
            return Err(errno::PERM);
        }
        // As wasmtime: a short buffer gets the start of the target.
        target.truncate(buf_len as usize);
        m.write(buf.into(), &target)?;
        m.write_u32(bufused.into(), target.len() as u32)
    }))
}

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_remove_directory(
    vmctx: *mut VMContext,
    fd: u32,
    path: u32,
    path_len: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::PATH_REMOVE_DIRECTORY)?;
        let path = m.read_path(path, path_len)?;
        // A trailing slash changes nothing here: rmdir wants a directory anyway.
        sandbox::parent(dir.host, &path)?.unlink(true)
    }))
}

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_rename(
    vmctx: *mut VMContext,
    fd: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let (old_dir, new_dir) = directories(
            fd,
            rights::PATH_RENAME_SOURCE,
            new_fd,
            rights::PATH_RENAME_TARGET,
        )?;
        let old_path = m.read_path(old_path, old_path_len)?;
        let new_path = m.read_path(new_path, new_path_len)?;
        let old = sandbox::parent(old_dir.host, &old_path)?;
        let new = sandbox::parent(new_dir.host, &new_path)?;
        // A trailing slash on either side is only for directories.
        if (old.trailing_slash || new.trailing_slash) && !old.is_dir()? {
            return Err(errno::NOTDIR);
        }
        old.rename_to(&new)
    }))
}

/// The link's text is stored as given; absolute targets are refused (`EPERM`, as
/// wasmtime), relative ones are only ever followed beneath the directory they are
/// resolved from.
///
/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_symlink(
    vmctx: *mut VMContext,
    old_path: u32,
    old_path_len: u32,
    fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::PATH_SYMLINK)?;
        let target = m.read_path(old_path, old_path_len)?;
        let new_path = m.read_path(new_path, new_path_len)?;
        if target.starts_with(b"/") {
            return Err(errno::PERM);
        }
        let target = CString::new(target).map_err(|_| errno::INVAL)?;
        let new = sandbox::parent(dir.host, &new_path)?;
        if new.trailing_slash {
            return Err(slash_create_error(&new));
        }
        new.symlink(&target)
    }))
}

/// # Safety
/// As for [`super::dirs::kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_unlink_file(
    vmctx: *mut VMContext,
    fd: u32,
    path: u32,
    path_len: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::PATH_UNLINK_FILE)?;
        let path = m.read_path(path, path_len)?;
        let entry = sandbox::parent(dir.host, &path)?;
        if entry.trailing_slash {
            // Only a directory can be named `x/`, and unlink_file does not remove one.
            return Err(match entry.lstat() {
                Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => errno::ISDIR,
                Ok(_) => errno::NOTDIR,
                Err(e) => e,
            });
        }
        entry.unlink(false)
    }))
}
