//! Recovery from real traps: hand-written machine code with trap sites (an undefined
//! instruction, a stack-limit check in a recursive function, a load from a guard page, a
//! trap after a failing builtin), run in child processes so that a recovery bug kills only
//! the child. (Over 600 lines: each case is hand-assembled machine code for both
//! architectures beside its expectations.)

use super::*;
use crate::entry::init_wasm_thread;
use crate::memory::Memory;
use crate::testutil::*;
use crate::traps::tests::{executable, no_core_dumps, TRAPPING_CODE, TRAP_OFFSET};
use crate::traps::{init_thread, register_module};
use kiln_abi::VMContext;
use kiln_abi::{TrapSite, VMMemory};
use std::os::unix::process::ExitStatusExt;

// Each function `f` has a global label `f_trap` at its trap site and `f_end` after it.
#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".pushsection .text.kiln_test_code,\"ax\",@progbits",
    // fn(vmctx): recurses until the stack limit check traps.
    ".globl kiln_test_recurse",
    ".globl kiln_test_recurse_trap",
    ".globl kiln_test_recurse_end",
    "kiln_test_recurse:",
    "cmp rsp, [rdi + {limit}]",
    "jb kiln_test_recurse_trap",
    "push rbp",
    "mov rbp, rsp",
    "sub rsp, 48",
    "call kiln_test_recurse",
    "add rsp, 48",
    "pop rbp",
    "ret",
    "kiln_test_recurse_trap:",
    "ud2",
    "kiln_test_recurse_end:",
    // fn(vmctx, addr: u32) -> u32: loads from memory 0 without a bounds check.
    ".globl kiln_test_load",
    ".globl kiln_test_load_trap",
    ".globl kiln_test_load_end",
    "kiln_test_load:",
    "mov rax, [rdi + {base}]",
    "mov esi, esi",
    "kiln_test_load_trap:",
    "mov eax, dword ptr [rax + rsi]",
    "ret",
    "kiln_test_load_end:",
    // fn(vmctx, dst: u32, len: u32): memory.fill with 0, trapping when the builtin fails.
    ".globl kiln_test_fill",
    ".globl kiln_test_fill_trap",
    ".globl kiln_test_fill_end",
    "kiln_test_fill:",
    "push rbx",
    // kiln_memory_fill(vmctx, memory 0, dst, value 0, len): 32-bit moves zero-extend.
    "mov r8d, edx",
    "mov edx, esi",
    "xor esi, esi",
    "xor ecx, ecx",
    "call {fill}",
    "pop rbx",
    "test eax, eax",
    "jnz kiln_test_fill_trap",
    "ret",
    "kiln_test_fill_trap:",
    "ud2",
    "kiln_test_fill_end:",
    // fn(): overwrites every callee-saved register and the stack pointer, then traps.
    ".globl kiln_test_clobber",
    ".globl kiln_test_clobber_trap",
    ".globl kiln_test_clobber_end",
    "kiln_test_clobber:",
    "mov rbx, -1",
    "mov rbp, -1",
    "mov r12, -1",
    "mov r13, -1",
    "mov r14, -1",
    "mov r15, -1",
    "mov rsp, 16",
    "kiln_test_clobber_trap:",
    "ud2",
    "kiln_test_clobber_end:",
    // fn(f: extern "C" fn()) -> u64: calls `f` with known values in the callee-saved
    // registers; returns a bit mask of those that changed.
    ".globl kiln_test_callee_saved",
    "kiln_test_callee_saved:",
    "push rbp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "sub rsp, 8",
    "movabs rbx, 0x1111111111111111",
    "movabs rbp, 0x2222222222222222",
    "movabs r12, 0x3333333333333333",
    "movabs r13, 0x4444444444444444",
    "movabs r14, 0x5555555555555555",
    "movabs r15, 0x6666666666666666",
    "call rdi",
    "xor eax, eax",
    "movabs rcx, 0x1111111111111111",
    "cmp rbx, rcx",
    "je 1f",
    "or eax, 1",
    "1:",
    "movabs rcx, 0x2222222222222222",
    "cmp rbp, rcx",
    "je 1f",
    "or eax, 2",
    "1:",
    "movabs rcx, 0x3333333333333333",
    "cmp r12, rcx",
    "je 1f",
    "or eax, 4",
    "1:",
    "movabs rcx, 0x4444444444444444",
    "cmp r13, rcx",
    "je 1f",
    "or eax, 8",
    "1:",
    "movabs rcx, 0x5555555555555555",
    "cmp r14, rcx",
    "je 1f",
    "or eax, 16",
    "1:",
    "movabs rcx, 0x6666666666666666",
    "cmp r15, rcx",
    "je 1f",
    "or eax, 32",
    "1:",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    ".popsection",
    limit = const offset_of!(VMContext, stack_limit),
    base = const offset_of!(VMContext, memory_base),
    fill = sym crate::builtins::kiln_memory_fill,
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".pushsection .text.kiln_test_code,\"ax\",@progbits",
    ".globl kiln_test_recurse",
    ".globl kiln_test_recurse_trap",
    ".globl kiln_test_recurse_end",
    "kiln_test_recurse:",
    "ldr x9, [x0, #{limit}]",
    "mov x10, sp",
    "cmp x10, x9",
    "b.lo kiln_test_recurse_trap",
    "stp x29, x30, [sp, #-64]!",
    "mov x29, sp",
    "bl kiln_test_recurse",
    "ldp x29, x30, [sp], #64",
    "ret",
    "kiln_test_recurse_trap:",
    "udf #0",
    "kiln_test_recurse_end:",
    ".globl kiln_test_load",
    ".globl kiln_test_load_trap",
    ".globl kiln_test_load_end",
    "kiln_test_load:",
    "ldr x9, [x0, #{base}]",
    "mov w1, w1",
    "kiln_test_load_trap:",
    "ldr w0, [x9, x1]",
    "ret",
    "kiln_test_load_end:",
    ".globl kiln_test_fill",
    ".globl kiln_test_fill_trap",
    ".globl kiln_test_fill_end",
    "kiln_test_fill:",
    "stp x29, x30, [sp, #-16]!",
    "mov x29, sp",
    // kiln_memory_fill(vmctx, memory 0, dst, value 0, len): w moves zero-extend.
    "mov w4, w2",
    "mov w2, w1",
    "mov w1, wzr",
    "mov w3, wzr",
    "bl {fill}",
    "ldp x29, x30, [sp], #16",
    "cbnz w0, kiln_test_fill_trap",
    "ret",
    "kiln_test_fill_trap:",
    "udf #0",
    "kiln_test_fill_end:",
    ".globl kiln_test_clobber",
    ".globl kiln_test_clobber_trap",
    ".globl kiln_test_clobber_end",
    "kiln_test_clobber:",
    "mov x19, #-1",
    "mov x20, #-1",
    "mov x21, #-1",
    "mov x22, #-1",
    "mov x23, #-1",
    "mov x24, #-1",
    "mov x25, #-1",
    "mov x26, #-1",
    "mov x27, #-1",
    "mov x28, #-1",
    "mov x29, #-1",
    "mov x30, #-1",
    "fmov d8, x19",
    "fmov d9, x19",
    "fmov d10, x19",
    "fmov d11, x19",
    "fmov d12, x19",
    "fmov d13, x19",
    "fmov d14, x19",
    "fmov d15, x19",
    "mov x9, #16",
    "mov sp, x9",
    "kiln_test_clobber_trap:",
    "udf #0",
    "kiln_test_clobber_end:",
    // fn(f) -> u64: x19-x28 = 1..=10, x29 = 11, d8-d15 = 12..=19; bit i-1 set when the
    // register that held i changed.
    ".globl kiln_test_callee_saved",
    "kiln_test_callee_saved:",
    "stp x29, x30, [sp, #-160]!",
    "stp x19, x20, [sp, #16]",
    "stp x21, x22, [sp, #32]",
    "stp x23, x24, [sp, #48]",
    "stp x25, x26, [sp, #64]",
    "stp x27, x28, [sp, #80]",
    "stp d8, d9, [sp, #96]",
    "stp d10, d11, [sp, #112]",
    "stp d12, d13, [sp, #128]",
    "stp d14, d15, [sp, #144]",
    "mov x19, #1",
    "mov x20, #2",
    "mov x21, #3",
    "mov x22, #4",
    "mov x23, #5",
    "mov x24, #6",
    "mov x25, #7",
    "mov x26, #8",
    "mov x27, #9",
    "mov x28, #10",
    "mov x29, #11",
    "mov x9, #12",
    "fmov d8, x9",
    "mov x9, #13",
    "fmov d9, x9",
    "mov x9, #14",
    "fmov d10, x9",
    "mov x9, #15",
    "fmov d11, x9",
    "mov x9, #16",
    "fmov d12, x9",
    "mov x9, #17",
    "fmov d13, x9",
    "mov x9, #18",
    "fmov d14, x9",
    "mov x9, #19",
    "fmov d15, x9",
    "blr x0",
    "mov x0, xzr",
    "mov x10, #1",
    "cmp x19, #1",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11",
    "cmp x20, #2",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #1",
    "cmp x21, #3",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #2",
    "cmp x22, #4",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #3",
    "cmp x23, #5",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #4",
    "cmp x24, #6",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #5",
    "cmp x25, #7",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #6",
    "cmp x26, #8",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #7",
    "cmp x27, #9",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #8",
    "cmp x28, #10",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #9",
    "cmp x29, #11",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #10",
    "fmov x9, d8",
    "cmp x9, #12",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #11",
    "fmov x9, d9",
    "cmp x9, #13",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #12",
    "fmov x9, d10",
    "cmp x9, #14",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #13",
    "fmov x9, d11",
    "cmp x9, #15",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #14",
    "fmov x9, d12",
    "cmp x9, #16",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #15",
    "fmov x9, d13",
    "cmp x9, #17",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #16",
    "fmov x9, d14",
    "cmp x9, #18",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #17",
    "fmov x9, d15",
    "cmp x9, #19",
    "csel x11, xzr, x10, eq",
    "orr x0, x0, x11, lsl #18",
    "ldp x19, x20, [sp, #16]",
    "ldp x21, x22, [sp, #32]",
    "ldp x23, x24, [sp, #48]",
    "ldp x25, x26, [sp, #64]",
    "ldp x27, x28, [sp, #80]",
    "ldp d8, d9, [sp, #96]",
    "ldp d10, d11, [sp, #112]",
    "ldp d12, d13, [sp, #128]",
    "ldp d14, d15, [sp, #144]",
    "ldp x29, x30, [sp], #160",
    "ret",
    ".popsection",
    limit = const offset_of!(VMContext, stack_limit),
    base = const offset_of!(VMContext, memory_base),
    fill = sym crate::builtins::kiln_memory_fill,
);

extern "C" {
    fn kiln_test_recurse(vmctx: *mut VMContext);
    fn kiln_test_recurse_trap();
    fn kiln_test_recurse_end();
    fn kiln_test_load(vmctx: *mut VMContext, addr: u32) -> u32;
    fn kiln_test_load_trap();
    fn kiln_test_load_end();
    fn kiln_test_fill(vmctx: *mut VMContext, dst: u32, len: u32);
    fn kiln_test_fill_trap();
    fn kiln_test_fill_end();
    fn kiln_test_clobber();
    fn kiln_test_clobber_trap();
    fn kiln_test_clobber_end();
    fn kiln_test_callee_saved(f: extern "C" fn()) -> u64;
}

/// `(start, trap site offset, length)` of an assembly test function.
fn layout(start: usize, trap: usize, end: usize) -> (*const u8, u32, u32) {
    (
        start as *const u8,
        (trap - start) as u32,
        (end - start) as u32,
    )
}

/// Registers the test functions' trap sites (and the plain `ud2` code) with the handler.
/// Returns the plain trapping code.
fn register_test_code() -> *const u8 {
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_V);
    let code = executable(TRAPPING_CODE);
    let site = |offset, kind: TrapKind| {
        vec![TrapSite {
            offset,
            kind: kind as u32,
            wasm_offset: kiln_abi::NO_INDEX,
        }]
    };
    b.func_with_traps(
        "ud2",
        code,
        TRAPPING_CODE.len() as u32,
        t,
        site(TRAP_OFFSET, TrapKind::Unreachable),
    );
    let functions = [
        (
            "recurse",
            layout(
                kiln_test_recurse as *const () as usize,
                kiln_test_recurse_trap as *const () as usize,
                kiln_test_recurse_end as *const () as usize,
            ),
            TrapKind::StackOverflow,
        ),
        (
            "load",
            layout(
                kiln_test_load as *const () as usize,
                kiln_test_load_trap as *const () as usize,
                kiln_test_load_end as *const () as usize,
            ),
            TrapKind::MemoryOutOfBounds,
        ),
        (
            "fill",
            layout(
                kiln_test_fill as *const () as usize,
                kiln_test_fill_trap as *const () as usize,
                kiln_test_fill_end as *const () as usize,
            ),
            TrapKind::MemoryOutOfBounds,
        ),
        (
            "clobber",
            layout(
                kiln_test_clobber as *const () as usize,
                kiln_test_clobber_trap as *const () as usize,
                kiln_test_clobber_end as *const () as usize,
            ),
            TrapKind::IntegerOverflow,
        ),
    ];
    for (name, (start, offset, len), kind) in functions {
        b.func_with_traps(name, start, len, t, site(offset, kind));
    }
    register_module(b.build());
    code
}

/// A context with memory 0 and the thread's stack limit (no instance behind it: the test
/// functions and `kiln_memory_fill` only read these fields).
struct Context {
    vmctx: Box<VMContext>,
    _memory: Box<Memory>,
}

fn context(stack_limit: usize) -> Context {
    let mut memory = Memory::new(1, Some(1)).unwrap();
    let vm: *mut VMMemory = Memory::vm(&mut *memory);
    let vmctx = Box::new(VMContext {
        memory_base: memory.base(),
        memory: vm,
        stack_limit,
        instance: ptr::null_mut(),
    });
    Context {
        vmctx,
        _memory: memory,
    }
}

fn call_code(code: *const u8) {
    // SAFETY: `code` is TRAPPING_CODE: a function that traps at a registered site.
    unsafe { core::mem::transmute::<*const u8, extern "C" fn()>(code)() }
}

/// Runs `scenario` on a thread prepared like the wasm thread, with a small stack.
fn on_wasm_thread(scenario: fn(*const u8)) {
    no_core_dumps();
    const STACK: usize = 1 << 20;
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            init_wasm_thread(STACK).unwrap();
            scenario(register_test_code());
        })
        .unwrap()
        .join()
        .unwrap();
}

fn stack_limit() -> usize {
    let limit = crate::instance::thread_stack_limit();
    assert_ne!(limit, 0);
    limit
}

fn recovers_repeatedly(code: *const u8) {
    for _ in 0..1000 {
        // SAFETY: the code traps at a registered site; nothing is owned by the closure.
        let r = unsafe { call_protected(|| call_code(code)) };
        assert_eq!(r, Err(TrapKind::Unreachable));
        assert!(!in_protected_call());
    }
    // SAFETY: as above; a call that does not trap returns Ok.
    assert_eq!(unsafe { call_protected(|| ()) }, Ok(()));
}

fn stack_overflow(_: *const u8) {
    let mut cx = context(stack_limit());
    let vmctx: *mut VMContext = &mut *cx.vmctx;
    for _ in 0..20 {
        // SAFETY: recursion until the stack limit check traps at a registered site.
        let r = unsafe { call_protected(|| kiln_test_recurse(vmctx)) };
        assert_eq!(r, Err(TrapKind::StackOverflow));
        // The thread runs wasm normally afterwards.
        let mut v = 1;
        // SAFETY: an in-bounds load.
        let r = unsafe { call_protected(|| v = kiln_test_load(vmctx, 8)) };
        assert_eq!((r, v), (Ok(()), 0));
    }
}

fn memory_faults(_: *const u8) {
    let mut cx = context(stack_limit());
    let vmctx: *mut VMContext = &mut *cx.vmctx;
    // SAFETY: the first page is accessible.
    unsafe {
        cx.vmctx
            .memory_base
            .add(100)
            .cast::<u32>()
            .write_unaligned(0xabcd)
    };
    for addr in [65536, 65533, u32::MAX, 1 << 31] {
        let mut v = 7;
        // SAFETY: the load faults on the guard region at a registered site.
        let r = unsafe { call_protected(|| v = kiln_test_load(vmctx, addr)) };
        assert_eq!((r, v), (Err(TrapKind::MemoryOutOfBounds), 7), "{addr}");
    }
    let mut v = 0;
    // SAFETY: an in-bounds load.
    let r = unsafe { call_protected(|| v = kiln_test_load(vmctx, 100)) };
    assert_eq!((r, v), (Ok(()), 0xabcd));
    // A failing builtin, then the trap in compiled code.
    // SAFETY: memory.fill out of bounds: the builtin fails, the caller traps.
    let r = unsafe { call_protected(|| kiln_test_fill(vmctx, 65000, 1000)) };
    assert_eq!(r, Err(TrapKind::MemoryOutOfBounds));
    // SAFETY: in bounds: clears the value loaded above.
    let r = unsafe { call_protected(|| kiln_test_fill(vmctx, 96, 16)) };
    assert_eq!(r, Ok(()));
    // SAFETY: an in-bounds load.
    let r = unsafe { call_protected(|| v = kiln_test_load(vmctx, 100)) };
    assert_eq!((r, v), (Ok(()), 0));
}

fn nested(code: *const u8) {
    let mut inner = Vec::new();
    // SAFETY: every trapping call is at a registered site; the outer closure's frames own
    // nothing when the last call traps (`inner` lives outside).
    let outer = unsafe {
        call_protected(|| {
            for _ in 0..3 {
                inner.push(call_protected(|| call_code(code)));
                assert!(in_protected_call());
            }
            inner.push(call_protected(|| ()));
            call_code(code);
            unreachable!("the code traps");
        })
    };
    assert_eq!(outer, Err(TrapKind::Unreachable));
    assert_eq!(
        inner,
        [Err(TrapKind::Unreachable); 3]
            .into_iter()
            .chain([Ok(())])
            .collect::<Vec<_>>()
    );
    assert!(!in_protected_call());
}

thread_local! {
    static CLOBBER_RESULT: Cell<Option<Result<(), TrapKind>>> = const { Cell::new(None) };
}

extern "C" fn protected_clobber() {
    // SAFETY: the code traps at a registered site after clobbering every callee-saved
    // register and the stack pointer.
    let r = unsafe { call_protected(|| kiln_test_clobber()) };
    CLOBBER_RESULT.set(Some(r));
}

fn callee_saved_registers(_: *const u8) {
    for _ in 0..3 {
        CLOBBER_RESULT.set(None);
        // SAFETY: calls `protected_clobber` with known callee-saved register values.
        let changed = unsafe { kiln_test_callee_saved(protected_clobber) };
        assert_eq!(changed, 0, "callee-saved registers changed: {changed:#b}");
        assert_eq!(CLOBBER_RESULT.get(), Some(Err(TrapKind::IntegerOverflow)));
    }
}

fn miss_inside_protected_call(_: *const u8) {
    let code = executable(TRAPPING_CODE); // not registered
                                          // SAFETY: deliberately faults outside any trap site: the process must die.
    let _ = unsafe { call_protected(|| call_code(code)) };
    unreachable!("a fault outside trap sites is a crash");
}

fn segfault_inside_protected_call(_: *const u8) {
    // SAFETY: deliberately faults in host code: the process must die.
    let _ = unsafe {
        call_protected(|| {
            let p = core::hint::black_box(16usize) as *const u32;
            core::hint::black_box(p.read_volatile());
        })
    };
    unreachable!("a host fault is a crash");
}

fn unprotected_trap_exits(code: *const u8) {
    call_code(code);
    unreachable!("the code traps");
}

type Scenario = fn(*const u8);

const SCENARIOS: &[(&str, Scenario)] = &[
    ("repeat", recovers_repeatedly),
    ("stack-overflow", stack_overflow),
    ("memory", memory_faults),
    ("nested", nested),
    ("callee-saved", callee_saved_registers),
    ("miss", miss_inside_protected_call),
    ("host-segv", segfault_inside_protected_call),
    ("unprotected", unprotected_trap_exits),
];

#[test]
fn recover_child() {
    let Ok(name) = std::env::var("KILN_CHILD") else {
        return;
    };
    if let Some((_, scenario)) = SCENARIOS.iter().find(|(n, _)| *n == name) {
        init_thread().unwrap();
        on_wasm_thread(*scenario);
        println!("scenario {name} done");
    }
}

fn run(scenario: &str) -> std::process::Output {
    run_child("traps::recover::tests::recover_child", scenario)
}

fn assert_done(scenario: &str) {
    let out = run(scenario);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("scenario {scenario} done")),
        "{out:?}\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_trap_returns_from_the_protected_call_every_time() {
    assert_done("repeat");
}

#[test]
fn stack_overflow_is_recoverable_and_the_thread_runs_wasm_again() {
    assert_done("stack-overflow");
}

#[test]
fn guard_page_faults_and_failing_builtins_are_recoverable() {
    assert_done("memory");
}

#[test]
fn protected_calls_nest() {
    assert_done("nested");
}

#[test]
fn the_landing_restores_callee_saved_registers() {
    assert_done("callee-saved");
}

#[test]
fn faults_outside_trap_sites_still_crash() {
    let out = run("miss");
    assert_eq!(out.status.signal(), Some(libc::SIGILL), "{out:?}");
    let out = run("host-segv");
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{out:?}");
}

#[test]
fn without_a_protected_call_a_trap_still_exits_134() {
    let out = run("unprotected");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134), "{stderr}");
    assert!(
        stderr.ends_with(
            "error: wasm trap: unreachable instruction executed\n  in wasm function 0 `ud2`\n"
        ),
        "{stderr}"
    );
}
