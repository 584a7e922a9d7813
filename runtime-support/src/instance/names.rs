//! How kinds, value types and signatures are named in error messages.

use super::Extern;
use crate::prelude::*;
use crate::sig_registry;
use kiln_abi::{extern_kind, valtype};

pub(super) fn index_type_name(index64: bool) -> &'static str {
    if index64 {
        "64-bit"
    } else {
        "32-bit"
    }
}

pub(super) fn extern_kind_of(e: &Extern) -> u32 {
    match e {
        Extern::Func(_) | Extern::HostFunc(_) => extern_kind::FUNC,
        Extern::Table(_) => extern_kind::TABLE,
        Extern::Memory(_) => extern_kind::MEMORY,
        Extern::Global(..) => extern_kind::GLOBAL,
        Extern::Tag(..) => extern_kind::TAG,
    }
}

pub(super) fn kind_name(kind: u32) -> &'static str {
    match kind {
        extern_kind::FUNC => "function",
        extern_kind::TABLE => "table",
        extern_kind::MEMORY => "memory",
        extern_kind::GLOBAL => "global",
        extern_kind::TAG => "tag",
        _ => "unknown kind",
    }
}

pub(crate) fn valtype_name(t: u8) -> &'static str {
    match t {
        valtype::I32 => "i32",
        valtype::I64 => "i64",
        valtype::F32 => "f32",
        valtype::F64 => "f64",
        valtype::V128 => "v128",
        valtype::FUNCREF => "funcref",
        valtype::EXTERNREF => "externref",
        valtype::EXNREF => "exnref",
        _ => "?",
    }
}

/// `[i32 i64] -> [f64]`
pub(crate) fn signature_name(params: &[u8], results: &[u8]) -> String {
    let list = |ts: &[u8]| {
        ts.iter()
            .map(|&t| valtype_name(t))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("[{}] -> [{}]", list(params), list(results))
}

pub(crate) fn sig_name(id: u32) -> String {
    match sig_registry::signature(id) {
        Some((p, r)) => signature_name(&p, &r),
        None => format!("#{id}"),
    }
}
