//! The ABI between Kiln-compiled code and the runtime — the one source of truth, a crate
//! that the compiler, the runtime, the spec runner, the fuzzer and the tests depend on.
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

#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod builtins;
mod descriptor;
mod digest;
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
