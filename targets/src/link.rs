//! Linking a compiled module's object with the runtime library into an executable.

use crate::Target;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why an executable could not be linked.
#[derive(Debug)]
pub struct LinkError(pub String);

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const RUNTIME_LIB_NAME: &str = "libkiln_runtime.a";

/// Environment variable naming the runtime library to link instead of the one found
/// next to the `kiln` executable.
pub const RUNTIME_LIB_ENV: &str = "KILN_RUNTIME_LIB";

/// Where the runtime static library for `target` is: `$KILN_RUNTIME_LIB`, else next to
/// the running `kiln` (which is both the distribution layout and `target/<profile>/`
/// in a workspace build).
pub fn runtime_library(target: &Target) -> Result<PathBuf, LinkError> {
    if let Some(path) = std::env::var_os(RUNTIME_LIB_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(LinkError(format!(
                "{RUNTIME_LIB_ENV} names `{}`, which does not exist",
                path.display()
            )))
        };
    }
    if !target.is_host() {
        return Err(LinkError(format!(
            "linking executables for `{}` is not supported yet; use `--emit obj` and link the \
             object with a kiln runtime library built for that target",
            target.short_name().unwrap_or("?")
        )));
    }
    let exe = std::env::current_exe()
        .map_err(|e| LinkError(format!("cannot locate the kiln executable: {e}")))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let path = dir.join(RUNTIME_LIB_NAME);
    if path.is_file() {
        Ok(path)
    } else {
        Err(LinkError(format!(
            "the runtime library `{}` is missing; build it with `cargo build -p kiln-runtime` \
             (same profile as kiln) or set {RUNTIME_LIB_ENV}",
            path.display()
        )))
    }
}

/// Links `objects` and `runtime` into the executable `output` with the host's `cc`.
pub fn link_executable(
    target: &Target,
    objects: &[&Path],
    runtime: &Path,
    output: &Path,
) -> Result<(), LinkError> {
    if !target.is_host() {
        return Err(LinkError(format!(
            "linking executables for `{}` is not supported yet; use `--emit obj`",
            target.short_name().unwrap_or("?")
        )));
    }
    let mut cc = Command::new("cc");
    cc.args(objects)
        .arg(runtime)
        .arg("-o")
        .arg(output)
        .args([
            "-Wl,--gc-sections",
            "-lgcc_s",
            "-lutil",
            "-lrt",
            "-lpthread",
        ])
        .args(["-lm", "-ldl", "-lc"]);
    let out = cc
        .output()
        .map_err(|e| LinkError(format!("cannot run the linker `cc`: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(LinkError(format!(
            "linking with `cc` failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        )))
    }
}
