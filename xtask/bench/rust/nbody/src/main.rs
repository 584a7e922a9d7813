//! N-body simulation of the Sun and the four gas giants with a symplectic
//! Euler integrator. Exercises f64 arithmetic, sqrt and division over small
//! arrays of structs.
//!
//! Self-checks: total energy is conserved to within a small drift, momentum
//! stays zero, and the bit pattern of the final state matches a constant.

use std::process::exit;

const STEPS: usize = 15_000_000;
const DT: f64 = 0.01;
/// FNV-1a over the bits of the final positions and velocities, folded to 32.
const EXPECTED: u32 = 0x7383_e2a5;

const PI: f64 = std::f64::consts::PI;
const SOLAR_MASS: f64 = 4.0 * PI * PI;
const DAYS_PER_YEAR: f64 = 365.24;

#[derive(Clone, Copy)]
struct Body {
    pos: [f64; 3],
    vel: [f64; 3],
    mass: f64,
}

impl Body {
    /// A planet from heliocentric position (AU), velocity (AU/day) and mass
    /// (solar masses).
    fn planet(pos: [f64; 3], vel_per_day: [f64; 3], solar_masses: f64) -> Body {
        Body {
            pos,
            vel: vel_per_day.map(|v| v * DAYS_PER_YEAR),
            mass: solar_masses * SOLAR_MASS,
        }
    }
}

fn initial_system() -> [Body; 5] {
    let sun = Body {
        pos: [0.0; 3],
        vel: [0.0; 3],
        mass: SOLAR_MASS,
    };
    let jupiter = Body::planet(
        [
            4.841_431_442_464_72,
            -1.160_320_044_027_428_4,
            -0.103_622_044_471_123_1,
        ],
        [
            0.001_660_076_642_744_037,
            0.007_699_011_184_197_404,
            -6.904_600_169_720_63e-5,
        ],
        9.547_919_384_243_266e-4,
    );
    let saturn = Body::planet(
        [
            8.343_366_718_244_58,
            4.124_798_564_124_305,
            -0.403_523_417_114_321_4,
        ],
        [
            -0.002_767_425_107_268_624,
            0.004_998_528_012_349_172,
            2.304_172_975_737_639_3e-5,
        ],
        2.858_859_806_661_308e-4,
    );
    let uranus = Body::planet(
        [
            12.894_369_562_139_131,
            -15.111_151_401_698_631,
            -0.223_307_578_892_655_73,
        ],
        [
            0.002_964_601_375_647_616,
            0.002_378_471_739_594_809_5,
            -2.965_895_685_402_375_6e-5,
        ],
        4.366_244_043_351_563e-5,
    );
    let neptune = Body::planet(
        [
            15.379_697_114_850_917,
            -25.919_314_609_987_964,
            0.179_258_772_950_371_18,
        ],
        [
            0.002_680_677_724_903_893_2,
            0.001_628_241_700_382_423,
            -9.515_922_545_197_159e-5,
        ],
        5.151_389_020_466_114_5e-5,
    );
    let mut bodies = [sun, jupiter, saturn, uranus, neptune];

    // Give the Sun the opposite of the planets' momentum, so the system's
    // centre of mass stays put.
    let mut momentum = [0.0; 3];
    for b in &bodies[1..] {
        for (m, v) in momentum.iter_mut().zip(b.vel) {
            *m += v * b.mass;
        }
    }
    for (v, m) in bodies[0].vel.iter_mut().zip(momentum) {
        *v = -m / SOLAR_MASS;
    }
    bodies
}

fn energy(bodies: &[Body]) -> f64 {
    let mut e = 0.0;
    for (i, a) in bodies.iter().enumerate() {
        let speed2: f64 = a.vel.iter().map(|v| v * v).sum();
        e += 0.5 * a.mass * speed2;
        for b in &bodies[i + 1..] {
            let d2: f64 = (0..3)
                .map(|k| (a.pos[k] - b.pos[k]) * (a.pos[k] - b.pos[k]))
                .sum();
            e -= a.mass * b.mass / d2.sqrt();
        }
    }
    e
}

fn momentum(bodies: &[Body]) -> [f64; 3] {
    let mut p = [0.0; 3];
    for b in bodies {
        for (pk, v) in p.iter_mut().zip(b.vel) {
            *pk += v * b.mass;
        }
    }
    p
}

fn step(bodies: &mut [Body; 5], dt: f64) {
    for i in 0..bodies.len() {
        let (head, tail) = bodies.split_at_mut(i + 1);
        let a = &mut head[i];
        for b in tail.iter_mut() {
            let dx = a.pos[0] - b.pos[0];
            let dy = a.pos[1] - b.pos[1];
            let dz = a.pos[2] - b.pos[2];
            let d2 = dx * dx + dy * dy + dz * dz;
            let mag = dt / (d2 * d2.sqrt());
            let ma = a.mass * mag;
            let mb = b.mass * mag;
            a.vel[0] -= dx * mb;
            a.vel[1] -= dy * mb;
            a.vel[2] -= dz * mb;
            b.vel[0] += dx * ma;
            b.vel[1] += dy * ma;
            b.vel[2] += dz * ma;
        }
    }
    for b in bodies.iter_mut() {
        for k in 0..3 {
            b.pos[k] += dt * b.vel[k];
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("nbody: FAILED: {msg}");
    exit(1);
}

fn main() {
    let mut bodies = initial_system();
    let e0 = energy(&bodies);
    println!("energy before: {e0:.9}");
    for _ in 0..STEPS {
        step(&mut bodies, DT);
    }
    let e1 = energy(&bodies);
    println!("energy after:  {e1:.9}");

    // The integrator is symplectic: energy wobbles but must not drift far.
    if !e1.is_finite() || ((e1 - e0) / e0).abs() >= 2e-4 {
        fail(&format!("energy drifted from {e0} to {e1}"));
    }
    let p = momentum(&bodies);
    if p.iter().any(|c| c.abs() > 1e-12) {
        fail(&format!("momentum is not conserved: {p:?}"));
    }

    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &bodies {
        for v in b.pos.iter().chain(&b.vel) {
            for byte in v.to_bits().to_le_bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    let checksum = (hash ^ (hash >> 32)) as u32;
    if checksum != EXPECTED {
        fail(&format!(
            "checksum 0x{checksum:08x}, expected 0x{EXPECTED:08x}"
        ));
    }
    println!("checksum: 0x{checksum:08x}");
}
