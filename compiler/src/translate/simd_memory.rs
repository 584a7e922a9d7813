//! `v128` loads and stores: whole vectors, widening loads, splats, zero-extending loads
//! and single lanes. Every access goes through `heap_address` like a scalar one, with
//! its own width (16 bytes for a whole vector) in the explicit bounds check.

use super::memory::heap_flags;
use super::Translator;
use crate::error::Error;
use cranelift_codegen::ir::types::{I16, I32, I64, I8, I8X16};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, Operator};

/// A widening vector load: `(flags, address, offset) -> vector`.
type LoadExtend = fn(&mut FunctionBuilder<'_>, MemFlagsData, Value, i32) -> Value;

/// The vector shape whose lanes have scalar type `lane`.
fn vector_of(lane: Type) -> Type {
    lane.by(128 / lane.bits())
        .expect("lane types divide 128 bits")
}

impl Translator<'_, '_> {
    pub(super) fn simd_memory(&mut self, op: &Operator<'_>) -> Result<bool, Error> {
        use Operator::*;
        match *op {
            V128Load { memarg } => {
                let (addr, offset) = self.heap_address(memarg, 16);
                let v = self.b.ins().load(I8X16, heap_flags(), addr, offset);
                self.push(v);
            }
            V128Store { memarg } => {
                let value = self.pop();
                let (addr, offset) = self.heap_address(memarg, 16);
                self.b.ins().store(heap_flags(), value, addr, offset);
            }

            // 64 bits loaded, each lane widened to twice its width.
            V128Load8x8S { memarg } => {
                self.load_extend(memarg, |b, f, a, o| b.ins().sload8x8(f, a, o))
            }
            V128Load8x8U { memarg } => {
                self.load_extend(memarg, |b, f, a, o| b.ins().uload8x8(f, a, o))
            }
            V128Load16x4S { memarg } => {
                self.load_extend(memarg, |b, f, a, o| b.ins().sload16x4(f, a, o))
            }
            V128Load16x4U { memarg } => {
                self.load_extend(memarg, |b, f, a, o| b.ins().uload16x4(f, a, o))
            }
            V128Load32x2S { memarg } => {
                self.load_extend(memarg, |b, f, a, o| b.ins().sload32x2(f, a, o))
            }
            V128Load32x2U { memarg } => {
                self.load_extend(memarg, |b, f, a, o| b.ins().uload32x2(f, a, o))
            }

            V128Load8Splat { memarg } => self.load_splat(memarg, I8),
            V128Load16Splat { memarg } => self.load_splat(memarg, I16),
            V128Load32Splat { memarg } => self.load_splat(memarg, I32),
            V128Load64Splat { memarg } => self.load_splat(memarg, I64),

            // One scalar into lane 0, the other lanes zero.
            V128Load32Zero { memarg } => self.load_zero(memarg, I32),
            V128Load64Zero { memarg } => self.load_zero(memarg, I64),

            V128Load8Lane { memarg, lane } => self.load_lane(memarg, I8, lane),
            V128Load16Lane { memarg, lane } => self.load_lane(memarg, I16, lane),
            V128Load32Lane { memarg, lane } => self.load_lane(memarg, I32, lane),
            V128Load64Lane { memarg, lane } => self.load_lane(memarg, I64, lane),
            V128Store8Lane { memarg, lane } => self.store_lane(memarg, I8, lane),
            V128Store16Lane { memarg, lane } => self.store_lane(memarg, I16, lane),
            V128Store32Lane { memarg, lane } => self.store_lane(memarg, I32, lane),
            V128Store64Lane { memarg, lane } => self.store_lane(memarg, I64, lane),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn load_extend(&mut self, memarg: MemArg, load: LoadExtend) {
        let (addr, offset) = self.heap_address(memarg, 8);
        let v = load(&mut self.b, heap_flags(), addr, offset);
        self.push_vec(v);
    }

    fn load_splat(&mut self, memarg: MemArg, lane: Type) {
        let (addr, offset) = self.heap_address(memarg, lane.bytes());
        let x = self.b.ins().load(lane, heap_flags(), addr, offset);
        let v = self.b.ins().splat(vector_of(lane), x);
        self.push_vec(v);
    }

    fn load_zero(&mut self, memarg: MemArg, lane: Type) {
        let (addr, offset) = self.heap_address(memarg, lane.bytes());
        let x = self.b.ins().load(lane, heap_flags(), addr, offset);
        let v = self.b.ins().scalar_to_vector(vector_of(lane), x);
        self.push_vec(v);
    }

    fn load_lane(&mut self, memarg: MemArg, lane_ty: Type, lane: u8) {
        let vector = self.pop_vec(vector_of(lane_ty));
        let (addr, offset) = self.heap_address(memarg, lane_ty.bytes());
        let x = self.b.ins().load(lane_ty, heap_flags(), addr, offset);
        let v = self.b.ins().insertlane(vector, x, lane);
        self.push_vec(v);
    }

    fn store_lane(&mut self, memarg: MemArg, lane_ty: Type, lane: u8) {
        let vector = self.pop_vec(vector_of(lane_ty));
        let (addr, offset) = self.heap_address(memarg, lane_ty.bytes());
        let x = self.b.ins().extractlane(vector, lane);
        self.b.ins().store(heap_flags(), x, addr, offset);
    }
}
