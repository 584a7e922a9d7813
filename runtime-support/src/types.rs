//! The types import matching compares: globals and references (Wasm 3.0 typed function
//! references), with the subtyping the spec defines for them without GC.

use crate::prelude::*;
use kiln_abi::{heap_type, valtype, GlobalDesc, RefTypeDesc};

/// A reference type exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefType {
    /// A [`heap_type`] value.
    pub heap: u32,
    pub nullable: bool,
    /// The function type's key, for [`heap_type::CONCRETE`].
    pub key: &'static str,
}

impl RefType {
    /// `funcref`, which is `(ref null func)`.
    pub const FUNCREF: RefType = RefType {
        heap: heap_type::FUNC,
        nullable: true,
        key: "",
    };

    /// # Safety
    /// `desc.key` must be valid UTF-8 that lives as long as the program.
    pub unsafe fn from_desc(desc: &RefTypeDesc) -> RefType {
        RefType {
            heap: desc.heap,
            nullable: desc.nullable != 0,
            // SAFETY: caller's contract.
            key: unsafe { desc.key.as_str() },
        }
    }

    /// `self <: other`: every value of `self` is a value of `other`.
    pub fn is_subtype_of(self, other: RefType) -> bool {
        use heap_type::*;
        let heap = match (self.heap, other.heap) {
            (CONCRETE, CONCRETE) => self.key == other.key,
            (a, b) if a == b => true,
            (CONCRETE, FUNC) | (NOFUNC, FUNC | CONCRETE) | (NOEXTERN, EXTERN) => true,
            _ => false,
        };
        heap && (other.nullable || !self.nullable)
    }

    pub fn name(self) -> String {
        let heap = match self.heap {
            heap_type::FUNC => "func",
            heap_type::NOFUNC => "nofunc",
            heap_type::EXTERN => "extern",
            heap_type::NOEXTERN => "noextern",
            _ => self.key,
        };
        let null = if self.nullable { "null " } else { "" };
        format!("(ref {null}{heap})")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    /// A [`valtype`] code.
    pub val_type: u8,
    pub mutable: bool,
    /// The exact type of a reference-typed global.
    pub ref_type: Option<RefType>,
}

impl GlobalType {
    /// # Safety
    /// `desc`'s strings must be valid UTF-8 that lives as long as the program.
    pub unsafe fn from_desc(desc: &GlobalDesc) -> GlobalType {
        let val_type = desc.val_type as u8;
        let is_ref = matches!(val_type, valtype::FUNCREF | valtype::EXTERNREF);
        GlobalType {
            val_type,
            mutable: desc.mutable != 0,
            // SAFETY: caller's contract.
            ref_type: is_ref.then(|| unsafe { RefType::from_desc(&desc.ref_type) }),
        }
    }

    /// Whether an export of type `self` satisfies an import of type `import`: the same
    /// type for a mutable global, a subtype for an immutable one.
    pub fn matches(self, import: GlobalType) -> bool {
        if self.val_type != import.val_type || self.mutable != import.mutable {
            return false;
        }
        match (self.ref_type, import.ref_type) {
            (Some(a), Some(b)) if self.mutable => a == b,
            (Some(a), Some(b)) => a.is_subtype_of(b),
            _ => true,
        }
    }

    pub fn name(self) -> String {
        let v = match self.ref_type {
            Some(r) => r.name(),
            None => crate::instance::valtype_name(self.val_type).to_string(),
        };
        if self.mutable {
            format!("(mut {v})")
        } else {
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(heap: u32, nullable: bool, key: &'static str) -> RefType {
        RefType {
            heap,
            nullable,
            key,
        }
    }

    #[test]
    fn reference_subtyping_without_gc() {
        use heap_type::*;
        let t = r(CONCRETE, false, "(func)");
        let t_null = r(CONCRETE, true, "(func)");
        let u = r(CONCRETE, false, "(func (param i32))");
        assert!(t.is_subtype_of(t_null));
        assert!(!t_null.is_subtype_of(t));
        assert!(t.is_subtype_of(RefType::FUNCREF));
        assert!(!RefType::FUNCREF.is_subtype_of(t_null));
        assert!(!t.is_subtype_of(u));
        assert!(r(NOFUNC, true, "").is_subtype_of(t_null));
        assert!(!r(NOFUNC, true, "").is_subtype_of(t));
        assert!(r(NOEXTERN, false, "").is_subtype_of(r(EXTERN, true, "")));
        assert!(!r(EXTERN, true, "").is_subtype_of(RefType::FUNCREF));
    }

    #[test]
    fn mutable_globals_match_exactly() {
        let g = |mutable, ref_type| GlobalType {
            val_type: valtype::FUNCREF,
            mutable,
            ref_type: Some(ref_type),
        };
        let t = r(heap_type::CONCRETE, false, "(func)");
        assert!(g(false, t).matches(g(false, RefType::FUNCREF)));
        assert!(!g(true, t).matches(g(true, RefType::FUNCREF)));
        assert!(g(true, t).matches(g(true, t)));
    }
}
