//! Exception handling: `throw`, `throw_ref`, `try_table` and the legacy `try`/`catch`/
//! `catch_all`/`rethrow`/`delegate` (the scheme is described in `kiln_abi::exception`).
//!
//! Every `try_table` and legacy `try` gets a dispatch block with the exception as its
//! one parameter. A throw inside jumps there; a call inside becomes a `try_call` whose
//! catch-all edge lands there. The dispatch code compares the exception's tag with each
//! clause's and falls through to the enclosing construct's dispatch block, or, outside
//! all of them, hands the exception to the runtime's unwinder. A function without
//! handlers pays nothing: its calls stay plain calls.

use super::control::{Frame, FrameKind};
use super::{clif_type, Translator};
use crate::error::Error;
use crate::index::TagIndex;
use crate::traps;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, types, BlockArg, BlockCall, ExceptionTableData, ExceptionTableItem, InstBuilder,
    MemFlagsData, Value,
};
use cranelift_frontend::Variable;
use kiln_abi::builtins::Builtin;
use kiln_abi::exception::{ESCAPED_OFFSET, PAYLOAD_OFFSET, SLOT_SIZE, TAG_OFFSET};
use wasmparser::{Catch, FunctionBody, Operator};

/// The state of a legacy `try` frame.
pub(crate) struct LegacyTry {
    /// Where exceptions from the `try` body go.
    dispatch: ir::Block,
    /// The caught exception, for `rethrow` in the catch bodies.
    exception: Variable,
    /// A `catch`/`catch_all` was seen: the body is over and catch bodies are translated.
    catching: bool,
    /// Where the test of the next clause goes: the previous clause did not match.
    next_test: Option<ir::Block>,
    /// `delegate`: exceptions from the body go to the handler of this label (counted
    /// outside the `try`).
    delegate: Option<u32>,
    /// Some `rethrow` names one of its catches: a caught exception must be kept.
    rethrown: bool,
}

/// For each legacy `try` of `body`, in order: whether a `rethrow` names one of its
/// catch clauses.
pub(super) fn rethrown_tries(body: &FunctionBody<'_>) -> Result<Vec<bool>, Error> {
    let mut rethrown = Vec::new();
    // The try (by number) each open frame is, if it is one; the function's frame first.
    let mut frames: Vec<Option<usize>> = vec![None];
    let mut reader = body.get_operators_reader().map_err(Error::invalid)?;
    while !reader.eof() {
        match reader.read().map_err(Error::invalid)? {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => frames.push(None),
            Operator::Try { .. } => {
                frames.push(Some(rethrown.len()));
                rethrown.push(false);
            }
            Operator::End | Operator::Delegate { .. } => {
                frames.pop();
            }
            Operator::Rethrow { relative_depth } => {
                let index = frames.len().checked_sub(1 + relative_depth as usize);
                if let Some(Some(t)) = index.map(|i| frames[i]) {
                    rethrown[t] = true;
                }
            }
            _ => {}
        }
    }
    Ok(rethrown)
}

fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl Translator<'_, '_> {
    pub(super) fn exception(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        match *op {
            Operator::Throw { tag_index } => self.throw(TagIndex::from_u32(tag_index)),
            Operator::ThrowRef => {
                let exception = self.pop();
                self.b.ins().trapz(exception, traps::NULL_REFERENCE);
                self.raise(exception);
            }
            Operator::TryTable { ref try_table } => {
                let (params, results) = self.block_type(try_table.ty);
                let end = self.new_block(&results);
                let dispatch = self.new_block(&[types::I64]);
                let kind = FrameKind::TryTable {
                    dispatch,
                    catches: try_table.catches.clone(),
                };
                self.push_frame(kind, end, end, params.len(), results.len());
                self.frames.last_mut().unwrap().handler = Some(dispatch);
            }
            Operator::Try { blockty } => {
                let rethrown = self.next_legacy_try()?;
                let (params, results) = self.block_type(blockty);
                let end = self.new_block(&results);
                let dispatch = self.new_block(&[types::I64]);
                let exception = self.b.declare_var(types::I64);
                let kind = FrameKind::LegacyTry(LegacyTry {
                    dispatch,
                    exception,
                    catching: false,
                    next_test: None,
                    delegate: None,
                    rethrown,
                });
                self.push_frame(kind, end, end, params.len(), results.len());
                self.frames.last_mut().unwrap().handler = Some(dispatch);
            }
            Operator::Catch { tag_index } => self.legacy_catch(Some(tag_index)),
            Operator::CatchAll => self.legacy_catch(None),
            Operator::Delegate { relative_depth } => {
                let frame = self
                    .frames
                    .last_mut()
                    .expect("validated: delegate ends a try");
                let FrameKind::LegacyTry(ref mut t) = frame.kind else {
                    unreachable!("validated: delegate ends a try");
                };
                t.delegate = Some(relative_depth);
                self.translate_end();
            }
            Operator::Rethrow { relative_depth } => {
                let index = self.frames.len() - 1 - relative_depth as usize;
                let FrameKind::LegacyTry(ref t) = self.frames[index].kind else {
                    unreachable!("validated: rethrow names a catch");
                };
                let exception = self.b.use_var(t.exception);
                self.raise(exception);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether the next legacy `try` of the function (in order, reachable or not) has a
    /// catch that some `rethrow` names.
    pub(super) fn next_legacy_try(&mut self) -> Result<bool, Error> {
        if self.legacy_tries.is_none() {
            let body = &self.m.env.bodies[self.def_index];
            self.legacy_tries = Some(rethrown_tries(body)?);
        }
        let index = self.legacy_tries_seen;
        self.legacy_tries_seen += 1;
        Ok(self.legacy_tries.as_ref().unwrap()[index])
    }

    /// Frees a caught exception that nothing else can reach (unless it escaped, which the
    /// runtime checks).
    fn free_exception(&mut self, exception: Value) {
        self.call_builtin(Builtin::ExceptionFree, &[exception]);
    }

    /// Marks an exception whose `exnref` goes to wasm code: it is never freed.
    fn mark_escaped(&mut self, exception: Value) {
        let one = self.b.ins().iconst(types::I32, 1);
        self.b
            .ins()
            .store(trusted(), one, exception, ESCAPED_OFFSET as i32);
    }

    /// The dispatch block an exception thrown here goes to, if any.
    pub(super) fn current_handler(&self) -> Option<ir::Block> {
        self.frames.last().and_then(|f| f.handler)
    }

    /// `throw`: a new exception of `tag_index` carrying the operands its type takes.
    fn throw(&mut self, tag_index: TagIndex) {
        let type_index = self.m.env.tags[tag_index];
        let count = self.m.env.types[type_index].params().len();
        let values = self.peek_n(count).to_vec();
        self.stack.truncate(self.stack.len() - count);
        let tag = self.b.ins().iconst(types::I32, tag_index.as_u32() as i64);
        let slots = self.b.ins().iconst(types::I32, count as i64);
        let exception = self
            .call_builtin(Builtin::ExceptionNew, &[tag, slots])
            .expect("returns the exception");
        for (i, value) in values.into_iter().enumerate() {
            let offset = PAYLOAD_OFFSET + i as u32 * SLOT_SIZE;
            self.b
                .ins()
                .store(trusted(), value, exception, offset as i32);
        }
        self.raise(exception);
    }

    /// Sends `exception` to the innermost handler: this function's, else the caller's.
    fn raise(&mut self, exception: Value) {
        let handler = self.current_handler();
        self.forward(exception, handler);
        self.reachable = false;
    }

    /// Ends the current block by passing `exception` to `handler`, or out of the function.
    fn forward(&mut self, exception: Value, handler: Option<ir::Block>) {
        match handler {
            Some(dispatch) => {
                self.b.ins().jump(dispatch, &[BlockArg::Value(exception)]);
            }
            None => {
                // The runtime unwinds from this frame to a caller's handler and never
                // returns, unless no wasm frame catches the exception.
                let fp = self.b.ins().get_frame_pointer(types::I64);
                self.call_builtin(Builtin::Throw, &[exception, fp]);
                self.b.ins().trap(traps::UNCAUGHT_EXCEPTION);
            }
        }
    }

    /// A call that may throw inside a handler's scope: `try_call`, whose catch-all edge
    /// carries the exception to `dispatch`. Returns the call's results.
    pub(super) fn try_call(
        &mut self,
        dispatch: ir::Block,
        callee: Result<ir::FuncRef, (ir::SigRef, Value)>,
        args: &[Value],
    ) -> Vec<Value> {
        let sig = match callee {
            Ok(f) => self.b.func.dfg.ext_funcs[f].signature,
            Err((sig, _)) => sig,
        };
        let returns: Vec<ir::Type> = self.b.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|r| r.value_type)
            .collect();
        let normal = self.new_block(&returns);
        let landing = self.new_block(&[types::I64]);
        let pool = &mut self.b.func.dfg.value_lists;
        let normal_call = BlockCall::new(
            normal,
            (0..returns.len() as u32).map(BlockArg::TryCallRet),
            pool,
        );
        let landing_call = BlockCall::new(landing, [BlockArg::TryCallExn(0)], pool);
        let table = ExceptionTableData::new(
            sig,
            normal_call,
            [ExceptionTableItem::Default(landing_call)],
        );
        let table = self.b.func.dfg.exception_tables.push(table);
        match callee {
            Ok(f) => self.b.ins().try_call(f, args, table),
            Err((_, code)) => self.b.ins().try_call_indirect(code, args, table),
        };
        self.b.switch_to_block(landing);
        let exception = self.b.block_params(landing)[0];
        self.b.ins().jump(dispatch, &[BlockArg::Value(exception)]);
        self.b.switch_to_block(normal);
        self.b.block_params(normal).to_vec()
    }

    /// Whether `exception` carries tag `tag_index` (tags are identities: see
    /// `kiln_abi::exception`).
    fn tag_matches(&mut self, exception: Value, tag_index: TagIndex) -> Value {
        let actual = self
            .b
            .ins()
            .load(types::I64, trusted(), exception, TAG_OFFSET as i32);
        let expected = self.vmctx_fixed(self.m.layout.tag(tag_index.as_u32()));
        self.b.ins().icmp(IntCC::Equal, actual, expected)
    }

    /// The payload of an exception known to carry tag `tag_index`.
    fn payload(&mut self, exception: Value, tag_index: TagIndex) -> Vec<Value> {
        let type_index = self.m.env.tags[tag_index];
        let params = self.m.env.types[type_index].params().to_vec();
        params
            .iter()
            .enumerate()
            .map(|(i, &ty)| {
                let offset = PAYLOAD_OFFSET + i as u32 * SLOT_SIZE;
                self.b
                    .ins()
                    .load(clif_type(ty), trusted(), exception, offset as i32)
            })
            .collect()
    }

    /// Branches to `hit` when `exception` carries `tag_index`; continues in a new block
    /// otherwise.
    fn branch_on_tag(&mut self, exception: Value, tag_index: TagIndex, hit: ir::Block) {
        let matched = self.tag_matches(exception, tag_index);
        let miss = self.b.create_block();
        self.b.ins().brif(matched, hit, &[], miss, &[]);
        self.b.switch_to_block(miss);
    }

    /// At the `end` (or `delegate`) of a `try_table` or legacy `try`, already popped:
    /// emits the rest of its dispatch code. The current block is filled; so is the last
    /// block this emits.
    pub(super) fn finish_handler(&mut self, frame: &Frame) {
        let outer = self.current_handler();
        match &frame.kind {
            FrameKind::TryTable { dispatch, catches } => {
                self.b.switch_to_block(*dispatch);
                let exception = self.b.block_params(*dispatch)[0];
                for catch in catches {
                    match *catch {
                        Catch::One { tag, label } | Catch::OneRef { tag, label } => {
                            let tag = TagIndex::from_u32(tag);
                            let hit = self.b.create_block();
                            self.branch_on_tag(exception, tag, hit);
                            let miss = self.b.current_block().expect("just switched");
                            self.b.switch_to_block(hit);
                            let mut values = self.payload(exception, tag);
                            if matches!(catch, Catch::OneRef { .. }) {
                                self.mark_escaped(exception);
                                values.push(exception);
                            } else {
                                self.free_exception(exception);
                            }
                            self.jump_to_label(label, &values);
                            self.b.switch_to_block(miss);
                        }
                        Catch::All { label } => {
                            self.free_exception(exception);
                            self.jump_to_label(label, &[]);
                            return;
                        }
                        Catch::AllRef { label } => {
                            self.mark_escaped(exception);
                            self.jump_to_label(label, &[exception]);
                            return;
                        }
                    }
                }
                self.forward(exception, outer);
            }
            FrameKind::LegacyTry(t) => {
                if let Some(depth) = t.delegate {
                    let index = self.frames.len() - 1 - depth as usize;
                    let target = self.frames[index].handler;
                    self.b.switch_to_block(t.dispatch);
                    let exception = self.b.block_params(t.dispatch)[0];
                    self.forward(exception, target);
                } else if !t.catching {
                    // `try ... end` without clauses catches nothing.
                    self.b.switch_to_block(t.dispatch);
                    let exception = self.b.block_params(t.dispatch)[0];
                    self.forward(exception, outer);
                } else if let Some(next) = t.next_test {
                    // No clause matched: on to the enclosing handler.
                    self.b.switch_to_block(next);
                    let exception = self.b.use_var(t.exception);
                    self.forward(exception, outer);
                }
            }
            _ => unreachable!("only try frames have handlers"),
        }
    }

    /// Legacy `catch $tag` (`Some`) or `catch_all` (`None`): ends the body or the previous
    /// catch body and starts this clause's body, entered when the exception matches.
    fn legacy_catch(&mut self, tag: Option<u32>) {
        let outer = self
            .frames
            .len()
            .checked_sub(2)
            .and_then(|i| self.frames[i].handler);
        let frame = self.frames.last_mut().expect("validated: catch inside try");
        let (end, num_results, height) = (frame.end, frame.num_results, frame.height);
        let FrameKind::LegacyTry(ref mut t) = frame.kind else {
            unreachable!("validated: catch inside try");
        };
        // Where this clause's test starts: the dispatch block for the first clause, then
        // the previous clause's miss.
        let first = !t.catching;
        t.catching = true;
        let test_block = if first {
            Some(t.dispatch)
        } else {
            t.next_test.take()
        };
        let (exception_var, rethrown) = (t.exception, t.rethrown);
        frame.handler = outer;
        if self.reachable {
            let args: Vec<BlockArg> = self
                .peek_n(num_results)
                .iter()
                .map(|&v| BlockArg::Value(v))
                .collect();
            self.b.ins().jump(end, &args);
            self.frames.last_mut().unwrap().end_reachable = true;
        }
        self.stack.truncate(height);
        let Some(test_block) = test_block else {
            // After a catch_all nothing else can be reached (validation forbids it anyway).
            self.reachable = false;
            return;
        };
        self.b.switch_to_block(test_block);
        if first {
            let exception = self.b.block_params(test_block)[0];
            self.b.def_var(exception_var, exception);
        }
        let exception = self.b.use_var(exception_var);
        let next_test = match tag {
            Some(tag) => {
                let tag = TagIndex::from_u32(tag);
                let hit = self.b.create_block();
                self.branch_on_tag(exception, tag, hit);
                let miss = self.b.current_block().expect("just switched");
                self.b.switch_to_block(hit);
                let values = self.payload(exception, tag);
                self.stack.extend(values);
                Some(miss)
            }
            None => None,
        };
        if !rethrown {
            // Caught for good: the body cannot rethrow it.
            self.free_exception(exception);
        }
        let FrameKind::LegacyTry(ref mut t) = self.frames.last_mut().unwrap().kind else {
            unreachable!();
        };
        t.next_test = next_test;
        self.reachable = true;
    }
}
