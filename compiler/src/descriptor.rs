//! Emits the module descriptor (`abi::ModuleDescriptor`) as static data with
//! relocations: the runtime instantiates the module from it alone.

use crate::environ::{ConstExpr, ConstOp, ImportKind, ModuleEnv, SegmentMode};
use crate::error::Error;
use crate::index::{DefinedFuncIndex, FuncIndex, TypeIndex};
use crate::type_text;
use crate::Options;
use cranelift_codegen::entity::{EntityRef, PrimaryMap};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module};
use cranelift_object::ObjectModule;
use kiln_abi::exception::HandlerSite;
use kiln_abi::{self as abi, const_op, extern_kind, segment_mode, valtype, TrapSite};
use std::marker::PhantomData;
use std::mem::size_of;
use wasmparser::{AbstractHeapType, HeapType, RefType, ValType};

/// A defined function's code as the descriptor needs it.
pub struct CompiledFunction {
    pub id: FuncId,
    pub len: u32,
    pub traps: Vec<TrapSite>,
    pub handlers: Vec<HandlerSite>,
}

/// Defines the descriptor symbol and everything it points to; returns its id.
pub fn define(
    module: &mut ObjectModule,
    env: &ModuleEnv<'_>,
    options: &Options,
    functions: &PrimaryMap<DefinedFuncIndex, CompiledFunction>,
    trampolines: &PrimaryMap<TypeIndex, FuncId>,
    host_adapters: &PrimaryMap<TypeIndex, Option<FuncId>>,
) -> Result<DataId, Error> {
    let desc_id = module
        .declare_data(&options.descriptor_symbol, Linkage::Export, false, false)
        .map_err(internal)?;
    let strings_id = module
        .declare_anonymous_data(false, false)
        .map_err(internal)?;
    let consts_id = module
        .declare_anonymous_data(false, false)
        .map_err(internal)?;
    let mut d = Emitter {
        module,
        strings: Vec::new(),
        strings_id,
        consts: Writer::default(),
        consts_id,
    };

    use abi::ModuleDescriptor as M;
    let mut w = Writer::default();
    let mut r = w.record::<M>();
    r.u32(field!(M, abi_version), abi::ABI_VERSION);
    r.u32(field!(M, bounds_checks), options.bounds_checks as u32);
    let name = options.module_name.clone().or_else(|| env.name.clone());
    d.str(r.nested(field!(M, name)), name.as_deref().unwrap_or(""));
    d.types(r.nested(field!(M, types)), env, trampolines, host_adapters)?;
    d.imports(r.nested(field!(M, imports)), env)?;
    d.functions(r.nested(field!(M, functions)), env, functions)?;
    d.tables(r.nested(field!(M, tables)), env)?;
    d.memories(r.nested(field!(M, memories)), env)?;
    d.globals(r.nested(field!(M, globals)), env)?;
    d.tags(r.nested(field!(M, tags)), env)?;
    d.exports(r.nested(field!(M, exports)), env)?;
    d.data(r.nested(field!(M, data)), env)?;
    d.elements(r.nested(field!(M, elements)), env)?;
    let start = env.start.map_or(abi::NO_INDEX, FuncIndex::as_u32);
    r.u32(field!(M, start), start);
    r.u64(
        field!(M, memory_reservation),
        options.memory_reservation.unwrap_or(0),
    );
    d.define(desc_id, w)?;

    if d.strings.is_empty() {
        d.strings.push(0); // keep the (unreferenced) object non-empty
    }
    let strings = Writer {
        bytes: std::mem::take(&mut d.strings),
        ..Writer::default()
    };
    d.define(strings_id, strings)?;
    let mut consts = std::mem::take(&mut d.consts);
    if consts.bytes.is_empty() {
        consts.bytes.resize(8, 0); // keep the (unreferenced) object non-empty
    }
    d.define(consts_id, consts)?;
    Ok(desc_id)
}

fn internal(e: cranelift_module::ModuleError) -> Error {
    Error::new(format!("internal error while writing the descriptor: {e}"))
}

/// Field `$field` of the `#[repr(C)]` ABI struct `$ty`: its offset and type come from the
/// struct itself, so the writer follows any change to the definition in `kiln-abi`.
macro_rules! field {
    ($ty:ty, $field:ident) => {
        Field::new(std::mem::offset_of!($ty, $field), |s: &$ty| &s.$field)
    };
}
use field;

/// A field of type `F` at `offset` in struct `T` (built by [`field!`]).
struct Field<T, F> {
    offset: usize,
    _types: PhantomData<fn(&T) -> &F>,
}

impl<T, F> Field<T, F> {
    fn new(offset: usize, _project: fn(&T) -> &F) -> Self {
        Field {
            offset,
            _types: PhantomData,
        }
    }
}

/// Bytes of one data object plus the pointers in it to patch at link time.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    func_ptrs: Vec<(u32, FuncId)>,
    data_ptrs: Vec<(u32, DataId, i64)>,
}

impl Writer {
    /// Appends a zeroed `T` (padding stays zero) to be filled in field by field.
    fn record<T>(&mut self) -> Record<'_, T> {
        let base = self.bytes.len();
        self.bytes.resize(base + size_of::<T>(), 0);
        Record {
            w: self,
            base,
            _type: PhantomData,
        }
    }
}

/// One `T` inside a [`Writer`], written through its typed [`Field`]s.
struct Record<'w, T> {
    w: &'w mut Writer,
    base: usize,
    _type: PhantomData<T>,
}

impl<T> Record<'_, T> {
    fn put(&mut self, offset: usize, bytes: &[u8]) {
        let at = self.base + offset;
        self.w.bytes[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn u32(&mut self, f: Field<T, u32>, v: u32) {
        self.put(f.offset, &v.to_le_bytes());
    }

    fn u64(&mut self, f: Field<T, u64>, v: u64) {
        self.put(f.offset, &v.to_le_bytes());
    }

    fn usize(&mut self, f: Field<T, usize>, v: usize) {
        self.put(f.offset, &(v as u64).to_le_bytes());
    }

    fn bits(&mut self, f: Field<T, [u8; 16]>, v: u128) {
        self.put(f.offset, &v.to_le_bytes());
    }

    /// A pointer-sized field holding the address of function `id` (relocated at link time).
    fn func_ptr<F>(&mut self, f: Field<T, F>, id: FuncId) {
        const { assert!(size_of::<F>() == 8) };
        let at = (self.base + f.offset) as u32;
        self.w.func_ptrs.push((at, id));
    }

    /// A pointer-sized field holding the address `addend` bytes into data object `id`.
    fn data_ptr<F>(&mut self, f: Field<T, F>, id: DataId, addend: i64) {
        const { assert!(size_of::<F>() == 8) };
        let at = (self.base + f.offset) as u32;
        self.w.data_ptrs.push((at, id, addend));
    }

    /// The struct-typed field `f`, to be written field by field.
    fn nested<F>(&mut self, f: Field<T, F>) -> Record<'_, F> {
        Record {
            w: self.w,
            base: self.base + f.offset,
            _type: PhantomData,
        }
    }
}

struct Emitter<'m> {
    module: &'m mut ObjectModule,
    /// All strings of the descriptor, in one data object.
    strings: Vec<u8>,
    strings_id: DataId,
    /// The operations of all constant expressions, in one data object.
    consts: Writer,
    consts_id: DataId,
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

    fn str(&mut self, mut r: Record<'_, abi::Str>, s: &str) {
        if !s.is_empty() {
            r.data_ptr(
                field!(abi::Str, ptr),
                self.strings_id,
                self.strings.len() as i64,
            );
            self.strings.extend_from_slice(s.as_bytes());
        }
        r.usize(field!(abi::Str, len), s.len());
    }

    fn ref_type(&mut self, mut r: Record<'_, abi::RefTypeDesc>, env: &ModuleEnv<'_>, ty: RefType) {
        use abi::RefTypeDesc as R;
        let (heap, nullable, key) = type_text::ref_type(env, ty);
        r.u32(field!(R, heap), heap);
        r.u32(field!(R, nullable), nullable.into());
        self.str(r.nested(field!(R, key)), &key);
    }

    fn const_expr(&mut self, r: Record<'_, abi::ConstExpr>, expr: &ConstExpr) {
        use abi::ConstOp as O;
        let start = self.consts.bytes.len() as i64;
        for &op in &expr.0 {
            let (code, index, bits) = match op {
                ConstOp::Value(bits) => (const_op::VALUE, 0, bits),
                ConstOp::GlobalGet(index) => (const_op::GLOBAL_GET, index.as_u32(), 0),
                ConstOp::RefNull => (const_op::REF_NULL, 0, 0),
                ConstOp::RefFunc(index) => (const_op::REF_FUNC, index.as_u32(), 0),
                ConstOp::I32Add => (const_op::I32_ADD, 0, 0),
                ConstOp::I32Sub => (const_op::I32_SUB, 0, 0),
                ConstOp::I32Mul => (const_op::I32_MUL, 0, 0),
                ConstOp::I64Add => (const_op::I64_ADD, 0, 0),
                ConstOp::I64Sub => (const_op::I64_SUB, 0, 0),
                ConstOp::I64Mul => (const_op::I64_MUL, 0, 0),
            };
            let mut o = self.consts.record::<O>();
            o.u32(field!(O, op), code);
            o.u32(field!(O, index), index);
            o.bits(field!(O, bits), bits);
        }
        let mut r = r;
        let mut ops = r.nested(field!(abi::ConstExpr, ops));
        ops.data_ptr(field!(abi::Slice<O>, ptr), self.consts_id, start);
        ops.usize(field!(abi::Slice<O>, len), expr.0.len());
    }

    /// Points a slice at a new data object holding `items`, `count` records written by
    /// [`Writer::record`].
    fn slice<E>(
        &mut self,
        mut r: Record<'_, abi::Slice<E>>,
        items: Writer,
        count: usize,
    ) -> Result<(), Error> {
        debug_assert_eq!(items.bytes.len(), count * size_of::<E>());
        if count > 0 {
            let id = self
                .module
                .declare_anonymous_data(false, false)
                .map_err(internal)?;
            self.define(id, items)?;
            r.data_ptr(field!(abi::Slice<E>, ptr), id, 0);
        }
        r.usize(field!(abi::Slice<E>, len), count);
        Ok(())
    }

    fn bytes(&mut self, r: Record<'_, abi::Slice<u8>>, bytes: &[u8]) -> Result<(), Error> {
        let items = Writer {
            bytes: bytes.to_vec(),
            ..Writer::default()
        };
        self.slice(r, items, bytes.len())
    }

    fn types(
        &mut self,
        r: Record<'_, abi::Slice<abi::FuncTypeDesc>>,
        env: &ModuleEnv<'_>,
        tramps: &PrimaryMap<TypeIndex, FuncId>,
        host_adapters: &PrimaryMap<TypeIndex, Option<FuncId>>,
    ) -> Result<(), Error> {
        use abi::FuncTypeDesc as T;
        let mut items = Writer::default();
        for (index, ty) in &env.types {
            let params: Vec<u8> = ty.params().iter().map(|t| valtype_code(*t)).collect();
            let results: Vec<u8> = ty.results().iter().map(|t| valtype_code(*t)).collect();
            let mut item = items.record::<T>();
            self.bytes(item.nested(field!(T, params)), &params)?;
            self.bytes(item.nested(field!(T, results)), &results)?;
            item.func_ptr(field!(T, trampoline), tramps[index]);
            if let Some(adapter) = host_adapters[index] {
                item.func_ptr(field!(T, host_adapter), adapter);
            }
            let key = type_text::func_type_key(env, index);
            self.str(item.nested(field!(T, key)), &key);
        }
        self.slice(r, items, env.types.len())
    }

    fn imports(
        &mut self,
        r: Record<'_, abi::Slice<abi::ImportDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::ImportDesc as I;
        let mut items = Writer::default();
        for import in &env.imports {
            let mut item = items.record::<I>();
            self.str(item.nested(field!(I, module)), import.module);
            self.str(item.nested(field!(I, name)), import.name);
            item.u32(field!(I, kind), kind_code(import.kind));
            item.u32(field!(I, index), import.index);
        }
        self.slice(r, items, env.imports.len())
    }

    fn functions(
        &mut self,
        r: Record<'_, abi::Slice<abi::FunctionDesc>>,
        env: &ModuleEnv<'_>,
        compiled: &PrimaryMap<DefinedFuncIndex, CompiledFunction>,
    ) -> Result<(), Error> {
        use abi::FunctionDesc as F;
        use abi::TrapSite as S;
        use HandlerSite as H;
        // Every function's trap sites live in one array, and its handler sites in
        // another; each function points into them.
        let traps_id = self
            .module
            .declare_anonymous_data(false, false)
            .map_err(internal)?;
        let handlers_id = self
            .module
            .declare_anonymous_data(false, false)
            .map_err(internal)?;
        let mut traps = Writer::default();
        let mut handlers = Writer::default();
        let mut items = Writer::default();
        for (index, &type_index) in &env.func_types {
            let mut item = items.record::<F>();
            self.str(
                item.nested(field!(F, name)),
                env.func_name(index).unwrap_or(""),
            );
            item.u32(field!(F, type_index), type_index.as_u32());
            let own = env.defined_func(index).map(|def| &compiled[def]);
            // An import has no body and no trap sites (all zero).
            if let Some(f) = own {
                item.func_ptr(field!(F, body), f.id);
                item.u32(field!(F, body_len), f.len);
                let mut sites = item.nested(field!(F, traps));
                if !f.traps.is_empty() {
                    let at = traps.bytes.len() as i64;
                    sites.data_ptr(field!(abi::Slice<S>, ptr), traps_id, at);
                }
                sites.usize(field!(abi::Slice<S>, len), f.traps.len());
                for site in &f.traps {
                    let mut t = traps.record::<S>();
                    t.u32(field!(S, offset), site.offset);
                    t.u32(field!(S, kind), site.kind);
                    t.u32(field!(S, wasm_offset), site.wasm_offset);
                }
                let mut sites = item.nested(field!(F, handlers));
                if !f.handlers.is_empty() {
                    let at = handlers.bytes.len() as i64;
                    sites.data_ptr(field!(abi::Slice<H>, ptr), handlers_id, at);
                }
                sites.usize(field!(abi::Slice<H>, len), f.handlers.len());
                for site in &f.handlers {
                    let mut h = handlers.record::<H>();
                    h.u32(field!(H, return_offset), site.return_offset);
                    h.u32(field!(H, handler_offset), site.handler_offset);
                    h.u32(field!(H, sp_below_fp), site.sp_below_fp);
                }
            }
        }
        for w in [&mut traps, &mut handlers] {
            if w.bytes.is_empty() {
                w.bytes.resize(8, 0); // keep the (unreferenced) object non-empty
            }
        }
        self.define(traps_id, traps)?;
        self.define(handlers_id, handlers)?;
        self.slice(r, items, env.func_types.len())
    }

    fn tables(
        &mut self,
        r: Record<'_, abi::Slice<abi::TableDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::TableDesc as T;
        let mut items = Writer::default();
        for table in env.tables.values() {
            let mut item = items.record::<T>();
            item.u32(field!(T, elem_type), ref_code(table.elem));
            item.u32(field!(T, min), table.min);
            item.u32(field!(T, max), table.max.unwrap_or(abi::NO_INDEX));
            item.u32(field!(T, index_type), index_type(table.table64));
            self.const_expr(item.nested(field!(T, init)), &table.init);
            self.ref_type(item.nested(field!(T, elem)), env, table.elem);
        }
        self.slice(r, items, env.tables.len())
    }

    fn memories(
        &mut self,
        r: Record<'_, abi::Slice<abi::MemoryDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::MemoryDesc as M;
        let mut items = Writer::default();
        for memory in env.memories.values() {
            let mut item = items.record::<M>();
            item.u64(field!(M, min_pages), memory.min_pages);
            item.u64(field!(M, max_pages), memory.max_pages.unwrap_or(u64::MAX));
            item.u32(field!(M, index_type), index_type(memory.memory64));
            item.u32(field!(M, shared), memory.shared.into());
        }
        self.slice(r, items, env.memories.len())
    }

    fn globals(
        &mut self,
        r: Record<'_, abi::Slice<abi::GlobalDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::GlobalDesc as G;
        let mut items = Writer::default();
        for global in env.globals.values() {
            let mut item = items.record::<G>();
            item.u32(field!(G, val_type), valtype_code(global.ty) as u32);
            item.u32(field!(G, mutable), global.mutable as u32);
            self.const_expr(item.nested(field!(G, init)), &global.init);
            if let ValType::Ref(r) = global.ty {
                self.ref_type(item.nested(field!(G, ref_type)), env, r);
            }
        }
        self.slice(r, items, env.globals.len())
    }

    fn tags(
        &mut self,
        r: Record<'_, abi::Slice<abi::TagDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::TagDesc as T;
        let mut items = Writer::default();
        for type_index in env.tags.values() {
            let type_index = type_index.as_u32();
            items.record::<T>().u32(field!(T, type_index), type_index);
        }
        self.slice(r, items, env.tags.len())
    }

    fn exports(
        &mut self,
        r: Record<'_, abi::Slice<abi::ExportDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::ExportDesc as E;
        let mut items = Writer::default();
        for export in &env.exports {
            let mut item = items.record::<E>();
            self.str(item.nested(field!(E, name)), export.name);
            item.u32(field!(E, kind), kind_code(export.kind));
            item.u32(field!(E, index), export.index);
        }
        self.slice(r, items, env.exports.len())
    }

    fn data(
        &mut self,
        r: Record<'_, abi::Slice<abi::DataDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::DataDesc as D;
        let mut items = Writer::default();
        for segment in env.data.values() {
            let mut item = items.record::<D>();
            self.bytes(item.nested(field!(D, bytes)), segment.bytes)?;
            let (mode, memory, offset) = segment_fields(&segment.mode, segment_mode::PASSIVE);
            item.u32(field!(D, mode), mode);
            item.u32(field!(D, memory), memory);
            if let Some(offset) = offset {
                self.const_expr(item.nested(field!(D, offset)), offset);
            }
        }
        self.slice(r, items, env.data.len())
    }

    fn elements(
        &mut self,
        r: Record<'_, abi::Slice<abi::ElemDesc>>,
        env: &ModuleEnv<'_>,
    ) -> Result<(), Error> {
        use abi::ElemDesc as E;
        let mut items = Writer::default();
        for segment in env.elements.values() {
            let mut item = items.record::<E>();
            item.u32(field!(E, elem_type), ref_code(segment.elem));
            let (mode, table, offset) = segment_fields(&segment.mode, segment_mode::DECLARED);
            item.u32(field!(E, mode), mode);
            item.u32(field!(E, table), table);
            if let Some(offset) = offset {
                self.const_expr(item.nested(field!(E, offset)), offset);
            }
            let mut exprs = Writer::default();
            for expr in &segment.items {
                self.const_expr(exprs.record::<abi::ConstExpr>(), expr);
            }
            self.slice(item.nested(field!(E, items)), exprs, segment.items.len())?;
        }
        self.slice(r, items, env.elements.len())
    }
}

/// A segment's `(mode, memory or table index, offset)` fields (only an active segment
/// has an offset); `declared` is the code a declarative segment gets (data segments have
/// none, so they pass `PASSIVE`).
fn segment_fields<I: EntityRef>(
    mode: &SegmentMode<I>,
    declared: u32,
) -> (u32, u32, Option<&ConstExpr>) {
    match mode {
        SegmentMode::Passive => (segment_mode::PASSIVE, 0, None),
        SegmentMode::Declared => (declared, 0, None),
        SegmentMode::Active { index, offset } => {
            (segment_mode::ACTIVE, index.index() as u32, Some(offset))
        }
    }
}

fn index_type(is64: bool) -> u32 {
    if is64 {
        abi::index_type::I64
    } else {
        abi::index_type::I32
    }
}

fn kind_code(kind: ImportKind) -> u32 {
    match kind {
        ImportKind::Func => extern_kind::FUNC,
        ImportKind::Table => extern_kind::TABLE,
        ImportKind::Memory => extern_kind::MEMORY,
        ImportKind::Global => extern_kind::GLOBAL,
        ImportKind::Tag => extern_kind::TAG,
    }
}

/// The one-byte code of a reference type: its family (function, external or exception
/// reference). Typed function references
/// (`(ref $t)`, `(ref null func)`, ...) are funcrefs at run time, as concrete types are
/// function types without GC; the exact type is part of a signature's key instead.
fn ref_code(ty: RefType) -> u32 {
    (match ty.heap_type() {
        HeapType::Abstract {
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
            ..
        }
        | HeapType::Concrete(_)
        | HeapType::Exact(_) => valtype::FUNCREF,
        HeapType::Abstract {
            ty: AbstractHeapType::Exn | AbstractHeapType::NoExn,
            ..
        } => valtype::EXNREF,
        HeapType::Abstract { .. } => valtype::EXTERNREF,
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
