//! The regex crate over a generated text corpus: counts the matches of
//! several patterns (literals, classes, alternations, captures, Unicode
//! word boundaries, case-insensitive). Exercises the regex engines' DFA and
//! NFA loops, memchr-style scanning and table lookups.
//!
//! Self-checks: the generator counts what it plants (dates, e-mail
//! addresses, hex ids, the word "kiln") and the regex counts must agree;
//! the per-pattern counts are then folded into a checksum that must match a
//! constant.

use regex::Regex;
use std::process::exit;

const CORPUS_BYTES: usize = 3 << 20;
const ROUNDS: usize = 2;
/// FNV-1a over all pattern counts and capture sums, folded to 32 bits.
const EXPECTED: u32 = 0x2c29_9353;

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
    "the", "quick", "compiler", "lowers", "every", "function", "into", "machine", "code", "while",
    "running", "tests", "and", "checking", "results", "module", "memory", "table", "import",
    "export", "stack", "value", "branch", "loop", "block", "Thing", "Wasm", "Linux", "binary",
    "native", "quiet", "aqua", "Qatar", "faqir", "naïve", "café", "Straße", "über", "THE", "The",
    "calling", "string", "nothing", "sing", "kilns",
];
const DOMAINS: &[&str] = &["example.com", "test.org", "mail.net"];

#[derive(Default)]
struct Planted {
    dates: u64,
    year_sum: u64,
    emails: u64,
    hex_ids: u64,
    kiln: u64,
}

/// Generates lines of words, with dates, e-mail addresses, hex ids and the
/// word "kiln" planted at random; returns the text and what was planted.
fn corpus(rng: &mut Rng) -> (String, Planted) {
    let mut text = String::with_capacity(CORPUS_BYTES + 256);
    let mut planted = Planted::default();
    let mut col = 0;
    while text.len() < CORPUS_BYTES {
        let start = text.len();
        match rng.below(40) {
            0 => {
                let year = 1970 + rng.below(60);
                let (month, day) = (1 + rng.below(12), 1 + rng.below(28));
                text.push_str(&format!("{year}-{month:02}-{day:02}"));
                planted.dates += 1;
                planted.year_sum += year;
            }
            1 => {
                let user = WORDS[rng.below(WORDS.len() as u64) as usize].to_lowercase();
                if !user.is_ascii() {
                    text.push_str("nobody");
                } else {
                    let domain = DOMAINS[rng.below(DOMAINS.len() as u64) as usize];
                    text.push_str(&format!("<{user}.{}@{domain}>", rng.below(1000)));
                    planted.emails += 1;
                }
            }
            2 => {
                text.push_str(&format!("id:0x{:08x}", rng.next() as u32));
                planted.hex_ids += 1;
            }
            3 => {
                text.push_str("kiln");
                planted.kiln += 1;
            }
            4 => text.push_str(&format!("{}", rng.below(100_000))),
            _ => text.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]),
        }
        col += text.len() - start;
        if col > 70 {
            text.push('\n');
            col = 0;
        } else {
            text.push(match rng.below(10) {
                0 => ',',
                1 => '.',
                _ => ' ',
            });
            if text.ends_with(['.', ',']) {
                text.push(' ');
            }
        }
    }
    (text, planted)
}

fn fail(msg: &str) -> ! {
    eprintln!("regex_match: FAILED: {msg}");
    exit(1);
}

fn main() {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let (text, planted) = corpus(&mut rng);
    println!(
        "corpus: {} bytes, {} lines",
        text.len(),
        text.lines().count()
    );

    let new = |p: &str| Regex::new(p).unwrap_or_else(|e| fail(&format!("pattern {p}: {e}")));
    let date = new(r"\b(\d{4})-(\d{2})-(\d{2})\b");
    let email = new(r"<[a-z]+\.\d+@[a-z]+\.(?:com|org|net)>");
    let hex_id = new(r"id:0x[0-9a-f]{8}\b");
    let kiln = new(r"\bkiln\b");
    let others = [
        new(r"\b\w+ing\b"),
        new(r"(?i)\bthe\s+\w+"),
        new(r"\b[A-Z]\w*\b"),
        new(r"q[^u]"),
        new(r"\b\d+\b"),
        new(r"[^\x00-\x7f]+"),
        new(r"(?m)^\w+[,.]"),
        new(r"(compiler|module|memory|function)\s+(lowers|into|value)"),
    ];

    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut add = |v: u64| {
        for b in v.to_le_bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for round in 0..ROUNDS {
        let mut dates = 0u64;
        let mut year_sum = 0u64;
        for caps in date.captures_iter(&text) {
            dates += 1;
            year_sum += caps[1]
                .parse::<u64>()
                .unwrap_or_else(|e| fail(&format!("year {}: {e}", &caps[1])));
        }
        let emails = email.find_iter(&text).count() as u64;
        let hex_ids = hex_id.find_iter(&text).count() as u64;
        let kilns = kiln.find_iter(&text).count() as u64;
        let got = (dates, year_sum, emails, hex_ids, kilns);
        let want = (
            planted.dates,
            planted.year_sum,
            planted.emails,
            planted.hex_ids,
            planted.kiln,
        );
        if got != want {
            fail(&format!(
                "round {round}: (dates, year sum, emails, hex ids, kilns) = {got:?}, planted {want:?}"
            ));
        }
        let counts: Vec<u64> = others
            .iter()
            .map(|re| re.find_iter(&text).count() as u64)
            .collect();
        if round == 0 {
            println!(
                "dates {dates} (year sum {year_sum}), e-mails {emails}, hex ids {hex_ids}, kiln {kilns}"
            );
            println!("other patterns: {counts:?}");
        }
        for v in [dates, year_sum, emails, hex_ids, kilns]
            .iter()
            .chain(&counts)
        {
            add(*v);
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
