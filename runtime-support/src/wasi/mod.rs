//! WASI preview1 (`wasi_snapshot_preview1`), deny-by-default.
//!
//! Every function in [`abi::wasi::FUNCTIONS`] is a `#[no_mangle] extern "C"
//! fn kiln_wasi_<name>(vmctx, params...) -> i32` with the compiled-code calling convention,
//! so an import calls it directly with the importing instance's vmctx (whose memory is the
//! guest memory). The sandbox grants the program its arguments and host stdin, stdout and
//! stderr as fds 0-2, and nothing else unless the deployer granted it at compile time
//! ([`Grants`]: preopened directories, read-write or read-only, and environment
//! variables). Paths resolve beneath the preopened directories (`sandbox` on Linux and
//! macOS, `windows_fs` on Windows); there are no sockets.

use crate::prelude::*;
mod args_env;
#[cfg(unix)]
mod clock_random;
mod dirs;
mod fd;
mod grants;
mod guest;
#[cfg(unix)]
mod host;
mod io;
mod path;
#[cfg(unix)]
mod poll;
#[cfg(unix)]
pub(crate) mod sandbox;
#[cfg(unix)]
mod sock;
mod state;
pub mod types;
#[cfg(unix)]
mod unix_fs;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
mod windows_fs;
// On Windows, `windows` implements what these Unix modules do; the table below names
// the same paths.
#[cfg(windows)]
use windows::{self as clock_random, self as poll, self as sock};
// The platform's descriptor primitives under the shared `io` and `fd` layers.
#[cfg(unix)]
use unix_fs as host_fs;
#[cfg(windows)]
use windows_fs as host_fs;

pub use grants::{Grants, Preopen};
pub use state::{install, set_args, set_env};

use crate::instance::{signature_name, Extern};
use crate::sys;
use guest::GuestMemory;
#[cfg(test)]
use kiln_abi::valtype;
use kiln_abi::{self as abi, extern_kind, ImportDesc, ModuleDescriptor, VMContext};
use types::Errno;

/// Statuses from this one up are not passed through from `proc_exit`: shells and Kiln use
/// them for other things (126/127: cannot run, 128 + N: killed by signal N, 134: a trap).
pub const FIRST_RESERVED_EXIT_STATUS: u32 = 126;

/// `proc_exit(code)`: exits with `code` when it is below [`FIRST_RESERVED_EXIT_STATUS`];
/// any other code is refused with a message and status 1, as wasmtime does, so that 134
/// always means a trap. (AssemblyScript's `abort()` calls `proc_exit(255)`.)
fn proc_exit(code: u32) -> ! {
    if code >= FIRST_RESERVED_EXIT_STATUS {
        sys::write_stderr(
            format!(
                "error: proc_exit({code}): exit status outside [0, {FIRST_RESERVED_EXIT_STATUS}) \
                 (126 and above are reserved, 134 means a trap); exiting with status 1\n"
            )
            .as_bytes(),
        );
        sys::exit_now(1);
    }
    sys::exit_now(code as i32)
}

/// What a WASI function returns: 0 or an errno.
fn ret(result: Result<(), Errno>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => i32::from(e),
    }
}

/// Value type code of a host function parameter type.
#[cfg(test)]
trait WasmType {
    const CODE: u8;
}
#[cfg(test)]
impl WasmType for u32 {
    const CODE: u8 = valtype::I32;
}
#[cfg(test)]
impl WasmType for u64 {
    const CODE: u8 = valtype::I64;
}
#[cfg(test)]
impl WasmType for i64 {
    const CODE: u8 = valtype::I64;
}

#[cfg(test)]
macro_rules! results {
    (i32) => {
        vec![valtype::I32]
    };
    (!) => {
        vec![]
    };
}

/// Builds the name → function table from one list, so the pointer cast checks each
/// function's exact signature and the test can compare it with `abi::wasi::FUNCTIONS`.
macro_rules! wasi_functions {
    ($($name:literal => $f:path, ($($p:ty),*) -> $r:tt;)*) => {
        /// The host function implementing WASI preview1 function `name`.
        pub fn wasi_function(name: &str) -> Option<*const u8> {
            match name {
                $($name => Some($f as unsafe extern "C" fn(*mut VMContext $(, $p)*) -> $r as *const u8),)*
                _ => None,
            }
        }

        #[cfg(test)]
        fn implemented_signatures() -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
            vec![$(($name, vec![$(<$p as WasmType>::CODE),*], results!($r))),*]
        }
    };
}

wasi_functions! {
    "args_get" => args_env::kiln_wasi_args_get, (u32, u32) -> i32;
    "args_sizes_get" => args_env::kiln_wasi_args_sizes_get, (u32, u32) -> i32;
    "environ_get" => args_env::kiln_wasi_environ_get, (u32, u32) -> i32;
    "environ_sizes_get" => args_env::kiln_wasi_environ_sizes_get, (u32, u32) -> i32;
    "clock_res_get" => clock_random::kiln_wasi_clock_res_get, (u32, u32) -> i32;
    "clock_time_get" => clock_random::kiln_wasi_clock_time_get, (u32, u64, u32) -> i32;
    "fd_advise" => fd::kiln_wasi_fd_advise, (u32, u64, u64, u32) -> i32;
    "fd_allocate" => fd::kiln_wasi_fd_allocate, (u32, u64, u64) -> i32;
    "fd_close" => state::kiln_wasi_fd_close, (u32) -> i32;
    "fd_datasync" => fd::kiln_wasi_fd_datasync, (u32) -> i32;
    "fd_fdstat_get" => fd::kiln_wasi_fd_fdstat_get, (u32, u32) -> i32;
    "fd_fdstat_set_flags" => fd::kiln_wasi_fd_fdstat_set_flags, (u32, u32) -> i32;
    "fd_fdstat_set_rights" => state::kiln_wasi_fd_fdstat_set_rights, (u32, u64, u64) -> i32;
    "fd_filestat_get" => fd::kiln_wasi_fd_filestat_get, (u32, u32) -> i32;
    "fd_filestat_set_size" => fd::kiln_wasi_fd_filestat_set_size, (u32, u64) -> i32;
    "fd_filestat_set_times" => fd::kiln_wasi_fd_filestat_set_times, (u32, u64, u64, u32) -> i32;
    "fd_pread" => io::kiln_wasi_fd_pread, (u32, u32, u32, u64, u32) -> i32;
    "fd_prestat_get" => dirs::kiln_wasi_fd_prestat_get, (u32, u32) -> i32;
    "fd_prestat_dir_name" => dirs::kiln_wasi_fd_prestat_dir_name, (u32, u32, u32) -> i32;
    "fd_pwrite" => io::kiln_wasi_fd_pwrite, (u32, u32, u32, u64, u32) -> i32;
    "fd_read" => io::kiln_wasi_fd_read, (u32, u32, u32, u32) -> i32;
    "fd_readdir" => dirs::kiln_wasi_fd_readdir, (u32, u32, u32, u64, u32) -> i32;
    "fd_renumber" => state::kiln_wasi_fd_renumber, (u32, u32) -> i32;
    "fd_seek" => io::kiln_wasi_fd_seek, (u32, i64, u32, u32) -> i32;
    "fd_sync" => fd::kiln_wasi_fd_sync, (u32) -> i32;
    "fd_tell" => io::kiln_wasi_fd_tell, (u32, u32) -> i32;
    "fd_write" => io::kiln_wasi_fd_write, (u32, u32, u32, u32) -> i32;
    "path_create_directory" => path::kiln_wasi_path_create_directory, (u32, u32, u32) -> i32;
    "path_filestat_get" => path::kiln_wasi_path_filestat_get, (u32, u32, u32, u32, u32) -> i32;
    "path_filestat_set_times" => path::kiln_wasi_path_filestat_set_times, (u32, u32, u32, u32, u64, u64, u32) -> i32;
    "path_link" => path::kiln_wasi_path_link, (u32, u32, u32, u32, u32, u32, u32) -> i32;
    "path_open" => path::kiln_wasi_path_open, (u32, u32, u32, u32, u32, u64, u64, u32, u32) -> i32;
    "path_readlink" => path::kiln_wasi_path_readlink, (u32, u32, u32, u32, u32, u32) -> i32;
    "path_remove_directory" => path::kiln_wasi_path_remove_directory, (u32, u32, u32) -> i32;
    "path_rename" => path::kiln_wasi_path_rename, (u32, u32, u32, u32, u32, u32) -> i32;
    "path_symlink" => path::kiln_wasi_path_symlink, (u32, u32, u32, u32, u32) -> i32;
    "path_unlink_file" => path::kiln_wasi_path_unlink_file, (u32, u32, u32) -> i32;
    "poll_oneoff" => poll::kiln_wasi_poll_oneoff, (u32, u32, u32, u32) -> i32;
    "proc_exit" => clock_random::kiln_wasi_proc_exit, (u32) -> !;
    "proc_raise" => clock_random::kiln_wasi_proc_raise, (u32) -> i32;
    "random_get" => clock_random::kiln_wasi_random_get, (u32, u32) -> i32;
    "sched_yield" => clock_random::kiln_wasi_sched_yield, () -> i32;
    "sock_accept" => sock::kiln_wasi_sock_accept, (u32, u32, u32) -> i32;
    "sock_recv" => sock::kiln_wasi_sock_recv, (u32, u32, u32, u32, u32, u32) -> i32;
    "sock_send" => sock::kiln_wasi_sock_send, (u32, u32, u32, u32, u32) -> i32;
    "sock_shutdown" => sock::kiln_wasi_sock_shutdown, (u32, u32) -> i32;
}

/// The import resolver of a standalone executable: WASI functions, checked against the
/// import's type; anything else is an unknown import.
///
/// # Safety
/// `desc` must be a valid compiler-emitted descriptor.
pub unsafe fn resolver(
    desc: &'static ModuleDescriptor,
) -> impl FnMut(&ImportDesc) -> Result<Extern, String> {
    move |import| {
        // SAFETY: descriptor contents are valid (caller's contract).
        let (module, name) = unsafe { (import.module.as_str(), import.name.as_str()) };
        let entry = abi::wasi::FUNCTIONS.iter().find(|f| f.0 == name);
        let (Some(&(_, params, results)), Some(host_fn), abi::wasi::MODULE) =
            (entry, wasi_function(name), module)
        else {
            return Err(format!("unknown import `{module}::{name}`"));
        };
        let incompatible =
            |what: String| format!("incompatible import type for `{module}::{name}`: {what}");
        if import.kind != extern_kind::FUNC {
            return Err(incompatible("expected a function".into()));
        }
        // SAFETY: as above.
        let (functions, types) = unsafe { (desc.functions.as_slice(), desc.types.as_slice()) };
        let ty = functions
            .get(import.index as usize)
            .and_then(|f| types.get(f.type_index as usize))
            .ok_or_else(|| format!("malformed descriptor: import `{module}::{name}`"))?;
        // SAFETY: as above.
        let (p, r) = unsafe { (ty.params.as_slice(), ty.results.as_slice()) };
        if p != params || r != results {
            return Err(incompatible(format!(
                "expected {}, found {}",
                signature_name(params, results),
                signature_name(p, r)
            )));
        }
        Ok(Extern::HostFunc(host_fn))
    }
}

#[cfg(test)]
mod tests;
