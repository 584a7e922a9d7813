//! Tables of references. Elements are pointer-sized: `*const VMFuncRef` for funcref tables,
//! an opaque host value for externref tables; 0 is the null reference.

use crate::limits;
use crate::prelude::*;
use crate::types::RefType;
use kiln_abi::{heap_type, valtype, VMTable};

/// Most elements a table may have in this runtime. The spec lets `table.grow` fail for any
/// reason; without a cap, `table.grow` by `0xffff_fff0` would try to allocate 32 GiB.
pub const MAX_TABLE_ELEMENTS: u32 = 10_000_000;

/// A table owned by the runtime.
///
/// `#[repr(C)]` with the [`VMTable`] first: compiled code and importing instances hold a
/// `*mut VMTable` that is also a `*mut Table` (see [`Table::from_vm`]). `vm.elements` and
/// `vm.length` always mirror `elements` (they change when the table grows).
#[repr(C)]
pub struct Table {
    vm: VMTable,
    elem_type: u8,
    max: Option<u32>,
    elements: Vec<usize>,
    /// A 64-bit table (table64): i64 element indices in compiled code.
    index64: bool,
    /// The element type exactly (typed function references).
    elem: RefType,
}

impl Table {
    /// A table of `min` elements, each `init`.
    pub fn new(
        elem_type: u8,
        min: u32,
        max: Option<u32>,
        init: usize,
    ) -> Result<Box<Table>, String> {
        if min > MAX_TABLE_ELEMENTS {
            return Err(format!(
                "table minimum of {min} elements exceeds the runtime's limit of {MAX_TABLE_ELEMENTS}"
            ));
        }
        let mut elements = Vec::new();
        elements
            .try_reserve_exact(min as usize)
            .map_err(|e| format!("cannot allocate a table of {min} elements: {e}"))?;
        let bytes = u64::from(min) * limits::TABLE_ELEMENT_BYTES;
        if !limits::charge(bytes) {
            return Err(limits::over_budget(
                &format!("a table of {min} elements"),
                bytes,
            ));
        }
        elements.resize(min as usize, init);
        let mut table = Box::new(Table {
            vm: VMTable {
                elements: core::ptr::null_mut(),
                length: 0,
                _pad: 0,
            },
            elem_type,
            max,
            elements,
            index64: false,
            elem: RefType {
                heap: if elem_type == valtype::EXTERNREF {
                    heap_type::EXTERN
                } else {
                    heap_type::FUNC
                },
                nullable: true,
                key: "",
            },
        });
        table.sync();
        Ok(table)
    }

    /// The same table with 64-bit element indices (table64).
    pub fn with_index64(mut self: Box<Self>, index64: bool) -> Box<Self> {
        self.index64 = index64;
        self
    }

    pub fn index64(&self) -> bool {
        self.index64
    }

    /// The same table with elements of exactly `elem` (by default `funcref` or
    /// `externref`, after its family).
    pub fn with_elem(mut self: Box<Self>, elem: RefType) -> Box<Self> {
        self.elem = elem;
        self
    }

    pub fn elem(&self) -> RefType {
        self.elem
    }

    /// The table behind a `VMTable` created by this runtime.
    ///
    /// # Safety
    /// `vm` must point at the `VMTable` inside a live [`Table`], not otherwise borrowed.
    pub unsafe fn from_vm<'a>(vm: *mut VMTable) -> &'a mut Table {
        // SAFETY: `vm` is the first field of a `#[repr(C)]` Table (caller's contract).
        unsafe { &mut *vm.cast::<Table>() }
    }

    /// The `VMTable` to hand to compiled code.
    pub fn vm(table: *mut Table) -> *mut VMTable {
        table.cast()
    }

    /// Re-publishes the element storage to compiled code.
    fn sync(&mut self) {
        self.vm.elements = self.elements.as_mut_ptr();
        self.vm.length = self.elements.len() as u32;
    }

    /// [`kiln_abi::valtype::FUNCREF`] or [`kiln_abi::valtype::EXTERNREF`].
    pub fn elem_type(&self) -> u8 {
        self.elem_type
    }

    pub fn size(&self) -> u32 {
        self.elements.len() as u32
    }

    /// The declared maximum (`None`: unbounded).
    pub fn max(&self) -> Option<u32> {
        self.max
    }

    pub fn elements(&self) -> &[usize] {
        &self.elements
    }

    pub fn elements_mut(&mut self) -> &mut [usize] {
        &mut self.elements
    }

    /// `table.grow`: the old size, or `None` past the maximum, the runtime's limit or the
    /// `--max-memory` budget, or when memory runs out.
    pub fn grow(&mut self, delta: u32, init: usize) -> Option<u32> {
        let old = self.size();
        let limit = self.max.unwrap_or(u32::MAX).min(MAX_TABLE_ELEMENTS);
        let new = old.checked_add(delta).filter(|&n| n <= limit)?;
        let bytes = u64::from(delta) * limits::TABLE_ELEMENT_BYTES;
        if !limits::charge(bytes) {
            return None;
        }
        if self.elements.try_reserve_exact(delta as usize).is_err() {
            limits::release(bytes);
            return None;
        }
        self.elements.resize(new as usize, init);
        self.sync();
        Some(old)
    }

    /// `table.fill`; `false` when `[dst, dst + len)` is out of bounds (nothing written).
    pub fn fill(&mut self, dst: u32, value: usize, len: u32) -> bool {
        match range(dst, len, self.size()) {
            Some(r) => {
                self.elements[r].fill(value);
                true
            }
            None => false,
        }
    }
}

/// `start..start + len` when it lies within `0..size` (u64 arithmetic: no overflow).
pub(crate) fn range(start: u32, len: u32, size: u32) -> Option<core::ops::Range<usize>> {
    let end = u64::from(start) + u64::from(len);
    (end <= u64::from(size)).then_some(start as usize..end as usize)
}

impl Drop for Table {
    fn drop(&mut self) {
        limits::release(self.elements.len() as u64 * limits::TABLE_ELEMENT_BYTES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_abi::valtype::{EXTERNREF, FUNCREF};

    #[test]
    fn grow_respects_max_and_republishes_storage() {
        let mut t = Table::new(FUNCREF, 2, Some(4), 0).unwrap();
        assert_eq!(t.size(), 2);
        assert_eq!(t.grow(1, 7), Some(2));
        assert_eq!(t.elements(), &[0, 0, 7]);
        let vm = Table::vm(&mut *t);
        // SAFETY: `vm` points into the live table.
        unsafe {
            assert_eq!((*vm).length, 3);
            assert_eq!(*(*vm).elements.add(2), 7);
        }
        assert_eq!(t.grow(2, 0), None);
        assert_eq!(t.grow(1, 0), Some(3));
        assert_eq!(t.grow(0, 0), Some(4));
        assert_eq!(t.grow(1, 0), None);
    }

    #[test]
    fn unbounded_grow_is_capped() {
        let mut t = Table::new(EXTERNREF, 0, None, 0).unwrap();
        assert_eq!(t.grow(0xffff_fff0, 0), None);
        assert_eq!(t.grow(u32::MAX, 0), None);
        assert_eq!(t.grow(800, 3), Some(0));
        assert!(Table::new(FUNCREF, MAX_TABLE_ELEMENTS + 1, None, 0).is_err());
    }

    #[test]
    fn fill_is_bounds_checked() {
        let mut t = Table::new(EXTERNREF, 4, None, 0).unwrap();
        assert!(t.fill(1, 9, 3));
        assert_eq!(t.elements(), &[0, 9, 9, 9]);
        assert!(!t.fill(2, 5, 3));
        assert_eq!(t.elements(), &[0, 9, 9, 9], "nothing written on failure");
        assert!(t.fill(4, 5, 0), "len 0 at the end is fine");
        assert!(!t.fill(5, 5, 0));
        assert!(!t.fill(u32::MAX, 5, u32::MAX));
    }
}
