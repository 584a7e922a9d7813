//! What directories share on every host: preopen names (`fd_prestat_*`),
//! `fd_readdir` (served from a listing the host's file-system module reads), and the
//! checks of `path_open`'s arguments.

use super::host_fs::listing;
use super::state::{directory, with_state, FdEntry};
use super::types::{
    errno, fdflags, oflags, rights, Errno, DIRENT_SIZE, LOOKUP_SYMLINK_FOLLOW, PREOPENTYPE_DIR,
    PRESTAT_SIZE,
};
use super::{ret, GuestMemory};
use crate::prelude::*;
use kiln_abi::VMContext;

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

/// `symlink_follow` from a `lookupflags` value; other bits are `EINVAL`.
pub(crate) fn follow(lookupflags: u32) -> Result<bool, Errno> {
    match lookupflags {
        0 => Ok(false),
        LOOKUP_SYMLINK_FOLLOW => Ok(true),
        _ => Err(errno::INVAL),
    }
}

/// `path_open`'s arguments, checked against the directory (see [`open_rights`]).
pub(crate) struct OpenRights {
    pub follow: bool,
    pub oflags: u16,
    pub fdflags: u16,
    /// The host file must be opened for reading, for writing (or both).
    pub read: bool,
    pub write: bool,
    /// Rights of the new descriptor before they are cut to its type.
    pub base: u64,
    pub inheriting: u64,
}

/// Looks up `path_open`'s directory `fd` with the rights the open needs, checks the
/// other arguments against it and computes the new
/// descriptor's rights: the requested ones that `dir` may pass on (others are silently
/// dropped, as the spec allows), except that asking to read or write where the directory
/// cannot pass that on is `ENOTCAPABLE` rather than a descriptor that fails later.
pub(crate) fn open_rights(
    fd: u32,
    dirflags: u32,
    oflags_bits: u32,
    base: u64,
    inheriting: u64,
    fdflags_bits: u32,
) -> Result<(FdEntry, OpenRights), Errno> {
    // The directory first: a closed or unfit descriptor is reported before bad flags.
    let mut required = rights::PATH_OPEN;
    if oflags_bits as u16 & oflags::CREAT != 0 {
        required |= rights::PATH_CREATE_FILE;
    }
    if oflags_bits as u16 & oflags::TRUNC != 0 {
        required |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let dir = directory(fd, required)?;
    let follow = follow(dirflags)?;
    let of = u16::try_from(oflags_bits).map_err(|_| errno::INVAL)?;
    let known = oflags::CREAT | oflags::DIRECTORY | oflags::EXCL | oflags::TRUNC;
    if of & !known != 0 {
        return Err(errno::INVAL);
    }
    if of & oflags::DIRECTORY != 0 && of & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0 {
        return Err(errno::INVAL);
    }
    let ff = u16::try_from(fdflags_bits).map_err(|_| errno::INVAL)?;
    if ff & !fdflags::ALL != 0 {
        return Err(errno::INVAL);
    }
    let access = rights::FD_READ | rights::FD_WRITE;
    if base & access & !dir.rights_inheriting != 0 {
        return Err(errno::NOTCAPABLE);
    }
    if dir.read_only && base & rights::FD_WRITE != 0 {
        return Err(errno::NOTCAPABLE);
    }
    let mut base = base & dir.rights_inheriting;
    let mut inheriting = inheriting & dir.rights_inheriting;
    if dir.read_only {
        base &= !rights::MUTATING;
        inheriting &= rights::READ_ONLY_INHERITING;
    }
    // Host access: writing if asked for a right that needs a writable file (on a
    // directory only FD_WRITE counts: the others do not apply to it).
    let write_rights = if of & oflags::DIRECTORY != 0 {
        rights::FD_WRITE
    } else {
        rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE
    };
    let write = base & write_rights != 0;
    let read = base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;
    let rights = OpenRights {
        follow,
        oflags: of,
        fdflags: ff,
        read,
        write,
        base,
        inheriting,
    };
    Ok((dir, rights))
}
