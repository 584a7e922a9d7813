//! miniz_oxide: compresses generated, semi-compressible data with DEFLATE
//! (zlib wrapper) at a few levels and decompresses it again. Exercises hash
//! chains, match finding, Huffman coding and bit-level decoding.
//!
//! Self-checks: every decompression must reproduce the input exactly, and
//! the compressed sizes and Adler-32 values fold into a checksum that must
//! match a constant.

use miniz_oxide::deflate::compress_to_vec_zlib;
use miniz_oxide::inflate::decompress_to_vec_zlib;
use std::process::exit;

const DATA_BYTES: usize = 3 << 20;
/// (compression level, times to run).
const PASSES: &[(u8, usize)] = &[(1, 1), (6, 2), (9, 1)];
/// FNV-1a over compressed sizes and Adler-32s, folded to 32 bits.
const EXPECTED: u32 = 0x94fe_191b;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "function",
    "memory",
    "table",
    "global",
    "import",
    "export",
    "local.get",
    "i32.add",
    "call",
    "br_if",
    "loop",
    "block",
    "end",
    "return",
    "(",
    ")",
    "$f",
    "$g",
    "0",
    "1",
];

/// A mix of text-like runs (very compressible), structured binary records
/// (somewhat compressible) and random bytes (incompressible).
fn generate(len: usize) -> Vec<u8> {
    let mut rng = Rng(0x0bad_5eed_dead_beef);
    let mut out = Vec::with_capacity(len + 4096);
    let mut counter = 0u32;
    while out.len() < len {
        match rng.below(10) {
            0..=4 => {
                for _ in 0..rng.below(200) {
                    out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
                    out.push(if rng.below(8) == 0 { b'\n' } else { b' ' });
                }
            }
            5..=7 => {
                for _ in 0..rng.below(64) {
                    counter = counter.wrapping_add(1 + rng.below(3) as u32);
                    out.extend_from_slice(&counter.to_le_bytes());
                    out.extend_from_slice(&(rng.below(16) as u16).to_le_bytes());
                    out.push(0);
                    out.push(0xff);
                }
            }
            _ => {
                for _ in 0..rng.below(128) {
                    out.extend_from_slice(&rng.next().to_le_bytes());
                }
            }
        }
    }
    out.truncate(len);
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

fn fail(msg: &str) -> ! {
    eprintln!("deflate: FAILED: {msg}");
    exit(1);
}

fn main() {
    let data = generate(DATA_BYTES);
    let adler = adler32(&data);
    println!("input: {} bytes, adler32 0x{adler:08x}", data.len());

    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut add = |v: u64| {
        for b in v.to_le_bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    add(u64::from(adler));
    for &(level, times) in PASSES {
        let mut size = 0;
        for _ in 0..times {
            let packed = compress_to_vec_zlib(&data, level);
            // The zlib trailer is the Adler-32 of the input, big endian.
            let trailer = u32::from_be_bytes(packed[packed.len() - 4..].try_into().unwrap());
            if trailer != adler {
                fail(&format!(
                    "level {level}: zlib trailer 0x{trailer:08x}, adler32 0x{adler:08x}"
                ));
            }
            let unpacked = decompress_to_vec_zlib(&packed)
                .unwrap_or_else(|e| fail(&format!("level {level}: inflate: {e:?}")));
            if unpacked != data {
                fail(&format!("level {level}: round trip differs"));
            }
            size = packed.len();
            add(size as u64);
            add(u64::from(adler32(&packed)));
        }
        println!(
            "level {level}: {size} bytes ({:.1}%), round trip ok",
            size as f64 * 100.0 / data.len() as f64
        );
    }

    let checksum = (hash ^ (hash >> 32)) as u32;
    if checksum != EXPECTED {
        fail(&format!(
            "checksum 0x{checksum:08x}, expected 0x{EXPECTED:08x}"
        ));
    }
    println!("checksum: 0x{checksum:08x}");
}
