//! Linear memories: loads, stores, memory.size/grow and the bulk-memory instructions
//! (`v128` accesses are in `simd_memory.rs` and use the same address computation), for
//! any memory index and both address types.
//!
//! For a 32-bit memory in guard mode an access is `base + zext(addr) + offset` with no
//! check: the runtime's reservation (`abi::MEMORY_RESERVATION`) makes every such address
//! either mapped memory or a guard page, and the faulting access is a recorded trap site.
//! In explicit mode, and always for a 64-bit memory (no reservation can cover 64-bit
//! addresses), every access is compared against the current length first.
//!
//! Memory 0 is read from the `VMContext` head (its base cached there), any other through
//! the context's memory array: single-memory code is exactly as before.

use super::Translator;
use crate::builtins::Builtin;
use crate::error::Error;
use crate::index::MemoryIndex;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, TrapCode, Type, Value};
use kiln_abi::{self as abi, BoundsChecks};
use wasmparser::{MemArg, Operator};

/// How a load widens its value.
#[derive(Clone, Copy)]
enum Widen {
    None,
    Signed,
    Unsigned,
}

pub(super) fn heap_flags() -> MemFlagsData {
    MemFlagsData::new().with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS))
}

impl Translator<'_, '_> {
    pub(super) fn memory(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        use types::{F32, F64, I16, I32, I64, I8};
        use Operator::*;
        use Widen::{Signed, Unsigned};
        match *op {
            I32Load { memarg } => self.load(memarg, I32, I32, Widen::None),
            I64Load { memarg } => self.load(memarg, I64, I64, Widen::None),
            F32Load { memarg } => self.load(memarg, F32, F32, Widen::None),
            F64Load { memarg } => self.load(memarg, F64, F64, Widen::None),
            I32Load8S { memarg } => self.load(memarg, I8, I32, Signed),
            I32Load8U { memarg } => self.load(memarg, I8, I32, Unsigned),
            I32Load16S { memarg } => self.load(memarg, I16, I32, Signed),
            I32Load16U { memarg } => self.load(memarg, I16, I32, Unsigned),
            I64Load8S { memarg } => self.load(memarg, I8, I64, Signed),
            I64Load8U { memarg } => self.load(memarg, I8, I64, Unsigned),
            I64Load16S { memarg } => self.load(memarg, I16, I64, Signed),
            I64Load16U { memarg } => self.load(memarg, I16, I64, Unsigned),
            I64Load32S { memarg } => self.load(memarg, I32, I64, Signed),
            I64Load32U { memarg } => self.load(memarg, I32, I64, Unsigned),
            I32Store { memarg } | F32Store { memarg } => self.store(memarg, 4),
            I64Store { memarg } | F64Store { memarg } => self.store(memarg, 8),
            I32Store8 { memarg } | I64Store8 { memarg } => self.store(memarg, 1),
            I32Store16 { memarg } | I64Store16 { memarg } => self.store(memarg, 2),
            I64Store32 { memarg } => self.store(memarg, 4),
            MemorySize { mem } => {
                let mem = MemoryIndex::from_u32(mem);
                let length = self.memory_length(mem);
                let pages = self.b.ins().ushr_imm_u(length, 16);
                let pages = self.narrow_to_address(mem, pages);
                self.push(pages);
            }
            MemoryGrow { mem } => {
                let delta = self.pop();
                let delta = self.widen(delta);
                let index = self.b.ins().iconst(I32, mem as i64);
                let old = self.call_builtin(Builtin::MemoryGrow, &[index, delta]);
                let old = self.narrow_to_address(MemoryIndex::from_u32(mem), old.unwrap());
                self.push(old);
            }
            MemoryFill { mem } => {
                let (dst, value, len) = self.pop3();
                let (dst, len) = (self.widen(dst), self.widen(len));
                let index = self.b.ins().iconst(I32, mem as i64);
                self.call_fallible_builtin(Builtin::MemoryFill, &[index, dst, value, len]);
            }
            MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                let (dst, src, len) = (self.widen(dst), self.widen(src), self.widen(len));
                let dst_index = self.b.ins().iconst(I32, dst_mem as i64);
                let src_index = self.b.ins().iconst(I32, src_mem as i64);
                let args = [dst_index, src_index, dst, src, len];
                self.call_fallible_builtin(Builtin::MemoryCopy, &args);
            }
            MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let dst = self.widen(dst);
                let index = self.b.ins().iconst(I32, mem as i64);
                let segment = self.b.ins().iconst(I32, data_index as i64);
                let args = [index, segment, dst, src, len];
                self.call_fallible_builtin(Builtin::MemoryInit, &args);
            }
            DataDrop { data_index } => {
                let segment = self.b.ins().iconst(I32, data_index as i64);
                self.call_builtin(Builtin::DataDrop, &[segment]);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn load(&mut self, memarg: MemArg, mem_ty: Type, result_ty: Type, extend: Widen) {
        let (addr, offset) = self.heap_address(memarg, mem_ty.bytes());
        let flags = heap_flags();
        let ins = self.b.ins();
        let value = match (extend, mem_ty.bits()) {
            (Widen::None, _) => ins.load(result_ty, flags, addr, offset),
            (Widen::Signed, 8) => ins.sload8(result_ty, flags, addr, offset),
            (Widen::Unsigned, 8) => ins.uload8(result_ty, flags, addr, offset),
            (Widen::Signed, 16) => ins.sload16(result_ty, flags, addr, offset),
            (Widen::Unsigned, 16) => ins.uload16(result_ty, flags, addr, offset),
            (Widen::Signed, _) => ins.sload32(flags, addr, offset),
            (Widen::Unsigned, _) => ins.uload32(flags, addr, offset),
        };
        self.push(value);
    }

    fn store(&mut self, memarg: MemArg, bytes: u32) {
        let value = self.pop();
        let (addr, offset) = self.heap_address(memarg, bytes);
        let flags = heap_flags();
        let value_bytes = self.b.func.dfg.value_type(value).bytes();
        let ins = self.b.ins();
        match bytes {
            _ if bytes == value_bytes => ins.store(flags, value, addr, offset),
            1 => ins.istore8(flags, value, addr, offset),
            2 => ins.istore16(flags, value, addr, offset),
            _ => ins.istore32(flags, value, addr, offset),
        };
    }

    /// Pops the address operand and returns the native pointer and immediate offset for
    /// an access of `size` bytes, emitting the bounds check where one is needed.
    pub(super) fn heap_address(&mut self, memarg: MemArg, size: u32) -> (Value, i32) {
        self.heap_address_checked(memarg, size, false)
    }

    /// [`Self::heap_address`], with the bounds check also in guard mode when `always`
    /// (for operations that touch no memory in compiled code, so cannot fault).
    pub(super) fn heap_address_checked(
        &mut self,
        memarg: MemArg,
        size: u32,
        always: bool,
    ) -> (Value, i32) {
        let mem = MemoryIndex::from_u32(memarg.memory);
        let memory64 = self.m.env.memories[mem].memory64;
        let index = self.pop();
        let index = self.widen(index);
        if always || memory64 || self.m.bounds_checks == BoundsChecks::Explicit {
            let length = self.memory_length(mem);
            // A 32-bit memory's `index + offset + size` cannot overflow 64 bits; a 64-bit
            // memory's can, and then the access is out of bounds.
            let end = if memory64 {
                let mut end = index;
                for reach in [memarg.offset, size.into()] {
                    let reach = self.b.ins().iconst(types::I64, reach as i64);
                    end = self
                        .b
                        .ins()
                        .uadd_overflow_trap(end, reach, TrapCode::HEAP_OUT_OF_BOUNDS);
                }
                end
            } else {
                let reach = memarg.offset + u64::from(size);
                self.b.ins().iadd_imm_u(index, reach as i64)
            };
            let out_of_bounds = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
            self.trap_if(out_of_bounds, TrapCode::HEAP_OUT_OF_BOUNDS);
        }
        let base = self.memory_base(mem);
        let addr = self.b.ins().iadd(base, index);
        match i32::try_from(memarg.offset) {
            Ok(offset) => (addr, offset),
            Err(_) => {
                let offset = self.b.ins().iconst(types::I64, memarg.offset as i64);
                (self.b.ins().iadd(addr, offset), 0)
            }
        }
    }

    /// An address, length or size operand as u64 (32-bit ones zero-extended).
    pub(super) fn widen(&mut self, value: Value) -> Value {
        if self.b.func.dfg.value_type(value) == types::I64 {
            value
        } else {
            self.b.ins().uextend(types::I64, value)
        }
    }

    /// A u64 page count or size as memory `mem`'s address type.
    fn narrow_to_address(&mut self, mem: MemoryIndex, value: Value) -> Value {
        if self.m.env.memories[mem].memory64 {
            value
        } else {
            self.b.ins().ireduce(types::I32, value)
        }
    }

    /// The `VMMemory` of memory `mem` (own or imported); the pointer is fixed per instance.
    fn vmmemory(&mut self, mem: MemoryIndex) -> Value {
        if mem.as_u32() == 0 {
            self.vmctx_fixed(abi::VMCTX_MEMORY)
        } else {
            self.vmctx_fixed(self.m.layout.memory(mem.as_u32()))
        }
    }

    /// The base address of memory `mem`, which never moves.
    fn memory_base(&mut self, mem: MemoryIndex) -> Value {
        if mem.as_u32() == 0 {
            return self.vmctx_fixed(abi::VMCTX_MEMORY_BASE);
        }
        let memory = self.vmmemory(mem);
        self.b.ins().load(
            types::I64,
            super::fixed_flags(),
            memory,
            abi::VMMEMORY_BASE as i32,
        )
    }

    /// The current size of memory `mem` in bytes (it changes with memory.grow, so never
    /// cached).
    fn memory_length(&mut self, mem: MemoryIndex) -> Value {
        let memory = self.vmmemory(mem);
        self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            memory,
            abi::VMMEMORY_LENGTH as i32,
        )
    }
}
