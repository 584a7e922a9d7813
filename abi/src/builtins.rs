//! Builtins: runtime functions compiled code calls, listed once. The list expands into
//! [`Builtin`] (symbol, parameter and result scalars, the trap a failure stands for), from
//! which the compiler builds its call signatures, and into [`fn_types`], the Rust type each
//! runtime definition is checked against at compile time (`const _: fn_types::X = f;`).
//!
//! Every builtin receives the calling instance's `vmctx` first and uses the platform C
//! calling convention. Fallible ones return 0 on success and non-zero on failure; the
//! compiled caller then traps with [`Builtin::failure`].

use crate::{TrapKind, VMContext};
use alloc::vec::Vec;

/// The machine type of a builtin parameter or result (all targets are 64-bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    I32,
    /// 64-bit integers and pointer-sized values (references).
    I64,
}

/// A Rust type that crosses the builtin boundary as one [`Scalar`].
pub trait AsScalar {
    const SCALAR: Scalar;
}

impl AsScalar for u32 {
    const SCALAR: Scalar = Scalar::I32;
}
impl AsScalar for u64 {
    const SCALAR: Scalar = Scalar::I64;
}
impl AsScalar for usize {
    const SCALAR: Scalar = Scalar::I64;
}

macro_rules! builtins {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident = $symbol:literal
            fn($($param:ident: $ty:ty),*) $(-> $ret:ty)? $(, fails: $trap:ident)?;
    )*) => {
        /// A runtime builtin.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $($(#[doc = $doc])* $name,)*
        }

        impl Builtin {
            pub const ALL: &'static [Builtin] = &[$(Builtin::$name),*];

            /// The runtime's symbol.
            pub fn symbol(self) -> &'static str {
                match self {
                    $(Builtin::$name => $symbol,)*
                }
            }

            /// Parameters after `vmctx`.
            pub fn params(self) -> &'static [Scalar] {
                match self {
                    $(Builtin::$name => &[$(<$ty as AsScalar>::SCALAR),*],)*
                }
            }

            pub fn result(self) -> Option<Scalar> {
                match self {
                    $(Builtin::$name => None$(.or(Some(<$ret as AsScalar>::SCALAR)))?,)*
                }
            }

            /// The trap a non-zero result stands for (fallible builtins only).
            pub fn failure(self) -> Option<TrapKind> {
                match self {
                    $(Builtin::$name => None$(.or(Some(TrapKind::$trap)))?,)*
                }
            }

            /// Parameters after `vmctx` and result, read from the Rust type in
            /// [`fn_types`] (which the runtime's definition must have).
            pub fn rust_signature(self) -> (Vec<Scalar>, Option<Scalar>) {
                match self {
                    $(Builtin::$name => <fn_types::$name as FnSignature>::scalars(),)*
                }
            }
        }

        /// The exact Rust type of each builtin's runtime definition.
        pub mod fn_types {
            use super::*;
            $(
                pub type $name =
                    unsafe extern "C" fn(*mut VMContext $(, $ty)*) $(-> $ret)?;
            )*
        }
    };
}

// Addresses, lengths and sizes are u64 for every memory and table (zero-extended for
// 32-bit ones), so one builtin serves both index types.
builtins! {
    /// The old size in pages, or `u64::MAX` (-1) when the memory cannot grow.
    MemoryGrow = "kiln_memory_grow" fn(memory: u32, delta_pages: u64) -> u64;
    MemoryFill = "kiln_memory_fill"
        fn(memory: u32, dst: u64, value: u32, len: u64) -> u32, fails: MemoryOutOfBounds;
    MemoryCopy = "kiln_memory_copy"
        fn(dst_memory: u32, src_memory: u32, dst: u64, src: u64, len: u64) -> u32,
        fails: MemoryOutOfBounds;
    MemoryInit = "kiln_memory_init"
        fn(memory: u32, segment: u32, dst: u64, src: u32, len: u32) -> u32,
        fails: MemoryOutOfBounds;
    DataDrop = "kiln_data_drop" fn(segment: u32);
    /// The old size, or `u64::MAX` (-1) when the table cannot grow.
    TableGrow = "kiln_table_grow" fn(table: u32, init: usize, delta: u64) -> u64;
    TableFill = "kiln_table_fill"
        fn(table: u32, dst: u64, value: usize, len: u64) -> u32, fails: TableOutOfBounds;
    TableCopy = "kiln_table_copy"
        fn(dst_table: u32, src_table: u32, dst: u64, src: u64, len: u64) -> u32,
        fails: TableOutOfBounds;
    TableInit = "kiln_table_init"
        fn(table: u32, segment: u32, dst: u64, src: u32, len: u32) -> u32,
        fails: TableOutOfBounds;
    ElemDrop = "kiln_elem_drop" fn(segment: u32);
    /// On a shared memory, at a checked native address: 1 ("not-equal") when the value
    /// there differs, else 2 ("timed-out") after `timeout` ns (negative: forever).
    MemoryAtomicWait32 = "kiln_memory_atomic_wait32"
        fn(addr: usize, expected: u32, timeout: u64) -> u32;
    MemoryAtomicWait64 = "kiln_memory_atomic_wait64"
        fn(addr: usize, expected: u64, timeout: u64) -> u32;
    /// A new exception of tag `tag` (an index in the caller's tag space) with room for
    /// `slots` payload values, which the caller stores (see [`crate::exception`]).
    ExceptionNew = "kiln_exception_new" fn(tag: u32, slots: u32) -> usize;
    /// Frees `exception` unless it escaped (see [`crate::exception::VMException`]).
    ExceptionFree = "kiln_exception_free" fn(exception: usize);
    /// Unwinds to the innermost handler above the wasm frame `fp` (the thrower, whose own
    /// handlers did not match) and resumes there with `exception`; never returns then.
    /// Returns 1 when no wasm frame up to the host catches it.
    Throw = "kiln_throw" fn(exception: usize, fp: usize) -> u32, fails: UncaughtException;
}

/// The scalars of a builtin's Rust function type.
pub trait FnSignature {
    fn scalars() -> (Vec<Scalar>, Option<Scalar>);
}

/// What a builtin returns: nothing or one scalar.
pub trait AsResult {
    const RESULT: Option<Scalar>;
}
impl AsResult for () {
    const RESULT: Option<Scalar> = None;
}
impl<T: AsScalar> AsResult for T {
    const RESULT: Option<Scalar> = Some(T::SCALAR);
}

macro_rules! fn_signature {
    ($($arg:ident),*) => {
        impl<$($arg: AsScalar,)* R: AsResult> FnSignature
            for unsafe extern "C" fn(*mut VMContext $(, $arg)*) -> R
        {
            fn scalars() -> (Vec<Scalar>, Option<Scalar>) {
                (alloc::vec![$($arg::SCALAR),*], R::RESULT)
            }
        }
    };
}

fn_signature!(A);
fn_signature!(A, B);
fn_signature!(A, B, C);
fn_signature!(A, B, C, D);
fn_signature!(A, B, C, D, E);
fn_signature!(A, B, C, D, E, F);
