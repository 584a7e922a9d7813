//! Instantiation of a compiled module from its [`ModuleDescriptor`], exports, and calls
//! into wasm through the per-signature trampolines.
//!
//! Several instances can live in one process and link to each other: the resolver passed
//! to [`Instance::new`] returns, for each import, an [`Extern`] taken from another
//! instance's [`Instance::export`] (or a host function / runtime-owned object).
//!
//! This file creates instances (memories, tables, globals, tags, segments, the start
//! function) and lists exports; import matching is in `link`, constant expressions in
//! `const_eval`, calls from the host in `invoke`, and the names used in error messages in
//! `names`.

use crate::memory::Memory;
use crate::prelude::*;
use crate::sys::ThreadLocal;
use crate::table::{self, Table};
pub use crate::types::GlobalType;
use crate::types::RefType;
use crate::vmctx::{Counts, Vmctx};
use crate::{limits, traps};
use core::cell::Cell;
use core::fmt;
use core::ptr::NonNull;
use kiln_abi::{
    self, extern_kind, index_type, segment_mode, BoundsChecks, ImportDesc, ModuleDescriptor,
    TrapKind, VMContext, VMFuncRef, VMGlobal, VMHostFunc, VMMemory, ABI_VERSION, NO_INDEX,
};

/// Something an instance imports or exports. The pointers stay valid while the instance
/// (or the host object) that owns them is alive.
#[derive(Clone, Copy, Debug)]
pub enum Extern {
    /// A function of some instance (its funcref is copied into the importer).
    Func(*const VMFuncRef),
    /// A host function `extern "C" fn(vmctx, params...) -> result`; it receives the
    /// importing instance's vmctx. The resolver must make sure its signature matches the
    /// import.
    HostFunc(*const u8),
    /// A table created by this runtime ([`Table::new`] or another instance's).
    Table(*mut Table),
    /// A memory created by this runtime ([`Memory::new`] or another instance's).
    Memory(*mut Memory),
    /// A global's storage and type.
    Global(*mut VMGlobal, GlobalType),
    /// A tag's identity (see `kiln_abi::exception`) and the signature id of its type.
    Tag(*const u8, u32),
}

#[derive(Debug, PartialEq, Eq)]
pub enum InstantiationError {
    /// Unknown or incompatible import, wrong ABI version, resource limits; nothing of the
    /// instance is observable. The message is suitable after `error: `.
    Link(String),
    /// An active segment did not fit (a trap at instantiation). Segments before it were
    /// applied and stay (they may be in imported tables/memories): the partially
    /// initialised instance is kept alive (leaked) on purpose.
    Trap { kind: TrapKind, context: String },
}

impl fmt::Display for InstantiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiationError::Link(msg) => f.write_str(msg),
            InstantiationError::Trap { kind, context } => {
                write!(f, "wasm trap: {} ({context})", kind.message())
            }
        }
    }
}

impl core::error::Error for InstantiationError {}

static STACK_LIMIT: ThreadLocal<Cell<usize>> = ThreadLocal::new(|| Cell::new(0));

/// Sets the stack limit (lowest stack address compiled code may use) that instances
/// created on this thread from now on get; 0 (the default) disables the check.
/// See [`crate::init_wasm_thread`].
pub fn set_thread_stack_limit(limit: usize) {
    STACK_LIMIT.with(|l| l.set(limit));
}

/// The stack limit instances created on this thread get (0: none).
pub fn thread_stack_limit() -> usize {
    STACK_LIMIT.with(Cell::get)
}

/// A 16-byte value slot holding `bits` (i32/f32 in the low 4 bytes).
pub fn value_from_bits(bits: u64) -> VMGlobal {
    let mut g = VMGlobal::default();
    g.bytes[..8].copy_from_slice(&bits.to_le_bytes());
    g
}

/// The low 8 bytes of a value slot.
pub fn value_bits(value: &VMGlobal) -> u64 {
    u64::from_le_bytes(value.bytes[..8].try_into().unwrap())
}

/// An instantiated module. Not `Send`: call into it from the thread that created it (the
/// stack limit in its context belongs to that thread) or update it with
/// [`Instance::set_stack_limit`].
///
/// Dropping an `Instance` leaks it (other instances may hold its funcrefs, tables, memory
/// or globals); [`Instance::destroy`] frees it when the caller knows nothing does.
pub struct Instance {
    data: NonNull<InstanceData>,
}

/// The runtime's per-instance data; `vmctx.instance` points here.
pub(crate) struct InstanceData {
    pub desc: &'static ModuleDescriptor,
    pub vmctx: Vmctx,
    imported_globals: u32,
    own_memories: Vec<NonNull<Memory>>,
    own_tables: Vec<NonNull<Table>>,
    pub dropped_data: Box<[Cell<bool>]>,
    pub dropped_elems: Box<[Cell<bool>]>,
    /// What the funcrefs of imported host functions point at as their vmctx, by function
    /// index (imports only; never reallocated, funcrefs point into it).
    host_funcs: Box<[Cell<VMHostFunc>]>,
}

impl Instance {
    /// Instantiates `desc`: resolves and type-checks its imports with `resolve` (called
    /// once per import, in order), creates its memory, tables and globals, applies active
    /// element then data segments, registers its code with the trap handler and runs the
    /// start function. When a protected call ([`traps::call_protected`]) is active on this
    /// thread, a trap in the start function is returned as [`InstantiationError::Trap`]
    /// (the instance stays alive, leaked); otherwise it is reported and the process exits.
    ///
    /// # Safety
    /// `desc` must be a descriptor emitted by the Kiln compiler for this ABI (valid
    /// pointers, UTF-8 names, code matching its types), and every pointer in an [`Extern`]
    /// returned by `resolve` must be valid for as long as this instance is used.
    pub unsafe fn new(
        desc: &'static ModuleDescriptor,
        mut resolve: impl FnMut(&ImportDesc) -> Result<Extern, String>,
    ) -> Result<Instance, InstantiationError> {
        if desc.abi_version != ABI_VERSION {
            return Err(InstantiationError::Link(format!(
                "module was compiled for runtime ABI version {}, this runtime implements version {ABI_VERSION}",
                desc.abi_version
            )));
        }
        // SAFETY: descriptor contents are valid (caller's contract).
        let (d, counts) = unsafe { (Desc::of(desc), counts(desc)?) };
        if desc.start != NO_INDEX && desc.start >= counts.functions {
            return Err(InstantiationError::Link(format!(
                "malformed descriptor: start function {}",
                desc.start
            )));
        }
        let imported_globals = d
            .imports
            .iter()
            .filter(|i| i.kind == extern_kind::GLOBAL)
            .count() as u32;
        let vmctx = Vmctx::new(counts);
        let data = Box::new(InstanceData {
            desc,
            vmctx,
            imported_globals,
            own_memories: Vec::new(),
            own_tables: Vec::new(),
            dropped_data: (0..d.data.len()).map(|_| Cell::new(false)).collect(),
            dropped_elems: (0..d.elements.len()).map(|_| Cell::new(false)).collect(),
            host_funcs: (0..d
                .imports
                .iter()
                .filter(|i| i.kind == extern_kind::FUNC)
                .count())
                .map(|_| {
                    Cell::new(VMHostFunc {
                        host_fn: core::ptr::null(),
                        vmctx: core::ptr::null_mut(),
                    })
                })
                .collect(),
        });
        let data = NonNull::from(Box::leak(data));
        let mut instance = Instance { data };
        let inst = instance.data();
        inst.vmctx.set_instance(data.as_ptr().cast());
        inst.vmctx.set_stack_limit(STACK_LIMIT.with(Cell::get));
        if limits::deadline_armed() {
            // SAFETY: a deadline is armed only by the standalone entry, whose one instance
            // lives until the process ends.
            unsafe { limits::watch(inst.vmctx.stack_limit_ptr()) };
        }
        traps::register_module(desc);

        let linked = match instance.link(&d, &mut resolve) {
            Ok(()) => instance.define(&d),
            Err(e) => Err(e),
        };
        if let Err(e) = linked {
            // SAFETY: no segment has been applied and no code has run: nothing outside
            // refers to this instance yet.
            unsafe { instance.destroy() };
            return Err(e);
        }
        // A trap from here on leaves the instance referenced (segments may have written
        // its funcrefs into imported tables), so it is leaked, not destroyed.
        instance.apply_segments(&d)?;
        if desc.start != NO_INDEX {
            let start = instance.data().vmctx.funcref_ptr(desc.start);
            // SAFETY: the start function has type [] -> []; its funcref is initialised.
            let call = || unsafe { invoke(start, &mut []) };
            if traps::in_protected_call() {
                // The embedder recovers from traps: so does the start function, in a nested
                // protected call (nothing of ours is abandoned by a trap).
                let mut result = Ok(());
                // SAFETY: the closure only calls the start function through its trampoline
                // and stores a result without a destructor on success.
                let trapped = unsafe { traps::call_protected(|| result = call()) };
                if let Err(kind) = trapped {
                    return Err(InstantiationError::Trap {
                        kind,
                        context: "start function".into(),
                    });
                }
                result.map_err(InstantiationError::Link)?;
            } else {
                // A trap reports and exits (standalone executable).
                call().map_err(InstantiationError::Link)?;
            }
        }
        Ok(instance)
    }

    fn data(&self) -> &InstanceData {
        // SAFETY: `data` stays allocated until `destroy` consumes the Instance.
        unsafe { self.data.as_ref() }
    }

    fn data_mut(&mut self) -> &mut InstanceData {
        // SAFETY: only used during `new`, before compiled code or builtins can reach the
        // data; `&mut self` excludes other borrows through this handle.
        unsafe { self.data.as_mut() }
    }

    /// Fills defined functions, the memory, globals and tables.
    fn define(&mut self, d: &Desc) -> Result<(), InstantiationError> {
        let link = InstantiationError::Link;
        let inst = self.data_mut();
        let counts = inst.vmctx.counts();
        for (i, f) in d.functions.iter().enumerate() {
            let i = i as u32;
            if f.body.is_null() {
                if inst.vmctx.funcref(i).fn_ptr.is_null() {
                    return Err(link(format!(
                        "malformed descriptor: function {i} has no body and is not imported"
                    )));
                }
                continue;
            }
            if f.type_index >= counts.types {
                return Err(link(format!(
                    "malformed descriptor: function {i} has type {}",
                    f.type_index
                )));
            }
            let sig_id = inst.vmctx.sig_id(f.type_index);
            inst.vmctx.set_funcref(
                i,
                VMFuncRef {
                    fn_ptr: f.body,
                    vmctx: inst.vmctx.raw(),
                    sig_id,
                    _pad: 0,
                },
            );
        }

        let imported = |kind| d.imports.iter().filter(|i| i.kind == kind).count();
        for (i, md) in d.memories.iter().enumerate() {
            if i < imported(extern_kind::MEMORY) {
                continue;
            }
            let index64 = md.index_type == index_type::I64;
            let max = (md.max_pages != u64::MAX).then_some(md.max_pages);
            let max_bytes = |limit: u64| {
                max.map_or(limit, |m| {
                    m.saturating_mul(kiln_abi::WASM_PAGE_SIZE).min(limit)
                })
            };
            // 64-bit memories are checked explicitly in both modes (see `kiln_abi`).
            let reservation = if d.memory_reservation != 0 && (index64 || !guarded(d)) {
                d.memory_reservation
            } else if index64 {
                max_bytes(kiln_abi::MEMORY64_RESERVATION)
            } else if guarded(d) {
                kiln_abi::MEMORY_RESERVATION
            } else {
                max_bytes(1 << 32)
            };
            let memory = Memory::with_reservation(md.min_pages, max, reservation, index64)
                .map_err(link)?
                .with_shared(md.shared != 0);
            let memory = NonNull::from(Box::leak(memory));
            inst.own_memories.push(memory);
            inst.vmctx.set_memory(i as u32, Memory::vm(memory.as_ptr()));
        }

        for i in imported(extern_kind::TAG)..d.tags.len() {
            let i = i as u32;
            if d.tags[i as usize].type_index >= counts.types {
                return Err(link(format!("malformed descriptor: tag {i}")));
            }
            // A defined tag is identified by its own slot.
            inst.vmctx
                .set_tag(i, inst.vmctx.tag_slot(i).cast_const().cast());
        }

        for i in inst.imported_globals..counts.globals {
            let value = inst.eval(&d.globals[i as usize].init).map_err(link)?;
            inst.vmctx.set_global(i, value);
        }

        for i in imported(extern_kind::TABLE)..d.tables.len() {
            let td = &d.tables[i];
            let init = value_bits(&inst.eval(&td.init).map_err(link)?) as usize;
            let max = (td.max != NO_INDEX).then_some(td.max);
            let table = Table::new(td.elem_type as u8, td.min, max, init)
                .map_err(link)?
                .with_index64(td.index_type == index_type::I64)
                // SAFETY: descriptor strings are UTF-8 (Instance::new's contract).
                .with_elem(unsafe { RefType::from_desc(&td.elem) });
            let table = NonNull::from(Box::leak(table));
            inst.own_tables.push(table);
            inst.vmctx.set_table(i as u32, Table::vm(table.as_ptr()));
        }
        Ok(())
    }

    /// Active element segments, then active data segments (Wasm 2.0 order); each is
    /// bounds-checked before it is written and dropped afterwards. Declared element
    /// segments are dropped; passive ones are kept for `table.init`/`memory.init`.
    fn apply_segments(&self, d: &Desc) -> Result<(), InstantiationError> {
        let inst = self.data();
        let link = InstantiationError::Link;
        for (i, seg) in d.elements.iter().enumerate() {
            match seg.mode {
                segment_mode::PASSIVE => continue,
                segment_mode::DECLARED => {}
                segment_mode::ACTIVE => {
                    // A table64 offset beyond u32 cannot fit any table.
                    let offset = value_bits(&inst.eval(&seg.offset).map_err(link)?);
                    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
                    // SAFETY: descriptor slices are valid (Instance::new's contract).
                    let items = unsafe { seg.items.as_slice() };
                    let table = inst.table(seg.table).ok_or_else(|| {
                        link(format!(
                            "malformed descriptor: element segment {i} uses table {}",
                            seg.table
                        ))
                    })?;
                    // SAFETY: a live runtime table, not otherwise borrowed during this call.
                    let table = unsafe { &mut *table };
                    let len = u32::try_from(items.len()).unwrap_or(u32::MAX);
                    let Some(range) = table::range(offset, len, table.size()) else {
                        return Err(InstantiationError::Trap {
                            kind: TrapKind::TableOutOfBounds,
                            context: format!(
                                "element segment {i} does not fit in table {}",
                                seg.table
                            ),
                        });
                    };
                    for (slot, item) in table.elements_mut()[range].iter_mut().zip(items) {
                        *slot = value_bits(&inst.eval(item).map_err(link)?) as usize;
                    }
                }
                mode => {
                    return Err(link(format!(
                        "malformed descriptor: element segment {i} has mode {mode}"
                    )))
                }
            }
            inst.dropped_elems[i].set(true);
        }
        for (i, seg) in d.data.iter().enumerate() {
            match seg.mode {
                segment_mode::PASSIVE => continue,
                segment_mode::ACTIVE => {
                    let Some(memory) = inst.memory(seg.memory) else {
                        return Err(link(format!(
                            "malformed descriptor: data segment {i} uses memory {}",
                            seg.memory
                        )));
                    };
                    // A 32-bit memory's offset is an i32: its upper bits are zero.
                    let offset = value_bits(&inst.eval(&seg.offset).map_err(link)?);
                    // SAFETY: descriptor slices are valid; the memory is a live VMMemory.
                    let (bytes, memory) = unsafe { (seg.bytes.as_slice(), &*memory) };
                    let end = offset.checked_add(bytes.len() as u64);
                    if end.is_none_or(|end| end > memory.length) {
                        return Err(InstantiationError::Trap {
                            kind: TrapKind::MemoryOutOfBounds,
                            context: format!("data segment {i} does not fit in memory"),
                        });
                    }
                    // SAFETY: `[offset, end)` is within the accessible part of the memory,
                    // which cannot overlap the descriptor's read-only data.
                    unsafe {
                        core::ptr::copy_nonoverlapping(
                            bytes.as_ptr(),
                            memory.base.add(offset as usize),
                            bytes.len(),
                        )
                    };
                }
                mode => {
                    return Err(link(format!(
                        "malformed descriptor: data segment {i} has mode {mode}"
                    )))
                }
            }
            inst.dropped_data[i].set(true);
        }
        Ok(())
    }

    /// The export called `name`.
    pub fn export(&self, name: &str) -> Option<Extern> {
        self.exports().find(|(n, _)| *n == name).map(|(_, e)| e)
    }

    /// All exports, in the module's order.
    pub fn exports(&self) -> impl Iterator<Item = (&'static str, Extern)> + '_ {
        let inst = self.data();
        // SAFETY: descriptor contents are valid (Instance::new's contract).
        let exports = unsafe { inst.desc.exports.as_slice() };
        exports.iter().filter_map(move |e| {
            // SAFETY: as above.
            let name = unsafe { e.name.as_str() };
            let ext = match e.kind {
                extern_kind::FUNC => Extern::Func(inst.vmctx.funcref_ptr(e.index)),
                extern_kind::TABLE => Extern::Table(inst.vmctx.table(e.index).cast()),
                extern_kind::MEMORY => Extern::Memory(inst.vmctx.memory(e.index).cast()),
                extern_kind::GLOBAL => {
                    Extern::Global(inst.global_ptr(e.index), inst.global_type(e.index))
                }
                extern_kind::TAG => {
                    // SAFETY: as above.
                    let tag = unsafe { &inst.desc.tags.as_slice()[e.index as usize] };
                    Extern::Tag(inst.vmctx.tag(e.index), inst.vmctx.sig_id(tag.type_index))
                }
                _ => return None,
            };
            Some((name, ext))
        })
    }

    pub fn vmctx(&self) -> *mut VMContext {
        self.data().vmctx.raw()
    }

    pub fn descriptor(&self) -> &'static ModuleDescriptor {
        self.data().desc
    }

    /// Sets the lowest stack address compiled code of this instance may use (for calls
    /// made on another thread than the one that created it).
    pub fn set_stack_limit(&self, limit: usize) {
        self.data().vmctx.set_stack_limit(limit);
    }

    /// Frees the instance's context, own memory and own tables.
    ///
    /// # Safety
    /// Nothing may use the instance any more: no other instance imported from it, and none
    /// of its funcrefs is stored in a table that outlives it.
    pub unsafe fn destroy(self) {
        // SAFETY: allocated by Box in `new`; the caller guarantees no further use.
        let data = unsafe { Box::from_raw(self.data.as_ptr()) };
        // SAFETY: memory and tables were leaked from Boxes in `define` and are unused now.
        unsafe {
            for m in &data.own_memories {
                drop(Box::from_raw(m.as_ptr()));
            }
            for t in &data.own_tables {
                drop(Box::from_raw(t.as_ptr()));
            }
            data.vmctx.free();
        }
    }
}

impl InstanceData {
    /// The instance data behind a vmctx.
    ///
    /// # Safety
    /// `vmctx` must be the context of a live [`Instance`].
    pub unsafe fn from_vmctx<'a>(vmctx: *mut VMContext) -> &'a InstanceData {
        // SAFETY: `Instance::new` points `instance` at its InstanceData (caller's contract).
        unsafe { &*(*vmctx).instance.cast::<InstanceData>() }
    }

    /// Memory `index` (own or imported), if it exists.
    pub fn memory(&self, index: u32) -> Option<*mut VMMemory> {
        (index < self.vmctx.counts().memories).then(|| self.vmctx.memory(index))
    }

    /// Table `index` (own or imported), if it exists.
    pub fn table(&self, index: u32) -> Option<*mut Table> {
        (index < self.vmctx.counts().tables).then(|| self.vmctx.table(index).cast())
    }

    /// The storage of global `index`: our slot, or the exporter's for an import.
    pub fn global_ptr(&self, index: u32) -> *mut VMGlobal {
        if index < self.imported_globals {
            value_bits(&self.vmctx.global(index)) as usize as *mut VMGlobal
        } else {
            self.vmctx.global_slot(index)
        }
    }

    fn global_type(&self, index: u32) -> GlobalType {
        // SAFETY: descriptor contents are valid (Instance::new's contract).
        unsafe { GlobalType::from_desc(&self.desc.globals.as_slice()[index as usize]) }
    }
}

/// The descriptor's slices, read once.
struct Desc {
    types: &'static [kiln_abi::FuncTypeDesc],
    imports: &'static [ImportDesc],
    functions: &'static [kiln_abi::FunctionDesc],
    tables: &'static [kiln_abi::TableDesc],
    memories: &'static [kiln_abi::MemoryDesc],
    globals: &'static [kiln_abi::GlobalDesc],
    tags: &'static [kiln_abi::TagDesc],
    data: &'static [kiln_abi::DataDesc],
    elements: &'static [kiln_abi::ElemDesc],
    bounds_checks: u32,
    memory_reservation: u64,
}

impl Desc {
    /// # Safety
    /// The descriptor's slices must be valid.
    unsafe fn of(desc: &'static ModuleDescriptor) -> Desc {
        // SAFETY: caller's contract.
        unsafe {
            Desc {
                types: desc.types.as_slice(),
                imports: desc.imports.as_slice(),
                functions: desc.functions.as_slice(),
                tables: desc.tables.as_slice(),
                memories: desc.memories.as_slice(),
                globals: desc.globals.as_slice(),
                tags: desc.tags.as_slice(),
                data: desc.data.as_slice(),
                elements: desc.elements.as_slice(),
                bounds_checks: desc.bounds_checks,
                memory_reservation: desc.memory_reservation,
            }
        }
    }
}

fn counts(desc: &ModuleDescriptor) -> Result<Counts, InstantiationError> {
    let n = |len: usize| {
        u32::try_from(len)
            .ok()
            .filter(|&n| n < 1 << 24)
            .ok_or_else(|| InstantiationError::Link("module too large".into()))
    };
    Ok(Counts {
        functions: n(desc.functions.len)?,
        types: n(desc.types.len)?,
        tables: n(desc.tables.len)?,
        memories: n(desc.memories.len)?,
        globals: n(desc.globals.len)?,
        tags: n(desc.tags.len)?,
    })
}

/// Import matching (Wasm 2.0): the provided object's current size must be at least the
/// import's minimum, and if the import has a maximum the object must have one no larger.
fn check_limits(
    size: u64,
    max: Option<u64>,
    min: u64,
    declared_max: Option<u64>,
) -> Result<(), String> {
    if size < min {
        return Err(format!("of size {size} is smaller than the minimum {min}"));
    }
    match (declared_max, max) {
        (Some(dm), None) => Err(format!("without a maximum does not fit the maximum {dm}")),
        (Some(dm), Some(m)) if m > dm => Err(format!("maximum {m} is larger than {dm}")),
        _ => Ok(()),
    }
}

/// Whether code compiled into `d` relies on guard pages (32-bit memories only).
fn guarded(d: &Desc) -> bool {
    d.bounds_checks == BoundsChecks::Guard as u32
}

mod const_eval;
mod invoke;
mod link;
mod names;

pub use invoke::invoke;
pub(crate) use names::{signature_name, valtype_name};

#[cfg(test)]
mod tests;
