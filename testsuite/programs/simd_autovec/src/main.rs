//! Plain Rust loops that LLVM vectorises: built for wasm32 with
//! `-C target-feature=+simd128` (as `cargo xtask test` does), they become v128
//! code (loads and stores, integer and float lanes, min/max, comparisons and
//! selects, widening multiplies, saturating float-to-int conversion) without a
//! single intrinsic.
//!
//! The test compares the output with the native build of the same source, so
//! everything printed is exact: integers, and floats as bit patterns from
//! computations whose order of operations is fixed by the source (LLVM never
//! reassociates float arithmetic, so a float sum keeps 8 explicit lanes).

use std::hint::black_box;

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
}

/// A float sum in 8 independent lanes (two f32x4 accumulators), then the lanes
/// in a fixed order.
#[inline(never)]
fn sum_f32(xs: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (lane, x) in lanes.iter_mut().zip(chunk) {
            *lane += x;
        }
    }
    let mut sum = lanes.iter().sum::<f32>();
    for x in rest {
        sum += x;
    }
    sum
}

/// y = a·x + y.
#[inline(never)]
fn saxpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Scales floats to integers: `as` saturates (and maps NaN to 0).
#[inline(never)]
fn quantize(xs: &[f32], scale: f32, out: &mut [i32]) {
    for (o, x) in out.iter_mut().zip(xs) {
        *o = (x * scale) as i32;
    }
}

#[inline(never)]
fn sum_u32(xs: &[u32]) -> u32 {
    xs.iter().fold(0u32, |s, &x| s.wrapping_add(x))
}

/// Widening sum: i32 elements into an i64 total.
#[inline(never)]
fn sum_i32_wide(xs: &[i32]) -> i64 {
    xs.iter().map(|&x| i64::from(x)).sum()
}

#[inline(never)]
fn dot_i32(a: &[i32], b: &[i32]) -> i32 {
    a.iter()
        .zip(b)
        .fold(0i32, |s, (x, y)| s.wrapping_add(x.wrapping_mul(*y)))
}

/// 16-bit inputs, 32-bit products (a widening multiply).
#[inline(never)]
fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
    a.iter().zip(b).fold(0i32, |s, (x, y)| {
        s.wrapping_add(i32::from(*x) * i32::from(*y))
    })
}

#[inline(never)]
fn min_max_u8(xs: &[u8]) -> (u8, u8) {
    xs.iter()
        .fold((u8::MAX, u8::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

#[inline(never)]
fn min_max_i16(xs: &[i16]) -> (i16, i16) {
    xs.iter()
        .fold((i16::MAX, i16::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// ASCII upper-casing: a compare, a subtract and a select per byte.
#[inline(never)]
fn upper_ascii(bytes: &mut [u8]) {
    for b in bytes {
        *b = if b.is_ascii_lowercase() { *b - 32 } else { *b };
    }
}

/// A keyed byte transform: xor, rotate, add.
#[inline(never)]
fn scramble(bytes: &mut [u8], key: u8) {
    for b in bytes {
        *b = (*b ^ key).rotate_left(3).wrapping_add(0x5a);
    }
}

#[inline(never)]
fn count_byte(bytes: &[u8], needle: u8) -> u32 {
    bytes.iter().map(|&b| u32::from(b == needle)).sum()
}

/// Sum of absolute differences (motion estimation's inner loop).
#[inline(never)]
fn sad(a: &[u8], b: &[u8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| u32::from(x.abs_diff(y)))
        .sum()
}

/// Saturating brightness change of an image.
#[inline(never)]
fn brighten(pixels: &mut [u8], by: u8) {
    for p in pixels {
        *p = p.saturating_add(by);
    }
}

/// i32 samples clamped into i16 (a saturating narrow).
#[inline(never)]
fn clamp_to_i16(xs: &[i32], out: &mut [i16]) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = x.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
}

/// Element-wise i32 arithmetic with shifts and a comparison.
#[inline(never)]
fn mix_i32(a: &[i32], b: &[i32], out: &mut [i32]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let m = (x >> 3).wrapping_add(y << 2) ^ (x & y);
        *o = if m > x { m } else { x.wrapping_sub(y) };
    }
}

/// FNV-1a: a compact, exact checksum of a whole array.
fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn main() {
    let mut rng = Rng(black_box(0xa070_7ec0));
    let n = 10_003;

    // Floats: k / 16 for k in -32768..32768, so sums stay far from rounding trouble
    // but the products of saxpy do round.
    let x: Vec<f32> = (0..n)
        .map(|_| ((rng.next_u32() >> 16) as i32 - 32768) as f32 / 16.0)
        .collect();
    let mut y: Vec<f32> = (0..n).map(|_| (rng.next_u32() >> 8) as f32 / 3.0).collect();
    let s = sum_f32(&x);
    println!("sum_f32: {s:?} ({:#010x})", s.to_bits());
    saxpy(black_box(1.7), &x, &mut y);
    println!(
        "saxpy: y[..3] {:?}, checksum {:016x}",
        &y[..3],
        fnv(y.iter().flat_map(|v| v.to_bits().to_le_bytes()))
    );
    let mut q = vec![0i32; n];
    let mut extremes = x.clone();
    extremes[..4].copy_from_slice(&[f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1e20]);
    quantize(&extremes, black_box(1000.0), &mut q);
    println!(
        "quantize: q[..6] {:?}, checksum {:016x}",
        &q[..6],
        fnv(q.iter().flat_map(|v| v.to_le_bytes()))
    );

    // Integer lanes.
    let u: Vec<u32> = (0..n).map(|_| rng.next_u32()).collect();
    let a: Vec<i32> = (0..n).map(|_| rng.next_u32() as i32).collect();
    let b: Vec<i32> = (0..n).map(|_| rng.next_u32() as i32).collect();
    let h1: Vec<i16> = (0..n).map(|_| (rng.next_u32() >> 16) as i16).collect();
    let h2: Vec<i16> = (0..n).map(|_| (rng.next_u32() >> 16) as i16).collect();
    println!("sum_u32: {}", sum_u32(&u));
    println!("sum_i32_wide: {}", sum_i32_wide(&a));
    println!("dot_i32: {}", dot_i32(&a, &b));
    println!("dot_i16: {}", dot_i16(&h1, &h2));
    println!("min_max_i16: {:?}", min_max_i16(&h1));
    let mut m = vec![0i32; n];
    mix_i32(&a, &b, &mut m);
    println!(
        "mix_i32: m[..3] {:?}, checksum {:016x}",
        &m[..3],
        fnv(m.iter().flat_map(|v| v.to_le_bytes()))
    );
    let wide: Vec<i32> = a.iter().map(|&v| v >> 14).collect();
    let mut narrow = vec![0i16; n];
    clamp_to_i16(&wide, &mut narrow);
    println!(
        "clamp_to_i16: {:?}, checksum {:016x}",
        &narrow[..4],
        fnv(narrow.iter().flat_map(|v| v.to_le_bytes()))
    );

    // Bytes.
    let bytes: Vec<u8> = (0..n).map(|_| (rng.next_u32() >> 24) as u8).collect();
    let other: Vec<u8> = (0..n).map(|_| (rng.next_u32() >> 24) as u8).collect();
    let levels: Vec<u8> = (0..n).map(|_| 30 + (rng.next_u32() % 191) as u8).collect();
    println!("min_max_u8: {:?}", min_max_u8(&levels));
    println!("min_max_u8 of 100 levels: {:?}", min_max_u8(&levels[..100]));
    println!("count_byte(0x7f): {}", count_byte(&bytes, 0x7f));
    println!("sad: {}", sad(&bytes, &other));
    let mut text: Vec<u8> = (0..n)
        .map(|_| b"the quick brown FOX, 42 lazy dogs!\n"[rng.next_u32() as usize % 35])
        .collect();
    upper_ascii(&mut text);
    println!(
        "upper_ascii: {:?}, checksum {:016x}",
        String::from_utf8_lossy(&text[..24]),
        fnv(text.iter().copied())
    );
    let mut scrambled = bytes.clone();
    scramble(&mut scrambled, black_box(0xc3));
    println!(
        "scramble: {:02x?}, checksum {:016x}",
        &scrambled[..6],
        fnv(scrambled.iter().copied())
    );
    let mut image = bytes;
    brighten(&mut image, black_box(40));
    println!(
        "brighten: {:?}, checksum {:016x}",
        &image[..6],
        fnv(image.iter().copied())
    );
}
