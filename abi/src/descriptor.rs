//! The module descriptor: static data the compiler emits and the runtime instantiates
//! a module from.

use crate::Trampoline;

/// A borrowed UTF-8 string in the descriptor.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Str {
    pub ptr: *const u8,
    pub len: usize,
}

/// A borrowed array in the descriptor.
#[repr(C)]
pub struct Slice<T> {
    pub ptr: *const T,
    pub len: usize,
}

impl<T> Clone for Slice<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Slice<T> {}

impl Str {
    /// # Safety
    /// `ptr`/`len` must describe valid UTF-8 that lives for `'a`.
    pub unsafe fn as_str<'a>(&self) -> &'a str {
        if self.len == 0 {
            return "";
        }
        // SAFETY: the compiler writes valid UTF-8 of exactly `len` bytes (caller's contract).
        unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(self.ptr, self.len)) }
    }
}

impl<T> Slice<T> {
    /// # Safety
    /// `ptr`/`len` must describe `len` valid `T`s that live for `'a`.
    pub unsafe fn as_slice<'a>(&self) -> &'a [T] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: caller's contract.
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// Everything the runtime needs to instantiate a compiled module.
#[repr(C)]
pub struct ModuleDescriptor {
    /// Must equal [`crate::ABI_VERSION`].
    pub abi_version: u32,
    /// A [`BoundsChecks`] value the code was compiled with.
    pub bounds_checks: u32,
    /// The module's name (name section, else the input file's stem).
    pub name: Str,
    pub types: Slice<FuncTypeDesc>,
    /// In the module's import order.
    pub imports: Slice<ImportDesc>,
    /// All functions, imported ones first (their `body` is null).
    pub functions: Slice<FunctionDesc>,
    /// All tables, imported first.
    pub tables: Slice<TableDesc>,
    /// All memories (at most one), imported first.
    pub memories: Slice<MemoryDesc>,
    /// All globals, imported first.
    pub globals: Slice<GlobalDesc>,
    /// All tags (exception handling), imported first.
    pub tags: Slice<TagDesc>,
    pub exports: Slice<ExportDesc>,
    pub data: Slice<DataDesc>,
    pub elements: Slice<ElemDesc>,
    /// Function index of the start function, or [`crate::NO_INDEX`].
    pub start: u32,
    pub _pad: u32,
    /// Explicit mode: bytes of address space to reserve for a memory this module defines
    /// (it cannot grow past them); 0 means its declared maximum, else 4 GiB. Guard mode
    /// always reserves [`crate::MEMORY_RESERVATION`].
    pub memory_reservation: u64,
}

#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundsChecks {
    /// Guard pages: no per-access checks.
    Guard = 0,
    /// A compare-and-trap before every access.
    Explicit = 1,
}

#[repr(C)]
pub struct FuncTypeDesc {
    /// [`valtype`] codes.
    pub params: Slice<u8>,
    pub results: Slice<u8>,
    /// Host convention into wasm (see the crate docs on calling conventions).
    pub trampoline: Trampoline,
    /// Wasm convention out to a host function of this type, taking a [`crate::VMHostFunc`]
    /// as its vmctx; null unless a function import has this type.
    pub host_adapter: *const u8,
    /// The type's canonical text when a parameter or result is a typed reference
    /// (`(ref $t)`, `(ref null func)`...), which the one-byte codes cannot tell apart;
    /// empty otherwise. Two types are the same iff codes and keys are.
    pub key: Str,
}

/// A reference type exactly: import matching of globals and tables needs more than the
/// one-byte family code.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RefTypeDesc {
    /// A [`heap_type`] value.
    pub heap: u32,
    pub nullable: u32,
    /// For [`heap_type::CONCRETE`], the function type's canonical text; else empty.
    pub key: Str,
}

/// Heap types of references (without GC: functions, external and exception references).
pub mod heap_type {
    pub const FUNC: u32 = 0;
    /// The bottom of the function types (`nullfuncref`).
    pub const NOFUNC: u32 = 1;
    pub const EXTERN: u32 = 2;
    pub const NOEXTERN: u32 = 3;
    /// A function type of the module (typed function references).
    pub const CONCRETE: u32 = 4;
    /// Exception references (`exnref`) and their bottom (`nullexnref`).
    pub const EXN: u32 = 5;
    pub const NOEXN: u32 = 6;
}

/// Import/export kinds.
pub mod extern_kind {
    pub const FUNC: u32 = 0;
    pub const TABLE: u32 = 1;
    pub const MEMORY: u32 = 2;
    pub const GLOBAL: u32 = 3;
    pub const TAG: u32 = 4;
}

#[repr(C)]
pub struct ImportDesc {
    pub module: Str,
    pub name: Str,
    /// An [`extern_kind`] value.
    pub kind: u32,
    /// Index in the module's space of that kind (imports come first in each space).
    pub index: u32,
}

#[repr(C)]
pub struct FunctionDesc {
    /// Name from the name section, or empty.
    pub name: Str,
    /// Machine code of a defined function; null for imports.
    pub body: *const u8,
    pub body_len: u32,
    pub type_index: u32,
    /// Trap sites in this function, sorted by offset.
    pub traps: Slice<TrapSite>,
    /// Calls with an exception handler, sorted by return offset.
    pub handlers: Slice<crate::exception::HandlerSite>,
}

#[repr(C)]
pub struct TagDesc {
    /// The tag's function type (its parameters are the payload; no results).
    pub type_index: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    /// Offset of the trapping instruction from the function's `body`.
    pub offset: u32,
    /// A [`TrapKind`] value.
    pub kind: u32,
    /// Byte offset in the wasm module of the instruction that traps, or
    /// [`crate::NO_INDEX`] where there is none (the prologue's stack check).
    pub wasm_offset: u32,
}

#[repr(C)]
pub struct TableDesc {
    /// [`valtype::FUNCREF`] or [`valtype::EXTERNREF`].
    pub elem_type: u32,
    pub min: u32,
    /// Maximum size, or [`crate::NO_INDEX`] when unbounded (a table of `u32::MAX` entries cannot
    /// be allocated anyway).
    pub max: u32,
    /// An [`index_type`] value (table64: 64-bit element indices).
    pub index_type: u32,
    /// Initial value of every element (tables' init expressions); usually `ref.null`.
    pub init: ConstExpr,
    /// The element type exactly.
    pub elem: RefTypeDesc,
}

/// Address types of memories and tables.
pub mod index_type {
    pub const I32: u32 = 0;
    /// memory64 / table64.
    pub const I64: u32 = 1;
}

#[repr(C)]
pub struct MemoryDesc {
    pub min_pages: u64,
    /// `u64::MAX` when unbounded (then [`crate::MAX_WASM_PAGES`], or
    /// [`crate::MAX_WASM_PAGES_64`] for a 64-bit memory, applies).
    pub max_pages: u64,
    /// An [`index_type`] value.
    pub index_type: u32,
    /// 1 for a shared memory (threads).
    pub shared: u32,
}

#[repr(C)]
pub struct GlobalDesc {
    /// A [`valtype`] code.
    pub val_type: u32,
    pub mutable: u32,
    /// Initial value of a defined global (unused for imports).
    pub init: ConstExpr,
    /// For a reference-typed global, its type exactly.
    pub ref_type: RefTypeDesc,
}

/// Constant-expression operations. An expression is a list of them run on a value stack
/// at instantiation; it leaves exactly one value (the compiler validated it).
pub mod const_op {
    /// Pushes `bits`, laid out like a [`crate::VMGlobal`].
    pub const VALUE: u32 = 0;
    /// Pushes the value of global `index`.
    pub const GLOBAL_GET: u32 = 1;
    /// Pushes a null reference.
    pub const REF_NULL: u32 = 2;
    /// Pushes a reference to function `index`.
    pub const REF_FUNC: u32 = 3;
    /// Pops two values, pushes the wrapping result (extended constant expressions).
    pub const I32_ADD: u32 = 4;
    pub const I32_SUB: u32 = 5;
    pub const I32_MUL: u32 = 6;
    pub const I64_ADD: u32 = 7;
    pub const I64_SUB: u32 = 8;
    pub const I64_MUL: u32 = 9;
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstOp {
    /// A [`const_op`] value.
    pub op: u32,
    pub index: u32,
    /// The value a `VALUE` pushes, little-endian (i32/f32 in the low 4 bytes, i64/f64 in
    /// the low 8, v128 in all 16).
    pub bits: [u8; 16],
}

/// A constant expression (global, table and segment initialisers, segment offsets).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ConstExpr {
    pub ops: Slice<ConstOp>,
}

#[repr(C)]
pub struct ExportDesc {
    pub name: Str,
    /// An [`extern_kind`] value.
    pub kind: u32,
    pub index: u32,
}

/// Segment modes.
pub mod segment_mode {
    pub const PASSIVE: u32 = 0;
    pub const ACTIVE: u32 = 1;
    /// Element segments only: declares functions for `ref.func`, dropped at instantiation.
    pub const DECLARED: u32 = 2;
}

#[repr(C)]
pub struct DataDesc {
    pub bytes: Slice<u8>,
    /// A [`segment_mode`] value.
    pub mode: u32,
    pub memory: u32,
    /// Where an active segment goes (an i32 expression).
    pub offset: ConstExpr,
}

#[repr(C)]
pub struct ElemDesc {
    /// [`valtype::FUNCREF`] or [`valtype::EXTERNREF`].
    pub elem_type: u32,
    /// A [`segment_mode`] value.
    pub mode: u32,
    pub table: u32,
    pub _pad: u32,
    pub offset: ConstExpr,
    /// The elements, each a reference-typed expression.
    pub items: Slice<ConstExpr>,
}
