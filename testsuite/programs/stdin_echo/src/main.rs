//! Reads all of stdin, then prints the byte count, the line count and an
//! ASCII-uppercased copy of the input (non-ASCII bytes pass through unchanged).

use std::io::{Read, Write};

fn main() {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .expect("reading stdin");
    let lines = input.iter().filter(|&&b| b == b'\n').count();
    let mut out = std::io::stdout().lock();
    writeln!(out, "bytes: {}", input.len()).unwrap();
    writeln!(out, "lines: {lines}").unwrap();
    out.write_all(&input.to_ascii_uppercase()).unwrap();
    out.flush().unwrap();
}
