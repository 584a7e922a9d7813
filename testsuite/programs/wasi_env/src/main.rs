//! Exercises the WASI calls Rust's std makes besides fd_write: environment
//! (denied by default, so empty), clocks, random numbers and sched_yield.

use std::hash::BuildHasher;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn main() {
    println!("env vars: {}", std::env::vars_os().count());
    println!(
        "KILN_TEST_SECRET visible: {}",
        std::env::var_os("KILN_TEST_SECRET").is_some()
    );

    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("realtime clock before 1970");
    // 2020-09-13; anything earlier means clock_time_get returned nonsense.
    println!(
        "realtime clock plausible: {}",
        since_epoch.as_secs() > 1_600_000_000
    );

    let start = Instant::now();
    std::thread::yield_now();
    let mut spin = 0u64;
    for i in 0..100_000u64 {
        spin = spin.wrapping_add(i * i);
    }
    std::hint::black_box(spin);
    let later = Instant::now();
    println!("monotonic clock ordered: {}", later >= start);

    // HashMap's RandomState keys come from random_get: print a hash of a fixed
    // value; two runs must print different numbers.
    let hash = std::collections::hash_map::RandomState::new().hash_one(0x6b696c6e_u64);
    println!("random hash: {hash:016x}");

    eprintln!("this line goes to stderr");
}
