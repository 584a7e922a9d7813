//! Why compiled code trapped: the codes trap sites record and the messages users see.

/// Why wasm code trapped. The discriminant is what trap sites record.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    StackOverflow = 1,
    MemoryOutOfBounds = 2,
    TableOutOfBounds = 3,
    IndirectCallToNull = 4,
    IndirectCallTypeMismatch = 5,
    IntegerOverflow = 6,
    IntegerDivisionByZero = 7,
    InvalidConversionToInteger = 8,
    Unreachable = 9,
    /// The `--max-time` deadline passed (or, later, another thread interrupted the instance).
    DeadlineExceeded = 10,
    /// `call_ref`, `return_call_ref` or `ref.as_non_null` on a null reference.
    NullReference = 11,
    /// An atomic access at an address that is not a multiple of its size.
    UnalignedAtomic = 12,
    /// `memory.atomic.wait32/64` on a memory that is not shared.
    AtomicWaitNonSharedMemory = 13,
    /// An exception no wasm frame caught reached the host (reported as
    /// `error: wasm exception: ...`, not as a trap).
    UncaughtException = 14,
}

impl TrapKind {
    /// What the report says happened: `error: wasm trap: ` or, for an uncaught exception
    /// (which is not a trap: `catch_all` could have caught it), `error: wasm exception: `.
    pub fn prefix(self) -> &'static str {
        match self {
            TrapKind::UncaughtException => "error: wasm exception: ",
            _ => "error: wasm trap: ",
        }
    }

    pub const ALL: [TrapKind; 14] = [
        TrapKind::StackOverflow,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::IndirectCallToNull,
        TrapKind::IndirectCallTypeMismatch,
        TrapKind::IntegerOverflow,
        TrapKind::IntegerDivisionByZero,
        TrapKind::InvalidConversionToInteger,
        TrapKind::Unreachable,
        TrapKind::DeadlineExceeded,
        TrapKind::NullReference,
        TrapKind::UnalignedAtomic,
        TrapKind::AtomicWaitNonSharedMemory,
        TrapKind::UncaughtException,
    ];

    pub fn from_u32(code: u32) -> Option<TrapKind> {
        Self::ALL.into_iter().find(|k| *k as u32 == code)
    }

    /// The exit status of an executable that ends this way.
    pub fn exit_status(self) -> i32 {
        match self {
            TrapKind::UncaughtException => crate::UNCAUGHT_EXCEPTION_EXIT_STATUS,
            _ => crate::TRAP_EXIT_STATUS,
        }
    }

    /// The text after [`TrapKind::prefix`].
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::IndirectCallToNull => "indirect call to null",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::InvalidConversionToInteger => "invalid conversion to integer",
            TrapKind::Unreachable => "unreachable instruction executed",
            TrapKind::DeadlineExceeded => "deadline exceeded",
            TrapKind::NullReference => "null reference",
            TrapKind::UnalignedAtomic => "unaligned atomic",
            TrapKind::AtomicWaitNonSharedMemory => "atomic wait on non-shared memory",
            TrapKind::UncaughtException => "uncaught exception",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_kinds_round_trip() {
        for k in TrapKind::ALL {
            assert_eq!(TrapKind::from_u32(k as u32), Some(k));
        }
        assert_eq!(TrapKind::from_u32(0), None);
    }
}
