//! The targets Kiln compiles for: short names, their target-lexicon triples, and how
//! an executable is linked for each.

mod link;

pub use link::{
    link_executable, linker_available, linkers_for, runtime_candidates, runtime_library, LinkError,
    Linker, RUNTIME_LIB_ENV, ZIG_PIP,
};
use std::str::FromStr;
use target_lexicon::{Architecture, BinaryFormat, Environment, OperatingSystem, Triple};

/// The six supported targets: short name and the triple it stands for. The Linux short
/// names mean fully static executables (musl): one file that runs on any distribution,
/// on an edge board or in a `FROM scratch` image. A `-gnu` triple asks for glibc.
pub const TARGETS: [(&str, &str); 6] = [
    ("x86_64-linux", "x86_64-unknown-linux-musl"),
    ("aarch64-linux", "aarch64-unknown-linux-musl"),
    ("x86_64-macos", "x86_64-apple-darwin"),
    ("aarch64-macos", "aarch64-apple-darwin"),
    ("x86_64-windows", "x86_64-pc-windows-gnu"),
    ("aarch64-windows", "aarch64-pc-windows-gnullvm"),
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
            .find(|(name, _)| *name == text)
            .map_or(text, |(_, triple)| triple);
        let triple = Triple::from_str(triple_text).map_err(|e| {
            format!(
                "unknown target `{text}` ({e}); expected one of {} or a full triple",
                short_names()
            )
        })?;
        let target = Target { triple };
        if target.short_name().is_none() {
            return Err(format!(
                "unsupported target `{text}`: Kiln supports x86_64 and aarch64 on Linux, macOS and Windows ({})",
                short_names()
            ));
        }
        Ok(target)
    }

    /// The short name of the architecture/OS pair, e.g. `aarch64-linux`.
    pub fn short_name(&self) -> Option<&'static str> {
        let arch = match self.triple.architecture {
            Architecture::X86_64 => "x86_64",
            Architecture::Aarch64(_) => "aarch64",
            _ => return None,
        };
        let os = match self.triple.operating_system {
            OperatingSystem::Linux => "linux",
            OperatingSystem::Darwin(_) | OperatingSystem::MacOSX(_) => "macos",
            OperatingSystem::Windows => "windows",
            _ => return None,
        };
        TARGETS
            .iter()
            .map(|(name, _)| *name)
            .find(|name| *name == format!("{arch}-{os}"))
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
        let arch = match self.triple.architecture {
            Architecture::Aarch64(_) => "aarch64",
            _ => "x86_64",
        };
        match (self.triple.operating_system, arch) {
            (OperatingSystem::Windows, "aarch64") => "aarch64-pc-windows-gnullvm".into(),
            (OperatingSystem::Windows, _) => "x86_64-pc-windows-gnu".into(),
            (OperatingSystem::Linux, _) => match self.libc() {
                Libc::Musl => format!("{arch}-unknown-linux-musl"),
                Libc::Gnu => format!("{arch}-unknown-linux-gnu"),
            },
            _ => format!("{arch}-apple-darwin"),
        }
    }

    /// Whether executables for this target run on this machine directly.
    pub fn is_host(&self) -> bool {
        let host = Target::host();
        self.triple.architecture == host.triple.architecture
            && self.short_name() == host.short_name()
    }

    pub fn binary_format(&self) -> BinaryFormat {
        match self.triple.binary_format {
            BinaryFormat::Unknown => match self.triple.operating_system {
                OperatingSystem::Windows => BinaryFormat::Coff,
                OperatingSystem::Darwin(_) | OperatingSystem::MacOSX(_) => BinaryFormat::Macho,
                _ => BinaryFormat::Elf,
            },
            format => format,
        }
    }

    /// The file name of an executable called `stem` on this target.
    pub fn exe_suffix(&self) -> &'static str {
        match self.triple.operating_system {
            OperatingSystem::Windows => ".exe",
            _ => "",
        }
    }
}

fn short_names() -> String {
    TARGETS
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_triples_agree() {
        for (name, triple) in TARGETS {
            let by_name = Target::parse(name).unwrap();
            let by_triple = Target::parse(triple).unwrap();
            assert_eq!(by_name, by_triple);
            assert_eq!(by_name.short_name(), Some(name));
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
