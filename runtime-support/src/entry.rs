//! The executable's entry point: `kiln_run_main`, called by the `main` the compiler emits.
//!
//! Rust's `lang_start` never runs (the C `main` is the compiler's), so nothing here relies
//! on std's runtime set-up: arguments come from `argc`/`argv`.

use crate::instance::{self, invoke, Extern, Instance, InstantiationError};
use crate::prelude::*;
use crate::traps::{self, TrapLocation};
use crate::{limits, sig_registry, sys, wasi};
use core::ffi::{c_char, CStr};
use kiln_abi::manifest;
use kiln_abi::ModuleDescriptor;

/// Stack size of the thread that runs wasm.
pub const WASM_STACK_SIZE: usize = 8 << 20;

/// Stack kept free below the wasm stack limit for host code called from wasm (WASI
/// functions, builtins) and for the thread's own frames above the point where the limit
/// is computed.
const STACK_SAFETY_MARGIN: usize = 256 << 10;

/// Prepares the current thread to run wasm: trap handlers, an alternate signal stack, and
/// the stack limit that instances created on this thread get (so deep recursion traps as
/// "call stack exhausted" instead of hitting the guard page). `stack_size` is the size of
/// this thread's stack; call this near its top (early in the thread).
#[inline(never)]
pub fn init_wasm_thread(stack_size: usize) -> Result<(), sys::OsError> {
    traps::init_thread()?;
    let marker = 0u8;
    let sp = core::hint::black_box(&marker) as *const u8 as usize;
    let usable = stack_size.saturating_sub(STACK_SAFETY_MARGIN);
    instance::set_thread_stack_limit(sp.saturating_sub(usable));
    Ok(())
}

/// Runs the module described by `desc` as a WASI command: read the grants from the
/// manifest and open them (granted directories, environment), instantiate with WASI
/// imports, call `_start`, return the exit status (WASI `proc_exit` and traps exit
/// directly). The program's arguments are `argv` untouched: grants are fixed when the
/// executable is compiled, nothing on the command line adds any.
///
/// # Safety
/// `argv` must hold `argc` valid C strings (as given to `main`), `desc` must be a
/// compiler-emitted module descriptor, and `manifest` must be null or point to
/// `manifest_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn kiln_run_main(
    argc: i32,
    argv: *const *const c_char,
    desc: *const ModuleDescriptor,
    manifest: *const u8,
    manifest_len: usize,
) -> i32 {
    // SAFETY: caller's contract.
    let args = unsafe { collect_args(argc, argv) };
    sys::ignore_sigpipe();
    // SAFETY: caller's contract: null or a 'static descriptor.
    let Some(desc) = (unsafe { desc.as_ref() }) else {
        fail("no module descriptor");
        return 1;
    };
    // SAFETY: caller's contract.
    let text = match unsafe { read_manifest(manifest, manifest_len) } {
        Ok(text) => text,
        Err(msg) => {
            fail(&msg);
            return 1;
        }
    };
    let bad = |e: String| format!("cannot read the executable's manifest: {e}");
    let grants = match text
        .map_or(Ok(Vec::new()), |t| manifest::parse_grants(t).map_err(bad))
        .and_then(|grants| wasi::Grants::open(&grants))
    {
        Ok(grants) => grants,
        Err(msg) => {
            fail(&msg);
            return 1;
        }
    };
    let limits = match text.map_or(Ok(Default::default()), |t| {
        manifest::parse_limits(t).map_err(bad)
    }) {
        Ok(limits) => limits,
        Err(msg) => {
            fail(&msg);
            return 1;
        }
    };
    if let Some(bytes) = limits.max_memory {
        limits::set_memory_budget(bytes);
    }
    if let Some(ms) = limits.max_time_ms {
        if let Err(e) = limits::arm_deadline(ms) {
            fail(&format!("cannot start the --max-time watchdog: {e}"));
            return 1;
        }
    }
    // Descriptors hold raw pointers (not `Send`); the address crosses the thread boundary.
    let desc_addr = desc as *const ModuleDescriptor as usize;
    let thread = sys::run_on_thread(
        WASM_STACK_SIZE,
        Box::new(move || {
            // The WASI state belongs to the thread that runs the guest.
            wasi::install(args, grants);
            // SAFETY: the address of the 'static descriptor above.
            run(unsafe { &*(desc_addr as *const ModuleDescriptor) })
        }),
    );
    thread.unwrap_or_else(|e| {
        fail(&format!("cannot start the wasm thread: {e}"));
        1
    })
}

/// The executable's manifest text (`None` without a manifest).
///
/// # Safety
/// `manifest` must be null or point to `len` readable bytes that live for the process.
unsafe fn read_manifest(manifest: *const u8, len: usize) -> Result<Option<&'static str>, String> {
    if manifest.is_null() {
        return Ok(None);
    }
    // SAFETY: caller's contract.
    let bytes = unsafe { core::slice::from_raw_parts(manifest, len) };
    core::str::from_utf8(bytes)
        .map(Some)
        .map_err(|_| "cannot read the executable's manifest: not UTF-8".to_string())
}

fn run(desc: &'static ModuleDescriptor) -> i32 {
    if let Err(e) = init_wasm_thread(WASM_STACK_SIZE) {
        fail(&format!("cannot set up trap handling: {e}"));
        return 1;
    }
    // SAFETY: a compiler-emitted descriptor; the WASI resolver only returns the runtime's
    // own host functions.
    let instance = match unsafe { Instance::new(desc, wasi::resolver(desc)) } {
        Ok(instance) => instance,
        Err(InstantiationError::Link(msg)) => {
            fail(&msg);
            return 1;
        }
        Err(InstantiationError::Trap { kind, context }) => {
            traps::write_report(kind, TrapLocation::Instantiation(&context), &mut |b| {
                sys::write_stderr(b)
            });
            return kind.exit_status();
        }
    };
    let Some(Extern::Func(start)) = instance.export("_start") else {
        fail("module has no `_start` export");
        return 1;
    };
    // SAFETY: an exported funcref of a live instance.
    let sig_id = unsafe { (*start).sig_id };
    if sig_registry::signature(sig_id) != Some((vec![], vec![])) {
        fail("`_start` must have type [] -> []");
        return 1;
    }
    // SAFETY: `_start` takes and returns nothing (checked above).
    if let Err(e) = unsafe { invoke(start, &mut []) } {
        fail(&e);
        return 1;
    }
    // `instance` is not destroyed: the process is about to exit.
    0
}

fn fail(msg: &str) {
    sys::write_stderr(format!("error: {msg}\n").as_bytes());
}

/// # Safety
/// `argv` must hold `argc` valid C strings, or be null.
unsafe fn collect_args(argc: i32, argv: *const *const c_char) -> Vec<Vec<u8>> {
    // Windows: from the UTF-16 command line instead (`argv` is in the ANSI code page).
    #[cfg(windows)]
    if let Some(args) = sys::arguments() {
        return args;
    }
    if argv.is_null() {
        return Vec::new();
    }
    (0..argc.max(0) as usize)
        .map(|i| {
            // SAFETY: caller's contract.
            let arg = unsafe { *argv.add(i) };
            if arg.is_null() {
                Vec::new()
            } else {
                // SAFETY: caller's contract: a NUL-terminated string.
                unsafe { CStr::from_ptr(arg) }.to_bytes().to_vec()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
