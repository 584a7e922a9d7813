//! The Kiln runtime, linked into every executable Kiln produces: instantiation of compiled
//! modules from their descriptors, sandboxed linear memories, tables, the builtins compiled
//! code calls, trap handling, the `kiln_run_main` entry point and WASI preview1.
//!
//! `kiln_abi` is the contract with compiled code. For an embedder (e.g. a spec-test harness)
//! the API is [`Instance`] (instantiate with a resolver, look up exports), [`invoke`] (call
//! a funcref), [`call_protected`] (get a wasm trap back as an error instead of ending the
//! process), [`Memory`]/[`Table`] (host-created imports) and [`init_wasm_thread`].
//!
//! The spec-test harness entry `kiln_spec_main` (module `harness`) is only linked into
//! harness executables: nothing else refers to it.

//!
//! The crate is `no_std` (`alloc` and the C library only), see [`no_std_support`]; its
//! unit tests run on std.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

extern crate alloc;

mod builtins;
mod bytes;
pub mod entry;
mod exceptions;
mod harness;
pub mod instance;
pub mod limits;
pub mod memory;
#[cfg(not(test))]
mod no_std_support;
mod prelude;
pub mod sig_registry;
mod sync;
mod sys;
pub mod table;
pub mod traps;
pub mod types;
mod vmctx;
pub mod wasi;

#[cfg(test)]
mod testutil;

pub use entry::{init_wasm_thread, kiln_run_main};
pub use instance::{
    invoke, value_bits, value_from_bits, Extern, GlobalType, Instance, InstantiationError,
};
pub use memory::Memory;
pub use table::Table;
pub use traps::call_protected;
