//! Cranelift trap codes for wasm traps, and their translation to the runtime's kinds.

use cranelift_codegen::ir::TrapCode;
use kiln_abi::TrapKind;

const fn user(kind: TrapKind) -> TrapCode {
    TrapCode::unwrap_user(kind as u8)
}

pub const UNREACHABLE: TrapCode = user(TrapKind::Unreachable);
pub const TABLE_OUT_OF_BOUNDS: TrapCode = user(TrapKind::TableOutOfBounds);
pub const INDIRECT_CALL_TO_NULL: TrapCode = user(TrapKind::IndirectCallToNull);
pub const INDIRECT_CALL_TYPE_MISMATCH: TrapCode = user(TrapKind::IndirectCallTypeMismatch);
pub const DEADLINE_EXCEEDED: TrapCode = user(TrapKind::DeadlineExceeded);
pub const NULL_REFERENCE: TrapCode = user(TrapKind::NullReference);
pub const UNALIGNED_ATOMIC: TrapCode = user(TrapKind::UnalignedAtomic);
pub const ATOMIC_WAIT_NON_SHARED: TrapCode = user(TrapKind::AtomicWaitNonSharedMemory);
pub const UNCAUGHT_EXCEPTION: TrapCode = user(TrapKind::UncaughtException);

/// The runtime's kind for a trap site Cranelift recorded.
pub fn trap_kind(code: TrapCode) -> Option<TrapKind> {
    Some(match code {
        TrapCode::STACK_OVERFLOW => TrapKind::StackOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => TrapKind::MemoryOutOfBounds,
        TrapCode::INTEGER_OVERFLOW => TrapKind::IntegerOverflow,
        TrapCode::INTEGER_DIVISION_BY_ZERO => TrapKind::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => TrapKind::InvalidConversionToInteger,
        _ => {
            let user = code.as_raw().get();
            return TrapKind::ALL
                .into_iter()
                .find(|k| TrapCode::user(*k as u8).is_some_and(|c| c.as_raw().get() == user));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        for code in [
            UNREACHABLE,
            TABLE_OUT_OF_BOUNDS,
            INDIRECT_CALL_TO_NULL,
            DEADLINE_EXCEEDED,
            NULL_REFERENCE,
            UNALIGNED_ATOMIC,
            ATOMIC_WAIT_NON_SHARED,
            UNCAUGHT_EXCEPTION,
        ] {
            assert!(trap_kind(code).is_some());
        }
        assert_eq!(
            trap_kind(INDIRECT_CALL_TYPE_MISMATCH),
            Some(TrapKind::IndirectCallTypeMismatch)
        );
        assert_eq!(
            trap_kind(TrapCode::HEAP_OUT_OF_BOUNDS),
            Some(TrapKind::MemoryOutOfBounds)
        );
        assert_eq!(
            trap_kind(TrapCode::STACK_OVERFLOW),
            Some(TrapKind::StackOverflow)
        );
    }
}
