//! Tables and references: table.get/set/size inline, the rest through builtins. Element
//! indices are i32, or i64 for a 64-bit table (table64); builtins take them as u64.

use super::{fixed_flags, Translator};
use crate::builtins::Builtin;
use crate::error::Error;
use crate::index::TableIndex;
use crate::traps;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I32, I64};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value};
use kiln_abi as abi;
use wasmparser::Operator;

impl Translator<'_, '_> {
    pub(super) fn table(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        match *op {
            Operator::TableGet { table } => {
                let index = self.pop();
                let value = self.table_element(TableIndex::from_u32(table), index);
                self.push(value);
            }
            Operator::TableSet { table } => {
                let (index, value) = self.pop2();
                let addr = self.table_element_address(TableIndex::from_u32(table), index);
                self.b.ins().store(MemFlagsData::trusted(), value, addr, 0);
            }
            Operator::TableSize { table } => {
                let table = TableIndex::from_u32(table);
                let vmtable = self.vmtable(table);
                let size = self.b.ins().load(
                    I32,
                    MemFlagsData::trusted(),
                    vmtable,
                    abi::VMTABLE_LENGTH as i32,
                );
                let size = if self.is_table64(table) {
                    self.b.ins().uextend(I64, size)
                } else {
                    size
                };
                self.push(size);
            }
            Operator::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let delta = self.widen(delta);
                let index = self.b.ins().iconst(I32, table as i64);
                let old = self.call_builtin(Builtin::TableGrow, &[index, init, delta]);
                let old = old.unwrap();
                let old = if self.is_table64(TableIndex::from_u32(table)) {
                    old
                } else {
                    self.b.ins().ireduce(I32, old)
                };
                self.push(old);
            }
            Operator::TableFill { table } => {
                let (dst, value, len) = self.pop3();
                let (dst, len) = (self.widen(dst), self.widen(len));
                let table = self.b.ins().iconst(I32, table as i64);
                self.call_fallible_builtin(Builtin::TableFill, &[table, dst, value, len]);
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let (dst, src, len) = self.pop3();
                let (dst, src, len) = (self.widen(dst), self.widen(src), self.widen(len));
                let dst_table = self.b.ins().iconst(I32, dst_table as i64);
                let src_table = self.b.ins().iconst(I32, src_table as i64);
                let args = [dst_table, src_table, dst, src, len];
                self.call_fallible_builtin(Builtin::TableCopy, &args);
            }
            Operator::TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3();
                let dst = self.widen(dst);
                let table = self.b.ins().iconst(I32, table as i64);
                let segment = self.b.ins().iconst(I32, elem_index as i64);
                let args = [table, segment, dst, src, len];
                self.call_fallible_builtin(Builtin::TableInit, &args);
            }
            Operator::ElemDrop { elem_index } => {
                let segment = self.b.ins().iconst(I32, elem_index as i64);
                self.call_builtin(Builtin::ElemDrop, &[segment]);
            }
            Operator::RefNull { .. } => {
                let null = self.b.ins().iconst(I64, 0);
                self.push(null);
            }
            Operator::RefAsNonNull => {
                let value = self.pop();
                self.b.ins().trapz(value, traps::NULL_REFERENCE);
                self.push(value);
            }
            Operator::RefIsNull => {
                let value = self.pop();
                let is_null = self.b.ins().icmp_imm_u(IntCC::Equal, value, 0);
                self.push_bool(is_null);
            }
            Operator::RefFunc { function_index } => {
                let funcref = self.vmctx_addr(self.m.layout.funcref(function_index));
                self.push(funcref);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn is_table64(&self, table: TableIndex) -> bool {
        self.m.env.tables[table].table64
    }

    /// The `VMTable` of `table` (own or imported); the pointer is fixed per instance.
    fn vmtable(&mut self, table: TableIndex) -> Value {
        let slot = self.m.layout.table(table.as_u32());
        self.b
            .ins()
            .load(I64, fixed_flags(), self.vmctx, slot as i32)
    }

    /// Address of element `index` of `table`, trapping when it is out of bounds.
    fn table_element_address(&mut self, table: TableIndex, index: Value) -> Value {
        let vmtable = self.vmtable(table);
        let flags = MemFlagsData::trusted();
        let length = self
            .b
            .ins()
            .load(I32, flags, vmtable, abi::VMTABLE_LENGTH as i32);
        // Compared in 64 bits: a table64 index may exceed u32.
        let index = self.widen(index);
        let length = self.b.ins().uextend(I64, length);
        let out_of_bounds = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, length);
        self.trap_if(out_of_bounds, traps::TABLE_OUT_OF_BOUNDS);
        let elements = self
            .b
            .ins()
            .load(I64, flags, vmtable, abi::VMTABLE_ELEMENTS as i32);
        let byte_offset = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(elements, byte_offset)
    }

    /// Element `index` of `table` (a funcref pointer or externref; 0 is null).
    pub(super) fn table_element(&mut self, table: TableIndex, index: Value) -> Value {
        let addr = self.table_element_address(table, index);
        self.b.ins().load(I64, MemFlagsData::trusted(), addr, 0)
    }
}
