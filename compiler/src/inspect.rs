//! `kiln inspect`: what a module asks for (imports and the WASI capabilities behind
//! them), what it exports, its memory limits, and — for an executable Kiln built — the
//! grants baked into it.

use crate::environ::{features_used, ModuleEnv};
use crate::manifest::{index_type_name, kind_name};
use crate::{to_binary, Error};
use kiln_abi::manifest::{self, Grant, Limits, END, HEADER};
use kiln_abi::wasi;
use serde_json::{json, Value};
use std::fmt::Write;

/// Everything `inspect` reports.
#[derive(Debug, Default)]
pub struct Inspection {
    /// "module" or "executable".
    pub kind: &'static str,
    pub name: String,
    /// (module, name, kind)
    pub imports: Vec<(String, String, String)>,
    /// (name, kind)
    pub exports: Vec<(String, String)>,
    /// (min pages, max pages, 64-bit addresses)
    pub memories: Vec<(u64, Option<u64>, bool)>,
    /// WebAssembly proposals past 1.0 the module uses.
    pub features: Vec<String>,
    /// Only for executables.
    pub grants: Vec<Grant>,
    /// Resource limits (executables only).
    pub limits: Limits,
}

/// The capability a WASI function belongs to.
fn capability(function: &str) -> &'static str {
    match function {
        "args_get" | "args_sizes_get" => "arguments",
        "environ_get" | "environ_sizes_get" => {
            "environment variables (needs --env or --inherit-env)"
        }
        "clock_res_get" | "clock_time_get" => "clocks",
        "random_get" => "random numbers",
        "poll_oneoff" | "sched_yield" => "waiting and yielding",
        "proc_exit" | "proc_raise" => "process exit",
        "fd_read" | "fd_write" | "fd_close" | "fd_fdstat_get" | "fd_seek" | "fd_tell" => {
            "standard streams and open files"
        }
        f if f.starts_with("sock_") => "sockets (none can be granted yet)",
        _ => "files and directories (needs --dir)",
    }
}

impl Inspection {
    /// The distinct capabilities the module's WASI imports can use, in a stable order.
    pub fn capabilities(&self) -> Vec<&'static str> {
        let mut caps: Vec<&'static str> = self
            .imports
            .iter()
            .filter(|(module, _, kind)| module == wasi::MODULE && kind == "func")
            .map(|(_, name, _)| capability(name))
            .collect();
        caps.sort_unstable();
        caps.dedup();
        caps
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let name = if self.name.is_empty() {
            "(unnamed)"
        } else {
            &self.name
        };
        let _ = writeln!(out, "{} {name}", self.kind);
        let _ = writeln!(out, "capabilities it can use:");
        for cap in self.capabilities() {
            let _ = writeln!(out, "  {cap}");
        }
        let _ = writeln!(out, "imports ({}):", self.imports.len());
        for (module, name, kind) in &self.imports {
            let _ = writeln!(out, "  {kind} {module}::{name}");
        }
        let _ = writeln!(out, "exports ({}):", self.exports.len());
        for (name, kind) in &self.exports {
            let _ = writeln!(out, "  {kind} {name}");
        }
        for (min, max, index64) in &self.memories {
            let max = max.map_or("none".to_string(), |m| m.to_string());
            let bits = if *index64 { 64 } else { 32 };
            let _ = writeln!(
                out,
                "memory: {min} pages minimum, maximum {max}, {bits}-bit addresses"
            );
        }
        let features = if self.features.is_empty() {
            "none past WebAssembly 1.0".to_string()
        } else {
            self.features.join(", ")
        };
        let _ = writeln!(out, "features: {features}");
        if self.kind == "executable" {
            let _ = writeln!(out, "grants ({}):", self.grants.len());
            if self.grants.is_empty() {
                let _ = writeln!(out, "  none: no files, no environment variables");
            }
            for grant in &self.grants {
                let _ = writeln!(out, "  {}", describe_grant(grant));
            }
            let memory = self
                .limits
                .max_memory
                .map_or("none".to_string(), |b| format!("{b} bytes"));
            let time = self
                .limits
                .max_time_ms
                .map_or("none".to_string(), |ms| format!("{ms} ms"));
            let _ = writeln!(out, "limits: max memory {memory}, max time {time}");
        }
        out
    }

    pub fn to_json(&self) -> String {
        let imports: Vec<Value> = self
            .imports
            .iter()
            .map(|(module, name, kind)| json!({ "module": module, "name": name, "kind": kind }))
            .collect();
        let exports: Vec<Value> = self
            .exports
            .iter()
            .map(|(name, kind)| json!({ "name": name, "kind": kind }))
            .collect();
        let memories: Vec<Value> = self
            .memories
            .iter()
            .map(|(min, max, index64)| {
                json!({
                    "min_pages": min,
                    "max_pages": max,
                    "index_type": index_type_name(*index64),
                })
            })
            .collect();
        let grants: Vec<Value> = self.grants.iter().map(grant_json).collect();
        let json = json!({
            "kind": self.kind,
            "name": self.name,
            "capabilities": self.capabilities(),
            "imports": imports,
            "exports": exports,
            "memories": memories,
            "features": self.features,
            "grants": grants,
            "limits": {
                "max_memory_bytes": self.limits.max_memory,
                "max_time_ms": self.limits.max_time_ms,
            },
        });
        format!("{json}\n")
    }
}

pub(crate) fn describe_grant(grant: &Grant) -> String {
    match grant {
        Grant::Dir {
            host,
            guest,
            read_only,
        } => format!(
            "directory {host} as {guest} ({})",
            if *read_only {
                "read-only"
            } else {
                "read-write"
            }
        ),
        Grant::Env { key, value } => format!("environment variable {key}={value}"),
        Grant::InheritEnv => "the whole environment of the process".to_string(),
    }
}

fn grant_json(grant: &Grant) -> Value {
    match grant {
        Grant::Dir {
            host,
            guest,
            read_only,
        } => json!({ "kind": "dir", "host": host, "guest": guest, "read_only": read_only }),
        Grant::Env { key, value } => json!({ "kind": "env", "key": key, "value": value }),
        Grant::InheritEnv => json!({ "kind": "inherit-env" }),
    }
}

/// Inspects a module (binary or text) or an executable/object Kiln produced.
pub fn inspect(bytes: &[u8]) -> Result<Inspection, Error> {
    match find_manifest(bytes) {
        Some(text) => from_manifest(&text),
        None => from_module(bytes),
    }
}

fn from_module(bytes: &[u8]) -> Result<Inspection, Error> {
    let wasm = to_binary(bytes).map_err(|e| {
        Error::new(format!(
            "{e} (inspect takes a WebAssembly module or an executable built by kiln)"
        ))
    })?;
    let env = ModuleEnv::parse(&wasm, crate::WasmVersion::V3)?;
    Ok(Inspection {
        kind: "module",
        name: env.name.clone().unwrap_or_default(),
        imports: env
            .imports
            .iter()
            .map(|i| (i.module.into(), i.name.into(), kind_name(i.kind).into()))
            .collect(),
        exports: env
            .exports
            .iter()
            .map(|e| (e.name.into(), kind_name(e.kind).into()))
            .collect(),
        memories: env
            .memories
            .values()
            .map(|m| (m.min_pages, m.max_pages, m.memory64))
            .collect(),
        features: features_used(&wasm).into_iter().map(String::from).collect(),
        grants: Vec::new(),
        limits: Limits::default(),
    })
}

/// The manifest text of an executable or object Kiln produced: the bytes at its
/// `kiln_manifest` symbol up to the `end` line (the manifest holds no pointers, so the
/// file's bytes are final). `None` when `bytes` is not such a file.
fn find_manifest(bytes: &[u8]) -> Option<String> {
    use object::{Object, ObjectSection, ObjectSymbol};
    let file = object::File::parse(bytes).ok()?;
    let symbol = file.symbols().find(|s| {
        s.name()
            .is_ok_and(|n| n.trim_start_matches('_') == manifest::SYMBOL.trim_start_matches('_'))
    })?;
    let section = file.section_by_index(symbol.section_index()?).ok()?;
    let data = section.data().ok()?;
    let start = usize::try_from(symbol.address().checked_sub(section.address())?).ok()?;
    let rest = data.get(start..)?;
    let end_line = format!("\n{END}\n");
    let end = rest
        .windows(end_line.len())
        .position(|w| w == end_line.as_bytes())?;
    let text = String::from_utf8(rest[..end + end_line.len()].to_vec()).ok()?;
    text.starts_with(HEADER).then_some(text)
}

fn from_manifest(text: &str) -> Result<Inspection, Error> {
    let bad = |e: String| Error::new(format!("malformed kiln manifest: {e}"));
    let mut inspection = Inspection {
        kind: "executable",
        grants: manifest::parse_grants(text).map_err(bad)?,
        limits: manifest::parse_limits(text).map_err(bad)?,
        ..Inspection::default()
    };
    for line in text.lines().skip(1) {
        let words: Vec<&str> = line.split(' ').collect();
        let un = |s: &str| manifest::field(s).map_err(bad);
        match words.as_slice() {
            ["module", name] => inspection.name = un(name)?,
            ["import", module, name, kind] => {
                inspection
                    .imports
                    .push((un(module)?, un(name)?, kind.to_string()))
            }
            ["export", name, kind] => inspection.exports.push((un(name)?, kind.to_string())),
            // Manifests before memory64 have no index type: their memories are 32-bit.
            ["memory", min, max, index_type @ ..] => {
                let min = min.parse().map_err(|_| bad(line.to_string()))?;
                let max = match *max {
                    "-" => None,
                    m => Some(m.parse().map_err(|_| bad(line.to_string()))?),
                };
                let index64 = match index_type {
                    [] | ["i32"] => false,
                    ["i64"] => true,
                    _ => return Err(bad(line.to_string())),
                };
                inspection.memories.push((min, max, index64));
            }
            ["feature", name] => inspection.features.push(un(name)?),
            _ => {}
        }
    }
    Ok(inspection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_are_read() {
        let text = format!("{HEADER}\nmodule 6869\nexport 6d6169 func\ngrant-inherit-env\n{END}\n");
        let i = from_manifest(&text).unwrap();
        assert_eq!(i.kind, "executable");
        assert_eq!(i.name, "hi");
        assert_eq!(i.exports, vec![("mai".to_string(), "func".to_string())]);
        assert_eq!(i.grants, vec![Grant::InheritEnv]);
    }

    #[test]
    fn capabilities_of_wasi_imports() {
        let i = Inspection {
            imports: vec![
                (wasi::MODULE.into(), "path_open".into(), "func".into()),
                (wasi::MODULE.into(), "fd_write".into(), "func".into()),
            ],
            ..Inspection::default()
        };
        assert_eq!(
            i.capabilities(),
            vec![
                "files and directories (needs --dir)",
                "standard streams and open files"
            ]
        );
    }
}
