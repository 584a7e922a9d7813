//! The file-system functions through their WASI entry points, with a read-write preopen
//! (fd 3, `/sandbox`) and a read-only one (fd 4, `/ro`) on a temporary tree: semantics,
//! errno values, rights, the read-only grant, escapes through every path function — and
//! nothing outside the preopens (nor inside the read-only one) ever changes.
//!
//! (Over 600 lines: one fixture tree and one list of cases per WASI function, kept
//! together so the errno expectations can be compared across functions.)

use super::*;
use crate::wasi::state;
use crate::wasi::types::{filetype, oflags, DIRENT_SIZE, LOOKUP_SYMLINK_FOLLOW};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

const RW: u32 = 3;
const RO: u32 = 4;
const FOLLOW: u32 = LOOKUP_SYMLINK_FOLLOW;
const PERM: i32 = errno::PERM as i32;
const NOTCAPABLE: i32 = errno::NOTCAPABLE as i32;
const NOENT: i32 = errno::NOENT as i32;
const EXIST: i32 = errno::EXIST as i32;
const ISDIR: i32 = errno::ISDIR as i32;
const LOOP: i32 = errno::LOOP as i32;

/// Where results are written in guest memory.
const OUT: u32 = 1024;
/// Strings passed to the functions are bump-allocated from here.
const STRINGS: u32 = 32768;

const FILE_RIGHTS: u64 = rights::FD_READ
    | rights::FD_WRITE
    | rights::FD_SEEK
    | rights::FD_TELL
    | rights::FD_FILESTAT_GET
    | rights::FD_FILESTAT_SET_SIZE
    | rights::FD_FILESTAT_SET_TIMES
    | rights::FD_ALLOCATE
    | rights::FD_ADVISE
    | rights::FD_SYNC
    | rights::FD_DATASYNC
    | rights::FD_FDSTAT_SET_FLAGS
    | rights::POLL_FD_READWRITE;

type Snapshot = BTreeMap<PathBuf, (String, i64, u64)>;
/// (d_next, d_ino, d_type, name) of each entry `fd_readdir` wrote, and bufused.
type Listing = (Vec<(u64, u64, u8, String)>, u32);

struct Fs {
    g: Guest,
    tmp: TempDir,
    next: Cell<u32>,
}

impl Fs {
    /// ```text
    /// outside/secret.txt, outside/dir/x.txt
    /// sandbox/inside.txt, sandbox/sub/inner.txt, sandbox/up_secret -> ../outside/secret.txt,
    ///     sandbox/up -> ..                         (preopened read-write as /sandbox, fd 3)
    /// ro/file.txt, ro/dir/x.txt, ro/empty/          (preopened read-only as /ro, fd 4)
    /// ```
    fn new() -> Fs {
        let g = Guest::new();
        let tmp = TempDir::new("wasi-fs");
        let p = tmp.path();
        fs::create_dir_all(p.join("outside/dir")).unwrap();
        fs::write(p.join("outside/secret.txt"), "outside secret\n").unwrap();
        fs::write(p.join("outside/dir/x.txt"), "x\n").unwrap();
        fs::create_dir_all(p.join("sandbox/sub")).unwrap();
        fs::write(p.join("sandbox/inside.txt"), "inside\n").unwrap();
        fs::write(p.join("sandbox/sub/inner.txt"), "inner\n").unwrap();
        symlink("../outside/secret.txt", p.join("sandbox/up_secret")).unwrap();
        symlink("..", p.join("sandbox/up")).unwrap();
        fs::create_dir_all(p.join("ro/dir")).unwrap();
        fs::create_dir_all(p.join("ro/empty")).unwrap();
        fs::write(p.join("ro/file.txt"), "read only\n").unwrap();
        fs::write(p.join("ro/dir/x.txt"), "x\n").unwrap();
        let open = |d: &str| crate::testutil::granted_dir(&p.join(d)).unwrap();
        assert_eq!(
            state::add_preopen(open("sandbox"), b"/sandbox".to_vec(), false),
            RW
        );
        assert_eq!(state::add_preopen(open("ro"), b"/ro".to_vec(), true), RO);
        Fs {
            g,
            tmp,
            next: Cell::new(STRINGS),
        }
    }

    fn host(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// `(ptr, len)` of `text` in guest memory.
    fn s(&self, text: &str) -> (u32, u32) {
        let mut at = self.next.get();
        if at as usize + text.len() > END as usize {
            at = STRINGS;
        }
        self.g.write(at, text.as_bytes());
        self.next.set(at + text.len() as u32);
        (at, text.len() as u32)
    }

    fn vm(&self) -> *mut VMContext {
        self.g.vmctx
    }

    #[allow(clippy::too_many_arguments)]
    fn open_full(
        &self,
        dir: u32,
        lookup: u32,
        path: &str,
        oflags: u16,
        base: u64,
        inheriting: u64,
        fdflags: u16,
    ) -> Result<u32, i32> {
        let (p, l) = self.s(path);
        // SAFETY: a valid context; every pointer is inside its memory.
        let r = unsafe {
            kiln_wasi_path_open(
                self.vm(),
                dir,
                lookup,
                p,
                l,
                oflags.into(),
                base,
                inheriting,
                fdflags.into(),
                OUT,
            )
        };
        if r == SUCCESS {
            Ok(self.g.u32(OUT))
        } else {
            Err(r)
        }
    }

    fn open(&self, dir: u32, path: &str, oflags: u16, base: u64) -> Result<u32, i32> {
        self.open_full(dir, FOLLOW, path, oflags, base, 0, 0)
    }

    fn write(&self, fd: u32, data: &str) -> Result<u32, i32> {
        let (p, l) = self.s(data);
        self.g.iovec(OUT, p, l);
        // SAFETY: as above.
        match unsafe { kiln_wasi_fd_write(self.vm(), fd, OUT, 1, OUT + 8) } {
            SUCCESS => Ok(self.g.u32(OUT + 8)),
            e => Err(e),
        }
    }

    fn read(&self, fd: u32, max: u32) -> Result<String, i32> {
        self.g.iovec(OUT, 4096, max);
        // SAFETY: as above.
        match unsafe { kiln_wasi_fd_read(self.vm(), fd, OUT, 1, OUT + 8) } {
            SUCCESS => {
                Ok(String::from_utf8(self.g.read(4096, self.g.u32(OUT + 8) as usize)).unwrap())
            }
            e => Err(e),
        }
    }

    fn close(&self, fd: u32) -> i32 {
        // SAFETY: as above.
        unsafe { kiln_wasi_fd_close(self.vm(), fd) }
    }

    /// (filetype, flags, base, inheriting)
    fn fdstat(&self, fd: u32) -> (u8, u16, u64, u64) {
        // SAFETY: as above.
        let r = unsafe { kiln_wasi_fd_fdstat_get(self.vm(), fd, OUT) };
        assert_eq!(r, SUCCESS);
        let b = self.g.read(OUT, 24);
        (
            b[0],
            u16::from_le_bytes([b[2], b[3]]),
            self.g.u64(OUT + 8),
            self.g.u64(OUT + 16),
        )
    }

    /// (ino, filetype, nlink, size, mtim) of `path_filestat_get`.
    fn stat(&self, dir: u32, lookup: u32, path: &str) -> Result<(u64, u8, u64, u64, u64), i32> {
        let (p, l) = self.s(path);
        // SAFETY: as above.
        match unsafe { kiln_wasi_path_filestat_get(self.vm(), dir, lookup, p, l, OUT) } {
            SUCCESS => Ok(self.filestat_at(OUT)),
            e => Err(e),
        }
    }

    fn fd_stat(&self, fd: u32) -> Result<(u64, u8, u64, u64, u64), i32> {
        // SAFETY: as above.
        match unsafe { kiln_wasi_fd_filestat_get(self.vm(), fd, OUT) } {
            SUCCESS => Ok(self.filestat_at(OUT)),
            e => Err(e),
        }
    }

    fn filestat_at(&self, at: u32) -> (u64, u8, u64, u64, u64) {
        (
            self.g.u64(at + 8),
            self.g.read(at + 16, 1)[0],
            self.g.u64(at + 24),
            self.g.u64(at + 32),
            self.g.u64(at + 48),
        )
    }

    fn mkdir(&self, dir: u32, path: &str) -> i32 {
        let (p, l) = self.s(path);
        // SAFETY: as above.
        unsafe { kiln_wasi_path_create_directory(self.vm(), dir, p, l) }
    }

    fn rmdir(&self, dir: u32, path: &str) -> i32 {
        let (p, l) = self.s(path);
        // SAFETY: as above.
        unsafe { kiln_wasi_path_remove_directory(self.vm(), dir, p, l) }
    }

    fn unlink(&self, dir: u32, path: &str) -> i32 {
        let (p, l) = self.s(path);
        // SAFETY: as above.
        unsafe { kiln_wasi_path_unlink_file(self.vm(), dir, p, l) }
    }

    fn rename(&self, dir: u32, old: &str, new_dir: u32, new: &str) -> i32 {
        let ((op, ol), (np, nl)) = (self.s(old), self.s(new));
        // SAFETY: as above.
        unsafe { kiln_wasi_path_rename(self.vm(), dir, op, ol, new_dir, np, nl) }
    }

    fn link(&self, dir: u32, lookup: u32, old: &str, new_dir: u32, new: &str) -> i32 {
        let ((op, ol), (np, nl)) = (self.s(old), self.s(new));
        // SAFETY: as above.
        unsafe { kiln_wasi_path_link(self.vm(), dir, lookup, op, ol, new_dir, np, nl) }
    }

    fn symlink(&self, target: &str, dir: u32, new: &str) -> i32 {
        let ((tp, tl), (np, nl)) = (self.s(target), self.s(new));
        // SAFETY: as above.
        unsafe { kiln_wasi_path_symlink(self.vm(), tp, tl, dir, np, nl) }
    }

    fn readlink(&self, dir: u32, path: &str, buf_len: u32) -> Result<String, i32> {
        let (p, l) = self.s(path);
        // SAFETY: as above.
        match unsafe { kiln_wasi_path_readlink(self.vm(), dir, p, l, 4096, buf_len, OUT) } {
            SUCCESS => Ok(String::from_utf8(self.g.read(4096, self.g.u32(OUT) as usize)).unwrap()),
            e => Err(e),
        }
    }

    fn set_times(&self, dir: u32, lookup: u32, path: &str, mtim: u64) -> i32 {
        let (p, l) = self.s(path);
        let flags = (fstflags::MTIM | fstflags::ATIM_NOW).into();
        // SAFETY: as above.
        unsafe { kiln_wasi_path_filestat_set_times(self.vm(), dir, lookup, p, l, 0, mtim, flags) }
    }

    /// Every entry `fd_readdir` gives from `cookie` with a buffer of `buf_len` bytes:
    /// (d_next, d_ino, d_type, name), plus bufused.
    fn readdir(&self, fd: u32, cookie: u64, buf_len: u32) -> Result<Listing, i32> {
        let buf = 8192;
        // SAFETY: as above.
        let r = unsafe { kiln_wasi_fd_readdir(self.vm(), fd, buf, buf_len, cookie, OUT) };
        if r != SUCCESS {
            return Err(r);
        }
        let used = self.g.u32(OUT);
        let bytes = self.g.read(buf, used as usize);
        let mut out = Vec::new();
        let mut at = 0;
        while at + DIRENT_SIZE <= bytes.len() {
            let next = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            let ino = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap());
            let len = u32::from_le_bytes(bytes[at + 16..at + 20].try_into().unwrap()) as usize;
            let kind = bytes[at + 20];
            if at + DIRENT_SIZE + len > bytes.len() {
                break;
            }
            let name = String::from_utf8(bytes[at + DIRENT_SIZE..at + DIRENT_SIZE + len].to_vec())
                .unwrap();
            out.push((next, ino, kind, name));
            at += DIRENT_SIZE + len;
        }
        Ok((out, used))
    }

    /// Every path under `rel` (not following links) with its contents, mode and mtime.
    fn snapshot(&self, rel: &str) -> Snapshot {
        fn walk(dir: &Path, out: &mut Snapshot) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let m = fs::symlink_metadata(&p).unwrap();
                let content = if m.is_dir() {
                    walk(&p, out);
                    "<dir>".into()
                } else if m.file_type().is_symlink() {
                    format!("-> {}", fs::read_link(&p).unwrap().display())
                } else {
                    fs::read_to_string(&p).unwrap()
                };
                out.insert(p, (content, m.mtime(), m.ino()));
            }
        }
        let mut out = Snapshot::new();
        walk(&self.host(rel), &mut out);
        out
    }
}

#[test]
fn preopens_are_described() {
    let f = Fs::new();
    let vm = f.vm();
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_prestat_get(vm, RW, OUT), SUCCESS);
        assert_eq!(f.g.read(OUT, 1)[0], 0, "a directory");
        assert_eq!(f.g.u32(OUT + 4), 8);
        assert_eq!(kiln_wasi_fd_prestat_dir_name(vm, RW, 2048, 8), SUCCESS);
        assert_eq!(f.g.read(2048, 8), b"/sandbox");
        assert_eq!(kiln_wasi_fd_prestat_dir_name(vm, RO, 2048, 100), SUCCESS);
        assert_eq!(f.g.read(2048, 3), b"/ro");
        assert_eq!(
            kiln_wasi_fd_prestat_dir_name(vm, RW, 2048, 7),
            errno::NAMETOOLONG as i32
        );
        assert_eq!(kiln_wasi_fd_prestat_dir_name(vm, RW, END - 4, 8), FAULT);
        assert_eq!(kiln_wasi_fd_prestat_get(vm, RW, END - 4), FAULT);
        assert_eq!(kiln_wasi_fd_prestat_get(vm, 5, OUT), BADF);
    }
    let (kind, flags, base, inheriting) = f.fdstat(RW);
    assert_eq!((kind, flags), (filetype::DIRECTORY, 0));
    assert_eq!(
        (base, inheriting),
        (rights::DIRECTORY, rights::DIRECTORY_INHERITING)
    );
    let (_, _, base, inheriting) = f.fdstat(RO);
    assert_eq!(base & rights::MUTATING, 0);
    // FD_WRITE stays inheritable only so that libc asks for it (and is refused).
    assert_eq!(inheriting & rights::MUTATING, rights::FD_WRITE);
    assert_ne!(base & rights::PATH_OPEN, 0);
    assert_ne!(inheriting & rights::FD_READ, 0);
    // A file opened through a preopen gets a new number; a directory is a directory.
    let fd = f
        .open(RW, "sub", oflags::DIRECTORY, rights::FD_READDIR)
        .unwrap();
    assert_eq!(fd, 5);
    // SAFETY: as above.
    let r = unsafe { kiln_wasi_fd_prestat_get(vm, fd, OUT) };
    assert_eq!(r, BADF, "not a preopen");
}

#[test]
fn files_round_trip() {
    let f = Fs::new();
    let vm = f.vm();
    let fd = f
        .open(RW, "new.txt", oflags::CREAT | oflags::EXCL, FILE_RIGHTS)
        .unwrap();
    assert_eq!(f.write(fd, "hello world"), Ok(11));
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_tell(vm, fd, OUT), SUCCESS);
        assert_eq!(f.g.u64(OUT), 11);
        assert_eq!(kiln_wasi_fd_seek(vm, fd, -5, 1, OUT), SUCCESS);
        assert_eq!(f.g.u64(OUT), 6);
        assert_eq!(kiln_wasi_fd_seek(vm, fd, -100, 1, OUT), INVAL);
        assert_eq!(kiln_wasi_fd_seek(vm, fd, 0, 0, OUT), SUCCESS);
    }
    assert_eq!(f.read(fd, 100), Ok("hello world".into()));
    // SAFETY: as above.
    unsafe {
        f.g.iovec(OUT, 4096, 5);
        assert_eq!(kiln_wasi_fd_pread(vm, fd, OUT, 1, 6, OUT + 8), SUCCESS);
        assert_eq!(f.g.read(4096, 5), b"world");
        f.g.write(4096, b"HELLO");
        assert_eq!(kiln_wasi_fd_pwrite(vm, fd, OUT, 1, 0, OUT + 8), SUCCESS);
        assert_eq!(
            fs::read_to_string(f.host("sandbox/new.txt")).unwrap(),
            "HELLO world"
        );
        assert_eq!(kiln_wasi_fd_filestat_set_size(vm, fd, 5), SUCCESS);
        assert_eq!(
            fs::read_to_string(f.host("sandbox/new.txt")).unwrap(),
            "HELLO"
        );
        assert_eq!(kiln_wasi_fd_allocate(vm, fd, 0, 100), SUCCESS);
        assert_eq!(kiln_wasi_fd_advise(vm, fd, 0, 10, 1), SUCCESS);
        assert_eq!(kiln_wasi_fd_sync(vm, fd), SUCCESS);
        assert_eq!(kiln_wasi_fd_datasync(vm, fd), SUCCESS);
        assert_eq!(
            kiln_wasi_fd_filestat_set_times(vm, fd, 0, 5_000_000_000, fstflags::MTIM.into()),
            SUCCESS
        );
    }
    let (ino, kind, nlink, size, mtim) = f.fd_stat(fd).unwrap();
    let meta = fs::metadata(f.host("sandbox/new.txt")).unwrap();
    assert_eq!(
        (ino, kind, nlink, size, mtim),
        (meta.ino(), filetype::REGULAR_FILE, 1, 100, 5_000_000_000)
    );
    // Flags: APPEND can be switched on and off.
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            kiln_wasi_fd_fdstat_set_flags(vm, fd, fdflags::APPEND.into()),
            SUCCESS
        );
        assert_eq!(f.fdstat(fd).1, fdflags::APPEND);
        assert_eq!(kiln_wasi_fd_seek(vm, fd, 0, 0, OUT), SUCCESS);
    }
    f.write(fd, "!").unwrap();
    assert_eq!(fs::metadata(f.host("sandbox/new.txt")).unwrap().len(), 101);
    let (kind, _, base, inheriting) = f.fdstat(fd);
    assert_eq!(
        (kind, base, inheriting),
        (filetype::REGULAR_FILE, FILE_RIGHTS, 0)
    );
    assert_eq!(f.close(fd), SUCCESS);
    assert_eq!(f.close(fd), BADF);
    assert_eq!(f.read(fd, 1), Err(BADF));
    // Opening with flags: EXCL, TRUNC, APPEND, SYNC.
    assert_eq!(
        f.open(RW, "new.txt", oflags::CREAT | oflags::EXCL, 0),
        Err(EXIST)
    );
    let fd = f
        .open(RW, "new.txt", oflags::TRUNC, rights::FD_WRITE)
        .unwrap();
    assert_eq!(fs::metadata(f.host("sandbox/new.txt")).unwrap().len(), 0);
    f.close(fd);
    let flags = fdflags::APPEND | fdflags::SYNC;
    let fd = f
        .open_full(RW, 0, "new.txt", 0, rights::FD_WRITE, 0, flags)
        .unwrap();
    assert_eq!(f.fdstat(fd).1, flags);
    f.write(fd, "a").unwrap();
    f.write(fd, "b").unwrap();
    assert_eq!(fs::read_to_string(f.host("sandbox/new.txt")).unwrap(), "ab");
    f.close(fd);
}

#[test]
fn open_flags_and_rights() {
    let f = Fs::new();
    let vm = f.vm();
    assert_eq!(
        f.open(RW, "sub", oflags::DIRECTORY | oflags::CREAT, 0),
        Err(INVAL)
    );
    assert_eq!(f.open(RW, "inside.txt", 1 << 4, 0), Err(INVAL));
    assert_eq!(
        f.open_full(RW, 2, "inside.txt", 0, 0, 0, 0),
        Err(INVAL),
        "lookupflags"
    );
    assert_eq!(
        f.open_full(RW, 0, "inside.txt", 0, 0, 0, 1 << 5),
        Err(INVAL),
        "fdflags"
    );
    assert_eq!(f.open(RW, "inside.txt", oflags::DIRECTORY, 0), Err(NOTDIR));
    assert_eq!(f.open(RW, "inside.txt/", 0, 0), Err(NOTDIR));
    assert_eq!(f.open(RW, "missing", 0, 0), Err(NOENT));
    assert_eq!(f.open(RW, "", 0, 0), Err(NOENT));
    assert_eq!(f.open(RW, "inside.txt\0", 0, 0), Err(INVAL));
    // Not following: the link itself cannot be opened.
    assert_eq!(f.open_full(RW, 0, "up_secret", 0, 0, 0, 0), Err(LOOP));
    // A directory cannot be opened for writing; unusable rights are dropped.
    assert_eq!(
        f.open(
            RW,
            ".",
            oflags::DIRECTORY,
            rights::FD_READ | rights::FD_WRITE
        ),
        Err(ISDIR)
    );
    let dir = f
        .open(
            RW,
            "sub/",
            oflags::DIRECTORY,
            rights::FD_SEEK | rights::FD_READDIR | rights::PATH_OPEN,
        )
        .unwrap();
    let (kind, _, base, _) = f.fdstat(dir);
    assert_eq!(
        (kind, base),
        (filetype::DIRECTORY, rights::FD_READDIR | rights::PATH_OPEN)
    );
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_seek(vm, dir, 0, 1, OUT), NOTCAPABLE);
        assert_eq!(kiln_wasi_fd_filestat_set_size(vm, dir, 0), NOTCAPABLE);
        assert_eq!(kiln_wasi_fd_allocate(vm, dir, 0, 1), NOTCAPABLE);
    }
    assert_eq!(f.read(dir, 1), Err(NOTCAPABLE));
    assert_eq!(f.write(dir, "x"), Err(NOTCAPABLE));
    // Inheriting nothing: files beneath `dir` can be opened but not read or written.
    assert_eq!(
        f.open(dir, "inner.txt", 0, rights::FD_READ),
        Err(NOTCAPABLE)
    );
    let file = f.open(dir, "inner.txt", 0, 0).unwrap();
    assert_eq!(f.fdstat(file).2, 0);
    assert_eq!(f.read(file, 1), Err(NOTCAPABLE));
    // Without PATH_CREATE_FILE / PATH_FILESTAT_SET_SIZE: no creating, no truncating.
    assert_eq!(f.open(dir, "x", oflags::CREAT, 0), Err(NOTCAPABLE));
    assert_eq!(f.open(dir, "inner.txt", oflags::TRUNC, 0), Err(NOTCAPABLE));
    // Rights only shrink.
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            kiln_wasi_fd_fdstat_set_rights(vm, dir, rights::FD_READDIR, 0),
            SUCCESS
        );
        assert_eq!(
            kiln_wasi_fd_fdstat_set_rights(vm, dir, rights::FD_READDIR | rights::PATH_OPEN, 0),
            NOTCAPABLE
        );
    }
    assert_eq!(f.open(dir, "inner.txt", 0, 0), Err(NOTCAPABLE));
    // Reading only / writing only.
    let r = f.open(RW, "inside.txt", 0, rights::FD_READ).unwrap();
    assert_eq!(f.write(r, "x"), Err(NOTCAPABLE));
    assert_eq!(f.read(r, 100), Ok("inside\n".into()));
    let w = f.open(RW, "inside.txt", 0, rights::FD_WRITE).unwrap();
    assert_eq!(f.read(w, 1), Err(NOTCAPABLE));
    // fd_renumber moves a descriptor with its rights; the old number is closed.
    // SAFETY: as above.
    unsafe {
        assert_eq!(kiln_wasi_fd_renumber(vm, r, w), SUCCESS);
        assert_eq!(kiln_wasi_fd_renumber(vm, r, w), BADF);
    }
    assert_eq!(f.read(w, 100), Ok("".into()), "at the end already");
    // Out-pointer checked before anything is created.
    let (p, l) = f.s("never_created");
    // SAFETY: as above.
    let r = unsafe { kiln_wasi_path_open(vm, RW, 0, p, l, oflags::CREAT.into(), 0, 0, 0, END - 2) };
    assert_eq!(r, FAULT);
    assert!(!f.host("sandbox/never_created").exists());
    // SAFETY: as above.
    let r = unsafe { kiln_wasi_path_open(vm, RW, 0, END - 2, 8, 0, 0, 0, 0, OUT) };
    assert_eq!(r, FAULT, "path out of bounds");
}

#[test]
fn readdir_cookies() {
    let f = Fs::new();
    let vm = f.vm();
    fs::create_dir(f.host("sandbox/list")).unwrap();
    for name in ["a", "bb", "ccc"] {
        fs::write(f.host(&format!("sandbox/list/{name}")), name).unwrap();
    }
    fs::create_dir(f.host("sandbox/list/dir")).unwrap();
    let dir = f
        .open(
            RW,
            "list",
            oflags::DIRECTORY,
            rights::FD_READDIR | rights::FD_FILESTAT_GET,
        )
        .unwrap();
    let (all, used) = f.readdir(dir, 0, 4096).unwrap();
    assert!(used < 4096);
    assert_eq!(all.len(), 6);
    let dir_ino = f.fd_stat(dir).unwrap().0;
    assert_eq!(all[0], (1, dir_ino, filetype::DIRECTORY, ".".into()));
    assert_eq!(all[1], (2, dir_ino, filetype::DIRECTORY, "..".into()));
    for (i, (next, ino, kind, name)) in all.iter().enumerate().skip(2) {
        assert_eq!(*next, i as u64 + 1);
        let meta = fs::symlink_metadata(f.host(&format!("sandbox/list/{name}"))).unwrap();
        assert_eq!(*ino, meta.ino());
        let expected = if name == "dir" {
            filetype::DIRECTORY
        } else {
            filetype::REGULAR_FILE
        };
        assert_eq!(*kind, expected, "{name}");
    }
    // Resuming from a cookie gives the rest.
    let (rest, _) = f.readdir(dir, all[3].0, 4096).unwrap();
    assert_eq!(rest, all[4..]);
    assert_eq!(f.readdir(dir, 6, 4096).unwrap(), (vec![], 0));
    assert_eq!(f.readdir(dir, u64::MAX, 4096).unwrap(), (vec![], 0));
    // A full buffer (the last entry cut) means "call again".
    let (part, used) = f.readdir(dir, 0, DIRENT_SIZE as u32 + 1 + 10).unwrap();
    assert_eq!((part.len(), used), (1, 35));
    // Small buffers, resumed from the last complete entry, see everything once.
    let mut names = Vec::new();
    let mut cookie = 0;
    loop {
        let (entries, used) = f.readdir(dir, cookie, 64).unwrap();
        names.extend(entries.iter().map(|e| e.3.clone()));
        if used < 64 {
            break;
        }
        cookie = entries.last().unwrap().0;
    }
    let mut expected: Vec<String> = all.iter().map(|e| e.3.clone()).collect();
    assert_eq!(names, expected);
    // Cookie 0 reads the directory again.
    fs::write(f.host("sandbox/list/dddd"), "").unwrap();
    assert_eq!(
        f.readdir(dir, 5, 4096).unwrap().0.len(),
        1,
        "served from the listing"
    );
    let (again, _) = f.readdir(dir, 0, 4096).unwrap();
    expected.push("dddd".into());
    let mut got: Vec<String> = again.into_iter().map(|e| e.3).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_readdir(vm, dir, END - 10, 64, 0, OUT), FAULT);
        assert_eq!(kiln_wasi_fd_readdir(vm, dir, 8192, 64, 0, END - 2), FAULT);
        assert_eq!(kiln_wasi_fd_readdir(vm, 1, 8192, 64, 0, OUT), NOTDIR);
    }
    let file = f.open(RW, "inside.txt", 0, rights::FD_READDIR).unwrap();
    assert_eq!(f.readdir(file, 0, 64), Err(NOTDIR));
    assert_eq!(f.readdir(99, 0, 64), Err(BADF));
    // The preopen lists its own entries.
    let (top, _) = f.readdir(RW, 0, 4096).unwrap();
    assert!(top
        .iter()
        .any(|e| e.3 == "up_secret" && e.2 == filetype::SYMBOLIC_LINK));
}

#[test]
fn path_operations() {
    let f = Fs::new();
    assert_eq!(f.mkdir(RW, "d"), SUCCESS);
    assert_eq!(f.mkdir(RW, "d"), EXIST);
    assert_eq!(f.mkdir(RW, "e/"), SUCCESS);
    assert_eq!(f.mkdir(RW, "sub/.."), EXIST);
    assert_eq!(f.stat(RW, 0, "d").unwrap().1, filetype::DIRECTORY);
    assert_eq!(f.stat(RW, 0, "missing"), Err(NOENT));
    // Rename, with and without trailing slashes.
    assert_eq!(f.rename(RW, "d/", RW, "d2"), SUCCESS);
    assert_eq!(f.rename(RW, "d2", RW, "d3/"), SUCCESS);
    assert_eq!(f.rename(RW, "inside.txt/", RW, "x"), NOTDIR);
    assert_eq!(f.rename(RW, "inside.txt", RW, "d3/"), NOTDIR);
    assert_eq!(f.rename(RW, "inside.txt", RW, "e"), ISDIR);
    fs::write(f.host("sandbox/e/f"), "").unwrap();
    assert_eq!(f.rename(RW, "d3", RW, "e"), errno::NOTEMPTY as i32);
    assert_eq!(f.rename(RW, "inside.txt", RW, "d3/moved.txt"), SUCCESS);
    assert_eq!(f.rename(RW, "d3/moved.txt", RW, "inside.txt"), SUCCESS);
    // Hard links.
    assert_eq!(f.link(RW, 0, "inside.txt", RW, "sub/hard"), SUCCESS);
    assert_eq!(f.stat(RW, 0, "inside.txt").unwrap().2, 2);
    assert_eq!(f.link(RW, 0, "inside.txt", RW, "sub/hard"), EXIST);
    assert_eq!(f.link(RW, 0, "inside.txt", RW, "nope/"), NOENT);
    assert_eq!(f.link(RW, 0, "inside.txt", RW, "e/"), EXIST);
    assert_eq!(f.link(RW, 0, "inside.txt/", RW, "z"), NOTDIR);
    assert_eq!(f.link(RW, 0, "e", RW, "z"), PERM, "a directory");
    assert_eq!(f.link(RW, FOLLOW, "inside.txt", RW, "z"), INVAL);
    assert_eq!(f.unlink(RW, "sub/hard"), SUCCESS);
    // Symlinks.
    assert_eq!(f.symlink("inside.txt", RW, "ln"), SUCCESS);
    assert_eq!(f.symlink("x", RW, "ln"), EXIST);
    assert_eq!(f.symlink("x", RW, "nope/"), NOENT);
    assert_eq!(f.symlink("x", RW, "e/"), EXIST);
    assert_eq!(f.symlink("x", RW, "inside.txt/"), NOTDIR);
    assert_eq!(f.symlink("/etc/passwd", RW, "abs"), PERM);
    assert_eq!(f.readlink(RW, "ln", 100), Ok("inside.txt".into()));
    assert_eq!(
        f.readlink(RW, "ln", 6),
        Ok("inside".into()),
        "cut to the buffer"
    );
    assert_eq!(f.readlink(RW, "inside.txt", 100), Err(INVAL));
    assert_eq!(f.readlink(RW, "e/", 100), Err(INVAL));
    let link = f.stat(RW, 0, "ln").unwrap();
    let target = f.stat(RW, FOLLOW, "ln").unwrap();
    assert_eq!(link.1, filetype::SYMBOLIC_LINK);
    assert_eq!(target, f.stat(RW, 0, "inside.txt").unwrap());
    assert_eq!(f.stat(RW, 0, "e/").unwrap().1, filetype::DIRECTORY);
    assert_eq!(f.stat(RW, 0, "inside.txt/"), Err(NOTDIR));
    // Times: the link's own, or (following) the target's.
    assert_eq!(f.set_times(RW, 0, "ln", 7_000_000_000), SUCCESS);
    assert_eq!(f.stat(RW, 0, "ln").unwrap().4, 7_000_000_000);
    assert_eq!(f.stat(RW, 0, "inside.txt").unwrap().4, target.4);
    assert_eq!(f.set_times(RW, FOLLOW, "ln", 9_000_000_000), SUCCESS);
    assert_eq!(f.stat(RW, 0, "inside.txt").unwrap().4, 9_000_000_000);
    assert_eq!(f.set_times(RW, 0, "inside.txt/", 1), NOTDIR);
    // SAFETY: host functions called with a valid context.
    let both = unsafe {
        let (p, l) = f.s("inside.txt");
        let flags = (fstflags::MTIM | fstflags::MTIM_NOW).into();
        kiln_wasi_path_filestat_set_times(f.vm(), RW, 0, p, l, 0, 0, flags)
    };
    assert_eq!(both, INVAL);
    // Unlinking and removing directories, trailing slashes included.
    assert_eq!(f.unlink(RW, "e"), ISDIR);
    assert_eq!(f.unlink(RW, "e/"), ISDIR);
    assert_eq!(f.unlink(RW, "ln/"), NOTDIR);
    assert_eq!(f.unlink(RW, "ln"), SUCCESS);
    assert!(
        f.host("sandbox/inside.txt").exists(),
        "unlinking a link keeps its target"
    );
    assert_eq!(f.rmdir(RW, "e"), errno::NOTEMPTY as i32);
    assert_eq!(f.rmdir(RW, "inside.txt"), NOTDIR);
    assert_eq!(f.rmdir(RW, "inside.txt/"), NOTDIR);
    assert_eq!(f.rmdir(RW, "."), INVAL, "the preopen itself");
    assert_eq!(f.rmdir(RW, "sub/.."), INVAL);
    assert_eq!(f.unlink(RW, "e/f"), SUCCESS);
    assert_eq!(f.rmdir(RW, "e/"), SUCCESS);
    assert_eq!(f.rmdir(RW, "d3"), SUCCESS);
    assert_eq!(f.unlink(RW, "missing"), NOENT);
    // Every path argument is bounds-checked.
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            kiln_wasi_path_create_directory(f.vm(), RW, END - 1, 4),
            FAULT
        );
        assert_eq!(kiln_wasi_path_unlink_file(f.vm(), RW, 0, u32::MAX), FAULT);
        let (p, l) = f.s("inside.txt");
        assert_eq!(
            kiln_wasi_path_readlink(f.vm(), RW, p, l, END - 4, 8, OUT),
            FAULT
        );
        assert_eq!(
            kiln_wasi_path_filestat_get(f.vm(), RW, 0, p, l, END - 8),
            FAULT
        );
        let long = "a".repeat(5000);
        let (p, l) = f.s(&long);
        assert_eq!(
            kiln_wasi_path_create_directory(f.vm(), RW, p, l),
            errno::NAMETOOLONG as i32
        );
    }
    // Path functions want a directory descriptor.
    let file = f.open(RW, "inside.txt", 0, 0).unwrap();
    assert_eq!(f.mkdir(file, "x"), NOTDIR);
    assert_eq!(f.open(file, "x", oflags::CREAT, 0), Err(NOTDIR));
    assert_eq!(f.rename(file, "x", 77, "y"), BADF);
}

#[test]
fn escapes_are_refused_by_every_path_function() {
    let f = Fs::new();
    let outside = f.snapshot("outside");
    let out = "../outside/secret.txt";
    for path in [
        "..",
        out,
        "sub/../../outside/secret.txt",
        "/etc/passwd",
        "up/outside/secret.txt",
    ] {
        assert_eq!(f.open(RW, path, 0, rights::FD_READ), Err(PERM), "{path}");
        assert_eq!(f.stat(RW, FOLLOW, path), Err(PERM), "{path}");
    }
    assert_eq!(f.open(RW, "up_secret", 0, rights::FD_READ), Err(PERM));
    assert_eq!(
        f.open(
            RW,
            "up_secret",
            oflags::CREAT | oflags::TRUNC,
            rights::FD_WRITE
        ),
        Err(PERM)
    );
    assert_eq!(
        f.open(RW, "../outside/new", oflags::CREAT, rights::FD_WRITE),
        Err(PERM)
    );
    assert_eq!(f.stat(RW, 0, out), Err(PERM));
    assert_eq!(f.stat(RW, FOLLOW, "up_secret"), Err(PERM));
    assert_eq!(
        f.stat(RW, 0, "up_secret").unwrap().1,
        filetype::SYMBOLIC_LINK
    );
    assert_eq!(f.mkdir(RW, "../outside/newdir"), PERM);
    assert_eq!(f.mkdir(RW, "/tmp/kiln-escape"), PERM);
    assert_eq!(f.mkdir(RW, "up/outside/newdir"), PERM);
    assert_eq!(f.rmdir(RW, "../outside/dir"), PERM);
    assert_eq!(f.rmdir(RW, ".."), PERM);
    assert_eq!(f.unlink(RW, out), PERM);
    assert_eq!(f.unlink(RW, "up/outside/secret.txt"), PERM);
    assert_eq!(f.readlink(RW, "up/sandbox/up_secret", 100), Err(PERM));
    assert_eq!(
        f.readlink(RW, "up_secret", 100),
        Ok(out.into()),
        "relative: its text"
    );
    symlink(f.host("outside/secret.txt"), f.host("sandbox/abs")).unwrap();
    assert_eq!(
        f.readlink(RW, "abs", 100),
        Err(PERM),
        "absolute: a host path"
    );
    assert_eq!(f.open(RW, "abs", 0, rights::FD_READ), Err(PERM));
    assert_eq!(f.set_times(RW, FOLLOW, "up_secret", 1), PERM);
    assert_eq!(f.set_times(RW, 0, out, 1), PERM);
    // Hard links: both ends inside, a link to the link is still a link.
    assert_eq!(f.link(RW, 0, out, RW, "stolen"), PERM);
    assert_eq!(f.link(RW, 0, "up/outside/secret.txt", RW, "stolen"), PERM);
    assert_eq!(f.link(RW, 0, "inside.txt", RW, "../outside/planted"), PERM);
    assert_eq!(f.link(RW, 0, "up_secret", RW, "up_secret2"), SUCCESS);
    assert_eq!(f.open(RW, "up_secret2", 0, rights::FD_READ), Err(PERM));
    // Renames: nothing goes out, nothing comes in.
    assert_eq!(f.rename(RW, "inside.txt", RW, "../outside/moved"), PERM);
    assert_eq!(f.rename(RW, "sub", RW, "up/outside/moved"), PERM);
    assert_eq!(f.rename(RW, out, RW, "stolen"), PERM);
    assert_eq!(f.rename(RW, "up_secret", RW, "renamed_link"), SUCCESS);
    assert_eq!(f.open(RW, "renamed_link", 0, rights::FD_READ), Err(PERM));
    // Symlinks may be created with relative text, but are still not followed out.
    assert_eq!(f.symlink("/", RW, "root"), PERM);
    assert_eq!(
        f.symlink("../../outside/secret.txt", RW, "sub/planted"),
        SUCCESS
    );
    assert_eq!(f.open(RW, "sub/planted", 0, rights::FD_READ), Err(PERM));
    assert_eq!(f.symlink("x", RW, "../outside/planted"), PERM);
    // Loops.
    assert_eq!(f.symlink("loop", RW, "loop"), SUCCESS);
    assert_eq!(f.open(RW, "loop", 0, rights::FD_READ), Err(LOOP));
    assert_eq!(f.stat(RW, FOLLOW, "loop"), Err(LOOP));
    assert_eq!(f.set_times(RW, FOLLOW, "loop", 1), LOOP);
    // Unlinking a link that points out removes the link only.
    assert_eq!(f.unlink(RW, "up_secret2"), SUCCESS);
    assert_eq!(
        f.snapshot("outside"),
        outside,
        "the host outside the sandbox changed"
    );
}

#[test]
fn read_only_grant_refuses_every_change() {
    let f = Fs::new();
    let vm = f.vm();
    let ro_before = f.snapshot("ro");
    let fd = f
        .open(RO, "file.txt", 0, rights::FD_READ | rights::FD_SEEK)
        .unwrap();
    assert_eq!(f.read(fd, 100), Ok("read only\n".into()));
    assert_eq!(f.write(fd, "x"), Err(NOTCAPABLE));
    // Asking to write, create or truncate fails at once.
    assert_eq!(f.open(RO, "file.txt", 0, rights::FD_WRITE), Err(NOTCAPABLE));
    assert_eq!(
        f.open(RO, "file.txt", 0, rights::FD_READ | rights::FD_WRITE),
        Err(NOTCAPABLE)
    );
    assert_eq!(
        f.open(RO, "new.txt", oflags::CREAT, rights::FD_READ),
        Err(NOTCAPABLE)
    );
    assert_eq!(
        f.open(RO, "file.txt", oflags::TRUNC, rights::FD_READ),
        Err(NOTCAPABLE)
    );
    // What wasi-libc asks for with open(O_WRONLY): everything the directory passes on.
    let (_, _, _, ro_inheriting) = f.fdstat(RO);
    assert_eq!(
        f.open(RO, "file.txt", 0, ro_inheriting & !rights::FD_READ),
        Err(NOTCAPABLE)
    );
    // ... and with open(O_RDONLY): no FD_WRITE.
    let fd = f
        .open(RO, "file.txt", 0, ro_inheriting & !rights::FD_WRITE)
        .unwrap();
    assert_eq!(f.fdstat(fd).2 & rights::MUTATING, 0);
    // Write-like rights are dropped (the host file is opened read-only).
    let all = rights::DIRECTORY_INHERITING & !rights::FD_WRITE;
    let fd = f.open(RO, "file.txt", 0, all).unwrap();
    assert_eq!(f.fdstat(fd).2 & rights::MUTATING, 0);
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_filestat_set_size(vm, fd, 0), NOTCAPABLE);
        assert_eq!(kiln_wasi_fd_allocate(vm, fd, 0, 100), NOTCAPABLE);
        assert_eq!(
            kiln_wasi_fd_filestat_set_times(vm, fd, 0, 0, fstflags::MTIM_NOW.into()),
            NOTCAPABLE
        );
        assert_eq!(kiln_wasi_fd_datasync(vm, fd), NOTCAPABLE);
        assert_eq!(kiln_wasi_fd_sync(vm, fd), NOTCAPABLE);
        assert_eq!(
            kiln_wasi_fd_fdstat_set_rights(vm, fd, rights::FD_WRITE, 0),
            NOTCAPABLE
        );
        f.g.iovec(OUT, 4096, 1);
        assert_eq!(kiln_wasi_fd_pwrite(vm, fd, OUT, 1, 0, OUT + 8), NOTCAPABLE);
        assert_eq!(
            kiln_wasi_fd_filestat_set_times(vm, RO, 0, 0, fstflags::MTIM_NOW.into()),
            NOTCAPABLE
        );
    }
    // Every path function that changes something.
    assert_eq!(f.mkdir(RO, "newdir"), NOTCAPABLE);
    assert_eq!(f.rmdir(RO, "empty"), NOTCAPABLE);
    assert_eq!(f.unlink(RO, "file.txt"), NOTCAPABLE);
    assert_eq!(f.rename(RO, "file.txt", RO, "moved.txt"), NOTCAPABLE);
    assert_eq!(
        f.rename(RO, "file.txt", RW, "moved.txt"),
        NOTCAPABLE,
        "out of the grant"
    );
    assert_eq!(
        f.rename(RW, "inside.txt", RO, "moved.txt"),
        NOTCAPABLE,
        "into the grant"
    );
    assert_eq!(f.link(RO, 0, "file.txt", RW, "writable_alias"), NOTCAPABLE);
    assert_eq!(f.link(RW, 0, "inside.txt", RO, "alias"), NOTCAPABLE);
    assert_eq!(f.symlink("file.txt", RO, "ln"), NOTCAPABLE);
    assert_eq!(f.set_times(RO, 0, "file.txt", 1), NOTCAPABLE);
    assert_eq!(f.set_times(RO, FOLLOW, "file.txt", 1), NOTCAPABLE);
    // Directories opened beneath it are read-only too, whatever is asked for.
    let dir = f
        .open_full(
            RO,
            0,
            "dir",
            oflags::DIRECTORY,
            rights::DIRECTORY,
            rights::DIRECTORY_INHERITING,
            0,
        )
        .unwrap();
    let (_, _, base, inheriting) = f.fdstat(dir);
    assert_eq!(base & rights::MUTATING, 0);
    assert_eq!(inheriting & rights::MUTATING, rights::FD_WRITE);
    assert_eq!(f.mkdir(dir, "x"), NOTCAPABLE);
    assert_eq!(f.unlink(dir, "x.txt"), NOTCAPABLE);
    assert_eq!(f.open(dir, "x.txt", 0, rights::FD_WRITE), Err(NOTCAPABLE));
    assert_eq!(f.open(dir, "new", oflags::CREAT, 0), Err(NOTCAPABLE));
    // Reading works.
    assert_eq!(f.stat(RO, 0, "file.txt").unwrap().3, 10);
    assert_eq!(f.readdir(RO, 0, 4096).unwrap().0.len(), 5);
    let x = f.open(dir, "x.txt", 0, rights::FD_READ).unwrap();
    assert_eq!(f.read(x, 10), Ok("x\n".into()));
    assert_eq!(f.snapshot("ro"), ro_before, "the read-only grant changed");
}

#[test]
fn closed_directory_descriptors_are_ebadf() {
    let f = Fs::new();
    let vm = f.vm();
    let sub = f
        .open(RW, "sub", oflags::DIRECTORY, rights::DIRECTORY)
        .unwrap();
    assert_eq!(f.close(sub), SUCCESS);
    assert_eq!(f.open(sub, "inner.txt", 0, 0), Err(BADF));
    assert_eq!(f.readdir(sub, 0, 64), Err(BADF));
    assert_eq!(f.mkdir(sub, "x"), BADF);
    assert_eq!(f.close(RW), SUCCESS, "a preopen can be closed");
    assert_eq!(f.open(RW, "inside.txt", 0, 0), Err(BADF));
    assert_eq!(f.stat(RW, 0, "inside.txt"), Err(BADF));
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_prestat_get(vm, RW, OUT), BADF);
        assert_eq!(kiln_wasi_fd_fdstat_get(vm, RW, OUT), BADF);
    }
    // The numbers are reused, highest first (wasmtime's order): `sub`, then the preopen's.
    let reused = f.open(RO, "file.txt", 0, rights::FD_READ).unwrap();
    assert_eq!(reused, sub);
    let file = f.open(RO, "file.txt", 0, rights::FD_READ).unwrap();
    assert_eq!(file, RW);
    assert_eq!(f.open(file, "x", 0, 0), Err(NOTDIR));
    // SAFETY: as above.
    unsafe {
        assert_eq!(kiln_wasi_fd_prestat_get(vm, file, OUT), BADF);
        // Renumbering a preopen over another descriptor moves the preopen.
        assert_eq!(kiln_wasi_fd_renumber(vm, RO, file), SUCCESS);
        assert_eq!(kiln_wasi_fd_prestat_get(vm, file, OUT), SUCCESS);
        assert_eq!(kiln_wasi_fd_prestat_get(vm, RO, OUT), BADF);
    }
    assert_eq!(
        f.open(file, "file.txt", 0, rights::FD_READ).map(|_| ()),
        Ok(())
    );
}

#[test]
fn huge_iovec_counts_and_polling_files() {
    let f = Fs::new();
    let vm = f.vm();
    let fd = f.open(RW, "inside.txt", 0, FILE_RIGHTS).unwrap();
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_read(vm, fd, 0, u32::MAX, OUT), FAULT);
        assert_eq!(kiln_wasi_fd_pwrite(vm, fd, 0, 1 << 30, 0, OUT), FAULT);
        // 512 empty iovecs: an empty transfer.
        let zero = vec![0u8; 4096];
        f.g.write(8192, &zero);
        assert_eq!(kiln_wasi_fd_read(vm, fd, 8192, 512, OUT), SUCCESS);
        assert_eq!(f.g.u32(OUT), 0);
        // A regular file is always ready; nbytes is what is left to read.
        super::fd_subscription(&f.g, 0, 7, eventtype::FD_READ, fd);
        assert_eq!(kiln_wasi_poll_oneoff(vm, 0, 1024, 1, 8), SUCCESS);
        assert_eq!(f.g.u32(8), 1);
        assert_eq!(
            super::event(&f.g, 0),
            (7, errno::SUCCESS, eventtype::FD_READ)
        );
        assert_eq!(f.g.u64(1024 + 16), 7);
        // A directory cannot be polled.
        super::fd_subscription(&f.g, 0, 8, eventtype::FD_WRITE, RW);
        assert_eq!(kiln_wasi_poll_oneoff(vm, 0, 1024, 1, 8), SUCCESS);
        assert_eq!(
            super::event(&f.g, 0),
            (8, errno::NOTCAPABLE, eventtype::FD_WRITE)
        );
    }
}
