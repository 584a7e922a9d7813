//! Constant expressions (global and table initialisers, segment offsets, element items),
//! evaluated at instantiation: a list of operations on a value stack (`kiln_abi::ConstOp`).

use super::{value_bits, value_from_bits, InstanceData};
use crate::prelude::*;
use kiln_abi::{const_op, ConstExpr, ConstOp, VMGlobal};

impl InstanceData {
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
