//! Values on the harness protocol, and matching results against a `.wast` expectation.
//!
//! Protocol values: `i32:HEX`, `i64:HEX`, `f32:HEX`, `f64:HEX` (raw bits, lowercase hex),
//! `funcref:null`, `funcref:ref`, `externref:null`, `externref:N` (host reference N).

use wast::core::{HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// Encodes an invoke argument.
pub fn encode_arg(arg: &WastArg<'_>) -> Result<String, String> {
    let WastArg::Core(arg) = arg else {
        return Err("component-model arguments are not supported".into());
    };
    Ok(match arg {
        WastArgCore::I32(v) => format!("i32:{:x}", *v as u32),
        WastArgCore::I64(v) => format!("i64:{:x}", *v as u64),
        WastArgCore::F32(v) => format!("f32:{:x}", v.bits),
        WastArgCore::F64(v) => format!("f64:{:x}", v.bits),
        WastArgCore::RefNull(ty) => format!("{}:null", ref_kind(ty)),
        WastArgCore::RefExtern(n) => format!("externref:{n}"),
        other => return Err(format!("unsupported argument {other:?}")),
    })
}

fn ref_kind(ty: &HeapType<'_>) -> &'static str {
    match ty {
        HeapType::Abstract {
            ty: wast::core::AbstractHeapType::Func,
            ..
        } => "funcref",
        _ => "externref",
    }
}

/// What one result must look like.
#[derive(Clone, Debug)]
pub enum Expected {
    I32(u32),
    I64(u64),
    F32(NanPattern<u32>),
    F64(NanPattern<u64>),
    FuncNull,
    ExternNull,
    /// A non-null funcref (the spec only checks that there is one).
    FuncRef,
    /// A host reference; `None` means any non-null externref.
    Extern(Option<u32>),
    /// Any one of several results.
    Either(Vec<Expected>),
}

impl Expected {
    pub fn from_wast(ret: &WastRet<'_>) -> Result<Expected, String> {
        let WastRet::Core(ret) = ret else {
            return Err("component-model results are not supported".into());
        };
        Self::from_core(ret)
    }

    fn from_core(ret: &WastRetCore<'_>) -> Result<Expected, String> {
        Ok(match ret {
            WastRetCore::I32(v) => Expected::I32(*v as u32),
            WastRetCore::I64(v) => Expected::I64(*v as u64),
            WastRetCore::F32(p) => Expected::F32(match p {
                NanPattern::CanonicalNan => NanPattern::CanonicalNan,
                NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
                NanPattern::Value(v) => NanPattern::Value(v.bits),
            }),
            WastRetCore::F64(p) => Expected::F64(match p {
                NanPattern::CanonicalNan => NanPattern::CanonicalNan,
                NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
                NanPattern::Value(v) => NanPattern::Value(v.bits),
            }),
            WastRetCore::RefNull(Some(ty)) if ref_kind(ty) == "funcref" => Expected::FuncNull,
            WastRetCore::RefNull(_) => Expected::ExternNull,
            WastRetCore::RefFunc(_) => Expected::FuncRef,
            WastRetCore::RefExtern(n) => Expected::Extern(*n),
            WastRetCore::Either(options) => Expected::Either(
                options
                    .iter()
                    .map(Self::from_core)
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(format!("unsupported expected result {other:?}")),
        })
    }

    /// Does the protocol value `actual` satisfy this expectation?
    pub fn matches(&self, actual: &str) -> bool {
        let (kind, payload) = actual.split_once(':').unwrap_or((actual, ""));
        let bits = || u64::from_str_radix(payload, 16).ok();
        match self {
            Expected::I32(v) => kind == "i32" && bits() == Some(*v as u64),
            Expected::I64(v) => kind == "i64" && bits() == Some(*v),
            Expected::F32(p) => kind == "f32" && bits().is_some_and(|b| f32_matches(p, b as u32)),
            Expected::F64(p) => kind == "f64" && bits().is_some_and(|b| f64_matches(p, b)),
            Expected::FuncNull => actual == "funcref:null",
            Expected::ExternNull => actual == "externref:null",
            Expected::FuncRef => actual == "funcref:ref",
            Expected::Extern(None) => kind == "externref" && payload != "null",
            Expected::Extern(Some(n)) => actual == format!("externref:{n}"),
            Expected::Either(options) => options.iter().any(|o| o.matches(actual)),
        }
    }
}

fn f32_matches(pattern: &NanPattern<u32>, bits: u32) -> bool {
    const EXP: u32 = 0x7f80_0000;
    const QUIET: u32 = 0x0040_0000;
    let payload = bits & 0x007f_ffff;
    let is_nan = bits & EXP == EXP && payload != 0;
    match pattern {
        NanPattern::CanonicalNan => is_nan && payload == QUIET,
        NanPattern::ArithmeticNan => is_nan && payload & QUIET != 0,
        NanPattern::Value(v) => *v == bits,
    }
}

fn f64_matches(pattern: &NanPattern<u64>, bits: u64) -> bool {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    const QUIET: u64 = 0x0008_0000_0000_0000;
    let payload = bits & 0x000f_ffff_ffff_ffff;
    let is_nan = bits & EXP == EXP && payload != 0;
    match pattern {
        NanPattern::CanonicalNan => is_nan && payload == QUIET,
        NanPattern::ArithmeticNan => is_nan && payload & QUIET != 0,
        NanPattern::Value(v) => *v == bits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        assert!(f32_matches(&NanPattern::CanonicalNan, 0x7fc0_0000));
        assert!(f32_matches(&NanPattern::CanonicalNan, 0xffc0_0000));
        assert!(!f32_matches(&NanPattern::CanonicalNan, 0x7fc0_0001));
        assert!(f32_matches(&NanPattern::ArithmeticNan, 0x7fc0_0001));
        assert!(!f32_matches(&NanPattern::ArithmeticNan, 0x7f80_0001));
        assert!(!f32_matches(&NanPattern::ArithmeticNan, 0x7f80_0000));
        assert!(f64_matches(
            &NanPattern::CanonicalNan,
            0x7ff8_0000_0000_0000
        ));
        assert!(!f64_matches(&NanPattern::Value(0), 0x8000_0000_0000_0000));
    }

    #[test]
    fn integers_and_refs() {
        assert!(Expected::I32(u32::MAX).matches("i32:ffffffff"));
        assert!(!Expected::I32(1).matches("i64:1"));
        assert!(Expected::Extern(Some(3)).matches("externref:3"));
        assert!(!Expected::Extern(None).matches("externref:null"));
        assert!(Expected::FuncRef.matches("funcref:ref"));
        assert!(Expected::Either(vec![Expected::I32(1), Expected::I32(2)]).matches("i32:2"));
    }
}
