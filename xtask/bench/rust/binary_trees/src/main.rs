//! Allocation-heavy: builds, walks and frees many perfect binary trees of
//! boxed nodes, while one long-lived tree stays allocated throughout.
//! Exercises the allocator (malloc/free through Box), pointer chasing and
//! recursion.
//!
//! Self-checks: every tree's node count and value sum match closed forms,
//! and the combined checksum matches a constant.

use std::process::exit;

const MIN_DEPTH: u32 = 4;
const MAX_DEPTH: u32 = 17;
/// FNV-1a over every (depth, trees, nodes, sum) line, folded to 32 bits.
const EXPECTED: u32 = 0x7069_94de;

struct Node {
    /// Heap index: the root is 1, the children of n are 2n and 2n+1.
    index: u64,
    children: Option<(Box<Node>, Box<Node>)>,
}

fn build(index: u64, depth: u32) -> Box<Node> {
    let children = if depth == 0 {
        None
    } else {
        Some((build(2 * index, depth - 1), build(2 * index + 1, depth - 1)))
    };
    Box::new(Node { index, children })
}

/// Returns (number of nodes, sum of indices, number of leaves).
fn walk(node: &Node) -> (u64, u64, u64) {
    match &node.children {
        None => (1, node.index, 1),
        Some((l, r)) => {
            let (ln, ls, ll) = walk(l);
            let (rn, rs, rl) = walk(r);
            (1 + ln + rn, node.index + ls + rs, ll + rl)
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("binary_trees: FAILED: {msg}");
    exit(1);
}

/// Checks a walked perfect tree of the given depth against closed forms.
fn check(depth: u32, (nodes, sum, leaves): (u64, u64, u64)) {
    let n = (1u64 << (depth + 1)) - 1;
    if nodes != n || sum != n * (n + 1) / 2 || leaves != 1 << depth {
        fail(&format!(
            "depth {depth}: {nodes} nodes, index sum {sum}, {leaves} leaves"
        ));
    }
}

struct Fnv(u64);

impl Fnv {
    fn add(&mut self, v: u64) {
        for b in v.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn main() {
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);

    let stretch = MAX_DEPTH + 1;
    let walked = walk(&build(1, stretch));
    check(stretch, walked);
    println!("stretch tree of depth {stretch}: {} nodes", walked.0);
    hash.add(walked.0);

    let long_lived = build(1, MAX_DEPTH);

    for depth in (MIN_DEPTH..=MAX_DEPTH).step_by(2) {
        let trees = 1u64 << (MAX_DEPTH - depth + MIN_DEPTH);
        let mut nodes = 0u64;
        let mut sum = 0u64;
        for _ in 0..trees {
            let tree = build(1, depth);
            let walked = walk(&tree);
            check(depth, walked);
            nodes += walked.0;
            sum = sum.wrapping_add(walked.1);
        }
        println!("{trees} trees of depth {depth}: {nodes} nodes");
        for v in [u64::from(depth), trees, nodes, sum] {
            hash.add(v);
        }
    }

    let walked = walk(&long_lived);
    check(MAX_DEPTH, walked);
    println!("long-lived tree of depth {MAX_DEPTH}: {} nodes", walked.0);
    hash.add(walked.0);

    let checksum = (hash.0 ^ (hash.0 >> 32)) as u32;
    if checksum != EXPECTED {
        fail(&format!(
            "checksum 0x{checksum:08x}, expected 0x{EXPECTED:08x}"
        ));
    }
    println!("checksum: 0x{checksum:08x}");
}
