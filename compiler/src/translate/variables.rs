//! Locals and globals.

use super::{clif_type, fixed_flags, Translator};
use crate::error::Error;
use crate::index::GlobalIndex;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value};
use wasmparser::Operator;

impl Translator<'_, '_> {
    pub(super) fn variable(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        match *op {
            Operator::LocalGet { local_index } => {
                let value = self.b.use_var(self.locals[local_index as usize]);
                self.push(value);
            }
            Operator::LocalSet { local_index } => {
                let value = self.pop();
                self.b.def_var(self.locals[local_index as usize], value);
            }
            Operator::LocalTee { local_index } => {
                let value = *self.stack.last().expect("validated: local.tee operand");
                self.b.def_var(self.locals[local_index as usize], value);
            }
            Operator::GlobalGet { global_index } => {
                let global_index = GlobalIndex::from_u32(global_index);
                let global = &self.m.env.globals[global_index];
                let ty = clif_type(global.ty);
                let flags = if global.mutable {
                    MemFlagsData::trusted()
                } else {
                    fixed_flags()
                };
                let (base, offset) = self.global_address(global_index);
                let value = self.b.ins().load(ty, flags, base, offset);
                self.push(value);
            }
            Operator::GlobalSet { global_index } => {
                let value = self.pop();
                let (base, offset) = self.global_address(GlobalIndex::from_u32(global_index));
                self.b
                    .ins()
                    .store(MemFlagsData::trusted(), value, base, offset);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Base and offset of a global's storage: inline in the VMContext when defined
    /// here, behind the pointer in its slot when imported.
    fn global_address(&mut self, global_index: GlobalIndex) -> (Value, i32) {
        let slot = self.m.layout.global(global_index.as_u32());
        if self.m.env.is_imported_global(global_index) {
            (self.vmctx_fixed(slot), 0)
        } else {
            (self.vmctx, slot as i32)
        }
    }
}
