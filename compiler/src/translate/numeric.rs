//! Constants, integer and float arithmetic, comparisons and conversions.
//!
//! Cranelift's instructions already have wasm's semantics here: shifts and rotates take
//! the count modulo the width, division traps on zero and on signed overflow, `fmin`/
//! `fmax` propagate NaN and order -0 below +0, and `fcvt_to_*int` trap on NaN and
//! overflow.

use super::Translator;
use crate::error::Error;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

type Unary = fn(&mut FunctionBuilder<'_>, Value) -> Value;
type Binary = fn(&mut FunctionBuilder<'_>, Value, Value) -> Value;

impl Translator<'_, '_> {
    pub(super) fn numeric(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        use types::{F32, F64, I32, I64};
        use Operator::*;
        match *op {
            I32Const { value } => {
                let v = self.b.ins().iconst(I32, value as u32 as i64);
                self.push(v);
            }
            I64Const { value } => {
                let v = self.b.ins().iconst(I64, value);
                self.push(v);
            }
            F32Const { value } => {
                let v = self.b.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            F64Const { value } => {
                let v = self.b.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // Integer arithmetic and bitwise operations.
            I32Add | I64Add => self.binary(|b, x, y| b.ins().iadd(x, y)),
            #[cfg(feature = "fault-injection")]
            I32Sub if self.m.swap_i32_sub_operands => self.binary(|b, x, y| b.ins().isub(y, x)),
            I32Sub | I64Sub => self.binary(|b, x, y| b.ins().isub(x, y)),
            I32Mul | I64Mul => self.binary(|b, x, y| b.ins().imul(x, y)),
            I32DivS | I64DivS => self.binary(|b, x, y| b.ins().sdiv(x, y)),
            I32DivU | I64DivU => self.binary(|b, x, y| b.ins().udiv(x, y)),
            I32RemS | I64RemS => self.binary(|b, x, y| b.ins().srem(x, y)),
            I32RemU | I64RemU => self.binary(|b, x, y| b.ins().urem(x, y)),
            I32And | I64And => self.binary(|b, x, y| b.ins().band(x, y)),
            I32Or | I64Or => self.binary(|b, x, y| b.ins().bor(x, y)),
            I32Xor | I64Xor => self.binary(|b, x, y| b.ins().bxor(x, y)),
            I32Shl | I64Shl => self.binary(|b, x, y| b.ins().ishl(x, y)),
            I32ShrS | I64ShrS => self.binary(|b, x, y| b.ins().sshr(x, y)),
            I32ShrU | I64ShrU => self.binary(|b, x, y| b.ins().ushr(x, y)),
            I32Rotl | I64Rotl => self.binary(|b, x, y| b.ins().rotl(x, y)),
            I32Rotr | I64Rotr => self.binary(|b, x, y| b.ins().rotr(x, y)),
            I32Clz | I64Clz => self.unary(|b, x| b.ins().clz(x)),
            I32Ctz | I64Ctz => self.unary(|b, x| b.ins().ctz(x)),
            I32Popcnt | I64Popcnt => self.unary(|b, x| b.ins().popcnt(x)),

            // Integer comparisons produce an i32 0 or 1.
            I32Eqz | I64Eqz => {
                let x = self.pop();
                let c = self.b.ins().icmp_imm_u(IntCC::Equal, x, 0);
                self.push_bool(c);
            }
            I32Eq | I64Eq => self.icmp(IntCC::Equal),
            I32Ne | I64Ne => self.icmp(IntCC::NotEqual),
            I32LtS | I64LtS => self.icmp(IntCC::SignedLessThan),
            I32LtU | I64LtU => self.icmp(IntCC::UnsignedLessThan),
            I32GtS | I64GtS => self.icmp(IntCC::SignedGreaterThan),
            I32GtU | I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            I32LeS | I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            I32LeU | I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            I32GeS | I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            I32GeU | I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),

            // Float arithmetic.
            F32Add | F64Add => self.binary(|b, x, y| b.ins().fadd(x, y)),
            F32Sub | F64Sub => self.binary(|b, x, y| b.ins().fsub(x, y)),
            F32Mul | F64Mul => self.binary(|b, x, y| b.ins().fmul(x, y)),
            F32Div | F64Div => self.binary(|b, x, y| b.ins().fdiv(x, y)),
            F32Min | F64Min => self.binary(|b, x, y| b.ins().fmin(x, y)),
            F32Max | F64Max => self.binary(|b, x, y| b.ins().fmax(x, y)),
            F32Copysign | F64Copysign => self.binary(|b, x, y| b.ins().fcopysign(x, y)),
            F32Sqrt | F64Sqrt => self.unary(|b, x| b.ins().sqrt(x)),
            F32Ceil | F64Ceil => self.unary(|b, x| b.ins().ceil(x)),
            F32Floor | F64Floor => self.unary(|b, x| b.ins().floor(x)),
            F32Trunc | F64Trunc => self.unary(|b, x| b.ins().trunc(x)),
            F32Nearest | F64Nearest => self.unary(|b, x| b.ins().nearest(x)),
            F32Abs | F64Abs => self.unary(|b, x| b.ins().fabs(x)),
            F32Neg | F64Neg => self.unary(|b, x| b.ins().fneg(x)),

            F32Eq | F64Eq => self.fcmp(FloatCC::Equal),
            F32Ne | F64Ne => self.fcmp(FloatCC::NotEqual),
            F32Lt | F64Lt => self.fcmp(FloatCC::LessThan),
            F32Gt | F64Gt => self.fcmp(FloatCC::GreaterThan),
            F32Le | F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            F32Ge | F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            // Integer width changes and sign extension.
            I32WrapI64 => self.convert(I32, |b, ty, x| b.ins().ireduce(ty, x)),
            I64ExtendI32S => self.convert(I64, |b, ty, x| b.ins().sextend(ty, x)),
            I64ExtendI32U => self.convert(I64, |b, ty, x| b.ins().uextend(ty, x)),
            I32Extend8S => self.sign_extend(types::I8, I32),
            I32Extend16S => self.sign_extend(types::I16, I32),
            I64Extend8S => self.sign_extend(types::I8, I64),
            I64Extend16S => self.sign_extend(types::I16, I64),
            I64Extend32S => self.sign_extend(I32, I64),

            // Float to integer: trapping and saturating.
            I32TruncF32S | I32TruncF64S => {
                self.convert(I32, |b, ty, x| b.ins().fcvt_to_sint(ty, x))
            }
            I32TruncF32U | I32TruncF64U => {
                self.convert(I32, |b, ty, x| b.ins().fcvt_to_uint(ty, x))
            }
            I64TruncF32S | I64TruncF64S => {
                self.convert(I64, |b, ty, x| b.ins().fcvt_to_sint(ty, x))
            }
            I64TruncF32U | I64TruncF64U => {
                self.convert(I64, |b, ty, x| b.ins().fcvt_to_uint(ty, x))
            }
            I32TruncSatF32S | I32TruncSatF64S => {
                self.convert(I32, |b, ty, x| b.ins().fcvt_to_sint_sat(ty, x))
            }
            I32TruncSatF32U | I32TruncSatF64U => {
                self.convert(I32, |b, ty, x| b.ins().fcvt_to_uint_sat(ty, x))
            }
            I64TruncSatF32S | I64TruncSatF64S => {
                self.convert(I64, |b, ty, x| b.ins().fcvt_to_sint_sat(ty, x))
            }
            I64TruncSatF32U | I64TruncSatF64U => {
                self.convert(I64, |b, ty, x| b.ins().fcvt_to_uint_sat(ty, x))
            }

            // Integer to float, float width changes, reinterpretation.
            F32ConvertI32S | F32ConvertI64S => {
                self.convert(F32, |b, ty, x| b.ins().fcvt_from_sint(ty, x))
            }
            F32ConvertI32U | F32ConvertI64U => {
                self.convert(F32, |b, ty, x| b.ins().fcvt_from_uint(ty, x))
            }
            F64ConvertI32S | F64ConvertI64S => {
                self.convert(F64, |b, ty, x| b.ins().fcvt_from_sint(ty, x))
            }
            F64ConvertI32U | F64ConvertI64U => {
                self.convert(F64, |b, ty, x| b.ins().fcvt_from_uint(ty, x))
            }
            F32DemoteF64 => self.convert(F32, |b, ty, x| b.ins().fdemote(ty, x)),
            F64PromoteF32 => self.convert(F64, |b, ty, x| b.ins().fpromote(ty, x)),
            I32ReinterpretF32 => self.bitcast(I32),
            I64ReinterpretF64 => self.bitcast(I64),
            F32ReinterpretI32 => self.bitcast(F32),
            F64ReinterpretI64 => self.bitcast(F64),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn unary(&mut self, f: Unary) {
        let x = self.pop();
        let v = f(&mut self.b, x);
        self.push(v);
    }

    fn binary(&mut self, f: Binary) {
        let (x, y) = self.pop2();
        let v = f(&mut self.b, x, y);
        self.push(v);
    }

    fn convert(&mut self, to: Type, f: fn(&mut FunctionBuilder<'_>, Type, Value) -> Value) {
        let x = self.pop();
        let v = f(&mut self.b, to, x);
        self.push(v);
    }

    fn bitcast(&mut self, to: Type) {
        let x = self.pop();
        let v = self.b.ins().bitcast(to, MemFlagsData::new(), x);
        self.push(v);
    }

    /// Sign-extends the low `from` bits of the operand to its full width `to`.
    fn sign_extend(&mut self, from: Type, to: Type) {
        let x = self.pop();
        let narrow = self.b.ins().ireduce(from, x);
        let v = self.b.ins().sextend(to, narrow);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().icmp(cc, x, y);
        self.push_bool(c);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (x, y) = self.pop2();
        let c = self.b.ins().fcmp(cc, x, y);
        self.push_bool(c);
    }

    /// Pushes a Cranelift `i8` condition as a wasm `i32` 0 or 1.
    pub(super) fn push_bool(&mut self, cond: Value) {
        let v = self.b.ins().uextend(types::I32, cond);
        self.push(v);
    }
}
