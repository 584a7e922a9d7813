//! Host system calls as WASI results: errno translation, EINTR retries, file types.

use super::types::{errno, filetype, Errno, FILESTAT_SIZE};
use crate::sys::OsError;
use core::ffi::c_int;

/// Translates a host `errno` value.
pub(crate) fn from_host(code: c_int) -> Errno {
    use errno::*;
    match code {
        libc::E2BIG => TOOBIG,
        libc::EACCES => ACCES,
        libc::EADDRINUSE => ADDRINUSE,
        libc::EADDRNOTAVAIL => ADDRNOTAVAIL,
        libc::EAFNOSUPPORT => AFNOSUPPORT,
        libc::EAGAIN => AGAIN,
        libc::EALREADY => ALREADY,
        libc::EBADF => BADF,
        libc::EBADMSG => BADMSG,
        libc::EBUSY => BUSY,
        libc::ECANCELED => CANCELED,
        libc::ECHILD => CHILD,
        libc::ECONNABORTED => CONNABORTED,
        libc::ECONNREFUSED => CONNREFUSED,
        libc::ECONNRESET => CONNRESET,
        libc::EDEADLK => DEADLK,
        libc::EDESTADDRREQ => DESTADDRREQ,
        libc::EDOM => DOM,
        libc::EDQUOT => DQUOT,
        libc::EEXIST => EXIST,
        libc::EFAULT => FAULT,
        libc::EFBIG => FBIG,
        libc::EHOSTUNREACH => HOSTUNREACH,
        libc::EIDRM => IDRM,
        libc::EILSEQ => ILSEQ,
        libc::EINPROGRESS => INPROGRESS,
        libc::EINTR => INTR,
        libc::EINVAL => INVAL,
        libc::EIO => IO,
        libc::EISCONN => ISCONN,
        libc::EISDIR => ISDIR,
        libc::ELOOP => LOOP,
        libc::EMFILE => MFILE,
        libc::EMLINK => MLINK,
        libc::EMSGSIZE => MSGSIZE,
        libc::EMULTIHOP => MULTIHOP,
        libc::ENAMETOOLONG => NAMETOOLONG,
        libc::ENETDOWN => NETDOWN,
        libc::ENETRESET => NETRESET,
        libc::ENETUNREACH => NETUNREACH,
        libc::ENFILE => NFILE,
        libc::ENOBUFS => NOBUFS,
        libc::ENODEV => NODEV,
        libc::ENOENT => NOENT,
        libc::ENOEXEC => NOEXEC,
        libc::ENOLCK => NOLCK,
        libc::ENOLINK => NOLINK,
        libc::ENOMEM => NOMEM,
        libc::ENOMSG => NOMSG,
        libc::ENOPROTOOPT => NOPROTOOPT,
        libc::ENOSPC => NOSPC,
        libc::ENOSYS => NOSYS,
        libc::ENOTCONN => NOTCONN,
        libc::ENOTDIR => NOTDIR,
        libc::ENOTEMPTY => NOTEMPTY,
        libc::ENOTRECOVERABLE => NOTRECOVERABLE,
        libc::ENOTSOCK => NOTSOCK,
        libc::ENOTSUP => NOTSUP,
        libc::ENOTTY => NOTTY,
        libc::ENXIO => NXIO,
        libc::EOVERFLOW => OVERFLOW,
        libc::EOWNERDEAD => OWNERDEAD,
        libc::EPERM => PERM,
        libc::EPIPE => PIPE,
        libc::EPROTO => PROTO,
        libc::EPROTONOSUPPORT => PROTONOSUPPORT,
        libc::EPROTOTYPE => PROTOTYPE,
        libc::ERANGE => RANGE,
        libc::EROFS => ROFS,
        libc::ESPIPE => SPIPE,
        libc::ESRCH => SRCH,
        libc::ESTALE => STALE,
        libc::ETIMEDOUT => TIMEDOUT,
        libc::ETXTBSY => TXTBSY,
        libc::EXDEV => XDEV,
        _ => IO,
    }
}

fn last_os_errno() -> c_int {
    OsError::last().0
}

/// Runs a call that returns -1 and sets `errno` on failure, retrying when a signal
/// interrupted it before it did anything.
pub(crate) fn syscall(mut call: impl FnMut() -> i64) -> Result<i64, Errno> {
    loop {
        let r = call();
        if r != -1 {
            return Ok(r);
        }
        match last_os_errno() {
            libc::EINTR => continue,
            e => return Err(from_host(e)),
        }
    }
}

/// For calls that return an error number instead of setting `errno` (posix_fadvise...).
pub(crate) fn check_code(code: c_int) -> Result<(), Errno> {
    if code == 0 {
        Ok(())
    } else {
        Err(from_host(code))
    }
}

pub(crate) fn fstat(host: c_int) -> Result<libc::stat, Errno> {
    // SAFETY: `st` is plain data filled in by fstat.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: `st` is a valid out-pointer.
    syscall(|| unsafe { libc::fstat(host, &mut st) } as i64)?;
    Ok(st)
}

/// The WASI file type of a host `st_mode`, as wasmtime reports it (a FIFO is `unknown`,
/// a socket a stream socket).
pub(crate) fn filetype(mode: libc::mode_t) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFCHR => filetype::CHARACTER_DEVICE,
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        libc::S_IFSOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// A `timespec` as nanoseconds (0 for times before 1970).
pub(crate) fn nanos(sec: i64, nsec: i64) -> u64 {
    u64::try_from(sec)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(nsec).unwrap_or(0))
}

/// A WASI `filestat` of a host `stat`.
pub(crate) fn filestat(st: &libc::stat) -> [u8; FILESTAT_SIZE] {
    let mut out = [0u8; FILESTAT_SIZE];
    out[0..8].copy_from_slice(&st.st_dev.to_le_bytes());
    out[8..16].copy_from_slice(&st.st_ino.to_le_bytes());
    out[16] = filetype(st.st_mode);
    // nlink_t is u64 on x86_64 Linux but u32 on aarch64.
    #[allow(clippy::unnecessary_cast)]
    let nlink = st.st_nlink as u64;
    out[24..32].copy_from_slice(&nlink.to_le_bytes());
    out[32..40].copy_from_slice(&(st.st_size as u64).to_le_bytes());
    out[40..48].copy_from_slice(&nanos(st.st_atime, st.st_atime_nsec).to_le_bytes());
    out[48..56].copy_from_slice(&nanos(st.st_mtime, st.st_mtime_nsec).to_le_bytes());
    out[56..64].copy_from_slice(&nanos(st.st_ctime, st.st_ctime_nsec).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_numbers_are_preview1s() {
        assert_eq!(from_host(libc::EBADF), 8);
        assert_eq!(from_host(libc::EFAULT), 21);
        assert_eq!(from_host(libc::EINVAL), 28);
        assert_eq!(from_host(libc::ENOSYS), 52);
        assert_eq!(from_host(libc::ENOTDIR), 54);
        assert_eq!(from_host(libc::ENOTSOCK), 57);
        assert_eq!(from_host(libc::ESPIPE), 70);
        assert_eq!(from_host(libc::EPIPE), 64);
        assert_eq!(from_host(libc::EWOULDBLOCK), errno::AGAIN);
        assert_eq!(from_host(-5), errno::IO);
    }

    #[test]
    fn nanos_saturate() {
        assert_eq!(nanos(2, 5), 2_000_000_005);
        assert_eq!(nanos(-1, 5), 5);
        assert_eq!(nanos(i64::MAX, 0), u64::MAX);
    }
}
