//! Emits the module descriptor (`abi::ModuleDescriptor`) as static data with
//! relocations: the runtime instantiates the module from it alone.

use crate::environ::{ConstExpr, ImportKind, ModuleEnv, SegmentMode};
use crate::error::Error;
use crate::Options;
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use cranelift_object::ObjectModule;
use kiln_abi::{self as abi, const_kind, extern_kind, segment_mode, valtype, TrapSite};
use std::mem::size_of;
use wasmparser::{RefType, ValType};

/// A defined function's code as the descriptor needs it.
pub struct CompiledFunction {
    pub id: FuncId,
    pub len: u32,
    pub traps: Vec<TrapSite>,
}

/// Defines the descriptor symbol and everything it points to; returns its id.
pub fn define(
    module: &mut ObjectModule,
    env: &ModuleEnv<'_>,
    options: &Options,
    functions: &[CompiledFunction],
    trampolines: &[FuncId],
) -> Result<DataId, Error> {
    let desc_id = module
        .declare_data(&options.descriptor_symbol, Linkage::Export, false, false)
        .map_err(internal)?;
    let strings_id = module
        .declare_anonymous_data(false, false)
        .map_err(internal)?;
    let mut d = Emitter {
        module,
        strings: Vec::new(),
        strings_id,
    };

    let mut w = Writer::default();
    w.u32(abi::ABI_VERSION);
    w.u32(options.bounds_checks as u32);
    let name = options.module_name.clone().or_else(|| env.name.clone());
    d.str(&mut w, name.as_deref().unwrap_or(""));
    d.types(&mut w, env, trampolines)?;
    d.imports(&mut w, env)?;
    d.functions(&mut w, env, functions)?;
    d.tables(&mut w, env)?;
    d.memories(&mut w, env)?;
    d.globals(&mut w, env)?;
    d.exports(&mut w, env)?;
    d.data(&mut w, env)?;
    d.elements(&mut w, env)?;
    w.u32(env.start.unwrap_or(abi::NO_INDEX));
    w.u32(0);
    w.u64(options.memory_reservation.unwrap_or(0));
    debug_assert_eq!(w.bytes.len(), size_of::<abi::ModuleDescriptor>());
    d.define(desc_id, w)?;

    if d.strings.is_empty() {
        d.strings.push(0); // keep the (unreferenced) object non-empty
    }
    let strings = Writer {
        bytes: std::mem::take(&mut d.strings),
        ..Writer::default()
    };
    d.define(strings_id, strings)?;
    Ok(desc_id)
}

fn internal(e: cranelift_module::ModuleError) -> Error {
    Error::new(format!("internal error while writing the descriptor: {e}"))
}

/// Bytes of one data object plus the pointers in it to patch at link time.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    func_ptrs: Vec<(u32, FuncId)>,
    data_ptrs: Vec<(u32, DataId, i64)>,
}

impl Writer {
    fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    fn func_ptr(&mut self, id: FuncId) {
        self.func_ptrs.push((self.bytes.len() as u32, id));
        self.u64(0);
    }

    fn data_ptr(&mut self, id: DataId, addend: i64) {
        self.data_ptrs.push((self.bytes.len() as u32, id, addend));
        self.u64(0);
    }

    fn const_expr(&mut self, expr: ConstExpr) {
        let (kind, index, bits) = match expr {
            ConstExpr::Value(bits) => (const_kind::VALUE, 0, bits),
            ConstExpr::GlobalGet(index) => (const_kind::GLOBAL_GET, index, 0),
            ConstExpr::RefNull => (const_kind::REF_NULL, 0, 0),
            ConstExpr::RefFunc(index) => (const_kind::REF_FUNC, index, 0),
        };
        self.u32(kind);
        self.u32(index);
        self.bytes.extend_from_slice(&bits.to_le_bytes());
    }
}

struct Emitter<'m> {
    module: &'m mut ObjectModule,
    /// All strings of the descriptor, in one data object.
    strings: Vec<u8>,
    strings_id: DataId,
}

impl Emitter<'_> {
    fn define(&mut self, id: DataId, w: Writer) -> Result<(), Error> {
        let mut data = DataDescription::new();
        data.define(w.bytes.into_boxed_slice());
        data.set_align(8);
        for (offset, func) in w.func_ptrs {
            let func = self.module.declare_func_in_data(func, &mut data);
            data.write_function_addr(offset, func);
        }
        for (offset, target, addend) in w.data_ptrs {
            let target = self.module.declare_data_in_data(target, &mut data);
            data.write_data_addr(offset, target, addend);
        }
        self.module.define_data(id, &data).map_err(internal)
    }

    /// Writes an `abi::Str`.
    fn str(&mut self, w: &mut Writer, s: &str) {
        if s.is_empty() {
            w.u64(0);
        } else {
            w.data_ptr(self.strings_id, self.strings.len() as i64);
            self.strings.extend_from_slice(s.as_bytes());
        }
        w.u64(s.len() as u64);
    }

    /// Writes an `abi::Slice` pointing at a new data object holding `items`.
    fn slice(&mut self, w: &mut Writer, items: Writer, count: usize) -> Result<(), Error> {
        if count == 0 {
            w.u64(0);
        } else {
            let id = self
                .module
                .declare_anonymous_data(false, false)
                .map_err(internal)?;
            self.define(id, items)?;
            w.data_ptr(id, 0);
        }
        w.u64(count as u64);
        Ok(())
    }

    fn bytes(&mut self, w: &mut Writer, bytes: &[u8]) -> Result<(), Error> {
        let items = Writer {
            bytes: bytes.to_vec(),
            ..Writer::default()
        };
        self.slice(w, items, bytes.len())
    }

    fn types(
        &mut self,
        w: &mut Writer,
        env: &ModuleEnv<'_>,
        tramps: &[FuncId],
    ) -> Result<(), Error> {
        let mut items = Writer::default();
        for (ty, &trampoline) in env.types.iter().zip(tramps) {
            let params: Vec<u8> = ty.params().iter().map(|t| valtype_code(*t)).collect();
            let results: Vec<u8> = ty.results().iter().map(|t| valtype_code(*t)).collect();
            self.bytes(&mut items, &params)?;
            self.bytes(&mut items, &results)?;
            items.func_ptr(trampoline);
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.types.len() * size_of::<abi::FuncTypeDesc>()
        );
        self.slice(w, items, env.types.len())
    }

    fn imports(&mut self, w: &mut Writer, env: &ModuleEnv<'_>) -> Result<(), Error> {
        let mut items = Writer::default();
        for import in &env.imports {
            self.str(&mut items, import.module);
            self.str(&mut items, import.name);
            items.u32(kind_code(import.kind));
            items.u32(import.index);
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.imports.len() * size_of::<abi::ImportDesc>()
        );
        self.slice(w, items, env.imports.len())
    }

    fn functions(
        &mut self,
        w: &mut Writer,
        env: &ModuleEnv<'_>,
        compiled: &[CompiledFunction],
    ) -> Result<(), Error> {
        // Every function's trap sites live in one array; each function points into it.
        let traps_id = self
            .module
            .declare_anonymous_data(false, false)
            .map_err(internal)?;
        let mut traps = Writer::default();
        let mut items = Writer::default();
        for (index, &type_index) in env.func_types.iter().enumerate() {
            let index = index as u32;
            self.str(&mut items, env.func_name(index).unwrap_or(""));
            let own = index
                .checked_sub(env.num_imported_funcs)
                .map(|def| &compiled[def as usize]);
            match own {
                Some(f) => {
                    items.func_ptr(f.id);
                    items.u32(f.len);
                    items.u32(type_index);
                    if f.traps.is_empty() {
                        items.u64(0);
                    } else {
                        items.data_ptr(traps_id, traps.bytes.len() as i64);
                    }
                    items.u64(f.traps.len() as u64);
                    for site in &f.traps {
                        traps.u32(site.offset);
                        traps.u32(site.kind);
                    }
                }
                None => {
                    items.u64(0);
                    items.u32(0);
                    items.u32(type_index);
                    items.u64(0);
                    items.u64(0);
                }
            }
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.func_types.len() * size_of::<abi::FunctionDesc>()
        );
        if traps.bytes.is_empty() {
            traps.u64(0); // keep the (unreferenced) object non-empty
        }
        self.define(traps_id, traps)?;
        self.slice(w, items, env.func_types.len())
    }

    fn tables(&mut self, w: &mut Writer, env: &ModuleEnv<'_>) -> Result<(), Error> {
        let mut items = Writer::default();
        for table in &env.tables {
            items.u32(ref_code(table.elem));
            items.u32(table.min);
            items.u32(table.max.unwrap_or(abi::NO_INDEX));
            items.u32(0);
            items.const_expr(table.init);
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.tables.len() * size_of::<abi::TableDesc>()
        );
        self.slice(w, items, env.tables.len())
    }

    fn memories(&mut self, w: &mut Writer, env: &ModuleEnv<'_>) -> Result<(), Error> {
        let mut items = Writer::default();
        for memory in &env.memories {
            items.u64(memory.min_pages);
            items.u64(memory.max_pages.unwrap_or(u64::MAX));
        }
        self.slice(w, items, env.memories.len())
    }

    fn globals(&mut self, w: &mut Writer, env: &ModuleEnv<'_>) -> Result<(), Error> {
        let mut items = Writer::default();
        for global in &env.globals {
            items.u32(valtype_code(global.ty) as u32);
            items.u32(global.mutable as u32);
            items.const_expr(global.init);
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.globals.len() * size_of::<abi::GlobalDesc>()
        );
        self.slice(w, items, env.globals.len())
    }

    fn exports(&mut self, w: &mut Writer, env: &ModuleEnv<'_>) -> Result<(), Error> {
        let mut items = Writer::default();
        for export in &env.exports {
            self.str(&mut items, export.name);
            items.u32(kind_code(export.kind));
            items.u32(export.index);
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.exports.len() * size_of::<abi::ExportDesc>()
        );
        self.slice(w, items, env.exports.len())
    }

    fn data(&mut self, w: &mut Writer, env: &ModuleEnv<'_>) -> Result<(), Error> {
        let mut items = Writer::default();
        for segment in &env.data {
            self.bytes(&mut items, segment.bytes)?;
            write_mode(&mut items, &segment.mode);
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.data.len() * size_of::<abi::DataDesc>()
        );
        self.slice(w, items, env.data.len())
    }

    fn elements(&mut self, w: &mut Writer, env: &ModuleEnv<'_>) -> Result<(), Error> {
        let mut items = Writer::default();
        for segment in &env.elements {
            items.u32(ref_code(segment.elem));
            let (mode, table, offset) = match segment.mode {
                SegmentMode::Passive => (segment_mode::PASSIVE, 0, ConstExpr::RefNull),
                SegmentMode::Declared => (segment_mode::DECLARED, 0, ConstExpr::RefNull),
                SegmentMode::Active { index, offset } => (segment_mode::ACTIVE, index, offset),
            };
            items.u32(mode);
            items.u32(table);
            items.u32(0);
            items.const_expr(offset);
            let mut exprs = Writer::default();
            for &item in &segment.items {
                exprs.const_expr(item);
            }
            self.slice(&mut items, exprs, segment.items.len())?;
        }
        debug_assert_eq!(
            items.bytes.len(),
            env.elements.len() * size_of::<abi::ElemDesc>()
        );
        self.slice(w, items, env.elements.len())
    }
}

/// Writes a data segment's `mode`, `memory` and `offset` fields.
fn write_mode(w: &mut Writer, mode: &SegmentMode) {
    let (code, index, offset) = match *mode {
        SegmentMode::Passive | SegmentMode::Declared => {
            (segment_mode::PASSIVE, 0, ConstExpr::RefNull)
        }
        SegmentMode::Active { index, offset } => (segment_mode::ACTIVE, index, offset),
    };
    w.u32(code);
    w.u32(index);
    w.const_expr(offset);
}

fn kind_code(kind: ImportKind) -> u32 {
    match kind {
        ImportKind::Func => extern_kind::FUNC,
        ImportKind::Table => extern_kind::TABLE,
        ImportKind::Memory => extern_kind::MEMORY,
        ImportKind::Global => extern_kind::GLOBAL,
    }
}

fn ref_code(ty: RefType) -> u32 {
    (if ty.is_func_ref() {
        valtype::FUNCREF
    } else {
        valtype::EXTERNREF
    }) as u32
}

pub fn valtype_code(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => valtype::I32,
        ValType::I64 => valtype::I64,
        ValType::F32 => valtype::F32,
        ValType::F64 => valtype::F64,
        ValType::V128 => valtype::V128,
        ValType::Ref(r) => ref_code(r) as u8,
    }
}
