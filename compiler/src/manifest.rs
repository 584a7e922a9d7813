//! The executable's manifest (`abi::manifest`): what the module imports and exports,
//! its memory limits and the capabilities granted at compile time.

use crate::environ::{ImportKind, ModuleEnv};
use crate::Options;
use kiln_abi::hex;
use kiln_abi::manifest::{END, HEADER};
use std::fmt::Write;

pub fn kind_name(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Func => "func",
        ImportKind::Table => "table",
        ImportKind::Memory => "memory",
        ImportKind::Global => "global",
        ImportKind::Tag => "tag",
    }
}

pub fn index_type_name(is64: bool) -> &'static str {
    if is64 {
        "i64"
    } else {
        "i32"
    }
}

pub fn render(env: &ModuleEnv<'_>, features: &[&str], options: &Options) -> String {
    let mut text = format!("{HEADER}\n");
    let name = options.module_name.clone().or_else(|| env.name.clone());
    let _ = writeln!(text, "module {}", hex(name.as_deref().unwrap_or("")));
    for import in &env.imports {
        let kind = kind_name(import.kind);
        let _ = writeln!(
            text,
            "import {} {} {kind}",
            hex(import.module),
            hex(import.name)
        );
    }
    for export in &env.exports {
        let _ = writeln!(
            text,
            "export {} {}",
            hex(export.name),
            kind_name(export.kind)
        );
    }
    for memory in env.memories.values() {
        let max = memory.max_pages.map_or("-".to_string(), |m| m.to_string());
        let index_type = index_type_name(memory.memory64);
        let _ = writeln!(text, "memory {} {max} {index_type}", memory.min_pages);
    }
    for feature in features {
        let _ = writeln!(text, "feature {}", hex(feature));
    }
    for grant in &options.grants {
        let _ = writeln!(text, "{}", grant.to_line());
    }
    for line in options.limits.to_lines() {
        let _ = writeln!(text, "{line}");
    }
    let _ = writeln!(text, "{END}");
    text
}
