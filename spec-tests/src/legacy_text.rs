//! The folded form of the legacy exception-handling `try`, which the `wast` crate cannot
//! parse: `(try $l? BLOCKTYPE (do I*) (catch $t I*)* (catch_all I*)?)` and
//! `(try $l? BLOCKTYPE (do I*) (delegate L))`. [`unfold_legacy_try`] rewrites each one
//! into the flat form (`try $l? BLOCKTYPE I* catch $t I* ... end`, `... delegate L`),
//! which it parses, keeping every line break where it was so line numbers still match.

/// `text` with every folded legacy `try` unfolded (strings and comments untouched).
pub fn unfold_legacy_try(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = skip_string_or_comment(bytes, i) {
            out.push_str(&text[i..end]);
            i = end;
        } else if starts_keyword(bytes, i + 1, "try") && bytes[i] == b'(' {
            let close = matching_paren(bytes, i);
            out.push_str(&unfold(&text[i + 4..close]));
            // The closing parenthesis becomes a space (the `end` was written by unfold).
            out.push(' ');
            i = close + 1;
        } else {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

/// The flat form of the inside of one `(try ...)`.
fn unfold(inner: &str) -> String {
    let mut out = String::from("try");
    let mut delegated = false;
    for item in items(inner) {
        let Item::Group(group) = item else {
            // Labels, whitespace and anything else before `(do`: as written.
            out.push_str(item.text());
            continue;
        };
        let body = &group[1..group.len() - 1];
        let keyword = ["do", "catch_all", "catch", "delegate"]
            .into_iter()
            .find(|k| starts_keyword(body.as_bytes(), 0, k));
        match keyword {
            Some("do") => {
                out.push_str("   ");
                out.push_str(&unfold_legacy_try(&body[2..]));
            }
            Some(k) => {
                if k == "delegate" {
                    delegated = true;
                }
                out.push(' ');
                out.push_str(k);
                out.push_str(&unfold_legacy_try(&body[k.len()..]));
            }
            // A block type such as `(result i32)`.
            None => out.push_str(group),
        }
        out.push(' ');
    }
    if !delegated {
        out.push_str(" end");
    }
    out
}

enum Item<'a> {
    Group(&'a str),
    Other(&'a str),
}

impl<'a> Item<'a> {
    fn text(&self) -> &'a str {
        match self {
            Item::Group(s) | Item::Other(s) => s,
        }
    }
}

/// The top-level parenthesised groups of `text` and the text between them.
fn items(text: &str) -> Vec<Item<'_>> {
    let bytes = text.as_bytes();
    let mut items = Vec::new();
    let (mut i, mut start) = (0, 0);
    while i < bytes.len() {
        if let Some(end) = skip_string_or_comment(bytes, i) {
            i = end;
        } else if bytes[i] == b'(' {
            if start < i {
                items.push(Item::Other(&text[start..i]));
            }
            let close = matching_paren(bytes, i);
            items.push(Item::Group(&text[i..=close]));
            i = close + 1;
            start = i;
        } else {
            i += 1;
        }
    }
    if start < bytes.len() {
        items.push(Item::Other(&text[start..]));
    }
    items
}

/// Whether `keyword` starts at `at` and is followed by a delimiter.
fn starts_keyword(bytes: &[u8], at: usize, keyword: &str) -> bool {
    bytes[at.min(bytes.len())..].starts_with(keyword.as_bytes())
        && bytes
            .get(at + keyword.len())
            .is_none_or(|&b| b.is_ascii_whitespace() || b == b'(' || b == b')')
}

/// The index of the `)` closing the `(` at `open` (the end of the text if unclosed).
fn matching_paren(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut i = open;
    while i < bytes.len() {
        if let Some(end) = skip_string_or_comment(bytes, i) {
            i = end;
            continue;
        }
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len() - 1
}

/// If a string, line comment or block comment starts at `i`: where it ends.
fn skip_string_or_comment(bytes: &[u8], i: usize) -> Option<usize> {
    match (bytes[i], bytes.get(i + 1)) {
        (b'"', _) => {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            Some((j + 1).min(bytes.len()))
        }
        (b';', Some(b';')) => Some(
            bytes[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |p| i + p),
        ),
        (b'(', Some(b';')) => {
            let mut depth = 0;
            let mut j = i;
            while j + 1 < bytes.len() {
                match (bytes[j], bytes[j + 1]) {
                    (b'(', b';') => {
                        depth += 1;
                        j += 2;
                    }
                    (b';', b')') => {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            return Some(j);
                        }
                    }
                    _ => j += 1,
                }
            }
            Some(bytes.len())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_try_becomes_flat() {
        let text = "(func (try (result i32) (do (i32.const 1)) (catch $e (i32.const 2)) (catch_all (i32.const 3))))";
        let flat = unfold_legacy_try(text);
        assert_eq!(
            flat.split_whitespace().collect::<Vec<_>>().join(" "),
            "(func try (result i32) (i32.const 1) catch $e (i32.const 2) catch_all (i32.const 3) end )"
        );
    }

    #[test]
    fn delegate_has_no_end_and_nesting_and_lines_are_kept() {
        let text = "(try $t\n (do (try (do (throw $e)) (delegate $t)))\n (catch_all))";
        let flat = unfold_legacy_try(text);
        assert_eq!(flat.lines().count(), 3);
        assert_eq!(
            flat.split_whitespace().collect::<Vec<_>>().join(" "),
            "try $t try (throw $e) delegate $t catch_all end"
        );
    }

    #[test]
    fn try_table_strings_and_comments_are_untouched() {
        let text = "(try_table (catch $e 0)) \"(try\" ;; (try (do))\n(; (try ;)";
        assert_eq!(unfold_legacy_try(text), text);
    }
}
