//! The ABI between Kiln-compiled code and the runtime — the one source of truth, a crate
//! that the compiler, the runtime, the spec runner, the fuzzer and the tests depend on.
//!
//! The compiler computes every offset it bakes into machine code from the
//! definitions here, and the runtime reads and writes the very same `#[repr(C)]`
//! structs. All supported targets are 64-bit little-endian, so one layout serves all.
//!
//! # Calling conventions
//! A compiled wasm function `f: [params] -> [results]` is a native function with
//! Cranelift's `tail` convention (callee-pops, so `return_call` can replace the caller's
//! frame): `fn(vmctx: *mut VMContext, params...) -> results` (i32/i64 as integers, f32/f64
//! as floats, v128 as vectors, references as pointer-sized integers). Every code pointer
//! wasm can reach (a [`VMFuncRef`]'s `fn_ptr`) has that convention. The platform C
//! convention appears only in compiler-generated adapters at the edges:
//! - into wasm: the per-type [`Trampoline`] (`FuncTypeDesc::trampoline`), which the
//!   runtime, the spec harness and `_start` calls go through;
//! - out of wasm: host functions (WASI, the spec harness's `spectest`) are C functions
//!   `fn(vmctx, params...) -> result` receiving the calling instance's vmctx. The runtime
//!   gives each imported host function a [`VMHostFunc`] and a funcref whose `fn_ptr` is the
//!   importer's `FuncTypeDesc::host_adapter` and whose `vmctx` is that `VMHostFunc`: the
//!   adapter loads the C function and the real vmctx from it and calls;
//! - builtins are called directly with the C convention ([`builtins`]).

//! # Exceptions
//! See [`exception`]: handlers are found by walking frame pointers from the throwing
//! function, so no host unwinder is involved.
//!
//! # Traps
//! Compiled code traps with a machine trap instruction or a faulting memory access at a
//! recorded [`TrapSite`]. Builtins that can fail return non-zero and the compiled caller
//! traps right after the call, so every trap is raised from compiled code.

#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod builtins;
mod descriptor;
mod digest;
pub mod exception;
pub mod manifest;
mod text;
mod traps;
mod vmctx;
pub mod wasi;

pub use descriptor::*;
pub use digest::Fnv1a;
pub use text::{hex, unhex};
pub use traps::TrapKind;
pub use vmctx::*;

/// Bumped whenever anything in this crate changes shape.
pub const ABI_VERSION: u32 = 10;

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

/// Exit status of an executable whose module let an exception escape `_start` (or the
/// start function): an error, not a trap, as under `wasmtime run`.
pub const UNCAUGHT_EXCEPTION_EXIT_STATUS: i32 = 1;

/// Wasm page size in bytes.
pub const WASM_PAGE_SIZE: u64 = 65536;
/// Most pages a 32-bit memory can have.
pub const MAX_WASM_PAGES: u64 = 65536;
/// Most pages a 64-bit memory can have (2^64 bytes).
pub const MAX_WASM_PAGES_64: u64 = 1 << 48;

/// Address space reserved per linear memory. Compiled code in guard mode computes
/// `base + zext(addr) + offset` with a 32-bit `addr` and a 32-bit `offset` and accesses at
/// most 16 bytes there, so everything up to `2^33 + 16` must be either mapped memory or an
/// inaccessible guard: no bounds check is needed. Explicit mode checks every access and
/// reserves only [`ModuleDescriptor::memory_reservation`] (the base never moves in either
/// mode).
pub const MEMORY_RESERVATION: u64 = (1 << 33) + WASM_PAGE_SIZE;

/// Address space reserved for a 64-bit memory without `--reserve`: its declared maximum,
/// but at most this. Guard pages cannot cover 64-bit addresses, so compiled code checks
/// every access to a 64-bit memory in both bounds-check modes; the reservation only keeps
/// the base from moving, and the memory cannot grow past it.
pub const MEMORY64_RESERVATION: u64 = 64 << 30;

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
    pub const EXNREF: u8 = 0x69;
}
