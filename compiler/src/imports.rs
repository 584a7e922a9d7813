//! What a standalone executable may import: the WASI functions the runtime provides.

use crate::descriptor::valtype_code;
use crate::environ::{ImportKind, ModuleEnv};
use crate::error::Error;
use crate::index::FuncIndex;
use kiln_abi::wasi;

/// Checks that `env` is a WASI command Kiln can run on its own: it exports a `_start`
/// of type `[] -> []` and imports only WASI functions the runtime has, with their
/// exact signatures. Lists every offending import at once.
pub fn check_command(env: &ModuleEnv<'_>) -> Result<(), Error> {
    let mut problems = Vec::new();
    for import in &env.imports {
        let what = format!("`{}::{}`", import.module, import.name);
        if import.kind != ImportKind::Func {
            problems.push(format!(
                "{what}: only functions can be imported (from WASI)"
            ));
            continue;
        }
        let provided = (import.module == wasi::MODULE)
            .then(|| {
                wasi::FUNCTIONS
                    .iter()
                    .find(|(name, ..)| *name == import.name)
            })
            .flatten();
        let Some((_, params, results)) = provided else {
            problems.push(format!("{what}: not provided by the Kiln runtime"));
            continue;
        };
        let ty = env.func_type(FuncIndex::from_u32(import.index));
        let codes = |types: &[wasmparser::ValType]| -> Vec<u8> {
            types.iter().map(|t| valtype_code(*t)).collect()
        };
        if codes(ty.params()) != *params || codes(ty.results()) != *results {
            problems.push(format!(
                "{what}: imported with type {ty}, which is not its WASI type"
            ));
        }
    }
    check_wasi_memory(env)?;
    if !problems.is_empty() {
        return Err(Error::new(format!(
            "the module has {} import(s) the runtime cannot provide:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )));
    }
    let start = env
        .exports
        .iter()
        .find(|e| e.name == "_start" && e.kind == ImportKind::Func);
    match start {
        None => Err(Error::new(
            "the module exports no `_start` function: an executable runs a WASI command's \
             `_start`",
        )),
        Some(start) => {
            let ty = env.func_type(FuncIndex::from_u32(start.index));
            if ty.params().is_empty() && ty.results().is_empty() {
                Ok(())
            } else {
                Err(Error::new(format!(
                    "`_start` has type {ty}; a WASI command's `_start` takes and returns nothing"
                )))
            }
        }
    }
}

/// WASI preview1 is wasm32: its pointers are i32 offsets into memory 0. A module that
/// imports it with a 64-bit memory 0 cannot run (a memory64 build needs a 64-bit WASI,
/// which preview1 is not).
pub fn check_wasi_memory(env: &ModuleEnv<'_>) -> Result<(), Error> {
    let wasi = env.imports.iter().find(|i| i.module == wasi::MODULE);
    match (wasi, env.memories.values().next()) {
        (Some(import), Some(memory)) if memory.memory64 => Err(Error::new(format!(
            "the module imports WASI preview1 (`{}::{}`), whose pointers are 32-bit, but its \
             memory 0 is a 64-bit memory (memory64); build it for wasm32-wasip1",
            import.module, import.name
        ))),
        _ => Ok(()),
    }
}
