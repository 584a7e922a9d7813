//! Instantiation of a compiled module from its [`ModuleDescriptor`], exports, and calls
//! into wasm through the per-signature trampolines.
//!
//! Several instances can live in one process and link to each other: the resolver passed
//! to [`Instance::new`] returns, for each import, an [`Extern`] taken from another
//! instance's [`Instance::export`] (or a host function / runtime-owned object).

use crate::memory::Memory;
use crate::prelude::*;
use crate::sys::ThreadLocal;
use crate::table::{self, Table};
pub use crate::types::GlobalType;
use crate::types::RefType;
use crate::vmctx::{Counts, Vmctx};
use crate::{limits, sig_registry, traps};
use core::cell::Cell;
use core::fmt;
use core::ptr::NonNull;
use kiln_abi::{
    self, const_op, extern_kind, index_type, segment_mode, valtype, BoundsChecks, ConstExpr,
    ConstOp, ImportDesc, ModuleDescriptor, TrapKind, VMContext, VMFuncRef, VMGlobal, VMHostFunc,
    VMMemory, ABI_VERSION, NO_INDEX,
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

    /// Fills signature ids and imports.
    fn link(
        &self,
        d: &Desc,
        resolve: &mut impl FnMut(&ImportDesc) -> Result<Extern, String>,
    ) -> Result<(), InstantiationError> {
        let inst = self.data();
        for (t, ty) in d.types.iter().enumerate() {
            // SAFETY: descriptor slices are valid (Instance::new's contract).
            let (params, results) = unsafe { (ty.params.as_slice(), ty.results.as_slice()) };
            // SAFETY: as above.
            let key = unsafe { ty.key.as_str() };
            let id = sig_registry::intern(params, results, key, ty.trampoline);
            inst.vmctx.set_sig_id(t as u32, id);
        }
        for import in d.imports {
            let ext = resolve(import).map_err(InstantiationError::Link)?;
            self.link_import(d, import, ext)
                .map_err(InstantiationError::Link)?;
        }
        Ok(())
    }

    fn link_import(&self, d: &Desc, import: &ImportDesc, ext: Extern) -> Result<(), String> {
        let inst = self.data();
        let vmctx = &inst.vmctx;
        // SAFETY: descriptor names are UTF-8 (Instance::new's contract).
        let (module, name) = unsafe { (import.module.as_str(), import.name.as_str()) };
        let incompatible =
            |what: String| format!("incompatible import type for `{module}::{name}`: {what}");
        let malformed = || {
            format!(
                "malformed descriptor: import `{module}::{name}` has index {}",
                import.index
            )
        };
        let index = import.index;
        match (import.kind, ext) {
            (extern_kind::FUNC, Extern::Func(_) | Extern::HostFunc(_)) => {
                let f = d.functions.get(index as usize).ok_or_else(malformed)?;
                if f.type_index >= vmctx.counts().types {
                    return Err(malformed());
                }
                let expected = vmctx.sig_id(f.type_index);
                let funcref = match ext {
                    Extern::Func(p) => {
                        // SAFETY: resolver's contract: `p` is a live funcref.
                        let p = unsafe { &*p };
                        if p.type_id != expected {
                            return Err(incompatible(format!(
                                "expected function type {}, found {}",
                                sig_name(expected),
                                sig_name(p.type_id)
                            )));
                        }
                        VMFuncRef {
                            fn_ptr: p.fn_ptr,
                            vmctx: p.vmctx,
                            type_id: p.type_id,
                            _pad: 0,
                        }
                    }
                    Extern::HostFunc(p) => {
                        // Compiled code calls it through the type's host adapter (see the
                        // `kiln_abi` docs on calling conventions).
                        let adapter = d.types[f.type_index as usize].host_adapter;
                        if adapter.is_null() {
                            return Err(malformed());
                        }
                        let host = inst.host_funcs.get(index as usize).ok_or_else(malformed)?;
                        host.set(VMHostFunc {
                            host_fn: p,
                            vmctx: vmctx.raw(),
                        });
                        VMFuncRef {
                            fn_ptr: adapter,
                            vmctx: host.as_ptr().cast(),
                            type_id: expected,
                            _pad: 0,
                        }
                    }
                    _ => unreachable!(),
                };
                vmctx.set_funcref(index, funcref);
            }
            (extern_kind::TABLE, Extern::Table(t)) => {
                let td = d.tables.get(index as usize).ok_or_else(malformed)?;
                // SAFETY: resolver's contract: `t` is a live runtime table.
                let t_ref = unsafe { &*t };
                if t_ref.index64() != (td.index_type == index_type::I64) {
                    return Err(incompatible(format!(
                        "expected a table with {} indices, found one with {}",
                        index_type_name(td.index_type == index_type::I64),
                        index_type_name(t_ref.index64())
                    )));
                }
                // SAFETY: descriptor strings are UTF-8 (Instance::new's contract).
                let elem = unsafe { RefType::from_desc(&td.elem) };
                if u32::from(t_ref.elem_type()) == td.elem_type && t_ref.elem() != elem {
                    return Err(incompatible(format!(
                        "expected a table of {}, found one of {}",
                        elem.name(),
                        t_ref.elem().name()
                    )));
                }
                if u32::from(t_ref.elem_type()) != td.elem_type {
                    return Err(incompatible(format!(
                        "expected a table of {}, found one of {}",
                        valtype_name(td.elem_type as u8),
                        valtype_name(t_ref.elem_type())
                    )));
                }
                let declared_max = (td.max != NO_INDEX).then_some(td.max);
                check_limits(
                    t_ref.size().into(),
                    t_ref.max().map(u64::from),
                    td.min.into(),
                    declared_max.map(u64::from),
                )
                .map_err(|e| incompatible(format!("table {e}")))?;
                vmctx.set_table(index, Table::vm(t));
            }
            (extern_kind::MEMORY, Extern::Memory(m)) => {
                let md = d.memories.get(index as usize).ok_or_else(malformed)?;
                // SAFETY: resolver's contract: `m` is a live runtime memory.
                let m_ref = unsafe { &*m };
                if m_ref.index64() != (md.index_type == index_type::I64) {
                    return Err(incompatible(format!(
                        "expected a memory with {} addresses, found one with {}",
                        index_type_name(md.index_type == index_type::I64),
                        index_type_name(m_ref.index64())
                    )));
                }
                if m_ref.shared() != (md.shared != 0) {
                    let sharing = |s: bool| if s { "a shared" } else { "an unshared" };
                    return Err(incompatible(format!(
                        "expected {} memory, found {} one",
                        sharing(md.shared != 0),
                        sharing(m_ref.shared())
                    )));
                }
                let declared_max = (md.max_pages != u64::MAX).then_some(md.max_pages);
                check_limits(m_ref.pages(), m_ref.max_pages(), md.min_pages, declared_max)
                    .map_err(|e| incompatible(format!("memory {e}")))?;
                let guarded = d.bounds_checks == BoundsChecks::Guard as u32 && !m_ref.index64();
                if guarded && !m_ref.has_guard_reservation() {
                    return Err(incompatible(
                        "the memory has a small reservation (explicit bounds checks) but this \
                         module was compiled for guard pages"
                            .to_string(),
                    ));
                }
                vmctx.set_memory(index, Memory::vm(m));
            }
            (extern_kind::GLOBAL, Extern::Global(g, ty)) => {
                let gd = d.globals.get(index as usize).ok_or_else(malformed)?;
                // SAFETY: descriptor strings are UTF-8 (Instance::new's contract).
                let expected = unsafe { GlobalType::from_desc(gd) };
                if !ty.matches(expected) {
                    return Err(incompatible(format!(
                        "expected global {}, found global {}",
                        expected.name(),
                        ty.name()
                    )));
                }
                vmctx.set_global(index, value_from_bits(g as u64));
            }
            (extern_kind::TAG, Extern::Tag(identity, type_id)) => {
                let td = d.tags.get(index as usize).ok_or_else(malformed)?;
                if td.type_index >= vmctx.counts().types {
                    return Err(malformed());
                }
                let expected = vmctx.sig_id(td.type_index);
                if type_id != expected {
                    return Err(incompatible(format!(
                        "expected tag type {}, found {}",
                        sig_name(expected),
                        sig_name(type_id)
                    )));
                }
                vmctx.set_tag(index, identity);
            }
            (kind, ext) => {
                return Err(incompatible(format!(
                    "expected a {}, found a {}",
                    kind_name(kind),
                    kind_name(extern_kind_of(&ext))
                )))
            }
        }
        Ok(())
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
            let type_id = inst.vmctx.sig_id(f.type_index);
            inst.vmctx.set_funcref(
                i,
                VMFuncRef {
                    fn_ptr: f.body,
                    vmctx: inst.vmctx.raw(),
                    type_id,
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

    /// Evaluates a constant expression (global initialisers, table initialisers, segment
    /// offsets and element items): its operations on a value stack.
    pub fn eval(&self, e: &ConstExpr) -> Result<VMGlobal, String> {
        // SAFETY: descriptor contents are valid (Instance::new's contract).
        let ops = unsafe { e.ops.as_slice() };
        if let [op] = ops {
            // The common case, without a stack.
            return self.push_value(op);
        }
        let mut stack: Vec<VMGlobal> = Vec::with_capacity(ops.len());
        for op in ops {
            let arithmetic: Option<fn(u64, u64) -> u64> = match op.op {
                const_op::I32_ADD => Some(|a, b| (a as u32).wrapping_add(b as u32).into()),
                const_op::I32_SUB => Some(|a, b| (a as u32).wrapping_sub(b as u32).into()),
                const_op::I32_MUL => Some(|a, b| (a as u32).wrapping_mul(b as u32).into()),
                const_op::I64_ADD => Some(u64::wrapping_add),
                const_op::I64_SUB => Some(u64::wrapping_sub),
                const_op::I64_MUL => Some(u64::wrapping_mul),
                _ => None,
            };
            let value = match arithmetic {
                Some(f) => match (stack.pop(), stack.pop()) {
                    (Some(b), Some(a)) => value_from_bits(f(value_bits(&a), value_bits(&b))),
                    _ => return Err(malformed_const(op)),
                },
                None => self.push_value(op)?,
            };
            stack.push(value);
        }
        match stack.as_slice() {
            [value] => Ok(*value),
            _ => Err("malformed descriptor: a constant expression leaves no single value".into()),
        }
    }

    /// The value a non-arithmetic constant operation pushes.
    fn push_value(&self, op: &ConstOp) -> Result<VMGlobal, String> {
        let counts = self.vmctx.counts();
        match op.op {
            const_op::VALUE => Ok(VMGlobal { bytes: op.bits }),
            const_op::REF_NULL => Ok(value_from_bits(0)),
            const_op::GLOBAL_GET if op.index < counts.globals => {
                // SAFETY: our own slot, or an imported global's storage, which the resolver
                // guaranteed to be live.
                Ok(unsafe { self.global_ptr(op.index).read() })
            }
            const_op::REF_FUNC if op.index < counts.functions => {
                Ok(value_from_bits(self.vmctx.funcref_ptr(op.index) as u64))
            }
            _ => Err(malformed_const(op)),
        }
    }
}

fn malformed_const(op: &ConstOp) -> String {
    format!(
        "malformed descriptor: constant operation {{ op: {}, index: {} }}",
        op.op, op.index
    )
}

/// Calls `func` through the trampoline of its signature. `values` holds the arguments and
/// receives the results (16 bytes a value, see [`value_from_bits`]).
///
/// While compiled code runs, this frame owns nothing with a destructor, so a trap caught by
/// an enclosing [`crate::traps::call_protected`] abandons it harmlessly.
///
/// # Safety
/// `func` must be a live funcref and `values` must hold arguments of its parameter types.
pub unsafe fn invoke(func: *const VMFuncRef, values: &mut [VMGlobal]) -> Result<(), String> {
    // SAFETY: caller's contract.
    let f = unsafe { &*func };
    let (trampoline, needed) = call_info(f.type_id)?;
    if values.len() < needed {
        return Err(format!(
            "calling a function of type {} needs {needed} value slots",
            sig_name(f.type_id)
        ));
    }
    // SAFETY: the trampoline matches the function's signature; `values` is big enough.
    unsafe { trampoline(f.fn_ptr, f.vmctx, values.as_mut_ptr()) };
    Ok(())
}

/// The trampoline of signature `type_id` and how many value slots a call needs.
fn call_info(type_id: u32) -> Result<(kiln_abi::Trampoline, usize), String> {
    match (
        sig_registry::signature(type_id),
        sig_registry::trampoline(type_id),
    ) {
        (Some((params, results)), Some(trampoline)) => {
            Ok((trampoline, params.len().max(results.len())))
        }
        _ => Err(format!("funcref with unknown signature id {type_id}")),
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

fn index_type_name(index64: bool) -> &'static str {
    if index64 {
        "64-bit"
    } else {
        "32-bit"
    }
}

fn extern_kind_of(e: &Extern) -> u32 {
    match e {
        Extern::Func(_) | Extern::HostFunc(_) => extern_kind::FUNC,
        Extern::Table(_) => extern_kind::TABLE,
        Extern::Memory(_) => extern_kind::MEMORY,
        Extern::Global(..) => extern_kind::GLOBAL,
        Extern::Tag(..) => extern_kind::TAG,
    }
}

fn kind_name(kind: u32) -> &'static str {
    match kind {
        extern_kind::FUNC => "function",
        extern_kind::TABLE => "table",
        extern_kind::MEMORY => "memory",
        extern_kind::GLOBAL => "global",
        extern_kind::TAG => "tag",
        _ => "unknown kind",
    }
}

pub(crate) fn valtype_name(t: u8) -> &'static str {
    match t {
        valtype::I32 => "i32",
        valtype::I64 => "i64",
        valtype::F32 => "f32",
        valtype::F64 => "f64",
        valtype::V128 => "v128",
        valtype::FUNCREF => "funcref",
        valtype::EXTERNREF => "externref",
        valtype::EXNREF => "exnref",
        _ => "?",
    }
}

/// `[i32 i64] -> [f64]`
pub(crate) fn signature_name(params: &[u8], results: &[u8]) -> String {
    let list = |ts: &[u8]| {
        ts.iter()
            .map(|&t| valtype_name(t))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("[{}] -> [{}]", list(params), list(results))
}

fn sig_name(id: u32) -> String {
    match sig_registry::signature(id) {
        Some((p, r)) => signature_name(&p, &r),
        None => format!("#{id}"),
    }
}

#[cfg(test)]
mod tests;
