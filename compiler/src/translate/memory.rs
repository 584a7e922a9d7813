//! Linear memory: loads, stores, memory.size/grow and the bulk-memory instructions
//! (`v128` accesses are in `simd_memory.rs` and use the same address computation).
//!
//! In guard mode an access is `base + zext(addr) + offset` with no check: the runtime's
//! reservation (`abi::MEMORY_RESERVATION`) makes every such address either mapped
//! memory or a guard page, and the faulting access is a recorded trap site. In explicit
//! mode every access is compared against the current length first.

use super::Translator;
use crate::builtins::Builtin;
use crate::error::Error;
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
            MemorySize { .. } => {
                let length = self.memory_length();
                let pages = self.b.ins().ushr_imm_u(length, 16);
                let pages = self.b.ins().ireduce(I32, pages);
                self.push(pages);
            }
            MemoryGrow { .. } => {
                let delta = self.pop();
                let old = self.call_builtin(Builtin::MemoryGrow, &[delta]).unwrap();
                self.push(old);
            }
            MemoryFill { .. } => {
                let (dst, value, len) = self.pop3();
                self.call_fallible_builtin(Builtin::MemoryFill, &[dst, value, len]);
            }
            MemoryCopy { .. } => {
                let (dst, src, len) = self.pop3();
                self.call_fallible_builtin(Builtin::MemoryCopy, &[dst, src, len]);
            }
            MemoryInit { data_index, .. } => {
                let (dst, src, len) = self.pop3();
                let segment = self.b.ins().iconst(I32, data_index as i64);
                self.call_fallible_builtin(Builtin::MemoryInit, &[segment, dst, src, len]);
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
    /// an access of `size` bytes, emitting the bounds check in explicit mode.
    pub(super) fn heap_address(&mut self, memarg: MemArg, size: u32) -> (Value, i32) {
        let index = self.pop();
        let index = self.b.ins().uextend(types::I64, index);
        if self.m.bounds_checks == BoundsChecks::Explicit {
            let length = self.memory_length();
            let end = self
                .b
                .ins()
                .iadd_imm_u(index, (memarg.offset + size as u64) as i64);
            let out_of_bounds = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
            self.trap_if(out_of_bounds, TrapCode::HEAP_OUT_OF_BOUNDS);
        }
        let base = self.vmctx_fixed(abi::VMCTX_MEMORY_BASE);
        let addr = self.b.ins().iadd(base, index);
        match i32::try_from(memarg.offset) {
            Ok(offset) => (addr, offset),
            Err(_) => {
                let offset = self.b.ins().iconst(types::I64, memarg.offset as i64);
                (self.b.ins().iadd(addr, offset), 0)
            }
        }
    }

    /// The current memory size in bytes (it changes with memory.grow, so never cached).
    fn memory_length(&mut self) -> Value {
        let memory = self.vmctx_fixed(abi::VMCTX_MEMORY);
        self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            memory,
            abi::VMMEMORY_LENGTH as i32,
        )
    }
}
