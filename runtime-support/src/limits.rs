//! The deployer's resource limits (`--max-memory`, `--max-time`, read from the manifest)
//! and the interrupt that enforces the deadline.
//!
//! Memory: every linear memory and table charges its bytes here when created or grown
//! (tables 8 bytes an element) and gives them back when freed; a charge beyond the budget
//! fails, so `memory.grow`/`table.grow` return -1 and instantiation reports an error.
//!
//! Interrupts: an instance is interrupted by storing [`INTERRUPTED_STACK_LIMIT`] in its
//! `vmctx.stack_limit` from any thread. The next function entry then fails its stack check
//! and, in code compiled with `--max-time`, so does the next loop header's explicit check;
//! both are reported as "deadline exceeded". Code compiled without `--max-time` pays
//! nothing. The deadline is a watchdog thread that interrupts the instance when the time
//! is up; an embedding API can interrupt an instance the same way.

use crate::prelude::*;
use crate::sys;
use crate::traps::{self, TrapLocation};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use kiln_abi::{TrapKind, INTERRUPTED_STACK_LIMIT};

static MEMORY_BUDGET: AtomicU64 = AtomicU64::new(u64::MAX);
static MEMORY_IN_USE: AtomicU64 = AtomicU64::new(0);

/// Bytes a table element takes against the memory budget.
pub const TABLE_ELEMENT_BYTES: u64 = 8;

/// Sets the memory budget (`--max-memory`) for everything created from now on.
pub fn set_memory_budget(bytes: u64) {
    MEMORY_BUDGET.store(bytes, Ordering::SeqCst);
}

/// The memory budget, when one is set.
pub fn memory_budget() -> Option<u64> {
    Some(MEMORY_BUDGET.load(Ordering::SeqCst)).filter(|&b| b != u64::MAX)
}

/// Accounts `bytes` more memory; `false` (and nothing accounted) when that would exceed
/// the budget.
pub fn charge(bytes: u64) -> bool {
    let budget = MEMORY_BUDGET.load(Ordering::SeqCst);
    MEMORY_IN_USE
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
            used.checked_add(bytes).filter(|&total| total <= budget)
        })
        .is_ok()
}

/// Whether `bytes` more would fit the budget.
pub fn fits(bytes: u64) -> bool {
    MEMORY_IN_USE
        .load(Ordering::SeqCst)
        .checked_add(bytes)
        .is_some_and(|total| total <= MEMORY_BUDGET.load(Ordering::SeqCst))
}

/// Gives back what [`charge`] accounted.
pub fn release(bytes: u64) {
    MEMORY_IN_USE.fetch_sub(bytes, Ordering::SeqCst);
}

/// The error for a memory or table whose initial size does not fit the budget.
pub fn over_budget(what: &str, bytes: u64) -> String {
    let budget = MEMORY_BUDGET.load(Ordering::SeqCst);
    let in_use = MEMORY_IN_USE.load(Ordering::SeqCst);
    format!(
        "the module needs {bytes} bytes for {what}, beyond the --max-memory limit of \
         {budget} bytes ({in_use} bytes already in use)"
    )
}

static DEADLINE_ARMED: AtomicBool = AtomicBool::new(false);
static DEADLINE_PASSED: AtomicBool = AtomicBool::new(false);
/// `&vmctx.stack_limit` of the instance the deadline stops (null until one is created).
static WATCHED: AtomicPtr<usize> = AtomicPtr::new(core::ptr::null_mut());

/// How long after the deadline a program that is still not stopped (blocked in a host
/// call, where no check runs) is ended by the watchdog itself.
const GRACE_MS: u64 = 1_000;

/// Interrupts the instance whose stack limit is at `stack_limit`.
///
/// # Safety
/// `stack_limit` must point at the `stack_limit` field of a live `VMContext`.
pub unsafe fn interrupt(stack_limit: *mut usize) {
    // SAFETY: caller's contract; compiled code reads the field with plain loads, which
    // an atomic store of a whole word does not tear.
    unsafe { AtomicUsize::from_ptr(stack_limit) }.store(INTERRUPTED_STACK_LIMIT, Ordering::SeqCst);
}

/// Makes the instance whose stack limit is at `stack_limit` the one a deadline stops (a
/// deadline that already passed stops it at once).
///
/// # Safety
/// `stack_limit` must point at the `stack_limit` field of a `VMContext` that is never
/// freed (the standalone executable's instance).
pub unsafe fn watch(stack_limit: *mut usize) {
    WATCHED.store(stack_limit, Ordering::SeqCst);
    if DEADLINE_PASSED.load(Ordering::SeqCst) {
        // SAFETY: caller's contract.
        unsafe { interrupt(stack_limit) };
    }
}

/// Whether a deadline was armed (instances created from then on are watched).
pub fn deadline_armed() -> bool {
    DEADLINE_ARMED.load(Ordering::SeqCst)
}

/// Whether the deadline has passed: a trap at a stack check is then the interrupt.
pub fn deadline_passed() -> bool {
    DEADLINE_PASSED.load(Ordering::SeqCst)
}

/// Starts the watchdog that interrupts the watched instance after `ms` milliseconds, and
/// ends the process [`GRACE_MS`] later if it is still running.
pub fn arm_deadline(ms: u64) -> Result<(), sys::OsError> {
    DEADLINE_ARMED.store(true, Ordering::SeqCst);
    sys::spawn_detached(Box::new(move || {
        sys::sleep_ms(ms);
        DEADLINE_PASSED.store(true, Ordering::SeqCst);
        let watched = WATCHED.load(Ordering::SeqCst);
        if !watched.is_null() {
            // SAFETY: `watch`'s contract: the context outlives the process.
            unsafe { interrupt(watched) };
        }
        sys::sleep_ms(GRACE_MS);
        traps::report_and_exit(TrapKind::DeadlineExceeded, TrapLocation::BlockedInHostCall);
    }))
}
