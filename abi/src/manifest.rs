//! The manifest of an executable: plain UTF-8 text without pointers, in the data symbol
//! [`SYMBOL`], so tools can read it straight from the file (`kiln inspect`) and
//! the runtime can read the capabilities granted at compile time.
//!
//! ```text
//! kiln-manifest 1
//! module <name>
//! import <module> <name> func|table|memory|global
//! export <name> func|table|memory|global
//! memory <min pages> <max pages or -> i32|i64
//! feature <a WebAssembly proposal the module uses>
//! grant-dir rw|ro <host path> <guest path>
//! grant-env <key> <value>
//! grant-inherit-env
//! limit-memory <bytes>
//! limit-time <milliseconds>
//! end
//! ```
//! Every string field is written with [`hex`], so any character may appear in names and
//! paths. Unknown line kinds are ignored by readers.

use crate::{hex, unhex};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Decodes one string field of a manifest line.
pub fn field(s: &str) -> Result<String, String> {
    unhex(s).ok_or_else(|| format!("malformed manifest field `{s}`"))
}

pub const SYMBOL: &str = "kiln_manifest";
pub const HEADER: &str = "kiln-manifest 1";
/// The last line: the manifest's symbol has no size on every object format, so
/// readers of a file stop here.
pub const END: &str = "end";

/// A capability granted to the module by the deployer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grant {
    /// A preopened directory: `host` on the host appears as `guest` to the module.
    Dir {
        host: String,
        guest: String,
        read_only: bool,
    },
    /// One environment variable.
    Env { key: String, value: String },
    /// The whole environment of the process that runs the executable.
    InheritEnv,
}

impl Grant {
    /// The manifest line for this grant.
    pub fn to_line(&self) -> String {
        match self {
            Grant::Dir {
                host,
                guest,
                read_only,
            } => format!(
                "grant-dir {} {} {}",
                if *read_only { "ro" } else { "rw" },
                hex(host),
                hex(guest)
            ),
            Grant::Env { key, value } => format!("grant-env {} {}", hex(key), hex(value)),
            Grant::InheritEnv => "grant-inherit-env".to_string(),
        }
    }
}

/// Resource limits baked in by the deployer (`--max-memory`, `--max-time`); `None` is
/// no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of linear memory plus table storage (8 bytes an element) the instance
    /// may hold at once.
    pub max_memory: Option<u64>,
    /// Wall-clock milliseconds the program may run.
    pub max_time_ms: Option<u64>,
}

impl Limits {
    /// The manifest lines for these limits.
    pub fn to_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(bytes) = self.max_memory {
            lines.push(format!("limit-memory {bytes}"));
        }
        if let Some(ms) = self.max_time_ms {
            lines.push(format!("limit-time {ms}"));
        }
        lines
    }
}

/// The limits of a manifest.
pub fn parse_limits(text: &str) -> Result<Limits, String> {
    let mut limits = Limits::default();
    for line in text.lines().skip(1) {
        let number = |n: &str| {
            n.parse::<u64>()
                .map_err(|_| format!("malformed manifest line `{line}`"))
        };
        match line.split(' ').collect::<Vec<_>>().as_slice() {
            ["limit-memory", n] => limits.max_memory = Some(number(n)?),
            ["limit-time", n] => limits.max_time_ms = Some(number(n)?),
            [kind, ..] if kind.starts_with("limit-") => {
                return Err(format!("malformed manifest line `{line}`"))
            }
            _ => {}
        }
    }
    Ok(limits)
}

/// The grants of a manifest, in order.
pub fn parse_grants(text: &str) -> Result<Vec<Grant>, String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err("not a kiln manifest (or a newer version)".to_string());
    }
    let mut grants = Vec::new();
    for line in lines {
        let words: Vec<&str> = line.split(' ').collect();
        let grant = match words.as_slice() {
            ["grant-dir", mode @ ("rw" | "ro"), host, guest] => Grant::Dir {
                host: field(host)?,
                guest: field(guest)?,
                read_only: *mode == "ro",
            },
            ["grant-env", key, value] => Grant::Env {
                key: field(key)?,
                value: field(value)?,
            },
            ["grant-inherit-env"] => Grant::InheritEnv,
            [kind, ..] if kind.starts_with("grant-") => {
                return Err(format!("malformed manifest line `{line}`"))
            }
            _ => continue,
        };
        grants.push(grant);
    }
    Ok(grants)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;

    #[test]
    fn manifest_limits_round_trip() {
        let limits = Limits {
            max_memory: Some(64 << 20),
            max_time_ms: Some(1500),
        };
        let text = format!("{HEADER}\n{}\n{END}\n", limits.to_lines().join("\n"));
        assert_eq!(parse_limits(&text), Ok(limits));
        assert_eq!(
            parse_limits(&format!("{HEADER}\n{END}\n")),
            Ok(Limits::default())
        );
        assert!(parse_limits(&format!("{HEADER}\nlimit-time soon\n")).is_err());
    }

    #[test]
    fn manifest_grants_round_trip() {
        let grants = vec![
            Grant::Dir {
                host: "/srv/data dir".into(),
                guest: "/data".into(),
                read_only: true,
            },
            Grant::Env {
                key: "K".into(),
                value: "".into(),
            },
            Grant::InheritEnv,
        ];
        let mut text = format!("{HEADER}\nmodule 6869\nexport 5f7374617274 func\n");
        for g in &grants {
            text.push_str(&g.to_line());
            text.push('\n');
        }
        assert_eq!(parse_grants(&text).unwrap(), grants);
        assert!(parse_grants("kiln-manifest 9\n").is_err());
        assert!(parse_grants(&format!("{HEADER}\ngrant-dir rw zz 00\n")).is_err());
    }
}
