//! Builtins called by compiled code (names and signatures: [`kiln_abi::builtins`]; each
//! definition is checked against its listed type by a `const` below it).
//!
//! Each receives the calling instance's vmctx. Tables and memories are reached through the
//! vmctx arrays, so imported ones work. Bounds are checked in u64 arithmetic (addresses
//! of 32-bit memories and tables arrive zero-extended) before anything is written; the fallible builtins return 0 on success
//! and 1 on failure, and the compiled caller then traps.

use crate::bytes;
use crate::instance::{value_bits, InstanceData};
use crate::memory::Memory;
use crate::table::{self, Table};
use core::ptr;
use kiln_abi::builtins::fn_types;
use kiln_abi::{VMContext, VMMemory};

const OK: u32 = 0;
const TRAP: u32 = 1;

/// Memory `index` of the calling instance (own or imported), if it exists.
///
/// # Safety
/// `vmctx` must be the context of a live instance.
unsafe fn memory<'a>(vmctx: *mut VMContext, index: u32) -> Option<&'a mut VMMemory> {
    // SAFETY: caller's contract; the head's memory and the memory slots hold null or live
    // runtime memories.
    unsafe {
        if index == 0 {
            (*vmctx).memory.as_mut()
        } else {
            InstanceData::from_vmctx(vmctx)
                .memory(index)
                .map(|m| &mut *m)
        }
    }
}

/// `start..start + len` when it lies within `0..size`.
fn in_bounds(start: u64, len: u64, size: u64) -> Option<usize> {
    (start.checked_add(len)? <= size).then_some(start as usize)
}

/// # Safety
/// `vmctx` must be the context of a live instance (compiled code passes its own).
#[no_mangle]
pub unsafe extern "C" fn kiln_memory_grow(vmctx: *mut VMContext, index: u32, delta: u64) -> u64 {
    // SAFETY: caller's contract.
    let Some(vm) = (unsafe { memory(vmctx, index) }) else {
        return u64::MAX;
    };
    // SAFETY: every VMMemory given to an instance belongs to a runtime `Memory`; no other
    // reference to it is live while compiled code runs this builtin.
    let memory = unsafe { Memory::from_vm(vm) };
    memory.grow(delta).unwrap_or(u64::MAX)
}
const _: fn_types::MemoryGrow = kiln_memory_grow;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_memory_fill(
    vmctx: *mut VMContext,
    index: u32,
    dst: u64,
    value: u32,
    len: u64,
) -> u32 {
    // SAFETY: caller's contract.
    let Some(mem) = (unsafe { memory(vmctx, index) }) else {
        return TRAP;
    };
    let Some(dst) = in_bounds(dst, len, mem.length) else {
        return TRAP;
    };
    // SAFETY: `[dst, dst + len)` is inside the accessible part of the memory.
    unsafe { ptr::write_bytes(mem.base.add(dst), value as u8, len as usize) };
    OK
}
const _: fn_types::MemoryFill = kiln_memory_fill;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_memory_copy(
    vmctx: *mut VMContext,
    dst_index: u32,
    src_index: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // Within memory 0, the common case (every single-memory module): one load finds it.
    if dst_index == 0 && src_index == 0 {
        // SAFETY: caller's contract.
        return match unsafe { (*vmctx).memory.as_ref() } {
            // SAFETY: a live memory's base and length describe its accessible bytes.
            Some(m) => unsafe { copy_checked(m.base, m.length, m.base, m.length, dst, src, len) },
            None => TRAP,
        };
    }
    // SAFETY: caller's contract.
    unsafe { copy_between_memories(vmctx, dst_index, src_index, dst, src, len) }
}

/// [`kiln_memory_copy`] when a memory other than memory 0 is involved; kept out of line
/// so that the memory-0 path stays short.
///
/// # Safety
/// As for [`kiln_memory_grow`].
#[cold]
#[inline(never)]
unsafe fn copy_between_memories(
    vmctx: *mut VMContext,
    dst_index: u32,
    src_index: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: caller's contract (the two may be the same memory: only bases and lengths
    // are read).
    let memories = unsafe {
        memory(vmctx, dst_index)
            .map(|m| (m.base, m.length))
            .zip(memory(vmctx, src_index).map(|m| (m.base, m.length)))
    };
    let Some(((dst_base, dst_size), (src_base, src_size))) = memories else {
        return TRAP;
    };
    // SAFETY: as above.
    unsafe { copy_checked(dst_base, dst_size, src_base, src_size, dst, src, len) }
}

/// Copies `len` bytes from `src` in the memory at `src_base` (`src_size` bytes) to `dst`
/// in the one at `dst_base`, or traps when either range is out of bounds.
///
/// # Safety
/// Each base must point at that many accessible bytes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn copy_checked(
    dst_base: *mut u8,
    dst_size: u64,
    src_base: *mut u8,
    src_size: u64,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    let (Some(dst), Some(src)) = (in_bounds(dst, len, dst_size), in_bounds(src, len, src_size))
    else {
        return TRAP;
    };
    // SAFETY: both ranges are inside accessible memory; they may overlap (same memory).
    unsafe { bytes::move_bytes(dst_base.add(dst), src_base.add(src), len as usize) };
    OK
}
const _: fn_types::MemoryCopy = kiln_memory_copy;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_memory_init(
    vmctx: *mut VMContext,
    index: u32,
    segment: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: caller's contract.
    let (inst, mem) = unsafe { (InstanceData::from_vmctx(vmctx), memory(vmctx, index)) };
    let Some(mem) = mem else {
        return TRAP;
    };
    // SAFETY: descriptor slices are valid (Instance::new's contract).
    let Some(seg) = (unsafe { inst.desc.data.as_slice() }).get(segment as usize) else {
        return TRAP;
    };
    // A dropped segment behaves as if it were empty.
    let bytes: &[u8] = if inst.dropped_data[segment as usize].get() {
        &[]
    } else {
        // SAFETY: as above.
        unsafe { seg.bytes.as_slice() }
    };
    let (Some(dst), Some(src)) = (
        in_bounds(dst, len.into(), mem.length),
        in_bounds(src.into(), len.into(), bytes.len() as u64),
    ) else {
        return TRAP;
    };
    // SAFETY: the source range is inside the segment, the destination inside the memory.
    unsafe { ptr::copy_nonoverlapping(bytes.as_ptr().add(src), mem.base.add(dst), len as usize) };
    OK
}
const _: fn_types::MemoryInit = kiln_memory_init;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_data_drop(vmctx: *mut VMContext, segment: u32) {
    // SAFETY: caller's contract.
    let inst = unsafe { InstanceData::from_vmctx(vmctx) };
    if let Some(dropped) = inst.dropped_data.get(segment as usize) {
        dropped.set(true);
    }
}
const _: fn_types::DataDrop = kiln_data_drop;

/// A table index or length as u32 (tables have at most `u32::MAX` elements), if it fits.
fn narrow(x: u64) -> Option<u32> {
    u32::try_from(x).ok()
}

/// Table `index` of the calling instance.
///
/// # Safety
/// `vmctx` must be the context of a live instance, and no other reference to that table
/// may be live.
unsafe fn table<'a>(vmctx: *mut VMContext, index: u32) -> Option<&'a mut Table> {
    // SAFETY: caller's contract.
    let inst = unsafe { InstanceData::from_vmctx(vmctx) };
    // SAFETY: table slots hold live runtime tables; caller guarantees exclusivity.
    inst.table(index).map(|t| unsafe { &mut *t })
}

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_table_grow(
    vmctx: *mut VMContext,
    table_index: u32,
    init: usize,
    delta: u64,
) -> u64 {
    // SAFETY: caller's contract; nothing else borrows the table during the builtin.
    let grown = match (unsafe { table(vmctx, table_index) }, narrow(delta)) {
        (Some(t), Some(delta)) => t.grow(delta, init),
        _ => None,
    };
    grown.map_or(u64::MAX, u64::from)
}
const _: fn_types::TableGrow = kiln_table_grow;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_table_fill(
    vmctx: *mut VMContext,
    table_index: u32,
    dst: u64,
    value: usize,
    len: u64,
) -> u32 {
    // SAFETY: caller's contract; nothing else borrows the table during the builtin.
    let table = unsafe { table(vmctx, table_index) };
    match (table, narrow(dst), narrow(len)) {
        (Some(t), Some(dst), Some(len)) => {
            if t.fill(dst, value, len) {
                OK
            } else {
                TRAP
            }
        }
        _ => TRAP,
    }
}
const _: fn_types::TableFill = kiln_table_fill;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_table_copy(
    vmctx: *mut VMContext,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // Tables have at most u32::MAX elements: a wider operand is out of bounds.
    let (Some(dst), Some(src), Some(len)) = (narrow(dst), narrow(src), narrow(len)) else {
        return TRAP;
    };
    // SAFETY: caller's contract.
    let inst = unsafe { InstanceData::from_vmctx(vmctx) };
    let (Some(dt), Some(st)) = (inst.table(dst_table), inst.table(src_table)) else {
        return TRAP;
    };
    if dt == st {
        // SAFETY: a live runtime table, borrowed once.
        let t = unsafe { &mut *dt };
        let (Some(d), Some(s)) = (
            table::range(dst, len, t.size()),
            table::range(src, len, t.size()),
        ) else {
            return TRAP;
        };
        t.elements_mut().copy_within(s, d.start);
    } else {
        // SAFETY: two distinct live runtime tables (the same table imported twice has the
        // same pointer, handled above).
        let (d_t, s_t) = unsafe { (&mut *dt, &*st) };
        let (Some(d), Some(s)) = (
            table::range(dst, len, d_t.size()),
            table::range(src, len, s_t.size()),
        ) else {
            return TRAP;
        };
        d_t.elements_mut()[d].copy_from_slice(&s_t.elements()[s]);
    }
    OK
}
const _: fn_types::TableCopy = kiln_table_copy;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_table_init(
    vmctx: *mut VMContext,
    table_index: u32,
    segment: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    let Some(dst) = narrow(dst) else {
        return TRAP;
    };
    // SAFETY: caller's contract.
    let inst = unsafe { InstanceData::from_vmctx(vmctx) };
    // SAFETY: descriptor slices are valid (Instance::new's contract).
    let Some(seg) = (unsafe { inst.desc.elements.as_slice() }).get(segment as usize) else {
        return TRAP;
    };
    let items = if inst.dropped_elems[segment as usize].get() {
        &[]
    } else {
        // SAFETY: as above.
        unsafe { seg.items.as_slice() }
    };
    // SAFETY: caller's contract; nothing else borrows the table during the builtin.
    let Some(t) = (unsafe { table(vmctx, table_index) }) else {
        return TRAP;
    };
    let items_len = u32::try_from(items.len()).unwrap_or(u32::MAX);
    let (Some(d), Some(s)) = (
        table::range(dst, len, t.size()),
        table::range(src, len, items_len),
    ) else {
        return TRAP;
    };
    for (slot, item) in t.elements_mut()[d].iter_mut().zip(&items[s]) {
        match inst.eval(item) {
            Ok(v) => *slot = value_bits(&v) as usize,
            Err(_) => return TRAP,
        }
    }
    OK
}
const _: fn_types::TableInit = kiln_table_init;

/// # Safety
/// As for [`kiln_memory_grow`].
#[no_mangle]
pub unsafe extern "C" fn kiln_elem_drop(vmctx: *mut VMContext, segment: u32) {
    // SAFETY: caller's contract.
    let inst = unsafe { InstanceData::from_vmctx(vmctx) };
    if let Some(dropped) = inst.dropped_elems.get(segment as usize) {
        dropped.set(true);
    }
}
const _: fn_types::ElemDrop = kiln_elem_drop;

/// `memory.atomic.wait32` on a shared memory (compiled code checked bounds and alignment,
/// and that the memory is shared): 1 when the value differs; else nothing can notify
/// (Kiln runs one thread), so it waits out the timeout and returns 2 ("timed-out").
///
/// # Safety
/// `addr` must be a 4-aligned address inside a live memory.
#[no_mangle]
pub unsafe extern "C" fn kiln_memory_atomic_wait32(
    _vmctx: *mut VMContext,
    addr: usize,
    expected: u32,
    timeout: u64,
) -> u32 {
    // SAFETY: caller's contract; other threads only ever access it atomically.
    let value = unsafe { core::sync::atomic::AtomicU32::from_ptr(addr as *mut u32) };
    if value.load(core::sync::atomic::Ordering::SeqCst) != expected {
        return 1;
    }
    wait_out(timeout)
}
const _: fn_types::MemoryAtomicWait32 = kiln_memory_atomic_wait32;

/// `memory.atomic.wait64`: as [`kiln_memory_atomic_wait32`] for an 8-byte value.
///
/// # Safety
/// `addr` must be an 8-aligned address inside a live memory.
#[no_mangle]
pub unsafe extern "C" fn kiln_memory_atomic_wait64(
    _vmctx: *mut VMContext,
    addr: usize,
    expected: u64,
    timeout: u64,
) -> u32 {
    // SAFETY: caller's contract.
    let value = unsafe { core::sync::atomic::AtomicU64::from_ptr(addr as *mut u64) };
    if value.load(core::sync::atomic::Ordering::SeqCst) != expected {
        return 1;
    }
    wait_out(timeout)
}
const _: fn_types::MemoryAtomicWait64 = kiln_memory_atomic_wait64;

/// Sleeps for a wait's timeout in nanoseconds (an i64; negative is forever, which only
/// `--max-time` ends) and returns 2, "timed-out".
fn wait_out(timeout: u64) -> u32 {
    let timeout = timeout as i64;
    if timeout < 0 {
        loop {
            crate::sys::sleep_ms(u64::from(u32::MAX));
        }
    }
    crate::sys::sleep_ms((timeout as u64).div_ceil(1_000_000));
    2
}
