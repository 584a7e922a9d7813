//! The deployer's grants, read from the executable's manifest (`abi::manifest`) and opened
//! at start-up, before the guest runs.

use super::args_env::granted_env;
#[cfg(unix)]
use super::sandbox::open_granted_dir;
#[cfg(windows)]
use super::windows_fs::open_granted_dir;
use crate::prelude::*;
use crate::sys::Fd;
use kiln_abi::manifest::Grant;

/// A directory granted to the guest.
pub struct Preopen {
    pub(crate) dir: Fd,
    /// The path the guest sees (`fd_prestat_dir_name`).
    pub(crate) guest: Vec<u8>,
    pub(crate) read_only: bool,
}

/// What a module is granted beyond its arguments and stdio; [`Grants::default`] is
/// nothing at all.
#[derive(Default)]
pub struct Grants {
    /// `KEY=VALUE` strings.
    pub(crate) env: Vec<Vec<u8>>,
    /// In grant order: they become fds 3, 4, ...
    pub(crate) preopens: Vec<Preopen>,
}

impl Grants {
    /// Opens every granted directory (a relative host path is relative to the working
    /// directory now) and collects the granted environment: the host's whole environment
    /// if `InheritEnv` is granted, then every `Env` grant (which overrides an inherited
    /// variable of the same name; of two `Env` grants of one name the last wins).
    ///
    /// A host path that cannot be opened as a directory (missing, not a directory, no
    /// permission) is an error message: the program does not run with fewer grants than
    /// the deployer wrote.
    pub fn open(grants: &[Grant]) -> Result<Grants, String> {
        let env = granted_env(grants);
        let mut preopens = Vec::new();
        for grant in grants {
            if let Grant::Dir {
                host,
                guest,
                read_only,
            } = grant
            {
                let dir = open_granted_dir(host).map_err(|e| {
                    let e = e.to_string();
                    let reason = e.split(" (os error").next().unwrap_or(&e);
                    format!("cannot open granted directory `{host}` (for `{guest}`): {reason}")
                })?;
                preopens.push(Preopen {
                    dir,
                    guest: guest.as_bytes().to_vec(),
                    read_only: *read_only,
                });
            }
        }
        Ok(Grants { env, preopens })
    }
}
