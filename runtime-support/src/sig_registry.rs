//! Canonical signature ids, shared by every instance in the process.
//!
//! Each module's function types are interned here by `(params, results)` at instantiation,
//! so the `sig_id` in a [`VMFuncRef`](kiln_abi::VMFuncRef) means the same in every
//! module and `call_indirect` works on functions from other instances. The registry also
//! remembers a trampoline per signature, so the host can call any funcref.

use crate::prelude::*;
use crate::sync::{SpinGuard, SpinLock};
use alloc::collections::BTreeMap;
use kiln_abi::Trampoline;

struct Registry {
    ids: BTreeMap<(Vec<u8>, Vec<u8>, String), u32>,
    /// Index `id - 1`.
    entries: Vec<Entry>,
}

struct Entry {
    params: Vec<u8>,
    results: Vec<u8>,
    trampoline: Trampoline,
}

static REGISTRY: SpinLock<Registry> = SpinLock::new(Registry {
    ids: BTreeMap::new(),
    entries: Vec::new(),
});

fn registry() -> SpinGuard<'static, Registry> {
    REGISTRY.lock()
}

/// The canonical id of `params -> results` (value type codes, and the type's key when it
/// has typed references: see `FuncTypeDesc::key`), registering it with `trampoline` the
/// first time. Ids start at 1, so a zeroed funcref never matches.
pub fn intern(params: &[u8], results: &[u8], key: &str, trampoline: Trampoline) -> u32 {
    let mut reg = registry();
    let key = (params.to_vec(), results.to_vec(), key.to_string());
    if let Some(&id) = reg.ids.get(&key) {
        return id;
    }
    let id = u32::try_from(reg.entries.len() + 1).expect("too many distinct signatures");
    reg.entries.push(Entry {
        params: key.0.clone(),
        results: key.1.clone(),
        trampoline,
    });
    reg.ids.insert(key, id);
    id
}

/// A registered signature: `(params, results)`.
pub fn signature(id: u32) -> Option<(Vec<u8>, Vec<u8>)> {
    let reg = registry();
    let e = reg.entries.get((id as usize).checked_sub(1)?)?;
    Some((e.params.clone(), e.results.clone()))
}

/// A trampoline that calls functions of signature `id` (any module's trampoline for the
/// same signature works: the native calling convention depends only on the signature).
pub fn trampoline(id: u32) -> Option<Trampoline> {
    let reg = registry();
    Some(reg.entries.get((id as usize).checked_sub(1)?)?.trampoline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_abi::valtype::{F64, FUNCREF, I32, I64};
    use kiln_abi::{VMContext, VMGlobal};

    unsafe extern "C" fn nop(_: *const u8, _: *mut VMContext, _: *mut VMGlobal) {}

    #[test]
    fn equal_signatures_share_an_id() {
        let a = intern(&[I32, I64], &[F64], "", nop);
        let b = intern(&[I32, I64], &[F64], "", nop);
        let c = intern(&[I32], &[I64, F64], "", nop);
        let d = intern(&[I32, I64, F64], &[], "", nop);
        let e = intern(&[], &[FUNCREF], "", nop);
        assert_eq!(a, b);
        assert!(a >= 1);
        let typed = intern(&[], &[FUNCREF], "(func -> (ref func))", nop);
        assert_ne!(typed, e, "a typed reference is another type");
        let ids = [a, c, d, e];
        for (i, x) in ids.iter().enumerate() {
            for y in &ids[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert_eq!(signature(c), Some((vec![I32], vec![I64, F64])));
        assert!(trampoline(a).is_some());
        assert_eq!(signature(0), None);
        assert!(trampoline(u32::MAX).is_none());
    }
}
