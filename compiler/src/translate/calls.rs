//! Direct calls, calls to imported functions (through the VMContext), `call_indirect`
//! (bounds, null and signature checks), `call_ref` (typed: a null check only), and their
//! tail-call forms `return_call`, `return_call_indirect` and `return_call_ref`, which
//! replace the caller's frame (every wasm function uses
//! Cranelift's `tail` convention, see `kiln_abi`). Inside a `try_table` or legacy `try`,
//! calls are `try_call`s (see [`super::exceptions`]).

use super::{fixed_flags, Translator};
use crate::error::Error;
use crate::index::{FuncIndex, TableIndex, TypeIndex};
use crate::traps;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, types, InstBuilder, MemFlagsData, Value};
use kiln_abi as abi;
use wasmparser::Operator;

/// Where a call goes.
enum Callee {
    /// A function defined in this module, called by symbol with this instance's vmctx.
    Defined(ir::FuncRef),
    /// A code pointer and the context to pass it (imports, tables).
    Pointer {
        sig: ir::SigRef,
        code: Value,
        vmctx: Value,
    },
}

impl Translator<'_, '_> {
    pub(super) fn call(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        match *op {
            Operator::Call { function_index } => {
                self.call_function(FuncIndex::from_u32(function_index), false)
            }
            Operator::ReturnCall { function_index } => {
                self.call_function(FuncIndex::from_u32(function_index), true)
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(
                TypeIndex::from_u32(type_index),
                TableIndex::from_u32(table_index),
                false,
            ),
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(
                TypeIndex::from_u32(type_index),
                TableIndex::from_u32(table_index),
                true,
            ),
            Operator::CallRef { type_index } => {
                self.call_ref(TypeIndex::from_u32(type_index), false)
            }
            Operator::ReturnCallRef { type_index } => {
                self.call_ref(TypeIndex::from_u32(type_index), true)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn call_function(&mut self, function_index: FuncIndex, tail: bool) {
        let num_params = self.m.env.func_type(function_index).params().len();
        let callee = if self.m.env.is_imported_func(function_index) {
            // Imports are called through their funcref entry: code pointer plus the
            // callee's own context.
            let entry = self.m.layout.funcref(function_index.as_u32());
            let type_index = self.m.env.func_types[function_index];
            Callee::Pointer {
                sig: self.sig_ref(type_index),
                code: self.vmctx_fixed(entry + abi::VMFUNCREF_FN_PTR),
                vmctx: self.vmctx_fixed(entry + abi::VMFUNCREF_VMCTX),
            }
        } else {
            Callee::Defined(self.func_ref(function_index))
        };
        self.emit_call(callee, num_params, tail);
    }

    fn call_indirect(&mut self, type_index: TypeIndex, table_index: TableIndex, tail: bool) {
        let index = self.pop();
        let num_params = self.m.env.types[type_index].params().len();
        let funcref = self.table_element(table_index, index);
        self.b.ins().trapz(funcref, traps::INDIRECT_CALL_TO_NULL);
        let flags = MemFlagsData::trusted();
        let actual = self
            .b
            .ins()
            .load(types::I32, flags, funcref, abi::VMFUNCREF_SIG_ID as i32);
        let expected = self.b.ins().load(
            types::I32,
            fixed_flags(),
            self.vmctx,
            self.m.layout.sig_id(type_index.as_u32()) as i32,
        );
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, actual, expected);
        self.trap_if(mismatch, traps::INDIRECT_CALL_TYPE_MISMATCH);
        let callee = Callee::Pointer {
            sig: self.sig_ref(type_index),
            code: self.funcref_field(funcref, abi::VMFUNCREF_FN_PTR),
            vmctx: self.funcref_field(funcref, abi::VMFUNCREF_VMCTX),
        };
        self.emit_call(callee, num_params, tail);
    }

    /// `call_ref`: the function reference is typed, so only null needs a check.
    fn call_ref(&mut self, type_index: TypeIndex, tail: bool) {
        let funcref = self.pop();
        let num_params = self.m.env.types[type_index].params().len();
        self.b.ins().trapz(funcref, traps::NULL_REFERENCE);
        let callee = Callee::Pointer {
            sig: self.sig_ref(type_index),
            code: self.funcref_field(funcref, abi::VMFUNCREF_FN_PTR),
            vmctx: self.funcref_field(funcref, abi::VMFUNCREF_VMCTX),
        };
        self.emit_call(callee, num_params, tail);
    }

    fn funcref_field(&mut self, funcref: Value, offset: u32) -> Value {
        let flags = MemFlagsData::trusted();
        self.b.ins().load(types::I64, flags, funcref, offset as i32)
    }

    /// Calls `callee` with the top `num_params` operands. A tail call ends the block
    /// (the callee returns straight to our caller); otherwise the results are pushed.
    fn emit_call(&mut self, callee: Callee, num_params: usize, tail: bool) {
        let args = self.peek_n(num_params).to_vec();
        self.stack.truncate(self.stack.len() - num_params);
        if let (false, Some(dispatch)) = (tail, self.current_handler()) {
            let (callee, all) = match callee {
                Callee::Defined(f) => (Ok(f), [&[self.vmctx], &args[..]].concat()),
                Callee::Pointer { sig, code, vmctx } => {
                    (Err((sig, code)), [&[vmctx], &args[..]].concat())
                }
            };
            let results = self.try_call(dispatch, callee, &all);
            self.stack.extend(results);
            return;
        }
        let ins = self.b.ins();
        let call = match callee {
            Callee::Defined(f) => {
                let all = [&[self.vmctx], &args[..]].concat();
                if tail {
                    ins.return_call(f, &all)
                } else {
                    ins.call(f, &all)
                }
            }
            Callee::Pointer { sig, code, vmctx } => {
                let all = [&[vmctx], &args[..]].concat();
                if tail {
                    ins.return_call_indirect(sig, code, &all)
                } else {
                    ins.call_indirect(sig, code, &all)
                }
            }
        };
        if tail {
            self.reachable = false;
        } else {
            let results = self.b.inst_results(call).to_vec();
            self.stack.extend(results);
        }
    }
}
