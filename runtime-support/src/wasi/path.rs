//! Directories: preopens, `fd_readdir` and `path_*`.
//!
//! No directory is granted in this sandbox (no preopens), so there is no directory fd to
//! resolve a path against: an unknown fd is `EBADF` and an open one (stdio) is
//! `ENOTDIR`. These are the answers a full implementation gives for those fds, not stubs;
//! `--dir` support will add directory entries to the fd table and real path resolution.

use super::ret;
use super::state;
use super::types::{errno, Errno};
use crate::abi::VMContext;

/// The directory behind `fd`; there is none in this sandbox.
fn directory(fd: u32) -> Result<(), Errno> {
    state::fd(fd, 0)?;
    Err(errno::NOTDIR)
}

/// Both directories of a two-path operation: EBADF if either fd is unknown.
fn directories(a: u32, b: u32) -> Result<(), Errno> {
    state::fd(a, 0)?;
    state::fd(b, 0)?;
    Err(errno::NOTDIR)
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_prestat_get(
    _vmctx: *mut VMContext,
    _fd: u32,
    _buf: u32,
) -> i32 {
    // Nothing is preopened; a guest enumerates preopens from fd 3 until EBADF.
    ret(Err(errno::BADF))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_prestat_dir_name(
    _vmctx: *mut VMContext,
    _fd: u32,
    _path: u32,
    _path_len: u32,
) -> i32 {
    ret(Err(errno::BADF))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_readdir(
    _vmctx: *mut VMContext,
    fd: u32,
    _buf: u32,
    _buf_len: u32,
    _cookie: u64,
    _bufused: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_create_directory(
    _vmctx: *mut VMContext,
    fd: u32,
    _path: u32,
    _path_len: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_filestat_get(
    _vmctx: *mut VMContext,
    fd: u32,
    _flags: u32,
    _path: u32,
    _path_len: u32,
    _buf: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kiln_wasi_path_filestat_set_times(
    _vmctx: *mut VMContext,
    fd: u32,
    _flags: u32,
    _path: u32,
    _path_len: u32,
    _atim: u64,
    _mtim: u64,
    _fst_flags: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kiln_wasi_path_link(
    _vmctx: *mut VMContext,
    old_fd: u32,
    _old_flags: u32,
    _old_path: u32,
    _old_path_len: u32,
    new_fd: u32,
    _new_path: u32,
    _new_path_len: u32,
) -> i32 {
    ret(directories(old_fd, new_fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kiln_wasi_path_open(
    _vmctx: *mut VMContext,
    fd: u32,
    _dirflags: u32,
    _path: u32,
    _path_len: u32,
    _oflags: u32,
    _rights_base: u64,
    _rights_inheriting: u64,
    _fdflags: u32,
    _opened_fd: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_readlink(
    _vmctx: *mut VMContext,
    fd: u32,
    _path: u32,
    _path_len: u32,
    _buf: u32,
    _buf_len: u32,
    _bufused: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_remove_directory(
    _vmctx: *mut VMContext,
    fd: u32,
    _path: u32,
    _path_len: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_rename(
    _vmctx: *mut VMContext,
    fd: u32,
    _old_path: u32,
    _old_path_len: u32,
    new_fd: u32,
    _new_path: u32,
    _new_path_len: u32,
) -> i32 {
    ret(directories(fd, new_fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_symlink(
    _vmctx: *mut VMContext,
    _old_path: u32,
    _old_path_len: u32,
    fd: u32,
    _new_path: u32,
    _new_path_len: u32,
) -> i32 {
    ret(directory(fd))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_path_unlink_file(
    _vmctx: *mut VMContext,
    fd: u32,
    _path: u32,
    _path_len: u32,
) -> i32 {
    ret(directory(fd))
}
