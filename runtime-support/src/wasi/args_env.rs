//! `args_*` and `environ_*`: NUL-terminated strings in a buffer plus an array of pointers
//! into it.

use super::state::with_state;
use super::types::Errno;
use super::{ret, GuestMemory};
use crate::prelude::*;
use crate::sys;
use kiln_abi::manifest::Grant;
use kiln_abi::VMContext;

/// Writes the count and the total size (each string + NUL).
fn sizes_get(
    mem: &GuestMemory,
    list: &[Vec<u8>],
    count_ptr: u32,
    size_ptr: u32,
) -> Result<(), Errno> {
    mem.ptr(count_ptr.into(), 4)?;
    mem.ptr(size_ptr.into(), 4)?;
    let size: usize = list.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count_ptr.into(), list.len() as u32)?;
    mem.write_u32(size_ptr.into(), size as u32)
}

/// Writes the strings to `buf` and their guest addresses to `ptrs`, both checked first.
fn strings_get(mem: &GuestMemory, list: &[Vec<u8>], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let size: u64 = list.iter().map(|s| s.len() as u64 + 1).sum();
    mem.ptr(ptrs.into(), list.len() as u64 * 4)?;
    mem.ptr(buf.into(), size)?;
    let mut at = u64::from(buf);
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(u64::from(ptrs) + i as u64 * 4, at as u32)?;
        mem.write(at, s)?;
        mem.write(at + s.len() as u64, &[0])?;
        at += s.len() as u64 + 1;
    }
    Ok(())
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_args_sizes_get(
    vmctx: *mut VMContext,
    argc: u32,
    argv_buf_size: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| with_state(|s| sizes_get(&m, &s.args, argc, argv_buf_size))))
}

/// # Safety
/// As for [`kiln_wasi_args_sizes_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_args_get(
    vmctx: *mut VMContext,
    argv: u32,
    argv_buf: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| with_state(|s| strings_get(&m, &s.args, argv, argv_buf))))
}

/// # Safety
/// As for [`kiln_wasi_args_sizes_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_environ_sizes_get(
    vmctx: *mut VMContext,
    count: u32,
    buf_size: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| with_state(|s| sizes_get(&m, &s.env, count, buf_size))))
}

/// # Safety
/// As for [`kiln_wasi_args_sizes_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_environ_get(
    vmctx: *mut VMContext,
    environ: u32,
    environ_buf: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| with_state(|s| strings_get(&m, &s.env, environ, environ_buf))))
}

/// The environment the grants give the guest: the host's whole environment if
/// `InheritEnv` is granted (`KEY=VALUE` entries only), then every `Env` grant, which
/// overrides an inherited variable of the same name (of two `Env` grants of one name the
/// last wins).
pub(crate) fn granted_env(grants: &[Grant]) -> Vec<Vec<u8>> {
    let mut env: Vec<Vec<u8>> = Vec::new();
    if grants.iter().any(|g| matches!(g, Grant::InheritEnv)) {
        env = sys::environment();
        env.retain(|kv| kv.iter().skip(1).any(|&b| b == b'='));
    }
    for grant in grants {
        if let Grant::Env { key, value } = grant {
            let prefix = [key.as_bytes(), b"="].concat();
            env.retain(|kv| !kv.starts_with(&prefix));
            env.push([prefix.as_slice(), value.as_bytes()].concat());
        }
    }
    env
}
