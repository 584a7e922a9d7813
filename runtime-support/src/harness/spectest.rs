//! The `spectest` host module of the WebAssembly spec tests: `print*` functions (writing
//! to stderr), four immutable globals, a funcref table and a memory. Created once per
//! harness process; every instance importing from it shares the same objects.

use crate::instance::{signature_name, value_from_bits, Extern, GlobalType};
use crate::memory::Memory;
use crate::prelude::*;
use crate::sys;
use crate::table::Table;
use kiln_abi::valtype::{F32, F64, FUNCREF, I32, I64};
use kiln_abi::{extern_kind, ImportDesc, ModuleDescriptor, VMContext, VMGlobal};

unsafe extern "C" fn print(_: *mut VMContext) {
    sys::write_stderr(b"\n");
}

unsafe extern "C" fn print_i32(_: *mut VMContext, v: i32) {
    sys::write_stderr(format!("{v} : i32\n").as_bytes());
}

unsafe extern "C" fn print_i64(_: *mut VMContext, v: i64) {
    sys::write_stderr(format!("{v} : i64\n").as_bytes());
}

unsafe extern "C" fn print_f32(_: *mut VMContext, v: f32) {
    sys::write_stderr(format!("{v} : f32\n").as_bytes());
}

unsafe extern "C" fn print_f64(_: *mut VMContext, v: f64) {
    sys::write_stderr(format!("{v} : f64\n").as_bytes());
}

unsafe extern "C" fn print_i32_f32(_: *mut VMContext, a: i32, b: f32) {
    sys::write_stderr(format!("{a} : i32\n{b} : f32\n").as_bytes());
}

unsafe extern "C" fn print_f64_f64(_: *mut VMContext, a: f64, b: f64) {
    sys::write_stderr(format!("{a} : f64\n{b} : f64\n").as_bytes());
}

/// The host functions: name, the function (compiled-code calling convention), and its
/// wasm type, which an import must match exactly.
fn function(name: &str) -> Option<(*const u8, &'static [u8])> {
    type V = unsafe extern "C" fn(*mut VMContext);
    type I = unsafe extern "C" fn(*mut VMContext, i32);
    type J = unsafe extern "C" fn(*mut VMContext, i64);
    type F = unsafe extern "C" fn(*mut VMContext, f32);
    type D = unsafe extern "C" fn(*mut VMContext, f64);
    type IF = unsafe extern "C" fn(*mut VMContext, i32, f32);
    type DD = unsafe extern "C" fn(*mut VMContext, f64, f64);
    Some(match name {
        "print" => (print as V as *const u8, &[]),
        "print_i32" => (print_i32 as I as *const u8, &[I32]),
        "print_i64" => (print_i64 as J as *const u8, &[I64]),
        "print_f32" => (print_f32 as F as *const u8, &[F32]),
        "print_f64" => (print_f64 as D as *const u8, &[F64]),
        "print_i32_f32" => (print_i32_f32 as IF as *const u8, &[I32, F32]),
        "print_f64_f64" => (print_f64_f64 as DD as *const u8, &[F64, F64]),
        _ => return None,
    })
}

/// The module's objects (leaked: they live as long as the process).
pub(crate) struct Spectest {
    table: *mut Table,
    /// `table64`: the same as `table` with i64 indices (Wasm 3.0 scripts).
    table64: *mut Table,
    memory: *mut Memory,
    /// `shared_memory`: one to two pages, shared (threads scripts).
    shared_memory: *mut Memory,
    globals: [(&'static str, *mut VMGlobal, u8); 4],
}

impl Spectest {
    pub fn new() -> Result<Spectest, String> {
        let global = |bits: u64| Box::into_raw(Box::new(value_from_bits(bits)));
        Ok(Spectest {
            table: Box::into_raw(Table::new(FUNCREF, 10, Some(20), 0)?),
            table64: Box::into_raw(Table::new(FUNCREF, 10, Some(20), 0)?.with_index64(true)),
            memory: Box::into_raw(Memory::new(1, Some(2))?),
            shared_memory: Box::into_raw(Memory::new(1, Some(2))?.with_shared(true)),
            globals: [
                ("global_i32", global(666), I32),
                ("global_i64", global(666), I64),
                ("global_f32", global(666.6f32.to_bits().into()), F32),
                ("global_f64", global(666.6f64.to_bits()), F64),
            ],
        })
    }

    #[cfg(test)]
    pub fn memory(&self) -> *mut Memory {
        self.memory
    }

    /// Resolves `spectest::<name>` for an import of `desc`.
    ///
    /// # Safety
    /// `desc` must be a valid compiler-emitted descriptor and `import` one of its imports.
    pub unsafe fn resolve(
        &self,
        desc: &ModuleDescriptor,
        import: &ImportDesc,
    ) -> Result<Extern, String> {
        // SAFETY: descriptor names are UTF-8 (caller's contract).
        let name = unsafe { import.name.as_str() };
        if let Some((f, params)) = function(name) {
            if import.kind == extern_kind::FUNC {
                // A host function's type is the resolver's to check (see Extern::HostFunc).
                // SAFETY: descriptor contents are valid (caller's contract).
                let (p, r) = unsafe { import_type(desc, import) }
                    .ok_or_else(|| format!("malformed descriptor: import `spectest::{name}`"))?;
                if p != params || !r.is_empty() {
                    return Err(format!(
                        "incompatible import type for `spectest::{name}`: expected {}, found {}",
                        signature_name(params, &[]),
                        signature_name(p, r)
                    ));
                }
            }
            // Another kind of import is rejected by the linker's kind check.
            return Ok(Extern::HostFunc(f));
        }
        if let Some(&(_, g, val_type)) = self.globals.iter().find(|g| g.0 == name) {
            let ty = GlobalType {
                val_type,
                mutable: false,
                ref_type: None,
            };
            return Ok(Extern::Global(g, ty));
        }
        match name {
            "table" => Ok(Extern::Table(self.table)),
            "table64" => Ok(Extern::Table(self.table64)),
            "memory" => Ok(Extern::Memory(self.memory)),
            "shared_memory" => Ok(Extern::Memory(self.shared_memory)),
            _ => Err(format!("unknown import `spectest::{name}`")),
        }
    }
}

/// The function type of a function import.
///
/// # Safety
/// As for [`Spectest::resolve`].
unsafe fn import_type(
    desc: &ModuleDescriptor,
    import: &ImportDesc,
) -> Option<(&'static [u8], &'static [u8])> {
    // SAFETY: caller's contract.
    let (functions, types) = unsafe { (desc.functions.as_slice(), desc.types.as_slice()) };
    let ty = types.get(functions.get(import.index as usize)?.type_index as usize)?;
    // SAFETY: as above.
    Some(unsafe { (ty.params.as_slice(), ty.results.as_slice()) })
}
