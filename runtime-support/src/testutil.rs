//! Hand-built module descriptors for tests. "Compiled functions" are Rust `extern "C"`
//! functions with the compiled-code calling convention, and the trampolines below call
//! them, so instantiation, linking, builtins and entry can be tested without the compiler.

use crate::instance::{value_bits, value_from_bits};
use kiln_abi::{
    const_op, segment_mode, valtype, ConstExpr, ConstOp, DataDesc, ElemDesc, ExportDesc,
    FuncTypeDesc, FunctionDesc, GlobalDesc, ImportDesc, MemoryDesc, ModuleDescriptor, RefTypeDesc,
    Slice, Str, TableDesc, Trampoline, TrapSite, VMContext, VMGlobal, ABI_VERSION, NO_INDEX,
};

pub fn s(text: &'static str) -> Str {
    Str {
        ptr: text.as_ptr(),
        len: text.len(),
    }
}

pub fn leak<T>(items: Vec<T>) -> Slice<T> {
    let items = items.leak();
    Slice {
        ptr: items.as_ptr(),
        len: items.len(),
    }
}

/// `funcref` or `externref` as an exact reference type (unused for other codes).
pub fn family_ref_type(code: u8) -> RefTypeDesc {
    RefTypeDesc {
        heap: if code == valtype::EXTERNREF {
            kiln_abi::heap_type::EXTERN
        } else {
            kiln_abi::heap_type::FUNC
        },
        nullable: 1,
        key: s(""),
    }
}

/// A constant expression of the given operations.
pub fn expr(ops: &[(u32, u32, u64)]) -> ConstExpr {
    let ops = ops
        .iter()
        .map(|&(op, index, bits)| ConstOp {
            op,
            index,
            bits: (bits as u128).to_le_bytes(),
        })
        .collect();
    ConstExpr { ops: leak(ops) }
}

pub fn value(bits: u64) -> ConstExpr {
    expr(&[(const_op::VALUE, 0, bits)])
}

pub fn global_get(index: u32) -> ConstExpr {
    expr(&[(const_op::GLOBAL_GET, index, 0)])
}

pub fn ref_null() -> ConstExpr {
    expr(&[(const_op::REF_NULL, 0, 0)])
}

pub fn ref_func(index: u32) -> ConstExpr {
    expr(&[(const_op::REF_FUNC, index, 0)])
}

// --- trampolines for the few signatures tests use ------------------------------------

pub type FnV = unsafe extern "C" fn(*mut VMContext);
pub type FnI = unsafe extern "C" fn(*mut VMContext) -> i32;
pub type FnII = unsafe extern "C" fn(*mut VMContext, i32) -> i32;

/// `[] -> []`
pub unsafe extern "C" fn tramp_v_v(f: *const u8, vmctx: *mut VMContext, _: *mut VMGlobal) {
    // SAFETY: the descriptor pairs this trampoline with functions of this signature.
    unsafe { core::mem::transmute::<*const u8, FnV>(f)(vmctx) }
}

/// `[] -> [i32]`
pub unsafe extern "C" fn tramp_v_i(f: *const u8, vmctx: *mut VMContext, values: *mut VMGlobal) {
    // SAFETY: as above; `values` has room for one result.
    unsafe {
        let r = core::mem::transmute::<*const u8, FnI>(f)(vmctx);
        *values = value_from_bits(r as u32 as u64);
    }
}

/// `[i32] -> [i32]`
pub unsafe extern "C" fn tramp_i_i(f: *const u8, vmctx: *mut VMContext, values: *mut VMGlobal) {
    // SAFETY: as above; `values` holds one argument and has room for one result.
    unsafe {
        let arg = value_bits(&*values) as u32 as i32;
        let r = core::mem::transmute::<*const u8, FnII>(f)(vmctx, arg);
        *values = value_from_bits(r as u32 as u64);
    }
}

/// For signatures only called directly by test code, never through a trampoline.
pub unsafe extern "C" fn tramp_unused(_: *const u8, _: *mut VMContext, _: *mut VMGlobal) {
    std::process::abort()
}

/// The host adapter of every hand-built type: tests check funcrefs to host functions,
/// they never call through them.
pub unsafe extern "C" fn host_adapter_unused() {
    std::process::abort()
}

pub const V_V: (&[u8], &[u8], Trampoline) = (&[], &[], tramp_v_v);
pub const V_I: (&[u8], &[u8], Trampoline) = (&[], &[valtype::I32], tramp_v_i);
pub const I_I: (&[u8], &[u8], Trampoline) = (&[valtype::I32], &[valtype::I32], tramp_i_i);

/// Builds a descriptor; indices returned by each `add` follow the wasm index spaces
/// (add imports of a kind before definitions of that kind).
#[derive(Default)]
pub struct ModuleBuilder {
    pub types: Vec<FuncTypeDesc>,
    pub imports: Vec<ImportDesc>,
    pub functions: Vec<FunctionDesc>,
    pub tables: Vec<TableDesc>,
    pub memories: Vec<MemoryDesc>,
    pub globals: Vec<GlobalDesc>,
    pub exports: Vec<ExportDesc>,
    pub data: Vec<DataDesc>,
    pub elements: Vec<ElemDesc>,
    pub start: Option<u32>,
}

impl ModuleBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn ty(
        &mut self,
        (params, results, trampoline): (&'static [u8], &'static [u8], Trampoline),
    ) -> u32 {
        self.types.push(FuncTypeDesc {
            params: leak(params.to_vec()),
            results: leak(results.to_vec()),
            trampoline,
            host_adapter: host_adapter_unused as *const u8,
            key: s(""),
        });
        self.types.len() as u32 - 1
    }

    fn import(&mut self, module: &'static str, name: &'static str, kind: u32, index: u32) {
        self.imports.push(ImportDesc {
            module: s(module),
            name: s(name),
            kind,
            index,
        });
    }

    pub fn import_func(
        &mut self,
        module: &'static str,
        name: &'static str,
        type_index: u32,
    ) -> u32 {
        let index = self.functions.len() as u32;
        self.import(module, name, kiln_abi::extern_kind::FUNC, index);
        self.functions.push(FunctionDesc {
            name: s(""),
            body: core::ptr::null(),
            body_len: 0,
            type_index,
            traps: leak(vec![]),
            handlers: leak(vec![]),
        });
        index
    }

    pub fn func(&mut self, name: &'static str, body: *const u8, type_index: u32) -> u32 {
        self.func_with_traps(name, body, 0, type_index, vec![])
    }

    pub fn func_with_traps(
        &mut self,
        name: &'static str,
        body: *const u8,
        body_len: u32,
        type_index: u32,
        traps: Vec<TrapSite>,
    ) -> u32 {
        self.functions.push(FunctionDesc {
            name: s(name),
            body,
            body_len,
            type_index,
            traps: leak(traps),
            handlers: leak(vec![]),
        });
        self.functions.len() as u32 - 1
    }

    pub fn import_table(
        &mut self,
        module: &'static str,
        name: &'static str,
        elem_type: u8,
        min: u32,
        max: u32,
    ) -> u32 {
        let index = self.tables.len() as u32;
        self.import(module, name, kiln_abi::extern_kind::TABLE, index);
        self.table_with_init(elem_type, min, max, ref_null())
    }

    pub fn table(&mut self, elem_type: u8, min: u32, max: u32) -> u32 {
        self.table_with_init(elem_type, min, max, ref_null())
    }

    pub fn table_with_init(&mut self, elem_type: u8, min: u32, max: u32, init: ConstExpr) -> u32 {
        self.tables.push(TableDesc {
            elem_type: elem_type.into(),
            min,
            max,
            index_type: kiln_abi::index_type::I32,
            init,
            elem: family_ref_type(elem_type),
        });
        self.tables.len() as u32 - 1
    }

    pub fn import_memory(
        &mut self,
        module: &'static str,
        name: &'static str,
        min_pages: u64,
        max_pages: u64,
    ) {
        let index = self.memories.len() as u32;
        self.import(module, name, kiln_abi::extern_kind::MEMORY, index);
        self.memory(min_pages, max_pages);
    }

    pub fn memory(&mut self, min_pages: u64, max_pages: u64) {
        self.memories.push(MemoryDesc {
            min_pages,
            max_pages,
            index_type: kiln_abi::index_type::I32,
            shared: 0,
        });
    }

    pub fn import_global(
        &mut self,
        module: &'static str,
        name: &'static str,
        val_type: u8,
        mutable: bool,
    ) -> u32 {
        let index = self.globals.len() as u32;
        self.import(module, name, kiln_abi::extern_kind::GLOBAL, index);
        self.global(val_type, mutable, ref_null())
    }

    pub fn global(&mut self, val_type: u8, mutable: bool, init: ConstExpr) -> u32 {
        self.globals.push(GlobalDesc {
            val_type: val_type.into(),
            mutable: mutable.into(),
            init,
            ref_type: family_ref_type(val_type),
        });
        self.globals.len() as u32 - 1
    }

    pub fn export(&mut self, name: &'static str, kind: u32, index: u32) {
        self.exports.push(ExportDesc {
            name: s(name),
            kind,
            index,
        });
    }

    pub fn active_data(&mut self, offset: u32, bytes: &'static [u8]) -> u32 {
        self.data.push(DataDesc {
            bytes: leak(bytes.to_vec()),
            mode: segment_mode::ACTIVE,
            memory: 0,
            offset: value(offset.into()),
        });
        self.data.len() as u32 - 1
    }

    pub fn passive_data(&mut self, bytes: &'static [u8]) -> u32 {
        self.data.push(DataDesc {
            bytes: leak(bytes.to_vec()),
            mode: segment_mode::PASSIVE,
            memory: 0,
            offset: value(0),
        });
        self.data.len() as u32 - 1
    }

    pub fn elem(&mut self, mode: u32, table: u32, offset: u32, items: Vec<ConstExpr>) -> u32 {
        self.elements.push(ElemDesc {
            elem_type: valtype::FUNCREF.into(),
            mode,
            table,
            _pad: 0,
            offset: value(offset.into()),
            items: leak(items),
        });
        self.elements.len() as u32 - 1
    }

    pub fn build(self) -> &'static ModuleDescriptor {
        Box::leak(Box::new(ModuleDescriptor {
            abi_version: ABI_VERSION,
            bounds_checks: 0,
            name: s("test"),
            types: leak(self.types),
            imports: leak(self.imports),
            functions: leak(self.functions),
            tables: leak(self.tables),
            memories: leak(self.memories),
            globals: leak(self.globals),
            tags: leak(vec![]),
            exports: leak(self.exports),
            data: leak(self.data),
            elements: leak(self.elements),
            start: self.start.unwrap_or(NO_INDEX),
            _pad: 0,
            memory_reservation: 0,
        }))
    }
}

/// Runs this test binary again, executing only `test` with `KILN_CHILD=scenario`, and
/// returns its output (for behaviour that ends the process: traps, exits).
pub fn run_child(test: &str, scenario: &str) -> std::process::Output {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            test,
            "--exact",
            "--nocapture",
            "--quiet",
            "--test-threads=1",
        ])
        .env("KILN_CHILD", scenario)
        .output()
        .unwrap()
}

/// Whether this process is the child running `scenario`.
pub fn is_child(scenario: &str) -> bool {
    std::env::var("KILN_CHILD").is_ok_and(|s| s == scenario)
}

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("kiln-rt-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// [`crate::wasi::sandbox::open_granted_dir`] for a test's path.
pub fn granted_dir(path: &std::path::Path) -> Result<crate::sys::Fd, crate::sys::OsError> {
    crate::wasi::sandbox::open_granted_dir(path.to_str().expect("UTF-8 test path"))
}
