//! XXH32 with explicit 128-bit SIMD: the four accumulators of one message
//! live in the four lanes of a vector, and eight messages are hashed in
//! lockstep (eight independent vectors) so the multiplies overlap. A 1 MiB
//! generated buffer is cut into eight messages and hashed many times, each
//! round's digests folded back into the buffer. Exercises `i32x4.mul`,
//! `i32x4.add`, `i32x4.shl`/`shr_u` and `v128.or` (a lane rotate), unaligned
//! `v128.load`, `i32x4.splat`, and lane extraction.
//!
//! SIMD: `core::arch::wasm32` intrinsics when built for wasm with
//! `-C target-feature=+simd128` (required on wasm); natively
//! `core::arch::x86_64` SSE4.1 intrinsics (`pmulld`; build with
//! `-C target-cpu=x86-64-v2`), otherwise portable four-lane arrays.
//!
//! Self-checks: known XXH32 digests; the SIMD hasher equals a plain scalar
//! XXH32 for every length 0..=300 and, every 256 rounds, on a whole
//! message; the folded digests against a constant.

use std::process::exit;

#[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
compile_error!("simd_xxhash: build for wasm with RUSTFLAGS=\"-C target-feature=+simd128\"");
#[cfg(all(target_arch = "x86_64", not(target_feature = "sse4.1")))]
compile_error!("simd_xxhash: build natively with RUSTFLAGS=\"-C target-cpu=x86-64-v2\" (SSE4.1)");

const BUF_LEN: usize = 1 << 20;
/// Messages hashed in lockstep.
const WAYS: usize = 8;
const MSG_LEN: usize = BUF_LEN / WAYS;
const ROUNDS: usize = 6000;
/// FNV-1a over every round's digests.
const EXPECTED: u32 = 0xcdfa_db67;

const P1: u32 = 0x9E37_79B1;
const P2: u32 = 0x85EB_CA77;
const P3: u32 = 0xC2B2_AE3D;
const P4: u32 = 0x27D4_EB2F;
const P5: u32 = 0x1656_67B1;

/// Four u32 lanes.
#[cfg(target_arch = "wasm32")]
mod lanes {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct U32x4(v128);

    impl U32x4 {
        #[inline(always)]
        pub fn load(bytes: &[u8; 16]) -> Self {
            // SAFETY: `bytes` is 16 readable bytes; v128.load needs no alignment.
            Self(unsafe { v128_load(bytes.as_ptr().cast()) })
        }
        #[inline(always)]
        pub fn new(a: [u32; 4]) -> Self {
            Self(u32x4(a[0], a[1], a[2], a[3]))
        }
        #[inline(always)]
        pub fn splat(x: u32) -> Self {
            Self(u32x4_splat(x))
        }
        #[inline(always)]
        pub fn to_array(self) -> [u32; 4] {
            [
                u32x4_extract_lane::<0>(self.0),
                u32x4_extract_lane::<1>(self.0),
                u32x4_extract_lane::<2>(self.0),
                u32x4_extract_lane::<3>(self.0),
            ]
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(i32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(i32x4_mul(self.0, o.0))
        }
        #[inline(always)]
        pub fn rotl13(self) -> Self {
            Self(v128_or(u32x4_shl(self.0, 13), u32x4_shr(self.0, 19)))
        }
    }
}

/// Four u32 lanes.
#[cfg(target_arch = "x86_64")]
mod lanes {
    use core::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub struct U32x4(__m128i);

    // SAFETY (every block below): the crate is built with SSE4.1 (checked by
    // the compile_error! above), and the loads and stores touch 16 valid bytes
    // with no alignment requirement.
    #[allow(unused_unsafe)]
    impl U32x4 {
        #[inline(always)]
        pub fn load(bytes: &[u8; 16]) -> Self {
            Self(unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) })
        }
        #[inline(always)]
        pub fn new(a: [u32; 4]) -> Self {
            Self(unsafe { _mm_setr_epi32(a[0] as i32, a[1] as i32, a[2] as i32, a[3] as i32) })
        }
        #[inline(always)]
        pub fn splat(x: u32) -> Self {
            Self(unsafe { _mm_set1_epi32(x as i32) })
        }
        #[inline(always)]
        pub fn to_array(self) -> [u32; 4] {
            let mut out = [0u32; 4];
            unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), self.0) };
            out
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(unsafe { _mm_add_epi32(self.0, o.0) })
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(unsafe { _mm_mullo_epi32(self.0, o.0) })
        }
        #[inline(always)]
        pub fn rotl13(self) -> Self {
            Self(unsafe {
                _mm_or_si128(_mm_slli_epi32::<13>(self.0), _mm_srli_epi32::<19>(self.0))
            })
        }
    }
}

/// Four u32 lanes.
#[cfg(not(any(target_arch = "wasm32", target_arch = "x86_64")))]
mod lanes {
    #[derive(Clone, Copy)]
    pub struct U32x4([u32; 4]);

    impl U32x4 {
        #[inline(always)]
        pub fn load(bytes: &[u8; 16]) -> Self {
            Self(core::array::from_fn(|i| {
                u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap())
            }))
        }
        #[inline(always)]
        pub fn new(a: [u32; 4]) -> Self {
            Self(a)
        }
        #[inline(always)]
        pub fn splat(x: u32) -> Self {
            Self([x; 4])
        }
        #[inline(always)]
        pub fn to_array(self) -> [u32; 4] {
            self.0
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(core::array::from_fn(|i| self.0[i].wrapping_add(o.0[i])))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(core::array::from_fn(|i| self.0[i].wrapping_mul(o.0[i])))
        }
        #[inline(always)]
        pub fn rotl13(self) -> Self {
            Self(self.0.map(|x| x.rotate_left(13)))
        }
    }
}

use lanes::U32x4;

fn read_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The part of XXH32 after the stripes: merge, length, tail, avalanche.
fn finish(acc: Option<[u32; 4]>, tail: &[u8], total_len: usize, seed: u32) -> u32 {
    let mut h = match acc {
        Some([a, b, c, d]) => a
            .rotate_left(1)
            .wrapping_add(b.rotate_left(7))
            .wrapping_add(c.rotate_left(12))
            .wrapping_add(d.rotate_left(18)),
        None => seed.wrapping_add(P5),
    };
    h = h.wrapping_add(total_len as u32);
    let mut words = tail.chunks_exact(4);
    for w in &mut words {
        h = h
            .wrapping_add(read_u32(w).wrapping_mul(P3))
            .rotate_left(17)
            .wrapping_mul(P4);
    }
    for &b in words.remainder() {
        h = h
            .wrapping_add((b as u32).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P2);
    h ^= h >> 13;
    h = h.wrapping_mul(P3);
    h ^ (h >> 16)
}

fn initial(seed: u32) -> [u32; 4] {
    [
        seed.wrapping_add(P1).wrapping_add(P2),
        seed.wrapping_add(P2),
        seed,
        seed.wrapping_sub(P1),
    ]
}

/// XXH32 written out plainly, one lane at a time: the reference.
fn xxh32_scalar(data: &[u8], seed: u32) -> u32 {
    let stripes = data.len() / 16;
    let acc = (stripes > 0).then(|| {
        let mut v = initial(seed);
        for stripe in data[..stripes * 16].chunks_exact(16) {
            for (lane, word) in v.iter_mut().zip(stripe.chunks_exact(4)) {
                *lane = lane
                    .wrapping_add(read_u32(word).wrapping_mul(P2))
                    .rotate_left(13)
                    .wrapping_mul(P1);
            }
        }
        v
    });
    finish(acc, &data[stripes * 16..], data.len(), seed)
}

/// XXH32 of `WAYS` messages of equal length at once, with SIMD.
fn xxh32_simd(msgs: [&[u8]; WAYS], seeds: [u32; WAYS]) -> [u32; WAYS] {
    let len = msgs[0].len();
    assert!(msgs.iter().all(|m| m.len() == len));
    let stripes = len / 16;
    if stripes == 0 {
        return core::array::from_fn(|m| finish(None, msgs[m], len, seeds[m]));
    }
    let (p1, p2) = (U32x4::splat(P1), U32x4::splat(P2));
    let mut acc: [U32x4; WAYS] = core::array::from_fn(|m| U32x4::new(initial(seeds[m])));
    for s in 0..stripes {
        for m in 0..WAYS {
            let block: &[u8; 16] = msgs[m][16 * s..16 * s + 16].try_into().unwrap();
            acc[m] = acc[m].add(U32x4::load(block).mul(p2)).rotl13().mul(p1);
        }
    }
    core::array::from_fn(|m| {
        finish(
            Some(acc[m].to_array()),
            &msgs[m][stripes * 16..],
            len,
            seeds[m],
        )
    })
}

fn fail(msg: &str) -> ! {
    eprintln!("simd_xxhash: FAILED: {msg}");
    exit(1);
}

fn fnv(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h = (h ^ b as u32).wrapping_mul(16_777_619);
    }
    h
}

/// Fills a buffer from a 64-bit xorshift generator.
fn generate(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x1319_8a2e_0370_7344;
    let mut buf = Vec::with_capacity(len);
    while buf.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf.extend_from_slice(&x.to_le_bytes());
    }
    buf.truncate(len);
    buf
}

fn known_answers() {
    let long: Vec<u8> = (0..512).map(|i| i as u8).collect();
    let cases: [(&[u8], u32, u32); 6] = [
        (b"", 0, 0x02cc_5d05),
        (b"", P1, 0x36b7_8ae7),
        (b"a", 0, 0x550d_7456),
        (b"abc", 0, 0x32d1_53ff),
        (b"Nobody inspects the spammish repetition", 0, 0xe229_3b2f),
        (&long, 0x1234_5678, 0x9759_293f),
    ];
    for (input, seed, want) in cases {
        let scalar = xxh32_scalar(input, seed);
        let simd = xxh32_simd([input; WAYS], [seed; WAYS]);
        if scalar != want || simd.iter().any(|&d| d != want) {
            fail(&format!(
                "known answer for {} bytes, seed {seed:#x}: scalar {scalar:#010x}, \
                 simd {:#010x}, want {want:#010x}",
                input.len(),
                simd[0]
            ));
        }
    }
}

/// Every length 0..=300, eight different messages and seeds each time.
fn against_scalar(buf: &[u8]) {
    for len in 0..=300 {
        let msgs: [&[u8]; WAYS] = core::array::from_fn(|m| &buf[m * 331 + len..][..len]);
        let seeds: [u32; WAYS] = core::array::from_fn(|m| (m as u32).wrapping_mul(P3) ^ len as u32);
        let simd = xxh32_simd(msgs, seeds);
        for m in 0..WAYS {
            if simd[m] != xxh32_scalar(msgs[m], seeds[m]) {
                fail(&format!(
                    "length {len}, message {m}: SIMD digest differs from scalar"
                ));
            }
        }
    }
}

fn main() {
    known_answers();
    let mut buf = generate(BUF_LEN);
    against_scalar(&buf);
    println!("known answers and scalar comparisons: ok");

    let mut h: u32 = 0x811c_9dc5;
    for round in 0..ROUNDS {
        let msgs: [&[u8]; WAYS] = core::array::from_fn(|m| &buf[m * MSG_LEN..][..MSG_LEN]);
        let seeds: [u32; WAYS] =
            core::array::from_fn(|m| (round as u32) ^ (m as u32).wrapping_mul(P5));
        let digests = xxh32_simd(msgs, seeds);
        if round % 256 == 0 {
            let m = (round / 256) % WAYS;
            if digests[m] != xxh32_scalar(msgs[m], seeds[m]) {
                fail(&format!(
                    "round {round}, message {m}: SIMD digest differs from scalar"
                ));
            }
        }
        // Fold the digests back in, so no round can be skipped or reordered.
        let at = (round * 4099) % (BUF_LEN - 4 * WAYS);
        for (m, d) in digests.iter().enumerate() {
            for (b, x) in buf[at + 4 * m..at + 4 * m + 4]
                .iter_mut()
                .zip(d.to_le_bytes())
            {
                *b ^= x;
            }
            h = fnv(h, &d.to_le_bytes());
        }
    }
    println!(
        "hashed {} MiB in {WAYS}-message batches; last digest of message 0: {:#010x}",
        (BUF_LEN >> 20) * ROUNDS,
        xxh32_scalar(&buf[..MSG_LEN], 0)
    );
    if h != EXPECTED {
        fail(&format!("checksum 0x{h:08x}, expected 0x{EXPECTED:08x}"));
    }
    println!("checksum: 0x{h:08x}");
}
