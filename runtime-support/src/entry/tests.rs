use super::*;
use crate::instance::InstanceData;
use crate::testutil::*;
use crate::traps::tests::{executable, no_core_dumps, TRAPPING_CODE, TRAP_OFFSET};
use kiln_abi::extern_kind::FUNC;
use kiln_abi::manifest::{self, Grant};
use kiln_abi::{TrapKind, TrapSite, VMContext};
use std::ffi::CString;

type Fd4 = unsafe extern "C" fn(*mut VMContext, u32, u32, u32, u32) -> i32;
type Fd2 = unsafe extern "C" fn(*mut VMContext, u32, u32) -> i32;
type Fd3 = unsafe extern "C" fn(*mut VMContext, u32, u32, u32) -> i32;
type Exit = unsafe extern "C" fn(*mut VMContext, u32) -> !;

/// Imported host function `index` of the calling instance and the vmctx to call it with,
/// read as a compiled host adapter reads them (from the funcref's `VMHostFunc`).
unsafe fn import<F: Copy>(vmctx: *mut VMContext, index: u32) -> (F, *mut VMContext) {
    // SAFETY: `vmctx` belongs to a live instance whose import `index` is a host function;
    // the caller names the right type.
    unsafe {
        let f = InstanceData::from_vmctx(vmctx).vmctx.funcref(index);
        let host = &*f.vmctx.cast::<kiln_abi::VMHostFunc>();
        (
            core::mem::transmute_copy::<*const u8, F>(&host.host_fn),
            host.vmctx,
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

/// Prints `preopen FD NAME` for every preopen (enumerated as wasi-libc does: from fd 3
/// until EBADF) and `env KEY=VALUE` for every granted variable whose name starts with
/// `KILN_`.
unsafe extern "C" fn grants_start(vmctx: *mut VMContext) {
    // SAFETY: called as `_start` of the test module, which imports fd_prestat_get (4),
    // fd_prestat_dir_name (5), environ_sizes_get (6) and environ_get (7).
    unsafe {
        let base = (*vmctx).memory_base;
        let (prestat_get, c4) = import::<Fd2>(vmctx, 4);
        let (dir_name, c5) = import::<Fd3>(vmctx, 5);
        let (env_sizes, c6) = import::<Fd2>(vmctx, 6);
        let (env_get, c7) = import::<Fd2>(vmctx, 7);
        let mut out = Vec::new();
        let mut fd = 3;
        while prestat_get(c4, fd, 16) == 0 {
            assert_eq!(*base.add(16), 0, "a directory");
            let len = *base.add(20).cast::<u32>();
            assert_eq!(dir_name(c5, fd, 256, len), 0);
            out.extend_from_slice(format!("preopen {fd} ").as_bytes());
            out.extend_from_slice(core::slice::from_raw_parts(base.add(256), len as usize));
            out.push(b'\n');
            fd += 1;
        }
        assert_eq!(env_sizes(c6, 16, 20), 0);
        let (count, size) = (*base.add(16).cast::<u32>(), *base.add(20).cast::<u32>());
        assert!(
            count < 1000 && size < 40000,
            "environment too large for the test"
        );
        assert_eq!(env_get(c7, 20000, 24000), 0);
        let strings = core::slice::from_raw_parts(base.add(24000), size as usize);
        for var in strings.split(|&b| b == 0).take(count as usize) {
            if var.starts_with(b"KILN_") {
                out.extend_from_slice(b"env ");
                out.extend_from_slice(var);
                out.push(b'\n');
            }
        }
        print(vmctx, &out);
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
    let t3 = b.ty((&[0x7f; 3], &[0x7f], tramp_unused));
    b.import_func("wasi_snapshot_preview1", "fd_prestat_get", t2);
    b.import_func("wasi_snapshot_preview1", "fd_prestat_dir_name", t3);
    b.import_func("wasi_snapshot_preview1", "environ_sizes_get", t2);
    b.import_func("wasi_snapshot_preview1", "environ_get", t2);
    b.memory(1, u64::MAX);
    if let Some(body) = start {
        let f = b.func("_start", body, t_start);
        b.export("_start", FUNC, f);
    }
    b
}

fn run_main(desc: &'static ModuleDescriptor, args: &[&str], manifest: Option<&str>) -> ! {
    let args: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
    let argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    let (ptr, len) = manifest.map_or((core::ptr::null(), 0), |m| (m.as_ptr(), m.len()));
    // SAFETY: argv holds argc C strings; the descriptor is well-formed; the manifest is
    // null or `len` bytes.
    let status = unsafe { kiln_run_main(argv.len() as i32, argv.as_ptr(), desc, ptr, len) };
    std::process::exit(status)
}

/// A manifest holding `grants` (and a line of another kind, which readers skip).
fn manifest_with(grants: &[Grant]) -> String {
    let mut text = format!("{}\nmodule 6d\n", manifest::HEADER);
    for g in grants {
        text.push_str(&g.to_line());
        text.push('\n');
    }
    text.push_str(manifest::END);
    text.push('\n');
    text
}

fn dir_grant(host: &str, guest: &str, read_only: bool) -> Grant {
    Grant::Dir {
        host: host.into(),
        guest: guest.into(),
        read_only,
    }
}

fn env_grant(key: &str, value: &str) -> Grant {
    Grant::Env {
        key: key.into(),
        value: value.into(),
    }
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
                wasm_offset: kiln_abi::NO_INDEX,
            };
            let f = b.func_with_traps("_start", code, TRAPPING_CODE.len() as u32, 3, vec![site]);
            b.export("_start", FUNC, f);
            b.build()
        }
        "grants" | "missing-dir" | "file-dir" | "bad-manifest" | "not-utf8" => {
            // KILN_DIR holds `rw/`, `ro/` and a file `f`; it is the working directory.
            let dir = std::env::var("KILN_DIR").unwrap();
            std::env::set_current_dir(&dir).unwrap();
            let desc = command(Some(grants_start as *const u8)).build();
            let manifest = match scenario.as_str() {
                "grants" => manifest_with(&[
                    env_grant("KILN_CHILD", "overridden"),
                    dir_grant("rw", "/data", false),
                    Grant::InheritEnv,
                    dir_grant(&format!("{dir}/ro"), "/ro", true),
                    env_grant("KILN_EXTRA", "x=y z"),
                    dir_grant(".", "", false),
                ]),
                "missing-dir" => manifest_with(&[
                    dir_grant("rw", "/data", false),
                    dir_grant("nope", "/nope", false),
                ]),
                "file-dir" => manifest_with(&[dir_grant("f", "/f", true)]),
                "bad-manifest" => format!("{}\ngrant-dir rw zz 00\n", manifest::HEADER),
                _ => "kiln-manifest 1\ngrant-env \u{e9} 00\n".to_string(),
            };
            let manifest: &'static str = Box::leak(manifest.into_boxed_str());
            let bytes: &'static [u8] = if scenario == "not-utf8" {
                Box::leak(vec![b'k', 0xff, b'\n'].into_boxed_slice())
            } else {
                manifest.as_bytes()
            };
            let args: Vec<CString> = vec![CString::new("prog").unwrap()];
            let argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
            // SAFETY: as in `run_main`.
            let status =
                unsafe { kiln_run_main(1, argv.as_ptr(), desc, bytes.as_ptr(), bytes.len()) };
            std::process::exit(status)
        }
        _ => return,
    };
    run_main(desc, &["prog", "a b", "", "c"], None);
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
        stderr.ends_with("error: wasm trap: integer overflow\n  in wasm function 8 `_start`\n"),
        "{stderr}"
    );
}

/// Runs `scenario` in a child with a fresh directory `KILN_DIR` (`rw/`, `ro/`, file `f`).
fn run_in_dir(scenario: &str) -> (Option<i32>, String, String) {
    let dir = crate::testutil::TempDir::new("entry");
    std::fs::create_dir(dir.path().join("rw")).unwrap();
    std::fs::create_dir(dir.path().join("ro")).unwrap();
    std::fs::write(dir.path().join("f"), "f").unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "entry::tests::main_child",
            "--exact",
            "--nocapture",
            "--quiet",
            "--test-threads=1",
        ])
        .env("KILN_CHILD", scenario)
        .env("KILN_DIR", dir.path())
        .env("KILN_INHERITED", "from the host")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn grants_become_preopens_and_environment() {
    let (code, stdout, stderr) = run_in_dir("grants");
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("preopen"))
        .filter(|l| {
            // Only the variables this test sets (the environment may hold other KILN_*).
            let known = ["env KILN_INHERITED=", "env KILN_CHILD=", "env KILN_EXTRA="];
            l.starts_with("preopen") || known.iter().any(|k| l.starts_with(k))
        })
        .collect();
    assert_eq!(
        lines,
        [
            "preopen 3 /data",
            "preopen 4 /ro",
            "preopen 5 ",
            "env KILN_INHERITED=from the host",
            "env KILN_CHILD=overridden",
            "env KILN_EXTRA=x=y z",
        ],
        "{stdout}"
    );
}

#[test]
fn nothing_is_granted_without_grants() {
    // `args` runs with no manifest at all: no preopen, no environment.
    let (code, stdout, stderr) = run("args");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.contains("preopen"));
}

#[test]
fn unusable_grants_and_manifests_exit_1() {
    let (code, stdout, stderr) = run_in_dir("missing-dir");
    assert_eq!(code, Some(1));
    assert!(!stdout.contains("preopen"), "{stdout}");
    assert!(
        stderr.ends_with(
            "error: cannot open granted directory `nope` (for `/nope`): No such file or directory\n"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run_in_dir("file-dir");
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with("error: cannot open granted directory `f` (for `/f`): Not a directory\n"),
        "{stderr}"
    );
    let (code, _, stderr) = run_in_dir("bad-manifest");
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with(
            "error: cannot read the executable's manifest: malformed manifest field `zz`\n"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run_in_dir("not-utf8");
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with("error: cannot read the executable's manifest: not UTF-8\n"),
        "{stderr}"
    );
}
