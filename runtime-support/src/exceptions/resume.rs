//! The jump to an exception handler: the one piece of the unwinder that needs assembly.

/// Continues at `pc` with stack pointer `sp`, frame pointer `fp` and `exception` in the
/// first exception-payload register of Cranelift's `tail` convention (rax / x0), which is
/// where a `try_call`'s handler expects it. Every other register is dead at a handler
/// (`try_call` clobbers all of them on its exception edge).
///
/// # Safety
/// `pc` must be the handler of a `try_call` whose frame has frame pointer `fp` and, at the
/// call, stack pointer `sp`; that frame must be live. Every frame below it is abandoned.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn jump(pc: usize, sp: usize, fp: usize, exception: usize) -> ! {
    // SAFETY: caller's contract; nothing below `sp` is used again.
    unsafe {
        core::arch::asm!(
            "mov rsp, {sp}",
            "mov rbp, {fp}",
            "jmp {pc}",
            sp = in(reg) sp,
            fp = in(reg) fp,
            pc = in(reg) pc,
            in("rax") exception,
            options(noreturn),
        )
    }
}

/// As for x86_64.
///
/// # Safety
/// As for x86_64.
#[cfg(target_arch = "aarch64")]
pub(super) unsafe fn jump(pc: usize, sp: usize, fp: usize, exception: usize) -> ! {
    // SAFETY: caller's contract; nothing below `sp` is used again.
    unsafe {
        core::arch::asm!(
            "mov sp, {sp}",
            "mov x29, {fp}",
            "br {pc}",
            sp = in(reg) sp,
            fp = in(reg) fp,
            pc = in(reg) pc,
            in("x0") exception,
            options(noreturn),
        )
    }
}
