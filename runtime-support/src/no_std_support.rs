//! What a `no_std` static library must supply itself: the heap (the C library's `malloc`)
//! and the panic handler. The runtime is `no_std` so that an executable carries none of
//! std's machinery (panic backtraces with their DWARF reader, I/O, threads): a hello world
//! stays a few hundred KB. Not compiled into the unit tests, which run on std.

use core::alloc::{GlobalAlloc, Layout};

/// The C library's allocator. `malloc` aligns to 16 bytes on every supported target;
/// larger alignments go through `posix_memalign`.
struct LibcAllocator;

const MALLOC_ALIGN: usize = 16;

// SAFETY: malloc/calloc/realloc/posix_memalign/free meet GlobalAlloc's contract when
// alignments above what malloc guarantees take the posix_memalign path.
unsafe impl GlobalAlloc for LibcAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: plain malloc; a null result is reported as allocation failure.
            unsafe { libc::malloc(layout.size()).cast() }
        } else {
            aligned(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: plain calloc.
            unsafe { libc::calloc(1, layout.size()).cast() }
        } else {
            let p = aligned(layout);
            if !p.is_null() {
                // SAFETY: `p` points at `layout.size()` freshly allocated bytes.
                unsafe { p.write_bytes(0, layout.size()) };
            }
            p
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: `ptr` came from malloc/calloc (same alignment class).
            unsafe { libc::realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: the default move-and-copy, with the caller's guarantees.
            let new =
                unsafe { self.alloc(Layout::from_size_align_unchecked(new_size, layout.align())) };
            if !new.is_null() {
                // SAFETY: both blocks are live and at least min(old, new) bytes long.
                unsafe {
                    new.copy_from_nonoverlapping(ptr, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
            }
            new
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if cfg!(windows) && layout.align() > MALLOC_ALIGN {
            // SAFETY: over-aligned blocks come from _aligned_malloc on Windows.
            #[cfg(windows)]
            unsafe {
                libc::aligned_free(ptr.cast())
            }
        } else {
            // SAFETY: every other block comes from malloc, calloc, realloc or
            // posix_memalign.
            unsafe { libc::free(ptr.cast()) }
        }
    }
}

#[cfg(windows)]
fn aligned(layout: Layout) -> *mut u8 {
    // SAFETY: the alignment is a power of two.
    unsafe { libc::aligned_malloc(layout.size(), layout.align()).cast() }
}

#[cfg(not(windows))]
fn aligned(layout: Layout) -> *mut u8 {
    let mut p: *mut core::ffi::c_void = core::ptr::null_mut();
    // SAFETY: the alignment is a power of two and a multiple of the pointer size.
    let r = unsafe { libc::posix_memalign(&mut p, layout.align(), layout.size()) };
    if r == 0 {
        p.cast()
    } else {
        core::ptr::null_mut()
    }
}

#[global_allocator]
static ALLOCATOR: LibcAllocator = LibcAllocator;

/// A panic is a bug in the runtime: say so and abort (no unwinding: the workspace builds
/// with `panic = "abort"`).
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut out = crate::sys::StderrWriter;
    let _ = core::fmt::write(
        &mut out,
        format_args!("error: internal error in the Kiln runtime: {info}\n"),
    );
    crate::sys::abort()
}

/// The precompiled `core` and `alloc` were built to unwind, so their unwind tables name
/// this personality routine; nothing unwinds here (panics abort), so it is never called.
/// Only the symbol is needed for linking.
#[no_mangle]
extern "C" fn rust_eh_personality() {}

/// Likewise the precompiled `alloc` calls this from its cleanup paths. Defining it here
/// keeps the C toolchain's unwinder (libunwind or libgcc_eh, and the C library's printf
/// it reports through) out of every executable, and gives zig's aarch64 Windows link,
/// which has no unwinder, the symbol. Nothing unwinds, so reaching it is a bug.
#[no_mangle]
extern "C" fn _Unwind_Resume() -> ! {
    crate::sys::write_stderr(b"error: internal error in the Kiln runtime: unwinding\n");
    crate::sys::abort()
}
