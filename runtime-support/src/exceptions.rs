//! Exceptions: the builtins that create and throw them, and the unwinder that finds a
//! handler in a calling wasm frame (the scheme is described in `kiln_abi::exception`).
//!
//! The unwinder follows frame pointers only through compiled wasm and stops at the first
//! return address outside it (a trampoline from the host), so no host frame is ever
//! unwound and no unwinding library is needed. Resuming is [`resume::jump`]: a few
//! instructions per architecture.
//!
//! An exception object is freed where compiled code catches it without keeping it. Once
//! an `exnref` to it was handed to wasm code it is never freed: an `exnref` can be stored
//! anywhere (globals, tables, other instances), and without a garbage collector nothing
//! knows when the last one is gone. Each costs 16 bytes plus 16 per payload value.

use crate::instance::InstanceData;
use crate::traps::{self, CallSite};
use alloc::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use kiln_abi::builtins::fn_types;
use kiln_abi::exception::{VMException, PAYLOAD_OFFSET, SLOT_SIZE};
use kiln_abi::{extern_kind, VMContext};

mod resume;

/// # Safety
/// `vmctx` must be the context of a live instance (compiled code passes its own) and
/// `tag` one of its tag indices (validated code only throws its own tags).
#[no_mangle]
pub unsafe extern "C" fn kiln_exception_new(vmctx: *mut VMContext, tag: u32, slots: u32) -> usize {
    // SAFETY: caller's contract.
    let identity = unsafe { InstanceData::from_vmctx(vmctx) }.vmctx.tag(tag);
    let layout = layout(slots);
    // SAFETY: the size is at least the head's, which is not zero.
    let exception = unsafe { alloc(layout) }.cast::<VMException>();
    if exception.is_null() {
        handle_alloc_error(layout);
    }
    // SAFETY: freshly allocated with room for the head; compiled code writes the payload.
    unsafe {
        exception.write(VMException {
            tag: identity,
            escaped: 0,
            slots,
        })
    };
    exception as usize
}
const _: fn_types::ExceptionNew = kiln_exception_new;

fn layout(slots: u32) -> Layout {
    let size = PAYLOAD_OFFSET as usize + slots as usize * SLOT_SIZE as usize;
    Layout::from_size_align(size, 16).expect("exception size overflows")
}

/// # Safety
/// `exception` must come from [`kiln_exception_new`], and unless it escaped, nothing may
/// use it afterwards (compiled code frees it where it is caught for good).
#[no_mangle]
pub unsafe extern "C" fn kiln_exception_free(_vmctx: *mut VMContext, exception: usize) {
    let exception = exception as *mut VMException;
    // SAFETY: a live exception object (caller's contract).
    let (escaped, slots) = unsafe { ((*exception).escaped, (*exception).slots) };
    if escaped == 0 {
        // SAFETY: allocated in `kiln_exception_new` with this layout; unused from now on.
        unsafe { dealloc(exception.cast(), layout(slots)) };
    }
}
const _: fn_types::ExceptionFree = kiln_exception_free;

/// # Safety
/// `exception` must come from [`kiln_exception_new`] and `fp` must be the frame pointer
/// of the calling wasm function (compiled code passes its own), whose frame-pointer
/// chain up to the host consists of compiled wasm frames.
#[no_mangle]
pub unsafe extern "C" fn kiln_throw(vmctx: *mut VMContext, exception: usize, fp: usize) -> u32 {
    let mut fp = fp;
    loop {
        // SAFETY: `fp` is the frame pointer of a live wasm frame (caller's contract, then
        // each caller's, checked to be wasm below): the caller's frame pointer and the
        // return address are the two words it points at.
        let (caller_fp, return_address) =
            unsafe { (*(fp as *const usize), *(fp as *const usize).add(1)) };
        match traps::call_site(return_address) {
            CallSite::NotWasm => break,
            CallSite::NoHandler => fp = caller_fp,
            CallSite::Handler { pc, sp_below_fp } => {
                // SAFETY: `pc` is a handler of the call that returns to `return_address`,
                // in the frame `caller_fp`, which runs with the stack pointer the call
                // site recorded; everything below that frame is abandoned (compiled wasm
                // and this builtin, which holds nothing needing a destructor).
                unsafe { resume::jump(pc, caller_fp - sp_below_fp, caller_fp, exception) }
            }
        }
    }
    // SAFETY: caller's contract.
    let name = unsafe { tag_name(vmctx, exception) };
    UNCAUGHT_TAG_PTR.store(name.as_ptr().cast_mut(), Ordering::Relaxed);
    UNCAUGHT_TAG_LEN.store(name.len(), Ordering::Relaxed);
    1
}
const _: fn_types::Throw = kiln_throw;

/// The export name of the last uncaught exception's tag in the instance that threw it
/// last, or empty.
static UNCAUGHT_TAG_PTR: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());
static UNCAUGHT_TAG_LEN: AtomicUsize = AtomicUsize::new(0);

/// For the report of an uncaught exception (async-signal-safe: two atomic loads).
pub(crate) fn uncaught_tag_name() -> &'static str {
    let ptr = UNCAUGHT_TAG_PTR.load(Ordering::Relaxed);
    let len = UNCAUGHT_TAG_LEN.load(Ordering::Relaxed);
    if ptr.is_null() {
        return "";
    }
    // SAFETY: stored together from a 'static descriptor string (one thread runs wasm).
    unsafe { core::str::from_utf8_unchecked(core::slice::from_raw_parts(ptr, len)) }
}

/// The name under which the instance of `vmctx` exports the tag of `exception`.
///
/// # Safety
/// As for [`kiln_throw`].
unsafe fn tag_name(vmctx: *mut VMContext, exception: usize) -> &'static str {
    // SAFETY: caller's contract.
    let (inst, identity) = unsafe {
        (
            InstanceData::from_vmctx(vmctx),
            (*(exception as *const VMException)).tag,
        )
    };
    // SAFETY: descriptor contents are valid 'static compiler output.
    let exports = unsafe { inst.desc.exports.as_slice() };
    exports
        .iter()
        .find(|e| e.kind == extern_kind::TAG && inst.vmctx.tag(e.index) == identity)
        // SAFETY: as above.
        .map_or("", |e| unsafe { e.name.as_str() })
}
