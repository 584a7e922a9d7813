//! The file-system sandbox: resolving a guest path beneath a directory handle.
//!
//! Every path a guest passes is resolved relative to a directory descriptor it was granted
//! (a preopen, or a directory opened through one), never by comparing strings with a
//! prefix. A path may not be absolute, may not climb above that directory with `..`, and
//! symbolic links met on the way are followed only while they stay beneath it (absolute
//! targets never do). Everything that would leave is refused with `EPERM` — what wasmtime
//! (cap-std) answers — before anything outside is touched.
//!
//! Three resolutions serve every `path_*` function:
//! - [`open`] opens a path. Kernels with `openat2` (Linux 5.6+) resolve it themselves with
//!   `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, which is atomic against concurrent renames
//!   and symlink swaps. Otherwise (`ENOSYS`, or a seccomp filter answering `EPERM`) the
//!   path is walked one component at a time with `openat(O_PATH | O_NOFOLLOW)`: every
//!   symlink is read through the descriptor that was opened for it (`readlinkat(fd, "")`)
//!   and its target walked in its place (at most [`MAX_SYMLINK_HOPS`], then `ELOOP`), and
//!   `..` is checked against the identity (device, inode) of the directory the walk came
//!   from — at the starting directory, or if the directory was moved meanwhile, it is
//!   refused.
//! - [`parent`] opens the directory that holds the last component and returns it with that
//!   component's name: one component, without `/`, never `..`. Operations on the entry
//!   itself are then `*at(dir, name)` calls that do not follow a symlink in `name`
//!   ([`Entry`]'s methods), so a link swapped in meanwhile is acted on itself, never
//!   followed out of the sandbox.
//! - [`follow`] is [`parent`] that also follows symlinks in the last component (for
//!   `path_filestat_set_times` with `symlink_follow`), each target resolved again from the
//!   starting directory.
//!
//! A trailing `/` makes the kernel follow a final symlink even in calls that otherwise do
//! not (`fstatat`, `utimensat`, `readlinkat`, `linkat`), so names handed to `*at` calls
//! never carry one: [`Entry::trailing_slash`] tells the caller, which applies the POSIX
//! meaning itself.
//!
//! All `unsafe` system calls of the file-system functions live in this module.
//!
//! (Over 600 lines on purpose: the resolver is one algorithm whose rules — `..` at the
//! start directory, the symlink hop budget, the final component — are easiest to check
//! read whole.)

use super::dirs::DirEntry;
use super::host::{from_host, fstat, syscall};
use super::types::{errno, Errno};
use crate::prelude::*;
use crate::sys::{Fd, OsError};
use alloc::ffi::CString;
use core::ffi::{c_int, CStr};
use core::sync::atomic::{AtomicBool, Ordering};

/// Symlinks followed in one resolution before it fails with `ELOOP` (Linux's limit).
pub(crate) const MAX_SYMLINK_HOPS: u32 = 40;

pub(crate) use super::types::PATH_MAX;

/// How [`open`] resolves: the kernel's `openat2`, or the component walk. `Auto` uses
/// `openat2` until the kernel says it does not have it. Tests pin one to check both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Strategy {
    Auto,
    Openat2,
    Walk,
}

/// Set once `openat2` answered `ENOSYS`.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// A directory to run `*at` calls against: the starting directory itself or one opened
/// beneath it.
pub(crate) enum Dir {
    Start(c_int),
    Opened(Fd),
}

impl Dir {
    pub fn raw(&self) -> c_int {
        match self {
            Dir::Start(fd) => *fd,
            Dir::Opened(fd) => fd.raw(),
        }
    }
}

/// The last component of a resolved path and the directory that holds it.
pub(crate) struct Entry {
    pub dir: Dir,
    /// One component: no `/`, never `..`; `.` when the path ended with `.` or `..` (then
    /// `dir` is the directory the path names).
    pub name: CString,
    /// The path ended with `/`: POSIX wants a directory there and follows a final symlink.
    pub trailing_slash: bool,
}

/// Rejects what no resolution accepts: empty (`ENOENT`), too long (`ENAMETOOLONG`), a NUL
/// (`EINVAL`), absolute (`EPERM`: it would start outside).
fn check(path: &[u8]) -> Result<(), Errno> {
    match path {
        [] => Err(errno::NOENT),
        _ if path.len() >= PATH_MAX => Err(errno::NAMETOOLONG),
        _ if path.contains(&0) => Err(errno::INVAL),
        [b'/', ..] => Err(errno::PERM),
        _ => Ok(()),
    }
}

fn cstring(bytes: &[u8]) -> Result<CString, Errno> {
    CString::new(bytes).map_err(|_| errno::INVAL)
}

/// Opens `path` beneath `start` with `flags` (`O_CLOEXEC` is added; `mode` is used with
/// `O_CREAT`), following a symlink in the last component only if `follow`.
pub(crate) fn open(
    start: c_int,
    path: &[u8],
    flags: c_int,
    mode: libc::mode_t,
    follow: bool,
) -> Result<Fd, Errno> {
    open_with(Strategy::Auto, start, path, flags, mode, follow)
}

pub(crate) fn open_with(
    strategy: Strategy,
    start: c_int,
    path: &[u8],
    flags: c_int,
    mode: libc::mode_t,
    follow: bool,
) -> Result<Fd, Errno> {
    check(path)?;
    let flags = flags | libc::O_CLOEXEC | if follow { 0 } else { libc::O_NOFOLLOW };
    let mode = if flags & libc::O_CREAT != 0 { mode } else { 0 };
    let kernel = match strategy {
        Strategy::Auto => !NO_OPENAT2.load(Ordering::Relaxed),
        Strategy::Openat2 => true,
        Strategy::Walk => false,
    };
    if kernel {
        match openat2_beneath(start, &cstring(path)?, flags, mode) {
            Ok(fd) => return Ok(fd),
            Err(libc::ENOSYS) if strategy == Strategy::Auto => {
                NO_OPENAT2.store(true, Ordering::Relaxed)
            }
            // A seccomp filter that does not know openat2, or renames racing with `..`
            // again and again: walk instead (a real EPERM comes back from the walk).
            Err(libc::EPERM | libc::EAGAIN) if strategy == Strategy::Auto => {}
            Err(libc::EXDEV) => return Err(errno::PERM),
            Err(e) => return Err(from_host(e)),
        }
    }
    walk(start, path, flags, mode, follow)
}

/// Hosts without `openat2` (macOS): always the component walk.
#[cfg(not(target_os = "linux"))]
fn openat2_beneath(
    _start: c_int,
    _path: &CStr,
    _flags: c_int,
    _mode: libc::mode_t,
) -> Result<Fd, c_int> {
    Err(libc::ENOSYS)
}

/// `openat2(start, path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`, retried a few times
/// when a concurrent rename makes the kernel answer `EAGAIN`. Returns the host errno.
#[cfg(target_os = "linux")]
fn openat2_beneath(
    start: c_int,
    path: &CStr,
    flags: c_int,
    mode: libc::mode_t,
) -> Result<Fd, c_int> {
    /// `struct open_how` (libc's is `non_exhaustive`).
    #[repr(C)]
    struct OpenHow {
        flags: u64,
        mode: u64,
        resolve: u64,
    }
    let how = OpenHow {
        flags: flags as u32 as u64,
        mode: u64::from(mode),
        resolve: libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS,
    };
    let mut last = libc::EAGAIN;
    for _ in 0..8 {
        // SAFETY: `path` is NUL-terminated and `how` is a valid `open_how` of the size
        // passed; the kernel only reads them.
        let r = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                start,
                path.as_ptr(),
                &how as *const OpenHow,
                core::mem::size_of::<OpenHow>(),
            )
        };
        if r >= 0 {
            // SAFETY: a descriptor the kernel just opened for us.
            return Ok(unsafe { Fd::from_raw(r as c_int) });
        }
        last = OsError::last().0;
        if last != libc::EAGAIN && last != libc::EINTR {
            break;
        }
    }
    Err(last)
}

/// `openat(dir, name, flags, mode)`.
fn openat(dir: c_int, name: &CStr, flags: c_int, mode: libc::mode_t) -> Result<Fd, Errno> {
    // SAFETY: `name` is NUL-terminated; openat only reads it.
    let fd = syscall(
        || unsafe { libc::openat(dir, name.as_ptr(), flags, mode as libc::c_uint) } as i64,
    )?;
    // SAFETY: a descriptor the kernel just opened for us.
    Ok(unsafe { Fd::from_raw(fd as c_int) })
}

/// Opens `name` in `dir` without following it (`O_PATH`: no permission needed, no side
/// effects even for FIFOs or devices), with its `stat`.
fn probe(dir: c_int, name: &CStr) -> Result<(Fd, libc::stat), Errno> {
    let fd = openat(
        dir,
        name,
        crate::sys::fs::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        0,
    )?;
    let st = fstat(fd.raw())?;
    Ok((fd, st))
}

fn is(st: &libc::stat, kind: libc::mode_t) -> bool {
    st.st_mode & libc::S_IFMT == kind
}

fn identity(st: &libc::stat) -> (u64, u64) {
    // dev_t and ino_t are u64 on both supported targets.
    #[allow(clippy::unnecessary_cast)]
    (st.st_dev as u64, st.st_ino as u64)
}

/// The components of `path`, in reverse order (so `pop` yields the next one); a trailing
/// `/` becomes a final `.` (the path must name a directory, and a final symlink is
/// followed, as in POSIX).
fn components_reversed(path: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    if path.ends_with(b"/") {
        out.push(b".".to_vec());
    }
    out.extend(
        path.split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(<[u8]>::to_vec),
    );
    out
}

/// Reads the symlink `name` in `dir` (`name` empty: `dir` is an `O_PATH` descriptor of
/// the link itself) and checks that its target can be followed beneath the start.
fn link_target(dir: c_int, name: &CStr, hops: &mut u32) -> Result<Vec<u8>, Errno> {
    *hops += 1;
    if *hops > MAX_SYMLINK_HOPS {
        return Err(errno::LOOP);
    }
    let target = readlink_at(dir, name)?;
    match target.first() {
        None => Err(errno::NOENT),
        Some(b'/') => Err(errno::PERM),
        Some(_) => Ok(target),
    }
}

/// The component walk: `openat2`'s semantics with plain `openat` calls. Only one
/// directory descriptor is held at a time; `ids[i]` is the identity of the directory at
/// depth `i` of the walk (0: `start`).
fn walk(
    start: c_int,
    path: &[u8],
    flags: c_int,
    mode: libc::mode_t,
    follow: bool,
) -> Result<Fd, Errno> {
    let mut pending = components_reversed(path);
    let mut cur: Option<Fd> = None;
    let mut ids = vec![identity(&fstat(start)?)];
    let mut hops = 0u32;
    // O_CREAT | O_EXCL never follows a final symlink (it fails with EEXIST).
    let excl = libc::O_CREAT | libc::O_EXCL;
    let follow_last = follow && flags & excl != excl;
    while let Some(component) = pending.pop() {
        let at = cur.as_ref().map_or(start, |fd| fd.raw());
        let last = pending.is_empty();
        match component.as_slice() {
            b"." if !last => {}
            b".." => {
                // Back to the directory the walk came from, checked to be it.
                if ids.len() == 1 {
                    return Err(errno::PERM);
                }
                let up = openat(
                    at,
                    c"..",
                    crate::sys::fs::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                    0,
                )?;
                ids.pop();
                if Some(&identity(&fstat(up.raw())?)) != ids.last() {
                    return Err(errno::PERM);
                }
                cur = if ids.len() == 1 { None } else { Some(up) };
                if last {
                    pending.push(b".".to_vec());
                }
            }
            b"." => return openat(at, c".", flags, mode),
            name if !last => {
                let (fd, st) = probe(at, &cstring(name)?)?;
                if is(&st, libc::S_IFLNK) {
                    let target = link_target(fd.raw(), c"", &mut hops)?;
                    pending.extend(components_reversed(&target));
                } else if is(&st, libc::S_IFDIR) {
                    ids.push(identity(&st));
                    cur = Some(fd);
                } else {
                    return Err(errno::NOTDIR);
                }
            }
            name => {
                let name = cstring(name)?;
                if follow_last {
                    match probe(at, &name) {
                        Ok((fd, st)) if is(&st, libc::S_IFLNK) => {
                            let target = link_target(fd.raw(), c"", &mut hops)?;
                            pending.extend(components_reversed(&target));
                            continue;
                        }
                        Ok(_) | Err(errno::NOENT) => {}
                        Err(e) => return Err(e),
                    }
                }
                // O_NOFOLLOW even when following: a symlink swapped in since the probe
                // makes this fail (ELOOP) instead of being followed by the kernel.
                return openat(at, &name, flags | libc::O_NOFOLLOW, mode);
            }
        }
    }
    // Only `.` components (e.g. "./."): the start itself.
    openat(start, c".", flags, mode)
}

/// The directory holding the last component of `path` (resolved beneath `start`,
/// following symlinks) and that component.
pub(crate) fn parent(start: c_int, path: &[u8]) -> Result<Entry, Errno> {
    parent_with(Strategy::Auto, start, path)
}

pub(crate) fn parent_with(strategy: Strategy, start: c_int, path: &[u8]) -> Result<Entry, Errno> {
    check(path)?;
    // Not all slashes: `check` refused absolute paths.
    let end = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    let trailing_slash = end < path.len();
    let trimmed = &path[..end];
    let (dir_part, name) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => (&trimmed[..=i], &trimmed[i + 1..]),
        None => (&[][..], trimmed),
    };
    let dir_flags = crate::sys::fs::O_PATH | libc::O_DIRECTORY;
    if name == b"." || name == b".." {
        let dir = open_with(strategy, start, trimmed, dir_flags, 0, true)?;
        return Ok(Entry {
            dir: Dir::Opened(dir),
            name: c".".into(),
            trailing_slash,
        });
    }
    let dir = if dir_part.is_empty() {
        Dir::Start(start)
    } else {
        Dir::Opened(open_with(strategy, start, dir_part, dir_flags, 0, true)?)
    };
    Ok(Entry {
        dir,
        name: cstring(name)?,
        trailing_slash,
    })
}

/// [`parent`], then symlinks in the last component are followed (each target resolved
/// again from `start`) until it names something else or nothing.
pub(crate) fn follow(start: c_int, path: &[u8]) -> Result<Entry, Errno> {
    follow_with(Strategy::Auto, start, path)
}

pub(crate) fn follow_with(strategy: Strategy, start: c_int, path: &[u8]) -> Result<Entry, Errno> {
    let mut path = path.to_vec();
    let mut hops = 0u32;
    loop {
        let entry = parent_with(strategy, start, &path)?;
        if entry.name.as_bytes() == b"." {
            return Ok(entry);
        }
        match entry.lstat() {
            Ok(st) if is(&st, libc::S_IFLNK) => {}
            _ => return Ok(entry),
        }
        let target = link_target(entry.dir.raw(), &entry.name, &mut hops)?;
        // The link's directory (as the guest named it), then the target.
        let end = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        let dir_end = path[..end]
            .iter()
            .rposition(|&b| b == b'/')
            .map_or(0, |i| i + 1);
        let mut next = path[..dir_end].to_vec();
        next.extend_from_slice(&target);
        if entry.trailing_slash {
            next.push(b'/');
        }
        if next.len() >= PATH_MAX {
            return Err(errno::NAMETOOLONG);
        }
        path = next;
    }
}

/// `readlinkat(dir, name)`; `ENAMETOOLONG` for targets of `PATH_MAX` bytes or more.
fn readlink_at(dir: c_int, name: &CStr) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; PATH_MAX];
    // SAFETY: `name` is NUL-terminated; `buf` has room for `buf.len()` bytes.
    let n = syscall(|| unsafe {
        libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
    } as i64)? as usize;
    if n >= buf.len() {
        return Err(errno::NAMETOOLONG);
    }
    buf.truncate(n);
    Ok(buf)
}

/// Operations on a resolved entry: none follows a symlink in `name`.
impl Entry {
    /// `fstatat(AT_SYMLINK_NOFOLLOW)`.
    pub fn lstat(&self) -> Result<libc::stat, Errno> {
        // SAFETY: plain data, filled in by fstatat.
        let mut st: libc::stat = unsafe { core::mem::zeroed() };
        // SAFETY: `name` is NUL-terminated and `st` a valid out-pointer.
        syscall(|| unsafe {
            libc::fstatat(
                self.dir.raw(),
                self.name.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } as i64)?;
        Ok(st)
    }

    pub fn is_dir(&self) -> Result<bool, Errno> {
        self.lstat().map(|st| is(&st, libc::S_IFDIR))
    }

    /// `readlinkat`.
    pub fn readlink(&self) -> Result<Vec<u8>, Errno> {
        readlink_at(self.dir.raw(), &self.name)
    }

    /// `mkdirat(dir, name, 0777)` (less the umask).
    pub fn mkdir(&self) -> Result<(), Errno> {
        // SAFETY: `name` is NUL-terminated.
        syscall(|| unsafe { libc::mkdirat(self.dir.raw(), self.name.as_ptr(), 0o777) } as i64)
            .map(drop)
    }

    /// `unlinkat`, with `AT_REMOVEDIR` for a directory.
    pub fn unlink(&self, directory: bool) -> Result<(), Errno> {
        let flags = if directory { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: `name` is NUL-terminated.
        syscall(|| unsafe { libc::unlinkat(self.dir.raw(), self.name.as_ptr(), flags) } as i64)
            .map(drop)
    }

    /// `symlinkat(target, dir, name)`: the link's text is stored as given.
    pub fn symlink(&self, target: &CStr) -> Result<(), Errno> {
        // SAFETY: both strings are NUL-terminated.
        syscall(
            || unsafe { libc::symlinkat(target.as_ptr(), self.dir.raw(), self.name.as_ptr()) }
                as i64,
        )
        .map(drop)
    }

    /// `linkat(self, new, 0)`: a new name for this entry (a symlink is linked itself).
    pub fn link_to(&self, new: &Entry) -> Result<(), Errno> {
        // SAFETY: both names are NUL-terminated.
        syscall(|| unsafe {
            libc::linkat(
                self.dir.raw(),
                self.name.as_ptr(),
                new.dir.raw(),
                new.name.as_ptr(),
                0,
            )
        } as i64)
        .map(drop)
    }

    /// `renameat(self, new)`.
    pub fn rename_to(&self, new: &Entry) -> Result<(), Errno> {
        // SAFETY: both names are NUL-terminated.
        syscall(|| unsafe {
            libc::renameat(
                self.dir.raw(),
                self.name.as_ptr(),
                new.dir.raw(),
                new.name.as_ptr(),
            )
        } as i64)
        .map(drop)
    }

    /// `utimensat(AT_SYMLINK_NOFOLLOW)`: a symlink's own times.
    pub fn set_times(&self, times: &[libc::timespec; 2]) -> Result<(), Errno> {
        // SAFETY: `name` is NUL-terminated and `times` two valid timespecs.
        syscall(|| unsafe {
            libc::utimensat(
                self.dir.raw(),
                self.name.as_ptr(),
                times.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } as i64)
        .map(drop)
    }
}

/// The entries of directory `dir` (without `.` and `..`), in the host's order, read
/// through a descriptor of its own so that `dir`'s position is untouched. macOS: with
/// readdir(3) (it has no getdents64).
#[cfg(not(target_os = "linux"))]
pub(crate) fn list_dir(dir: c_int) -> Result<Vec<DirEntry>, Errno> {
    let fd = openat(
        dir,
        c".",
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )?;
    /// Closes the stream (and with it the descriptor) however the listing ends.
    struct Stream(*mut libc::DIR);
    impl Drop for Stream {
        fn drop(&mut self) {
            // SAFETY: a stream from fdopendir, closed only here.
            unsafe { libc::closedir(self.0) };
        }
    }
    // SAFETY: `fd` is an open directory descriptor; on success the stream owns it.
    let stream = unsafe { libc::fdopendir(fd.raw()) };
    if stream.is_null() {
        return Err(from_host(OsError::last().0));
    }
    let fd = fd.into_raw();
    let stream = Stream(stream);
    let mut entries = Vec::new();
    loop {
        // readdir reports an error only through errno, and end of directory with none.
        // SAFETY: errno is this thread's.
        unsafe { *libc::__error() = 0 };
        // SAFETY: a live stream; the entry stays valid until the next readdir on it.
        let ent = unsafe { libc::readdir(stream.0) };
        if ent.is_null() {
            return match OsError::last().0 {
                0 => Ok(entries),
                e => Err(from_host(e)),
            };
        }
        // SAFETY: as above; d_name is NUL-terminated within the record.
        let (name, ino, d_type) = unsafe {
            (
                CStr::from_ptr((*ent).d_name.as_ptr()).to_bytes().to_vec(),
                (*ent).d_ino,
                (*ent).d_type,
            )
        };
        if name == b"." || name == b".." || name.is_empty() {
            continue;
        }
        let filetype = match d_type {
            libc::DT_UNKNOWN => {
                let entry = Entry {
                    dir: Dir::Start(fd),
                    name: cstring(&name)?,
                    trailing_slash: false,
                };
                entry.lstat().map_or(super::types::filetype::UNKNOWN, |st| {
                    super::host::filetype(st.st_mode)
                })
            }
            other => dirent_filetype(other),
        };
        #[allow(clippy::unnecessary_cast)]
        entries.push(DirEntry {
            name,
            ino: ino as u64,
            filetype,
        });
    }
}

/// The entries of directory `dir` (without `.` and `..`), in the host's order, read
/// through a descriptor of its own so that `dir`'s position is untouched.
#[cfg(target_os = "linux")]
pub(crate) fn list_dir(dir: c_int) -> Result<Vec<DirEntry>, Errno> {
    let fd = openat(
        dir,
        c".",
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )?;
    let mut entries = Vec::new();
    let mut buf = vec![0u8; 32 << 10];
    loop {
        // SAFETY: `buf` has room for `buf.len()` bytes; getdents64 writes at most that.
        let n = syscall(|| unsafe {
            libc::syscall(libc::SYS_getdents64, fd.raw(), buf.as_mut_ptr(), buf.len())
        })? as usize;
        if n == 0 {
            return Ok(entries);
        }
        // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        let mut at = 0;
        while at + 19 <= n {
            let ino = u64::from_ne_bytes(buf[at..at + 8].try_into().unwrap());
            let reclen = u16::from_ne_bytes(buf[at + 16..at + 18].try_into().unwrap()) as usize;
            let d_type = buf[at + 18];
            if reclen == 0 || at + reclen > n {
                return Err(errno::IO);
            }
            let name_bytes = &buf[at + 19..at + reclen];
            let name_len = name_bytes
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_bytes.len());
            let name = &name_bytes[..name_len];
            at += reclen;
            if name == b"." || name == b".." || name.is_empty() {
                continue;
            }
            let filetype = match d_type {
                libc::DT_UNKNOWN => {
                    let entry = Entry {
                        dir: Dir::Start(fd.raw()),
                        name: cstring(name)?,
                        trailing_slash: false,
                    };
                    entry.lstat().map_or(super::types::filetype::UNKNOWN, |st| {
                        super::host::filetype(st.st_mode)
                    })
                }
                other => dirent_filetype(other),
            };
            entries.push(DirEntry {
                name: name.to_vec(),
                ino,
                filetype,
            });
        }
    }
}

/// The WASI file type of a `d_type` (as [`super::host::filetype`] for `st_mode`).
fn dirent_filetype(d_type: u8) -> u8 {
    use super::types::filetype::*;
    match d_type {
        libc::DT_CHR => CHARACTER_DEVICE,
        libc::DT_REG => REGULAR_FILE,
        libc::DT_DIR => DIRECTORY,
        libc::DT_BLK => BLOCK_DEVICE,
        libc::DT_LNK => SYMBOLIC_LINK,
        libc::DT_SOCK => SOCKET_STREAM,
        _ => UNKNOWN,
    }
}

/// Opens a granted host directory for a preopen (relative paths from the working
/// directory). Read access is wanted for listing; a directory the process may only search
/// is opened with `O_PATH` instead. A file is refused with `ENOTDIR`.
pub(crate) fn open_granted_dir(host: &str) -> Result<Fd, OsError> {
    let path = CString::new(host).map_err(|_| OsError(libc::EINVAL))?;
    let open = |extra: c_int| {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | extra;
        // SAFETY: `path` is NUL-terminated.
        match unsafe { libc::open(path.as_ptr(), flags) } {
            -1 => Err(OsError::last()),
            // SAFETY: a new descriptor, owned by nothing else.
            fd => Ok(unsafe { Fd::from_raw(fd) }),
        }
    };
    match open(0) {
        Err(OsError(libc::EACCES)) => open(crate::sys::fs::O_PATH),
        other => other,
    }
}

#[cfg(test)]
mod tests;
