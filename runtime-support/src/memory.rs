//! Linear memories: a fixed reservation of [`abi::MEMORY_RESERVATION`] bytes whose first
//! `pages * 64 KiB` are read-write. The rest stays inaccessible, so in guard mode every
//! out-of-bounds access compiled code can form faults. The base never moves.

use crate::limits;
use crate::prelude::*;
use crate::sys;
use kiln_abi::{self as abi, VMMemory, MAX_WASM_PAGES, MAX_WASM_PAGES_64, WASM_PAGE_SIZE};

/// A linear memory owned by the runtime.
///
/// `#[repr(C)]` with the [`VMMemory`] first: compiled code and importing instances hold a
/// `*mut VMMemory` that is also a `*mut Memory` (see [`Memory::from_vm`]).
#[repr(C)]
pub struct Memory {
    vm: VMMemory,
    /// The declared maximum, if any.
    max_pages: Option<u64>,
    reservation: usize,
    /// A 64-bit memory (memory64): i64 addresses, up to [`MAX_WASM_PAGES_64`] pages.
    index64: bool,
    /// A shared memory (threads): only matters for import matching and `wait`, as Kiln
    /// runs one thread.
    shared: bool,
}

impl Memory {
    /// A memory for guard-mode code: reserves [`abi::MEMORY_RESERVATION`] bytes and makes
    /// `min_pages` accessible.
    pub fn new(min_pages: u64, max_pages: Option<u64>) -> Result<Box<Memory>, String> {
        Self::with_reservation(min_pages, max_pages, abi::MEMORY_RESERVATION, false)
    }

    /// A memory that can never grow past `reservation` bytes (for explicitly checked
    /// code: small address spaces, 64-bit memories).
    pub fn with_reservation(
        min_pages: u64,
        max_pages: Option<u64>,
        reservation: u64,
        index64: bool,
    ) -> Result<Box<Memory>, String> {
        let page_limit = if index64 {
            MAX_WASM_PAGES_64
        } else {
            MAX_WASM_PAGES
        };
        if min_pages > page_limit {
            return Err(format!(
                "memory minimum of {min_pages} pages exceeds {page_limit}"
            ));
        }
        let reservation = reservation
            .max(min_pages * WASM_PAGE_SIZE)
            .div_ceil(WASM_PAGE_SIZE)
            .saturating_mul(WASM_PAGE_SIZE)
            .max(WASM_PAGE_SIZE);
        let reservation = usize::try_from(reservation)
            .map_err(|_| "memory reservation exceeds the address space".to_string())?;
        let base = sys::reserve(reservation)
            .map_err(|e| format!("cannot reserve address space for a linear memory: {e}"))?;
        // From here on, dropping `memory` releases the reservation.
        let mut memory = Box::new(Memory {
            vm: VMMemory { base, length: 0 },
            max_pages,
            reservation,
            index64,
            shared: false,
        });
        if memory.grow(min_pages).is_none() {
            let bytes = min_pages * WASM_PAGE_SIZE;
            if !limits::fits(bytes) {
                return Err(limits::over_budget("its linear memory", bytes));
            }
            return Err(format!(
                "cannot commit {min_pages} pages for a linear memory"
            ));
        }
        Ok(memory)
    }

    /// The memory behind a `VMMemory` created by this runtime.
    ///
    /// # Safety
    /// `vm` must point at the `VMMemory` inside a live [`Memory`].
    pub unsafe fn from_vm<'a>(vm: *mut VMMemory) -> &'a mut Memory {
        // SAFETY: `vm` is the first field of a `#[repr(C)]` Memory (caller's contract).
        unsafe { &mut *vm.cast::<Memory>() }
    }

    /// The `VMMemory` to hand to compiled code.
    pub fn vm(memory: *mut Memory) -> *mut VMMemory {
        memory.cast()
    }

    pub fn base(&self) -> *mut u8 {
        self.vm.base
    }

    /// Current accessible size in bytes.
    pub fn byte_len(&self) -> u64 {
        self.vm.length
    }

    pub fn pages(&self) -> u64 {
        self.vm.length / WASM_PAGE_SIZE
    }

    /// The declared maximum (`None`: unbounded, i.e. [`MAX_WASM_PAGES`]).
    pub fn max_pages(&self) -> Option<u64> {
        self.max_pages
    }

    /// A 64-bit memory (memory64).
    pub fn index64(&self) -> bool {
        self.index64
    }

    /// The same memory, shared (threads).
    pub fn with_shared(mut self: Box<Self>, shared: bool) -> Box<Self> {
        self.shared = shared;
        self
    }

    pub fn shared(&self) -> bool {
        self.shared
    }

    /// Whether guard-mode code may use this memory: its reservation covers every address
    /// such code can form.
    pub fn has_guard_reservation(&self) -> bool {
        self.reservation as u64 >= abi::MEMORY_RESERVATION
    }

    /// `memory.grow`: the old size in pages, or `None` past the maximum, beyond the
    /// `--max-memory` budget, or when the OS refuses to commit more.
    pub fn grow(&mut self, delta_pages: u64) -> Option<u64> {
        let old = self.pages();
        let page_limit = if self.index64 {
            MAX_WASM_PAGES_64
        } else {
            MAX_WASM_PAGES
        };
        let limit = self.max_pages.unwrap_or(page_limit).min(page_limit);
        let new = old.checked_add(delta_pages).filter(|&n| n <= limit)?;
        let old_len = self.vm.length;
        let new_len = new * WASM_PAGE_SIZE;
        if new_len > self.reservation as u64 || !limits::charge(new_len - old_len) {
            return None;
        }
        // SAFETY: `[old_len, new_len)` lies inside our reservation (checked above), and
        // both ends are page-aligned.
        let committed = unsafe {
            sys::commit(
                self.vm.base.wrapping_add(old_len as usize),
                (new_len - old_len) as usize,
            )
        };
        if committed.is_err() {
            limits::release(new_len - old_len);
            return None;
        }
        self.vm.length = new_len;
        Some(old)
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: the reservation is ours; whoever drops the memory guarantees no instance
        // uses it any more.
        unsafe { sys::release(self.vm.base, self.reservation) };
        limits::release(self.vm.length);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_grow_and_max() {
        let mut m = Memory::new(1, Some(3)).unwrap();
        assert_eq!(m.pages(), 1);
        assert_eq!(m.byte_len(), WASM_PAGE_SIZE);
        // SAFETY: the first page is committed read-write.
        unsafe {
            let p = m.base();
            assert_eq!(*p.add(65535), 0);
            *p.add(65535) = 7;
        }
        let base = m.base();
        assert_eq!(m.grow(0), Some(1));
        assert_eq!(m.grow(2), Some(1));
        assert_eq!(m.pages(), 3);
        assert_eq!(m.base(), base, "the base never moves");
        // SAFETY: pages 0..3 are committed.
        unsafe {
            assert_eq!(*m.base().add(65535), 7);
            *m.base().add(3 * 65536 - 1) = 1;
        }
        assert_eq!(m.grow(1), None);
        assert_eq!(m.pages(), 3);
        assert_eq!(m.grow(u64::MAX), None);
    }

    #[test]
    fn unbounded_memory_stops_at_4_gib() {
        let mut m = Memory::new(0, None).unwrap();
        assert_eq!(m.pages(), 0);
        assert_eq!(m.grow(MAX_WASM_PAGES + 1), None);
        // Committing 4 GiB of untouched, NORESERVE memory costs nothing.
        assert_eq!(m.grow(MAX_WASM_PAGES), Some(0));
        assert_eq!(m.byte_len(), 1 << 32);
        assert_eq!(m.grow(1), None);
        assert_eq!(m.grow(0), Some(MAX_WASM_PAGES));
    }

    #[test]
    fn a_small_reservation_limits_growth() {
        let mut m = Memory::with_reservation(1, None, 3 * WASM_PAGE_SIZE, false).unwrap();
        assert!(!m.has_guard_reservation());
        assert_eq!(m.grow(2), Some(1));
        assert_eq!(m.grow(1), None);
        assert_eq!(m.pages(), 3);
        assert!(Memory::new(0, None).unwrap().has_guard_reservation());
    }

    #[test]
    fn minimum_above_4_gib_is_rejected() {
        assert!(Memory::new(MAX_WASM_PAGES + 1, None).is_err());
    }

    #[test]
    fn a_64_bit_memory_grows_past_4_gib_within_its_reservation() {
        let reservation = 6 << 30;
        let mut m = Memory::with_reservation(1, None, reservation, true).unwrap();
        // 5 GiB: past what a 32-bit memory may have; untouched NORESERVE pages cost nothing.
        assert_eq!(m.grow(5 * (1 << 14) - 1), Some(1));
        assert_eq!(m.byte_len(), 5 << 30);
        // SAFETY: the last byte of the 5 GiB is committed.
        unsafe {
            *m.base().add((5 << 30) - 1) = 9;
            assert_eq!(*m.base().add((5 << 30) - 1), 9);
        }
        assert_eq!(m.grow((1 << 14) + 1), None, "past the reservation");
    }
}
