//! The WASI state: arguments, environment and the descriptor table.
//!
//! Deny by default: the table starts with fds 0, 1 and 2 (host stdin, stdout, stderr) and
//! nothing else; the deployer's grants ([`super::Grants`]) add the environment and the
//! preopened directories (fds 3, 4, ... in grant order) when [`install`]ed.
//!
//! The state belongs to the thread that runs the guest (`kiln_run_main` installs it on its
//! wasm thread; a wasm32-wasi module has one thread). Each thread starts with the empty
//! sandbox above, which also gives every unit test a state of its own.

use super::dirs::DirEntry;
use super::grants::Grants;
use super::ret;
use super::types::{errno, rights, Errno};
use crate::prelude::*;
use crate::sys::{self, Fd, RawHost, ThreadLocal};
use alloc::collections::BTreeSet;
use core::cell::RefCell;
use kiln_abi::VMContext;

/// What a descriptor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Host stdin, stdout or stderr.
    Stdio,
    /// Anything opened with `path_open` that is not a directory.
    File,
    /// A preopen or a directory opened with `path_open`: `path_*` calls resolve beneath it.
    Directory,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FdEntry {
    pub host: RawHost,
    pub kind: Kind,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    /// Whether closing the WASI fd closes the host fd (never for host stdio: the runtime
    /// itself still reports traps on fd 2).
    pub owned: bool,
    /// Reached through a read-only grant: no right in [`rights::MUTATING`] is usable,
    /// whatever the rights say (they never contain one anyway).
    pub read_only: bool,
}

/// One open descriptor and what belongs to it.
#[derive(Debug, PartialEq, Eq)]
struct Slot {
    entry: FdEntry,
    /// The guest path of a preopened directory.
    preopen: Option<Vec<u8>>,
    /// The listing `fd_readdir` serves cookies from, read again at cookie 0.
    listing: Option<Vec<DirEntry>>,
}

/// The guest's descriptors. Numbers are handed out as wasmtime does (WASI preview1 leaves
/// the order open, and programs were tested against wasmtime): the highest number freed
/// by `fd_close` or `fd_renumber` and not reused yet, else one above the highest open
/// descriptor. So after closing 4 then 6 the next two opens get 6, then 4 (not 4 first).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FdTable {
    slots: Vec<Option<Slot>>,
    freed: BTreeSet<u32>,
}

impl FdTable {
    pub fn with_stdio() -> FdTable {
        let stdio = |n| {
            Some(Slot {
                entry: FdEntry {
                    host: sys::stdio_host(n),
                    kind: Kind::Stdio,
                    rights_base: rights::STDIO,
                    rights_inheriting: rights::STDIO,
                    owned: false,
                    read_only: false,
                },
                preopen: None,
                listing: None,
            })
        };
        FdTable {
            slots: vec![stdio(0), stdio(1), stdio(2)],
            freed: BTreeSet::new(),
        }
    }

    fn slot(&self, fd: u32) -> Result<&Slot, Errno> {
        self.slots
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(errno::BADF)
    }

    fn slot_mut(&mut self, fd: u32) -> Result<&mut Slot, Errno> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(errno::BADF)
    }

    pub fn get(&self, fd: u32) -> Result<FdEntry, Errno> {
        self.slot(fd).map(|s| s.entry)
    }

    /// The entry, if it has all of `required` rights (`ENOTCAPABLE` otherwise).
    pub fn get_with(&self, fd: u32, required: u64) -> Result<FdEntry, Errno> {
        let e = self.get(fd)?;
        let read_only_violation = e.read_only && required & rights::MUTATING != 0;
        if e.rights_base & required == required && !read_only_violation {
            Ok(e)
        } else {
            Err(errno::NOTCAPABLE)
        }
    }

    /// Adds a descriptor at the next number (see [`FdTable`] for the order).
    pub fn insert(&mut self, entry: FdEntry, preopen: Option<Vec<u8>>) -> u32 {
        let slot = Some(Slot {
            entry,
            preopen,
            listing: None,
        });
        let fd = match self.freed.pop_last() {
            Some(fd) => fd as usize,
            None => self
                .slots
                .iter()
                .rposition(Option::is_some)
                .map_or(0, |i| i + 1),
        };
        if fd >= self.slots.len() {
            self.slots.resize_with(fd + 1, || None);
        }
        self.slots[fd] = slot;
        fd as u32
    }

    /// Removes `fd`, returning its entry (the caller closes the host fd if owned).
    pub fn remove(&mut self, fd: u32) -> Result<FdEntry, Errno> {
        let e = self.get(fd)?;
        self.slots[fd as usize] = None;
        self.freed.insert(fd);
        Ok(e)
    }

    /// `fd_renumber`: moves `from` to `to` (both must be open), returning the entry that
    /// was at `to` (to be closed by the caller if owned). `from` becomes free.
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<Option<FdEntry>, Errno> {
        self.get(from)?;
        let displaced = self.get(to)?;
        if from == to {
            return Ok(None);
        }
        self.slots[to as usize] = self.slots[from as usize].take();
        self.freed.insert(from);
        Ok(Some(displaced))
    }

    /// Puts `host` in place of the host file of `fd` (an owned one), returning the old one
    /// for the caller to close (Windows reopens a file to change its `fdflags`).
    #[cfg(windows)]
    pub fn set_host(&mut self, fd: u32, host: RawHost) -> Result<RawHost, Errno> {
        let entry = &mut self.slot_mut(fd)?.entry;
        Ok(core::mem::replace(&mut entry.host, host))
    }

    /// `fd_fdstat_set_rights`: rights can only be dropped.
    pub fn set_rights(&mut self, fd: u32, base: u64, inheriting: u64) -> Result<(), Errno> {
        let e = &mut self.slot_mut(fd)?.entry;
        if base & !e.rights_base != 0 || inheriting & !e.rights_inheriting != 0 {
            return Err(errno::NOTCAPABLE);
        }
        e.rights_base = base;
        e.rights_inheriting = inheriting;
        Ok(())
    }

    /// The guest path of preopen `fd` (`None` if `fd` is open but not a preopen).
    pub fn preopen(&self, fd: u32) -> Result<Option<&[u8]>, Errno> {
        self.slot(fd).map(|s| s.preopen.as_deref())
    }

    /// The cached listing of directory `fd`.
    pub fn listing(&mut self, fd: u32) -> Result<&mut Option<Vec<DirEntry>>, Errno> {
        self.slot_mut(fd).map(|s| &mut s.listing)
    }
}

impl Drop for FdTable {
    fn drop(&mut self) {
        for slot in self.slots.iter().flatten() {
            if slot.entry.owned {
                // SAFETY: the table owns this host fd and is going away.
                unsafe { sys::close_host(slot.entry.host) };
            }
        }
    }
}

pub(crate) struct WasiState {
    pub args: Vec<Vec<u8>>,
    /// `KEY=VALUE` strings.
    pub env: Vec<Vec<u8>>,
    pub fds: FdTable,
}

static STATE: ThreadLocal<RefCell<WasiState>> = ThreadLocal::new(|| {
    RefCell::new(WasiState {
        args: Vec::new(),
        env: Vec::new(),
        fds: FdTable::with_stdio(),
    })
});

pub(crate) fn with_state<R>(f: impl FnOnce(&mut WasiState) -> R) -> R {
    STATE.with(|state| f(&mut state.borrow_mut()))
}

/// Back to the empty sandbox (tests: libtest may run several tests on one thread).
#[cfg(test)]
pub(crate) fn reset() {
    with_state(|s| {
        s.args.clear();
        s.env.clear();
        s.fds = FdTable::with_stdio();
    });
}

/// The entry for `fd` if it has the `required` rights.
pub(crate) fn fd(fd: u32, required: u64) -> Result<FdEntry, Errno> {
    with_state(|s| s.fds.get_with(fd, required))
}

/// Directory `fd` with the `required` rights: `EBADF` if closed, `ENOTDIR` if not a
/// directory, `ENOTCAPABLE` without the rights.
pub(crate) fn directory(fd: u32, required: u64) -> Result<FdEntry, Errno> {
    with_state(|s| {
        if s.fds.get(fd)?.kind != Kind::Directory {
            return Err(errno::NOTDIR);
        }
        s.fds.get_with(fd, required)
    })
}

/// The two directories of `path_link`/`path_rename`: `EBADF` if either is closed before
/// anything else.
pub(crate) fn directories(
    a: u32,
    a_rights: u64,
    b: u32,
    b_rights: u64,
) -> Result<(FdEntry, FdEntry), Errno> {
    with_state(|s| s.fds.get(a).and(s.fds.get(b)))?;
    Ok((directory(a, a_rights)?, directory(b, b_rights)?))
}

/// Sets the program's arguments (argv[0] first), as `args_get` reports them.
pub fn set_args(args: Vec<Vec<u8>>) {
    with_state(|s| s.args = args);
}

/// Grants environment variables (`KEY=VALUE`); by default there are none.
pub fn set_env(vars: Vec<Vec<u8>>) {
    with_state(|s| s.env = vars);
}

/// Adds a preopened directory at the next free fd (3, 4, ... when added first) and
/// returns that fd. The table owns `dir` from now on.
pub(crate) fn add_preopen(dir: Fd, guest: Vec<u8>, read_only: bool) -> u32 {
    let (base, inheriting) = if read_only {
        (
            rights::DIRECTORY & !rights::MUTATING,
            rights::READ_ONLY_INHERITING,
        )
    } else {
        (rights::DIRECTORY, rights::DIRECTORY_INHERITING)
    };
    let entry = FdEntry {
        host: dir.into_raw(),
        kind: Kind::Directory,
        rights_base: base,
        rights_inheriting: inheriting,
        owned: true,
        read_only,
    };
    with_state(|s| s.fds.insert(entry, Some(guest)))
}

/// Installs the arguments and the deployer's grants (environment, preopened directories)
/// on the calling thread, which then runs the guest.
pub fn install(args: Vec<Vec<u8>>, grants: Grants) {
    set_args(args);
    set_env(grants.env);
    for p in grants.preopens {
        add_preopen(p.dir, p.guest, p.read_only);
    }
}

// --- the WASI functions that are the table's alone ---------------------------------

fn close_if_owned(entry: FdEntry) {
    if entry.owned {
        // SAFETY: the table owned this host file and has just let go of it.
        unsafe { sys::close_host(entry.host) };
    }
}

/// # Safety
/// None beyond the host-function contract: the vmctx is not used.
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_close(_vmctx: *mut VMContext, fd: u32) -> i32 {
    ret(with_state(|s| s.fds.remove(fd)).map(close_if_owned))
}

/// # Safety
/// As for [`kiln_wasi_fd_close`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_renumber(_vmctx: *mut VMContext, from: u32, to: u32) -> i32 {
    ret(with_state(|s| s.fds.renumber(from, to))
        .map(|displaced| displaced.into_iter().for_each(close_if_owned)))
}

/// # Safety
/// As for [`kiln_wasi_fd_close`].
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_fd_fdstat_set_rights(
    _vmctx: *mut VMContext,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> i32 {
    ret(with_state(|s| s.fds.set_rights(fd, base, inheriting)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::c_int;

    fn file(host: RawHost) -> FdEntry {
        FdEntry {
            host,
            kind: Kind::File,
            rights_base: rights::FILE,
            rights_inheriting: 0,
            owned: false,
            read_only: false,
        }
    }

    #[test]
    fn stdio_only() {
        let t = FdTable::with_stdio();
        for fd in 0..3 {
            assert_eq!(t.get(fd).unwrap().host, sys::stdio_host(fd as c_int));
            assert!(!t.get(fd).unwrap().owned);
            assert_eq!(t.preopen(fd), Ok(None));
        }
        assert_eq!(t.get(3), Err(errno::BADF));
        assert_eq!(t.get(u32::MAX), Err(errno::BADF));
        assert_eq!(t.preopen(3), Err(errno::BADF));
    }

    #[test]
    fn rights_only_shrink() {
        let mut t = FdTable::with_stdio();
        assert_eq!(t.get_with(1, rights::FD_WRITE).map(|e| e.host), Ok(1));
        t.set_rights(1, rights::FD_READ, 0).unwrap();
        assert_eq!(t.get_with(1, rights::FD_WRITE), Err(errno::NOTCAPABLE));
        assert_eq!(
            t.set_rights(1, rights::FD_READ | rights::FD_WRITE, 0),
            Err(errno::NOTCAPABLE)
        );
        assert_eq!(t.set_rights(1, rights::FD_READ, 1), Err(errno::NOTCAPABLE));
        assert_eq!(t.set_rights(1, 0, 0), Ok(()));
        assert_eq!(t.set_rights(7, 0, 0), Err(errno::BADF));
    }

    #[test]
    fn read_only_entries_refuse_mutating_rights_whatever_they_hold() {
        let mut t = FdTable::with_stdio();
        let fd = t.insert(
            FdEntry {
                read_only: true,
                ..file(-1)
            },
            None,
        );
        assert!(t.get_with(fd, rights::FD_READ).is_ok());
        for r in [rights::FD_WRITE, rights::PATH_CREATE_FILE, rights::FD_SYNC] {
            assert_eq!(t.get_with(fd, r), Err(errno::NOTCAPABLE));
        }
    }

    #[test]
    fn numbers_are_reused_highest_first_like_wasmtime() {
        let mut t = FdTable::with_stdio();
        assert_eq!(t.insert(file(-1), Some(b"/a".to_vec())), 3);
        assert_eq!(t.insert(file(-2), None), 4);
        assert_eq!(t.insert(file(-3), None), 5);
        assert_eq!(t.insert(file(-4), None), 6);
        assert_eq!(t.preopen(3), Ok(Some(&b"/a"[..])));
        t.remove(4).unwrap();
        t.remove(6).unwrap();
        assert_eq!(
            t.insert(file(-5), None),
            6,
            "the highest freed number first"
        );
        assert_eq!(t.insert(file(-6), None), 4);
        assert_eq!(
            t.insert(file(-7), None),
            7,
            "then above the highest open one"
        );
        // A renumbered descriptor's old number is free; the preopen name moves with it.
        t.remove(3).unwrap();
        let fd = t.insert(file(-8), Some(b"/p".to_vec()));
        assert_eq!(fd, 3);
        assert_eq!(t.renumber(fd, 5).unwrap().unwrap().host, -3);
        assert_eq!(t.preopen(5), Ok(Some(&b"/p"[..])));
        assert_eq!(t.get(3), Err(errno::BADF));
        assert_eq!(t.insert(file(-9), None), 3);
        // Closing stdout frees 1, which is reused only when nothing higher is free.
        t.remove(1).unwrap();
        t.remove(7).unwrap();
        assert_eq!(t.insert(file(-10), None), 7);
        assert_eq!(t.insert(file(-11), None), 1);
    }

    #[test]
    fn close_and_renumber() {
        let mut t = FdTable::with_stdio();
        assert_eq!(t.renumber(1, 5), Err(errno::BADF), "target must be open");
        assert_eq!(t.renumber(5, 1), Err(errno::BADF));
        assert_eq!(t.renumber(1, 1), Ok(None));
        let displaced = t.renumber(2, 1).unwrap().unwrap();
        assert_eq!(displaced.host, 1);
        assert_eq!(t.get(1).unwrap().host, 2);
        assert_eq!(t.get(2), Err(errno::BADF));
        assert_eq!(t.remove(1).unwrap().host, 2);
        assert_eq!(t.remove(1), Err(errno::BADF));
        assert_eq!(t.get(0).unwrap().host, 0);
    }
}
