//! WASI preview1 constants and struct layouts (from `wasi_snapshot_preview1.witx`).

/// A WASI error code (`errno`, u16).
pub type Errno = u16;

pub mod errno {
    use super::Errno;
    pub const SUCCESS: Errno = 0;
    pub const TOOBIG: Errno = 1;
    pub const ACCES: Errno = 2;
    pub const ADDRINUSE: Errno = 3;
    pub const ADDRNOTAVAIL: Errno = 4;
    pub const AFNOSUPPORT: Errno = 5;
    pub const AGAIN: Errno = 6;
    pub const ALREADY: Errno = 7;
    pub const BADF: Errno = 8;
    pub const BADMSG: Errno = 9;
    pub const BUSY: Errno = 10;
    pub const CANCELED: Errno = 11;
    pub const CHILD: Errno = 12;
    pub const CONNABORTED: Errno = 13;
    pub const CONNREFUSED: Errno = 14;
    pub const CONNRESET: Errno = 15;
    pub const DEADLK: Errno = 16;
    pub const DESTADDRREQ: Errno = 17;
    pub const DOM: Errno = 18;
    pub const DQUOT: Errno = 19;
    pub const EXIST: Errno = 20;
    pub const FAULT: Errno = 21;
    pub const FBIG: Errno = 22;
    pub const HOSTUNREACH: Errno = 23;
    pub const IDRM: Errno = 24;
    pub const ILSEQ: Errno = 25;
    pub const INPROGRESS: Errno = 26;
    pub const INTR: Errno = 27;
    pub const INVAL: Errno = 28;
    pub const IO: Errno = 29;
    pub const ISCONN: Errno = 30;
    pub const ISDIR: Errno = 31;
    pub const LOOP: Errno = 32;
    pub const MFILE: Errno = 33;
    pub const MLINK: Errno = 34;
    pub const MSGSIZE: Errno = 35;
    pub const MULTIHOP: Errno = 36;
    pub const NAMETOOLONG: Errno = 37;
    pub const NETDOWN: Errno = 38;
    pub const NETRESET: Errno = 39;
    pub const NETUNREACH: Errno = 40;
    pub const NFILE: Errno = 41;
    pub const NOBUFS: Errno = 42;
    pub const NODEV: Errno = 43;
    pub const NOENT: Errno = 44;
    pub const NOEXEC: Errno = 45;
    pub const NOLCK: Errno = 46;
    pub const NOLINK: Errno = 47;
    pub const NOMEM: Errno = 48;
    pub const NOMSG: Errno = 49;
    pub const NOPROTOOPT: Errno = 50;
    pub const NOSPC: Errno = 51;
    pub const NOSYS: Errno = 52;
    pub const NOTCONN: Errno = 53;
    pub const NOTDIR: Errno = 54;
    pub const NOTEMPTY: Errno = 55;
    pub const NOTRECOVERABLE: Errno = 56;
    pub const NOTSOCK: Errno = 57;
    pub const NOTSUP: Errno = 58;
    pub const NOTTY: Errno = 59;
    pub const NXIO: Errno = 60;
    pub const OVERFLOW: Errno = 61;
    pub const OWNERDEAD: Errno = 62;
    pub const PERM: Errno = 63;
    pub const PIPE: Errno = 64;
    pub const PROTO: Errno = 65;
    pub const PROTONOSUPPORT: Errno = 66;
    pub const PROTOTYPE: Errno = 67;
    pub const RANGE: Errno = 68;
    pub const ROFS: Errno = 69;
    pub const SPIPE: Errno = 70;
    pub const SRCH: Errno = 71;
    pub const STALE: Errno = 72;
    pub const TIMEDOUT: Errno = 73;
    pub const TXTBSY: Errno = 74;
    pub const XDEV: Errno = 75;
    pub const NOTCAPABLE: Errno = 76;
}

/// Longest path (and symlink target) accepted, with room for the NUL: Linux's `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

/// `rights` bits.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;

    /// Every right a regular file (or stdin/stdout/stderr) can have. For stdio the host
    /// decides the rest (e.g. writing to a read-only stdin fails with the host's EBADF).
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;

    /// What stdin, stdout and stderr may do.
    pub const STDIO: u64 = FILE;

    /// Every right a directory can have (the base rights of a read-write preopen): the
    /// `path_*` operations, listing, attributes and syncing, but not reading, writing or
    /// seeking (those make no sense on a directory: a directory opened with them loses
    /// them, as in wasmtime).
    pub const DIRECTORY: u64 = FD_DATASYNC
        | FD_SYNC
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;

    /// The inheriting rights of a read-write preopen: what anything opened beneath it
    /// may have.
    pub const DIRECTORY_INHERITING: u64 = DIRECTORY | FILE;

    /// Every right that changes the file system (contents, names, attributes) or forces
    /// data to disk. Nothing reached through a read-only grant ever has one of these.
    pub const MUTATING: u64 = FD_DATASYNC
        | FD_SYNC
        | FD_WRITE
        | FD_ALLOCATE
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;

    /// The inheriting rights of a read-only preopen: nothing in [`MUTATING`] but
    /// `FD_WRITE`, which stays so that libc (wasi-libc masks what it asks for with these)
    /// still asks for it when a program opens a file for writing — and `path_open`
    /// refuses that at once with `ENOTCAPABLE` instead of handing out a descriptor whose
    /// first write fails. (Everything reached through a read-only grant is marked
    /// read-only and never gets a mutating right, `FD_WRITE` included.)
    pub const READ_ONLY_INHERITING: u64 = (DIRECTORY_INHERITING & !MUTATING) | FD_WRITE;
}

/// `oflags` bits of `path_open`.
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
}

/// `lookupflags`.
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `preopentype` of a directory.
pub const PREOPENTYPE_DIR: u8 = 0;

pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags` bits.
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    /// Every flag preview1 defines.
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `fstflags` bits.
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

pub mod whence {
    pub const SET: u8 = 0;
    pub const CUR: u8 = 1;
    pub const END: u8 = 2;
}

pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

pub mod advice {
    pub const NORMAL: u8 = 0;
    pub const SEQUENTIAL: u8 = 1;
    pub const RANDOM: u8 = 2;
    pub const WILLNEED: u8 = 3;
    pub const DONTNEED: u8 = 4;
    pub const NOREUSE: u8 = 5;
}

pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags`.
pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;
/// `eventrwflags`.
pub const EVENT_FD_READWRITE_HANGUP: u16 = 1;

/// `iovec`/`ciovec`: `{ buf: u32, buf_len: u32 }`.
pub const IOVEC_SIZE: u64 = 8;
/// `fdstat`: filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16.
pub const FDSTAT_SIZE: usize = 24;
/// `prestat`: tag u8 @0, then for a directory `pr_name_len` u32 @4.
pub const PRESTAT_SIZE: u64 = 8;
/// `dirent`: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20; the name
/// follows the 24-byte header.
pub const DIRENT_SIZE: usize = 24;
/// `filestat`: dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48,
/// ctim @56 (all u64 but filetype).
pub const FILESTAT_SIZE: usize = 64;
/// `subscription`: userdata u64 @0, tag u8 @8, then at @16 either
/// clock `{ id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40 }` or
/// fd_readwrite `{ fd u32 @16 }`.
pub const SUBSCRIPTION_SIZE: u64 = 48;
/// `event`: userdata u64 @0, error u16 @8, type u8 @10,
/// fd_readwrite `{ nbytes u64 @16, flags u16 @24 }`.
pub const EVENT_SIZE: u64 = 32;
