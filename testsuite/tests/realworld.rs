//! Real programs: four command-line tools from crates.io (a text search, a
//! Markdown renderer, a JSON query tool and a hex viewer), built by rustc for
//! `wasm32-wasip1` and for the host at pinned versions by `cargo xtask test`
//! (see `xtask/src/realworld.rs`). Each `.wasm` is compiled by `kiln`, and
//! every case below runs both the Kiln executable and the native build with
//! the same arguments and the same stdin; their exit status, stdout and stderr
//! must be identical byte for byte, and neither may die from a signal.
//! ripgrep and pulldown-cmark run once more built with wasm SIMD (`+simd128`),
//! which sends their byte searches through memchr's `core::arch::wasm32` code.
//!
//! The tools only ever read stdin: Kiln grants no preopened directories and
//! no environment variables, so both builds run with an empty environment in
//! an empty working directory. The inputs live in `testsuite/realworld-inputs/`.
//!
//! A case is `(input, expected native exit status, arguments)`. The expected
//! status guards against vacuous passes (both builds rejecting the arguments
//! alike). `input` is one of:
//! - `""`: empty stdin;
//! - `"FILE"`: the contents of `realworld-inputs/FILE`;
//! - `"FILE*N"`: those contents repeated N times (a large input);
//! - `"FILE^crlf"`: those contents with every `\n` turned into `\r\n`;
//! - `"text:..."`: the literal text after `text:`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use kiln_testsuite::{
    compile_ok, realworld_binaries, realworld_inputs_dir, realworld_simd_binaries, Cmd, Output,
    Scratch,
};

type Case = (&'static str, i32, &'static [&'static str]);

/// ripgrep: always given `-` as the path, because on WASI it cannot tell that
/// stdin is readable and would otherwise search the (absent) current directory.
#[rustfmt::skip]
const RG_CASES: &[Case] = &[
    ("notes.txt", 0, &["kiln", "-"]),
    ("notes.txt", 0, &["-n", "-i", "kiln", "-"]),
    ("notes.txt", 0, &["-w", "-c", "kiln", "-"]),
    ("notes.txt", 0, &["-S", "-n", "kiln", "-"]),
    ("notes.txt", 0, &["-o", "-n", r"[\w.]+@example\.(com|org|net)", "-"]),
    ("notes.txt", 0, &["-o", r"\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}", "-"]),
    ("notes.txt", 0, &["-C", "2", "FIXME", "-"]),
    ("notes.txt", 0, &["-A1", "-B1", "-n", "TODO", "-"]),
    ("notes.txt", 0, &["-x", "-n", r"TODO: .*\.", "-"]),
    ("notes.txt", 0, &["-o", r"\p{Greek}+|\p{Han}+", "-"]),
    ("notes.txt", 0, &["-i", "-n", "ÖDEGÅRD|zoë", "-"]),
    ("notes.txt", 0, &["-F", "-n", "(555)", "-"]),
    ("notes.txt", 0, &["-U", "-n", r"Glaze results\n-+\n\* \w+", "-"]),
    ("notes.txt", 0, &["-r", "$2 ($1)", "-n", r"^shelf-(\d): (\d+) pots.*$", "-"]),
    ("notes.txt", 0, &["--vimgrep", "runny", "-"]),
    ("notes.txt", 0, &["-b", "-o", "-i", "wood kilns?", "-"]),
    ("notes.txt", 0, &["--passthru", "-n", "loss(es)?", "-"]),
    ("notes.txt", 0, &["--color", "always", "-n", "kiln|fire", "-"]),
    ("notes.txt", 0, &["--count-matches", r"\d+", "-"]),
    ("notes.txt", 0, &["--trim", "-n", "cone pack", "-"]),
    ("notes.txt", 0, &["-n", r"\s+$", "-"]),
    ("notes.txt^crlf", 0, &["--crlf", "-n", "kiln$", "-"]),
    ("notes.txt", 1, &["no such text anywhere", "-"]),
    ("notes.txt", 2, &["-e", "(unclosed", "-"]),
    ("server.log", 0, &["-c", "ERROR", "-"]),
    ("server.log", 0, &["-v", "-c", "INFO", "-"]),
    ("server.log", 0, &["-e", r"status=5\d\d", "-e", "quota", "--max-count", "12", "-n", "-"]),
    ("server.log", 0, &["-o", "-r", "$ip -> $code", r"ip=(?P<ip>[\d.]+).*status=(?P<code>404)", "-"]),
    ("server.log", 0, &["-w", "-o", r"took=\d{4}ms", "-"]),
    ("server.log*40", 0, &["-c", "status=50[03]", "-"]),
    ("server.log*40", 0, &["--count-matches", r"\b(GET|POST)\b", "-"]),
    ("server.log*40", 0, &["-n", "req=00399 ", "-"]),
    ("blob.bin", 0, &["fox", "-"]),
    ("blob.bin", 0, &["-a", "-o", "quick [a-z]+", "-"]),
];

/// pulldown-cmark: Markdown on stdin, HTML (or the event stream) on stdout.
#[rustfmt::skip]
const PULLDOWN_CMARK_CASES: &[Case] = &[
    ("document.md", 0, &[]),
    ("document.md", 0, &["-T", "-F", "-S", "-L", "-P", "-H", "-M", "-m", "-G", "-D"]),
    // The event stream (`-e`) is Rust `Debug` output; inline strings there show
    // their buffer, whose size depends on the pointer width, so feed it text
    // without entities or smart punctuation.
    ("notes.txt", 0, &["-e"]),
    ("notes.txt", 0, &["-e", "-T", "-F", "-S", "-L", "-H", "-M", "-m"]),
    ("document.md^crlf", 0, &["-T", "-S"]),
    ("document.md*30", 0, &["-T", "-F", "-S", "-L", "-P"]),
    ("notes.txt", 0, &[]),
    ("", 0, &[]),
    ("text:[[Wiki Link]] and [[target|label]]\n", 0, &["-W"]),
    ("text:Term\n: Definition\n\nOther\n: Second\n", 0, &["-D"]),
    ("text:a\0b\r\nc\td\n", 0, &[]),
];

/// jaq: a jq clone. Math functions come from the pure-Rust `libm` crate in
/// both builds, so their results must match to the last bit. jaq's integers
/// are `isize`, so results of 2^31 and more would legitimately differ between
/// wasm32 and a 64-bit host: no case computes one (large literals in the input
/// are printed as they were read, which is the same on both).
#[rustfmt::skip]
const JAQ_CASES: &[Case] = &[
    ("orders.json", 0, &["."]),
    ("orders.json", 0, &["-c", ".limits"]),
    ("orders.json", 0, &["-S", ".limits"]),
    ("orders.json", 0, &[".orders | length"]),
    ("orders.json", 0, &["--tab", ".orders[0]"]),
    ("orders.json", 0, &["--indent", "1", ".orders[1].lines"]),
    ("orders.json", 0, &["-C", "-c", ".orders[:2]"]),
    ("orders.json", 0, &["-M", ".orders[3]"]),
    ("orders.json", 0, &["-r", r#".orders[] | select(.customer.vip) | "\(.id) \(.customer.name) \(.customer.city)""#]),
    ("orders.json", 0, &["[.orders[].lines[] | .qty * .unit_price] | add"]),
    ("orders.json", 0, &["-c", ".orders | group_by(.customer.city) | map({city: .[0].customer.city, orders: length, qty: ([.[].lines[].qty] | add)})"]),
    ("orders.json", 0, &["-c", r#".orders | map(select(.status == "cancelled") | .id)"#]),
    ("orders.json", 0, &["-c", ".orders | sort_by(.customer.name, -.id) | map(.id) | .[:10]"]),
    ("orders.json", 0, &["-c", "[paths(type == \"number\")] | length"]),
    ("orders.json", 0, &["-r", ".orders[:8][] | [.id, .status, .customer.name, (.tags | join(\";\"))] | @csv"]),
    ("orders.json", 0, &["-r", ".orders[:8][] | [.id, .customer.city] | @tsv"]),
    ("orders.json", 0, &["-r", ".orders[] | .note | select(. != null) | @json, @base64, @uri, @html, @sh"]),
    ("orders.json", 0, &["-c", "reduce .orders[] as $o ({}; .[$o.status] += 1)"]),
    ("orders.json", 0, &["-c", "[limit(3; .orders[] | .id)], first(.orders[].customer.name), (.orders | last | .id)"]),
    ("orders.json", 0, &["-c", "--arg", "city", "Zürich", "[.orders[] | select(.customer.city == $city) | .id]"]),
    ("orders.json", 0, &["-c", "--argjson", "min", "1000", "[.orders[] | select(([.lines[] | .qty * .unit_price] | add // 0) > $min) | .id]"]),
    ("orders.json", 0, &["-c", ".orders | map(.customer.city) | unique"]),
    ("orders.json", 0, &["-c", ".orders | (min_by(.lines | length) | .id), (max_by(.id) | .id)"]),
    ("orders.json", 0, &["-c", "[.orders[] | .tags] | flatten | group_by(.) | map({(.[0]): length}) | add"]),
    ("orders.json", 0, &["-c", ".orders[0] | to_entries | map(.key)"]),
    ("orders.json", 0, &["-c", ".orders[0] | with_entries(.value |= tojson) | .customer | fromjson"]),
    ("orders.json", 0, &["-c", "del(.orders) | [paths]"]),
    ("orders.json", 0, &["-c", ".limits | [.huge * 10, -.huge * 10, .tiny / 2, .exp * 2, .neg_zero, (.max_qty | . * 3)]"]),
    ("orders.json", 0, &["-c", "[.orders[].lines[].unit_price] | [add, (map(pow(.; 1.5)) | add), (map(log) | add), (map(sqrt) | add), (map(sin) | add), (map(exp10 | log10) | add)]"]),
    ("orders.json", 0, &["-c", r#".generated | fromdate, (fromdate + 86400 * 400 | todate)"#]),
    ("orders.json", 0, &["-c", r#"[.orders[].customer.name | ascii_downcase | ltrimstr("b") | explode | length] | add"#]),
    ("orders.json", 0, &["-c", r#"[.orders[].note // empty | test("[a-z]+:\\s"; "x"), (split("a") | length)]"#]),
    ("orders.json", 0, &["-c", "[.orders[] | .lines | any(.qty > 10)] | [all, any, (map(select(.)) | length)]"]),
    ("orders.json", 0, &["-c", "[range(0; 100; 7)] | [.[] | . % 5], indices(14), (. | inside([range(100)]))"]),
    ("orders.json", 1, &["-e", ".orders[0].customer.vip"]),
    ("orders.json", 5, &[".orders[0].id.foo"]),
    ("orders.json*20", 0, &["-c", ".orders | map(.id) | add"]),
    ("orders.json*20", 0, &["-s", "map(.orders | length) | add"]),
    ("values.jsonl", 0, &["-c", "."]),
    ("values.jsonl", 0, &["-c", "type"]),
    ("values.jsonl", 0, &["-c", "-s", "length, (map(type) | unique)"]),
    ("values.jsonl", 0, &["-c", "-n", "[inputs | .k? // empty]"]),
    ("values.jsonl", 0, &["-c", "[.. | numbers]"]),
    ("values.jsonl", 0, &["-j", "-r", "tostring"]),
    ("server.log", 0, &["-R", "-r", r#"select(test("ERROR")) | capture("req=(?<req>\\d+).*error=\"(?<why>[^\"]+)\"") | "\(.req): \(.why)""#]),
    ("server.log", 0, &["-R", "-s", "-c", r#"split("\n") | map(select(length > 0) | split(" ")[1]) | group_by(.) | map([.[0], length])"#]),
    ("", 0, &["-n", "-c", r#"[range(10)] | map(. * .) | add, "\(1 + 2) \([1, 2] | tojson)", ([3, 1, 2] | sort)"#]),
    ("text:{\"a\": [1, 2", 5, &["."]),
    ("text:[1, 2, 3]", 3, &["-c", ".[] | (. +"]),
];

/// hexyl: a hex viewer. Its default is `--color=always`.
#[rustfmt::skip]
const HEXYL_CASES: &[Case] = &[
    ("blob.bin", 0, &[]),
    ("blob.bin", 0, &["--color=never"]),
    ("blob.bin", 0, &["-p"]),
    ("blob.bin", 0, &["--border", "ascii", "--color", "never"]),
    ("blob.bin", 0, &["--border", "none", "-v", "--color", "never"]),
    ("blob.bin", 0, &["-n", "64"]),
    ("blob.bin", 0, &["-n", "0x50", "-s", "260"]),
    ("blob.bin", 0, &["-s", "1kiB", "--length", "1block", "--block-size", "128"]),
    ("blob.bin", 0, &["-o", "0x1000", "-n", "48"]),
    ("blob.bin", 0, &["--panels", "1", "--color", "never"]),
    ("blob.bin", 0, &["--panels", "3", "-n", "300"]),
    ("blob.bin", 0, &["--terminal-width", "60", "--color", "never", "-n", "100"]),
    ("blob.bin", 0, &["-g", "4", "--endianness", "little", "-n", "128"]),
    ("blob.bin", 0, &["-g", "8", "-n", "128", "--color", "never"]),
    ("blob.bin", 0, &["-b", "binary", "-n", "64"]),
    ("blob.bin", 0, &["-b", "octal", "-n", "64"]),
    ("blob.bin", 0, &["-b", "decimal", "-n", "64"]),
    ("blob.bin", 0, &["--character-table", "ascii", "-n", "320"]),
    ("blob.bin", 0, &["--character-table", "codepage-437", "-n", "320"]),
    ("blob.bin", 0, &["--character-table", "codepage-1047", "-n", "320"]),
    ("blob.bin", 0, &["--character-table", "braille", "-n", "320"]),
    ("blob.bin", 0, &["--color-scheme", "gradient", "-n", "320"]),
    ("blob.bin", 0, &["--no-position", "--no-characters", "-n", "100"]),
    ("blob.bin", 0, &["-i", "-n", "40"]),
    ("blob.bin*50", 0, &["--color=never"]),
    ("notes.txt", 0, &[]),
    ("", 0, &[]),
    ("blob.bin", 1, &["--skip=-16"]),
    ("blob.bin", 1, &["-n", "lots"]),
];

#[test]
fn ripgrep_matches_its_native_build() {
    check_tool("rg", RG_CASES);
}

#[test]
fn ripgrep_built_with_simd_matches_its_native_build() {
    check_build(realworld_simd_binaries("rg"), "rg-simd", RG_CASES);
}

#[test]
fn pulldown_cmark_matches_its_native_build() {
    check_tool("pulldown-cmark", PULLDOWN_CMARK_CASES);
}

#[test]
fn pulldown_cmark_built_with_simd_matches_its_native_build() {
    check_build(
        realworld_simd_binaries("pulldown-cmark"),
        "pulldown-cmark-simd",
        PULLDOWN_CMARK_CASES,
    );
}

#[test]
fn jaq_matches_its_native_build() {
    check_tool("jaq", JAQ_CASES);
}

#[test]
fn hexyl_matches_its_native_build() {
    check_tool("hexyl", HEXYL_CASES);
}

const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The stdin bytes a case's input spec describes (see the module docs).
fn input_bytes(spec: &str, files: &mut BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    if let Some(text) = spec.strip_prefix("text:") {
        return text.as_bytes().to_vec();
    }
    if spec.is_empty() {
        return Vec::new();
    }
    let (name, repeat, crlf) = if let Some((name, n)) = spec.split_once('*') {
        (name, n.parse::<usize>().expect("repeat count"), false)
    } else if let Some(name) = spec.strip_suffix("^crlf") {
        (name, 1, true)
    } else {
        (spec, 1, false)
    };
    let contents = files.entry(name.to_owned()).or_insert_with(|| {
        let path = realworld_inputs_dir().join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    });
    if crlf {
        let mut out = Vec::with_capacity(contents.len() * 2);
        for &b in contents.iter() {
            if b == b'\n' {
                out.push(b'\r');
            }
            out.push(b);
        }
        out
    } else {
        contents.repeat(repeat)
    }
}

/// Runs `exe ARGS` with `stdin` piped in, an empty environment and `cwd` as
/// the working directory. Err when it could not start, was killed by a
/// signal, or ran past the timeout.
fn run_clean(exe: &Path, args: &[&str], stdin: &[u8], cwd: &Path) -> Result<Output, String> {
    Cmd::new(exe)
        .args(args)
        .env_clear()
        .current_dir(cwd)
        .stdin(stdin)
        .timeout(RUN_TIMEOUT)
        .try_output()
}

fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 3000;
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= MAX {
        return text.into_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[... {} more bytes]", &text[..end], text.len() - end)
}

/// `haystack` with every occurrence of `needle` replaced by `with`.
fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if !needle.is_empty() && rest.starts_with(needle) {
            out.extend_from_slice(with);
            rest = &rest[needle.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// Where two outputs first differ, with a little context.
fn first_difference(kiln: &[u8], native: &[u8]) -> String {
    let at = kiln
        .iter()
        .zip(native)
        .position(|(a, b)| a != b)
        .unwrap_or(kiln.len().min(native.len()));
    let line = native[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let from = at.saturating_sub(80);
    let show = |b: &[u8]| {
        String::from_utf8_lossy(&b[from.min(b.len())..(at + 80).min(b.len())]).into_owned()
    };
    format!(
        "lengths kiln {} / native {}; first difference at byte {at} (line {line})\n  kiln:   {:?}\n  native: {:?}",
        kiln.len(),
        native.len(),
        show(kiln),
        show(native)
    )
}

/// Compiles the tool's `.wasm` with kiln, then runs every case under both
/// builds and reports all the cases that differ at once.
fn check_tool(bin: &str, cases: &[Case]) {
    check_build(realworld_binaries(bin), bin, cases);
}

/// Runs every case with the Kiln executable compiled from `wasm` and with `native`.
fn check_build(
    (wasm, native): (std::path::PathBuf, std::path::PathBuf),
    bin: &str,
    cases: &[Case],
) {
    let scratch = Scratch::new(&format!("realworld-{bin}"));
    let exe = compile_ok(&wasm, &scratch, bin, &[]);
    // An empty working directory: nothing there for either build to find.
    let cwd = scratch.join("cwd");
    std::fs::create_dir(&cwd).expect("creating the working directory");

    let mut files = BTreeMap::new();
    let mut failures = Vec::new();
    for (index, &(spec, expected_status, args)) in cases.iter().enumerate() {
        let stdin = input_bytes(spec, &mut files);
        let what = format!(
            "case {index}: {bin} {args:?} < {spec:?} ({} bytes)",
            stdin.len()
        );
        let native_run = match run_clean(&native, args, &stdin, &cwd) {
            Ok(run) => run,
            Err(why) => {
                failures.push(format!("{what}\n  native build: {why}"));
                continue;
            }
        };
        if native_run.status != expected_status {
            failures.push(format!(
                "{what}\n  the native build exited with {} where the test expects {expected_status}: the case is wrong\n--- native stderr ---\n{}",
                native_run.status,
                excerpt(&native_run.stderr)
            ));
            continue;
        }
        if expected_status == 0 && native_run.stdout.is_empty() && !stdin.is_empty() {
            failures.push(format!(
                "{what}\n  the native build printed nothing: the case tests nothing"
            ));
            continue;
        }
        let kiln_run = match run_clean(&exe, args, &stdin, &cwd) {
            Ok(run) => run,
            Err(why) => {
                failures.push(format!("{what}\n  kiln build: {why}"));
                continue;
            }
        };
        let mut problems = Vec::new();
        if kiln_run.status != native_run.status {
            problems.push(format!(
                "exit status: kiln {} / native {}",
                kiln_run.status, native_run.status
            ));
        }
        if kiln_run.stdout != native_run.stdout {
            problems.push(format!(
                "stdout differs: {}",
                first_difference(&kiln_run.stdout, &native_run.stdout)
            ));
        }
        // Error messages and warnings too, once each build's own path (which a
        // usage message may quote as argv[0]) is taken out.
        let kiln_stderr =
            replace_bytes(&kiln_run.stderr, exe.to_string_lossy().as_bytes(), b"<exe>");
        let native_stderr = replace_bytes(
            &native_run.stderr,
            native.to_string_lossy().as_bytes(),
            b"<exe>",
        );
        if kiln_stderr != native_stderr {
            problems.push(format!(
                "stderr differs: {}",
                first_difference(&kiln_stderr, &native_stderr)
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{what}\n  {}\n--- kiln stderr ---\n{}\n--- native stderr ---\n{}",
                problems.join("\n  "),
                excerpt(&kiln_run.stderr),
                excerpt(&native_run.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {bin} cases differ between the kiln build ({}) and the native build ({}):\n\n{}",
        failures.len(),
        cases.len(),
        exe.display(),
        native.display(),
        failures.join("\n\n")
    );
}
