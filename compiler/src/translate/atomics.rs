//! The threads proposal's atomic instructions: loads, stores, read-modify-writes and
//! compare-exchanges lowered to the machine's atomic instructions (sequentially
//! consistent), `atomic.fence`, and `memory.atomic.wait32/64` / `notify` through builtins.
//!
//! An atomic access must be naturally aligned: the effective address is checked first
//! (`unaligned atomic`), then bounds as for any access. Wait and notify touch no memory
//! in compiled code, so their bounds are always checked explicitly.

use super::memory::heap_flags;
use super::Translator;
use crate::builtins::Builtin;
use crate::error::Error;
use crate::index::MemoryIndex;
use crate::traps;
use cranelift_codegen::ir::{types, AtomicRmwOp, InstBuilder, Type, Value};
use wasmparser::{MemArg, Operator};

/// What an atomic instruction does.
#[derive(Clone, Copy)]
enum Access {
    Load,
    Store,
    Rmw(AtomicRmwOp),
    Cmpxchg,
}

impl Translator<'_, '_> {
    pub(super) fn atomic(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        use types::{I16, I32, I64, I8};
        use AtomicRmwOp::{Add, And, Or, Sub, Xchg, Xor};
        use Operator::*;
        // (access, memarg, bits in memory, value type)
        let (access, memarg, memory_ty, value_ty) = match *op {
            AtomicFence => {
                self.b.ins().fence();
                return Ok(true);
            }
            MemoryAtomicNotify { memarg } => {
                self.notify(memarg);
                return Ok(true);
            }
            MemoryAtomicWait32 { memarg } => {
                self.wait(memarg, I32);
                return Ok(true);
            }
            MemoryAtomicWait64 { memarg } => {
                self.wait(memarg, I64);
                return Ok(true);
            }
            I32AtomicLoad { memarg } => (Access::Load, memarg, I32, I32),
            I64AtomicLoad { memarg } => (Access::Load, memarg, I64, I64),
            I32AtomicLoad8U { memarg } => (Access::Load, memarg, I8, I32),
            I32AtomicLoad16U { memarg } => (Access::Load, memarg, I16, I32),
            I64AtomicLoad8U { memarg } => (Access::Load, memarg, I8, I64),
            I64AtomicLoad16U { memarg } => (Access::Load, memarg, I16, I64),
            I64AtomicLoad32U { memarg } => (Access::Load, memarg, I32, I64),
            I32AtomicStore { memarg } => (Access::Store, memarg, I32, I32),
            I64AtomicStore { memarg } => (Access::Store, memarg, I64, I64),
            I32AtomicStore8 { memarg } => (Access::Store, memarg, I8, I32),
            I32AtomicStore16 { memarg } => (Access::Store, memarg, I16, I32),
            I64AtomicStore8 { memarg } => (Access::Store, memarg, I8, I64),
            I64AtomicStore16 { memarg } => (Access::Store, memarg, I16, I64),
            I64AtomicStore32 { memarg } => (Access::Store, memarg, I32, I64),
            I32AtomicRmwAdd { memarg } => (Access::Rmw(Add), memarg, I32, I32),
            I64AtomicRmwAdd { memarg } => (Access::Rmw(Add), memarg, I64, I64),
            I32AtomicRmw8AddU { memarg } => (Access::Rmw(Add), memarg, I8, I32),
            I32AtomicRmw16AddU { memarg } => (Access::Rmw(Add), memarg, I16, I32),
            I64AtomicRmw8AddU { memarg } => (Access::Rmw(Add), memarg, I8, I64),
            I64AtomicRmw16AddU { memarg } => (Access::Rmw(Add), memarg, I16, I64),
            I64AtomicRmw32AddU { memarg } => (Access::Rmw(Add), memarg, I32, I64),
            I32AtomicRmwSub { memarg } => (Access::Rmw(Sub), memarg, I32, I32),
            I64AtomicRmwSub { memarg } => (Access::Rmw(Sub), memarg, I64, I64),
            I32AtomicRmw8SubU { memarg } => (Access::Rmw(Sub), memarg, I8, I32),
            I32AtomicRmw16SubU { memarg } => (Access::Rmw(Sub), memarg, I16, I32),
            I64AtomicRmw8SubU { memarg } => (Access::Rmw(Sub), memarg, I8, I64),
            I64AtomicRmw16SubU { memarg } => (Access::Rmw(Sub), memarg, I16, I64),
            I64AtomicRmw32SubU { memarg } => (Access::Rmw(Sub), memarg, I32, I64),
            I32AtomicRmwAnd { memarg } => (Access::Rmw(And), memarg, I32, I32),
            I64AtomicRmwAnd { memarg } => (Access::Rmw(And), memarg, I64, I64),
            I32AtomicRmw8AndU { memarg } => (Access::Rmw(And), memarg, I8, I32),
            I32AtomicRmw16AndU { memarg } => (Access::Rmw(And), memarg, I16, I32),
            I64AtomicRmw8AndU { memarg } => (Access::Rmw(And), memarg, I8, I64),
            I64AtomicRmw16AndU { memarg } => (Access::Rmw(And), memarg, I16, I64),
            I64AtomicRmw32AndU { memarg } => (Access::Rmw(And), memarg, I32, I64),
            I32AtomicRmwOr { memarg } => (Access::Rmw(Or), memarg, I32, I32),
            I64AtomicRmwOr { memarg } => (Access::Rmw(Or), memarg, I64, I64),
            I32AtomicRmw8OrU { memarg } => (Access::Rmw(Or), memarg, I8, I32),
            I32AtomicRmw16OrU { memarg } => (Access::Rmw(Or), memarg, I16, I32),
            I64AtomicRmw8OrU { memarg } => (Access::Rmw(Or), memarg, I8, I64),
            I64AtomicRmw16OrU { memarg } => (Access::Rmw(Or), memarg, I16, I64),
            I64AtomicRmw32OrU { memarg } => (Access::Rmw(Or), memarg, I32, I64),
            I32AtomicRmwXor { memarg } => (Access::Rmw(Xor), memarg, I32, I32),
            I64AtomicRmwXor { memarg } => (Access::Rmw(Xor), memarg, I64, I64),
            I32AtomicRmw8XorU { memarg } => (Access::Rmw(Xor), memarg, I8, I32),
            I32AtomicRmw16XorU { memarg } => (Access::Rmw(Xor), memarg, I16, I32),
            I64AtomicRmw8XorU { memarg } => (Access::Rmw(Xor), memarg, I8, I64),
            I64AtomicRmw16XorU { memarg } => (Access::Rmw(Xor), memarg, I16, I64),
            I64AtomicRmw32XorU { memarg } => (Access::Rmw(Xor), memarg, I32, I64),
            I32AtomicRmwXchg { memarg } => (Access::Rmw(Xchg), memarg, I32, I32),
            I64AtomicRmwXchg { memarg } => (Access::Rmw(Xchg), memarg, I64, I64),
            I32AtomicRmw8XchgU { memarg } => (Access::Rmw(Xchg), memarg, I8, I32),
            I32AtomicRmw16XchgU { memarg } => (Access::Rmw(Xchg), memarg, I16, I32),
            I64AtomicRmw8XchgU { memarg } => (Access::Rmw(Xchg), memarg, I8, I64),
            I64AtomicRmw16XchgU { memarg } => (Access::Rmw(Xchg), memarg, I16, I64),
            I64AtomicRmw32XchgU { memarg } => (Access::Rmw(Xchg), memarg, I32, I64),
            I32AtomicRmwCmpxchg { memarg } => (Access::Cmpxchg, memarg, I32, I32),
            I64AtomicRmwCmpxchg { memarg } => (Access::Cmpxchg, memarg, I64, I64),
            I32AtomicRmw8CmpxchgU { memarg } => (Access::Cmpxchg, memarg, I8, I32),
            I32AtomicRmw16CmpxchgU { memarg } => (Access::Cmpxchg, memarg, I16, I32),
            I64AtomicRmw8CmpxchgU { memarg } => (Access::Cmpxchg, memarg, I8, I64),
            I64AtomicRmw16CmpxchgU { memarg } => (Access::Cmpxchg, memarg, I16, I64),
            I64AtomicRmw32CmpxchgU { memarg } => (Access::Cmpxchg, memarg, I32, I64),
            _ => return Ok(false),
        };
        // Operands above the address, narrowed to the width in memory.
        let operands = match access {
            Access::Load => 0,
            Access::Store | Access::Rmw(_) => 1,
            Access::Cmpxchg => 2,
        };
        let values: Vec<Value> = self.peek_n(operands).to_vec();
        self.stack.truncate(self.stack.len() - operands);
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| self.narrow(v, memory_ty))
            .collect();
        let addr = self.atomic_address(memarg, memory_ty.bytes(), false);
        let flags = heap_flags();
        let ins = self.b.ins();
        let result = match access {
            Access::Load => Some(ins.atomic_load(memory_ty, flags, addr)),
            Access::Store => {
                ins.atomic_store(flags, values[0], addr);
                None
            }
            Access::Rmw(op) => Some(ins.atomic_rmw(memory_ty, flags, op, addr, values[0])),
            Access::Cmpxchg => Some(ins.atomic_cas(flags, addr, values[0], values[1])),
        };
        if let Some(result) = result {
            let result = if memory_ty == value_ty {
                result
            } else {
                self.b.ins().uextend(value_ty, result)
            };
            self.push(result);
        }
        Ok(true)
    }

    /// `value` truncated to `ty` (a no-op when it already has that type).
    fn narrow(&mut self, value: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(value) == ty {
            value
        } else {
            self.b.ins().ireduce(ty, value)
        }
    }

    /// Pops the address operand and returns the native address of an atomic access of
    /// `bytes` bytes: the alignment check first, then the bounds check (always explicit
    /// with `check_bounds`, for wait and notify, which touch no memory here).
    fn atomic_address(&mut self, memarg: MemArg, bytes: u32, check_bounds: bool) -> Value {
        let index = self.pop();
        let wide = self.widen(index);
        if bytes > 1 {
            let effective = self.b.ins().iadd_imm_u(wide, memarg.offset as i64);
            let misaligned = self.b.ins().band_imm_u(effective, i64::from(bytes - 1));
            self.b.ins().trapnz(misaligned, traps::UNALIGNED_ATOMIC);
        }
        self.push(index);
        let (addr, offset) = self.heap_address_checked(memarg, bytes, check_bounds);
        if offset == 0 {
            addr
        } else {
            self.b.ins().iadd_imm_u(addr, i64::from(offset))
        }
    }

    /// `memory.atomic.notify`: no other thread can wait (Kiln runs one thread per
    /// instance), so it wakes nobody: 0, after the checks.
    fn notify(&mut self, memarg: MemArg) {
        self.pop(); // the count
        self.atomic_address(memarg, 4, true);
        let zero = self.b.ins().iconst(types::I32, 0);
        self.push(zero);
    }

    /// `memory.atomic.wait32/64`: on a shared memory the runtime compares and waits out
    /// the timeout (no thread can notify); on an unshared one it traps, as wasmtime does.
    fn wait(&mut self, memarg: MemArg, ty: Type) {
        let timeout = self.pop();
        let expected = self.pop();
        let addr = self.atomic_address(memarg, ty.bytes(), true);
        if !self.m.env.memories[MemoryIndex::from_u32(memarg.memory)].shared {
            self.b.ins().trap(traps::ATOMIC_WAIT_NON_SHARED);
            self.reachable = false;
            return;
        }
        let builtin = if ty == types::I32 {
            Builtin::MemoryAtomicWait32
        } else {
            Builtin::MemoryAtomicWait64
        };
        let result = self
            .call_builtin(builtin, &[addr, expected, timeout])
            .unwrap();
        self.push(result);
    }
}
