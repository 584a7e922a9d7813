//! `memory.copy` of the sizes programs copy most: Rust and C compile `memcpy`/`memmove`
//! of every size to `memory.copy`, so most copies are a few bytes long. A static musl
//! `memmove` (`rep movsq`) pays a large start-up cost on each; here sizes up to 64 bytes
//! are a few unaligned loads followed by as many stores (all loads first, so overlapping
//! ranges are moved correctly), and longer ones go to the C library.

use core::ptr::{self, read_unaligned as load, write_unaligned as store};

/// Moves `len` bytes from `src` to `dst`; the ranges may overlap.
///
/// # Safety
/// `[src, src + len)` must be readable and `[dst, dst + len)` writable.
#[inline]
pub(crate) unsafe fn move_bytes(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: in every arm each load and store lies inside `[src, src + len)` or
    // `[dst, dst + len)`, which the caller guarantees are accessible, and every load
    // happens before the first store.
    unsafe {
        match len {
            0 => {}
            1..=3 => {
                let (a, b, c) = (*src, *src.add(len / 2), *src.add(len - 1));
                *dst = a;
                *dst.add(len / 2) = b;
                *dst.add(len - 1) = c;
            }
            4..=7 => {
                let a = load(src.cast::<u32>());
                let b = load(src.add(len - 4).cast::<u32>());
                store(dst.cast::<u32>(), a);
                store(dst.add(len - 4).cast::<u32>(), b);
            }
            8..=16 => {
                let a = load(src.cast::<u64>());
                let b = load(src.add(len - 8).cast::<u64>());
                store(dst.cast::<u64>(), a);
                store(dst.add(len - 8).cast::<u64>(), b);
            }
            17..=32 => {
                let a = load(src.cast::<u128>());
                let b = load(src.add(len - 16).cast::<u128>());
                store(dst.cast::<u128>(), a);
                store(dst.add(len - 16).cast::<u128>(), b);
            }
            33..=64 => {
                let a = load(src.cast::<u128>());
                let b = load(src.add(16).cast::<u128>());
                let c = load(src.add(len - 32).cast::<u128>());
                let d = load(src.add(len - 16).cast::<u128>());
                store(dst.cast::<u128>(), a);
                store(dst.add(16).cast::<u128>(), b);
                store(dst.add(len - 32).cast::<u128>(), c);
                store(dst.add(len - 16).cast::<u128>(), d);
            }
            _ => ptr::copy(src, dst, len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::move_bytes;

    /// Every length up to 80 and every overlap shift, against `copy_within`.
    #[test]
    fn matches_memmove_for_all_small_sizes_and_overlaps() {
        for len in 0..=80usize {
            for (src, dst) in [
                (0, 0),
                (0, 1),
                (1, 0),
                (0, 7),
                (9, 2),
                (3, 40),
                (40, 3),
                (0, 80),
            ] {
                let mut expected: Vec<u8> = (0..200u8).collect();
                expected.copy_within(src..src + len, dst);
                let mut actual: Vec<u8> = (0..200u8).collect();
                let base = actual.as_mut_ptr();
                // SAFETY: both ranges lie inside the 200-byte buffer.
                unsafe { move_bytes(base.add(dst), base.add(src), len) };
                assert_eq!(actual, expected, "len {len}, src {src}, dst {dst}");
            }
        }
    }
}
