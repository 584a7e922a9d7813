//! A second opinion for disagreements: when wasmi and Kiln disagree only on call results
//! and exported globals, the same calls are replayed in wasmtime (`wasmtime wast`, the
//! release binary `cargo xtask bench` installs) with Kiln's values as the expected ones.
//! If wasmtime computes exactly what Kiln did, the reference is the one that is wrong:
//! the module is kept as a reference bug, not counted as a Kiln divergence. Memory and
//! table contents are compared by digest only, which a `.wast` script cannot express, so
//! a disagreement there always stays a divergence.

use crate::native::{Case, Native};
use crate::trace::{Call, Outcome, Trace};
use kiln_abi::{hex, TrapKind};
use std::path::Path;
use std::process::Command;

/// Whether wasmtime agrees with Kiln on every call of `calls` (results and traps) and on
/// every exported global after each call. `Ok(false)` when it does not, or when the
/// disagreement with the reference involves a memory or table.
pub fn wasmtime_agrees_with_kiln(
    wasmtime: &Path,
    native: &Native,
    wasm: &[u8],
    calls: &[Call],
    globals: &[String],
    reference: &Trace,
) -> Result<bool, String> {
    let case = Case {
        wasm,
        calls,
        globals,
    };
    let Some(Ok(kiln)) = native.run_batch(&[case])?.pop() else {
        return Ok(false);
    };
    if !only_globals_differ(reference, &kiln, globals) {
        return Ok(false);
    }
    let Some(Ok(_)) = kiln.instantiation else {
        return Ok(false);
    };
    let script = script(wasm, calls, &kiln, globals);
    let path = native.work_dir.join("triage.wast");
    std::fs::write(&path, script).map_err(|e| format!("{}: {e}", path.display()))?;
    let status = Command::new(wasmtime)
        .arg("wast")
        .arg(&path)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", wasmtime.display()))?
        .status;
    Ok(status.success())
}

/// A `.wast` script that instantiates `wasm` and expects every call of `calls` to end
/// as it did in Kiln's trace `kiln` (values, traps, uncaught exceptions) and the
/// exported `globals` to hold Kiln's values after each call. It stops before a call
/// that exhausted the stack (depth is not specified).
pub fn script(wasm: &[u8], calls: &[Call], kiln: &Trace, globals: &[String]) -> String {
    let mut script = format!("(module binary \"{}\")\n", escape(wasm));
    for (i, call) in calls.iter().enumerate() {
        let Some((outcome, _)) = kiln.calls.get(i) else {
            break;
        };
        let args: Vec<String> = call.args.iter().map(|a| wast_value(a, false)).collect();
        let invoke = format!(
            "(invoke \"{}\" {})",
            escape(call.export.as_bytes()),
            args.join(" ")
        );
        match outcome {
            Outcome::Returned(values) => {
                let values: Vec<String> = values.iter().map(|v| wast_value(v, true)).collect();
                script.push_str(&format!("(assert_return {invoke} {})\n", values.join(" ")));
            }
            Outcome::Trapped(TrapKind::StackOverflow) => break,
            Outcome::Trapped(TrapKind::UncaughtException) => {
                script.push_str(&format!("(assert_exception {invoke})\n"))
            }
            // wasmtime's trap errors say "wasm trap"; an uncaught exception's does not
            // (an empty message would match both).
            Outcome::Trapped(_) => {
                script.push_str(&format!("(assert_trap {invoke} \"wasm trap\")\n"))
            }
        }
        for (name, value) in globals
            .iter()
            .zip(kiln.global_values.get(i).into_iter().flatten())
        {
            script.push_str(&format!(
                "(assert_return (get \"{}\") {})\n",
                escape(name.as_bytes()),
                wast_value(value, true)
            ));
        }
    }
    script
}

/// Every export whose digest differs between the traces is one of `globals`.
fn only_globals_differ(reference: &Trace, kiln: &Trace, globals: &[String]) -> bool {
    let global_names: Vec<String> = globals.iter().map(|g| hex(g)).collect();
    let states = reference
        .calls
        .iter()
        .zip(&kiln.calls)
        .map(|(a, b)| (&a.1, &b.1));
    states.into_iter().all(|(a, b)| {
        a.iter().zip(b).all(|(x, y)| {
            x == y
                || x.split(':')
                    .next()
                    .is_some_and(|n| global_names.iter().any(|g| g == n))
        })
    })
}

/// A byte string for a `.wast` string literal: every byte escaped.
fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A protocol value (`i32:HEX`, ...) as a `.wast` constant. An expected arithmetic NaN
/// (quiet bit set) is any arithmetic NaN, since the spec lets computed payloads vary; a
/// signalling NaN can only have been stored (a constant, a global), so it is exact.
fn wast_value(value: &str, expected: bool) -> String {
    let (kind, bits) = value.split_once(':').unwrap_or((value, ""));
    match kind {
        "i32" | "i64" => format!("({kind}.const 0x{bits})"),
        "f32" => {
            let b = u32::from_str_radix(bits, 16).unwrap_or(0);
            float(
                kind,
                f64::from(f32::from_bits(b)),
                b >> 31 == 1,
                u64::from(b & 0x7f_ffff),
                expected,
                format!("{}", f32::from_bits(b)),
            )
        }
        "f64" => {
            let b = u64::from_str_radix(bits, 16).unwrap_or(0);
            float(
                kind,
                f64::from_bits(b),
                b >> 63 == 1,
                b & 0xf_ffff_ffff_ffff,
                expected,
                format!("{}", f64::from_bits(b)),
            )
        }
        "v128" => {
            let v = u128::from_str_radix(bits, 16).unwrap_or(0);
            let lanes: Vec<String> = (0..4)
                .map(|i| format!("0x{:08x}", (v >> (32 * i)) as u32))
                .collect();
            format!("(v128.const i32x4 {})", lanes.join(" "))
        }
        "funcref" if bits == "null" => "(ref.null func)".into(),
        "funcref" => "(ref.func)".into(),
        _ => "(ref.null extern)".into(),
    }
}

fn float(
    kind: &str,
    value: f64,
    negative: bool,
    payload: u64,
    expected: bool,
    text: String,
) -> String {
    let sign = if negative { "-" } else { "" };
    let quiet_bit = if kind == "f32" { 22 } else { 51 };
    let quiet = (payload >> quiet_bit) & 1 == 1;
    if value.is_nan() {
        if expected && quiet {
            format!("({kind}.const nan:arithmetic)")
        } else {
            format!("({kind}.const {sign}nan:0x{payload:x})")
        }
    } else if value.is_infinite() {
        format!("({kind}.const {sign}inf)")
    } else {
        // Rust prints the shortest decimal that reads back to the same bits.
        format!("({kind}.const {text})")
    }
}
