//! Owning access to one instance's `VMContext` and the arrays behind it, with every offset
//! taken from [`VMContextLayout`] and every index checked against the module's counts.

use alloc::alloc::{self as heap, Layout};
use core::ffi::c_void;
use core::ptr::NonNull;
use kiln_abi::{VMContext, VMContextLayout, VMCounts, VMFuncRef, VMGlobal, VMMemory, VMTable};

/// How many entries each array after the head has.
pub(crate) type Counts = VMCounts;

pub(crate) struct Vmctx {
    ptr: NonNull<VMContext>,
    layout: VMContextLayout,
    counts: Counts,
}

impl Vmctx {
    /// A zeroed context (null memory, null funcrefs, zero globals).
    pub fn new(counts: Counts) -> Vmctx {
        let layout = VMContextLayout::new(counts);
        let alloc_layout = Self::alloc_layout(&layout);
        // SAFETY: the size is at least size_of::<VMContext>() > 0.
        let raw = unsafe { heap::alloc_zeroed(alloc_layout) };
        let Some(ptr) = NonNull::new(raw.cast::<VMContext>()) else {
            heap::handle_alloc_error(alloc_layout)
        };
        Vmctx {
            ptr,
            layout,
            counts,
        }
    }

    fn alloc_layout(layout: &VMContextLayout) -> Layout {
        Layout::from_size_align(layout.size as usize, 16).expect("VMContext size overflows")
    }

    /// Frees the context.
    ///
    /// # Safety
    /// Nothing (compiled code, funcrefs in other instances' tables) may use it any more.
    pub unsafe fn free(&self) {
        // SAFETY: allocated in `new` with this layout (caller guarantees no further use).
        unsafe { heap::dealloc(self.ptr.as_ptr().cast(), Self::alloc_layout(&self.layout)) };
    }

    pub fn raw(&self) -> *mut VMContext {
        self.ptr.as_ptr()
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Address of the field at `offset` (always inside the allocation: callers pass
    /// offsets of checked indices).
    fn field<T>(&self, offset: u32) -> *mut T {
        self.ptr
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(offset as usize)
            .cast()
    }

    // --- head -------------------------------------------------------------------------

    pub fn set_instance(&self, instance: *mut c_void) {
        // SAFETY: the head is in bounds and aligned; we own the allocation.
        unsafe { (*self.raw()).instance = instance };
    }

    /// The address of the `stack_limit` field, which another thread may write to
    /// interrupt the instance (see `limits`).
    pub fn stack_limit_ptr(&self) -> *mut usize {
        // SAFETY: as in `set_instance`.
        unsafe { &raw mut (*self.raw()).stack_limit }
    }

    pub fn set_stack_limit(&self, limit: usize) {
        // SAFETY: as in `set_instance`.
        unsafe { (*self.raw()).stack_limit = limit };
    }

    /// Memory `index`; memory 0 also goes into the head, with its (never moving) base.
    pub fn set_memory(&self, index: u32, memory: *mut VMMemory) {
        assert!(index < self.counts.memories, "memory index out of range");
        // SAFETY: in bounds (checked), 8-aligned, owned by us; a memory given to an
        // instance is live.
        unsafe {
            self.field::<*mut VMMemory>(self.layout.memory(index))
                .write(memory);
            if index == 0 {
                (*self.raw()).memory = memory;
                (*self.raw()).memory_base = (*memory).base;
            }
        }
    }

    /// Memory `index` (null until linked).
    pub fn memory(&self, index: u32) -> *mut VMMemory {
        assert!(index < self.counts.memories, "memory index out of range");
        // SAFETY: in bounds (checked), 8-aligned.
        unsafe {
            self.field::<*mut VMMemory>(self.layout.memory(index))
                .read()
        }
    }

    // --- arrays -----------------------------------------------------------------------

    pub fn funcref_ptr(&self, index: u32) -> *mut VMFuncRef {
        assert!(index < self.counts.functions, "function index out of range");
        self.field(self.layout.funcref(index))
    }

    pub fn funcref(&self, index: u32) -> VMFuncRef {
        // SAFETY: in bounds (checked), 8-aligned, plain data.
        unsafe { self.funcref_ptr(index).read() }
    }

    pub fn set_funcref(&self, index: u32, funcref: VMFuncRef) {
        // SAFETY: in bounds (checked), 8-aligned, owned by us.
        unsafe { self.funcref_ptr(index).write(funcref) };
    }

    pub fn sig_id(&self, type_index: u32) -> u32 {
        assert!(type_index < self.counts.types, "type index out of range");
        // SAFETY: in bounds (checked), 4-aligned.
        unsafe { self.field::<u32>(self.layout.sig_id(type_index)).read() }
    }

    pub fn set_sig_id(&self, type_index: u32, id: u32) {
        assert!(type_index < self.counts.types, "type index out of range");
        // SAFETY: in bounds (checked), 4-aligned, owned by us.
        unsafe { self.field::<u32>(self.layout.sig_id(type_index)).write(id) };
    }

    pub fn table(&self, index: u32) -> *mut VMTable {
        assert!(index < self.counts.tables, "table index out of range");
        // SAFETY: in bounds (checked), 8-aligned.
        unsafe { self.field::<*mut VMTable>(self.layout.table(index)).read() }
    }

    pub fn set_table(&self, index: u32, table: *mut VMTable) {
        assert!(index < self.counts.tables, "table index out of range");
        // SAFETY: in bounds (checked), 8-aligned, owned by us.
        unsafe {
            self.field::<*mut VMTable>(self.layout.table(index))
                .write(table)
        };
    }

    /// The slot of global `index`: its value for a defined global, a pointer to the
    /// exporter's storage for an imported one.
    pub fn global_slot(&self, index: u32) -> *mut VMGlobal {
        assert!(index < self.counts.globals, "global index out of range");
        self.field(self.layout.global(index))
    }

    pub fn global(&self, index: u32) -> VMGlobal {
        // SAFETY: in bounds (checked), 16-aligned, plain data.
        unsafe { self.global_slot(index).read() }
    }

    pub fn set_global(&self, index: u32, value: VMGlobal) {
        // SAFETY: in bounds (checked), 16-aligned, owned by us.
        unsafe { self.global_slot(index).write(value) };
    }

    /// The slot of tag `index`, whose address is the identity of a tag this instance
    /// defines (see `kiln_abi::exception`).
    pub fn tag_slot(&self, index: u32) -> *mut *const u8 {
        assert!(index < self.counts.tags, "tag index out of range");
        self.field(self.layout.tag(index))
    }

    /// The identity of tag `index` (own or imported).
    pub fn tag(&self, index: u32) -> *const u8 {
        // SAFETY: in bounds (checked), aligned, plain data.
        unsafe { self.tag_slot(index).read() }
    }

    pub fn set_tag(&self, index: u32, identity: *const u8) {
        // SAFETY: in bounds (checked), aligned, owned by us.
        unsafe { self.tag_slot(index).write(identity) };
    }
}
