//! The compile cache behind `kiln run`: one executable per (module, options, kiln build),
//! keyed by a SHA-256 digest, written atomically so concurrent runs are safe.

use crate::{build_bytes, Emit, Error, Options};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Environment variable naming the cache directory.
pub const CACHE_DIR_ENV: &str = "KILN_CACHE_DIR";

/// `$KILN_CACHE_DIR`, else `$XDG_CACHE_HOME/kiln`, else `$HOME/.cache/kiln`.
pub fn cache_dir() -> Result<PathBuf, Error> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var(CACHE_DIR_ENV)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("kiln")))
        .or_else(|| var("HOME").map(|d| d.join(".cache/kiln")))
        .ok_or_else(|| Error::new(format!("no cache directory: set {CACHE_DIR_ENV} or HOME")))
}

/// The executable for `wasm` under `options`, compiled now unless already cached.
pub fn cached_executable(wasm: &[u8], options: &Options) -> Result<PathBuf, Error> {
    let dir = cache_dir()?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::new(format!("cannot create the cache `{}`: {e}", dir.display())))?;
    let exe = dir.join(format!(
        "{}{}",
        cache_key(wasm, options),
        options.target.exe_suffix()
    ));
    if !exe.is_file() {
        let options = Options {
            emit: Emit::Exe,
            ..options.clone()
        };
        build_bytes(wasm, &exe, &options)?;
    }
    Ok(exe)
}

/// Digest of the module, the complete compile configuration, and the identity of this kiln
/// build and its runtime library (so upgrading either invalidates the cache).
///
/// The configuration enters as the `Debug` text of the whole [`Options`] (output kind fixed
/// to an executable), so an option added later is part of the key without anyone listing
/// it here: a cached build is reused only when every option matches.
fn cache_key(wasm: &[u8], options: &Options) -> String {
    let configuration = Options {
        emit: Emit::Exe,
        ..options.clone()
    };
    let mut hash = Sha256::new();
    hash.update(wasm);
    hash.update(format!(
        "\n{configuration:?}\n{}\n",
        env!("CARGO_PKG_VERSION")
    ));
    let runtime = kiln_targets::runtime_library(&options.target).ok();
    for file in [std::env::current_exe().ok(), runtime]
        .into_iter()
        .flatten()
    {
        hash.update(stamp(&file));
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Path, size and modification time of a file.
fn stamp(path: &Path) -> String {
    let meta = std::fs::metadata(path).ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    let modified = meta.and_then(|m| m.modified().ok());
    format!("{}:{size}:{modified:?}\n", path.display())
}
