//! Sorts tens of millions of u32 from an xorshift generator with
//! `sort_unstable`. Exercises the standard library's pattern-defeating
//! quicksort: branchy comparisons, swaps and large sequential memory traffic.
//!
//! Self-checks: the result is sorted, the multiset is unchanged (an
//! order-independent hash before and after), and a position-dependent
//! checksum of the sorted data matches a constant.

use std::process::exit;

const COUNT: usize = 24_000_000;
/// Position-weighted hash of the sorted values, folded to 32 bits.
const EXPECTED: u32 = 0x4ea6_1502;

/// Order-independent hash: a sum of a strong mix of each value.
fn multiset_hash(values: &[u32]) -> u64 {
    values.iter().fold(0u64, |acc, &v| {
        let mut x = u64::from(v).wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        acc.wrapping_add(x ^ (x >> 31))
    })
}

fn fail(msg: &str) -> ! {
    eprintln!("sort_ints: FAILED: {msg}");
    exit(1);
}

fn main() {
    let mut x: u32 = 0x1234_5678;
    let mut values: Vec<u32> = (0..COUNT)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Every eighth value comes from a small range, so there are
            // plenty of duplicates too.
            if i % 8 == 0 {
                x % 1000
            } else {
                x
            }
        })
        .collect();
    let before = multiset_hash(&values);

    values.sort_unstable();

    if let Some(i) = values.windows(2).position(|w| w[0] > w[1]) {
        fail(&format!(
            "not sorted at {i}: {} > {}",
            values[i],
            values[i + 1]
        ));
    }
    if multiset_hash(&values) != before {
        fail("the sorted values are not a permutation of the input");
    }
    println!(
        "sorted {COUNT} values: min {}, median {}, max {}",
        values[0],
        values[COUNT / 2],
        values[COUNT - 1]
    );

    let hash = values.iter().enumerate().fold(0u64, |acc, (i, &v)| {
        acc.rotate_left(5) ^ u64::from(v).wrapping_mul(i as u64 | 1)
    });
    let checksum = (hash ^ (hash >> 32)) as u32;
    if checksum != EXPECTED {
        fail(&format!(
            "checksum 0x{checksum:08x}, expected 0x{EXPECTED:08x}"
        ));
    }
    println!("checksum: 0x{checksum:08x}");
}
