//! The runtime builtins compiled code calls (see `abi::builtins`).

use cranelift_codegen::ir::{types, AbiParam, Signature, Type};
use cranelift_codegen::isa::CallConv;
use kiln_abi::{builtins as names, TrapKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    MemoryGrow,
    MemoryFill,
    MemoryCopy,
    MemoryInit,
    DataDrop,
    TableGrow,
    TableFill,
    TableCopy,
    TableInit,
    ElemDrop,
}

impl Builtin {
    pub const ALL: [Builtin; 10] = [
        Builtin::MemoryGrow,
        Builtin::MemoryFill,
        Builtin::MemoryCopy,
        Builtin::MemoryInit,
        Builtin::DataDrop,
        Builtin::TableGrow,
        Builtin::TableFill,
        Builtin::TableCopy,
        Builtin::TableInit,
        Builtin::ElemDrop,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            Builtin::MemoryGrow => names::MEMORY_GROW,
            Builtin::MemoryFill => names::MEMORY_FILL,
            Builtin::MemoryCopy => names::MEMORY_COPY,
            Builtin::MemoryInit => names::MEMORY_INIT,
            Builtin::DataDrop => names::DATA_DROP,
            Builtin::TableGrow => names::TABLE_GROW,
            Builtin::TableFill => names::TABLE_FILL,
            Builtin::TableCopy => names::TABLE_COPY,
            Builtin::TableInit => names::TABLE_INIT,
            Builtin::ElemDrop => names::ELEM_DROP,
        }
    }

    /// Parameters after `vmctx`, and the result.
    fn params_and_result(self) -> (&'static [Type], Option<Type>) {
        use types::{I32, I64};
        match self {
            Builtin::MemoryGrow => (&[I32], Some(I32)),
            Builtin::MemoryFill | Builtin::MemoryCopy => (&[I32, I32, I32], Some(I32)),
            Builtin::MemoryInit => (&[I32, I32, I32, I32], Some(I32)),
            Builtin::DataDrop | Builtin::ElemDrop => (&[I32], None),
            Builtin::TableGrow => (&[I32, I64, I32], Some(I32)),
            Builtin::TableFill => (&[I32, I32, I64, I32], Some(I32)),
            Builtin::TableCopy | Builtin::TableInit => (&[I32, I32, I32, I32, I32], Some(I32)),
        }
    }

    /// The trap a non-zero result stands for, for fallible builtins.
    pub fn failure(self) -> Option<TrapKind> {
        match self {
            Builtin::MemoryFill | Builtin::MemoryCopy | Builtin::MemoryInit => {
                Some(TrapKind::MemoryOutOfBounds)
            }
            Builtin::TableFill | Builtin::TableCopy | Builtin::TableInit => {
                Some(TrapKind::TableOutOfBounds)
            }
            _ => None,
        }
    }

    pub fn signature(self, call_conv: CallConv) -> Signature {
        let (params, result) = self.params_and_result();
        let mut sig = Signature::new(call_conv);
        sig.params.push(AbiParam::new(types::I64));
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns.extend(result.map(AbiParam::new));
        sig
    }
}
