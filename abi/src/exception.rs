//! Exceptions (the exception-handling proposal and its legacy encoding): the object a
//! `throw` creates and the records that let the runtime find a handler.
//!
//! An `exnref` is a pointer to a [`VMException`], which the runtime allocates
//! ([`crate::builtins::Builtin::ExceptionNew`]) and compiled code fills: the tag's
//! identity, then one [`SLOT_SIZE`]-byte slot per payload value, stored like a
//! [`crate::VMGlobal`]. A tag's identity is the address in the vmctx tag array
//! ([`crate::VMContextLayout::tag`]): one per defined tag and instance, shared by every
//! module importing it, so matching a `catch` is a pointer comparison in compiled code.
//!
//! An exception that never escaped is freed
//! ([`crate::builtins::Builtin::ExceptionFree`]) where it is caught by a clause that
//! does not keep it: `catch`/`catch_all` of a `try_table`, a legacy `catch` whose body
//! cannot `rethrow` it.
//!
//! Throwing never leaves compiled code unless the exception escapes a function:
//! - a `throw` (or `throw_ref`, or a legacy `rethrow`) inside a `try_table`/`try` of the
//!   same function jumps to that construct's dispatch code, which compares tags clause
//!   by clause and falls through to the next enclosing construct;
//! - a call inside such a construct is a Cranelift `try_call` whose only handler is a
//!   catch-all edge to the same dispatch code, with the exception pointer as payload;
//! - when nothing in the function matches, compiled code calls
//!   [`crate::builtins::Builtin::Throw`] with its own frame pointer. The runtime walks
//!   the frame-pointer chain (every wasm function keeps frame pointers), looks up each
//!   return address in the callers' [`HandlerSite`]s and resumes at the first handler it
//!   finds, with the stack and frame pointers that call site had and the exception in the
//!   first exception-payload register. A return address outside compiled wasm (a
//!   trampoline from the host) ends the walk: the exception is uncaught, and compiled
//!   code traps with [`crate::TrapKind::UncaughtException`].

use core::mem::{offset_of, size_of};

/// The head of an exception object; the payload slots follow it.
#[repr(C)]
pub struct VMException {
    /// The tag's identity: the address of its slot in the defining instance's vmctx.
    pub tag: *const u8,
    /// Non-zero once an `exnref` to it was handed to wasm code (`catch_ref`,
    /// `catch_all_ref`): from then on nothing knows when the last reference is gone, and
    /// the object is never freed.
    pub escaped: u32,
    /// How many payload slots follow.
    pub slots: u32,
}

/// Offset of [`VMException::tag`].
pub const TAG_OFFSET: u32 = offset_of!(VMException, tag) as u32;
/// Offset of [`VMException::escaped`].
pub const ESCAPED_OFFSET: u32 = offset_of!(VMException, escaped) as u32;
/// Offset of the first payload slot.
pub const PAYLOAD_OFFSET: u32 = size_of::<VMException>() as u32;
/// Bytes per payload value (a v128 fits).
pub const SLOT_SIZE: u32 = 16;

/// A call site in compiled wasm that has a handler: a `try_call` inside a `try_table` or
/// legacy `try`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlerSite {
    /// Offset of the call's return address from the function's body.
    pub return_offset: u32,
    /// Offset of the handler's first instruction from the function's body.
    pub handler_offset: u32,
    /// The frame pointer minus the stack pointer at the call: the handler runs with that
    /// stack pointer.
    pub sp_below_fp: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_follows_the_head_aligned_for_v128() {
        assert_eq!(TAG_OFFSET, 0);
        assert_eq!(PAYLOAD_OFFSET % 16, 0);
        assert!(SLOT_SIZE as usize >= size_of::<crate::VMGlobal>());
    }
}
