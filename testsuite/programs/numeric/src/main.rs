//! A deterministic computation over every numeric type. The test compares
//! its output under Kiln with the same program built natively, so it must not
//! print anything that depends on the pointer width or on a platform libm
//! (only operations that are exact or correctly rounded everywhere).

use std::hint::black_box;

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state
}

fn integers_i32(seed: &mut u64) {
    let mut acc = 0i32;
    for _ in 0..2000 {
        let a = lcg(seed) as i32;
        let b = (lcg(seed) >> 40) as i32 - (1 << 22);
        let s = (lcg(seed) % 70) as u32;
        acc = acc.wrapping_add(a.wrapping_mul(b));
        acc ^= a.rotate_left(s) ^ b.rotate_right(s);
        acc = acc
            .wrapping_add(a.wrapping_shl(s))
            .wrapping_sub(b.wrapping_shr(s));
        if b != 0 {
            acc = acc
                .wrapping_add(a.wrapping_div(b))
                .wrapping_add(a.wrapping_rem(b));
            acc = acc.wrapping_add(a.div_euclid(b.max(1)));
        }
        acc = acc.wrapping_add(a.leading_zeros() as i32 + 3 * a.trailing_zeros() as i32);
        acc = acc.wrapping_add(7 * a.count_ones() as i32);
        acc = acc.wrapping_add(a.saturating_add(b).saturating_mul(3));
        acc = acc.wrapping_add(a.checked_mul(b).unwrap_or(-1));
        acc = acc.wrapping_add((a as i8) as i32 + (a as i16) as i32);
        acc = acc
            .wrapping_add(a.abs_diff(b) as i32)
            .wrapping_add(a.wrapping_abs());
        acc = acc.wrapping_add(a.swap_bytes() ^ a.reverse_bits());
        acc = acc.wrapping_add((a < b) as i32 * 5 + (a >= b) as i32 * 11);
    }
    println!("i32 acc = {acc} ({acc:#010x})");
    let edge = [i32::MIN, -1, 0, 1, i32::MAX];
    for &a in &edge {
        for &b in &edge {
            println!(
                "i32 {a} {b}: wdiv={} wrem={} chk={:?} sat={} ovf={:?}",
                a.wrapping_div(if b == 0 { 1 } else { b }),
                a.wrapping_rem(if b == 0 { 1 } else { b }),
                a.checked_div(b),
                a.saturating_sub(b),
                a.overflowing_mul(b),
            );
        }
    }
}

fn integers_u32(seed: &mut u64) {
    let mut acc = 0u32;
    for _ in 0..2000 {
        let a = lcg(seed) as u32;
        let b = (lcg(seed) >> 33) as u32 | 1;
        let s = (lcg(seed) % 40) as u32;
        acc = acc.wrapping_add(a / b).wrapping_add(a % b);
        acc ^= a.rotate_left(s).wrapping_mul(b);
        acc = acc.wrapping_add(a.wrapping_shr(s) | b.wrapping_shl(s));
        acc = acc.wrapping_add(a.leading_zeros() + a.trailing_zeros() + a.count_ones());
        acc = acc
            .wrapping_add(a.saturating_add(b) >> 3)
            .wrapping_add(a.saturating_sub(b) >> 5);
        acc = acc.wrapping_add(a.checked_add(b).unwrap_or(17));
        acc = acc.wrapping_add(a.next_power_of_two() >> 4);
        acc = acc.wrapping_add(a.is_power_of_two() as u32);
        acc = acc.wrapping_add((a as u8) as u32 + (a as u16) as u32 + (a as i8) as u32);
    }
    println!("u32 acc = {acc} ({acc:08x})");
    println!(
        "u32 edges: {} {} {} {:?} {}",
        u32::MAX.wrapping_add(1),
        0u32.wrapping_sub(1),
        u32::MAX / 7,
        u32::MAX.checked_mul(2),
        u32::MAX.leading_zeros()
    );
}

fn integers_64(seed: &mut u64) {
    let mut acc = 0i64;
    let mut uacc = 0u64;
    for _ in 0..2000 {
        let a = lcg(seed) as i64;
        let b = (lcg(seed) >> 20) as i64 - (1 << 43);
        let s = (lcg(seed) % 130) as u32;
        acc = acc.wrapping_add(a.wrapping_mul(b)) ^ a.rotate_right(s);
        acc = acc.wrapping_add(a.wrapping_shl(s) ^ b.wrapping_shr(s));
        if b != 0 {
            acc = acc.wrapping_add(a / b + a % b);
            acc = acc.wrapping_add(a.rem_euclid(b));
        }
        acc = acc.wrapping_add(a.leading_zeros() as i64 * 13 + a.trailing_zeros() as i64);
        acc = acc.wrapping_add(a.count_ones() as i64);
        acc = acc.wrapping_add(a.saturating_mul(b) >> 7);
        acc = acc.wrapping_add((a as i32) as i64 + (a as i16) as i64 + (a as u8) as i64);
        let ua = a as u64;
        let ub = (b as u64) | 1;
        uacc = uacc.wrapping_add(ua / ub + ua % ub).rotate_left(s);
        uacc ^= ua.wrapping_mul(ub).wrapping_shr(s);
        uacc = uacc.wrapping_add(ua.leading_zeros() as u64 + ua.count_zeros() as u64);
        uacc = uacc.wrapping_add(ua.checked_sub(ub).unwrap_or(99));
        uacc = uacc.wrapping_add(((ua as u128 * ub as u128) >> 64) as u64);
        uacc = uacc.wrapping_add(((ua as i128 * b as i128) >> 32) as u64);
    }
    println!("i64 acc = {acc} ({acc:#018x})");
    println!("u64 acc = {uacc} ({uacc:016x})");
    let edge = [i64::MIN, -1, 0, 1, i64::MAX];
    for &a in &edge {
        for &b in &edge {
            println!(
                "i64 {a} {b}: wdiv={} wrem={} chk={:?} sat={} ovf={:?}",
                a.wrapping_div(if b == 0 { 1 } else { b }),
                a.wrapping_rem(if b == 0 { 1 } else { b }),
                a.checked_rem(b),
                a.saturating_add(b),
                a.overflowing_sub(b),
            );
        }
    }
    println!(
        "u64 edges: {} {} {:?} {}",
        u64::MAX / 3,
        u64::MAX.wrapping_mul(u64::MAX),
        u64::MAX.checked_add(1),
        (u64::MAX as u128 * 3) >> 3
    );
}

fn floats_f64(seed: &mut u64) {
    let mut acc = 0.0f64;
    let mut ops = Vec::new();
    for i in 0..1500 {
        let a = (lcg(seed) >> 11) as f64 / (1u64 << 53) as f64 * 2000.0 - 1000.0;
        let b = (lcg(seed) as i64 >> 30) as f64 / 3.0;
        acc += a * b;
        acc -= a / (b.abs() + 1.0);
        acc += (a.abs()).sqrt();
        acc += a.floor() + b.ceil() + a.trunc() - b.round() + a.round_ties_even();
        acc += a.min(b) * 0.5 + a.max(b) * 0.25;
        acc += a.copysign(b) - (-a).abs();
        acc += a.mul_add(b, 1.5);
        acc = acc.rem_euclid(1.0e9);
        if i % 300 == 0 {
            ops.push(format!("{acc:.6} {a:e} {b}"));
        }
    }
    println!("f64 acc = {acc} bits={:016x}", acc.to_bits());
    for line in ops {
        println!("f64 step {line}");
    }
    let specials = [
        0.0f64,
        -0.0,
        1.0,
        -1.5,
        2.5,
        -2.5,
        0.49999999999999994,
        1e308,
        f64::MIN_POSITIVE,
        5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MAX,
        9007199254740993.0,
        4503599627370497.5,
    ];
    for &x in &specials {
        let x = black_box(x);
        println!(
            "f64 {x:?}: floor={:?} ceil={:?} trunc={:?} round={:?} even={:?} sqrt={:?} abs={:?} neg={:?} sign={:?} nan={} inf={}",
            x.floor(),
            x.ceil(),
            x.trunc(),
            x.round(),
            x.round_ties_even(),
            x.sqrt(),
            x.abs(),
            -x,
            x.signum(),
            x.is_nan(),
            x.is_infinite(),
        );
        println!(
            "  casts: i8={} i32={} u32={} i64={} u64={} f32={:?} min1={:?} maxm1={:?} cs={:?}",
            x as i8,
            x as i32,
            x as u32,
            x as i64,
            x as u64,
            x as f32,
            x.min(black_box(1.0)),
            x.max(black_box(-1.0)),
            black_box(3.0f64).copysign(x),
        );
    }
}

fn floats_f32(seed: &mut u64) {
    let mut acc = 0.0f32;
    for _ in 0..1500 {
        let a = (lcg(seed) >> 40) as f32 / 4096.0 - 2048.0;
        let b = (lcg(seed) as i32 >> 12) as f32 * 0.125;
        acc += a * b * 1e-6;
        acc -= a / (b.abs() + 1.0);
        acc += a.abs().sqrt() + a.floor() - b.ceil() + a.trunc() + b.round();
        acc += a.min(b) - a.max(b) + a.copysign(b) + a.mul_add(0.5, b);
        acc %= 65536.0;
    }
    println!("f32 acc = {acc} bits={:08x}", acc.to_bits());
    let specials = [
        0.0f32,
        -0.0,
        0.5,
        -0.5,
        1.5,
        -3.5,
        16777217.0,
        3.4e38,
        f32::MIN_POSITIVE,
        1e-45,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        2147483520.0,
        4294967040.0,
    ];
    for &x in &specials {
        let x = black_box(x);
        println!(
            "f32 {x:?} {x:e}: floor={:?} ceil={:?} trunc={:?} round={:?} even={:?} sqrt={:?} i32={} u32={} i64={} u64={} f64={:?} bits={:08x}",
            x.floor(),
            x.ceil(),
            x.trunc(),
            x.round(),
            x.round_ties_even(),
            x.sqrt(),
            x as i32,
            x as u32,
            x as i64,
            x as u64,
            x as f64,
            x.to_bits()
        );
    }
}

fn conversions(seed: &mut u64) {
    let ints: [i64; 10] = [
        0,
        -1,
        i64::MIN,
        i64::MAX,
        i32::MIN as i64,
        u32::MAX as i64,
        9007199254740993,
        -9007199254740993,
        0x20000020000001,
        0x7fff_ff80_0000_0001,
    ];
    for &i in &ints {
        let i = black_box(i);
        println!(
            "int {i}: f64={:?} f32={:?} u64->f64={:?} u64->f32={:?} i32->f32={:?} u32->f64={:?} wrap={} u16={}",
            i as f64,
            i as f32,
            i as u64 as f64,
            i as u64 as f32,
            i as i32 as f32,
            i as u32 as f64,
            i as i32,
            i as u16
        );
    }
    let mut acc = 0u64;
    for _ in 0..1000 {
        let bits = lcg(seed);
        let d = f64::from_bits(bits);
        let f = f32::from_bits((bits >> 32) as u32);
        acc = acc.wrapping_mul(31).wrapping_add((d as i64) as u64);
        acc = acc.wrapping_mul(31).wrapping_add(d as u64);
        acc = acc.wrapping_mul(31).wrapping_add((f as i32) as u64);
        acc = acc.wrapping_mul(31).wrapping_add((f as u32) as u64);
        if !d.is_nan() {
            acc = acc
                .wrapping_mul(31)
                .wrapping_add((d as f32).to_bits() as u64);
        }
        if !f.is_nan() {
            acc = acc.wrapping_mul(31).wrapping_add((f as f64).to_bits());
        }
    }
    println!("conversion acc = {acc:016x}");
}

fn formatting() {
    let values = [
        0.1f64,
        1.0 / 3.0,
        2.0f64 / 3.0,
        123456789.125,
        1e21,
        1e-7,
        6.02214076e23,
        -1.7976931348623157e308,
    ];
    for v in values {
        println!("fmt {v} {v:?} {v:.3} {v:e} {v:12.4} {:.0}", v * 10.0);
    }
    let fvalues = [0.1f32, 1.0 / 3.0, 16777216.0, 3.4028235e38, 1.1754944e-38];
    for v in fvalues {
        println!("fmt32 {v} {v:?} {v:.3} {v:e}");
    }
    println!("parse {:?}", "3.14159265358979323846".parse::<f64>());
    println!("parse {:?}", "-1e-320".parse::<f64>());
    println!("parse {:?}", "16777217".parse::<f32>());
    println!("parse {:?}", "-9223372036854775808".parse::<i64>());
    println!("parse {:?}", "18446744073709551616".parse::<u64>().is_err());
    println!(
        "hex {:x} {:X} {:o} {:b}",
        0xdead_beef_u32,
        u64::MAX - 5,
        511u16,
        0x5a_u8
    );
}

fn main() {
    let mut seed = 0x1234_5678_9abc_def0;
    integers_i32(&mut seed);
    integers_u32(&mut seed);
    integers_64(&mut seed);
    floats_f64(&mut seed);
    floats_f32(&mut seed);
    conversions(&mut seed);
    formatting();
    println!("seed at end: {seed:#x}");
}
