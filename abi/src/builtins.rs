//! Builtins called by compiled code: `(symbol, params after vmctx, result)` with
//! `i32`/`i64` meaning 32/64-bit integers (`i64` for pointer-sized reference values).
//! Fallible ones return non-zero on failure and the caller traps with the kind listed.

/// `(vmctx, delta_pages: u32) -> u32`: old size in pages, or `u32::MAX` (-1) on failure.
pub const MEMORY_GROW: &str = "kiln_memory_grow";
/// `(vmctx, dst: u32, value: u32, len: u32) -> u32`; failure: MemoryOutOfBounds.
pub const MEMORY_FILL: &str = "kiln_memory_fill";
/// `(vmctx, dst: u32, src: u32, len: u32) -> u32`; failure: MemoryOutOfBounds.
pub const MEMORY_COPY: &str = "kiln_memory_copy";
/// `(vmctx, segment: u32, dst: u32, src: u32, len: u32) -> u32`; failure: MemoryOutOfBounds.
pub const MEMORY_INIT: &str = "kiln_memory_init";
/// `(vmctx, segment: u32)`.
pub const DATA_DROP: &str = "kiln_data_drop";
/// `(vmctx, table: u32, init: usize, delta: u32) -> u32`: old size, or `u32::MAX`.
pub const TABLE_GROW: &str = "kiln_table_grow";
/// `(vmctx, table: u32, dst: u32, value: usize, len: u32) -> u32`; failure: TableOutOfBounds.
pub const TABLE_FILL: &str = "kiln_table_fill";
/// `(vmctx, dst_table: u32, src_table: u32, dst: u32, src: u32, len: u32) -> u32`;
/// failure: TableOutOfBounds.
pub const TABLE_COPY: &str = "kiln_table_copy";
/// `(vmctx, table: u32, segment: u32, dst: u32, src: u32, len: u32) -> u32`;
/// failure: TableOutOfBounds.
pub const TABLE_INIT: &str = "kiln_table_init";
/// `(vmctx, segment: u32)`.
pub const ELEM_DROP: &str = "kiln_elem_drop";
