//! Compiler fuzzing: Kiln is fed inputs it must refuse or compile, never crash on —
//! arbitrary bytes, mutated real modules, and wasm-smith modules using proposals Kiln does
//! not support (or with invalid function bodies). `kiln::compile` and `kiln::inspect` must
//! return `Ok` or `Err`, within a time and memory bound.
//!
//! Every compile runs under [`guarded`]: a panic (the fuzzer is built with the `fuzz`
//! profile, which unwinds) is caught and its input saved as a finding; the input is also
//! kept in [`CURRENT`] for the watchdog thread (hangs, memory) and written to
//! `in-progress.wasm` first, which is what is left to replay after a crash nothing can
//! intercept (a stack overflow or a signal).

use crate::rng::Rng;
use arbitrary::Unstructured;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longer than any real compile of these small inputs takes (about a second at most).
const HANG_LIMIT: Duration = Duration::from_secs(60);
/// Resident memory that counts as running out of memory.
const MEMORY_LIMIT: u64 = 4 << 30;

struct Current {
    input: Vec<u8>,
    since: Instant,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);
static CRASH_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Where the three kinds of input come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    RandomBytes,
    MutatedModule,
    UnsupportedFeatures,
}

pub struct CompilerFuzz {
    corpus: Vec<Vec<u8>>,
    /// wasm-smith's defaults: every proposal it knows (GC, exceptions, threads, memory64,
    /// ...), most of which Kiln rejects with an error.
    unsupported: wasm_smith::Config,
    options: kiln::Options,
}

impl CompilerFuzz {
    /// `corpus`: valid modules to mutate. Saved crashes go to `crash_dir`.
    pub fn new(corpus: Vec<Vec<u8>>, options: kiln::Options, crash_dir: &Path) -> CompilerFuzz {
        *CRASH_DIR.lock().unwrap() = Some(crash_dir.to_path_buf());
        install_guards();
        CompilerFuzz {
            corpus,
            unsupported: wasm_smith::Config::default(),
            options,
        }
    }

    /// Generates one input from `rng` and checks that Kiln handles it: `Err` describes a
    /// panic (its input is saved).
    pub fn run_one(&self, rng: &mut Rng) -> Result<Source, String> {
        let source = *rng.pick(&[
            Source::RandomBytes,
            Source::MutatedModule,
            Source::UnsupportedFeatures,
        ]);
        let input = match source {
            Source::RandomBytes => random_bytes(rng),
            Source::MutatedModule if !self.corpus.is_empty() => {
                mutate(rng.pick(&self.corpus).clone(), rng)
            }
            Source::MutatedModule => random_bytes(rng),
            Source::UnsupportedFeatures => self.smith_unsupported(rng),
        };
        let options = kiln::Options {
            emit: kiln::Emit::Obj,
            entry: rng.below(2) == 0,
            ..self.options.clone()
        };
        guarded(&input, || {
            let _ = kiln::compile(&input, &options);
            let _ = kiln::inspect(&input);
        })?;
        Ok(source)
    }

    fn smith_unsupported(&self, rng: &mut Rng) -> Vec<u8> {
        let len = 256 + rng.below(8192) as usize;
        let data = rng.bytes(len);
        let mut config = self.unsupported.clone();
        config.allow_invalid_funcs = rng.below(4) == 0;
        let mut u = Unstructured::new(&data);
        wasm_smith::Module::new(config, &mut u)
            .map(|m| m.to_bytes())
            .unwrap_or(data)
    }
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let mut bytes = if rng.below(2) == 0 {
        b"\0asm\x01\0\0\0".to_vec()
    } else {
        Vec::new()
    };
    let len = rng.below(2048) as usize;
    bytes.extend(rng.bytes(len));
    bytes
}

/// A few byte-level mutations: bit flips, boundary bytes (LEB128 and section-size edges),
/// deleted, repeated and inserted ranges, truncation.
pub fn mutate(mut bytes: Vec<u8>, rng: &mut Rng) -> Vec<u8> {
    for _ in 0..1 + rng.below(8) {
        if bytes.is_empty() {
            bytes.push(0);
        }
        let at = rng.below(bytes.len() as u64) as usize;
        let span = (1 + rng.below(16) as usize).min(bytes.len() - at);
        match rng.below(6) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = *rng.pick(&[0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x0b, 0x41]),
            2 => {
                bytes.drain(at..at + span);
            }
            3 => {
                let copy = bytes[at..at + span].to_vec();
                bytes.splice(at..at, copy);
            }
            4 => {
                let extra = rng.bytes(span);
                bytes.splice(at..at, extra);
            }
            _ => bytes.truncate(at.max(8)),
        }
    }
    bytes
}

/// Runs `f`, which compiles `input`, so that a panic, crash or hang in it leaves `input`
/// behind (see the module comment); `Err` when it panicked.
pub fn guarded<T>(input: &[u8], f: impl FnOnce() -> T) -> Result<T, String> {
    if let Some(dir) = CRASH_DIR.lock().unwrap().as_ref() {
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::write(dir.join("in-progress.wasm"), input);
    }
    *CURRENT.lock().unwrap() = Some(Current {
        input: input.to_vec(),
        since: Instant::now(),
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let saved = match &result {
        Err(_) => save_current("panic"),
        Ok(_) => None,
    };
    *CURRENT.lock().unwrap() = None;
    result.map_err(|payload| {
        let message = crate::panic_message(payload.as_ref());
        format!(
            "kiln panicked: {message} (input saved as {})",
            saved.map_or("?".into(), |p| p.display().to_string())
        )
    })
}

/// The watchdog saves the input under test before it ends a hung or bloated process.
fn install_guards() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_millis(500));
            let hung = CURRENT
                .lock()
                .map(|c| c.as_ref().is_some_and(|c| c.since.elapsed() > HANG_LIMIT))
                .unwrap_or(false);
            if hung {
                save_current("hang");
                std::process::exit(1);
            }
            if resident_bytes().is_some_and(|r| r > MEMORY_LIMIT)
                && CURRENT.lock().is_ok_and(|c| c.is_some())
            {
                save_current("out-of-memory");
                std::process::exit(1);
            }
        });
    });
}

fn save_current(what: &str) -> Option<PathBuf> {
    let current = CURRENT.try_lock().ok()?;
    let current = current.as_ref()?;
    let dir = CRASH_DIR
        .lock()
        .ok()
        .and_then(|d| d.clone())
        .unwrap_or_default();
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!(
        "{what}-{:016x}.wasm",
        crate::rng::seed_of_bytes(&current.input)
    ));
    let _ = std::fs::write(&path, &current.input);
    eprintln!(
        "kiln-fuzz: compiler {what} on an input saved as {} (replay: kiln compile {0})",
        path.display()
    );
    Some(path)
}

/// Resident set size, from /proc on Linux (`None` elsewhere).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
