//! Structured control flow: block, loop, if/else, end, branches, return, unreachable,
//! plus the stack-shuffling `drop` and `select`.

use super::{clif_type, Translator};
use crate::error::Error;
use crate::index::TypeIndex;
use crate::traps;
use cranelift_codegen::ir::{self, BlockArg, BlockCall, InstBuilder, JumpTableData, Type};
use wasmparser::{BlockType, Operator};

pub(crate) enum FrameKind {
    Block,
    Loop,
    If {
        else_block: ir::Block,
        /// An `else` was seen: at `end`, the else block needs no fallthrough.
        has_else: bool,
    },
    /// `try_table`: exceptions inside go to `dispatch`, which tries the catch clauses.
    TryTable {
        dispatch: ir::Block,
        catches: Vec<wasmparser::Catch>,
    },
    /// Legacy `try`: see [`super::exceptions`].
    LegacyTry(super::exceptions::LegacyTry),
}

pub(crate) struct Frame {
    pub kind: FrameKind,
    /// Where a branch to this frame goes: the loop header, else the continuation.
    pub branch_target: ir::Block,
    /// The block after `end`, with one parameter per result.
    pub end: ir::Block,
    pub num_params: usize,
    pub num_results: usize,
    /// Operand stack height below this frame's parameters.
    pub height: usize,
    /// Some branch or fallthrough reaches `end`.
    pub end_reachable: bool,
    /// Where an exception thrown inside this frame goes first: the dispatch block (one
    /// `i64` parameter, the exception) of the innermost enclosing `try_table`/`try`, or
    /// none (it leaves the function).
    pub handler: Option<ir::Block>,
}

impl Frame {
    pub fn function(exit: ir::Block, num_results: usize) -> Frame {
        Frame {
            kind: FrameKind::Block,
            branch_target: exit,
            end: exit,
            num_params: 0,
            num_results,
            height: 0,
            end_reachable: false,
            handler: None,
        }
    }

    /// How many values a branch to this frame carries.
    fn branch_arity(&self) -> usize {
        match self.kind {
            FrameKind::Loop => self.num_params,
            _ => self.num_results,
        }
    }
}

fn block_args(values: &[ir::Value]) -> Vec<BlockArg> {
    values.iter().map(|&v| BlockArg::from(v)).collect()
}

impl Translator<'_, '_> {
    pub(super) fn control(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.b.ins().trap(traps::UNREACHABLE);
                self.reachable = false;
            }
            Operator::Block { blockty } => {
                let (params, results) = self.block_type(blockty);
                let end = self.new_block(&results);
                self.push_frame(FrameKind::Block, end, end, params.len(), results.len());
            }
            Operator::Loop { blockty } => {
                let (params, results) = self.block_type(blockty);
                let header = self.new_block(&params);
                let end = self.new_block(&results);
                let args = block_args(self.peek_n(params.len()));
                self.b.ins().jump(header, &args);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                self.b.switch_to_block(header);
                let header_params = self.b.block_params(header).to_vec();
                if self.m.interruptible {
                    self.interrupt_check();
                }
                self.stack.extend(header_params);
                self.push_frame(FrameKind::Loop, header, end, params.len(), results.len());
            }
            Operator::If { blockty } => {
                let (params, results) = self.block_type(blockty);
                let cond = self.pop();
                let then_block = self.new_block(&params);
                let else_block = self.new_block(&params);
                let end = self.new_block(&results);
                let args = block_args(self.peek_n(params.len()));
                self.b
                    .ins()
                    .brif(cond, then_block, &args, else_block, &args);
                self.b.seal_block(then_block);
                self.b.seal_block(else_block);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                self.b.switch_to_block(then_block);
                let then_params = self.b.block_params(then_block).to_vec();
                self.stack.extend(then_params);
                let kind = FrameKind::If {
                    else_block,
                    has_else: false,
                };
                self.push_frame(kind, end, end, params.len(), results.len());
            }
            Operator::Else => self.translate_else(),
            Operator::End => self.translate_end(),
            Operator::Br { relative_depth } => {
                self.branch(relative_depth);
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop();
                let (target, args) = self.branch_args(relative_depth);
                let next = self.b.create_block();
                self.b.ins().brif(cond, target, &args, next, &[]);
                self.b.seal_block(next);
                self.b.switch_to_block(next);
            }
            Operator::BrOnNull { relative_depth } => {
                // Branches without the reference when it is null; else keeps it.
                let reference = self.pop();
                let (target, args) = self.branch_args(relative_depth);
                let next = self.b.create_block();
                self.b.ins().brif(reference, next, &[], target, &args);
                self.b.seal_block(next);
                self.b.switch_to_block(next);
                self.push(reference);
            }
            Operator::BrOnNonNull { relative_depth } => {
                // Branches with the reference when it is not null; else drops it.
                let reference = self.peek_n(1)[0];
                let (target, args) = self.branch_args(relative_depth);
                self.pop();
                let next = self.b.create_block();
                self.b.ins().brif(reference, target, &args, next, &[]);
                self.b.seal_block(next);
                self.b.switch_to_block(next);
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop();
                let mut calls = Vec::with_capacity(targets.len() as usize);
                for depth in targets.targets() {
                    let depth = depth.map_err(Error::invalid)?;
                    calls.push(self.branch_call(depth));
                }
                let default = self.branch_call(targets.default());
                let table = JumpTableData::new(default, &calls);
                let table = self.b.create_jump_table(table);
                self.b.ins().br_table(index, table);
                self.reachable = false;
            }
            Operator::Return => {
                self.branch(self.frames.len() as u32 - 1);
                self.reachable = false;
            }
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let (x, y, cond) = self.pop3();
                let value = self.b.ins().select(cond, x, y);
                self.push(value);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Tracks nesting in unreachable code until the `else`/`end` that makes code
    /// reachable again; nothing in between is translated.
    pub(super) fn skip_unreachable(&mut self, op: &Operator<'_>) -> Result<(), Error> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => self.dead_depth += 1,
            Operator::Try { .. } => {
                // Counted, so the tries that are translated keep their numbers.
                self.next_legacy_try()?;
                self.dead_depth += 1;
            }
            Operator::Else if self.dead_depth == 0 => self.translate_else(),
            Operator::End if self.dead_depth == 0 => self.translate_end(),
            // Legacy `catch`/`catch_all` start reachable code; `delegate` ends a `try`.
            Operator::Catch { .. } | Operator::CatchAll | Operator::Delegate { .. }
                if self.dead_depth == 0 =>
            {
                self.exception(op)?;
            }
            Operator::End | Operator::Delegate { .. } => self.dead_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    fn translate_else(&mut self) {
        let frame = self.frames.last_mut().expect("validated: else inside if");
        let FrameKind::If {
            else_block,
            ref mut has_else,
        } = frame.kind
        else {
            unreachable!("validated: else only ends an if");
        };
        *has_else = true;
        let (end, num_results, height) = (frame.end, frame.num_results, frame.height);
        if self.reachable {
            let args = block_args(self.peek_n(num_results));
            self.b.ins().jump(end, &args);
            self.frames.last_mut().unwrap().end_reachable = true;
        }
        self.stack.truncate(height);
        self.b.switch_to_block(else_block);
        let params = self.b.block_params(else_block).to_vec();
        self.stack.extend(params);
        // The else arm is reachable: the `if` itself was.
        self.reachable = true;
    }

    pub(super) fn translate_end(&mut self) {
        let mut frame = self.frames.pop().expect("validated: end closes a frame");
        if self.reachable {
            let args = block_args(self.peek_n(frame.num_results));
            self.b.ins().jump(frame.end, &args);
            frame.end_reachable = true;
        }
        match frame.kind {
            FrameKind::If {
                else_block,
                has_else: false,
            } => {
                // No else arm: the parameters flow straight to the end.
                self.b.switch_to_block(else_block);
                let params = block_args(self.b.block_params(else_block));
                self.b.ins().jump(frame.end, &params);
                frame.end_reachable = true;
            }
            FrameKind::Loop => self.b.seal_block(frame.branch_target),
            FrameKind::TryTable { .. } | FrameKind::LegacyTry(_) => self.finish_handler(&frame),
            _ => {}
        }
        self.stack.truncate(frame.height);
        self.reachable = frame.end_reachable;
        if frame.end_reachable {
            self.b.switch_to_block(frame.end);
            self.b.seal_block(frame.end);
            let results = self.b.block_params(frame.end).to_vec();
            if self.frames.is_empty() {
                self.b.ins().return_(&results);
                self.reachable = false;
            } else {
                self.stack.extend(results);
            }
        }
    }

    /// Jumps to the frame `depth` levels out, carrying its branch arity of operands.
    fn branch(&mut self, depth: u32) {
        let (target, args) = self.branch_args(depth);
        self.b.ins().jump(target, &args);
    }

    fn branch_args(&mut self, depth: u32) -> (ir::Block, Vec<BlockArg>) {
        let index = self.frames.len() - 1 - depth as usize;
        let frame = &mut self.frames[index];
        if !matches!(frame.kind, FrameKind::Loop) {
            frame.end_reachable = true;
        }
        let (target, arity) = (frame.branch_target, frame.branch_arity());
        (target, block_args(self.peek_n(arity)))
    }

    /// Jumps to the frame `depth` levels out with `values` (a catch clause's payload).
    pub(super) fn jump_to_label(&mut self, depth: u32, values: &[ir::Value]) {
        let index = self.frames.len() - 1 - depth as usize;
        let frame = &mut self.frames[index];
        if !matches!(frame.kind, FrameKind::Loop) {
            frame.end_reachable = true;
        }
        let target = frame.branch_target;
        self.b.ins().jump(target, &block_args(values));
    }

    fn branch_call(&mut self, depth: u32) -> BlockCall {
        let (target, args) = self.branch_args(depth);
        BlockCall::new(target, args, &mut self.b.func.dfg.value_lists)
    }

    pub(super) fn push_frame(
        &mut self,
        kind: FrameKind,
        branch_target: ir::Block,
        end: ir::Block,
        num_params: usize,
        num_results: usize,
    ) {
        self.frames.push(Frame {
            kind,
            branch_target,
            end,
            num_params,
            num_results,
            height: self.stack.len() - num_params,
            end_reachable: false,
            handler: self.current_handler(),
        });
    }

    pub(super) fn new_block(&mut self, params: &[Type]) -> ir::Block {
        let block = self.b.create_block();
        for &ty in params {
            self.b.append_block_param(block, ty);
        }
        block
    }

    pub(super) fn block_type(&self, blockty: BlockType) -> (Vec<Type>, Vec<Type>) {
        match blockty {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(ty) => (vec![], vec![clif_type(ty)]),
            BlockType::FuncType(index) => {
                let ty = &self.m.env.types[TypeIndex::from_u32(index)];
                (
                    ty.params().iter().map(|t| clif_type(*t)).collect(),
                    ty.results().iter().map(|t| clif_type(*t)).collect(),
                )
            }
        }
    }
}
