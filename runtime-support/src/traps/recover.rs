//! Recovering from traps: protected calls and the landing routine the signal handler
//! resumes at.
//!
//! [`call_protected`] enters compiled code through `kiln_rt_protected_call`, a few lines
//! of assembly that save the callee-saved registers, the frame pointer and the stack
//! pointer of the entry in a [`Record`] (on the Rust stack) and push that record on this
//! thread's stack of active protected calls. When compiled code running below it reaches a
//! trap site, the signal handler (on the alternate stack) asks [`resume_point`] where to
//! go: it stores the trap kind in the innermost record and rewrites the signal context so
//! that returning from the handler jumps to `kiln_rt_trap_landing` with the record's stack
//! and frame pointers and the record's address in the first argument register. The landing
//! reloads the saved registers and returns the trap kind from `kiln_rt_protected_call`, as
//! if it had returned normally. The wasm frames (and any host frames between the entry and
//! the trap) are abandoned, never unwound; returning from the handler through
//! `sigreturn` restores the signal mask and leaves the alternate stack, so the thread can
//! run wasm again straight away (also after a stack overflow).
//!
//! No `setjmp`/`longjmp`: the only non-local control transfer is the context rewrite.

use crate::sys::ThreadLocal;
use core::cell::Cell;
use core::ffi::c_void;
use core::mem::offset_of;
use core::ptr;
use kiln_abi::TrapKind;

/// Registers `kiln_rt_protected_call` saves (System V: rbx, rbp, r12-r15 and rsp).
#[cfg(all(target_arch = "x86_64", not(windows)))]
#[repr(C)]
#[derive(Default)]
struct Saved {
    rbx: u64,
    rbp: u64,
    r12: u64,
    r13: u64,
    r14: u64,
    r15: u64,
    /// The stack pointer at entry: it points at the return address.
    rsp: u64,
}

/// Registers `kiln_rt_protected_call` saves (Win64: rbx, rbp, rdi, rsi, r12-r15, rsp and
/// xmm6-xmm15).
#[cfg(all(target_arch = "x86_64", windows))]
#[repr(C)]
#[derive(Default)]
struct Saved {
    rbx: u64,
    rbp: u64,
    rdi: u64,
    rsi: u64,
    r12: u64,
    r13: u64,
    r14: u64,
    r15: u64,
    /// The stack pointer at entry: it points at the return address.
    rsp: u64,
    /// xmm6-xmm15, 16 bytes each.
    xmm6_15: [u64; 20],
}

/// Registers `kiln_rt_protected_call` saves (AAPCS64: x19-x28, the frame pointer x29, the
/// link register x30, sp, and the low halves d8-d15 of v8-v15).
#[cfg(target_arch = "aarch64")]
#[repr(C)]
#[derive(Default)]
struct Saved {
    x19_x28: [u64; 10],
    x29: u64,
    x30: u64,
    sp: u64,
    _pad: u64,
    d8_d15: [u64; 8],
}

/// One active protected call. Lives in [`call_protected`]'s frame, which stays intact
/// while the protected code runs below it; that frame also keeps the enclosing call's
/// record, which becomes the innermost again when this call returns (normally or not).
#[repr(C)]
pub(crate) struct Record {
    saved: Saved,
    /// The [`TrapKind`] the signal handler stores before redirecting to the landing.
    trap: u32,
}

// The assembly below assembles for ELF (Linux) and Mach-O (macOS); Windows (COFF, Win64
// calling convention) has its own block after them. The macros give the
// differences: Mach-O symbol names carry a leading underscore (Rust's `extern "C"`
// declarations below add it too), hidden visibility is `.private_extern`, sections are
// named `segment,section`, and Mach-O has no `.type`/`.size`.

/// The assembler name of the C symbol `$name`.
#[cfg(not(any(target_vendor = "apple", windows)))]
macro_rules! c_sym {
    ($name:literal) => {
        $name
    };
}
#[cfg(target_vendor = "apple")]
macro_rules! c_sym {
    ($name:literal) => {
        concat!("_", $name)
    };
}

/// Switches to the text section the routines live in (undone by `.popsection`).
#[cfg(not(any(target_vendor = "apple", windows)))]
macro_rules! text_section {
    () => {
        ".pushsection .text.kiln_rt_protected_call,\"ax\",@progbits"
    };
}
#[cfg(target_vendor = "apple")]
macro_rules! text_section {
    () => {
        ".pushsection __TEXT,__text,regular,pure_instructions"
    };
}

/// Declares a global, hidden function symbol `$name` (`$type`: `@function` on x86_64,
/// `%function` on aarch64, for ELF's `.type`).
#[cfg(not(any(target_vendor = "apple", windows)))]
macro_rules! function_symbol {
    ($name:literal, $type:literal) => {
        concat!(".globl ", $name, "\n", ".hidden ", $name, "\n", ".type ", $name, ",", $type,)
    };
}
#[cfg(target_vendor = "apple")]
macro_rules! function_symbol {
    ($name:literal, $type:literal) => {
        concat!(".globl _", $name, "\n", ".private_extern _", $name)
    };
}

/// Records the size of the function `$name` (ELF only).
#[cfg(not(any(target_vendor = "apple", windows)))]
macro_rules! function_size {
    ($name:literal) => {
        concat!(".size ", $name, ", . - ", $name)
    };
}
#[cfg(target_vendor = "apple")]
macro_rules! function_size {
    ($name:literal) => {
        ""
    };
}

#[cfg(all(target_arch = "x86_64", not(windows)))]
core::arch::global_asm!(
    text_section!(),
    function_symbol!("kiln_rt_protected_call", "@function"),
    ".p2align 4",
    // (record: rdi, f: rsi, data: rdx) -> eax
    concat!(c_sym!("kiln_rt_protected_call"), ":"),
    ".cfi_startproc",
    "mov [rdi + {rbx}], rbx",
    "mov [rdi + {rbp}], rbp",
    "mov [rdi + {r12}], r12",
    "mov [rdi + {r13}], r13",
    "mov [rdi + {r14}], r14",
    "mov [rdi + {r15}], r15",
    "mov [rdi + {rsp}], rsp",
    // A frame of our own keeps the frame-pointer chain and aligns the stack for the call.
    "push rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "mov rax, rsi",
    "mov rdi, rdx",
    "call rax",
    "pop rbp",
    ".cfi_def_cfa rsp, 8",
    "xor eax, eax",
    "ret",
    ".cfi_endproc",
    function_size!("kiln_rt_protected_call"),
    "",
    function_symbol!("kiln_rt_trap_landing", "@function"),
    ".p2align 4",
    // Entered from the signal handler's sigreturn with rdi = record (and rsp/rbp already
    // the saved ones); returns the trap kind from kiln_rt_protected_call.
    concat!(c_sym!("kiln_rt_trap_landing"), ":"),
    "mov rbx, [rdi + {rbx}]",
    "mov rbp, [rdi + {rbp}]",
    "mov r12, [rdi + {r12}]",
    "mov r13, [rdi + {r13}]",
    "mov r14, [rdi + {r14}]",
    "mov r15, [rdi + {r15}]",
    "mov rsp, [rdi + {rsp}]",
    "mov eax, dword ptr [rdi + {trap}]",
    "ret",
    function_size!("kiln_rt_trap_landing"),
    ".popsection",
    rbx = const offset_of!(Record, saved) + offset_of!(Saved, rbx),
    rbp = const offset_of!(Record, saved) + offset_of!(Saved, rbp),
    r12 = const offset_of!(Record, saved) + offset_of!(Saved, r12),
    r13 = const offset_of!(Record, saved) + offset_of!(Saved, r13),
    r14 = const offset_of!(Record, saved) + offset_of!(Saved, r14),
    r15 = const offset_of!(Record, saved) + offset_of!(Saved, r15),
    rsp = const offset_of!(Record, saved) + offset_of!(Saved, rsp),
    trap = const offset_of!(Record, trap),
);

// COFF (Windows on aarch64; the x86_64 block below spells its directives out): no
// symbol prefix, no `.hidden`/`.type`/`.size`.
#[cfg(windows)]
#[allow(unused_macros)]
macro_rules! c_sym {
    ($name:literal) => {
        $name
    };
}
#[cfg(windows)]
#[allow(unused_macros)]
macro_rules! text_section {
    () => {
        ".pushsection .text,\"xr\""
    };
}
#[cfg(windows)]
#[allow(unused_macros)]
macro_rules! function_symbol {
    ($name:literal, $type:literal) => {
        concat!(".globl ", $name)
    };
}
#[cfg(windows)]
#[allow(unused_macros)]
macro_rules! function_size {
    ($name:literal) => {
        ""
    };
}

#[cfg(all(target_arch = "x86_64", windows))]
core::arch::global_asm!(
    ".pushsection .text,\"xr\"",
    ".globl kiln_rt_protected_call",
    ".p2align 4",
    // (record: rcx, f: rdx, data: r8) -> eax
    "kiln_rt_protected_call:",
    "mov [rcx + {rbx}], rbx",
    "mov [rcx + {rbp}], rbp",
    "mov [rcx + {rdi}], rdi",
    "mov [rcx + {rsi}], rsi",
    "mov [rcx + {r12}], r12",
    "mov [rcx + {r13}], r13",
    "mov [rcx + {r14}], r14",
    "mov [rcx + {r15}], r15",
    "mov [rcx + {rsp}], rsp",
    "movdqu [rcx + {xmm}], xmm6",
    "movdqu [rcx + {xmm} + 16], xmm7",
    "movdqu [rcx + {xmm} + 32], xmm8",
    "movdqu [rcx + {xmm} + 48], xmm9",
    "movdqu [rcx + {xmm} + 64], xmm10",
    "movdqu [rcx + {xmm} + 80], xmm11",
    "movdqu [rcx + {xmm} + 96], xmm12",
    "movdqu [rcx + {xmm} + 112], xmm13",
    "movdqu [rcx + {xmm} + 128], xmm14",
    "movdqu [rcx + {xmm} + 144], xmm15",
    // A frame of our own, 16-byte aligned, with the callee's 32-byte shadow space.
    "push rbp",
    "mov rbp, rsp",
    "sub rsp, 32",
    "mov rax, rdx",
    "mov rcx, r8",
    "call rax",
    "mov rsp, rbp",
    "pop rbp",
    "xor eax, eax",
    "ret",
    "",
    ".globl kiln_rt_trap_landing",
    ".p2align 4",
    // Entered from the exception handler with rcx = record (and rsp/rbp already the saved
    // ones); returns the trap kind from kiln_rt_protected_call.
    "kiln_rt_trap_landing:",
    "mov rbx, [rcx + {rbx}]",
    "mov rbp, [rcx + {rbp}]",
    "mov rdi, [rcx + {rdi}]",
    "mov rsi, [rcx + {rsi}]",
    "mov r12, [rcx + {r12}]",
    "mov r13, [rcx + {r13}]",
    "mov r14, [rcx + {r14}]",
    "mov r15, [rcx + {r15}]",
    "movdqu xmm6, [rcx + {xmm}]",
    "movdqu xmm7, [rcx + {xmm} + 16]",
    "movdqu xmm8, [rcx + {xmm} + 32]",
    "movdqu xmm9, [rcx + {xmm} + 48]",
    "movdqu xmm10, [rcx + {xmm} + 64]",
    "movdqu xmm11, [rcx + {xmm} + 80]",
    "movdqu xmm12, [rcx + {xmm} + 96]",
    "movdqu xmm13, [rcx + {xmm} + 112]",
    "movdqu xmm14, [rcx + {xmm} + 128]",
    "movdqu xmm15, [rcx + {xmm} + 144]",
    "mov rsp, [rcx + {rsp}]",
    "mov eax, dword ptr [rcx + {trap}]",
    "ret",
    ".popsection",
    rbx = const offset_of!(Record, saved) + offset_of!(Saved, rbx),
    rbp = const offset_of!(Record, saved) + offset_of!(Saved, rbp),
    rdi = const offset_of!(Record, saved) + offset_of!(Saved, rdi),
    rsi = const offset_of!(Record, saved) + offset_of!(Saved, rsi),
    r12 = const offset_of!(Record, saved) + offset_of!(Saved, r12),
    r13 = const offset_of!(Record, saved) + offset_of!(Saved, r13),
    r14 = const offset_of!(Record, saved) + offset_of!(Saved, r14),
    r15 = const offset_of!(Record, saved) + offset_of!(Saved, r15),
    rsp = const offset_of!(Record, saved) + offset_of!(Saved, rsp),
    xmm = const offset_of!(Record, saved) + offset_of!(Saved, xmm6_15),
    trap = const offset_of!(Record, trap),
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    text_section!(),
    function_symbol!("kiln_rt_protected_call", "%function"),
    ".p2align 2",
    // (record: x0, f: x1, data: x2) -> w0. x18 (the platform register on macOS) is never
    // touched.
    concat!(c_sym!("kiln_rt_protected_call"), ":"),
    ".cfi_startproc",
    "hint #34", // bti c
    "stp x19, x20, [x0, #{x19}]",
    "stp x21, x22, [x0, #{x19} + 16]",
    "stp x23, x24, [x0, #{x19} + 32]",
    "stp x25, x26, [x0, #{x19} + 48]",
    "stp x27, x28, [x0, #{x19} + 64]",
    "stp x29, x30, [x0, #{x29}]",
    "mov x9, sp",
    "str x9, [x0, #{sp}]",
    "stp d8, d9, [x0, #{d8}]",
    "stp d10, d11, [x0, #{d8} + 16]",
    "stp d12, d13, [x0, #{d8} + 32]",
    "stp d14, d15, [x0, #{d8} + 48]",
    // A frame record of our own for the call (the link register is clobbered by blr).
    "stp x29, x30, [sp, #-16]!",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset x30, -8",
    ".cfi_offset x29, -16",
    "mov x29, sp",
    "mov x9, x1",
    "mov x0, x2",
    "blr x9",
    "ldp x29, x30, [sp], #16",
    ".cfi_def_cfa_offset 0",
    ".cfi_restore x30",
    ".cfi_restore x29",
    "mov w0, wzr",
    "ret",
    ".cfi_endproc",
    function_size!("kiln_rt_protected_call"),
    "",
    function_symbol!("kiln_rt_trap_landing", "%function"),
    ".p2align 2",
    // Entered from the signal handler's sigreturn with x0 = record (and sp/x29 already the
    // saved ones); returns the trap kind from kiln_rt_protected_call through the saved x30.
    concat!(c_sym!("kiln_rt_trap_landing"), ":"),
    "ldp x19, x20, [x0, #{x19}]",
    "ldp x21, x22, [x0, #{x19} + 16]",
    "ldp x23, x24, [x0, #{x19} + 32]",
    "ldp x25, x26, [x0, #{x19} + 48]",
    "ldp x27, x28, [x0, #{x19} + 64]",
    "ldp x29, x30, [x0, #{x29}]",
    "ldp d8, d9, [x0, #{d8}]",
    "ldp d10, d11, [x0, #{d8} + 16]",
    "ldp d12, d13, [x0, #{d8} + 32]",
    "ldp d14, d15, [x0, #{d8} + 48]",
    "ldr x9, [x0, #{sp}]",
    "mov sp, x9",
    "ldr w0, [x0, #{trap}]",
    "ret",
    function_size!("kiln_rt_trap_landing"),
    ".popsection",
    x19 = const offset_of!(Record, saved) + offset_of!(Saved, x19_x28),
    x29 = const offset_of!(Record, saved) + offset_of!(Saved, x29),
    sp = const offset_of!(Record, saved) + offset_of!(Saved, sp),
    d8 = const offset_of!(Record, saved) + offset_of!(Saved, d8_d15),
    trap = const offset_of!(Record, trap),
);

extern "C" {
    /// Saves the registers in `record`, calls `f(data)` and returns 0; or, after a trap
    /// below it, returns the trap kind (through `kiln_rt_trap_landing`).
    fn kiln_rt_protected_call(
        record: *mut Record,
        f: unsafe extern "C" fn(*mut c_void),
        data: *mut c_void,
    ) -> u32;
    /// Not a callable function: the address the signal handler resumes at.
    fn kiln_rt_trap_landing();
}

/// The innermost active protected call of this thread (read by the signal handler with
/// [`ThreadLocal::get_existing`], which neither allocates nor locks).
static INNERMOST: ThreadLocal<Cell<*mut Record>> = ThreadLocal::new(|| Cell::new(ptr::null_mut()));

/// Calls `f` so that a wasm trap in compiled code it calls (on this thread) returns
/// `Err(kind)` here instead of ending the process. Protected calls nest: a trap returns
/// from the innermost one.
///
/// After a trap, the frames between this call and the trap site are abandoned without
/// running destructors: whatever `f` owns is leaked, locks it holds stay held, `RefCell`
/// borrows stay active. So keep `f` to a call into compiled code (e.g. [`crate::invoke`])
/// and keep anything with a destructor or a guard outside it. A panic must not unwind out
/// of `f` (it aborts the process).
///
/// # Safety
/// The compiled code `f` calls, and every host frame between this call and a trap site,
/// must tolerate being abandoned as described above.
pub unsafe fn call_protected<F: FnOnce()>(f: F) -> Result<(), TrapKind> {
    unsafe extern "C" fn call_once<F: FnOnce()>(data: *mut c_void) {
        // SAFETY: `data` is the `Option<F>` in `call_protected`'s frame, alive during the
        // call and not accessed by anything else meanwhile.
        let f = unsafe { (*data.cast::<Option<F>>()).take() };
        if let Some(f) = f {
            f();
        }
    }
    let mut f = Some(f);
    let prev = INNERMOST.with(Cell::get);
    let mut record = Record {
        saved: Saved::default(),
        trap: 0,
    };
    INNERMOST.with(|c| c.set(&mut record));
    // SAFETY: `record` outlives the call (it is popped right after the call returns, one
    // way or the other); `data` is the `Option<F>` that `call_once::<F>` expects.
    let code = unsafe {
        kiln_rt_protected_call(
            &mut record,
            call_once::<F>,
            (&mut f as *mut Option<F>).cast(),
        )
    };
    INNERMOST.with(|c| c.set(prev));
    match code {
        0 => Ok(()),
        // The handler only stores kinds it found in a trap table.
        code => Err(TrapKind::from_u32(code).unwrap_or(TrapKind::Unreachable)),
    }
}

/// Whether a protected call is active on this thread (so a trap returns to it).
pub fn in_protected_call() -> bool {
    INNERMOST.get_existing().is_some_and(|c| !c.get().is_null())
}

/// Where the signal handler makes the faulting thread resume after a trap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Resume {
    pub pc: usize,
    pub sp: usize,
    pub fp: usize,
    /// The first argument register: the record.
    pub arg: usize,
}

/// For the signal handler, after a fault at a trap site of kind `kind`: if a protected
/// call is active on this thread, records the trap in its record and returns where to
/// resume. Async-signal-safe (plain TLS read, plain stores).
pub(crate) fn resume_point(kind: TrapKind) -> Option<Resume> {
    let record = INNERMOST.get_existing()?.get();
    if record.is_null() {
        return None;
    }
    // SAFETY: a non-null INNERMOST points at the record of a protected call that is still
    // active on this thread (it is reset before `call_protected` returns); the thread is
    // stopped in the handler, so nothing else accesses it.
    unsafe {
        (*record).trap = kind as u32;
        Some(Resume {
            pc: kiln_rt_trap_landing as *const () as usize,
            sp: saved_sp(&(*record).saved),
            fp: saved_fp(&(*record).saved),
            arg: record as usize,
        })
    }
}

#[cfg(target_arch = "x86_64")]
fn saved_sp(s: &Saved) -> usize {
    s.rsp as usize
}
#[cfg(target_arch = "x86_64")]
fn saved_fp(s: &Saved) -> usize {
    s.rbp as usize
}
#[cfg(target_arch = "aarch64")]
fn saved_sp(s: &Saved) -> usize {
    s.sp as usize
}
#[cfg(target_arch = "aarch64")]
fn saved_fp(s: &Saved) -> usize {
    s.x29 as usize
}

#[cfg(test)]
mod tests;
