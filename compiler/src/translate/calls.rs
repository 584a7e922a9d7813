//! Direct calls, calls to imported functions (through the VMContext) and
//! `call_indirect` (bounds, null and signature checks).

use super::{fixed_flags, Translator};
use crate::error::Error;
use crate::traps;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use kiln_abi as abi;
use wasmparser::Operator;

impl Translator<'_, '_> {
    pub(super) fn call(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        match *op {
            Operator::Call { function_index } => {
                let num_params = self.m.env.func_type(function_index).params().len();
                let args = self.peek_n(num_params).to_vec();
                self.stack.truncate(self.stack.len() - num_params);
                let call = if self.m.env.is_imported_func(function_index) {
                    // Imports are called through their funcref entry: code pointer plus
                    // the callee's own context.
                    let entry = self.m.layout.funcref(function_index);
                    let callee = self.vmctx_fixed(entry + abi::VMFUNCREF_FN_PTR);
                    let callee_vmctx = self.vmctx_fixed(entry + abi::VMFUNCREF_VMCTX);
                    let type_index = self.m.env.func_types[function_index as usize];
                    let sig = self.sig_ref(type_index);
                    let all = [&[callee_vmctx], &args[..]].concat();
                    self.b.ins().call_indirect(sig, callee, &all)
                } else {
                    let f = self.func_ref(function_index);
                    let all = [&[self.vmctx], &args[..]].concat();
                    self.b.ins().call(f, &all)
                };
                let results = self.b.inst_results(call).to_vec();
                self.stack.extend(results);
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                let index = self.pop();
                let num_params = self.m.env.types[type_index as usize].params().len();
                let args = self.peek_n(num_params).to_vec();
                self.stack.truncate(self.stack.len() - num_params);
                let funcref = self.table_element(table_index, index);
                self.b.ins().trapz(funcref, traps::INDIRECT_CALL_TO_NULL);
                let flags = MemFlagsData::trusted();
                let actual =
                    self.b
                        .ins()
                        .load(types::I32, flags, funcref, abi::VMFUNCREF_TYPE_ID as i32);
                let expected = self.b.ins().load(
                    types::I32,
                    fixed_flags(),
                    self.vmctx,
                    self.m.layout.sig_id(type_index) as i32,
                );
                let mismatch = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
                self.trap_if(mismatch, traps::INDIRECT_CALL_TYPE_MISMATCH);
                let callee =
                    self.b
                        .ins()
                        .load(types::I64, flags, funcref, abi::VMFUNCREF_FN_PTR as i32);
                let callee_vmctx =
                    self.b
                        .ins()
                        .load(types::I64, flags, funcref, abi::VMFUNCREF_VMCTX as i32);
                let sig = self.sig_ref(type_index);
                let all: Vec<Value> = [&[callee_vmctx], &args[..]].concat();
                let call = self.b.ins().call_indirect(sig, callee, &all);
                let results = self.b.inst_results(call).to_vec();
                self.stack.extend(results);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
