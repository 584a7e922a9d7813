//! What directories share on every host: preopen names (`fd_prestat_*`) and
//! `fd_readdir`, served from a listing the host's file-system module reads.

#[cfg(unix)]
use super::path::listing;
use super::state::{directory, with_state};
use super::types::{errno, rights, Errno, DIRENT_SIZE, PREOPENTYPE_DIR, PRESTAT_SIZE};
#[cfg(windows)]
use super::windows_fs::listing;
use super::{ret, GuestMemory};
use crate::abi::VMContext;
use crate::prelude::*;

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    /// A WASI `filetype`.
    pub filetype: u8,
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_prestat_get(vmctx: *mut VMContext, fd: u32, buf: u32) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        // A guest enumerates preopens from fd 3 until EBADF.
        let len = with_state(|s| s.fds.preopen(fd)?.map(<[u8]>::len).ok_or(errno::BADF))?;
        m.ptr(buf.into(), PRESTAT_SIZE)?;
        let mut out = [0u8; PRESTAT_SIZE as usize];
        out[0] = PREOPENTYPE_DIR;
        out[4..8].copy_from_slice(&(len as u32).to_le_bytes());
        m.write(buf.into(), &out)
    }))
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_prestat_dir_name(
    vmctx: *mut VMContext,
    fd: u32,
    path: u32,
    path_len: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let name = with_state(|s| s.fds.preopen(fd)?.map(<[u8]>::to_vec).ok_or(errno::NOTDIR))?;
        if name.len() > path_len as usize {
            return Err(errno::NAMETOOLONG);
        }
        m.write(path.into(), &name)
    }))
}

/// Serializes `entries` from index `cookie` on into at most `buf_len` bytes, as wasmtime:
/// a 24-byte `dirent` then the name, the last one cut at the end of the buffer (a full
/// buffer tells the guest to call again from the last complete entry's `d_next`).
fn serialize(entries: &[DirEntry], cookie: u64, buf_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(buf_len.min(64 << 10));
    let skip = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, e) in entries.iter().enumerate().skip(skip) {
        let mut head = [0u8; DIRENT_SIZE];
        head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        head[8..16].copy_from_slice(&e.ino.to_le_bytes());
        head[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        head[20] = e.filetype;
        for part in [&head[..], &e.name] {
            let room = buf_len - out.len();
            out.extend_from_slice(&part[..part.len().min(room)]);
        }
        if out.len() == buf_len {
            break;
        }
    }
    out
}

/// # Safety
/// As for [`kiln_wasi_fd_prestat_get`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_readdir(
    vmctx: *mut VMContext,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| {
        let dir = directory(fd, rights::FD_READDIR)?;
        m.ptr(buf.into(), buf_len.into())?;
        m.ptr(bufused.into(), 4)?;
        // A listing is read at cookie 0 and served from memory for the cookies after it,
        // so one pass through a directory sees one consistent list.
        let cached = with_state(|s| -> Result<_, Errno> {
            let slot = s.fds.listing(fd)?;
            if cookie == 0 {
                *slot = None;
            }
            Ok(slot
                .as_ref()
                .map(|l| serialize(l, cookie, buf_len as usize)))
        })?;
        let bytes = match cached {
            Some(bytes) => bytes,
            None => {
                let entries = listing(&dir)?;
                let bytes = serialize(&entries, cookie, buf_len as usize);
                with_state(|s| s.fds.listing(fd).map(|slot| *slot = Some(entries)))?;
                bytes
            }
        };
        m.write(buf.into(), &bytes)?;
        m.write_u32(bufused.into(), bytes.len() as u32)
    }))
}
