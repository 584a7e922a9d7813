//! Compiler errors: one message, printed by the CLI after `error: `.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
        }
    }

    /// A module rejected by the parser or validator, with the byte offset it gave.
    pub fn invalid(err: wasmparser::BinaryReaderError) -> Error {
        Error::new(format!(
            "invalid WebAssembly module: {} (at byte offset {:#x})",
            err.message(),
            err.offset()
        ))
    }

    /// A valid module using something Kiln does not compile yet.
    pub fn unsupported(what: impl fmt::Display) -> Error {
        Error::new(format!("unsupported WebAssembly feature: {what}"))
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
