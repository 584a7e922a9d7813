//! `sock_*`: no sockets are granted, so every open fd is "not a socket".

use super::ret;
use super::state;
use super::types::{errno, Errno};
use kiln_abi::VMContext;

fn not_a_socket(fd: u32) -> Result<(), Errno> {
    state::fd(fd, 0)?;
    Err(errno::NOTSOCK)
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_sock_accept(
    _vmctx: *mut VMContext,
    fd: u32,
    _flags: u32,
    _result_fd: u32,
) -> i32 {
    ret(not_a_socket(fd))
}

/// # Safety
/// As for [`kiln_wasi_sock_accept`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_sock_recv(
    _vmctx: *mut VMContext,
    fd: u32,
    _ri_data: u32,
    _ri_data_len: u32,
    _ri_flags: u32,
    _ro_datalen: u32,
    _ro_flags: u32,
) -> i32 {
    ret(not_a_socket(fd))
}

/// # Safety
/// As for [`kiln_wasi_sock_accept`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_sock_send(
    _vmctx: *mut VMContext,
    fd: u32,
    _si_data: u32,
    _si_data_len: u32,
    _si_flags: u32,
    _so_datalen: u32,
) -> i32 {
    ret(not_a_socket(fd))
}

/// # Safety
/// As for [`kiln_wasi_sock_accept`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_sock_shutdown(
    _vmctx: *mut VMContext,
    fd: u32,
    _how: u32,
) -> i32 {
    ret(not_a_socket(fd))
}
