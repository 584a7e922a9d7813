//! Names and paths in one word, for the line formats of the manifest and the harness protocol.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Hex-encodes a name or path for the line formats of the manifest and of the spec-test
/// harness protocol, so any UTF-8 (spaces included) fits in one word; `-` is the empty
/// string.
pub fn hex(s: &str) -> String {
    if s.is_empty() {
        return "-".to_string();
    }
    s.bytes().map(|b| alloc::format!("{b:02x}")).collect()
}

/// Decodes what [`hex`] wrote; `None` for anything else.
pub fn unhex(s: &str) -> Option<String> {
    if s == "-" {
        return Some(String::new());
    }
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_names() {
        assert_eq!(hex(""), "-");
        assert_eq!(hex("a b"), "612062");
        assert_eq!(unhex("612062").as_deref(), Some("a b"));
        assert_eq!(unhex("-").as_deref(), Some(""));
        assert_eq!(unhex("6"), None);
    }
}
