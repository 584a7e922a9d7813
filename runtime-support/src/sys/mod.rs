//! Platform layer: address-space reservation, signal handling (including reading the
//! faulting PC), the alternate signal stack, random bytes and raw process exit.
//!
//! Everything that differs between operating systems or CPU architectures lives below this
//! module; the rest of the runtime only calls the functions re-exported here. Porting to
//! another host (macOS: Mach exception ports or signals with `__ss.__rip`/`__ss.__pc`;
//! Windows: `VirtualAlloc` and a vectored exception handler) means adding one sibling
//! module with the same functions.

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod linux;
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use linux::*;

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!(
    "kiln-runtime supports x86_64-linux and aarch64-linux hosts so far: port src/sys/ \
     (memory reservation, trap signal/exception handling, faulting PC, alternate stack, \
     random bytes, raw exit) to this target"
);
