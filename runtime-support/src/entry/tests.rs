use super::*;
use crate::abi::extern_kind::FUNC;
use crate::abi::{TrapKind, TrapSite, VMContext};
use crate::instance::InstanceData;
use crate::testutil::*;
use crate::traps::tests::{executable, no_core_dumps, TRAPPING_CODE, TRAP_OFFSET};
use std::ffi::CString;

type Fd4 = unsafe extern "C" fn(*mut VMContext, u32, u32, u32, u32) -> i32;
type Fd2 = unsafe extern "C" fn(*mut VMContext, u32, u32) -> i32;
type Exit = unsafe extern "C" fn(*mut VMContext, u32) -> !;

/// Calls imported function `index` of the calling instance with the callee's vmctx.
unsafe fn import<F: Copy>(vmctx: *mut VMContext, index: u32) -> (F, *mut VMContext) {
    // SAFETY: `vmctx` belongs to a live instance; the caller names the right type.
    unsafe {
        let f = InstanceData::from_vmctx(vmctx).vmctx.funcref(index);
        (
            core::mem::transmute_copy::<*const u8, F>(&f.fn_ptr),
            f.vmctx,
        )
    }
}

/// Writes `bytes` to stdout through the imported `fd_write` (function 0), using memory
/// from offset 1024 up.
unsafe fn print(vmctx: *mut VMContext, bytes: &[u8]) {
    // SAFETY: the test module has one page of memory and imports fd_write as function 0.
    unsafe {
        let base = (*vmctx).memory_base;
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(1024), bytes.len());
        base.add(0).cast::<[u8; 8]>().write_unaligned(
            [1024u32.to_le_bytes(), (bytes.len() as u32).to_le_bytes()]
                .concat()
                .try_into()
                .unwrap(),
        );
        let (fd_write, callee) = import::<Fd4>(vmctx, 0);
        assert_eq!(fd_write(callee, 1, 0, 1, 8), 0);
    }
}

unsafe extern "C" fn hello_start(vmctx: *mut VMContext) {
    // SAFETY: called as `_start` of the test module.
    unsafe { print(vmctx, b"hello\n") };
}

unsafe extern "C" fn exit_start(vmctx: *mut VMContext) {
    // SAFETY: called as `_start` of the test module, which imports proc_exit as function 1.
    unsafe {
        print(vmctx, b"exiting\n");
        let (proc_exit, callee) = import::<Exit>(vmctx, 1);
        proc_exit(callee, 7)
    }
}

unsafe extern "C" fn args_start(vmctx: *mut VMContext) {
    // SAFETY: called as `_start` of the test module, which imports args_sizes_get (2) and
    // args_get (3).
    unsafe {
        let base = (*vmctx).memory_base;
        let (sizes_get, c1) = import::<Fd2>(vmctx, 2);
        let (args_get, c2) = import::<Fd2>(vmctx, 3);
        assert_eq!(sizes_get(c1, 16, 20), 0);
        let (argc, size) = (*base.add(16).cast::<u32>(), *base.add(20).cast::<u32>());
        assert_eq!(args_get(c2, 32, 256), 0);
        let buf = core::slice::from_raw_parts(base.add(256), size as usize);
        let args: Vec<&[u8]> = buf.split(|&b| b == 0).take(argc as usize).collect();
        let mut line = args.join(&b'|');
        line.push(b'\n');
        print(vmctx, &line);
    }
}

/// A WASI command with memory and the imports the start functions above use.
fn command(start: Option<*const u8>) -> ModuleBuilder {
    let mut b = ModuleBuilder::new();
    let t4 = b.ty((&[0x7f; 4], &[0x7f], tramp_unused));
    let t_exit = b.ty((&[0x7f], &[], tramp_unused));
    let t2 = b.ty((&[0x7f; 2], &[0x7f], tramp_unused));
    let t_start = b.ty(V_V);
    b.import_func("wasi_snapshot_preview1", "fd_write", t4);
    b.import_func("wasi_snapshot_preview1", "proc_exit", t_exit);
    b.import_func("wasi_snapshot_preview1", "args_sizes_get", t2);
    b.import_func("wasi_snapshot_preview1", "args_get", t2);
    b.memory(1, u64::MAX);
    if let Some(body) = start {
        let f = b.func("_start", body, t_start);
        b.export("_start", FUNC, f);
    }
    b
}

fn run_main(desc: &'static ModuleDescriptor, args: &[&str]) -> ! {
    let args: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
    let argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    // SAFETY: argv holds argc C strings; the descriptor is well-formed.
    let status = unsafe { kiln_run_main(argv.len() as i32, argv.as_ptr(), desc) };
    std::process::exit(status)
}

#[test]
fn main_child() {
    let Ok(scenario) = std::env::var("KILN_CHILD") else {
        return;
    };
    let desc = match scenario.as_str() {
        "hello" => command(Some(hello_start as *const u8)).build(),
        "exit" => command(Some(exit_start as *const u8)).build(),
        "args" => command(Some(args_start as *const u8)).build(),
        "no-start" => command(None).build(),
        "unknown-import" => {
            let mut b = command(Some(hello_start as *const u8));
            b.import_func("env", "foo", 0);
            b.build()
        }
        "data-oob" => {
            let mut b = command(Some(hello_start as *const u8));
            b.active_data(65535, b"xx");
            b.build()
        }
        "trap" => {
            no_core_dumps();
            let code = executable(TRAPPING_CODE);
            let mut b = command(None);
            let site = TrapSite {
                offset: TRAP_OFFSET,
                kind: TrapKind::IntegerOverflow as u32,
            };
            let f = b.func_with_traps("_start", code, TRAPPING_CODE.len() as u32, 3, vec![site]);
            b.export("_start", FUNC, f);
            b.build()
        }
        _ => return,
    };
    run_main(desc, &["prog", "a b", "", "c"]);
}

fn run(scenario: &str) -> (Option<i32>, String, String) {
    let out = run_child("entry::tests::main_child", scenario);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn hello_world() {
    let (code, stdout, stderr) = run("hello");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.ends_with("\nhello\n"), "{stdout:?}");
}

#[test]
fn proc_exit_sets_the_status() {
    let (code, stdout, stderr) = run("exit");
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stdout.ends_with("\nexiting\n"), "{stdout:?}");
}

#[test]
fn args_are_argv_including_argv0() {
    let (code, stdout, stderr) = run("args");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.ends_with("\nprog|a b||c\n"), "{stdout:?}");
}

#[test]
fn missing_start_and_unknown_imports_exit_1() {
    let (code, _, stderr) = run("no-start");
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with("error: module has no `_start` export\n"),
        "{stderr}"
    );
    let (code, _, stderr) = run("unknown-import");
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with("error: unknown import `env::foo`\n"),
        "{stderr}"
    );
}

#[test]
fn traps_exit_134() {
    let (code, stdout, stderr) = run("data-oob");
    assert_eq!(code, Some(134), "{stderr}");
    assert!(!stdout.contains("hello"));
    assert!(
        stderr.ends_with(
            "error: wasm trap: out of bounds memory access\n  during instantiation: data segment 0 does not fit in memory\n"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run("trap");
    assert_eq!(code, Some(134), "{stderr}");
    assert!(
        stderr.ends_with("error: wasm trap: integer overflow\n  in wasm function 4 `_start`\n"),
        "{stderr}"
    );
}
