//! SIMD through `core::arch::wasm32` intrinsics: v128 loads and stores,
//! shuffles and swizzles, integer lanes of every width, saturating arithmetic,
//! narrowing and widening, lane access, bitmasks, any/all-true, comparisons,
//! the i16 dot product and f32x4 arithmetic, doing real work on generated
//! data (find a byte, a histogram, text classes, hex encoding, an image blend,
//! audio mixing, a matrix product).
//!
//! Built for the host, every kernel is a scalar twin with exactly the wasm
//! semantics (saturation, wrapping, `f32x4.min` of -0 and +0, rounding), so
//! the test compares Kiln's output with the native build byte for byte.
//! Everything printed is exact: integers, checksums and f32 bit patterns; no
//! NaN is ever printed (wasm leaves a NaN's payload open).
//!
//! (Over 600 lines: one program exercising every intrinsic family, so one build and one
//! comparison with the native output cover them.)

use std::hint::black_box;

#[cfg(not(target_arch = "wasm32"))]
use scalar as kernels;
#[cfg(target_arch = "wasm32")]
use simd as kernels;

/// Deterministic data from a 64-bit LCG.
struct Rng(u64);

impl Rng {
    fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 32) as u32
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u32() >> 24) as u8).collect()
    }

    fn i16s(&mut self, n: usize) -> Vec<i16> {
        (0..n).map(|_| (self.next_u32() >> 16) as i16).collect()
    }

    /// Floats with few significant bits (k / 64 for k in -4096..4096) plus
    /// every special value but NaN.
    fn f32s(&mut self, n: usize) -> Vec<f32> {
        let specials = [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30];
        (0..n)
            .map(|i| match i % 37 {
                0..=5 => specials[i % 37],
                _ => ((self.next_u32() >> 19) as i32 - 4096) as f32 / 64.0,
            })
            .collect()
    }
}

/// FNV-1a over bytes: a compact, exact checksum of a kernel's whole output.
fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn fnv_f32(values: &[f32]) -> u64 {
    fnv(values.iter().flat_map(|v| v.to_bits().to_le_bytes()))
}

/// The vector kernels. `#[target_feature]` makes them SIMD code whatever the
/// crate's flags (xtask also builds the whole crate with `+simd128`).
#[cfg(target_arch = "wasm32")]
mod simd {
    use core::arch::wasm32::*;

    /// Loads 16 bytes from `bytes[at..]` (wasm's v128.load has no alignment need).
    #[target_feature(enable = "simd128")]
    fn load(bytes: &[u8], at: usize) -> v128 {
        assert!(at + 16 <= bytes.len());
        unsafe { v128_load(bytes.as_ptr().add(at) as *const v128) }
    }

    #[target_feature(enable = "simd128")]
    fn store(out: &mut [u8], at: usize, v: v128) {
        assert!(at + 16 <= out.len());
        unsafe { v128_store(out.as_mut_ptr().add(at) as *mut v128, v) }
    }

    /// The sum of the 16 unsigned byte lanes, by pairwise widening adds.
    #[target_feature(enable = "simd128")]
    fn sum_u8_lanes(v: v128) -> u32 {
        let v = u32x4_extadd_pairwise_u16x8(u16x8_extadd_pairwise_u8x16(v));
        let v = i32x4_add(
            v,
            i8x16_shuffle::<8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7>(v, v),
        );
        (i32x4_extract_lane::<0>(v) as u32).wrapping_add(i32x4_extract_lane::<1>(v) as u32)
    }

    /// Positions of `needle`: compare 16 bytes at once, then walk the set bits of
    /// the comparison's bitmask.
    #[target_feature(enable = "simd128")]
    pub fn find_byte(hay: &[u8], needle: u8) -> Vec<u32> {
        let mut found = Vec::new();
        let splat = u8x16_splat(needle);
        let mut at = 0;
        while at + 16 <= hay.len() {
            let mut mask = i8x16_bitmask(i8x16_eq(load(hay, at), splat));
            while mask != 0 {
                found.push((at + mask.trailing_zeros() as usize) as u32);
                mask &= mask - 1;
            }
            at += 16;
        }
        for (i, &b) in hay.iter().enumerate().skip(at) {
            if b == needle {
                found.push(i as u32);
            }
        }
        found
    }

    /// How many bytes have each high nibble: per-lane byte counters (the
    /// all-ones comparison result subtracted is +1), flushed before they overflow.
    #[target_feature(enable = "simd128")]
    pub fn high_nibble_histogram(data: &[u8]) -> [u32; 16] {
        let mut bins = [0u32; 16];
        let mut counters = [u8x16_splat(0); 16];
        let mut at = 0;
        let mut pending = 0;
        while at + 16 <= data.len() {
            let nibbles = u8x16_shr(load(data, at), 4);
            for (k, counter) in counters.iter_mut().enumerate() {
                *counter = i8x16_sub(*counter, i8x16_eq(nibbles, u8x16_splat(k as u8)));
            }
            at += 16;
            pending += 1;
            if pending == 255 || at + 16 > data.len() {
                for (bin, counter) in bins.iter_mut().zip(counters.iter_mut()) {
                    *bin += sum_u8_lanes(*counter);
                    *counter = u8x16_splat(0);
                }
                pending = 0;
            }
        }
        for &b in &data[at..] {
            bins[usize::from(b >> 4)] += 1;
        }
        bins
    }

    /// Digits, ASCII letters and spaces, and whether every byte is ASCII.
    #[target_feature(enable = "simd128")]
    pub fn classify(text: &[u8]) -> (u32, u32, u32, bool) {
        let (mut digits, mut letters, mut spaces) = (0u32, 0u32, 0u32);
        let zero = u8x16_splat(0);
        let (mut d, mut l, mut s) = (zero, zero, zero);
        let mut high_bits = zero;
        let mut at = 0;
        let mut pending = 0;
        while at + 16 <= text.len() {
            let v = load(text, at);
            let is_digit = v128_and(
                u8x16_ge(v, u8x16_splat(b'0')),
                u8x16_le(v, u8x16_splat(b'9')),
            );
            let lower = v128_or(v, u8x16_splat(0x20));
            let is_letter = v128_and(
                u8x16_ge(lower, u8x16_splat(b'a')),
                u8x16_le(lower, u8x16_splat(b'z')),
            );
            d = i8x16_sub(d, is_digit);
            l = i8x16_sub(l, is_letter);
            s = i8x16_sub(s, i8x16_eq(v, u8x16_splat(b' ')));
            high_bits = v128_or(high_bits, v128_and(v, u8x16_splat(0x80)));
            at += 16;
            pending += 1;
            if pending == 255 || at + 16 > text.len() {
                digits += sum_u8_lanes(d);
                letters += sum_u8_lanes(l);
                spaces += sum_u8_lanes(s);
                (d, l, s) = (zero, zero, zero);
                pending = 0;
            }
        }
        let mut ascii = !v128_any_true(high_bits);
        for &b in &text[at..] {
            digits += u32::from(b.is_ascii_digit());
            letters += u32::from(b.is_ascii_alphabetic());
            spaces += u32::from(b == b' ');
            ascii &= b.is_ascii();
        }
        (digits, letters, spaces, ascii)
    }

    /// Lowercase hex: split 8 bytes into nibbles, interleave them with a shuffle,
    /// and look the 16 digits up with a swizzle.
    #[target_feature(enable = "simd128")]
    pub fn to_hex(bytes: &[u8]) -> String {
        let digits = u8x16(
            b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9', b'a', b'b', b'c', b'd',
            b'e', b'f',
        );
        let mut out = vec![0u8; bytes.len() * 2];
        let mut at = 0;
        while at + 8 <= bytes.len() {
            let v = unsafe { v128_load64_zero(bytes.as_ptr().add(at) as *const u64) };
            let high = u8x16_shr(v, 4);
            let low = v128_and(v, u8x16_splat(0x0f));
            let nibbles =
                i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(high, low);
            store(&mut out, at * 2, u8x16_swizzle(digits, nibbles));
            at += 8;
        }
        for (i, &b) in bytes.iter().enumerate().skip(at) {
            out[2 * i] = b"0123456789abcdef"[usize::from(b >> 4)];
            out[2 * i + 1] = b"0123456789abcdef"[usize::from(b & 15)];
        }
        String::from_utf8(out).unwrap()
    }

    /// Reverses the bytes of each 32-bit word with one shuffle per 4 words.
    #[target_feature(enable = "simd128")]
    pub fn bswap32(words: &mut [u32]) {
        let mut chunks = words.chunks_exact_mut(4);
        for chunk in &mut chunks {
            let p = chunk.as_mut_ptr() as *mut v128;
            unsafe {
                let v = v128_load(p);
                v128_store(
                    p,
                    i8x16_shuffle::<3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12>(v, v),
                );
            }
        }
        for w in chunks.into_remainder() {
            *w = w.swap_bytes();
        }
    }

    /// Saturating add and subtract, rounding average, and an alpha blend
    /// `(a*alpha + b*(255-alpha) + 128) >> 8` in 16-bit lanes, narrowed back to bytes.
    #[target_feature(enable = "simd128")]
    pub fn blend(a: &[u8], b: &[u8], alpha: u8) -> [Vec<u8>; 4] {
        let n = a.len().min(b.len());
        let mut out = [vec![0u8; n], vec![0u8; n], vec![0u8; n], vec![0u8; n]];
        let wa = u16x8_splat(u16::from(alpha));
        let wb = u16x8_splat(255 - u16::from(alpha));
        let round = u16x8_splat(128);
        let mut at = 0;
        while at + 16 <= n {
            let (va, vb) = (load(a, at), load(b, at));
            store(&mut out[0], at, u8x16_add_sat(va, vb));
            store(&mut out[1], at, u8x16_sub_sat(va, vb));
            store(&mut out[2], at, u8x16_avgr(va, vb));
            let mix = |x: v128, y: v128| {
                let sum = i16x8_add(i16x8_add(i16x8_mul(x, wa), i16x8_mul(y, wb)), round);
                u16x8_shr(sum, 8)
            };
            let low = mix(u16x8_extend_low_u8x16(va), u16x8_extend_low_u8x16(vb));
            let high = mix(u16x8_extend_high_u8x16(va), u16x8_extend_high_u8x16(vb));
            store(&mut out[3], at, u8x16_narrow_i16x8(low, high));
            at += 16;
        }
        for i in at..n {
            let (x, y) = (a[i], b[i]);
            out[0][i] = x.saturating_add(y);
            out[1][i] = x.saturating_sub(y);
            out[2][i] = ((u16::from(x) + u16::from(y) + 1) >> 1) as u8;
            out[3][i] =
                ((u16::from(x) * u16::from(alpha) + u16::from(y) * (255 - u16::from(alpha)) + 128)
                    >> 8) as u8;
        }
        out
    }

    /// Mixes two 16-bit signals with saturation, then scales the mix to 8 bits
    /// (arithmetic shift, saturating narrow).
    #[target_feature(enable = "simd128")]
    pub fn mix_i16(a: &[i16], b: &[i16]) -> (Vec<i16>, Vec<i8>) {
        let n = a.len().min(b.len());
        let (mut mixed, mut small) = (vec![0i16; n], vec![0i8; n]);
        let mut at = 0;
        while at + 16 <= n {
            unsafe {
                let load16 = |s: &[i16], i: usize| v128_load(s.as_ptr().add(i) as *const v128);
                let m0 = i16x8_add_sat(load16(a, at), load16(b, at));
                let m1 = i16x8_add_sat(load16(a, at + 8), load16(b, at + 8));
                v128_store(mixed.as_mut_ptr().add(at) as *mut v128, m0);
                v128_store(mixed.as_mut_ptr().add(at + 8) as *mut v128, m1);
                let narrow = i8x16_narrow_i16x8(i16x8_shr(m0, 6), i16x8_shr(m1, 6));
                v128_store(small.as_mut_ptr().add(at) as *mut v128, narrow);
            }
            at += 16;
        }
        for i in at..n {
            mixed[i] = a[i].saturating_add(b[i]);
            small[i] = (mixed[i] >> 6).clamp(-128, 127) as i8;
        }
        (mixed, small)
    }

    /// Σ a[i]·b[i] (wrapping) with `i32x4.dot_i16x8_s`.
    #[target_feature(enable = "simd128")]
    pub fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
        let n = a.len().min(b.len());
        let mut acc = i32x4_splat(0);
        let mut at = 0;
        while at + 8 <= n {
            let (va, vb) = unsafe {
                (
                    v128_load(a.as_ptr().add(at) as *const v128),
                    v128_load(b.as_ptr().add(at) as *const v128),
                )
            };
            acc = i32x4_add(acc, i32x4_dot_i16x8(va, vb));
            at += 8;
        }
        let mut sum = i32x4_extract_lane::<0>(acc)
            .wrapping_add(i32x4_extract_lane::<1>(acc))
            .wrapping_add(i32x4_extract_lane::<2>(acc))
            .wrapping_add(i32x4_extract_lane::<3>(acc));
        for i in at..n {
            sum = sum.wrapping_add(i32::from(a[i]) * i32::from(b[i]));
        }
        sum
    }

    /// The set bits of a buffer, counted per byte with `i8x16.popcnt`.
    #[target_feature(enable = "simd128")]
    pub fn popcount(data: &[u8]) -> u32 {
        let mut total = 0;
        let mut at = 0;
        while at + 16 <= data.len() {
            total += sum_u8_lanes(u8x16_popcnt(load(data, at)));
            at += 16;
        }
        total + data[at..].iter().map(|b| b.count_ones()).sum::<u32>()
    }

    /// An 8×8 f32 matrix product: each row of the result is a sum of rows of
    /// `b` scaled by a splat of one element of `a`, in the order k = 0..8.
    #[target_feature(enable = "simd128")]
    pub fn matmul8(a: &[f32; 64], b: &[f32; 64]) -> [f32; 64] {
        let mut c = [0f32; 64];
        for i in 0..8 {
            for j in (0..8).step_by(4) {
                let mut acc = f32x4_splat(0.0);
                for k in 0..8 {
                    let row = unsafe { v128_load(b.as_ptr().add(k * 8 + j) as *const v128) };
                    acc = f32x4_add(acc, f32x4_mul(f32x4_splat(a[i * 8 + k]), row));
                }
                unsafe { v128_store(c.as_mut_ptr().add(i * 8 + j) as *mut v128, acc) };
            }
        }
        c
    }

    /// Per value: `sqrt(max(min(x, hi), lo))`, `min(x, 0)` (keeps the sign of a
    /// zero), `|x| / 4 * x`, and the pseudo-minimum `pmin(x, 1)`.
    #[target_feature(enable = "simd128")]
    pub fn float_lanes(v: &[f32], lo: f32, hi: f32) -> [Vec<f32>; 4] {
        let n = v.len() / 4 * 4;
        let mut out = [vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n]];
        for at in (0..n).step_by(4) {
            let x = unsafe { v128_load(v.as_ptr().add(at) as *const v128) };
            let results = [
                f32x4_sqrt(f32x4_max(f32x4_min(x, f32x4_splat(hi)), f32x4_splat(lo))),
                f32x4_min(x, f32x4_splat(0.0)),
                f32x4_mul(f32x4_div(f32x4_abs(x), f32x4_splat(4.0)), x),
                f32x4_pmin(x, f32x4_splat(1.0)),
            ];
            for (o, r) in out.iter_mut().zip(results) {
                unsafe { v128_store(o.as_mut_ptr().add(at) as *mut v128, r) };
            }
        }
        out
    }

    /// How many values are below `t`: four comparisons per `i32x4.bitmask`.
    #[target_feature(enable = "simd128")]
    pub fn count_below(v: &[f32], t: f32) -> u32 {
        let mut count = 0;
        for chunk in v.chunks_exact(4) {
            let x = unsafe { v128_load(chunk.as_ptr() as *const v128) };
            count += i32x4_bitmask(f32x4_lt(x, f32x4_splat(t))).count_ones();
        }
        count
    }

    /// `(x * scale) as i32` (saturating, NaN to 0) and `i as f32` (round to nearest).
    #[target_feature(enable = "simd128")]
    pub fn convert(v: &[f32], scale: f32, ints: &[i32]) -> (Vec<i32>, Vec<f32>) {
        let n = v.len().min(ints.len()) / 4 * 4;
        let (mut to_int, mut to_float) = (vec![0i32; n], vec![0f32; n]);
        for at in (0..n).step_by(4) {
            unsafe {
                let x = v128_load(v.as_ptr().add(at) as *const v128);
                let scaled = i32x4_trunc_sat_f32x4(f32x4_mul(x, f32x4_splat(scale)));
                v128_store(to_int.as_mut_ptr().add(at) as *mut v128, scaled);
                let i = v128_load(ints.as_ptr().add(at) as *const v128);
                v128_store(
                    to_float.as_mut_ptr().add(at) as *mut v128,
                    f32x4_convert_i32x4(i),
                );
            }
        }
        (to_int, to_float)
    }

    /// Lane access and the wider lanes: build an i32x4 lane by lane, test it,
    /// widen it to i64x2 and its floats to f64x2.
    #[target_feature(enable = "simd128")]
    pub fn lanes(x: i32, y: i32, z: i32) -> String {
        let v = i32x4_replace_lane::<3>(i32x4_replace_lane::<1>(i32x4_splat(x), y), z);
        let all_nonzero = i32x4_all_true(v);
        let positive = i32x4_bitmask(i32x4_gt(v, i32x4_splat(0)));
        let wide = i64x2_extend_low_i32x4(v);
        let squares = i64x2_add(i64x2_mul(wide, wide), i64x2_splat(1));
        let high = u64x2_extend_high_u32x4(v);
        let floats = f64x2_promote_low_f32x4(f32x4_convert_i32x4(v));
        let halves = f64x2_div(floats, f64x2_splat(2.0));
        format!(
            "lanes [{}, {}, {}, {}] all_nonzero={all_nonzero} positive={positive:04b} \
             squares+1=[{}, {}] high_u64=[{}, {}] halves=[{:?}, {:?}]",
            i32x4_extract_lane::<0>(v),
            i32x4_extract_lane::<1>(v),
            i32x4_extract_lane::<2>(v),
            i32x4_extract_lane::<3>(v),
            i64x2_extract_lane::<0>(squares),
            i64x2_extract_lane::<1>(squares),
            u64x2_extract_lane::<0>(high),
            u64x2_extract_lane::<1>(high),
            f64x2_extract_lane::<0>(halves),
            f64x2_extract_lane::<1>(halves),
        )
    }
}

/// The same kernels, one value at a time, with the wasm instructions'
/// semantics spelled out: the native build's output is what wasm must print.
#[cfg(not(target_arch = "wasm32"))]
mod scalar {
    pub fn find_byte(hay: &[u8], needle: u8) -> Vec<u32> {
        (0..hay.len() as u32)
            .filter(|&i| hay[i as usize] == needle)
            .collect()
    }

    pub fn high_nibble_histogram(data: &[u8]) -> [u32; 16] {
        let mut bins = [0u32; 16];
        for &b in data {
            bins[usize::from(b >> 4)] += 1;
        }
        bins
    }

    pub fn classify(text: &[u8]) -> (u32, u32, u32, bool) {
        let count = |f: fn(&u8) -> bool| text.iter().filter(|b| f(b)).count() as u32;
        (
            count(u8::is_ascii_digit),
            count(u8::is_ascii_alphabetic),
            count(|&b| b == b' '),
            text.is_ascii(),
        )
    }

    pub fn to_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn bswap32(words: &mut [u32]) {
        for w in words {
            *w = w.swap_bytes();
        }
    }

    pub fn blend(a: &[u8], b: &[u8], alpha: u8) -> [Vec<u8>; 4] {
        let pairs = || a.iter().zip(b).map(|(&x, &y)| (u16::from(x), u16::from(y)));
        let alpha = u16::from(alpha);
        [
            pairs().map(|(x, y)| (x + y).min(255) as u8).collect(),
            pairs().map(|(x, y)| x.saturating_sub(y) as u8).collect(),
            pairs().map(|(x, y)| ((x + y + 1) >> 1) as u8).collect(),
            pairs()
                .map(|(x, y)| ((x * alpha + y * (255 - alpha) + 128) >> 8) as u8)
                .collect(),
        ]
    }

    pub fn mix_i16(a: &[i16], b: &[i16]) -> (Vec<i16>, Vec<i8>) {
        let mixed: Vec<i16> = a.iter().zip(b).map(|(x, y)| x.saturating_add(*y)).collect();
        let small = mixed
            .iter()
            .map(|m| (m >> 6).clamp(-128, 127) as i8)
            .collect();
        (mixed, small)
    }

    pub fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
        a.iter().zip(b).fold(0i32, |s, (x, y)| {
            s.wrapping_add(i32::from(*x) * i32::from(*y))
        })
    }

    pub fn popcount(data: &[u8]) -> u32 {
        data.iter().map(|b| b.count_ones()).sum()
    }

    pub fn matmul8(a: &[f32; 64], b: &[f32; 64]) -> [f32; 64] {
        let mut c = [0f32; 64];
        for i in 0..8 {
            for j in 0..8 {
                let mut acc = 0.0;
                for k in 0..8 {
                    acc += a[i * 8 + k] * b[k * 8 + j];
                }
                c[i * 8 + j] = acc;
            }
        }
        c
    }

    /// `f32x4.min`: -0 is below +0 (no NaN reaches it here).
    fn wasm_min(a: f32, b: f32) -> f32 {
        if a == b {
            f32::from_bits(a.to_bits() | b.to_bits())
        } else if a < b {
            a
        } else {
            b
        }
    }

    /// `f32x4.max`: +0 is above -0.
    fn wasm_max(a: f32, b: f32) -> f32 {
        if a == b {
            f32::from_bits(a.to_bits() & b.to_bits())
        } else if a > b {
            a
        } else {
            b
        }
    }

    pub fn float_lanes(v: &[f32], lo: f32, hi: f32) -> [Vec<f32>; 4] {
        let v = &v[..v.len() / 4 * 4];
        [
            v.iter()
                .map(|&x| wasm_max(wasm_min(x, hi), lo).sqrt())
                .collect(),
            v.iter().map(|&x| wasm_min(x, 0.0)).collect(),
            v.iter().map(|&x| x.abs() / 4.0 * x).collect(),
            // `f32x4.pmin(a, b)` is `b < a ? b : a`.
            v.iter().map(|&x| if 1.0 < x { 1.0 } else { x }).collect(),
        ]
    }

    pub fn count_below(v: &[f32], t: f32) -> u32 {
        v.chunks_exact(4).flatten().filter(|&&x| x < t).count() as u32
    }

    pub fn convert(v: &[f32], scale: f32, ints: &[i32]) -> (Vec<i32>, Vec<f32>) {
        let n = v.len().min(ints.len()) / 4 * 4;
        (
            v[..n].iter().map(|&x| (x * scale) as i32).collect(),
            ints[..n].iter().map(|&i| i as f32).collect(),
        )
    }

    pub fn lanes(x: i32, y: i32, z: i32) -> String {
        let v = [x, y, x, z];
        let all_nonzero = v.iter().all(|&l| l != 0);
        let positive = v
            .iter()
            .enumerate()
            .fold(0u8, |m, (i, &l)| m | (u8::from(l > 0) << i));
        let square = |l: i32| i64::from(l).wrapping_mul(i64::from(l)).wrapping_add(1);
        let half = |l: i32| f64::from(l as f32) / 2.0;
        format!(
            "lanes [{}, {}, {}, {}] all_nonzero={all_nonzero} positive={positive:04b} \
             squares+1=[{}, {}] high_u64=[{}, {}] halves=[{:?}, {:?}]",
            v[0],
            v[1],
            v[2],
            v[3],
            square(v[0]),
            square(v[1]),
            v[2] as u32 as u64,
            v[3] as u32 as u64,
            half(v[0]),
            half(v[1]),
        )
    }
}

fn main() {
    let mut rng = Rng(black_box(0x5eed_51d0));

    // Bytes: search, histogram, popcount, hex.
    let data = rng.bytes(10_007);
    let hits = kernels::find_byte(&data, 0x2a);
    println!(
        "find 0x2a: {} hits, first {:?}, last {:?}, position sum {}",
        hits.len(),
        &hits[..hits.len().min(6)],
        hits.last(),
        hits.iter().map(|&p| u64::from(p)).sum::<u64>()
    );
    let absent = kernels::find_byte(&data[..100], 0x00);
    println!("find 0x00 in 100 bytes: {absent:?}");
    println!(
        "high nibble histogram: {:?}",
        kernels::high_nibble_histogram(&data)
    );
    println!("popcount: {}", kernels::popcount(&data));
    println!("hex: {}", kernels::to_hex(&data[..37]));

    // Text classes over generated "text", then once more with a non-ASCII byte.
    let alphabet =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789    .,;:!?-_@[`{~\n";
    let mut text: Vec<u8> = (0..20_000)
        .map(|_| alphabet[(rng.next_u32() % alphabet.len() as u32) as usize])
        .collect();
    println!("classify: {:?}", kernels::classify(&text));
    text[12_345] = 0xc3;
    println!(
        "classify with a non-ASCII byte: {:?}",
        kernels::classify(&text)
    );

    // Byte-swapped words.
    let mut words: Vec<u32> = (0..1003).map(|_| rng.next_u32()).collect();
    let before = words[..3].to_vec();
    kernels::bswap32(&mut words);
    println!(
        "bswap32: {:08x?} -> {:08x?}, checksum {:016x}",
        before,
        &words[..3],
        fnv(words.iter().flat_map(|w| w.to_le_bytes()))
    );

    // An image blend: two "images" of 64×48 + 5 pixels.
    let a = rng.bytes(64 * 48 + 5);
    let b = rng.bytes(64 * 48 + 5);
    for alpha in [0, 77, 255] {
        let [add, sub, avg, mixed] = kernels::blend(&a, &b, alpha);
        println!(
            "blend alpha={alpha}: add {:016x} sub {:016x} avg {:016x} mix {:016x} first {:?}",
            fnv(add),
            fnv(sub),
            fnv(avg),
            fnv(mixed.iter().copied()),
            &mixed[..4]
        );
    }

    // Audio: saturating mix and narrowing, and a dot product (with extremes).
    let mut s1 = rng.i16s(4099);
    let mut s2 = rng.i16s(4099);
    s1[..8].copy_from_slice(&[i16::MIN, i16::MIN, i16::MAX, i16::MAX, -1, 0, 1, 2]);
    s2[..8].copy_from_slice(&[i16::MIN, -1, i16::MAX, 1, i16::MIN, 0, -1, 3]);
    let (mixed, small) = kernels::mix_i16(&s1, &s2);
    println!(
        "mix_i16: first {:?}, checksum {:016x}; narrowed first {:?}, checksum {:016x}",
        &mixed[..8],
        fnv(mixed.iter().flat_map(|m| m.to_le_bytes())),
        &small[..8],
        fnv(small.iter().map(|&s| s as u8))
    );
    println!("dot_i16: {}", kernels::dot_i16(&s1, &s2));
    println!(
        "dot_i16 of extremes: {}",
        kernels::dot_i16(&[i16::MIN; 8], &[i16::MIN; 8])
    );

    // Floats: a matrix product, min/max/sqrt/abs/div, comparisons, conversions.
    let ma: [f32; 64] = std::array::from_fn(|_| ((rng.next_u32() >> 22) as f32 - 512.0) / 8.0);
    let mb: [f32; 64] = std::array::from_fn(|_| ((rng.next_u32() >> 20) as f32 - 2048.0) / 3.0);
    let mc = kernels::matmul8(&ma, &mb);
    let trace: f32 = (0..8).map(|i| mc[i * 9]).sum();
    println!(
        "matmul8: c[0][0..4] {:?}, trace {:?}, checksum {:016x}",
        &mc[..4],
        trace,
        fnv_f32(&mc)
    );
    let floats = rng.f32s(1001);
    let outs = kernels::float_lanes(&floats, 0.0, 50.0);
    for (name, out) in ["clamp_sqrt", "min0", "abs_div_mul", "pmin1"]
        .iter()
        .zip(&outs)
    {
        println!(
            "{name}: first {:?}, checksum {:016x}",
            &out[..8],
            fnv_f32(out)
        );
    }
    println!(
        "count_below: <0 {}, <10.5 {}, <inf {}",
        kernels::count_below(&floats, 0.0),
        kernels::count_below(&floats, 10.5),
        kernels::count_below(&floats, f32::INFINITY)
    );
    let mut ints: Vec<i32> = (0..1001).map(|_| rng.next_u32() as i32).collect();
    ints[..4].copy_from_slice(&[i32::MIN, i32::MAX, 16_777_217, -16_777_219]);
    let mut scaled_in = floats.clone();
    scaled_in[7] = f32::NAN; // trunc_sat turns NaN into 0
    let (to_int, to_float) = kernels::convert(&scaled_in, 1e6, &ints);
    println!(
        "convert: to_int first {:?}, checksum {:016x}; to_float first {:?}, checksum {:016x}",
        &to_int[..8],
        fnv(to_int.iter().flat_map(|i| i.to_le_bytes())),
        &to_float[..4],
        fnv_f32(&to_float)
    );

    // Lane access.
    println!(
        "{}",
        kernels::lanes(black_box(-7), black_box(123_456), black_box(i32::MIN))
    );
    println!(
        "{}",
        kernels::lanes(black_box(3), black_box(0), black_box(-1))
    );
}
