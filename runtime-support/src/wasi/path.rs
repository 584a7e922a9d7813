//! `path_*`, written once for every platform: each checks the directory descriptors and
//! their rights, the flags, every guest path and buffer, then calls the platform's
//! primitive (`host_fs`: `unix_fs.rs` over the `sandbox` resolver, or `windows_fs.rs`),
//! which resolves the path beneath its directory and acts on it, and writes the result
//! back.
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

use super::dirs::{follow, open_rights};
use super::fd::requested_times;
use super::host_fs;
use super::state::{directories, directory, with_state, FdEntry, Kind};
use super::types::{errno, rights, FILESTAT_SIZE};
use super::{ret, GuestMemory};
use kiln_abi::VMContext;

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        host_fs::create_directory(&dir, &path)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        m.write(buf.into(), &host_fs::path_filestat(&dir, &path, follow)?)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        let times = requested_times(atim, mtim, fst_flags)?;
        let path = m.read_path(path, path_len)?;
        host_fs::set_path_times(&dir, &path, follow, times)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        host_fs::link(&old_dir, &old_path, &new_dir, &new_path)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        let path = m.read_path(path, path_len)?;
        m.ptr(opened_fd.into(), 4)?;
        let (host, kind) = host_fs::open(&dir, &path, &checked)?;
        let mask = match kind {
            Kind::Directory => rights::DIRECTORY,
            _ => rights::FILE,
        };
        let entry = FdEntry {
            host,
            kind,
            rights_base: checked.base & mask,
            rights_inheriting: checked.inheriting,
            owned: true,
            read_only: dir.read_only,
        };
        let new_fd = with_state(|s| s.fds.insert(entry, None));
        m.write_u32(opened_fd.into(), new_fd)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        let mut target = host_fs::readlink(&dir, &path)?;
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
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        host_fs::remove_directory(&dir, &path)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        host_fs::rename(&old_dir, &old_path, &new_dir, &new_path)
    }))
}

/// The link's text is stored as given; absolute targets are refused (`EPERM`, as
/// wasmtime), relative ones are only ever followed beneath the directory they are
/// resolved from.
///
/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        host_fs::symlink(&target, &dir, &new_path)
    }))
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
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
        host_fs::unlink_file(&dir, &path)
    }))
}
