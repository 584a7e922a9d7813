//! 128-bit SIMD: `v128` constants, lanes, shuffles, lane-wise arithmetic, comparisons and
//! conversions, and the relaxed-SIMD instructions (one fixed choice each, below).
//!
//! The operand stack holds every `v128` as `i8x16`, the canonical type: an instruction
//! bitcasts its operands to the lane shape it works on and its result back, so blocks,
//! locals, globals and calls only ever see one vector type.
//!
//! Cranelift's vector instructions already have wasm's semantics: shifts take the count
//! modulo the lane width, `fmin`/`fmax` propagate NaN and order -0 below +0,
//! `swizzle` gives 0 for an out-of-range index, `fcvt_to_*int_sat` saturate and map NaN
//! to 0, `snarrow`/`unarrow` saturate.
//!
//! # Relaxed SIMD
//! Every relaxed instruction gets the answer that is both deterministic and the same on
//! x86_64 and aarch64, so a module's output never depends on where it was compiled or run:
//! - `i8x16.relaxed_swizzle` = `i8x16.swizzle` (0 for indices ≥ 16);
//! - `relaxed_trunc*` = the saturating `trunc_sat*` conversions (NaN → 0);
//! - `relaxed_madd`/`relaxed_nmadd` = unfused `a * b + c` / `-(a * b) + c` (two roundings;
//!   a fused multiply-add is not in the x86-64-v2 baseline);
//! - `relaxed_laneselect` = `v128.bitselect` (every bit chosen by the mask);
//! - `relaxed_min`/`relaxed_max` = `min`/`max` (NaN-propagating, -0 < +0);
//! - `i16x8.relaxed_q15mulr_s` = `i16x8.q15mulr_sat_s` (saturating);
//! - `relaxed_dot_i8x16_i7x16_s` treats both operands as signed and wraps the 16-bit pair
//!   sums; `relaxed_dot_i8x16_i7x16_add_s` adds those pairs (signed) into the i32 lanes.

use super::Translator;
use crate::error::Error;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32X4, F64X2, I16, I16X8, I32, I32X4, I64X2, I8, I8X16};
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

type Unary = fn(&mut FunctionBuilder<'_>, Value) -> Value;
type Binary = fn(&mut FunctionBuilder<'_>, Value, Value) -> Value;
type Ternary = fn(&mut FunctionBuilder<'_>, Value, Value, Value) -> Value;

/// Bitcasts between vector shapes reinterpret bytes in wasm's (little-endian) lane order.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// `value` reinterpreted as `ty` (no instruction when it already is).
pub(super) fn as_vector(b: &mut FunctionBuilder<'_>, ty: Type, value: Value) -> Value {
    if b.func.dfg.value_type(value) == ty {
        value
    } else {
        b.ins().bitcast(ty, lane_order(), value)
    }
}

impl Translator<'_, '_> {
    pub(super) fn simd(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        use Operator::*;
        match *op {
            V128Const { value } => {
                let bytes = ConstantData::from(value.bytes().to_vec());
                let constant = self.b.func.dfg.constants.insert(bytes);
                let v = self.b.ins().vconst(I8X16, constant);
                self.push(v);
            }
            I8x16Shuffle { lanes } => {
                let (x, y) = self.pop2_vec(I8X16);
                let mask = ConstantData::from(lanes.to_vec());
                let mask = self.b.func.dfg.immediates.push(mask);
                let v = self.b.ins().shuffle(x, y, mask);
                self.push_vec(v);
            }
            I8x16Swizzle | I8x16RelaxedSwizzle => {
                self.vec_binary(I8X16, |b, x, y| b.ins().swizzle(x, y))
            }

            // Splats and lanes; i8/i16 lanes travel as i32 scalars.
            I8x16Splat => self.splat(I8X16, Some(I8)),
            I16x8Splat => self.splat(I16X8, Some(I16)),
            I32x4Splat => self.splat(I32X4, None),
            I64x2Splat => self.splat(I64X2, None),
            F32x4Splat => self.splat(F32X4, None),
            F64x2Splat => self.splat(F64X2, None),
            I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, Some(true)),
            I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, Some(false)),
            I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, Some(true)),
            I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, Some(false)),
            I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, None),
            I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, None),
            F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, None),
            F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, None),
            I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane, Some(I8)),
            I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane, Some(I16)),
            I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane, None),
            I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane, None),
            F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane, None),
            F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane, None),

            // Bitwise operations and whole-vector tests.
            V128Not => self.vec_unary(I8X16, |b, x| b.ins().bnot(x)),
            V128And => self.vec_binary(I8X16, |b, x, y| b.ins().band(x, y)),
            V128AndNot => self.vec_binary(I8X16, |b, x, y| b.ins().band_not(x, y)),
            V128Or => self.vec_binary(I8X16, |b, x, y| b.ins().bor(x, y)),
            V128Xor => self.vec_binary(I8X16, |b, x, y| b.ins().bxor(x, y)),
            V128Bitselect
            | I8x16RelaxedLaneselect
            | I16x8RelaxedLaneselect
            | I32x4RelaxedLaneselect
            | I64x2RelaxedLaneselect => {
                self.vec_ternary(I8X16, |b, x, y, mask| b.ins().bitselect(mask, x, y))
            }
            V128AnyTrue => {
                let x = self.pop_vec(I8X16);
                let c = self.b.ins().vany_true(x);
                self.push_bool(c);
            }
            I8x16AllTrue => self.all_true(I8X16),
            I16x8AllTrue => self.all_true(I16X8),
            I32x4AllTrue => self.all_true(I32X4),
            I64x2AllTrue => self.all_true(I64X2),
            I8x16Bitmask => self.bitmask(I8X16),
            I16x8Bitmask => self.bitmask(I16X8),
            I32x4Bitmask => self.bitmask(I32X4),
            I64x2Bitmask => self.bitmask(I64X2),

            // Integer comparisons: all-ones or all-zeros lanes.
            I8x16Eq => self.vec_icmp(I8X16, IntCC::Equal),
            I8x16Ne => self.vec_icmp(I8X16, IntCC::NotEqual),
            I8x16LtS => self.vec_icmp(I8X16, IntCC::SignedLessThan),
            I8x16LtU => self.vec_icmp(I8X16, IntCC::UnsignedLessThan),
            I8x16GtS => self.vec_icmp(I8X16, IntCC::SignedGreaterThan),
            I8x16GtU => self.vec_icmp(I8X16, IntCC::UnsignedGreaterThan),
            I8x16LeS => self.vec_icmp(I8X16, IntCC::SignedLessThanOrEqual),
            I8x16LeU => self.vec_icmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            I8x16GeS => self.vec_icmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            I8x16GeU => self.vec_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            I16x8Eq => self.vec_icmp(I16X8, IntCC::Equal),
            I16x8Ne => self.vec_icmp(I16X8, IntCC::NotEqual),
            I16x8LtS => self.vec_icmp(I16X8, IntCC::SignedLessThan),
            I16x8LtU => self.vec_icmp(I16X8, IntCC::UnsignedLessThan),
            I16x8GtS => self.vec_icmp(I16X8, IntCC::SignedGreaterThan),
            I16x8GtU => self.vec_icmp(I16X8, IntCC::UnsignedGreaterThan),
            I16x8LeS => self.vec_icmp(I16X8, IntCC::SignedLessThanOrEqual),
            I16x8LeU => self.vec_icmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            I16x8GeS => self.vec_icmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            I16x8GeU => self.vec_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            I32x4Eq => self.vec_icmp(I32X4, IntCC::Equal),
            I32x4Ne => self.vec_icmp(I32X4, IntCC::NotEqual),
            I32x4LtS => self.vec_icmp(I32X4, IntCC::SignedLessThan),
            I32x4LtU => self.vec_icmp(I32X4, IntCC::UnsignedLessThan),
            I32x4GtS => self.vec_icmp(I32X4, IntCC::SignedGreaterThan),
            I32x4GtU => self.vec_icmp(I32X4, IntCC::UnsignedGreaterThan),
            I32x4LeS => self.vec_icmp(I32X4, IntCC::SignedLessThanOrEqual),
            I32x4LeU => self.vec_icmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            I32x4GeS => self.vec_icmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            I32x4GeU => self.vec_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            I64x2Eq => self.vec_icmp(I64X2, IntCC::Equal),
            I64x2Ne => self.vec_icmp(I64X2, IntCC::NotEqual),
            I64x2LtS => self.vec_icmp(I64X2, IntCC::SignedLessThan),
            I64x2GtS => self.vec_icmp(I64X2, IntCC::SignedGreaterThan),
            I64x2LeS => self.vec_icmp(I64X2, IntCC::SignedLessThanOrEqual),
            I64x2GeS => self.vec_icmp(I64X2, IntCC::SignedGreaterThanOrEqual),

            // Float comparisons.
            F32x4Eq => self.vec_fcmp(F32X4, FloatCC::Equal),
            F32x4Ne => self.vec_fcmp(F32X4, FloatCC::NotEqual),
            F32x4Lt => self.vec_fcmp(F32X4, FloatCC::LessThan),
            F32x4Gt => self.vec_fcmp(F32X4, FloatCC::GreaterThan),
            F32x4Le => self.vec_fcmp(F32X4, FloatCC::LessThanOrEqual),
            F32x4Ge => self.vec_fcmp(F32X4, FloatCC::GreaterThanOrEqual),
            F64x2Eq => self.vec_fcmp(F64X2, FloatCC::Equal),
            F64x2Ne => self.vec_fcmp(F64X2, FloatCC::NotEqual),
            F64x2Lt => self.vec_fcmp(F64X2, FloatCC::LessThan),
            F64x2Gt => self.vec_fcmp(F64X2, FloatCC::GreaterThan),
            F64x2Le => self.vec_fcmp(F64X2, FloatCC::LessThanOrEqual),
            F64x2Ge => self.vec_fcmp(F64X2, FloatCC::GreaterThanOrEqual),

            // Integer arithmetic.
            I8x16Abs => self.vec_unary(I8X16, |b, x| b.ins().iabs(x)),
            I16x8Abs => self.vec_unary(I16X8, |b, x| b.ins().iabs(x)),
            I32x4Abs => self.vec_unary(I32X4, |b, x| b.ins().iabs(x)),
            I64x2Abs => self.vec_unary(I64X2, |b, x| b.ins().iabs(x)),
            I8x16Neg => self.vec_unary(I8X16, |b, x| b.ins().ineg(x)),
            I16x8Neg => self.vec_unary(I16X8, |b, x| b.ins().ineg(x)),
            I32x4Neg => self.vec_unary(I32X4, |b, x| b.ins().ineg(x)),
            I64x2Neg => self.vec_unary(I64X2, |b, x| b.ins().ineg(x)),
            I8x16Popcnt => self.vec_unary(I8X16, |b, x| b.ins().popcnt(x)),
            I8x16Add => self.vec_binary(I8X16, |b, x, y| b.ins().iadd(x, y)),
            I16x8Add => self.vec_binary(I16X8, |b, x, y| b.ins().iadd(x, y)),
            I32x4Add => self.vec_binary(I32X4, |b, x, y| b.ins().iadd(x, y)),
            I64x2Add => self.vec_binary(I64X2, |b, x, y| b.ins().iadd(x, y)),
            I8x16Sub => self.vec_binary(I8X16, |b, x, y| b.ins().isub(x, y)),
            I16x8Sub => self.vec_binary(I16X8, |b, x, y| b.ins().isub(x, y)),
            I32x4Sub => self.vec_binary(I32X4, |b, x, y| b.ins().isub(x, y)),
            I64x2Sub => self.vec_binary(I64X2, |b, x, y| b.ins().isub(x, y)),
            I16x8Mul => self.vec_binary(I16X8, |b, x, y| b.ins().imul(x, y)),
            I32x4Mul => self.vec_binary(I32X4, |b, x, y| b.ins().imul(x, y)),
            I64x2Mul => self.vec_binary(I64X2, |b, x, y| b.ins().imul(x, y)),
            I8x16AddSatS => self.vec_binary(I8X16, |b, x, y| b.ins().sadd_sat(x, y)),
            I8x16AddSatU => self.vec_binary(I8X16, |b, x, y| b.ins().uadd_sat(x, y)),
            I8x16SubSatS => self.vec_binary(I8X16, |b, x, y| b.ins().ssub_sat(x, y)),
            I8x16SubSatU => self.vec_binary(I8X16, |b, x, y| b.ins().usub_sat(x, y)),
            I16x8AddSatS => self.vec_binary(I16X8, |b, x, y| b.ins().sadd_sat(x, y)),
            I16x8AddSatU => self.vec_binary(I16X8, |b, x, y| b.ins().uadd_sat(x, y)),
            I16x8SubSatS => self.vec_binary(I16X8, |b, x, y| b.ins().ssub_sat(x, y)),
            I16x8SubSatU => self.vec_binary(I16X8, |b, x, y| b.ins().usub_sat(x, y)),
            I8x16MinS => self.vec_binary(I8X16, |b, x, y| b.ins().smin(x, y)),
            I8x16MinU => self.vec_binary(I8X16, |b, x, y| b.ins().umin(x, y)),
            I8x16MaxS => self.vec_binary(I8X16, |b, x, y| b.ins().smax(x, y)),
            I8x16MaxU => self.vec_binary(I8X16, |b, x, y| b.ins().umax(x, y)),
            I16x8MinS => self.vec_binary(I16X8, |b, x, y| b.ins().smin(x, y)),
            I16x8MinU => self.vec_binary(I16X8, |b, x, y| b.ins().umin(x, y)),
            I16x8MaxS => self.vec_binary(I16X8, |b, x, y| b.ins().smax(x, y)),
            I16x8MaxU => self.vec_binary(I16X8, |b, x, y| b.ins().umax(x, y)),
            I32x4MinS => self.vec_binary(I32X4, |b, x, y| b.ins().smin(x, y)),
            I32x4MinU => self.vec_binary(I32X4, |b, x, y| b.ins().umin(x, y)),
            I32x4MaxS => self.vec_binary(I32X4, |b, x, y| b.ins().smax(x, y)),
            I32x4MaxU => self.vec_binary(I32X4, |b, x, y| b.ins().umax(x, y)),
            I8x16AvgrU => self.vec_binary(I8X16, |b, x, y| b.ins().avg_round(x, y)),
            I16x8AvgrU => self.vec_binary(I16X8, |b, x, y| b.ins().avg_round(x, y)),
            I16x8Q15MulrSatS | I16x8RelaxedQ15mulrS => {
                self.vec_binary(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y))
            }
            I32x4DotI16x8S => self.vec_binary(I16X8, dot),
            I16x8RelaxedDotI8x16I7x16S => self.vec_binary(I8X16, dot),
            I32x4RelaxedDotI8x16I7x16AddS => {
                let acc = self.pop_vec(I32X4);
                let (x, y) = self.pop2_vec(I8X16);
                let pairs = dot(&mut self.b, x, y);
                let quads = extadd_pairwise(&mut self.b, pairs, true);
                let v = self.b.ins().iadd(quads, acc);
                self.push_vec(v);
            }

            // Shifts: the count is an i32 scalar, taken modulo the lane width.
            I8x16Shl => self.vec_shift(I8X16, |b, x, n| b.ins().ishl(x, n)),
            I16x8Shl => self.vec_shift(I16X8, |b, x, n| b.ins().ishl(x, n)),
            I32x4Shl => self.vec_shift(I32X4, |b, x, n| b.ins().ishl(x, n)),
            I64x2Shl => self.vec_shift(I64X2, |b, x, n| b.ins().ishl(x, n)),
            I8x16ShrS => self.vec_shift(I8X16, |b, x, n| b.ins().sshr(x, n)),
            I16x8ShrS => self.vec_shift(I16X8, |b, x, n| b.ins().sshr(x, n)),
            I32x4ShrS => self.vec_shift(I32X4, |b, x, n| b.ins().sshr(x, n)),
            I64x2ShrS => self.vec_shift(I64X2, |b, x, n| b.ins().sshr(x, n)),
            I8x16ShrU => self.vec_shift(I8X16, |b, x, n| b.ins().ushr(x, n)),
            I16x8ShrU => self.vec_shift(I16X8, |b, x, n| b.ins().ushr(x, n)),
            I32x4ShrU => self.vec_shift(I32X4, |b, x, n| b.ins().ushr(x, n)),
            I64x2ShrU => self.vec_shift(I64X2, |b, x, n| b.ins().ushr(x, n)),

            // Width changes: narrowing saturates, widening takes the low or high half.
            I8x16NarrowI16x8S => self.vec_binary(I16X8, |b, x, y| b.ins().snarrow(x, y)),
            I8x16NarrowI16x8U => self.vec_binary(I16X8, |b, x, y| b.ins().unarrow(x, y)),
            I16x8NarrowI32x4S => self.vec_binary(I32X4, |b, x, y| b.ins().snarrow(x, y)),
            I16x8NarrowI32x4U => self.vec_binary(I32X4, |b, x, y| b.ins().unarrow(x, y)),
            I16x8ExtendLowI8x16S => self.vec_unary(I8X16, |b, x| b.ins().swiden_low(x)),
            I16x8ExtendHighI8x16S => self.vec_unary(I8X16, |b, x| b.ins().swiden_high(x)),
            I16x8ExtendLowI8x16U => self.vec_unary(I8X16, |b, x| b.ins().uwiden_low(x)),
            I16x8ExtendHighI8x16U => self.vec_unary(I8X16, |b, x| b.ins().uwiden_high(x)),
            I32x4ExtendLowI16x8S => self.vec_unary(I16X8, |b, x| b.ins().swiden_low(x)),
            I32x4ExtendHighI16x8S => self.vec_unary(I16X8, |b, x| b.ins().swiden_high(x)),
            I32x4ExtendLowI16x8U => self.vec_unary(I16X8, |b, x| b.ins().uwiden_low(x)),
            I32x4ExtendHighI16x8U => self.vec_unary(I16X8, |b, x| b.ins().uwiden_high(x)),
            I64x2ExtendLowI32x4S => self.vec_unary(I32X4, |b, x| b.ins().swiden_low(x)),
            I64x2ExtendHighI32x4S => self.vec_unary(I32X4, |b, x| b.ins().swiden_high(x)),
            I64x2ExtendLowI32x4U => self.vec_unary(I32X4, |b, x| b.ins().uwiden_low(x)),
            I64x2ExtendHighI32x4U => self.vec_unary(I32X4, |b, x| b.ins().uwiden_high(x)),
            I16x8ExtAddPairwiseI8x16S => self.vec_unary(I8X16, |b, x| extadd_pairwise(b, x, true)),
            I16x8ExtAddPairwiseI8x16U => self.vec_unary(I8X16, |b, x| extadd_pairwise(b, x, false)),
            I32x4ExtAddPairwiseI16x8S => self.vec_unary(I16X8, |b, x| extadd_pairwise(b, x, true)),
            I32x4ExtAddPairwiseI16x8U => self.vec_unary(I16X8, |b, x| extadd_pairwise(b, x, false)),
            I16x8ExtMulLowI8x16S => self.extmul(I8X16, Half::Low, true),
            I16x8ExtMulHighI8x16S => self.extmul(I8X16, Half::High, true),
            I16x8ExtMulLowI8x16U => self.extmul(I8X16, Half::Low, false),
            I16x8ExtMulHighI8x16U => self.extmul(I8X16, Half::High, false),
            I32x4ExtMulLowI16x8S => self.extmul(I16X8, Half::Low, true),
            I32x4ExtMulHighI16x8S => self.extmul(I16X8, Half::High, true),
            I32x4ExtMulLowI16x8U => self.extmul(I16X8, Half::Low, false),
            I32x4ExtMulHighI16x8U => self.extmul(I16X8, Half::High, false),
            I64x2ExtMulLowI32x4S => self.extmul(I32X4, Half::Low, true),
            I64x2ExtMulHighI32x4S => self.extmul(I32X4, Half::High, true),
            I64x2ExtMulLowI32x4U => self.extmul(I32X4, Half::Low, false),
            I64x2ExtMulHighI32x4U => self.extmul(I32X4, Half::High, false),

            // Float arithmetic.
            F32x4Ceil => self.vec_unary(F32X4, |b, x| b.ins().ceil(x)),
            F64x2Ceil => self.vec_unary(F64X2, |b, x| b.ins().ceil(x)),
            F32x4Floor => self.vec_unary(F32X4, |b, x| b.ins().floor(x)),
            F64x2Floor => self.vec_unary(F64X2, |b, x| b.ins().floor(x)),
            F32x4Trunc => self.vec_unary(F32X4, |b, x| b.ins().trunc(x)),
            F64x2Trunc => self.vec_unary(F64X2, |b, x| b.ins().trunc(x)),
            F32x4Nearest => self.vec_unary(F32X4, |b, x| b.ins().nearest(x)),
            F64x2Nearest => self.vec_unary(F64X2, |b, x| b.ins().nearest(x)),
            F32x4Abs => self.vec_unary(F32X4, |b, x| b.ins().fabs(x)),
            F64x2Abs => self.vec_unary(F64X2, |b, x| b.ins().fabs(x)),
            F32x4Neg => self.vec_unary(F32X4, |b, x| b.ins().fneg(x)),
            F64x2Neg => self.vec_unary(F64X2, |b, x| b.ins().fneg(x)),
            F32x4Sqrt => self.vec_unary(F32X4, |b, x| b.ins().sqrt(x)),
            F64x2Sqrt => self.vec_unary(F64X2, |b, x| b.ins().sqrt(x)),
            F32x4Add => self.vec_binary(F32X4, |b, x, y| b.ins().fadd(x, y)),
            F64x2Add => self.vec_binary(F64X2, |b, x, y| b.ins().fadd(x, y)),
            F32x4Sub => self.vec_binary(F32X4, |b, x, y| b.ins().fsub(x, y)),
            F64x2Sub => self.vec_binary(F64X2, |b, x, y| b.ins().fsub(x, y)),
            F32x4Mul => self.vec_binary(F32X4, |b, x, y| b.ins().fmul(x, y)),
            F64x2Mul => self.vec_binary(F64X2, |b, x, y| b.ins().fmul(x, y)),
            F32x4Div => self.vec_binary(F32X4, |b, x, y| b.ins().fdiv(x, y)),
            F64x2Div => self.vec_binary(F64X2, |b, x, y| b.ins().fdiv(x, y)),
            F32x4Min | F32x4RelaxedMin => self.vec_binary(F32X4, |b, x, y| b.ins().fmin(x, y)),
            F64x2Min | F64x2RelaxedMin => self.vec_binary(F64X2, |b, x, y| b.ins().fmin(x, y)),
            F32x4Max | F32x4RelaxedMax => self.vec_binary(F32X4, |b, x, y| b.ins().fmax(x, y)),
            F64x2Max | F64x2RelaxedMax => self.vec_binary(F64X2, |b, x, y| b.ins().fmax(x, y)),
            // Pseudo-min/max are C's `y < x ? y : x` and `x < y ? y : x`, NaN and all.
            F32x4PMin => self.vec_binary(F32X4, |b, x, y| pseudo_min_max(b, y, x, y, x)),
            F64x2PMin => self.vec_binary(F64X2, |b, x, y| pseudo_min_max(b, y, x, y, x)),
            F32x4PMax => self.vec_binary(F32X4, |b, x, y| pseudo_min_max(b, x, y, y, x)),
            F64x2PMax => self.vec_binary(F64X2, |b, x, y| pseudo_min_max(b, x, y, y, x)),
            F32x4RelaxedMadd => self.vec_ternary(F32X4, multiply_add),
            F64x2RelaxedMadd => self.vec_ternary(F64X2, multiply_add),
            F32x4RelaxedNmadd => self.vec_ternary(F32X4, negated_multiply_add),
            F64x2RelaxedNmadd => self.vec_ternary(F64X2, negated_multiply_add),

            // Conversions between integer and float lanes.
            I32x4TruncSatF32x4S | I32x4RelaxedTruncF32x4S => {
                self.vec_unary(F32X4, |b, x| b.ins().fcvt_to_sint_sat(I32X4, x))
            }
            I32x4TruncSatF32x4U | I32x4RelaxedTruncF32x4U => {
                self.vec_unary(F32X4, |b, x| b.ins().fcvt_to_uint_sat(I32X4, x))
            }
            I32x4TruncSatF64x2SZero | I32x4RelaxedTruncF64x2SZero => {
                self.vec_unary(F64X2, |b, x| {
                    let wide = b.ins().fcvt_to_sint_sat(I64X2, x);
                    let zero = zeros(b, I64X2);
                    b.ins().snarrow(wide, zero)
                })
            }
            I32x4TruncSatF64x2UZero | I32x4RelaxedTruncF64x2UZero => {
                self.vec_unary(F64X2, |b, x| {
                    let wide = b.ins().fcvt_to_uint_sat(I64X2, x);
                    let zero = zeros(b, I64X2);
                    b.ins().uunarrow(wide, zero)
                })
            }
            F32x4ConvertI32x4S => self.vec_unary(I32X4, |b, x| b.ins().fcvt_from_sint(F32X4, x)),
            F32x4ConvertI32x4U => self.vec_unary(I32X4, |b, x| b.ins().fcvt_from_uint(F32X4, x)),
            F64x2ConvertLowI32x4S => self.vec_unary(I32X4, |b, x| {
                let wide = b.ins().swiden_low(x);
                b.ins().fcvt_from_sint(F64X2, wide)
            }),
            F64x2ConvertLowI32x4U => self.vec_unary(I32X4, |b, x| {
                let wide = b.ins().uwiden_low(x);
                b.ins().fcvt_from_uint(F64X2, wide)
            }),
            F32x4DemoteF64x2Zero => self.vec_unary(F64X2, |b, x| b.ins().fvdemote(x)),
            F64x2PromoteLowF32x4 => self.vec_unary(F32X4, |b, x| b.ins().fvpromote_low(x)),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pops a v128 as lane shape `ty`.
    pub(super) fn pop_vec(&mut self, ty: Type) -> Value {
        let v = self.pop();
        as_vector(&mut self.b, ty, v)
    }

    fn pop2_vec(&mut self, ty: Type) -> (Value, Value) {
        let y = self.pop_vec(ty);
        let x = self.pop_vec(ty);
        (x, y)
    }

    /// Pushes a vector of any shape as the canonical `i8x16`.
    pub(super) fn push_vec(&mut self, value: Value) {
        let v = as_vector(&mut self.b, I8X16, value);
        self.push(v);
    }

    fn vec_unary(&mut self, ty: Type, f: Unary) {
        let x = self.pop_vec(ty);
        let v = f(&mut self.b, x);
        self.push_vec(v);
    }

    fn vec_binary(&mut self, ty: Type, f: Binary) {
        let (x, y) = self.pop2_vec(ty);
        let v = f(&mut self.b, x, y);
        self.push_vec(v);
    }

    fn vec_ternary(&mut self, ty: Type, f: Ternary) {
        let z = self.pop_vec(ty);
        let (x, y) = self.pop2_vec(ty);
        let v = f(&mut self.b, x, y, z);
        self.push_vec(v);
    }

    fn vec_shift(&mut self, ty: Type, f: Binary) {
        let count = self.pop();
        let x = self.pop_vec(ty);
        let v = f(&mut self.b, x, count);
        self.push_vec(v);
    }

    fn vec_icmp(&mut self, ty: Type, cc: IntCC) {
        let (x, y) = self.pop2_vec(ty);
        let v = self.b.ins().icmp(cc, x, y);
        self.push_vec(v);
    }

    fn vec_fcmp(&mut self, ty: Type, cc: FloatCC) {
        let (x, y) = self.pop2_vec(ty);
        let v = self.b.ins().fcmp(cc, x, y);
        self.push_vec(v);
    }

    /// `narrow` is the lane type an i32 operand is truncated to first.
    fn splat(&mut self, ty: Type, narrow: Option<Type>) {
        let mut x = self.pop();
        if let Some(lane) = narrow {
            x = self.b.ins().ireduce(lane, x);
        }
        let v = self.b.ins().splat(ty, x);
        self.push_vec(v);
    }

    /// `signed` says how an i8/i16 lane is extended to the i32 result.
    fn extract_lane(&mut self, ty: Type, lane: u8, signed: Option<bool>) {
        let x = self.pop_vec(ty);
        let mut v = self.b.ins().extractlane(x, lane);
        match signed {
            Some(true) => v = self.b.ins().sextend(I32, v),
            Some(false) => v = self.b.ins().uextend(I32, v),
            None => {}
        }
        self.push(v);
    }

    fn replace_lane(&mut self, ty: Type, lane: u8, narrow: Option<Type>) {
        let mut x = self.pop();
        if let Some(lane_ty) = narrow {
            x = self.b.ins().ireduce(lane_ty, x);
        }
        let vector = self.pop_vec(ty);
        let v = self.b.ins().insertlane(vector, x, lane);
        self.push_vec(v);
    }

    fn all_true(&mut self, ty: Type) {
        let x = self.pop_vec(ty);
        let c = self.b.ins().vall_true(x);
        self.push_bool(c);
    }

    fn bitmask(&mut self, ty: Type) {
        let x = self.pop_vec(ty);
        let v = self.b.ins().vhigh_bits(I32, x);
        self.push(v);
    }

    /// Widens one half of both operands (lane shape `ty`) and multiplies lane-wise.
    fn extmul(&mut self, ty: Type, half: Half, signed: bool) {
        let (x, y) = self.pop2_vec(ty);
        let x = widen(&mut self.b, x, half, signed);
        let y = widen(&mut self.b, y, half, signed);
        let v = self.b.ins().imul(x, y);
        self.push_vec(v);
    }
}

#[derive(Clone, Copy)]
enum Half {
    Low,
    High,
}

fn widen(b: &mut FunctionBuilder<'_>, x: Value, half: Half, signed: bool) -> Value {
    let ins = b.ins();
    match (half, signed) {
        (Half::Low, true) => ins.swiden_low(x),
        (Half::High, true) => ins.swiden_high(x),
        (Half::Low, false) => ins.uwiden_low(x),
        (Half::High, false) => ins.uwiden_high(x),
    }
}

/// Adds adjacent lane pairs into lanes of twice the width.
fn extadd_pairwise(b: &mut FunctionBuilder<'_>, x: Value, signed: bool) -> Value {
    let low = widen(b, x, Half::Low, signed);
    let high = widen(b, x, Half::High, signed);
    b.ins().iadd_pairwise(low, high)
}

/// Signed products of adjacent lane pairs, summed into lanes of twice the width
/// (wrapping: only `i8x16` pairs can overflow, and the relaxed dot product allows it).
fn dot(b: &mut FunctionBuilder<'_>, x: Value, y: Value) -> Value {
    let low = {
        let (x, y) = (b.ins().swiden_low(x), b.ins().swiden_low(y));
        b.ins().imul(x, y)
    };
    let high = {
        let (x, y) = (b.ins().swiden_high(x), b.ins().swiden_high(y));
        b.ins().imul(x, y)
    };
    b.ins().iadd_pairwise(low, high)
}

/// Lane-wise `if lhs < rhs { then } else { otherwise }` for float lanes.
fn pseudo_min_max(
    b: &mut FunctionBuilder<'_>,
    lhs: Value,
    rhs: Value,
    then: Value,
    otherwise: Value,
) -> Value {
    let ty = b.func.dfg.value_type(then);
    let mask = b.ins().fcmp(FloatCC::LessThan, lhs, rhs);
    let mask = as_vector(b, ty, mask);
    b.ins().bitselect(mask, then, otherwise)
}

fn multiply_add(b: &mut FunctionBuilder<'_>, x: Value, y: Value, z: Value) -> Value {
    let product = b.ins().fmul(x, y);
    b.ins().fadd(product, z)
}

fn negated_multiply_add(b: &mut FunctionBuilder<'_>, x: Value, y: Value, z: Value) -> Value {
    let product = b.ins().fmul(x, y);
    b.ins().fsub(z, product)
}

/// The all-zeros vector of shape `ty`.
pub(super) fn zeros(b: &mut FunctionBuilder<'_>, ty: Type) -> Value {
    let constant = b.func.dfg.constants.insert(ConstantData::from(vec![0; 16]));
    b.ins().vconst(ty, constant)
}
