//! The module environment: everything about a validated module except function bodies'
//! translation, as plain data read once with wasmparser.

use crate::error::Error;
use crate::index::{
    DataIndex, DefinedFuncIndex, ElemIndex, FuncIndex, GlobalIndex, MemoryIndex, TableIndex,
    TagIndex, TypeIndex,
};
use crate::WasmVersion;
use cranelift_codegen::entity::PrimaryMap;
use std::collections::HashMap;
use wasmparser::{
    ConstExpr as WasmConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, FuncType,
    FunctionBody, KnownCustom, Name, Operator, Parser, Payload, RefType, TableInit, TypeRef,
    ValType, Validator, WasmFeatures,
};

/// The wasm features Kiln compiles for `version`: WebAssembly 2.0 (SIMD included), and
/// for 3.0 also relaxed SIMD, tail calls, extended constant expressions, multiple
/// memories, memory64, typed function references, threads and exception handling (with
/// the legacy `try`/`catch`/`rethrow`/`delegate` encoding that toolchains still emit).
pub fn features(version: WasmVersion) -> WasmFeatures {
    match version {
        WasmVersion::V2 => WasmFeatures::WASM2,
        WasmVersion::V3 => wasm3_features(),
        WasmVersion::ThreadsProposal => WasmFeatures::WASM1 | WasmFeatures::THREADS,
    }
}

fn wasm3_features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::MEMORY64
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::THREADS
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::LEGACY_EXCEPTIONS
}

/// Proposals past WebAssembly 1.0 that Kiln compiles, by the names users know them by.
const SUPPORTED_FEATURES: &[(WasmFeatures, &str)] = &[
    (WasmFeatures::MUTABLE_GLOBAL, "mutable globals"),
    (WasmFeatures::SIGN_EXTENSION, "sign extension"),
    (
        WasmFeatures::SATURATING_FLOAT_TO_INT,
        "non-trapping float-to-int",
    ),
    (WasmFeatures::MULTI_VALUE, "multi-value"),
    (WasmFeatures::BULK_MEMORY, "bulk memory"),
    (WasmFeatures::REFERENCE_TYPES, "reference types"),
    (WasmFeatures::SIMD, "SIMD"),
    (WasmFeatures::RELAXED_SIMD, "relaxed SIMD"),
    (WasmFeatures::TAIL_CALL, "tail calls"),
    (
        WasmFeatures::EXTENDED_CONST,
        "extended constant expressions",
    ),
    (WasmFeatures::MULTI_MEMORY, "multiple memories"),
    (WasmFeatures::MEMORY64, "memory64"),
    (
        WasmFeatures::FUNCTION_REFERENCES,
        "typed function references",
    ),
    (WasmFeatures::THREADS, "threads (atomics, shared memories)"),
    (WasmFeatures::EXCEPTIONS, "exception handling"),
    (WasmFeatures::LEGACY_EXCEPTIONS, "legacy exception handling"),
];

/// The proposals past WebAssembly 1.0 a valid module uses: those without which it does
/// not validate.
pub fn features_used(wasm: &[u8]) -> Vec<&'static str> {
    SUPPORTED_FEATURES
        .iter()
        .filter(|(feature, _)| {
            Validator::new_with_features(wasm3_features() - *feature)
                .validate_all(wasm)
                .is_err()
        })
        .map(|(_, name)| *name)
        .collect()
}

// The smallest proposals first: GC alone also accepts typed function references.
const MISSING_FEATURES: &[(WasmFeatures, &str)] = &[
    (
        WasmFeatures::FUNCTION_REFERENCES,
        "typed function references",
    ),
    (WasmFeatures::MULTI_MEMORY, "multiple memories"),
    (
        WasmFeatures::MEMORY64,
        "64-bit memories and tables (memory64)",
    ),
    (WasmFeatures::GC, "garbage collection (Wasm 3.0 GC)"),
    (WasmFeatures::CUSTOM_PAGE_SIZES, "custom page sizes"),
    (WasmFeatures::WIDE_ARITHMETIC, "wide arithmetic"),
    (WasmFeatures::STACK_SWITCHING, "stack switching"),
];

/// For a module Kiln's validator rejects: the unsupported proposal that would make it
/// valid, if one does (alone, or together with typed function references and GC, which
/// several proposals build on).
pub fn missing_feature(wasm: &[u8]) -> Option<&'static str> {
    let valid_with = |extra| {
        Validator::new_with_features(wasm3_features() | extra)
            .validate_all(wasm)
            .is_ok()
    };
    if valid_with(WasmFeatures::empty()) {
        return None;
    }
    let base = [
        WasmFeatures::empty(),
        WasmFeatures::FUNCTION_REFERENCES,
        WasmFeatures::FUNCTION_REFERENCES | WasmFeatures::GC,
    ];
    base.iter().find_map(|&with| {
        MISSING_FEATURES
            .iter()
            .find(|(feature, _)| valid_with(*feature | with))
            .map(|(_, name)| *name)
    })
}

/// One operation of a constant expression, as the runtime evaluates it
/// (`kiln_abi::const_op`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstOp {
    /// Raw bits, little-endian from the low end (an i32/f32 uses the low 32 bits).
    Value(u128),
    GlobalGet(GlobalIndex),
    RefNull,
    RefFunc(FuncIndex),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A constant expression: operations on a value stack that leave one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstExpr(pub Vec<ConstOp>);

impl From<ConstOp> for ConstExpr {
    fn from(op: ConstOp) -> Self {
        ConstExpr(vec![op])
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

#[derive(Debug)]
pub struct Import<'a> {
    pub module: &'a str,
    pub name: &'a str,
    pub kind: ImportKind,
    /// Index in the space of its kind.
    pub index: u32,
}

#[derive(Debug)]
pub struct Table {
    pub elem: RefType,
    pub min: u32,
    pub max: Option<u32>,
    pub init: ConstExpr,
    /// table64: i64 element indices.
    pub table64: bool,
}

impl Table {
    fn of(ty: &wasmparser::TableType, init: ConstExpr) -> Table {
        // No table can hold more than u32::MAX elements: a larger minimum fails at
        // instantiation, a larger maximum is no limit.
        Table {
            elem: ty.element_type,
            min: u32::try_from(ty.initial).unwrap_or(u32::MAX),
            max: ty.maximum.and_then(|m| u32::try_from(m).ok()),
            init,
            table64: ty.table64,
        }
    }
}

#[derive(Debug)]
pub struct Memory {
    pub min_pages: u64,
    pub max_pages: Option<u64>,
    /// memory64: i64 addresses, always bounds-checked explicitly.
    pub memory64: bool,
    /// A shared memory (threads).
    pub shared: bool,
}

impl Memory {
    fn of(ty: &wasmparser::MemoryType) -> Memory {
        Memory {
            min_pages: ty.initial,
            max_pages: ty.maximum,
            memory64: ty.memory64,
            shared: ty.shared,
        }
    }
}

#[derive(Debug)]
pub struct Global {
    pub ty: ValType,
    pub mutable: bool,
    /// Unused for imports.
    pub init: ConstExpr,
}

#[derive(Debug)]
pub struct Export<'a> {
    pub name: &'a str,
    pub kind: ImportKind,
    pub index: u32,
}

/// How a segment is used; `I` is the index of the table or memory an active one fills.
#[derive(Debug, PartialEq, Eq)]
pub enum SegmentMode<I> {
    Passive,
    Active { index: I, offset: ConstExpr },
    Declared,
}

#[derive(Debug)]
pub struct ElemSegment {
    pub elem: RefType,
    pub mode: SegmentMode<TableIndex>,
    pub items: Vec<ConstExpr>,
}

#[derive(Debug)]
pub struct DataSegment<'a> {
    pub bytes: &'a [u8],
    pub mode: SegmentMode<MemoryIndex>,
}

#[derive(Default)]
pub struct ModuleEnv<'a> {
    pub name: Option<String>,
    pub types: PrimaryMap<TypeIndex, FuncType>,
    pub imports: Vec<Import<'a>>,
    /// The type of every function, imported first.
    pub func_types: PrimaryMap<FuncIndex, TypeIndex>,
    num_imported_funcs: u32,
    pub tables: PrimaryMap<TableIndex, Table>,
    num_imported_tables: u32,
    pub memories: PrimaryMap<MemoryIndex, Memory>,
    num_imported_memories: u32,
    pub globals: PrimaryMap<GlobalIndex, Global>,
    num_imported_globals: u32,
    /// The type of every tag (exception handling), imported first.
    pub tags: PrimaryMap<TagIndex, TypeIndex>,
    num_imported_tags: u32,
    pub exports: Vec<Export<'a>>,
    pub start: Option<FuncIndex>,
    pub elements: PrimaryMap<ElemIndex, ElemSegment>,
    pub data: PrimaryMap<DataIndex, DataSegment<'a>>,
    /// Bodies of the defined functions, in order.
    pub bodies: PrimaryMap<DefinedFuncIndex, FunctionBody<'a>>,
    pub func_names: HashMap<FuncIndex, String>,
    /// The module's bytes.
    pub wasm: &'a [u8],
}

impl<'a> ModuleEnv<'a> {
    /// Validates `wasm` completely, then reads its environment.
    pub fn parse(wasm: &'a [u8], version: WasmVersion) -> Result<ModuleEnv<'a>, Error> {
        let valid = Validator::new_with_features(features(version)).validate_all(wasm);
        if let Err(e) = valid {
            let missing = if version == WasmVersion::V3 {
                missing_feature(wasm)
            } else {
                None
            };
            return Err(match missing {
                Some(name) => Error::unsupported(format!(
                    "{name}: {} (at byte offset {:#x})",
                    e.message(),
                    e.offset()
                )),
                None => Error::invalid(e),
            });
        }
        let mut env = ModuleEnv {
            wasm,
            ..ModuleEnv::default()
        };
        for payload in Parser::new(0).parse_all(wasm) {
            env.read_payload(payload.map_err(Error::invalid)?)?;
        }
        Ok(env)
    }

    pub fn func_type(&self, func_index: FuncIndex) -> &FuncType {
        &self.types[self.func_types[func_index]]
    }

    pub fn is_imported_func(&self, func_index: FuncIndex) -> bool {
        func_index.as_u32() < self.num_imported_funcs
    }

    /// The function index (imports first) of a defined function. The two index spaces
    /// meet only here and in [`Self::defined_func`].
    pub fn func_index(&self, def_index: DefinedFuncIndex) -> FuncIndex {
        FuncIndex::from_u32(self.num_imported_funcs + def_index.as_u32())
    }

    /// The defined-function index of function `func_index`, or `None` for an import.
    pub fn defined_func(&self, func_index: FuncIndex) -> Option<DefinedFuncIndex> {
        func_index
            .as_u32()
            .checked_sub(self.num_imported_funcs)
            .map(DefinedFuncIndex::from_u32)
    }

    /// The type index of every imported function, in import order.
    pub fn imported_func_types(&self) -> &[TypeIndex] {
        &self.func_types.as_values_slice()[..self.num_imported_funcs as usize]
    }

    pub fn is_imported_global(&self, global_index: GlobalIndex) -> bool {
        global_index.as_u32() < self.num_imported_globals
    }

    pub fn func_name(&self, func_index: FuncIndex) -> Option<&str> {
        self.func_names.get(&func_index).map(String::as_str)
    }

    fn read_payload(&mut self, payload: Payload<'a>) -> Result<(), Error> {
        match payload {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    self.types.push(ty.map_err(Error::invalid)?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(Error::invalid)?;
                    self.read_import(import.module, import.name, import.ty)?;
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    self.func_types
                        .push(TypeIndex::from_u32(ty.map_err(Error::invalid)?));
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table.map_err(Error::invalid)?;
                    let init = match table.init {
                        TableInit::RefNull => ConstOp::RefNull.into(),
                        TableInit::Expr(expr) => const_expr(&expr)?,
                    };
                    self.tables.push(Table::of(&table.ty, init));
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(Error::invalid)?;
                    self.memories.push(Memory::of(&memory));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global.map_err(Error::invalid)?;
                    self.globals.push(Global {
                        ty: global.ty.content_type,
                        mutable: global.ty.mutable,
                        init: const_expr(&global.init_expr)?,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(Error::invalid)?;
                    let kind = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => ImportKind::Func,
                        ExternalKind::Table => ImportKind::Table,
                        ExternalKind::Memory => ImportKind::Memory,
                        ExternalKind::Global => ImportKind::Global,
                        ExternalKind::Tag => ImportKind::Tag,
                    };
                    self.exports.push(Export {
                        name: export.name,
                        kind,
                        index: export.index,
                    });
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    let tag = tag.map_err(Error::invalid)?;
                    self.tags.push(TypeIndex::from_u32(tag.func_type_idx));
                }
            }
            Payload::StartSection { func, .. } => self.start = Some(FuncIndex::from_u32(func)),
            Payload::ElementSection(reader) => {
                for element in reader {
                    let element = element.map_err(Error::invalid)?;
                    self.read_element(element)?;
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(Error::invalid)?;
                    let mode = match data.kind {
                        DataKind::Passive => SegmentMode::Passive,
                        DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: MemoryIndex::from_u32(memory_index),
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    self.data.push(DataSegment {
                        bytes: data.data,
                        mode,
                    });
                }
            }
            Payload::CodeSectionEntry(body) => {
                self.bodies.push(body);
            }
            Payload::CustomSection(reader) => {
                if let KnownCustom::Name(names) = reader.as_known() {
                    // A malformed name section is not an error (the spec says so):
                    // keep whatever names could be read.
                    for name in names.into_iter().map_while(Result::ok) {
                        self.read_name(name);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn read_import(&mut self, module: &'a str, name: &'a str, ty: TypeRef) -> Result<(), Error> {
        let (kind, index) = match ty {
            TypeRef::Func(type_index) | TypeRef::FuncExact(type_index) => {
                self.func_types.push(TypeIndex::from_u32(type_index));
                self.num_imported_funcs += 1;
                (ImportKind::Func, self.num_imported_funcs - 1)
            }
            TypeRef::Table(table) => {
                self.tables.push(Table::of(&table, ConstOp::RefNull.into()));
                self.num_imported_tables += 1;
                (ImportKind::Table, self.num_imported_tables - 1)
            }
            TypeRef::Memory(memory) => {
                self.memories.push(Memory::of(&memory));
                self.num_imported_memories += 1;
                (ImportKind::Memory, self.num_imported_memories - 1)
            }
            TypeRef::Global(global) => {
                self.globals.push(Global {
                    ty: global.content_type,
                    mutable: global.mutable,
                    init: ConstOp::RefNull.into(),
                });
                self.num_imported_globals += 1;
                (ImportKind::Global, self.num_imported_globals - 1)
            }
            TypeRef::Tag(tag) => {
                self.tags.push(TypeIndex::from_u32(tag.func_type_idx));
                self.num_imported_tags += 1;
                (ImportKind::Tag, self.num_imported_tags - 1)
            }
        };
        self.imports.push(Import {
            module,
            name,
            kind,
            index,
        });
        Ok(())
    }

    fn read_element(&mut self, element: wasmparser::Element<'a>) -> Result<(), Error> {
        let mode = match element.kind {
            ElementKind::Passive => SegmentMode::Passive,
            ElementKind::Declared => SegmentMode::Declared,
            ElementKind::Active {
                table_index,
                offset_expr,
            } => SegmentMode::Active {
                index: TableIndex::from_u32(table_index.unwrap_or(0)),
                offset: const_expr(&offset_expr)?,
            },
        };
        let (elem, items) = match element.items {
            ElementItems::Functions(funcs) => {
                let items = funcs
                    .into_iter()
                    .map(|f| {
                        let f = FuncIndex::from_u32(f.map_err(Error::invalid)?);
                        Ok(ConstOp::RefFunc(f).into())
                    })
                    .collect::<Result<_, _>>()?;
                (RefType::FUNCREF, items)
            }
            ElementItems::Expressions(ty, exprs) => {
                let items = exprs
                    .into_iter()
                    .map(|e| const_expr(&e.map_err(Error::invalid)?))
                    .collect::<Result<_, _>>()?;
                (ty, items)
            }
        };
        self.elements.push(ElemSegment { elem, mode, items });
        Ok(())
    }

    fn read_name(&mut self, name: Name<'a>) {
        match name {
            Name::Module { name, .. } => self.name = Some(name.to_string()),
            Name::Function(map) => {
                for naming in map.into_iter().map_while(Result::ok) {
                    let index = FuncIndex::from_u32(naming.index);
                    self.func_names.insert(index, naming.name.to_string());
                }
            }
            _ => {}
        }
    }
}

/// Reads a constant expression (Wasm 3.0: extended constant expressions included).
fn const_expr(expr: &WasmConstExpr<'_>) -> Result<ConstExpr, Error> {
    let mut ops = Vec::new();
    let mut reader = expr.get_operators_reader();
    loop {
        let op = match reader.read().map_err(Error::invalid)? {
            Operator::End => return Ok(ConstExpr(ops)),
            Operator::I32Const { value } => ConstOp::Value(value as u32 as u128),
            Operator::I64Const { value } => ConstOp::Value(value as u64 as u128),
            Operator::F32Const { value } => ConstOp::Value(value.bits() as u128),
            Operator::F64Const { value } => ConstOp::Value(value.bits() as u128),
            Operator::V128Const { value } => ConstOp::Value(u128::from_le_bytes(*value.bytes())),
            Operator::RefNull { .. } => ConstOp::RefNull,
            Operator::RefFunc { function_index } => {
                ConstOp::RefFunc(FuncIndex::from_u32(function_index))
            }
            Operator::GlobalGet { global_index } => {
                ConstOp::GlobalGet(GlobalIndex::from_u32(global_index))
            }
            Operator::I32Add => ConstOp::I32Add,
            Operator::I32Sub => ConstOp::I32Sub,
            Operator::I32Mul => ConstOp::I32Mul,
            Operator::I64Add => ConstOp::I64Add,
            Operator::I64Sub => ConstOp::I64Sub,
            Operator::I64Mul => ConstOp::I64Mul,
            other => {
                return Err(Error::unsupported(format!(
                    "constant expression instruction `{other:?}`"
                )))
            }
        };
        ops.push(op);
    }
}
