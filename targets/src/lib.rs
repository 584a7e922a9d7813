//! The targets Kiln compiles for: short names, their target-lexicon triples, and how
//! an executable is linked for each.

mod link;

pub use link::{
    link_executable, linker_available, linkers_for, runtime_candidates, runtime_library, LinkError,
    Linker, RUNTIME_LIB_ENV, ZIG_PIP,
};
use std::str::FromStr;
use target_lexicon::{
    Aarch64Architecture, Architecture, BinaryFormat, Environment, OperatingSystem, Triple,
};

/// One supported target: everything Kiln, its tests and its tools need to know about it,
/// in one row of [`TARGETS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetInfo {
    /// The short name users pass to `--target`.
    pub name: &'static str,
    /// The triple the short name stands for, which is also the Rust target the runtime
    /// library is built for. The Linux short names mean fully static executables (musl):
    /// one file that runs on any distribution, on an edge board or in a `FROM scratch`
    /// image. A `-gnu` triple asks for glibc.
    /// Architecture, operating system and object format are target-lexicon's reading
    /// of this triple.
    pub rust_triple: &'static str,
    /// How an executable is linked (a `-gnu` Linux triple uses the C compiler instead).
    pub linker: Linker,
    /// What runs its executables on an x86_64 Linux machine (tests, spec runs), if
    /// anything does.
    pub runs_here: RunsHere,
}

/// How executables for a target run on an x86_64 Linux machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunsHere {
    Directly,
    /// Under this user-mode emulator.
    Emulator(&'static str),
    /// Under wine.
    Wine,
    /// Not at all: checked structurally only.
    No,
}

impl TargetInfo {
    /// target-lexicon's reading of [`Self::rust_triple`].
    pub fn triple(&self) -> Triple {
        Triple::from_str(self.rust_triple).expect("every row's triple parses")
    }
}

/// The six supported targets.
pub const TARGETS: [TargetInfo; 6] = [
    TargetInfo {
        name: "x86_64-linux",
        rust_triple: "x86_64-unknown-linux-musl",
        linker: Linker::RustLld,
        runs_here: RunsHere::Directly,
    },
    TargetInfo {
        name: "aarch64-linux",
        rust_triple: "aarch64-unknown-linux-musl",
        linker: Linker::RustLld,
        runs_here: RunsHere::Emulator("qemu-aarch64"),
    },
    TargetInfo {
        name: "x86_64-macos",
        rust_triple: "x86_64-apple-darwin",
        linker: Linker::ZigCc,
        runs_here: RunsHere::No,
    },
    TargetInfo {
        name: "aarch64-macos",
        rust_triple: "aarch64-apple-darwin",
        linker: Linker::ZigCc,
        runs_here: RunsHere::No,
    },
    TargetInfo {
        name: "x86_64-windows",
        rust_triple: "x86_64-pc-windows-gnu",
        linker: Linker::MingwGcc,
        runs_here: RunsHere::Wine,
    },
    TargetInfo {
        name: "aarch64-windows",
        rust_triple: "aarch64-pc-windows-gnullvm",
        linker: Linker::ZigCc,
        runs_here: RunsHere::No,
    },
];

/// The C library a Linux executable uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libc {
    /// glibc, dynamically linked (the host's own triple).
    Gnu,
    /// musl, statically linked.
    Musl,
}

/// A resolved compilation target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub triple: Triple,
}

impl Target {
    /// The machine Kiln itself runs on.
    pub fn host() -> Target {
        Target {
            triple: Triple::host(),
        }
    }

    /// Accepts a short name from [`TARGETS`] or any target-lexicon triple whose
    /// architecture and operating system Kiln supports.
    pub fn parse(text: &str) -> Result<Target, String> {
        let triple_text = TARGETS
            .iter()
            .find(|t| t.name == text)
            .map_or(text, |t| t.rust_triple);
        let triple = Triple::from_str(triple_text).map_err(|e| {
            format!(
                "unknown target `{text}` ({e}); expected one of {} or a full triple",
                short_names()
            )
        })?;
        let target = Target { triple };
        if target.info().is_none() {
            return Err(format!(
                "unsupported target `{text}`: Kiln supports x86_64 and aarch64 on Linux, macOS and Windows ({})",
                short_names()
            ));
        }
        Ok(target)
    }

    /// The row of [`TARGETS`] for this triple's architecture and operating system.
    pub fn info(&self) -> Option<&'static TargetInfo> {
        let os = |triple: &Triple| match triple.operating_system {
            OperatingSystem::Darwin(_) | OperatingSystem::MacOSX(_) => {
                OperatingSystem::Darwin(None)
            }
            other => other,
        };
        let arch = |triple: &Triple| match triple.architecture {
            Architecture::Aarch64(_) => Architecture::Aarch64(Aarch64Architecture::Aarch64),
            other => other,
        };
        TARGETS.iter().find(|t| {
            let row = t.triple();
            os(&row) == os(&self.triple) && arch(&row) == arch(&self.triple)
        })
    }

    /// The short name of the architecture/OS pair, e.g. `aarch64-linux`.
    pub fn short_name(&self) -> Option<&'static str> {
        self.info().map(|t| t.name)
    }

    /// The short name, or the triple for display.
    pub fn name(&self) -> String {
        self.short_name()
            .map_or_else(|| self.triple.to_string(), str::to_string)
    }

    pub fn libc(&self) -> Libc {
        match self.triple.environment {
            Environment::Musl => Libc::Musl,
            _ => Libc::Gnu,
        }
    }

    /// The Rust target whose build of the runtime library links into executables for
    /// this target.
    pub fn rust_triple(&self) -> String {
        match self.info() {
            Some(t) if self.is_linux() && self.libc() == Libc::Gnu => {
                t.rust_triple.replace("-musl", "-gnu")
            }
            Some(t) => t.rust_triple.to_string(),
            None => self.triple.to_string(),
        }
    }

    /// Whether executables for this target run on this machine directly.
    pub fn is_host(&self) -> bool {
        let host = Target::host();
        self.triple.architecture == host.triple.architecture
            && self.short_name() == host.short_name()
    }

    pub fn binary_format(&self) -> BinaryFormat {
        match (self.triple.binary_format, self.info()) {
            (BinaryFormat::Unknown, Some(t)) => t.triple().binary_format,
            (format, _) => format,
        }
    }

    pub(crate) fn is_linux(&self) -> bool {
        self.triple.operating_system == OperatingSystem::Linux
    }

    /// The file name of an executable called `stem` on this target.
    pub fn exe_suffix(&self) -> &'static str {
        match self.binary_format() {
            BinaryFormat::Coff => ".exe",
            _ => "",
        }
    }
}

fn short_names() -> String {
    TARGETS
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_triples_agree() {
        for info in TARGETS {
            let by_name = Target::parse(info.name).unwrap();
            let by_triple = Target::parse(info.rust_triple).unwrap();
            assert_eq!(by_name, by_triple);
            assert_eq!(by_name.short_name(), Some(info.name));
            assert_eq!(by_name.rust_triple(), info.rust_triple);
        }
    }

    #[test]
    fn formats() {
        let format = |t: &str| Target::parse(t).unwrap().binary_format();
        assert_eq!(format("aarch64-linux"), BinaryFormat::Elf);
        assert_eq!(format("x86_64-macos"), BinaryFormat::Macho);
        assert_eq!(format("aarch64-windows"), BinaryFormat::Coff);
        assert_eq!(format("x86_64-unknown-linux-musl"), BinaryFormat::Elf);
    }

    #[test]
    fn linux_short_names_are_static_and_gnu_triples_are_not() {
        let t = |s: &str| Target::parse(s).unwrap();
        assert_eq!(t("aarch64-linux").libc(), Libc::Musl);
        assert_eq!(
            t("aarch64-linux").rust_triple(),
            "aarch64-unknown-linux-musl"
        );
        assert_eq!(t("x86_64-unknown-linux-gnu").libc(), Libc::Gnu);
        assert_eq!(
            t("x86_64-unknown-linux-gnu").rust_triple(),
            "x86_64-unknown-linux-gnu"
        );
        assert_eq!(t("x86_64-windows").rust_triple(), "x86_64-pc-windows-gnu");
        assert_eq!(t("aarch64-macos").rust_triple(), "aarch64-apple-darwin");
        assert_eq!(linkers_for(&t("aarch64-linux")), vec![Linker::RustLld]);
        assert_eq!(linkers_for(&t("x86_64-windows")), vec![Linker::MingwGcc]);
        assert_eq!(linkers_for(&t("aarch64-windows")), vec![Linker::ZigCc]);
        assert_eq!(linkers_for(&t("aarch64-macos")), vec![Linker::ZigCc]);
        assert_eq!(linkers_for(&t("x86_64-apple-darwin")), vec![Linker::ZigCc]);
    }

    #[test]
    fn rejects_unknown_and_unsupported() {
        assert!(Target::parse("pdp11")
            .unwrap_err()
            .contains("unknown target"));
        assert!(Target::parse("riscv64gc-unknown-linux-gnu")
            .unwrap_err()
            .contains("unsupported target"));
    }
}
