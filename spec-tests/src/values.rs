//! Values on the harness protocol, and matching results against a `.wast` expectation.
//!
//! Protocol values: `i32:HEX`, `i64:HEX`, `f32:HEX`, `f64:HEX` (raw bits, lowercase hex),
//! `v128:HEX` (the 16 bytes as one little-endian number, 32 digits), `funcref:null`, `funcref:ref`, `externref:null`, `externref:N` (host reference N),
//! `exnref:null`, `exnref:ref`.

use wast::core::{HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
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
        WastArgCore::V128(v) => format!("v128:{:032x}", u128::from_le_bytes(v.to_le_bytes())),
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
        HeapType::Abstract {
            ty: wast::core::AbstractHeapType::Exn | wast::core::AbstractHeapType::NoExn,
            ..
        } => "exnref",
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
    /// A v128, lane by lane (float lanes may be NaN patterns).
    V128(Lanes),
    FuncNull,
    ExternNull,
    ExnNull,
    /// `(ref.null)` without a type (Wasm 3.0 scripts): a null reference of any type.
    AnyNull,
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
            WastRetCore::F32(p) => Expected::F32(nan_pattern(p, |v| v.bits)),
            WastRetCore::F64(p) => Expected::F64(nan_pattern(p, |v| v.bits)),
            WastRetCore::V128(p) => Expected::V128(Lanes::from_wast(p)),
            WastRetCore::RefNull(Some(ty)) if ref_kind(ty) == "funcref" => Expected::FuncNull,
            WastRetCore::RefNull(Some(ty)) if ref_kind(ty) == "exnref" => Expected::ExnNull,
            WastRetCore::RefNull(None) => Expected::AnyNull,
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
            Expected::V128(lanes) => {
                kind == "v128" && u128::from_str_radix(payload, 16).is_ok_and(|v| lanes.matches(v))
            }
            Expected::FuncNull => actual == "funcref:null",
            Expected::ExternNull => actual == "externref:null",
            Expected::ExnNull => actual == "exnref:null",
            Expected::AnyNull => payload == "null",
            Expected::FuncRef => actual == "funcref:ref",
            Expected::Extern(None) => kind == "externref" && payload != "null",
            Expected::Extern(Some(n)) => actual == format!("externref:{n}"),
            Expected::Either(options) => options.iter().any(|o| o.matches(actual)),
        }
    }
}

fn nan_pattern<T: Copy, B>(p: &NanPattern<T>, bits: impl Fn(T) -> B) -> NanPattern<B> {
    match p {
        NanPattern::CanonicalNan => NanPattern::CanonicalNan,
        NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
        NanPattern::Value(v) => NanPattern::Value(bits(*v)),
    }
}

/// An expected v128 in the shape the test wrote it: integer lanes are exact, float
/// lanes may be NaN patterns.
#[derive(Clone, Debug)]
pub enum Lanes {
    /// The exact 16 bytes, as one little-endian number.
    Exact(u128),
    F32([NanPattern<u32>; 4]),
    F64([NanPattern<u64>; 2]),
}

impl Lanes {
    fn from_wast(p: &V128Pattern) -> Lanes {
        fn bytes<const N: usize, const W: usize>(lanes: [[u8; W]; N]) -> u128 {
            u128::from_le_bytes(lanes.concat().try_into().expect("16 bytes of lanes"))
        }
        match p {
            V128Pattern::I8x16(l) => Lanes::Exact(bytes(l.map(i8::to_le_bytes))),
            V128Pattern::I16x8(l) => Lanes::Exact(bytes(l.map(i16::to_le_bytes))),
            V128Pattern::I32x4(l) => Lanes::Exact(bytes(l.map(i32::to_le_bytes))),
            V128Pattern::I64x2(l) => Lanes::Exact(bytes(l.map(i64::to_le_bytes))),
            V128Pattern::F32x4(l) => Lanes::F32(l.each_ref().map(|p| nan_pattern(p, |v| v.bits))),
            V128Pattern::F64x2(l) => Lanes::F64(l.each_ref().map(|p| nan_pattern(p, |v| v.bits))),
        }
    }

    fn matches(&self, value: u128) -> bool {
        match self {
            Lanes::Exact(v) => *v == value,
            Lanes::F32(lanes) => lanes
                .iter()
                .enumerate()
                .all(|(i, p)| f32_matches(p, (value >> (32 * i)) as u32)),
            Lanes::F64(lanes) => lanes
                .iter()
                .enumerate()
                .all(|(i, p)| f64_matches(p, (value >> (64 * i)) as u64)),
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
    fn v128_lanes() {
        let lanes = Lanes::F32([
            NanPattern::Value(0x3f80_0000),
            NanPattern::CanonicalNan,
            NanPattern::ArithmeticNan,
            NanPattern::Value(0),
        ]);
        let value = |l: [u32; 4]| {
            let bytes: Vec<u8> = l.iter().flat_map(|x| x.to_le_bytes()).collect();
            format!(
                "v128:{:032x}",
                u128::from_le_bytes(bytes.try_into().unwrap())
            )
        };
        let expected = Expected::V128(lanes);
        assert!(expected.matches(&value([0x3f80_0000, 0xffc0_0000, 0x7fc0_0001, 0])));
        assert!(!expected.matches(&value([0x3f80_0000, 0x7fc0_0001, 0x7fc0_0001, 0])));
        assert!(!expected.matches(&value([0, 0x7fc0_0000, 0x7fc0_0000, 0x3f80_0000])));
        let exact = Expected::V128(Lanes::Exact(0x0102));
        assert!(exact.matches("v128:00000000000000000000000000000102"));
        assert!(!exact.matches("i64:102"));
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
