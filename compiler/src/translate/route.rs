//! Who translates an operator: one table from every operator wasmparser knows to the
//! family (file) of this module that owns it.
//!
//! The `match` is generated from wasmparser's own operator list (`for_each_operator!`),
//! and [`owner!`] has a rule for each proposal, or for each operator where a proposal's
//! operators belong to several families. An operator of a proposal with no rule (a newer
//! wasmparser) is a compile error here, not an "unsupported" error at run time.

use wasmparser::Operator;

/// The instruction families, one file each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    /// `control.rs`: blocks, branches, `drop`, `select`.
    Control,
    /// `variables.rs`: locals and globals.
    Variable,
    /// `numeric.rs`: scalar constants, arithmetic, comparisons and conversions.
    Numeric,
    /// `memory.rs`: scalar loads and stores, bulk memory, data segments.
    Memory,
    /// `calls.rs`: direct, indirect, reference and tail calls.
    Call,
    /// `tables.rs`: table access, element segments, references.
    Table,
    /// `simd.rs`: v128 operations that do not touch memory.
    Simd,
    /// `simd_memory.rs`: v128 loads and stores.
    SimdMemory,
    /// `atomics.rs`: the threads proposal.
    Atomic,
    /// `exceptions.rs`: both exception-handling encodings.
    Exception,
    /// A proposal Kiln does not compile; the validator rejects its modules first.
    Unsupported(&'static str),
}

/// The family owning an operator, from its proposal and name (see the module comment).
// One line a rule reads as a table; rustfmt would give each rule three.
#[rustfmt::skip]
macro_rules! owner {
    // WebAssembly 1.0: everything not listed here is numeric.
    (mvp Unreachable) => { Family::Control };
    (mvp Nop) => { Family::Control };
    (mvp Block) => { Family::Control };
    (mvp Loop) => { Family::Control };
    (mvp If) => { Family::Control };
    (mvp Else) => { Family::Control };
    (mvp End) => { Family::Control };
    (mvp Br) => { Family::Control };
    (mvp BrIf) => { Family::Control };
    (mvp BrTable) => { Family::Control };
    (mvp Return) => { Family::Control };
    (mvp Drop) => { Family::Control };
    (mvp Select) => { Family::Control };
    (mvp Call) => { Family::Call };
    (mvp CallIndirect) => { Family::Call };
    (mvp LocalGet) => { Family::Variable };
    (mvp LocalSet) => { Family::Variable };
    (mvp LocalTee) => { Family::Variable };
    (mvp GlobalGet) => { Family::Variable };
    (mvp GlobalSet) => { Family::Variable };
    (mvp I32Load) => { Family::Memory };
    (mvp I64Load) => { Family::Memory };
    (mvp F32Load) => { Family::Memory };
    (mvp F64Load) => { Family::Memory };
    (mvp I32Load8S) => { Family::Memory };
    (mvp I32Load8U) => { Family::Memory };
    (mvp I32Load16S) => { Family::Memory };
    (mvp I32Load16U) => { Family::Memory };
    (mvp I64Load8S) => { Family::Memory };
    (mvp I64Load8U) => { Family::Memory };
    (mvp I64Load16S) => { Family::Memory };
    (mvp I64Load16U) => { Family::Memory };
    (mvp I64Load32S) => { Family::Memory };
    (mvp I64Load32U) => { Family::Memory };
    (mvp I32Store) => { Family::Memory };
    (mvp I64Store) => { Family::Memory };
    (mvp F32Store) => { Family::Memory };
    (mvp F64Store) => { Family::Memory };
    (mvp I32Store8) => { Family::Memory };
    (mvp I32Store16) => { Family::Memory };
    (mvp I64Store8) => { Family::Memory };
    (mvp I64Store16) => { Family::Memory };
    (mvp I64Store32) => { Family::Memory };
    (mvp MemorySize) => { Family::Memory };
    (mvp MemoryGrow) => { Family::Memory };
    (mvp $op:ident) => { Family::Numeric };

    // WebAssembly 2.0.
    (sign_extension $op:ident) => { Family::Numeric };
    (saturating_float_to_int $op:ident) => { Family::Numeric };
    (bulk_memory MemoryInit) => { Family::Memory };
    (bulk_memory DataDrop) => { Family::Memory };
    (bulk_memory MemoryCopy) => { Family::Memory };
    (bulk_memory MemoryFill) => { Family::Memory };
    (bulk_memory TableInit) => { Family::Table };
    (bulk_memory ElemDrop) => { Family::Table };
    (bulk_memory TableCopy) => { Family::Table };
    (reference_types TypedSelect) => { Family::Control };
    (reference_types TypedSelectMulti) => {
        Family::Unsupported("`select` with several result types")
    };
    (reference_types RefNull) => { Family::Table };
    (reference_types RefIsNull) => { Family::Table };
    (reference_types RefFunc) => { Family::Table };
    (reference_types TableFill) => { Family::Table };
    (reference_types TableGet) => { Family::Table };
    (reference_types TableSet) => { Family::Table };
    (reference_types TableGrow) => { Family::Table };
    (reference_types TableSize) => { Family::Table };
    (simd V128Load) => { Family::SimdMemory };
    (simd V128Load8x8S) => { Family::SimdMemory };
    (simd V128Load8x8U) => { Family::SimdMemory };
    (simd V128Load16x4S) => { Family::SimdMemory };
    (simd V128Load16x4U) => { Family::SimdMemory };
    (simd V128Load32x2S) => { Family::SimdMemory };
    (simd V128Load32x2U) => { Family::SimdMemory };
    (simd V128Load8Splat) => { Family::SimdMemory };
    (simd V128Load16Splat) => { Family::SimdMemory };
    (simd V128Load32Splat) => { Family::SimdMemory };
    (simd V128Load64Splat) => { Family::SimdMemory };
    (simd V128Load32Zero) => { Family::SimdMemory };
    (simd V128Load64Zero) => { Family::SimdMemory };
    (simd V128Store) => { Family::SimdMemory };
    (simd V128Load8Lane) => { Family::SimdMemory };
    (simd V128Load16Lane) => { Family::SimdMemory };
    (simd V128Load32Lane) => { Family::SimdMemory };
    (simd V128Load64Lane) => { Family::SimdMemory };
    (simd V128Store8Lane) => { Family::SimdMemory };
    (simd V128Store16Lane) => { Family::SimdMemory };
    (simd V128Store32Lane) => { Family::SimdMemory };
    (simd V128Store64Lane) => { Family::SimdMemory };
    (simd $op:ident) => { Family::Simd };

    // WebAssembly 3.0 and the threads proposal.
    (relaxed_simd $op:ident) => { Family::Simd };
    (tail_call $op:ident) => { Family::Call };
    (function_references CallRef) => { Family::Call };
    (function_references ReturnCallRef) => { Family::Call };
    (function_references RefAsNonNull) => { Family::Table };
    (function_references BrOnNull) => { Family::Control };
    (function_references BrOnNonNull) => { Family::Control };
    (exceptions $op:ident) => { Family::Exception };
    (legacy_exceptions $op:ident) => { Family::Exception };
    (threads $op:ident) => { Family::Atomic };

    // Not compiled.
    (gc $op:ident) => { Family::Unsupported("garbage collection (Wasm 3.0 GC)") };
    (custom_descriptors $op:ident) => { Family::Unsupported("custom descriptors") };
    (memory_control $op:ident) => { Family::Unsupported("memory control") };
    (shared_everything_threads $op:ident) => {
        Family::Unsupported("shared-everything threads")
    };
    (stack_switching $op:ident) => { Family::Unsupported("stack switching") };
    (wide_arithmetic $op:ident) => { Family::Unsupported("wide arithmetic") };
}

macro_rules! define_family_of {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        /// The family that translates `op`.
        pub(super) fn family_of(op: &Operator<'_>) -> Family {
            match op {
                $( Operator::$op { .. } => owner!($proposal $op), )*
                // `Operator` is `#[non_exhaustive]`, but every variant is listed above.
                _ => Family::Unsupported("an operator unknown to Kiln"),
            }
        }
    };
}

wasmparser::for_each_operator!(define_family_of);

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::{BlockType, MemArg};

    #[test]
    fn operators_go_to_their_families() {
        let memarg = MemArg {
            align: 0,
            max_align: 0,
            offset: 0,
            memory: 0,
        };
        let cases = [
            (Operator::End, Family::Control),
            (
                Operator::Block {
                    blockty: BlockType::Empty,
                },
                Family::Control,
            ),
            (Operator::I32Add, Family::Numeric),
            (Operator::I64Extend32S, Family::Numeric),
            (Operator::I32Load { memarg }, Family::Memory),
            (Operator::V128Load { memarg }, Family::SimdMemory),
            (Operator::I8x16Add, Family::Simd),
            (Operator::TableSize { table: 0 }, Family::Table),
            (Operator::ReturnCall { function_index: 0 }, Family::Call),
            (Operator::AtomicFence, Family::Atomic),
            (Operator::ThrowRef, Family::Exception),
            (Operator::GlobalGet { global_index: 0 }, Family::Variable),
            (Operator::I64Add128, Family::Unsupported("wide arithmetic")),
        ];
        for (op, family) in cases {
            assert_eq!(family_of(&op), family, "{op:?}");
        }
    }
}
