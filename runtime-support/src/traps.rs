//! Traps: the registry of compiled modules the signal handler searches, the lookup from a
//! faulting PC to a trap site, and the report.
//!
//! The platform part (installing handlers, reading the PC from the signal context and
//! redirecting it, the alternate stack) is in [`crate::sys`]; it calls [`handle_fault`]
//! with the PC. A hit under a protected call ([`call_protected`], see [`recover`]) resumes
//! at that call, which returns the trap kind; a hit without one is reported and the process
//! exits with [`TrapKind::exit_status`]; a miss is left to the platform layer, which lets the
//! real crash happen.

use crate::prelude::*;
use crate::{limits, sys};
use core::ops::Range;
use core::ptr;
use kiln_abi::{FunctionDesc, ModuleDescriptor, TrapKind};
pub(crate) use recover::Resume;
pub use recover::{call_protected, in_protected_call};

mod recover;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Where a trap happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapLocation<'a> {
    /// In compiled code: the function's index in its module, its name (may be empty) and
    /// the wasm byte offset of the instruction, when there is one.
    Function {
        index: u32,
        name: &'a str,
        wasm_offset: Option<u32>,
    },
    /// While instantiating (an active segment that does not fit).
    Instantiation(&'a str),
    /// Outside compiled code: the deadline passed while the program was blocked in a
    /// host (WASI) call, where no interrupt check runs.
    BlockedInHostCall,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapInfo {
    pub kind: TrapKind,
    pub func_index: u32,
    pub func_name: &'static str,
    /// The trapping instruction's offset in the wasm module, if known.
    pub wasm_offset: Option<u32>,
}

/// One registered module. Nodes are pushed at the head and never freed, so the signal
/// handler can walk the list at any moment without locks or allocation.
struct Node {
    desc: *const ModuleDescriptor,
    next: *const Node,
    /// The addresses its defined functions' code spans.
    code: Range<usize>,
    /// Index of its first defined function (imports come first, without code).
    first_defined: usize,
    /// Defined functions lie in index order in memory (how the compiler lays them out),
    /// so a PC can be found by binary search.
    sorted: bool,
}

static MODULES: AtomicPtr<Node> = AtomicPtr::new(ptr::null_mut());

fn nodes() -> impl Iterator<Item = &'static Node> {
    let mut p: *const Node = MODULES.load(Ordering::Acquire);
    core::iter::from_fn(move || {
        // SAFETY: nodes are published fully initialised (Release) and never freed.
        let node = unsafe { p.as_ref()? };
        p = node.next;
        Some(node)
    })
}

/// Makes the trap handler aware of `desc`'s code (once per descriptor).
pub fn register_module(desc: &'static ModuleDescriptor) {
    if nodes().any(|n| ptr::eq(n.desc, desc)) {
        return;
    }
    // SAFETY: descriptors are valid 'static compiler output (Instance::new's contract).
    let functions = unsafe { desc.functions.as_slice() };
    let first_defined = functions.iter().take_while(|f| f.body.is_null()).count();
    let defined = &functions[first_defined..];
    let span = |f: &FunctionDesc| f.body as usize..f.body as usize + f.body_len as usize;
    let sorted = defined
        .windows(2)
        .all(|w| !w[1].body.is_null() && span(&w[0]).end <= w[1].body as usize);
    let start = defined.iter().map(|f| span(f).start).min().unwrap_or(0);
    let end = defined.iter().map(|f| span(f).end).max().unwrap_or(0);
    let code = start..end;
    let node = Box::into_raw(Box::new(Node {
        desc,
        next: ptr::null(),
        code,
        first_defined,
        sorted,
    }));
    let mut head = MODULES.load(Ordering::Acquire);
    loop {
        // SAFETY: `node` is ours and not yet published.
        unsafe { (*node).next = head };
        match MODULES.compare_exchange_weak(head, node, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(current) => head = current,
        }
    }
}

/// The compiled function whose code contains `pc`, with its index in its module.
/// Async-signal-safe: no allocation, no locks.
fn function_at(pc: usize) -> Option<(usize, &'static FunctionDesc)> {
    let contains = |f: &FunctionDesc| {
        let start = f.body as usize;
        !f.body.is_null() && pc >= start && pc - start < f.body_len as usize
    };
    for node in nodes().filter(|n| n.code.contains(&pc)) {
        // SAFETY: registered descriptors are valid 'static compiler output.
        let functions = unsafe { (*node.desc).functions.as_slice() };
        let found = if node.sorted {
            let defined = &functions[node.first_defined..];
            let after = defined.partition_point(|f| f.body as usize <= pc);
            after
                .checked_sub(1)
                .map(|i| node.first_defined + i)
                .filter(|&i| contains(&functions[i]))
        } else {
            functions.iter().position(contains)
        };
        if let Some(index) = found {
            return Some((index, &functions[index]));
        }
    }
    None
}

/// The trap site at `pc`, if it is one in registered compiled code. Async-signal-safe:
/// no allocation, no locks.
pub fn lookup(pc: usize) -> Option<TrapInfo> {
    let (index, f) = function_at(pc)?;
    let offset = (pc - f.body as usize) as u32;
    // SAFETY: registered descriptors are valid 'static compiler output.
    let (sites, name) = unsafe { (f.traps.as_slice(), f.name.as_str()) };
    // Functions do not overlap: a PC inside one but not at a trap site is a crash.
    let site = sites
        .binary_search_by_key(&offset, |s| s.offset)
        .ok()
        .map(|i| &sites[i])?;
    let kind = match TrapKind::from_u32(site.kind)? {
        // An interrupt makes stack checks fail on purpose (see `limits`).
        TrapKind::StackOverflow if limits::deadline_passed() => TrapKind::DeadlineExceeded,
        kind => kind,
    };
    Some(TrapInfo {
        kind,
        func_index: index as u32,
        func_name: name,
        wasm_offset: Some(site.wasm_offset).filter(|&o| o != kiln_abi::NO_INDEX),
    })
}

/// What the return address of a frame tells the exception unwinder.
pub(crate) enum CallSite {
    /// Not in compiled wasm: the caller is a trampoline from the host.
    NotWasm,
    /// A call in a wasm function without a handler: unwind further.
    NoHandler,
    /// A `try_call`: resume at `pc` with the stack pointer `sp_below_fp` under the
    /// caller's frame pointer.
    Handler { pc: usize, sp_below_fp: usize },
}

/// Looks up the call that returns to `return_address` in registered compiled code.
pub(crate) fn call_site(return_address: usize) -> CallSite {
    // The call instruction itself ends at the return address: look up the byte before it
    // (a call can be the last instruction of a function).
    let Some((_, f)) = function_at(return_address.wrapping_sub(1)) else {
        return CallSite::NotWasm;
    };
    let start = f.body as usize;
    let offset = (return_address - start) as u32;
    // SAFETY: registered descriptors are valid 'static compiler output.
    let sites = unsafe { f.handlers.as_slice() };
    match sites.binary_search_by_key(&offset, |s| s.return_offset) {
        Ok(i) => CallSite::Handler {
            pc: start + sites[i].handler_offset as usize,
            sp_below_fp: sites[i].sp_below_fp as usize,
        },
        Err(_) => CallSite::NoHandler,
    }
}

/// What the platform signal handler does about a fault.
pub(crate) enum FaultAction {
    /// Not a wasm trap: let the real crash happen.
    NotWasm,
    /// A wasm trap under a protected call: resume there (rewrite the signal context).
    Resume(Resume),
}

/// Called by the platform signal handler with the faulting PC. A wasm trap returns to the
/// innermost [`call_protected`] of this thread when there is one; otherwise it is reported
/// and the process exits with [`TrapKind::exit_status`] (a standalone executable). Anything
/// else is [`FaultAction::NotWasm`]. Async-signal-safe.
pub(crate) fn handle_fault(pc: usize) -> FaultAction {
    let Some(info) = lookup(pc) else {
        return FaultAction::NotWasm;
    };
    if let Some(resume) = recover::resume_point(info.kind) {
        return FaultAction::Resume(resume);
    }
    let location = TrapLocation::Function {
        index: info.func_index,
        name: info.func_name,
        wasm_offset: info.wasm_offset,
    };
    write_report(info.kind, location, &mut |b| sys::write_stderr(b));
    sys::exit_now(info.kind.exit_status())
}

/// Prints a trap to stderr (write(2) only) and exits with its status
/// ([`TrapKind::exit_status`]).
pub fn report_and_exit(kind: TrapKind, location: TrapLocation<'_>) -> ! {
    write_report(kind, location, &mut |b| sys::write_stderr(b));
    sys::exit_now(kind.exit_status())
}

/// Writes the report in pieces, without allocating:
/// `error: wasm trap: <message>\n  in wasm function <index> `<name>` at offset 0x<hex>\n`
/// (`error: wasm exception: uncaught exception (tag `<export name>`)` for an exception;
/// the offset is the trapping instruction's in the wasm module).
pub fn write_report(kind: TrapKind, location: TrapLocation<'_>, out: &mut dyn FnMut(&[u8])) {
    out(kind.prefix().as_bytes());
    out(kind.message().as_bytes());
    if kind == TrapKind::UncaughtException {
        let tag = crate::exceptions::uncaught_tag_name();
        if !tag.is_empty() {
            out(b" (tag `");
            out(tag.as_bytes());
            out(b"`)");
        }
    }
    match location {
        TrapLocation::Function {
            index,
            name,
            wasm_offset,
        } => {
            out(b"\n  in wasm function ");
            let mut digits = [0u8; 10];
            out(decimal(index, &mut digits));
            if !name.is_empty() {
                out(b" `");
                out(name.as_bytes());
                out(b"`");
            }
            if let Some(offset) = wasm_offset {
                out(b" at offset 0x");
                let mut hex = [0u8; 8];
                out(lower_hex(offset, &mut hex));
            }
        }
        TrapLocation::Instantiation(what) => {
            out(b"\n  during instantiation: ");
            out(what.as_bytes());
        }
        TrapLocation::BlockedInHostCall => out(b"\n  while blocked in a host call"),
    }
    out(b"\n");
}

/// `n` in lowercase hexadecimal without leading zeros.
fn lower_hex(mut n: u32, buf: &mut [u8; 8]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(n % 16) as usize];
        n /= 16;
        if n == 0 {
            return &buf[i..];
        }
    }
}

fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Prepares the current thread to run wasm: the process-wide trap handlers and this
/// thread's alternate signal stack.
pub fn init_thread() -> Result<(), sys::OsError> {
    sys::install_signal_handlers();
    sys::ensure_alt_stack()
}

#[cfg(test)]
pub(crate) mod tests;
