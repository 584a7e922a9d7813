//! What one module did, in the form both engines can produce and compare: the harness
//! protocol's value strings (`i32:HEX`, `f64:HEX`, `v128:HEX`, `funcref:null|ref`, ...),
//! trap kinds, and after each call a digest of every exported memory, table and global.

use kiln_abi::TrapKind;

/// One call of an exported function, with its arguments in protocol form.
#[derive(Clone, Debug)]
pub struct Call {
    pub export: String,
    pub args: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Returned(Vec<String>),
    Trapped(TrapKind),
}

/// Export digests as `HEXNAME:DIGEST`, sorted.
pub type State = Vec<String>;

#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// `Err` when instantiation trapped (the calls then did not run).
    pub instantiation: Option<Result<State, TrapKind>>,
    pub calls: Vec<(Outcome, State)>,
    /// After each call, the values of the globals a triage asked for.
    pub global_values: Vec<Vec<String>>,
}

pub enum Verdict {
    Agree,
    /// The traces cannot be compared from some point on (both are fine up to it): a call
    /// stack overflowed on one side, and stack depth is not specified.
    Inconclusive(String),
    Diverge(String),
}

/// Compares Kiln's trace with the reference's, call by call.
pub fn compare(calls: &[Call], reference: &Trace, kiln: &Trace) -> Verdict {
    let overflow = Outcome::Trapped(TrapKind::StackOverflow);
    match (&reference.instantiation, &kiln.instantiation) {
        (Some(Err(a)), Some(Err(b))) if a == b => return Verdict::Agree,
        (Some(Ok(a)), Some(Ok(b))) if a == b => {}
        (a, b) => {
            return Verdict::Diverge(format!(
                "instantiation: reference {}, kiln {}",
                describe_instantiation(a),
                describe_instantiation(b)
            ))
        }
    }
    for (i, call) in calls.iter().enumerate() {
        let (Some((want, want_state)), Some((got, got_state))) =
            (reference.calls.get(i), kiln.calls.get(i))
        else {
            return Verdict::Diverge(format!("call {i} ({}) missing from a trace", call.export));
        };
        if *want == overflow || *got == overflow {
            return Verdict::Inconclusive(format!(
                "call {i} ({}) overflowed the stack",
                call.export
            ));
        }
        if !same_outcome(want, got) {
            return Verdict::Diverge(format!(
                "call {i}: {}({}) returned {want:?} in the reference, {got:?} in kiln",
                call.export,
                call.args.join(", ")
            ));
        }
        if want_state != got_state {
            return Verdict::Diverge(format!(
                "call {i}: {}({}): exported state differs: reference {want_state:?}, kiln {got_state:?}",
                call.export,
                call.args.join(", ")
            ));
        }
    }
    Verdict::Agree
}

fn describe_instantiation(i: &Option<Result<State, TrapKind>>) -> String {
    match i {
        None => "did not run".into(),
        Some(Ok(state)) => format!("succeeded with state {state:?}"),
        Some(Err(kind)) => format!("trapped ({kind:?})"),
    }
}

/// Values must be identical, except that any NaN equals any NaN: the modules are generated
/// with NaN canonicalisation, but a NaN argument passed straight through keeps its payload
/// and the spec lets a returned NaN's payload vary.
fn same_outcome(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Outcome::Returned(a), Outcome::Returned(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y || both_nan(x, y))
        }
        _ => a == b,
    }
}

fn both_nan(a: &str, b: &str) -> bool {
    let nan = |v: &str| match v.split_once(':') {
        Some(("f32", bits)) => {
            u32::from_str_radix(bits, 16).is_ok_and(|b| f32::from_bits(b).is_nan())
        }
        Some(("f64", bits)) => {
            u64::from_str_radix(bits, 16).is_ok_and(|b| f64::from_bits(b).is_nan())
        }
        _ => false,
    };
    nan(a) && nan(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_payloads_are_equal_other_bits_are_not() {
        let r = |v: &str| Outcome::Returned(vec![v.to_string()]);
        assert!(same_outcome(&r("f32:7fc00000"), &r("f32:ffc00001")));
        assert!(!same_outcome(&r("f32:7fc00000"), &r("f32:0")));
        assert!(!same_outcome(&r("i32:7fc00000"), &r("i32:ffc00001")));
        assert!(!same_outcome(
            &r("i32:1"),
            &Outcome::Trapped(TrapKind::Unreachable)
        ));
    }
}
