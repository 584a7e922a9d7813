//! Reductions and element-wise updates over integer and float arrays,
//! written as plain Rust iterator code and left to LLVM's auto-vectoriser:
//! no intrinsics. Each round updates the arrays and then reduces them: an
//! i16 dot product into i32, a sum of squares into i64, a u8 sum of
//! absolute differences, a byte count, i32 minimum and maximum, and f32
//! sums and a dot product kept in eight explicit partial sums (so the
//! order of float additions is fixed by the source and vectorising does
//! not change it). For wasm this becomes extending multiplies and adds,
//! `i32x4.min_s`/`max_s`, byte compares, `f32x4` arithmetic, conversions
//! and shuffles.
//!
//! SIMD: the same source for both builds; for wasm with
//! `-C target-feature=+simd128` (required on wasm), natively with LLVM's
//! vectorisation for the host (SSE4.2 with `-C target-cpu=x86-64-v2`).
//!
//! Self-checks: every reduction equals a scalar version that reads each
//! element through `black_box` (so it cannot be vectorised) on the first
//! and last rounds and every 256th; the hash of all results against a
//! constant.

use std::hint::black_box;
use std::process::exit;

#[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
compile_error!("simd_reduce: build for wasm with RUSTFLAGS=\"-C target-feature=+simd128\"");

const LEN16: usize = 64 * 1024;
const LEN8: usize = 256 * 1024;
const LEN32: usize = 64 * 1024;
const ROUNDS: usize = 2000;
/// FNV-1a over every round's results.
const EXPECTED: u32 = 0x4584_7eb1;

#[derive(Clone, Copy, PartialEq, Debug)]
struct Results {
    dot16: i32,
    squares16: i64,
    sad8: u32,
    count8: u32,
    min32: i32,
    max32: i32,
    sum_f32: u32,
    dot_f32: u32,
}

struct Data {
    a16: Vec<i16>,
    b16: Vec<i16>,
    a8: Vec<u8>,
    b8: Vec<u8>,
    i32s: Vec<i32>,
    xf: Vec<f32>,
    yf: Vec<f32>,
}

// ---- the vectorised kernels ----

fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
    a.iter().zip(b).fold(0i32, |s, (&x, &y)| {
        s.wrapping_add(i32::from(x) * i32::from(y))
    })
}

fn sum_squares_i16(a: &[i16]) -> i64 {
    a.iter().map(|&x| i64::from(x) * i64::from(x)).sum()
}

fn sad_u8(a: &[u8], b: &[u8]) -> u32 {
    a.iter()
        .zip(b)
        .fold(0u32, |s, (&x, &y)| s.wrapping_add(u32::from(x.abs_diff(y))))
}

fn count_u8(a: &[u8], needle: u8) -> u32 {
    a.iter().filter(|&&x| x == needle).count() as u32
}

fn min_max_i32(a: &[i32]) -> (i32, i32) {
    a.iter()
        .fold((i32::MAX, i32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// Eight partial sums, lane k taking elements k, k+8, ...; combined pairwise.
fn combine(acc: [f32; 8], tail: f32) -> f32 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

fn sum_f32(a: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut chunks = a.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    let tail = chunks.remainder().iter().fold(0.0f32, |s, &x| s + x);
    combine(acc, tail)
}

fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .fold(0.0f32, |s, (&x, &y)| s + x * y);
    combine(acc, tail)
}

/// One round's element-wise updates (also vectorised).
fn update(d: &mut Data, round: u32) {
    let k16 = round as i16;
    for x in &mut d.a16 {
        *x = x.wrapping_mul(5).wrapping_add(k16);
    }
    for (y, &x) in d.b16.iter_mut().zip(&d.a16) {
        *y = (*y ^ (x >> 3)).wrapping_sub(x);
    }
    let k8 = round as u8 | 1;
    for x in &mut d.a8 {
        *x = x.rotate_left(3) ^ k8;
    }
    for (y, &x) in d.b8.iter_mut().zip(&d.a8) {
        *y = y.wrapping_add(x >> 1);
    }
    for x in &mut d.i32s {
        let v = x
            .wrapping_mul(1_103_515_245)
            .wrapping_add(12_345 ^ round as i32);
        *x = v ^ ((v as u32) >> 7) as i32;
    }
    // x in [-1, 1); y a running average of x, so it stays in [-1, 1).
    for (x, &i) in d.xf.iter_mut().zip(&d.i32s) {
        *x = (i >> 8) as f32 * (1.0 / 8_388_608.0);
    }
    for (y, &x) in d.yf.iter_mut().zip(&d.xf) {
        *y = *y * 0.75 + x * 0.25;
    }
}

fn reduce(d: &Data, round: u32) -> Results {
    let (min32, max32) = min_max_i32(&d.i32s);
    Results {
        dot16: dot_i16(&d.a16, &d.b16),
        squares16: sum_squares_i16(&d.a16),
        sad8: sad_u8(&d.a8, &d.b8),
        count8: count_u8(&d.a8, round as u8),
        min32,
        max32,
        sum_f32: sum_f32(&d.yf).to_bits(),
        dot_f32: dot_f32(&d.xf, &d.yf).to_bits(),
    }
}

// ---- the scalar references: every element through black_box ----

fn reduce_scalar(d: &Data, round: u32) -> Results {
    let mut dot16 = 0i32;
    let mut squares16 = 0i64;
    for i in 0..d.a16.len() {
        let x = i32::from(black_box(d.a16[i]));
        dot16 = dot16.wrapping_add(x * i32::from(black_box(d.b16[i])));
        squares16 += i64::from(x * x);
    }
    let mut sad8 = 0u32;
    let mut count8 = 0u32;
    for i in 0..d.a8.len() {
        let (x, y) = (black_box(d.a8[i]), black_box(d.b8[i]));
        sad8 = sad8.wrapping_add(if x > y { x - y } else { y - x } as u32);
        count8 += u32::from(x == round as u8);
    }
    let (mut min32, mut max32) = (i32::MAX, i32::MIN);
    for &x in &d.i32s {
        let x = black_box(x);
        if x < min32 {
            min32 = x;
        }
        if x > max32 {
            max32 = x;
        }
    }
    let n = d.yf.len();
    let whole = n - n % 8;
    let (mut sum, mut dot) = ([0.0f32; 8], [0.0f32; 8]);
    for i in 0..whole {
        sum[i % 8] += black_box(d.yf[i]);
        dot[i % 8] += black_box(d.xf[i]) * d.yf[i];
    }
    let (mut sum_tail, mut dot_tail) = (0.0f32, 0.0f32);
    for i in whole..n {
        sum_tail += black_box(d.yf[i]);
        dot_tail += black_box(d.xf[i]) * d.yf[i];
    }
    Results {
        dot16,
        squares16,
        sad8,
        count8,
        min32,
        max32,
        sum_f32: combine(sum, sum_tail).to_bits(),
        dot_f32: combine(dot, dot_tail).to_bits(),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("simd_reduce: FAILED: {msg}");
    exit(1);
}

fn fnv(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h = (h ^ b as u32).wrapping_mul(16_777_619);
    }
    h
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn main() {
    let mut rng = Rng(0xa409_3822_299f_31d0);
    // Odd lengths (one element short) leave a tail after the vector loops.
    let mut d = Data {
        a16: (0..LEN16 - 1).map(|_| rng.next() as i16).collect(),
        b16: (0..LEN16 - 1).map(|_| rng.next() as i16).collect(),
        a8: (0..LEN8 - 1).map(|_| rng.next() as u8).collect(),
        b8: (0..LEN8 - 1).map(|_| rng.next() as u8).collect(),
        i32s: (0..LEN32 - 1).map(|_| rng.next() as i32).collect(),
        xf: vec![0.0; LEN32 - 1],
        yf: vec![0.0; LEN32 - 1],
    };

    let mut h: u32 = 0x811c_9dc5;
    let mut last = None;
    for round in 0..ROUNDS as u32 {
        update(&mut d, round);
        let r = reduce(&d, round);
        if round % 256 == 0 || round + 1 == ROUNDS as u32 {
            let want = reduce_scalar(&d, round);
            if r != want {
                fail(&format!(
                    "round {round}: vectorised {r:?} differ from scalar {want:?}"
                ));
            }
        }
        for v in [
            r.dot16 as u32,
            r.squares16 as u32,
            (r.squares16 >> 32) as u32,
            r.sad8,
            r.count8,
            r.min32 as u32,
            r.max32 as u32,
            r.sum_f32,
            r.dot_f32,
        ] {
            h = fnv(h, &v.to_le_bytes());
        }
        last = Some(r);
    }
    let r = last.unwrap();
    println!("scalar comparisons: ok");
    println!(
        "{ROUNDS} rounds; last: dot16 {} squares16 {} sad8 {} count8 {} min32 {} max32 {} \
         sum_f32 {:#010x} dot_f32 {:#010x}",
        r.dot16, r.squares16, r.sad8, r.count8, r.min32, r.max32, r.sum_f32, r.dot_f32
    );
    if h != EXPECTED {
        fail(&format!("checksum 0x{h:08x}, expected 0x{EXPECTED:08x}"));
    }
    println!("checksum: 0x{h:08x}");
}
