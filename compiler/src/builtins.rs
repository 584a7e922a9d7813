//! Cranelift signatures of the runtime builtins compiled code calls (the list is
//! `kiln_abi::builtins`).

use cranelift_codegen::ir::{types, AbiParam, Signature, Type};
use cranelift_codegen::isa::CallConv;
pub use kiln_abi::builtins::Builtin;
use kiln_abi::builtins::Scalar;

fn clif_type(scalar: Scalar) -> Type {
    match scalar {
        Scalar::I32 => types::I32,
        Scalar::I64 => types::I64,
    }
}

/// `fn(vmctx, params...) -> result` in the platform's C convention `call_conv`.
pub fn signature(builtin: Builtin, call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    let params = builtin
        .params()
        .iter()
        .map(|&s| AbiParam::new(clif_type(s)));
    sig.params.extend(params);
    sig.returns
        .extend(builtin.result().map(|s| AbiParam::new(clif_type(s))));
    sig
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature calls are compiled with is the Rust type the runtime defines each
    /// builtin with (`kiln_abi::builtins::fn_types`, checked against the definitions when
    /// the runtime compiles).
    #[test]
    fn signatures_match_the_runtime_function_types() {
        for &builtin in Builtin::ALL {
            let sig = signature(builtin, CallConv::SystemV);
            let (params, result) = builtin.rust_signature();
            let mut expected: Vec<Type> = vec![types::I64];
            expected.extend(params.into_iter().map(clif_type));
            let actual: Vec<Type> = sig.params.iter().map(|p| p.value_type).collect();
            assert_eq!(actual, expected, "{builtin:?} parameters");
            let actual: Vec<Type> = sig.returns.iter().map(|p| p.value_type).collect();
            let expected: Vec<Type> = result.into_iter().map(clif_type).collect();
            assert_eq!(actual, expected, "{builtin:?} result");
        }
    }
}
