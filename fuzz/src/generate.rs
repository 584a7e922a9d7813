//! Test cases: modules from wasm-smith, limited to what Kiln compiles and the reference runs
//! the same way, and the calls made on them.

use crate::rng::{seed_of, Rng};
use crate::trace::Call;
use arbitrary::Unstructured;

/// Fuel for `ensure_termination`: every loop iteration and function entry costs one, and the
/// module traps (`unreachable`) once it is spent, so every generated call ends, in both
/// engines at the same point. Small enough that recursion cannot exhaust either stack.
pub const FUEL: u32 = 2_000;

/// The wasm-smith configuration for differential runs: the WebAssembly 2.0 features plus
/// SIMD, tail calls, extended constant expressions, multiple memories and memory64, i.e.
/// everything Kiln compiles with one deterministic meaning that the reference runs too.
/// Left out: relaxed SIMD (Kiln's implementation-defined choices need not be wasmi's),
/// typed function references (wasmi has none), and every proposal Kiln rejects (threads,
/// exceptions, GC, custom page sizes, wide arithmetic). No imports: the harness provides
/// none a generated module could ask for. Everything is exported so its state can be
/// compared.
pub fn differential_config() -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: true,
        relaxed_simd_enabled: false,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        exceptions_enabled: false,
        threads_enabled: false,
        tail_call_enabled: true,
        gc_enabled: false,
        memory64_enabled: true,
        extended_const_enabled: true,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        max_memories: 2,
        max_tables: 3,
        max_imports: 0,
        min_types: 1,
        min_funcs: 2,
        max_funcs: 30,
        max_instructions: 400,
        export_everything: true,
        canonicalize_nans: true,
        // Bounded memories and tables: `memory.grow` by any operand stays cheap in both
        // engines, and each process can hold a batch of instances.
        memory_max_size_required: true,
        max_memory32_bytes: 16 * 65536,
        max_memory64_bytes: 16 * 65536,
        table_max_size_required: true,
        max_table_elements: 1_000,
        ..wasm_smith::Config::default()
    }
}

/// The module for `seed`, with the termination fuel added. `Err` when wasm-smith could not
/// build one from the bytes (rare; the caller moves on).
pub fn module(config: &wasm_smith::Config, seed: u64) -> Result<Vec<u8>, String> {
    let mut rng = Rng::new(seed);
    let len = 256 + rng.below(16 * 1024) as usize;
    let data = rng.bytes(len);
    let mut u = Unstructured::new(&data);
    let mut module = wasm_smith::Module::new(config.clone(), &mut u).map_err(|e| e.to_string())?;
    module.ensure_termination(FUEL).map_err(|e| e.to_string())?;
    Ok(module.to_bytes())
}

/// A parameter or result type, as the call plan needs it.
#[derive(Clone, Copy, Debug)]
pub enum ParamType {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

/// The calls made on a module: each exported function once or twice, in export order, with
/// arguments from `seed` and the export's name, so a call keeps its arguments while a
/// shrinker removes other exports.
pub fn plan(seed: u64, exports: &[(String, Vec<ParamType>)]) -> Vec<Call> {
    let mut calls = Vec::new();
    for (name, params) in exports {
        let mut rng = Rng::new(seed ^ seed_of(name));
        for _ in 0..1 + rng.below(2) {
            let args = params.iter().map(|&t| argument(&mut rng, t)).collect();
            calls.push(Call {
                export: name.clone(),
                args,
            });
        }
    }
    calls
}

/// An argument in protocol form: edge values often, random bits otherwise.
fn argument(rng: &mut Rng, ty: ParamType) -> String {
    let small = rng.below(100);
    let random = rng.next_u64();
    match ty {
        ParamType::I32 => {
            let v = *rng.pick(&[
                0,
                1,
                u32::MAX,
                0x8000_0000,
                0x7fff_ffff,
                small as u32,
                random as u32,
            ]);
            format!("i32:{v:x}")
        }
        ParamType::I64 => {
            let v = *rng.pick(&[0, 1, u64::MAX, 1 << 63, u64::MAX >> 1, small, random]);
            format!("i64:{v:x}")
        }
        ParamType::F32 => {
            let v = *rng.pick(&[
                0f32.to_bits(),
                (-0f32).to_bits(),
                1f32.to_bits(),
                f32::NAN.to_bits(),
                f32::INFINITY.to_bits(),
                f32::NEG_INFINITY.to_bits(),
                (small as f32).to_bits(),
                2147483648f32.to_bits(),
                random as u32,
            ]);
            format!("f32:{v:x}")
        }
        ParamType::F64 => {
            let v = *rng.pick(&[
                0f64.to_bits(),
                (-0f64).to_bits(),
                1f64.to_bits(),
                f64::NAN.to_bits(),
                f64::INFINITY.to_bits(),
                f64::NEG_INFINITY.to_bits(),
                (small as f64).to_bits(),
                9223372036854775808f64.to_bits(),
                random,
            ]);
            format!("f64:{v:x}")
        }
        ParamType::V128 => {
            let v = match rng.below(3) {
                0 => 0,
                1 => u128::MAX,
                _ => u128::from(random) << 64 | u128::from(rng.next_u64()),
            };
            format!("v128:{v:032x}")
        }
        ParamType::FuncRef => "funcref:null".into(),
        ParamType::ExternRef => "externref:null".into(),
    }
}

#[cfg(test)]
mod tests {
    /// The configuration yields modules worth running: valid under Kiln's features, with
    /// at least two functions, all exported.
    #[test]
    fn generated_modules_are_valid_and_have_functions() {
        let config = super::differential_config();
        use wasmparser::WasmFeatures as F;
        let features = F::WASM2 | F::TAIL_CALL | F::EXTENDED_CONST | F::MULTI_MEMORY | F::MEMORY64;
        for seed in 0..20u64 {
            let wasm = super::module(&config, seed).unwrap();
            wasmparser::Validator::new_with_features(features)
                .validate_all(&wasm)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let mut funcs = 0;
            let mut exported_funcs = 0;
            for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
                match payload.unwrap() {
                    wasmparser::Payload::FunctionSection(r) => funcs = r.count(),
                    wasmparser::Payload::ExportSection(r) => {
                        exported_funcs = r
                            .into_iter()
                            .filter(|e| e.as_ref().unwrap().kind == wasmparser::ExternalKind::Func)
                            .count()
                    }
                    _ => {}
                }
            }
            assert!(funcs >= 2, "seed {seed}: {funcs} functions");
            assert_eq!(exported_funcs, funcs as usize, "seed {seed}");
        }
    }

    /// The Wasm 3.0 features the configuration enables do show up: some modules make
    /// tail calls, have two memories, or a 64-bit one.
    #[test]
    fn generated_modules_use_the_wasm_3_features() {
        let config = super::differential_config();
        let (mut tail_calls, mut two_memories, mut memory64) = (0, 0, 0);
        for seed in 0..100u64 {
            let wasm = super::module(&config, seed).unwrap();
            for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
                match payload.unwrap() {
                    wasmparser::Payload::MemorySection(r) => {
                        let memories: Vec<_> = r.into_iter().map(|m| m.unwrap()).collect();
                        two_memories += usize::from(memories.len() == 2);
                        memory64 += usize::from(memories.iter().any(|m| m.memory64));
                    }
                    wasmparser::Payload::CodeSectionEntry(body) => {
                        let mut ops = body.get_operators_reader().unwrap();
                        while !ops.eof() {
                            if matches!(
                                ops.read().unwrap(),
                                wasmparser::Operator::ReturnCall { .. }
                                    | wasmparser::Operator::ReturnCallIndirect { .. }
                            ) {
                                tail_calls += 1;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        assert!(
            tail_calls > 0 && two_memories > 0 && memory64 > 0,
            "tail calls {tail_calls}, two memories {two_memories}, memory64 {memory64}"
        );
    }
}
