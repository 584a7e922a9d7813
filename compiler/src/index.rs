//! Typed indices into a module's index spaces. A function index and a defined-function
//! index (a body's position), or a table index and a memory index, are different types,
//! so passing one for the other is a compile error, and the only conversions between the
//! function spaces are [`ModuleEnv::func_index`](crate::environ::ModuleEnv::func_index)
//! and [`ModuleEnv::defined_func`](crate::environ::ModuleEnv::defined_func).
//!
//! Operators and the ABI speak plain `u32`: an index is made typed where it is read from
//! an operator (`from_u32`) and plain again where it is written to the descriptor or the
//! VMContext layout (`as_u32`).

use cranelift_codegen::entity::entity_impl;

macro_rules! index_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub struct $name(u32);
            // Displayed as the bare number, as in error messages and symbol names.
            entity_impl!($name, "");
        )*
    };
}

index_types! {
    /// A function: the imported ones first, then the defined ones.
    FuncIndex;
    /// A function defined in the module: the position of its body in the code section.
    DefinedFuncIndex;
    /// A function type in the type section.
    TypeIndex;
    /// A table: imported first.
    TableIndex;
    /// A memory: imported first.
    MemoryIndex;
    /// A global: imported first.
    GlobalIndex;
    /// An exception tag: imported first.
    TagIndex;
    /// An element segment.
    ElemIndex;
    /// A data segment.
    DataIndex;
}
