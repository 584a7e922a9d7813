//! The ABI between Kiln-compiled code and the runtime — the one source of truth.
//!
//! The compiler computes every offset it bakes into machine code from the
//! definitions here, and the runtime reads and writes the very same `#[repr(C)]`
//! structs. All supported targets are 64-bit little-endian, so one layout serves all.
//!
//! # Calling convention
//! A compiled wasm function `f: [params] -> [results]` is a native function with the
//! target's default C calling convention: `fn(vmctx: *mut VMContext, params...) -> results`
//! (i32/i64 as integers, f32/f64 as floats, funcref/externref as pointer-sized integers;
//! several results use Cranelift's implicit return area, so only compiled code and the
//! per-type [`Trampoline`]s call such functions). Host functions provided by the runtime
//! (WASI) use the same convention, so their `vmctx` is the calling instance's.
//!
//! # Traps
//! Compiled code traps with a machine trap instruction or a faulting memory access at a
//! recorded [`TrapSite`]. Builtins that can fail return non-zero and the compiled caller
//! traps right after the call, so every trap is raised from compiled code.

// Also compiled into the compiler (see `compiler/src/lib.rs`): only `core` and `alloc`.
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::mem::offset_of;

/// Bumped whenever anything in this file changes shape.
pub const ABI_VERSION: u32 = 5;

/// The native `main` the compiler emits into an executable's object; it calls
/// [`RUN_MAIN_SYMBOL`] with the module's descriptor.
pub const ENTRY_SYMBOL: &str = "main";
/// `extern "C" fn(argc: i32, argv: *const *const c_char, desc: *const ModuleDescriptor,
/// manifest: *const u8, manifest_len: usize) -> i32`; the manifest is the text described
/// in [`manifest`] (the runtime reads its grants).
pub const RUN_MAIN_SYMBOL: &str = "kiln_run_main";
/// The descriptor symbol of a module compiled to a standalone executable.
pub const DEFAULT_DESCRIPTOR_SYMBOL: &str = "kiln_module";

/// Exit status of an executable whose module trapped (as with `abort()` on Unix,
/// and as `wasmtime run` reports a trap).
pub const TRAP_EXIT_STATUS: i32 = 134;

/// Wasm page size in bytes.
pub const WASM_PAGE_SIZE: u64 = 65536;
/// Most pages a 32-bit memory can have.
pub const MAX_WASM_PAGES: u64 = 65536;

/// Address space reserved per linear memory. Compiled code in guard mode computes
/// `base + zext(addr) + offset` with a 32-bit `addr` and a 32-bit `offset` and accesses at
/// most 16 bytes there, so everything up to `2^33 + 16` must be either mapped memory or an
/// inaccessible guard: no bounds check is needed. Explicit mode checks every access and
/// reserves only [`ModuleDescriptor::memory_reservation`] (the base never moves in either
/// mode).
pub const MEMORY_RESERVATION: u64 = (1 << 33) + WASM_PAGE_SIZE;

/// Index value meaning "none" (no start function, no maximum...).
pub const NO_INDEX: u32 = u32::MAX;

/// Value type codes, as in the wasm binary format.
pub mod valtype {
    pub const I32: u8 = 0x7f;
    pub const I64: u8 = 0x7e;
    pub const F32: u8 = 0x7d;
    pub const F64: u8 = 0x7c;
    pub const V128: u8 = 0x7b;
    pub const FUNCREF: u8 = 0x70;
    pub const EXTERNREF: u8 = 0x6f;
}

/// Why wasm code trapped. The discriminant is what trap sites record.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    StackOverflow = 1,
    MemoryOutOfBounds = 2,
    TableOutOfBounds = 3,
    IndirectCallToNull = 4,
    IndirectCallTypeMismatch = 5,
    IntegerOverflow = 6,
    IntegerDivisionByZero = 7,
    InvalidConversionToInteger = 8,
    Unreachable = 9,
    /// The `--max-time` deadline passed (or, later, another thread interrupted the instance).
    DeadlineExceeded = 10,
}

impl TrapKind {
    pub const ALL: [TrapKind; 10] = [
        TrapKind::StackOverflow,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::IndirectCallToNull,
        TrapKind::IndirectCallTypeMismatch,
        TrapKind::IntegerOverflow,
        TrapKind::IntegerDivisionByZero,
        TrapKind::InvalidConversionToInteger,
        TrapKind::Unreachable,
        TrapKind::DeadlineExceeded,
    ];

    pub fn from_u32(code: u32) -> Option<TrapKind> {
        Self::ALL.into_iter().find(|k| *k as u32 == code)
    }

    /// The text after `error: wasm trap: `.
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::IndirectCallToNull => "indirect call to null",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::InvalidConversionToInteger => "invalid conversion to integer",
            TrapKind::Unreachable => "unreachable instruction executed",
            TrapKind::DeadlineExceeded => "deadline exceeded",
        }
    }
}

// ---------------------------------------------------------------------------
// Run-time structures shared with compiled code
// ---------------------------------------------------------------------------

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
    pub fn_ptr: *const u8,
    /// The `vmctx` argument to pass (the defining instance's; for host functions the
    /// importing instance's).
    pub vmctx: *mut VMContext,
    /// Canonical signature id, comparable across modules (see `VMContextLayout::sig_ids`).
    pub type_id: u32,
    pub _pad: u32,
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
pub const VMFUNCREF_TYPE_ID: u32 = offset_of!(VMFuncRef, type_id) as u32;
pub const VMFUNCREF_SIZE: u32 = core::mem::size_of::<VMFuncRef>() as u32;
pub const VMGLOBAL_SIZE: u32 = core::mem::size_of::<VMGlobal>() as u32;

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
    /// `[VMGlobal; globals]`, imported first. An imported global's slot holds a
    /// `*mut VMGlobal` (the exporter's storage) in its first 8 bytes; a defined global's
    /// slot holds its value.
    pub globals: u32,
    /// Total size in bytes (a multiple of 16).
    pub size: u32,
}

impl VMContextLayout {
    pub const fn new(functions: u32, types: u32, tables: u32, globals: u32) -> Self {
        let head = core::mem::size_of::<VMContext>() as u32;
        let funcrefs = align16(head);
        let sig_ids = align16(funcrefs + functions * VMFUNCREF_SIZE);
        let tables_at = align16(sig_ids + types * 4);
        let globals_at = align16(tables_at + tables * 8);
        let size = align16(globals_at + globals * VMGLOBAL_SIZE);
        VMContextLayout {
            funcrefs,
            sig_ids,
            tables: tables_at,
            globals: globals_at,
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
    pub const fn global(&self, index: u32) -> u32 {
        self.globals + index * VMGLOBAL_SIZE
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

/// Builtins called by compiled code: `(symbol, params after vmctx, result)` with
/// `i32`/`i64` meaning 32/64-bit integers (`i64` for pointer-sized reference values).
/// Fallible ones return non-zero on failure and the caller traps with the kind listed.
pub mod builtins {
    /// `(vmctx, delta_pages: u32) -> u32`: old size in pages, or `u32::MAX` (-1) on failure.
    pub const MEMORY_GROW: &str = "kiln_memory_grow";
    /// `(vmctx, dst: u32, value: u32, len: u32) -> u32`; failure: MemoryOutOfBounds.
    pub const MEMORY_FILL: &str = "kiln_memory_fill";
    /// `(vmctx, dst: u32, src: u32, len: u32) -> u32`; failure: MemoryOutOfBounds.
    pub const MEMORY_COPY: &str = "kiln_memory_copy";
    /// `(vmctx, segment: u32, dst: u32, src: u32, len: u32) -> u32`; failure: MemoryOutOfBounds.
    pub const MEMORY_INIT: &str = "kiln_memory_init";
    /// `(vmctx, segment: u32)`.
    pub const DATA_DROP: &str = "kiln_data_drop";
    /// `(vmctx, table: u32, init: usize, delta: u32) -> u32`: old size, or `u32::MAX`.
    pub const TABLE_GROW: &str = "kiln_table_grow";
    /// `(vmctx, table: u32, dst: u32, value: usize, len: u32) -> u32`; failure: TableOutOfBounds.
    pub const TABLE_FILL: &str = "kiln_table_fill";
    /// `(vmctx, dst_table: u32, src_table: u32, dst: u32, src: u32, len: u32) -> u32`;
    /// failure: TableOutOfBounds.
    pub const TABLE_COPY: &str = "kiln_table_copy";
    /// `(vmctx, table: u32, segment: u32, dst: u32, src: u32, len: u32) -> u32`;
    /// failure: TableOutOfBounds.
    pub const TABLE_INIT: &str = "kiln_table_init";
    /// `(vmctx, segment: u32)`.
    pub const ELEM_DROP: &str = "kiln_elem_drop";
}

// ---------------------------------------------------------------------------
// The module descriptor: static data the compiler emits, the runtime reads
// ---------------------------------------------------------------------------

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

/// Field sizes of the descriptor structs, for the compiler's data writer.
pub const STR_SIZE: u32 = core::mem::size_of::<Str>() as u32;
pub const SLICE_SIZE: u32 = core::mem::size_of::<Slice<u8>>() as u32;

/// Everything the runtime needs to instantiate a compiled module.
#[repr(C)]
pub struct ModuleDescriptor {
    /// Must equal [`ABI_VERSION`].
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
    pub exports: Slice<ExportDesc>,
    pub data: Slice<DataDesc>,
    pub elements: Slice<ElemDesc>,
    /// Function index of the start function, or [`NO_INDEX`].
    pub start: u32,
    pub _pad: u32,
    /// Explicit mode: bytes of address space to reserve for a memory this module defines
    /// (it cannot grow past them); 0 means its declared maximum, else 4 GiB. Guard mode
    /// always reserves [`MEMORY_RESERVATION`].
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
    pub trampoline: Trampoline,
}

/// Import/export kinds.
pub mod extern_kind {
    pub const FUNC: u32 = 0;
    pub const TABLE: u32 = 1;
    pub const MEMORY: u32 = 2;
    pub const GLOBAL: u32 = 3;
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
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    /// Offset of the trapping instruction from the function's `body`.
    pub offset: u32,
    /// A [`TrapKind`] value.
    pub kind: u32,
}

#[repr(C)]
pub struct TableDesc {
    /// [`valtype::FUNCREF`] or [`valtype::EXTERNREF`].
    pub elem_type: u32,
    pub min: u32,
    /// Maximum size, or [`NO_INDEX`] when unbounded (a table of `u32::MAX` entries cannot
    /// be allocated anyway).
    pub max: u32,
    pub _pad: u32,
    /// Initial value of every element (tables' init expressions); usually `ref.null`.
    pub init: ConstExpr,
}

#[repr(C)]
pub struct MemoryDesc {
    pub min_pages: u64,
    /// `u64::MAX` when unbounded (then [`MAX_WASM_PAGES`] applies).
    pub max_pages: u64,
}

#[repr(C)]
pub struct GlobalDesc {
    /// A [`valtype`] code.
    pub val_type: u32,
    pub mutable: u32,
    /// Initial value of a defined global (unused for imports).
    pub init: ConstExpr,
}

/// Constant expression kinds.
pub mod const_kind {
    /// `bits` holds the value, laid out like a [`super::VMGlobal`].
    pub const VALUE: u32 = 0;
    /// The value of global `index`.
    pub const GLOBAL_GET: u32 = 1;
    /// A null reference.
    pub const REF_NULL: u32 = 2;
    /// A reference to function `index`.
    pub const REF_FUNC: u32 = 3;
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstExpr {
    /// A [`const_kind`] value.
    pub kind: u32,
    pub index: u32,
    /// The value of a `VALUE` expression, little-endian (i32/f32 in the low 4 bytes,
    /// i64/f64 in the low 8, v128 in all 16).
    pub bits: [u8; 16],
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
    /// The elements, each a `REF_NULL`, `REF_FUNC` or `GLOBAL_GET` expression.
    pub items: Slice<ConstExpr>,
}

/// WASI preview1 functions the runtime provides: `(name, params, results)` in
/// [`valtype`] codes. The compiler rejects a module importing anything from
/// `wasi_snapshot_preview1` that is not listed here, or with another signature.
pub mod wasi {
    use super::valtype::{I32, I64};

    pub const MODULE: &str = "wasi_snapshot_preview1";

    pub const FUNCTIONS: &[(&str, &[u8], &[u8])] = &[
        ("args_get", &[I32, I32], &[I32]),
        ("args_sizes_get", &[I32, I32], &[I32]),
        ("environ_get", &[I32, I32], &[I32]),
        ("environ_sizes_get", &[I32, I32], &[I32]),
        ("clock_res_get", &[I32, I32], &[I32]),
        ("clock_time_get", &[I32, I64, I32], &[I32]),
        ("fd_advise", &[I32, I64, I64, I32], &[I32]),
        ("fd_allocate", &[I32, I64, I64], &[I32]),
        ("fd_close", &[I32], &[I32]),
        ("fd_datasync", &[I32], &[I32]),
        ("fd_fdstat_get", &[I32, I32], &[I32]),
        ("fd_fdstat_set_flags", &[I32, I32], &[I32]),
        ("fd_fdstat_set_rights", &[I32, I64, I64], &[I32]),
        ("fd_filestat_get", &[I32, I32], &[I32]),
        ("fd_filestat_set_size", &[I32, I64], &[I32]),
        ("fd_filestat_set_times", &[I32, I64, I64, I32], &[I32]),
        ("fd_pread", &[I32, I32, I32, I64, I32], &[I32]),
        ("fd_prestat_get", &[I32, I32], &[I32]),
        ("fd_prestat_dir_name", &[I32, I32, I32], &[I32]),
        ("fd_pwrite", &[I32, I32, I32, I64, I32], &[I32]),
        ("fd_read", &[I32, I32, I32, I32], &[I32]),
        ("fd_readdir", &[I32, I32, I32, I64, I32], &[I32]),
        ("fd_renumber", &[I32, I32], &[I32]),
        ("fd_seek", &[I32, I64, I32, I32], &[I32]),
        ("fd_sync", &[I32], &[I32]),
        ("fd_tell", &[I32, I32], &[I32]),
        ("fd_write", &[I32, I32, I32, I32], &[I32]),
        ("path_create_directory", &[I32, I32, I32], &[I32]),
        ("path_filestat_get", &[I32, I32, I32, I32, I32], &[I32]),
        (
            "path_filestat_set_times",
            &[I32, I32, I32, I32, I64, I64, I32],
            &[I32],
        ),
        ("path_link", &[I32, I32, I32, I32, I32, I32, I32], &[I32]),
        (
            "path_open",
            &[I32, I32, I32, I32, I32, I64, I64, I32, I32],
            &[I32],
        ),
        ("path_readlink", &[I32, I32, I32, I32, I32, I32], &[I32]),
        ("path_remove_directory", &[I32, I32, I32], &[I32]),
        ("path_rename", &[I32, I32, I32, I32, I32, I32], &[I32]),
        ("path_symlink", &[I32, I32, I32, I32, I32], &[I32]),
        ("path_unlink_file", &[I32, I32, I32], &[I32]),
        ("poll_oneoff", &[I32, I32, I32, I32], &[I32]),
        ("proc_exit", &[I32], &[]),
        ("proc_raise", &[I32], &[I32]),
        ("random_get", &[I32, I32], &[I32]),
        ("sched_yield", &[], &[I32]),
        ("sock_accept", &[I32, I32, I32], &[I32]),
        ("sock_recv", &[I32, I32, I32, I32, I32, I32], &[I32]),
        ("sock_send", &[I32, I32, I32, I32, I32], &[I32]),
        ("sock_shutdown", &[I32, I32], &[I32]),
    ];
}

/// Hex-encodes a name or path for the line formats of the manifest and of the spec-test
/// harness protocol, so any UTF-8 (spaces included) fits in one word; `-` is the empty
/// string.
pub fn hex(s: &str) -> String {
    if s.is_empty() {
        return "-".to_string();
    }
    s.bytes().map(|b| alloc::format!("{b:02x}")).collect()
}

/// FNV-1a (64-bit): the digest of the harness's `state` request, which the differential
/// fuzzer recomputes from its reference interpreter.
pub struct Fnv1a(pub u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Decodes what [`hex`] wrote; `None` for anything else.
pub fn unhex(s: &str) -> Option<String> {
    if s == "-" {
        return Some(String::new());
    }
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

/// The manifest of an executable: plain UTF-8 text without pointers, in the data symbol
/// [`manifest::SYMBOL`], so tools can read it straight from the file (`kiln inspect`) and
/// the runtime can read the capabilities granted at compile time.
///
/// ```text
/// kiln-manifest 1
/// module <name>
/// import <module> <name> func|table|memory|global
/// export <name> func|table|memory|global
/// memory <min pages> <max pages or ->
/// grant-dir rw|ro <host path> <guest path>
/// grant-env <key> <value>
/// grant-inherit-env
/// limit-memory <bytes>
/// limit-time <milliseconds>
/// end
/// ```
/// Every string field is written with [`hex`], so any character may appear in names and
/// paths. Unknown line kinds are ignored by readers.
pub mod manifest {
    use super::hex;
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    /// Decodes one string field of a manifest line.
    pub fn field(s: &str) -> Result<String, String> {
        super::unhex(s).ok_or_else(|| format!("malformed manifest field `{s}`"))
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_aligned_and_ordered() {
        let l = VMContextLayout::new(3, 2, 1, 5);
        assert_eq!(l.funcrefs, 32);
        assert_eq!(l.sig_ids, 32 + 3 * 24 + 8);
        assert!(l.sig_ids < l.tables && l.tables < l.globals && l.globals < l.size);
        for off in [l.funcrefs, l.sig_ids, l.tables, l.globals, l.size] {
            assert_eq!(off % 16, 0);
        }
        assert_eq!(l.global(4) + VMGLOBAL_SIZE, l.size);
    }

    #[test]
    fn field_offsets_match_the_structs() {
        assert_eq!(VMCTX_MEMORY_BASE, 0);
        assert_eq!(VMCTX_MEMORY, 8);
        assert_eq!(VMCTX_STACK_LIMIT, 16);
        assert_eq!(VMFUNCREF_SIZE, 24);
        assert_eq!(VMGLOBAL_SIZE, 16);
        assert_eq!(STR_SIZE, 16);
        assert_eq!(SLICE_SIZE, 16);
        assert_eq!(core::mem::size_of::<ConstExpr>(), 24);
    }

    #[test]
    fn hex_names() {
        assert_eq!(hex(""), "-");
        assert_eq!(hex("a b"), "612062");
        assert_eq!(unhex("612062").as_deref(), Some("a b"));
        assert_eq!(unhex("-").as_deref(), Some(""));
        assert_eq!(unhex("6"), None);
    }

    #[test]
    fn manifest_limits_round_trip() {
        use manifest::*;
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
        use manifest::*;
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

    #[test]
    fn trap_kinds_round_trip() {
        for k in TrapKind::ALL {
            assert_eq!(TrapKind::from_u32(k as u32), Some(k));
        }
        assert_eq!(TrapKind::from_u32(0), None);
    }
}
