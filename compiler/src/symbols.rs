//! Native symbol names of compiled wasm functions, `wasm[INDEX]::NAME`: NAME comes from
//! the name section, demangled where the producer mangled it (Rust, C++), so `perf`,
//! debuggers and crash dumps show real names. The symbols are local to the object: two
//! modules linked together (the spec harness) may repeat them.

use crate::index::FuncIndex;

/// The symbol of function `index`, whose name-section name is `name`.
pub fn function_symbol(index: FuncIndex, name: Option<&str>) -> String {
    match name.filter(|n| !n.is_empty()) {
        Some(name) => format!("wasm[{index}]::{}", demangle(name)),
        None => format!("wasm[{index}]"),
    }
}

/// `name` demangled as Rust (legacy or v0, without the hash) or C++ (Itanium), else as is.
fn demangle(name: &str) -> String {
    if let Ok(rust) = rustc_demangle::try_demangle(name) {
        return format!("{rust:#}");
    }
    if name.starts_with("_Z") {
        let cpp = cpp_demangle::Symbol::new(name)
            .ok()
            .and_then(|s| s.demangle(&cpp_demangle::DemangleOptions::default()).ok());
        if let Some(cpp) = cpp {
            return cpp;
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_demangled_and_carry_the_index() {
        assert_eq!(function_symbol(FuncIndex::from_u32(3), None), "wasm[3]");
        assert_eq!(function_symbol(FuncIndex::from_u32(4), Some("")), "wasm[4]");
        assert_eq!(
            function_symbol(FuncIndex::from_u32(5), Some("main")),
            "wasm[5]::main"
        );
        assert_eq!(
            function_symbol(
                FuncIndex::from_u32(6),
                Some("_ZN4core3fmt5write17h0123456789abcdefE")
            ),
            "wasm[6]::core::fmt::write"
        );
        assert_eq!(
            function_symbol(FuncIndex::from_u32(7), Some("_ZN3foo3barEi")),
            "wasm[7]::foo::bar(int)"
        );
        assert_eq!(
            function_symbol(FuncIndex::from_u32(8), Some("_Zbogus")),
            "wasm[8]::_Zbogus"
        );
    }
}
