//! Linking a compiled module's object with the runtime library into an executable:
//! where the runtime library for a target is, and the link recipes tried in order.

use crate::{Libc, Target};
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use target_lexicon::BinaryFormat;

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
/// beside the `kiln` executable.
pub const RUNTIME_LIB_ENV: &str = "KILN_RUNTIME_LIB";

/// The directory of the running `kiln`.
fn kiln_dir() -> Option<PathBuf> {
    Some(std::env::current_exe().ok()?.parent()?.to_path_buf())
}

/// For a `kiln` inside a cargo target directory (`target/<profile>/kiln`; cargo marks the
/// directory with `CACHEDIR.TAG`): the target directory and the profile.
fn cargo_layout(kiln_dir: &Path) -> Option<(&Path, &OsStr)> {
    let target_dir = kiln_dir.parent()?;
    let profile = kiln_dir.file_name()?;
    target_dir
        .join("CACHEDIR.TAG")
        .is_file()
        .then_some((target_dir, profile))
}

/// The places the runtime library for `target` may be, best first: the distribution
/// layout (`<kiln dir>/runtime/<rust triple>/`), then, for a `kiln` inside a cargo target
/// directory, cargo's `--target` layout (`target/<rust triple>/<profile>/` beside
/// `target/<profile>/kiln`) and, for the host's own triple, `target/<profile>/` itself.
pub fn runtime_candidates(target: &Target) -> Vec<PathBuf> {
    let Some(dir) = kiln_dir() else {
        return Vec::new();
    };
    let triple = target.rust_triple();
    let mut candidates = vec![dir.join("runtime").join(&triple).join(RUNTIME_LIB_NAME)];
    if let Some((target_dir, profile)) = cargo_layout(&dir) {
        let cross = target_dir.join(&triple).join(profile);
        candidates.push(cross.join(RUNTIME_LIB_NAME));
        if triple == target_lexicon::Triple::host().to_string() {
            candidates.push(dir.join(RUNTIME_LIB_NAME));
        }
    }
    candidates
}

/// The runtime static library for `target`: `$KILN_RUNTIME_LIB`, else the first of
/// [`runtime_candidates`] that exists.
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
    let candidates = runtime_candidates(target);
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let triple = target.rust_triple();
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    let profile = kiln_dir().and_then(|dir| Some(cargo_layout(&dir)?.1.to_owned()));
    // In a source checkout the library is built; an installed kiln needs it installed.
    let remedy =
        match profile {
            // The library of the same profile as this kiln: a release kiln needs `--release`.
            Some(profile) => {
                format!(
            "Build it with `cargo xtask runtime{} --target {triple}` (after `rustup target \
             add {triple}`)",
            if profile == "release" { " --release" } else { "" }
        )
            }
            None => format!("Install the runtime library built for {triple} there"),
        };
    Err(LinkError(format!(
        "no Kiln runtime library for {} ({triple}); looked for {}. {remedy}, or set \
         {RUNTIME_LIB_ENV}",
        target.name(),
        looked.join(", "),
    )))
}

/// A way to link an executable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linker {
    /// The host's C compiler driver, against the host's glibc.
    Cc,
    /// Debian's cross compiler driver for aarch64 glibc.
    Aarch64Gcc,
    /// The Rust toolchain's `rust-lld` with its self-contained musl C library: a fully
    /// static executable, no C toolchain needed.
    RustLld,
    /// `zig cc` from the `ziglang` Python package ([`ZIG_PIP`]), run as
    /// `python3 -m ziglang cc`: links macOS executables against the libSystem stubs zig
    /// ships, no Apple SDK needed.
    ZigCc,
    /// Debian's MinGW-w64 cross compiler driver (`gcc-mingw-w64-x86-64`): Windows x86_64
    /// executables against the system's msvcrt, kernel32, advapi32, shell32 and ntdll.
    MingwGcc,
}

/// How to install the zig that [`Linker::ZigCc`] runs (the version Kiln is tested with).
pub const ZIG_PIP: &str = "python3 -m pip install ziglang==0.17.1";

impl Linker {
    pub const ALL: [Linker; 5] = [
        Linker::Cc,
        Linker::Aarch64Gcc,
        Linker::RustLld,
        Linker::ZigCc,
        Linker::MingwGcc,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Linker::Cc => "cc",
            Linker::Aarch64Gcc => "aarch64-linux-gnu-gcc",
            Linker::RustLld => "rust-lld",
            Linker::ZigCc => "zig-cc",
            Linker::MingwGcc => "x86_64-w64-mingw32-gcc",
        }
    }

    pub fn parse(name: &str) -> Result<Linker, LinkError> {
        Linker::ALL
            .into_iter()
            .find(|l| l.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Linker::ALL.iter().map(|l| l.name()).collect();
                LinkError(format!(
                    "unknown linker `{name}`; expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// The link recipes for `target`, in the order Kiln tries them.
pub fn linkers_for(target: &Target) -> Vec<Linker> {
    match (target.info(), target.libc()) {
        (Some(info), Libc::Gnu) if target.is_linux() => {
            if target.is_host() {
                vec![Linker::Cc]
            } else if info.name == "aarch64-linux" {
                vec![Linker::Aarch64Gcc]
            } else {
                Vec::new()
            }
        }
        (Some(info), _) => vec![info.linker],
        (None, _) => Vec::new(),
    }
}

/// Links `objects` and `runtime` into the executable `output`, with `forced` or else
/// the first recipe for the target that works; the error lists every attempt. Object
/// file names must end in `.o` (`zig cc` tells its inputs apart by extension). With
/// `strip`, the executable keeps no symbols it does not need to run (the wasm function
/// names among them).
pub fn link_executable(
    target: &Target,
    objects: &[&Path],
    runtime: &Path,
    output: &Path,
    forced: Option<Linker>,
    strip: bool,
) -> Result<(), LinkError> {
    let linkers = match forced {
        Some(linker) => vec![linker],
        None => linkers_for(target),
    };
    if linkers.is_empty() {
        return Err(LinkError(format!(
            "linking executables for {} is not supported yet; use `--emit obj` and link the \
             object with a Kiln runtime library built for {}",
            target.name(),
            target.rust_triple()
        )));
    }
    let mut attempts = Vec::new();
    for linker in linkers {
        // MinGW's gcc adds `.exe` to an output name without an extension: link to that
        // name and move the result to `output`.
        let linked = match linker {
            Linker::MingwGcc if output.extension().is_none() => output.with_extension("exe"),
            _ => output.to_path_buf(),
        };
        let result = command(linker, target, objects, runtime, &linked, strip)
            .and_then(|c| run(linker, c))
            .and_then(|()| {
                if linked != output {
                    std::fs::rename(&linked, output)
                        .map_err(|e| format!("cannot move the output into place: {e}"))?;
                }
                if target.binary_format() == BinaryFormat::Coff {
                    clear_pe_timestamp(output)
                } else {
                    Ok(())
                }
            });
        match result {
            Ok(()) => return Ok(()),
            Err(e) => attempts.push(format!("{}: {e}", linker.name())),
        }
    }
    Err(LinkError(format!(
        "cannot link an executable for {}:\n  {}",
        target.name(),
        attempts.join("\n  ")
    )))
}

/// Sets the link time in a PE executable's COFF header to 0, so the same inputs give the
/// same bytes (zig's linker has no switch for it and stamps only that field; for MinGW
/// `--no-insert-timestamp` already did it, and this is a no-op).
/// Nothing checks the field: the loader ignores it, and the optional header's checksum,
/// which would cover it, is 0 in these executables.
fn clear_pe_timestamp(path: &Path) -> Result<(), String> {
    let mut bytes = std::fs::read(path).map_err(|e| format!("cannot read the output: {e}"))?;
    let header = bytes
        .get(0x3c..0x40)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
        .filter(|&pe| bytes.get(pe..pe + 4) == Some(b"PE\0\0"))
        .ok_or("the linker's output is not a PE executable")?;
    let timestamp = header + 8; // after the signature, Machine and NumberOfSections
    if bytes[timestamp..timestamp + 4] != [0; 4] {
        bytes[timestamp..timestamp + 4].fill(0);
        std::fs::write(path, bytes).map_err(|e| format!("cannot write the output: {e}"))?;
    }
    Ok(())
}

/// Whether `linker` can be used for `target` on this machine (for `kiln targets`).
pub fn linker_available(linker: Linker, target: &Target) -> Result<(), String> {
    match linker {
        Linker::Cc => which("cc"),
        Linker::Aarch64Gcc => which("aarch64-linux-gnu-gcc"),
        Linker::MingwGcc => which("x86_64-w64-mingw32-gcc"),
        Linker::RustLld => {
            let lld = rust_lld()?;
            musl_objects(target)?;
            let _ = lld;
            Ok(())
        }
        Linker::ZigCc => {
            zig_target(target)?;
            zig_version().map(drop)
        }
    }
}

fn which(program: &str) -> Result<(), String> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(format!("`{program}` is not on PATH"))
    }
}

/// The glibc link line: the runtime needs only the C library (pthread is separate before
/// glibc 2.34).
const GLIBC_LIBS: [&str; 2] = ["-lpthread", "-lc"];

fn command(
    linker: Linker,
    target: &Target,
    objects: &[&Path],
    runtime: &Path,
    output: &Path,
    strip: bool,
) -> Result<Command, String> {
    let mut command = match linker {
        Linker::Cc | Linker::Aarch64Gcc => {
            let mut c = Command::new(linker.name());
            c.args(objects)
                .arg(runtime)
                .arg("-o")
                .arg(output)
                .arg("-Wl,--gc-sections")
                .args(GLIBC_LIBS);
            c
        }
        Linker::RustLld => {
            let lld = rust_lld()?;
            let crt = musl_objects(target)?;
            let emulation = match target.short_name() {
                Some("aarch64-linux") => "aarch64linux",
                _ => "elf_x86_64",
            };
            let mut c = Command::new(lld);
            c.args([
                "-flavor",
                "gnu",
                "-m",
                emulation,
                "-static",
                "--gc-sections",
                "-o",
            ])
            .arg(output)
            .args(["crt1.o", "crti.o", "crtbegin.o"].map(|o| crt.join(o)))
            .args(objects)
            .arg(runtime)
            .args(["libunwind.a", "libc.a", "crtend.o", "crtn.o"].map(|o| crt.join(o)));
            c
        }
        Linker::MingwGcc => {
            // `-static`: libgcc in the executable, so it needs only system DLLs.
            let mut c = Command::new(linker.name());
            c.args(objects)
                .arg(runtime)
                .arg("-o")
                .arg(output)
                .args(["-static", "-Wl,--gc-sections"])
                // No link time anywhere in the PE file (GNU ld also stamps more than the
                // COFF header, which the post-link clear alone would miss).
                .arg("-Wl,--no-insert-timestamp")
                .args(["-lkernel32", "-ladvapi32", "-lshell32", "-lntdll"]);
            c
        }
        Linker::ZigCc => {
            let zig_target = zig_target(target)?;
            zig_version()?;
            let mut c = zig_command();
            c.args(["cc", "-target", zig_target, "-o"])
                .arg(output)
                .args(objects)
                .arg(runtime);
            if target.binary_format() == BinaryFormat::Coff {
                // zig's MinGW-w64 import libraries for the DLLs the runtime calls; `-s`:
                // no PDB file beside the output (Windows symbols live only there).
                c.args(["-s", "-Wl,--gc-sections"]).args([
                    "-lkernel32",
                    "-ladvapi32",
                    "-lshell32",
                    "-lntdll",
                ]);
            } else {
                // Everything the runtime needs on macOS is in libSystem, which zig links
                // by default (and ad-hoc signs arm64 executables, as macOS requires).
                c.arg("-Wl,-dead_strip");
            }
            c
        }
    };
    if strip {
        // GNU ld and lld: no symbol table; zig's Mach-O linker: no local symbols (the
        // wasm functions) and no debug information. zig's COFF link always strips (see
        // above).
        match (linker, target.binary_format()) {
            (Linker::RustLld, _) => command.arg("--strip-all"),
            (Linker::Cc | Linker::Aarch64Gcc | Linker::MingwGcc, _) => command.arg("-s"),
            (Linker::ZigCc, BinaryFormat::Macho) => command.args(["-s", "-Wl,-x"]),
            (Linker::ZigCc, _) => &mut command,
        };
    }
    Ok(command)
}

/// The Python interpreter that runs `python3 -m ziglang`.
const PYTHON: &str = "python3";

fn zig_command() -> Command {
    let mut c = Command::new(PYTHON);
    c.args(["-m", "ziglang"]);
    c
}

/// zig's `-target` for `target`, with the oldest macOS the Rust standard library supports
/// on that architecture (what the runtime library was compiled for): 10.12 on x86_64,
/// 11.0 on arm64.
fn zig_target(target: &Target) -> Result<&'static str, String> {
    match target.short_name() {
        Some("x86_64-macos") => Ok("x86_64-macos.10.12"),
        Some("aarch64-macos") => Ok("aarch64-macos.11.0"),
        Some("aarch64-windows") => Ok("aarch64-windows-gnu"),
        _ => Err(format!(
            "zig-cc links only macOS and aarch64-windows executables (not {})",
            target.name()
        )),
    }
}

/// `python3 -m ziglang version`, asked once: zig's version, or why it cannot run.
fn zig_version() -> Result<String, String> {
    static VERSION: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    VERSION
        .get_or_init(|| {
            let missing = |why: String| format!("{why}; install it with `{ZIG_PIP}`");
            let out = zig_command()
                .arg("version")
                .output()
                .map_err(|e| missing(format!("cannot run `{PYTHON} -m ziglang` ({e})")))?;
            let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !text.is_empty() {
                Ok(text)
            } else {
                Err(missing(format!(
                    "`{PYTHON} -m ziglang version` failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
        })
        .clone()
}

fn run(linker: Linker, mut command: Command) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", linker.name()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        ))
    }
}

/// `rustc --print sysroot`, asked once.
fn sysroot() -> Result<PathBuf, String> {
    static SYSROOT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    SYSROOT
        .get_or_init(|| {
            let out = Command::new("rustc")
                .args(["--print", "sysroot"])
                .output()
                .map_err(|e| format!("cannot run `rustc --print sysroot` ({e}); rust-lld and the musl C library come with the Rust toolchain"))?;
            let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !text.is_empty() {
                Ok(PathBuf::from(text))
            } else {
                Err("`rustc --print sysroot` failed".to_string())
            }
        })
        .clone()
}

fn rust_lld() -> Result<PathBuf, String> {
    let host = target_lexicon::Triple::host().to_string();
    let lld = sysroot()?
        .join("lib/rustlib")
        .join(host)
        .join("bin/rust-lld");
    if lld.is_file() {
        Ok(lld)
    } else {
        Err(format!("`{}` is missing", lld.display()))
    }
}

/// The Rust toolchain's self-contained musl start files and C library for `target`.
fn musl_objects(target: &Target) -> Result<PathBuf, String> {
    let triple = target.rust_triple();
    let dir = sysroot()?
        .join("lib/rustlib")
        .join(&triple)
        .join("lib/self-contained");
    if dir.join("libc.a").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "the musl C library for {triple} is missing; run `rustup target add {triple}`"
        ))
    }
}
