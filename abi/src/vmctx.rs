//! Run-time structures shared with compiled code: the instance context and what it
//! points at, with the offsets compiled code bakes in.

use core::mem::offset_of;

/// A linear memory. Owned by the instance that defines it; importers point at it.
#[repr(C)]
pub struct VMMemory {
    /// Start of the reservation; never moves.
    pub base: *mut u8,
    /// Current accessible size in bytes (a multiple of the page size).
    pub length: u64,
}

/// A table of references. `elements` may move when the table grows.
#[repr(C)]
pub struct VMTable {
    /// funcref tables: `*const VMFuncRef` (null = ref.null); externref: opaque `usize` (0 = null).
    pub elements: *mut usize,
    pub length: u32,
    pub _pad: u32,
}

/// What a `funcref` points at: enough to call the function from anywhere.
#[repr(C)]
pub struct VMFuncRef {
    /// Wasm calling convention (`tail`).
    pub fn_ptr: *const u8,
    /// The `vmctx` argument to pass: the defining instance's; for a host function its
    /// [`VMHostFunc`].
    pub vmctx: *mut VMContext,
    /// Canonical signature id, comparable across modules (see `VMContextLayout::sig_ids`).
    pub sig_id: u32,
    pub _pad: u32,
}

/// What an imported host function's funcref carries as its `vmctx` (see the crate docs on
/// calling conventions): the host function and the importing instance's context.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct VMHostFunc {
    /// `extern "C" fn(vmctx, params...) -> result`.
    pub host_fn: *const u8,
    /// The context to call it with: the importing instance's.
    pub vmctx: *mut VMContext,
}

/// A global's storage: 16 bytes, value little-endian from offset 0
/// (i32/f32 use 4 bytes, i64/f64/references 8).
#[repr(C, align(16))]
#[derive(Clone, Copy, Default)]
pub struct VMGlobal {
    pub bytes: [u8; 16],
}

/// The fixed head of every instance's context; the variable-sized arrays described by
/// [`VMContextLayout`] follow it. Compiled code receives a pointer to this.
#[repr(C)]
pub struct VMContext {
    /// `memory.base` of memory 0 (null when the module has no memory), cached here
    /// because it never changes.
    pub memory_base: *mut u8,
    /// Memory 0, own or imported.
    pub memory: *mut VMMemory,
    /// Lowest stack address compiled code may use; function prologues trap below it.
    pub stack_limit: usize,
    /// The runtime's own per-instance data; opaque to compiled code.
    pub instance: *mut core::ffi::c_void,
}

pub const VMCTX_MEMORY_BASE: u32 = offset_of!(VMContext, memory_base) as u32;
pub const VMCTX_MEMORY: u32 = offset_of!(VMContext, memory) as u32;
pub const VMCTX_STACK_LIMIT: u32 = offset_of!(VMContext, stack_limit) as u32;
/// `stack_limit` of an interrupted instance: no stack pointer is above it, so the next
/// function entry traps, and loop headers compiled with interrupt checks compare with it.
pub const INTERRUPTED_STACK_LIMIT: usize = usize::MAX;
pub const VMMEMORY_BASE: u32 = offset_of!(VMMemory, base) as u32;
pub const VMMEMORY_LENGTH: u32 = offset_of!(VMMemory, length) as u32;
pub const VMTABLE_ELEMENTS: u32 = offset_of!(VMTable, elements) as u32;
pub const VMTABLE_LENGTH: u32 = offset_of!(VMTable, length) as u32;
pub const VMFUNCREF_FN_PTR: u32 = offset_of!(VMFuncRef, fn_ptr) as u32;
pub const VMFUNCREF_VMCTX: u32 = offset_of!(VMFuncRef, vmctx) as u32;
pub const VMFUNCREF_SIG_ID: u32 = offset_of!(VMFuncRef, sig_id) as u32;
pub const VMHOSTFUNC_HOST_FN: u32 = offset_of!(VMHostFunc, host_fn) as u32;
pub const VMHOSTFUNC_VMCTX: u32 = offset_of!(VMHostFunc, vmctx) as u32;
pub const VMFUNCREF_SIZE: u32 = core::mem::size_of::<VMFuncRef>() as u32;
pub const VMGLOBAL_SIZE: u32 = core::mem::size_of::<VMGlobal>() as u32;

/// How many entries each array after the [`VMContext`] head has: the module's counts,
/// imports included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VMCounts {
    pub functions: u32,
    pub types: u32,
    pub tables: u32,
    pub memories: u32,
    pub globals: u32,
    pub tags: u32,
}

/// Where the per-module arrays live after the [`VMContext`] head. Both sides compute it
/// from the module's counts with this one function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VMContextLayout {
    /// `[VMFuncRef; functions]`, imported functions first. `ref.func i` is the address of
    /// entry `i`; calls to imported function `i` go through entry `i`.
    pub funcrefs: u32,
    /// `[u32; types]`: canonical signature id of each of the module's function types.
    pub sig_ids: u32,
    /// `[*mut VMTable; tables]`, imported first.
    pub tables: u32,
    /// `[*mut VMMemory; memories]`, imported first. Memory 0 is also in the head
    /// ([`VMContext::memory`], with its base cached), where single-memory code reads it.
    pub memories: u32,
    /// `[VMGlobal; globals]`, imported first. An imported global's slot holds a
    /// `*mut VMGlobal` (the exporter's storage) in its first 8 bytes; a defined global's
    /// slot holds its value.
    pub globals: u32,
    /// `[*const u8; tags]`, imported first: each tag's identity (see
    /// [`crate::exception`]). A defined tag's slot holds its own address; an imported
    /// tag's slot holds the exporter's.
    pub tags: u32,
    /// Total size in bytes (a multiple of 16).
    pub size: u32,
}

impl VMContextLayout {
    pub const fn new(counts: VMCounts) -> Self {
        let head = core::mem::size_of::<VMContext>() as u32;
        let funcrefs = align16(head);
        let sig_ids = align16(funcrefs + counts.functions * VMFUNCREF_SIZE);
        let tables = align16(sig_ids + counts.types * 4);
        let memories = align16(tables + counts.tables * 8);
        let globals = align16(memories + counts.memories * 8);
        let tags = align16(globals + counts.globals * VMGLOBAL_SIZE);
        let size = align16(tags + counts.tags * 8);
        VMContextLayout {
            funcrefs,
            sig_ids,
            tables,
            memories,
            globals,
            tags,
            size,
        }
    }

    pub const fn funcref(&self, index: u32) -> u32 {
        self.funcrefs + index * VMFUNCREF_SIZE
    }
    pub const fn sig_id(&self, type_index: u32) -> u32 {
        self.sig_ids + type_index * 4
    }
    pub const fn table(&self, index: u32) -> u32 {
        self.tables + index * 8
    }
    pub const fn memory(&self, index: u32) -> u32 {
        self.memories + index * 8
    }
    pub const fn global(&self, index: u32) -> u32 {
        self.globals + index * VMGLOBAL_SIZE
    }
    pub const fn tag(&self, index: u32) -> u32 {
        self.tags + index * 8
    }
}

const fn align16(x: u32) -> u32 {
    (x + 15) & !15
}

/// Calls a compiled function of one signature with its arguments taken from, and its
/// results written back to, `values` (16 bytes a value, laid out like [`VMGlobal`]).
/// `values` must have room for `max(params, results)` entries. One per function type.
pub type Trampoline =
    unsafe extern "C" fn(fn_ptr: *const u8, vmctx: *mut VMContext, values: *mut VMGlobal);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConstExpr, ConstOp, Slice, Str};

    #[test]
    fn layout_is_aligned_and_ordered() {
        let l = VMContextLayout::new(VMCounts {
            functions: 3,
            types: 2,
            tables: 1,
            memories: 2,
            globals: 5,
            tags: 2,
        });
        assert_eq!(l.funcrefs, 32);
        assert_eq!(l.sig_ids, 32 + 3 * 24 + 8);
        assert!(l.sig_ids < l.tables && l.tables < l.memories);
        assert!(l.memory(1) < l.globals && l.globals < l.size);
        for off in [
            l.funcrefs, l.sig_ids, l.tables, l.memories, l.globals, l.tags, l.size,
        ] {
            assert_eq!(off % 16, 0);
        }
        assert_eq!(l.global(4) + VMGLOBAL_SIZE, l.tags);
        assert_eq!(l.tag(1) + 8, l.size);
    }

    #[test]
    fn field_offsets_match_the_structs() {
        assert_eq!(VMCTX_MEMORY_BASE, 0);
        assert_eq!(VMCTX_MEMORY, 8);
        assert_eq!(VMCTX_STACK_LIMIT, 16);
        assert_eq!(VMFUNCREF_SIZE, 24);
        assert_eq!(VMGLOBAL_SIZE, 16);
        assert_eq!(core::mem::size_of::<Str>(), 16);
        assert_eq!(core::mem::size_of::<Slice<u8>>(), 16);
        assert_eq!(core::mem::size_of::<ConstExpr>(), 16);
        assert_eq!(core::mem::size_of::<ConstOp>(), 24);
    }
}
