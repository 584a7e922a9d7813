//! The harness protocol over hand-built modules ("compiled" functions are Rust functions
//! or test assembly with trap sites). Scenarios that trap or depend on a fresh signature
//! registry run in child processes.

use super::*;
use crate::entry::init_wasm_thread;
use crate::instance::{value_bits, value_from_bits, InstanceData};
use crate::testutil::*;
use crate::traps::tests::{executable, no_core_dumps, TRAPPING_CODE, TRAP_OFFSET};
use kiln_abi::extern_kind::{FUNC, GLOBAL, MEMORY, TABLE};
use kiln_abi::valtype::{EXTERNREF, F64, FUNCREF, I32, I64};
use kiln_abi::{hex, TrapSite, VMContext};
use std::io::Cursor;
use std::process::{Command, Stdio};

extern "C" {
    // From the recovery tests' assembly: recursion with a stack-limit check.
    fn kiln_test_recurse(vmctx: *mut VMContext);
    fn kiln_test_recurse_trap();
    fn kiln_test_recurse_end();
}

unsafe extern "C" fn double(_: *mut VMContext, x: i32) -> i32 {
    x.wrapping_mul(2)
}

unsafe extern "C" fn answer(_: *mut VMContext) -> i32 {
    42
}

unsafe extern "C" fn half(_: *mut VMContext, x: f64) -> f64 {
    x / 2.0
}

unsafe extern "C" fn identity(_: *mut VMContext, r: usize) -> usize {
    r
}

/// Calls imported function 1 (`spectest::print_i32`) with 42.
unsafe extern "C" fn call_print(vmctx: *mut VMContext) {
    // SAFETY: `vmctx` is a live instance whose function 1 is a host function of type
    // [i32] -> []; its funcref carries a `VMHostFunc`, read as a compiled adapter would.
    unsafe {
        let f = InstanceData::from_vmctx(vmctx).vmctx.funcref(1);
        let host = &*f.vmctx.cast::<kiln_abi::VMHostFunc>();
        let print: unsafe extern "C" fn(*mut VMContext, i32) = core::mem::transmute(host.host_fn);
        print(host.vmctx, 42);
    }
}

/// `[f64] -> [f64]`
unsafe extern "C" fn tramp_d_d(f: *const u8, vmctx: *mut VMContext, values: *mut VMGlobal) {
    // SAFETY: paired with functions of this signature; `values` holds one argument.
    unsafe {
        let f =
            core::mem::transmute::<*const u8, unsafe extern "C" fn(*mut VMContext, f64) -> f64>(f);
        let r = f(vmctx, f64::from_bits(value_bits(&*values)));
        *values = value_from_bits(r.to_bits());
    }
}

/// `[externref] -> [externref]`
unsafe extern "C" fn tramp_r_r(f: *const u8, vmctx: *mut VMContext, values: *mut VMGlobal) {
    // SAFETY: paired with functions of this signature; `values` holds one argument.
    unsafe {
        let f = core::mem::transmute::<
            *const u8,
            unsafe extern "C" fn(*mut VMContext, usize) -> usize,
        >(f);
        let r = f(vmctx, value_bits(&*values) as usize);
        *values = value_from_bits(r as u64);
    }
}

const D_D: (&[u8], &[u8], kiln_abi::Trampoline) = (&[F64], &[F64], tramp_d_d);
const R_R: (&[u8], &[u8], kiln_abi::Trampoline) = (&[EXTERNREF], &[EXTERNREF], tramp_r_r);
const PRINT_I32: (&[u8], &[u8], kiln_abi::Trampoline) = (&[I32], &[], tramp_unused);

fn trapping_function(b: &mut ModuleBuilder, name: &'static str, ty: u32) -> u32 {
    let site = TrapSite {
        offset: TRAP_OFFSET,
        kind: TrapKind::Unreachable as u32,
        wasm_offset: kiln_abi::NO_INDEX,
    };
    let code = executable(TRAPPING_CODE);
    b.func_with_traps(name, code, TRAPPING_CODE.len() as u32, ty, vec![site])
}

/// The modules of the protocol scenario, by index:
/// 0 "A": functions, globals, memory, table;
/// 1: imports A.double (registered as "A"), spectest print_i32, global_i32, table, memory;
/// 2: start function traps; 3: second data segment out of bounds of spectest.memory;
/// 4: print_i32 imported with a wrong type; 5: unknown spectest import;
/// 6: imports A.double only; 7: exports a function recursing until the stack limit.
fn modules() -> Vec<Option<&'static ModuleDescriptor>> {
    let mut a = ModuleBuilder::new();
    let t_ii = a.ty(I_I);
    let t_vi = a.ty(V_I);
    let t_vv = a.ty(V_V);
    let t_dd = a.ty(D_D);
    let t_rr = a.ty(R_R);
    let f_double = a.func("double", double as *const u8, t_ii);
    let f_answer = a.func("answer", answer as *const u8, t_vi);
    let f_boom = trapping_function(&mut a, "boom", t_vv);
    let f_half = a.func("half", half as *const u8, t_dd);
    let f_identity = a.func("identity", identity as *const u8, t_rr);
    a.memory(1, 1);
    let tab = a.table(FUNCREF, 2, 2);
    let g = a.global(I32, false, value(7));
    let mg = a.global(I64, true, value(u64::MAX));
    let fr = a.global(FUNCREF, false, ref_func(f_answer));
    let er = a.global(EXTERNREF, false, ref_null());
    for (name, kind, index) in [
        ("double", FUNC, f_double),
        ("answer", FUNC, f_answer),
        ("boom", FUNC, f_boom),
        ("half", FUNC, f_half),
        ("identity", FUNC, f_identity),
        ("mem", MEMORY, 0),
        ("tab", TABLE, tab),
        ("g", GLOBAL, g),
        ("mg", GLOBAL, mg),
        ("fr", GLOBAL, fr),
        ("er", GLOBAL, er),
        ("", FUNC, f_answer),
    ] {
        a.export(name, kind, index);
    }

    let mut b = ModuleBuilder::new();
    let t_ii = b.ty(I_I);
    let t_print = b.ty(PRINT_I32);
    let t_vv = b.ty(V_V);
    let f_double = b.import_func("A", "double", t_ii);
    b.import_func("spectest", "print_i32", t_print);
    let gi = b.import_global("spectest", "global_i32", I32, false);
    b.import_table("spectest", "table", FUNCREF, 10, 20);
    b.import_memory("spectest", "memory", 1, 2);
    let f_call_print = b.func("call_print", call_print as *const u8, t_vv);
    b.export("double2", FUNC, f_double);
    b.export("call_print", FUNC, f_call_print);
    b.export("gi", GLOBAL, gi);

    let mut c = ModuleBuilder::new();
    let t_vv = c.ty(V_V);
    c.start = Some(trapping_function(&mut c, "start", t_vv));

    let mut d = ModuleBuilder::new();
    d.import_memory("spectest", "memory", 1, u64::MAX);
    d.active_data(0, b"hi");
    d.active_data(65535, b"xx");

    let mut e = ModuleBuilder::new();
    let t_print = e.ty((&[I64], &[], tramp_unused));
    e.import_func("spectest", "print_i32", t_print);

    let mut f = ModuleBuilder::new();
    let t_vv = f.ty(V_V);
    f.import_func("spectest", "nope", t_vv);

    let mut g = ModuleBuilder::new();
    let t_ii = g.ty(I_I);
    g.import_func("A", "double", t_ii);

    let mut h = ModuleBuilder::new();
    let t_vv = h.ty(V_V);
    let start = kiln_test_recurse as *const () as usize;
    let site = TrapSite {
        offset: (kiln_test_recurse_trap as *const () as usize - start) as u32,
        kind: TrapKind::StackOverflow as u32,
        wasm_offset: kiln_abi::NO_INDEX,
    };
    let len = (kiln_test_recurse_end as *const () as usize - start) as u32;
    let f_recurse = h.func_with_traps("recurse", start as *const u8, len, t_vv, vec![site]);
    h.export("recurse", FUNC, f_recurse);

    [a, b, c, d, e, f, g, h]
        .into_iter()
        .map(|m| Some(m.build()))
        .collect()
}

/// `(request, expected response)`; a response ending in `*` is a prefix.
fn script() -> Vec<(String, String)> {
    let f64_bits = |x: f64| format!("{:x}", x.to_bits());
    let steps: Vec<(String, &str)> = vec![
        ("instantiate 6 0".into(), "error unknown import `A::double`"),
        ("instantiate 0 1".into(), "ok"),
        (format!("invoke 1 {} i32:15", hex("double")), "ok i32:2a"),
        (
            format!("invoke 1 {} i32:80000001", hex("double")),
            "ok i32:2",
        ),
        (format!("invoke 1 {}", hex("answer")), "ok i32:2a"),
        ("invoke 1 -".into(), "ok i32:2a"),
        (
            format!("invoke 1 {} f64:{}", hex("half"), f64_bits(3.0)),
            Box::leak(format!("ok f64:{}", f64_bits(1.5)).into_boxed_str()),
        ),
        (
            format!("invoke 1 {} externref:5", hex("identity")),
            "ok externref:5",
        ),
        (
            format!("invoke 1 {} externref:0", hex("identity")),
            "ok externref:0",
        ),
        (
            format!("invoke 1 {} externref:null", hex("identity")),
            "ok externref:null",
        ),
        (format!("invoke 1 {}", hex("boom")), "trap 9"),
        (format!("invoke 1 {}", hex("boom")), "trap 9"),
        (format!("invoke 1 {} i32:1", hex("double")), "ok i32:2"),
        (format!("invoke 1 {}", hex("double")), "error *"),
        (
            format!("invoke 1 {} i64:1", hex("double")),
            "error type mismatch*",
        ),
        (format!("invoke 1 {} i32:1 i32:2", hex("double")), "error *"),
        (
            format!("invoke 1 {} externref:1", hex("double")),
            "error type mismatch*",
        ),
        (
            format!("invoke 1 {}", hex("nothing")),
            "error unknown export*",
        ),
        (format!("invoke 1 {}", hex("g")), "*is not a function"),
        (format!("invoke 9 {}", hex("answer")), "error no instance 9"),
        (format!("get 1 {}", hex("g")), "ok i32:7"),
        (format!("get 1 {}", hex("mg")), "ok i64:ffffffffffffffff"),
        (format!("get 1 {}", hex("fr")), "ok funcref:ref"),
        (format!("get 1 {}", hex("er")), "ok externref:null"),
        (format!("get 1 {}", hex("double")), "*is not a global"),
        (format!("register {} 1", hex("A")), "ok"),
        ("instantiate 6 2".into(), "ok"),
        ("instantiate 1 3".into(), "ok"),
        (format!("invoke 3 {} i32:4", hex("double2")), "ok i32:8"),
        (format!("invoke 3 {}", hex("call_print")), "ok"),
        (format!("get 3 {}", hex("gi")), "ok i32:29a"),
        ("instantiate 2 4".into(), "trap 9"),
        ("instantiate 3 5".into(), "trap 2"),
        (
            "instantiate 4 6".into(),
            "error incompatible import type for `spectest::print_i32`*",
        ),
        (
            "instantiate 5 7".into(),
            "error unknown import `spectest::nope`",
        ),
        ("instantiate 99 8".into(), "error no module 99"),
        ("instantiate 0 1".into(), "error instance 1 exists already"),
        ("instantiate 7 9".into(), "ok"),
        (format!("invoke 9 {}", hex("recurse")), "trap 1"),
        (format!("invoke 9 {}", hex("recurse")), "trap 1"),
        (format!("invoke 9 {}", hex("recurse")), "trap 1"),
        (format!("invoke 3 {} i32:5", hex("double2")), "ok i32:a"),
        ("bogus".into(), "error unknown command"),
        ("".into(), "error unknown command"),
        ("get 1".into(), "error unknown command"),
        (format!("register {} 99", hex("B")), "error no instance 99"),
        ("register zz 1".into(), "error bad name `zz`"),
    ];
    steps.into_iter().map(|(r, e)| (r, e.to_string())).collect()
}

/// `*suffix`, `prefix*` or an exact line.
fn matches(actual: &str, expected: &str) -> bool {
    if let Some(suffix) = expected.strip_prefix('*') {
        actual.ends_with(suffix)
    } else if let Some(prefix) = expected.strip_suffix('*') {
        actual.starts_with(prefix)
    } else {
        actual == expected
    }
}

fn run_script() {
    let mut harness = Harness::new(modules()).unwrap();
    let steps = script();
    let input: String = steps.iter().map(|(r, _)| format!("{r}\n")).collect();
    let mut output = Vec::new();
    let mut input = Cursor::new(input);
    serve(
        &mut harness,
        |buf| Ok(std::io::Read::read(&mut input, buf).unwrap()),
        |bytes| {
            output.extend_from_slice(bytes);
            Ok(())
        },
    )
    .unwrap();
    let output = String::from_utf8(output).unwrap();
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines.len(),
        steps.len(),
        "one response per request:\n{output}"
    );
    for ((request, expected), actual) in steps.iter().zip(&lines) {
        assert!(
            matches(actual, expected),
            "{request:?}: got {actual:?}, expected {expected:?}"
        );
    }
    // The segment that fit before the trapping one stays in the shared memory.
    // SAFETY: the spectest memory is live and has one page.
    let head = unsafe { core::slice::from_raw_parts((*harness.spectest.memory()).base(), 2) };
    assert_eq!(head, b"hi");
}

/// Runs `scenario` on a thread prepared like the harness's wasm thread.
fn on_wasm_thread(scenario: fn()) {
    no_core_dumps();
    const STACK: usize = 2 << 20;
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            init_wasm_thread(STACK).unwrap();
            scenario();
        })
        .unwrap()
        .join()
        .unwrap();
}

fn spec_main() {
    let modules: Vec<*const ModuleDescriptor> = modules()
        .into_iter()
        .map(|m| m.map_or(core::ptr::null(), |m| m as *const _))
        .collect();
    // SAFETY: valid descriptors; no arguments.
    let status = unsafe { kiln_spec_main(0, core::ptr::null(), modules.as_ptr(), modules.len()) };
    std::process::exit(status);
}

#[test]
fn harness_child() {
    match std::env::var("KILN_CHILD").as_deref() {
        Ok("harness-script") => {
            on_wasm_thread(run_script);
            println!("harness script done");
        }
        Ok("harness-main") => spec_main(),
        _ => {}
    }
}

#[test]
fn the_protocol_over_hand_built_modules() {
    let out = run_child("harness::tests::harness_child", "harness-script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("harness script done"),
        "{:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("42 : i32\n"),
        "spectest.print_i32 writes to stderr: {stderr}"
    );
    assert!(!stdout.contains("42 : i32"), "and not to stdout");
}

#[test]
fn kiln_spec_main_answers_each_line_and_exits_0_at_eof() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "harness::tests::harness_child",
            "--exact",
            "--nocapture",
            "--quiet",
            "--test-threads=1",
        ])
        .env("KILN_CHILD", "harness-main")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let requests = format!(
        "instantiate 0 0\ninvoke 0 {answer}\ninvoke 0 {boom}\ninvoke 0 {answer}\n\
         instantiate 7 1\ninvoke 1 {recurse}\ninvoke 1 {recurse}\nhello\ninvoke 0 {answer}\n",
        answer = hex("answer"),
        boom = hex("boom"),
        recurse = hex("recurse"),
    );
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(requests.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let responses: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("ok") || l.starts_with("trap") || l.starts_with("error"))
        .collect();
    assert_eq!(
        responses,
        [
            "ok",
            "ok i32:2a",
            "trap 9",
            "ok i32:2a",
            "ok",
            "trap 1",
            "trap 1",
            "error unknown command",
            "ok i32:2a"
        ],
        "{stdout}"
    );
}

#[test]
fn names_and_values() {
    assert_eq!(decode_name("-").unwrap(), "");
    assert_eq!(decode_name("612062").unwrap(), "a b");
    assert_eq!(decode_name("e282ac").unwrap(), "€");
    assert!(decode_name("6").is_err());
    assert!(decode_name("zz").is_err());
    assert!(decode_name("ff").is_err(), "not UTF-8");

    assert_eq!(parse_value("i32:ffffffff", I32), Ok(0xffff_ffff));
    assert!(parse_value("i32:100000000", I32).is_err());
    assert_eq!(parse_value("i64:8000000000000000", I64), Ok(1 << 63));
    assert_eq!(
        parse_value("f64:7ff8000000000000", F64),
        Ok(0x7ff8_0000_0000_0000)
    );
    assert_eq!(parse_value("funcref:null", FUNCREF), Ok(0));
    assert!(parse_value("funcref:ref", FUNCREF).is_err());
    assert_eq!(parse_value("externref:null", EXTERNREF), Ok(0));
    assert_eq!(parse_value("externref:0", EXTERNREF), Ok(1));
    assert_eq!(parse_value("externref:4294967295", EXTERNREF), Ok(1 << 32));
    assert!(parse_value("i32:1", I64).is_err());
    assert!(parse_value("1", I32).is_err());

    assert_eq!(format_value(I32, 0xffff_ffff_0000_002a).unwrap(), "i32:2a");
    assert_eq!(format_value(I64, 0).unwrap(), "i64:0");
    assert_eq!(
        format_value(kiln_abi::valtype::F32, 0x7fc0_0000).unwrap(),
        "f32:7fc00000"
    );
    assert_eq!(format_value(FUNCREF, 0).unwrap(), "funcref:null");
    assert_eq!(format_value(FUNCREF, 0x1000).unwrap(), "funcref:ref");
    assert_eq!(format_value(EXTERNREF, 0).unwrap(), "externref:null");
    assert_eq!(format_value(EXTERNREF, 8).unwrap(), "externref:7");
    let v128 = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100;
    assert_eq!(
        format_value(kiln_abi::valtype::V128, v128).unwrap(),
        "v128:0f0e0d0c0b0a09080706050403020100"
    );
    assert_eq!(
        parse_value(
            "v128:0f0e0d0c0b0a09080706050403020100",
            kiln_abi::valtype::V128
        ),
        Ok(v128)
    );
}
