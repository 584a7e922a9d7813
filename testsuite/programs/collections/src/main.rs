//! Allocation-heavy work: Vec, String, HashMap, BTreeMap, VecDeque, sorting.
//! Grows the heap to tens of megabytes (memory.grow) and moves large buffers
//! (memory.copy / memory.fill). Output is deterministic and compared with a
//! native build of the same program.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write;

fn lcg(state: &mut u32) -> u32 {
    *state = state.wrapping_mul(1664525).wrapping_add(1013904223);
    *state
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf29ce484222325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

const WORDS: [&str; 16] = [
    "kiln",
    "wasm",
    "cranelift",
    "native",
    "trap",
    "memory",
    "table",
    "global",
    "export",
    "import",
    "module",
    "runtime",
    "linker",
    "object",
    "stack",
    "heap",
];

fn main() {
    let mut seed = 7u32;

    // Word frequencies: HashMap (random iteration order, so sort before printing).
    let mut text = String::new();
    for i in 0..50_000 {
        let w = WORDS[(lcg(&mut seed) >> 7) as usize % WORDS.len()];
        text.push_str(w);
        text.push(if i % 13 == 12 { '\n' } else { ' ' });
    }
    let mut freq: HashMap<&str, u32> = HashMap::new();
    for w in text.split_whitespace() {
        *freq.entry(w).or_default() += 1;
    }
    let mut by_count: Vec<(&str, u32)> = freq.iter().map(|(w, c)| (*w, *c)).collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!(
        "text: {} bytes, {} lines, fnv {:016x}",
        text.len(),
        text.lines().count(),
        fnv1a(text.as_bytes())
    );
    for (w, c) in &by_count {
        println!("  {w:<10} {c}");
    }

    // BTreeMap keyed by integers; range queries and removal.
    let mut tree = BTreeMap::new();
    for i in 0..100_000u32 {
        let k = lcg(&mut seed) % 1_000_000;
        tree.insert(k, i);
    }
    let range_sum: u64 = tree
        .range(250_000..260_000)
        .map(|(k, v)| *k as u64 + *v as u64)
        .sum();
    let removed = (0..1_000_000u32)
        .step_by(3)
        .filter(|k| tree.remove(k).is_some())
        .count();
    println!(
        "btree: len {} first {:?} last {:?} range_sum {range_sum} removed {removed}",
        tree.len(),
        tree.first_key_value(),
        tree.last_key_value()
    );

    // A large Vec: sort, dedup, binary search; 4M u32 = 16 MiB of heap.
    let mut big: Vec<u32> = (0..4_000_000).map(|_| lcg(&mut seed) >> 8).collect();
    let copy = big.clone();
    big.sort_unstable();
    let mut dedup = big.clone();
    dedup.dedup();
    let found = (0..1000)
        .filter(|i| dedup.binary_search(&(i * 7919)).is_ok())
        .count();
    let checksum = big.iter().enumerate().fold(0u64, |acc, (i, &v)| {
        acc.wrapping_mul(31).wrapping_add(v as u64 ^ i as u64)
    });
    println!(
        "vec: len {} unique {} min {} max {} median {} found {found} checksum {checksum:016x} unsorted_first {:?}",
        big.len(),
        dedup.len(),
        big[0],
        big[big.len() - 1],
        big[big.len() / 2],
        &copy[..4]
    );
    drop(copy);
    drop(big);

    // Byte buffers: fill, copy within (overlapping), extend, drain.
    let mut buf = vec![0xabu8; 3 << 20];
    buf.copy_within(1000..2_000_000, 1500);
    buf.copy_within(5000..3_000_000, 10);
    for (i, b) in buf.iter_mut().enumerate().step_by(4099) {
        *b = i as u8;
    }
    buf.copy_within(0..1_000_000, 17);
    buf.extend_from_within(100..200_000);
    let drained: Vec<u8> = buf.drain(50..70_000).collect();
    println!(
        "bytes: len {} fnv {:016x} drained fnv {:016x}",
        buf.len(),
        fnv1a(&buf),
        fnv1a(&drained)
    );

    // Strings: formatting, char handling, UTF-8.
    let mut s = String::new();
    for i in 0..20_000u32 {
        write!(s, "{i:05}-{}|", char::from_u32(0x3b1 + i % 24).unwrap()).unwrap();
    }
    let upper = s.to_uppercase();
    let reversed: String = s.chars().rev().collect();
    println!(
        "string: len {} chars {} upper fnv {:016x} reversed fnv {:016x} replaced len {}",
        s.len(),
        s.chars().count(),
        fnv1a(upper.as_bytes()),
        fnv1a(reversed.as_bytes()),
        s.replace("-", "<->").len()
    );

    // Sets and a queue.
    let set: HashSet<u32> = (0..50_000).map(|_| lcg(&mut seed) % 60_000).collect();
    let bset: BTreeSet<u32> = set.iter().copied().filter(|v| v % 7 == 0).collect();
    let mut queue: VecDeque<u32> = VecDeque::new();
    let mut qsum = 0u64;
    for i in 0..200_000u32 {
        queue.push_back(i);
        if i % 3 == 0 {
            queue.push_front(i * 2);
        }
        if queue.len() > 1000 {
            qsum += queue.pop_front().unwrap() as u64 + queue.pop_back().unwrap() as u64;
        }
    }
    println!(
        "sets: hash {} btree {} first {:?} queue len {} qsum {qsum}",
        set.len(),
        bset.len(),
        bset.iter().take(5).collect::<Vec<_>>(),
        queue.len()
    );

    // Boxed trait objects and closures (call_indirect).
    let ops: Vec<Box<dyn Fn(i64) -> i64>> = vec![
        Box::new(|x| x + 1),
        Box::new(|x| x * 3),
        Box::new(|x| x ^ 0x55),
        Box::new(move |x| x - seed as i64 % 1000),
    ];
    let mut x = 1i64;
    for i in 0..100_000usize {
        x = ops[i % ops.len()](x) % 1_000_000_007;
    }
    println!("closures: {x}");
}
