//! The process's WASI state: arguments, environment and the descriptor table.
//!
//! Deny by default: the table starts with fds 0, 1 and 2 (host stdin, stdout, stderr) and
//! nothing else: no preopened directories, no environment unless [`set_env`] grants it.

use super::types::{errno, rights, Errno};
use core::ffi::c_int;
use std::sync::{LazyLock, Mutex, PoisonError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FdEntry {
    pub host: c_int,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    /// Whether closing the WASI fd closes the host fd (never for host stdio: the runtime
    /// itself still reports traps on fd 2).
    pub owned: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FdTable {
    slots: Vec<Option<FdEntry>>,
}

impl FdTable {
    pub fn with_stdio() -> FdTable {
        let stdio = |host| {
            Some(FdEntry {
                host,
                rights_base: rights::STDIO,
                rights_inheriting: rights::STDIO,
                owned: false,
            })
        };
        FdTable {
            slots: vec![stdio(0), stdio(1), stdio(2)],
        }
    }

    pub fn get(&self, fd: u32) -> Result<FdEntry, Errno> {
        self.slots
            .get(fd as usize)
            .copied()
            .flatten()
            .ok_or(errno::BADF)
    }

    /// The entry, if it has all of `required` rights (`ENOTCAPABLE` otherwise).
    pub fn get_with(&self, fd: u32, required: u64) -> Result<FdEntry, Errno> {
        let e = self.get(fd)?;
        if e.rights_base & required == required {
            Ok(e)
        } else {
            Err(errno::NOTCAPABLE)
        }
    }

    /// Removes `fd`, returning its entry (the caller closes the host fd if owned).
    pub fn remove(&mut self, fd: u32) -> Result<FdEntry, Errno> {
        let e = self.get(fd)?;
        self.slots[fd as usize] = None;
        Ok(e)
    }

    /// `fd_renumber`: moves `from` to `to` (both must be open), returning the entry that
    /// was at `to` (to be closed by the caller if owned).
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<Option<FdEntry>, Errno> {
        let entry = self.get(from)?;
        let displaced = self.get(to)?;
        if from == to {
            return Ok(None);
        }
        self.slots[to as usize] = Some(entry);
        self.slots[from as usize] = None;
        Ok(Some(displaced))
    }

    /// `fd_fdstat_set_rights`: rights can only be dropped.
    pub fn set_rights(&mut self, fd: u32, base: u64, inheriting: u64) -> Result<(), Errno> {
        let e = self.get(fd)?;
        if base & !e.rights_base != 0 || inheriting & !e.rights_inheriting != 0 {
            return Err(errno::NOTCAPABLE);
        }
        self.slots[fd as usize] = Some(FdEntry {
            rights_base: base,
            rights_inheriting: inheriting,
            ..e
        });
        Ok(())
    }
}

pub(crate) struct WasiState {
    pub args: Vec<Vec<u8>>,
    /// `KEY=VALUE` strings.
    pub env: Vec<Vec<u8>>,
    pub fds: FdTable,
}

static STATE: LazyLock<Mutex<WasiState>> = LazyLock::new(|| {
    Mutex::new(WasiState {
        args: Vec::new(),
        env: Vec::new(),
        fds: FdTable::with_stdio(),
    })
});

pub(crate) fn with_state<R>(f: impl FnOnce(&mut WasiState) -> R) -> R {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    f(&mut state)
}

/// The entry for `fd` if it has the `required` rights.
pub(crate) fn fd(fd: u32, required: u64) -> Result<FdEntry, Errno> {
    with_state(|s| s.fds.get_with(fd, required))
}

/// Sets the program's arguments (argv[0] first), as `args_get` reports them.
pub fn set_args(args: Vec<Vec<u8>>) {
    with_state(|s| s.args = args);
}

/// Grants environment variables (`KEY=VALUE`); by default there are none.
pub fn set_env(vars: Vec<Vec<u8>>) {
    with_state(|s| s.env = vars);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdio_only() {
        let t = FdTable::with_stdio();
        for fd in 0..3 {
            assert_eq!(t.get(fd).unwrap().host, fd as c_int);
            assert!(!t.get(fd).unwrap().owned);
        }
        assert_eq!(t.get(3), Err(errno::BADF));
        assert_eq!(t.get(u32::MAX), Err(errno::BADF));
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
