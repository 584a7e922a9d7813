//! serde + serde_json: generates a few MB of structured records, serializes
//! them, parses them back and compares, several times over. Exercises string
//! building and scanning, float formatting and parsing, small allocations and
//! generic (monomorphised) code.
//!
//! Self-checks: every parse must give back records equal to the originals,
//! re-serializing must reproduce the same text, and the checksum over the
//! text must match a constant.

use serde::{Deserialize, Serialize};
use std::process::exit;

const RECORDS: usize = 12_000;
const ROUNDS: usize = 8;
/// FNV-1a over the compact and pretty JSON of every round, folded to 32.
const EXPECTED: u32 = 0x2311_ece9;

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Created,
    Updated { fields: Vec<String> },
    Moved { from: Point, to: Point },
    Deleted,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone, Copy)]
struct Point {
    lat: f64,
    lon: f64,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Event {
    at: u64,
    kind: Kind,
    delta: i64,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Record {
    id: u64,
    name: String,
    email: Option<String>,
    active: bool,
    score: f64,
    ratio: f32,
    tags: Vec<String>,
    home: Point,
    history: Vec<Event>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    note: Option<String>,
}

/// 64-bit xorshift*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    /// A float that needs all its digits to round-trip.
    fn float(&mut self, scale: f64) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * scale - scale / 2.0
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lin", "mo", "ra", "te", "su", "vo", "ni", "ze", "pa", "dú", "ñe", "ß", "ø",
];
const TAGS: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "urgent",
    "archived",
    "shared",
    "draft",
    "wasm",
    "native",
    "tab\there",
    "quote\"d",
    "back\\slash",
    "line\nbreak",
    "日本",
    "emoji 🦀",
];
const FIELDS: &[&str] = &["name", "email", "score", "tags", "home", "note"];

fn word(rng: &mut Rng) -> String {
    let n = 1 + rng.below(4);
    (0..n).map(|_| rng.pick(SYLLABLES)).collect()
}

fn point(rng: &mut Rng) -> Point {
    Point {
        lat: rng.float(180.0),
        lon: rng.float(360.0),
    }
}

fn record(rng: &mut Rng, id: u64) -> Record {
    let name = format!("{} {}", word(rng), word(rng));
    let email = if rng.below(4) == 0 {
        None
    } else {
        Some(format!("{}.{}@example.org", word(rng), id))
    };
    let tags = (0..rng.below(5))
        .map(|_| rng.pick(TAGS).to_string())
        .collect();
    let history = (0..rng.below(6))
        .map(|i| Event {
            at: 1_600_000_000 + id * 97 + i * 3_600,
            delta: rng.next() as i64 >> rng.below(60),
            kind: match rng.below(4) {
                0 => Kind::Created,
                1 => Kind::Updated {
                    fields: (0..1 + rng.below(3))
                        .map(|_| rng.pick(FIELDS).to_string())
                        .collect(),
                },
                2 => Kind::Moved {
                    from: point(rng),
                    to: point(rng),
                },
                _ => Kind::Deleted,
            },
        })
        .collect();
    Record {
        id,
        name,
        email,
        active: rng.below(2) == 0,
        score: rng.float(2000.0),
        ratio: rng.float(1.0) as f32,
        tags,
        home: point(rng),
        history,
        note: if rng.below(8) == 0 {
            Some(format!("control \u{1} and \u{1f} chars, {}", word(rng)))
        } else {
            None
        },
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("json_roundtrip: FAILED: {msg}");
    exit(1);
}

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn main() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut total_bytes = 0usize;
    for round in 0..ROUNDS {
        let base = (round * RECORDS) as u64;
        let records: Vec<Record> = (0..RECORDS as u64)
            .map(|i| record(&mut rng, base + i))
            .collect();

        let text =
            serde_json::to_string(&records).unwrap_or_else(|e| fail(&format!("serialize: {e}")));
        let parsed: Vec<Record> =
            serde_json::from_str(&text).unwrap_or_else(|e| fail(&format!("parse: {e}")));
        if parsed != records {
            let at = parsed.iter().zip(&records).position(|(a, b)| a != b);
            fail(&format!(
                "round {round}: parsed records differ (first at {at:?})"
            ));
        }
        let again =
            serde_json::to_string(&parsed).unwrap_or_else(|e| fail(&format!("re-serialize: {e}")));
        if again != text {
            fail(&format!("round {round}: re-serialized text differs"));
        }

        // Pretty-printed text goes through the same parser with whitespace.
        let pretty = serde_json::to_string_pretty(&records[..RECORDS / 4])
            .unwrap_or_else(|e| fail(&format!("serialize pretty: {e}")));
        let parsed: Vec<Record> =
            serde_json::from_str(&pretty).unwrap_or_else(|e| fail(&format!("parse pretty: {e}")));
        if parsed[..] != records[..RECORDS / 4] {
            fail(&format!("round {round}: pretty records differ"));
        }

        hash = fnv(hash, text.as_bytes());
        hash = fnv(hash, pretty.as_bytes());
        total_bytes += text.len() + pretty.len();
    }
    println!(
        "{} records in {ROUNDS} rounds, {} bytes of JSON: round trips equal",
        RECORDS * ROUNDS,
        total_bytes
    );
    let checksum = (hash ^ (hash >> 32)) as u32;
    if checksum != EXPECTED {
        fail(&format!(
            "checksum 0x{checksum:08x}, expected 0x{EXPECTED:08x}"
        ));
    }
    println!("checksum: 0x{checksum:08x}");
}
