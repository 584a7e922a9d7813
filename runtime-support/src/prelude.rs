//! What std's prelude would give: the runtime is `no_std` (see `lib.rs`), so every module
//! takes the `alloc` types it needs from here.

pub(crate) use alloc::boxed::Box;
pub(crate) use alloc::format;
pub(crate) use alloc::string::{String, ToString};
pub(crate) use alloc::vec;
pub(crate) use alloc::vec::Vec;
