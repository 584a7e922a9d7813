//! Canonical text of function and reference types, by which the runtime compares types
//! from different modules: Wasm 3.0's typed function references make `(ref $t)` mean the
//! structure of `$t`, whatever its index. Without GC every type is a function type in a
//! recursion group of its own, so a type can refer only to earlier types (spelled out
//! here) and to itself (`rec`).

use crate::environ::ModuleEnv;
use crate::index::TypeIndex;
use kiln_abi::heap_type;
use wasmparser::{AbstractHeapType, HeapType, RefType, UnpackedIndex, ValType};

/// The key of function type `index` (`FuncTypeDesc::key`): its text when a parameter or
/// result is a reference other than `funcref`/`externref`, else empty (the one-byte
/// codes then say everything).
pub fn func_type_key(env: &ModuleEnv<'_>, index: TypeIndex) -> String {
    let ty = &env.types[index];
    let plain = |t: &ValType| match t {
        ValType::Ref(r) => *r == RefType::FUNCREF || *r == RefType::EXTERNREF,
        _ => true,
    };
    if ty.params().iter().chain(ty.results()).all(plain) {
        String::new()
    } else {
        func_text(env, index)
    }
}

/// A reference type exactly: `(heap_type, nullable, key)` for `RefTypeDesc`.
pub fn ref_type(env: &ModuleEnv<'_>, ty: RefType) -> (u32, bool, String) {
    let (heap, key) = match ty.heap_type() {
        HeapType::Concrete(index) | HeapType::Exact(index) => match index {
            UnpackedIndex::Module(i) => {
                (heap_type::CONCRETE, func_text(env, TypeIndex::from_u32(i)))
            }
            // Only the validator's canonical forms use these; not the module reader.
            _ => (heap_type::CONCRETE, "rec".to_string()),
        },
        HeapType::Abstract { ty, .. } => (
            match ty {
                AbstractHeapType::NoFunc => heap_type::NOFUNC,
                AbstractHeapType::Extern => heap_type::EXTERN,
                AbstractHeapType::NoExtern => heap_type::NOEXTERN,
                AbstractHeapType::Exn => heap_type::EXN,
                AbstractHeapType::NoExn => heap_type::NOEXN,
                _ => heap_type::FUNC,
            },
            String::new(),
        ),
    };
    (heap, ty.is_nullable(), key)
}

/// `(func PARAMS -> RESULTS)` of type `index`.
fn func_text(env: &ModuleEnv<'_>, index: TypeIndex) -> String {
    let ty = &env.types[index];
    let list = |types: &[ValType]| -> String {
        types
            .iter()
            .map(|t| format!(" {}", val_text(env, *t, index)))
            .collect()
    };
    format!("(func{} ->{})", list(ty.params()), list(ty.results()))
}

fn val_text(env: &ModuleEnv<'_>, ty: ValType, within: TypeIndex) -> String {
    let ValType::Ref(r) = ty else {
        return ty.to_string();
    };
    let heap = match r.heap_type() {
        HeapType::Concrete(UnpackedIndex::Module(i))
        | HeapType::Exact(UnpackedIndex::Module(i))
            if i != within.as_u32() =>
        {
            func_text(env, TypeIndex::from_u32(i))
        }
        HeapType::Concrete(_) | HeapType::Exact(_) => "rec".to_string(),
        HeapType::Abstract { ty, .. } => format!("{ty:?}").to_lowercase(),
    };
    let null = if r.is_nullable() { "null " } else { "" };
    format!("(ref {null}{heap})")
}
