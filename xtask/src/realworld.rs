//! The real-world programs of `testsuite/tests/realworld.rs` and
//! `testsuite/tests/realworld_fs.rs`: command-line tools from crates.io,
//! installed at pinned versions with `cargo install --locked` twice each, once
//! for `wasm32-wasip1` (what Kiln compiles) and once for the host (what Kiln's
//! output is compared with):
//!
//! ```text
//! target/realworld/wasm/bin/<bin>.wasm
//! target/realworld/native/bin/<bin>
//! target/realworld/build/          CARGO_TARGET_DIR of those builds
//! ```
//!
//! The tools in [`SIMD_TOOLS`] are also built a third time for `wasm32-wasip1`
//! with `-C target-feature=+simd128` (`target/realworld/wasm-simd/bin/`, built in
//! `target/realworld/build-simd/`): their dependencies (memchr, through it the
//! regex engines) then take their wasm SIMD code paths, which is SIMD as real
//! crates write it.
//!
//! The builds use their own target directory, so they never wait for the
//! workspace's build lock. A binary that is present and whose stamp file names
//! the same crate, version and flags is not built again, so after the first run
//! (about five minutes on two cores) this step takes no time and needs no
//! network.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// A command-line tool from crates.io, pinned to one version.
pub struct Tool {
    /// The crate on crates.io.
    pub krate: &'static str,
    /// Exact version; `--locked` makes cargo use the crate's own Cargo.lock.
    pub version: &'static str,
    /// The executable's name (without `.wasm` / `.exe`).
    pub bin: &'static str,
    /// Build without default features (ones that do not build for WASI).
    pub no_default_features: bool,
}

/// The tools the real-world tests run. Each builds with rustc 1.95 for both
/// targets. The first four do their whole job on stdin (and ripgrep also
/// searches a granted directory tree); the compressor reads and writes files in
/// a granted directory.
pub const TOOLS: &[Tool] = &[
    // Text search.
    Tool {
        krate: "ripgrep",
        version: "15.2.0",
        bin: "rg",
        no_default_features: false,
    },
    // Markdown to HTML.
    Tool {
        krate: "pulldown-cmark",
        version: "0.13.6",
        bin: "pulldown-cmark",
        no_default_features: false,
    },
    // JSON query (a jq clone). The default feature is the mimalloc allocator,
    // C code that needs a wasm C toolchain; jaq 2.3 and later depend on
    // rustyline's file history (fd-lock), which does not build for WASI.
    Tool {
        krate: "jaq",
        version: "2.2.0",
        bin: "jaq",
        no_default_features: true,
    },
    // Hex dump.
    Tool {
        krate: "hexyl",
        version: "0.17.0",
        bin: "hexyl",
        no_default_features: false,
    },
    // A bzip2 compressor in pure Rust (the banzai encoder): `bnz FILE` writes
    // FILE.bz2 next to FILE and removes FILE, like bzip2. (szip 1.0.0, the
    // snappy CLI, was the first choice, but its locked filetime 0.2.8 panics
    // with "not implemented" on WASI.)
    Tool {
        krate: "bnz",
        version: "0.3.2",
        bin: "bnz",
        no_default_features: false,
    },
];

/// The tools also built with wasm SIMD (`+simd128`): their searches go through
/// memchr's `core::arch::wasm32` implementation.
pub const SIMD_TOOLS: &[&str] = &["rg", "pulldown-cmark"];

const WASM_TARGET: &str = "wasm32-wasip1";

/// Installs every tool in [`TOOLS`] for wasm32-wasip1 into
/// `<target>/realworld/wasm/bin/` and for the host into
/// `<target>/realworld/native/bin/`, skipping those already there.
pub fn build_realworld(workspace_root: &Path) -> Result<(), String> {
    let root = realworld_dir(workspace_root);
    let host = host_triple()?;
    for kind in [Kind::Wasm, Kind::Native, Kind::WasmSimd] {
        let build_dir = root.join(kind.build_dir());
        for tool in TOOLS {
            if matches!(kind, Kind::WasmSimd) && !SIMD_TOOLS.contains(&tool.bin) {
                continue;
            }
            let install_root = root.join(kind.dir());
            let bin = install_root.join("bin").join(kind.file_name(tool.bin));
            let stamp = install_root.join("stamps").join(tool.bin);
            let spec = stamp_text(tool, kind);
            if bin.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&spec) {
                continue;
            }
            let target = match kind {
                Kind::Wasm | Kind::WasmSimd => {
                    check_wasm_target()?;
                    WASM_TARGET
                }
                Kind::Native => host.as_str(),
            };
            eprintln!(
                "xtask: building {} {} for {target} (real-world tests; first time only)",
                tool.krate, tool.version
            );
            let started = Instant::now();
            let mut command = cargo();
            command
                .args([
                    "install", "--locked", "--force", "--target", target, "--root",
                ])
                .arg(&install_root)
                .env("CARGO_TARGET_DIR", &build_dir)
                // Not the workspace: its .cargo/config.toml must not apply.
                .current_dir(std::env::temp_dir());
            if tool.no_default_features {
                command.arg("--no-default-features");
            }
            if let Kind::WasmSimd = kind {
                command.env("RUSTFLAGS", SIMD_RUSTFLAGS);
            }
            command.arg(format!("{}@{}", tool.krate, tool.version));
            let shown = format!("{command:?}");
            let status = command
                .status()
                .map_err(|e| format!("cannot run {shown}: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "installing {}@{} for {target} failed ({status}).\n  command: {shown}\n  \
                     It needs crates.io on first use; the build output above says what went wrong.",
                    tool.krate, tool.version
                ));
            }
            if !bin.is_file() {
                return Err(format!(
                    "`cargo install {}@{}` succeeded but did not produce {}",
                    tool.krate,
                    tool.version,
                    bin.display()
                ));
            }
            let stamp_dir = stamp.parent().expect("stamp has a parent");
            std::fs::create_dir_all(stamp_dir)
                .and_then(|()| std::fs::write(&stamp, &spec))
                .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
            eprintln!(
                "xtask: built {} in {:.0} s",
                bin.display(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// RUSTFLAGS of the `Kind::WasmSimd` builds.
const SIMD_RUSTFLAGS: &str = "-C target-feature=+simd128";

#[derive(Clone, Copy)]
enum Kind {
    Wasm,
    Native,
    /// wasm32-wasip1 with SIMD (`SIMD_RUSTFLAGS`).
    WasmSimd,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Wasm => "wasm",
            Kind::Native => "native",
            Kind::WasmSimd => "wasm-simd",
        }
    }

    /// Its own cargo target directory: other RUSTFLAGS would rebuild the plain ones.
    fn build_dir(self) -> &'static str {
        match self {
            Kind::WasmSimd => "build-simd",
            Kind::Wasm | Kind::Native => "build",
        }
    }

    fn file_name(self, bin: &str) -> String {
        match self {
            Kind::Wasm | Kind::WasmSimd => format!("{bin}.wasm"),
            Kind::Native => format!("{bin}{}", std::env::consts::EXE_SUFFIX),
        }
    }
}

/// What a stamp file holds: everything that decides what was built.
fn stamp_text(tool: &Tool, kind: Kind) -> String {
    format!(
        "{}@{} {}{}{}\n",
        tool.krate,
        tool.version,
        kind.dir(),
        if tool.no_default_features {
            " --no-default-features"
        } else {
            ""
        },
        match kind {
            Kind::WasmSimd => format!(" RUSTFLAGS={SIMD_RUSTFLAGS}"),
            Kind::Wasm | Kind::Native => String::new(),
        }
    )
}

/// `<target>/realworld`, where `<target>` is `$CARGO_TARGET_DIR` or `<root>/target`.
fn realworld_dir(workspace_root: &Path) -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root.join(dir),
        None => workspace_root.join("target"),
    };
    target.join("realworld")
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn rustc() -> Command {
    Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
}

/// The host's target triple, from `rustc -vV`. Passed explicitly so that a
/// `build.target` setting or `CARGO_BUILD_TARGET` cannot change the native build.
fn host_triple() -> Result<String, String> {
    let output = rustc()
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run `rustc -vV`: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_owned())
        .ok_or_else(|| "`rustc -vV` did not print a `host:` line".to_owned())
}

/// The wasm32-wasip1 standard library must be installed.
fn check_wasm_target() -> Result<(), String> {
    let output = rustc()
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run `rustc --print sysroot`: {e}"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        Ok(())
    } else {
        Err(format!(
            "the Rust target {WASM_TARGET} is not installed (no {}); the real-world tests need it. Run:\n    rustup target add {WASM_TARGET}",
            sysroot.join("lib/rustlib").join(WASM_TARGET).display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_pinned_to_exact_versions() {
        for tool in TOOLS {
            let parts: Vec<&str> = tool.version.split('.').collect();
            assert_eq!(parts.len(), 3, "{}: {}", tool.krate, tool.version);
            assert!(
                parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
                "{}: {} is not an exact version",
                tool.krate,
                tool.version
            );
        }
        let mut bins: Vec<&str> = TOOLS.iter().map(|t| t.bin).collect();
        bins.sort_unstable();
        bins.dedup();
        assert_eq!(bins, ["bnz", "hexyl", "jaq", "pulldown-cmark", "rg"]);
    }

    #[test]
    fn stamps_change_with_version_and_flags() {
        let tool = &TOOLS[2];
        let other = Tool {
            version: "0.0.1",
            ..*tool
        };
        assert_ne!(stamp_text(tool, Kind::Wasm), stamp_text(&other, Kind::Wasm));
        assert_ne!(stamp_text(tool, Kind::Wasm), stamp_text(tool, Kind::Native));
        assert!(stamp_text(tool, Kind::Wasm).contains("--no-default-features"));
        assert!(stamp_text(tool, Kind::WasmSimd).contains("+simd128"));
        for bin in SIMD_TOOLS {
            assert!(TOOLS.iter().any(|t| t.bin == *bin), "{bin} is not a tool");
        }
    }
}
