//! Calling a funcref from the host: through the per-signature trampoline.

use super::names::sig_name;
use crate::prelude::*;
use crate::sig_registry;
use kiln_abi::{VMFuncRef, VMGlobal};

/// Calls `func` through the trampoline of its signature. `values` holds the arguments and
/// receives the results (16 bytes a value, see [`value_from_bits`]).
///
/// While compiled code runs, this frame owns nothing with a destructor, so a trap caught by
/// an enclosing [`crate::traps::call_protected`] abandons it harmlessly.
///
/// # Safety
/// `func` must be a live funcref and `values` must hold arguments of its parameter types.
pub unsafe fn invoke(func: *const VMFuncRef, values: &mut [VMGlobal]) -> Result<(), String> {
    // SAFETY: caller's contract.
    let f = unsafe { &*func };
    let (trampoline, needed) = call_info(f.sig_id)?;
    if values.len() < needed {
        return Err(format!(
            "calling a function of type {} needs {needed} value slots",
            sig_name(f.sig_id)
        ));
    }
    // SAFETY: the trampoline matches the function's signature; `values` is big enough.
    unsafe { trampoline(f.fn_ptr, f.vmctx, values.as_mut_ptr()) };
    Ok(())
}

/// The trampoline of signature `sig_id` and how many value slots a call needs.
fn call_info(sig_id: u32) -> Result<(kiln_abi::Trampoline, usize), String> {
    match (
        sig_registry::signature(sig_id),
        sig_registry::trampoline(sig_id),
    ) {
        (Some((params, results)), Some(trampoline)) => {
            Ok((trampoline, params.len().max(results.len())))
        }
        _ => Err(format!("funcref with unknown signature id {sig_id}")),
    }
}
