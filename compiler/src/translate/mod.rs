//! Translation of one wasm function body to Cranelift IR.
//!
//! The wasm operand stack becomes a stack of SSA values, locals become frontend
//! variables, and structured control flow becomes blocks with parameters. Each family
//! of instructions lives in its own file as an `impl Translator` block; `route.rs` says
//! which family owns each operator.

mod atomics;
mod calls;
mod control;
mod exceptions;
mod memory;
mod numeric;
mod route;
mod simd;
mod simd_memory;
mod tables;
mod variables;

use crate::builtins::{self, Builtin};
use crate::environ::ModuleEnv;
use crate::error::Error;
use crate::index::{DefinedFuncIndex, FuncIndex, TypeIndex};
use crate::traps;
use cranelift_codegen::entity::PrimaryMap;
use cranelift_codegen::ir::{
    self, types, AbiParam, ArgumentPurpose, Function, GlobalValueData, InstBuilder, MemFlagsData,
    Signature, Type, UserExternalName, UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::FuncId;
use kiln_abi::{self as abi, BoundsChecks, VMContextLayout};
use std::collections::HashMap;
use wasmparser::{FuncType, ValType};

pub(crate) use control::Frame;
use route::Family;

/// What every function translation of one module shares.
pub struct ModuleContext<'a> {
    pub env: &'a ModuleEnv<'a>,
    pub layout: VMContextLayout,
    /// The platform's C convention, for calls to builtins.
    pub call_conv: CallConv,
    pub frontend_config: TargetFrontendConfig,
    pub bounds_checks: BoundsChecks,
    /// Check for an interrupt at every loop header (`--max-time`; function entries are
    /// covered by the stack-limit check, see `interrupt_check`).
    pub interruptible: bool,
    /// Object-module ids of the defined functions.
    pub func_ids: PrimaryMap<DefinedFuncIndex, FuncId>,
    pub builtin_ids: Vec<FuncId>,
    #[cfg(feature = "fault-injection")]
    pub swap_i32_sub_operands: bool,
}

impl ModuleContext<'_> {
    /// The native signature of a wasm function type.
    pub fn signature(&self, ty: &FuncType) -> Signature {
        wasm_signature(ty)
    }
}

/// The native signature of a wasm function type: `(vmctx, params...) -> results` in the
/// `tail` convention, which every wasm-to-wasm call uses (see the `kiln_abi` docs).
pub fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params
        .extend(ty.params().iter().map(|t| AbiParam::new(clif_type(*t))));
    sig.returns
        .extend(ty.results().iter().map(|t| AbiParam::new(clif_type(*t))));
    sig
}

/// The Cranelift type of a wasm value: references are pointers.
pub fn clif_type(ty: ValType) -> Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::Ref(_) => types::I64,
    }
}

/// Translates defined function `def_index` into `func`.
pub fn translate_function(
    m: &ModuleContext<'_>,
    def_index: DefinedFuncIndex,
    func: &mut Function,
    builder_ctx: &mut FunctionBuilderContext,
) -> Result<(), Error> {
    let env = m.env;
    let func_index = env.func_index(def_index);
    let ty = env.func_type(func_index);
    func.signature = m.signature(ty);
    func.name = UserFuncName::User(UserExternalName::new(0, m.func_ids[def_index].as_u32()));

    // The prologue traps when the stack pointer would fall below vmctx.stack_limit.
    let vmctx_gv = func.create_global_value(GlobalValueData::VMContext);
    let limit_flags = func
        .dfg
        .mem_flags
        .insert_unchecked(MemFlagsData::trusted().with_readonly());
    let limit_gv = func.create_global_value(GlobalValueData::Load {
        base: vmctx_gv,
        offset: (abi::VMCTX_STACK_LIMIT as i32).into(),
        global_type: types::I64,
        flags: limit_flags,
    });
    func.stack_limit = Some(limit_gv);

    let body = &env.bodies[def_index];
    let mut b = FunctionBuilder::new(func, builder_ctx);
    let params = enter_function(&mut b);
    let vmctx = params[0];

    let mut locals = Vec::new();
    for (&value, &wasm_ty) in params[1..].iter().zip(ty.params()) {
        let var = b.declare_var(clif_type(wasm_ty));
        b.def_var(var, value);
        locals.push(var);
    }
    let mut locals_reader = body.get_locals_reader().map_err(Error::invalid)?;
    for _ in 0..locals_reader.get_count() {
        let (count, wasm_ty) = locals_reader.read().map_err(Error::invalid)?;
        let clif_ty = clif_type(wasm_ty);
        for _ in 0..count {
            let var = b.declare_var(clif_ty);
            let zero = zero_value(&mut b, clif_ty);
            b.def_var(var, zero);
            locals.push(var);
        }
    }

    let results: Vec<Type> = ty.results().iter().map(|t| clif_type(*t)).collect();
    let exit = b.create_block();
    for &t in &results {
        b.append_block_param(exit, t);
    }
    let mut t = Translator {
        b,
        m,
        vmctx,
        locals,
        stack: Vec::new(),
        frames: vec![Frame::function(exit, results.len())],
        reachable: true,
        dead_depth: 0,
        func_refs: HashMap::new(),
        sig_refs: HashMap::new(),
        builtin_refs: HashMap::new(),
        def_index,
        legacy_tries: None,
        legacy_tries_seen: 0,
    };

    let mut reader = body.get_operators_reader().map_err(Error::invalid)?;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset().map_err(Error::invalid)?;
        if !t.reachable {
            t.skip_unreachable(&op)?;
            continue;
        }
        t.b.set_srcloc(ir::SourceLoc::new(offset as u32));
        let family = route::family_of(&op);
        let handled = match family {
            Family::Control => t.control(&op)?,
            Family::Variable => t.variable(&op)?,
            Family::Numeric => t.numeric(&op)?,
            Family::Memory => t.memory(&op)?,
            Family::Call => t.call(&op)?,
            Family::Table => t.table(&op)?,
            Family::Simd => t.simd(&op)?,
            Family::SimdMemory => t.simd_memory(&op)?,
            Family::Atomic => t.atomic(&op)?,
            Family::Exception => t.exception(&op)?,
            Family::Unsupported(proposal) => {
                return Err(Error::unsupported(format!(
                    "instruction `{op:?}` ({proposal}) at byte offset {offset:#x}"
                )))
            }
        };
        // A family that does not translate an operator routed to it is a bug in Kiln.
        if !handled {
            return Err(Error::new(format!(
                "internal error: the {family:?} family does not translate `{op:?}` \
                 (at byte offset {offset:#x})"
            )));
        }
    }
    t.b.seal_all_blocks();
    t.b.finalize(m.frontend_config);
    Ok(())
}

/// Starts a function body: a sealed entry block carrying the function's parameters,
/// which are returned.
pub fn enter_function(b: &mut FunctionBuilder<'_>) -> Vec<Value> {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    b.block_params(entry).to_vec()
}

fn zero_value(b: &mut FunctionBuilder<'_>, ty: Type) -> Value {
    match ty {
        types::F32 => b.ins().f32const(0.0),
        types::F64 => b.ins().f64const(0.0),
        _ if ty.is_vector() => simd::zeros(b, ty),
        _ => b.ins().iconst(ty, 0),
    }
}

pub(crate) struct Translator<'m, 'f> {
    pub b: FunctionBuilder<'f>,
    pub m: &'m ModuleContext<'m>,
    pub vmctx: Value,
    pub locals: Vec<Variable>,
    /// The wasm operand stack.
    pub stack: Vec<Value>,
    /// The control stack; the outermost frame is the function body.
    pub frames: Vec<Frame>,
    /// False after an unconditional branch, until the matching `else`/`end`.
    pub reachable: bool,
    /// Blocks opened inside unreachable code, skipped without translation.
    pub dead_depth: u32,
    func_refs: HashMap<FuncIndex, ir::FuncRef>,
    sig_refs: HashMap<TypeIndex, ir::SigRef>,
    builtin_refs: HashMap<Builtin, ir::FuncRef>,
    /// The function being translated.
    pub def_index: DefinedFuncIndex,
    /// For each legacy `try`, whether a `rethrow` names its catches (computed at the
    /// first one, see `exceptions::rethrown_tries`), and how many were seen so far.
    pub legacy_tries: Option<Vec<bool>>,
    pub legacy_tries_seen: usize,
}

/// Flags for loads of values that are fixed once the instance exists (pointers in the
/// VMContext): never trap, never change, may be hoisted and merged.
pub(crate) fn fixed_flags() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

impl Translator<'_, '_> {
    pub fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack underflow")
    }

    pub fn pop2(&mut self) -> (Value, Value) {
        let y = self.pop();
        let x = self.pop();
        (x, y)
    }

    pub fn pop3(&mut self) -> (Value, Value, Value) {
        let z = self.pop();
        let (x, y) = self.pop2();
        (x, y, z)
    }

    pub fn push(&mut self, value: Value) {
        self.stack.push(value);
    }

    /// The top `n` operands, bottom first, without popping them.
    pub fn peek_n(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    /// Loads a pointer-sized field of the VMContext that is fixed for the instance.
    pub fn vmctx_fixed(&mut self, offset: u32) -> Value {
        self.b
            .ins()
            .load(types::I64, fixed_flags(), self.vmctx, offset as i32)
    }

    /// `vmctx + offset` as a pointer.
    pub fn vmctx_addr(&mut self, offset: u32) -> Value {
        let offset = self.b.ins().iconst(types::I64, offset as i64);
        self.b.ins().iadd(self.vmctx, offset)
    }

    /// Traps with "deadline exceeded" once the instance is interrupted. An interrupt sets
    /// `vmctx.stack_limit` to the all-ones sentinel (`abi::INTERRUPTED_STACK_LIMIT`), so
    /// every function prologue's stack check fails by itself; loops need this explicit
    /// load, which must not be marked read-only (another thread writes the field).
    pub fn interrupt_check(&mut self) {
        let limit = self.b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.vmctx,
            abi::VMCTX_STACK_LIMIT as i32,
        );
        let interrupted = self.b.ins().icmp_imm_s(
            ir::condcodes::IntCC::Equal,
            limit,
            abi::INTERRUPTED_STACK_LIMIT as i64,
        );
        self.trap_if(interrupted, crate::traps::DEADLINE_EXCEEDED);
    }

    /// Traps with `code` unless `cond` is zero.
    pub fn trap_if(&mut self, cond: Value, code: ir::TrapCode) {
        self.b.ins().trapnz(cond, code);
    }

    pub fn sig_ref(&mut self, type_index: TypeIndex) -> ir::SigRef {
        if let Some(sig) = self.sig_refs.get(&type_index) {
            return *sig;
        }
        let sig = self.m.signature(&self.m.env.types[type_index]);
        let sig = self.b.import_signature(sig);
        self.sig_refs.insert(type_index, sig);
        sig
    }

    /// A direct reference to a defined function of this module.
    pub fn func_ref(&mut self, func_index: FuncIndex) -> ir::FuncRef {
        if let Some(f) = self.func_refs.get(&func_index) {
            return *f;
        }
        let def_index = self
            .m
            .env
            .defined_func(func_index)
            .expect("a direct reference names a defined function");
        let sig = self.m.signature(self.m.env.func_type(func_index));
        let f = self.import_function(self.m.func_ids[def_index], sig, true);
        self.func_refs.insert(func_index, f);
        f
    }

    /// Calls a runtime builtin with `vmctx` prepended; returns its result, if any.
    pub fn call_builtin(&mut self, builtin: Builtin, args: &[Value]) -> Option<Value> {
        let f = match self.builtin_refs.get(&builtin) {
            Some(f) => *f,
            None => {
                let sig = builtins::signature(builtin, self.m.call_conv);
                let f = self.import_function(self.m.builtin_ids[builtin as usize], sig, false);
                self.builtin_refs.insert(builtin, f);
                f
            }
        };
        let mut all = vec![self.vmctx];
        all.extend_from_slice(args);
        let call = self.b.ins().call(f, &all);
        self.b.inst_results(call).first().copied()
    }

    /// Calls a fallible builtin and traps with its trap code when it reports failure.
    pub fn call_fallible_builtin(&mut self, builtin: Builtin, args: &[Value]) {
        let failed = self
            .call_builtin(builtin, args)
            .expect("fallible builtins return a status");
        let code = match builtin.failure() {
            Some(abi::TrapKind::TableOutOfBounds) => traps::TABLE_OUT_OF_BOUNDS,
            _ => ir::TrapCode::HEAP_OUT_OF_BOUNDS,
        };
        self.trap_if(failed, code);
    }

    fn import_function(&mut self, id: FuncId, sig: Signature, colocated: bool) -> ir::FuncRef {
        let name = self
            .b
            .func
            .declare_imported_user_function(UserExternalName::new(0, id.as_u32()));
        let signature = self.b.import_signature(sig);
        self.b.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature,
            colocated,
            patchable: false,
        })
    }
}
