use super::*;
use crate::testutil::*;
use kiln_abi::TrapSite;

fn report(kind: TrapKind, location: TrapLocation<'_>) -> String {
    let mut out = Vec::new();
    write_report(kind, location, &mut |b| out.extend_from_slice(b));
    String::from_utf8(out).unwrap()
}

#[test]
fn report_format() {
    assert_eq!(
        report(
            TrapKind::Unreachable,
            TrapLocation::Function {
                index: 7,
                name: "boom",
                wasm_offset: Some(0x1a2f),
            }
        ),
        "error: wasm trap: unreachable instruction executed\n  in wasm function 7 `boom` at offset 0x1a2f\n"
    );
    assert_eq!(
        report(
            TrapKind::IntegerDivisionByZero,
            TrapLocation::Function {
                index: 0,
                name: "",
                wasm_offset: Some(0),
            }
        ),
        "error: wasm trap: integer divide by zero\n  in wasm function 0 at offset 0x0\n"
    );
    assert_eq!(
        report(
            TrapKind::StackOverflow,
            TrapLocation::Function {
                index: u32::MAX,
                name: "",
                wasm_offset: None,
            }
        ),
        "error: wasm trap: call stack exhausted\n  in wasm function 4294967295\n"
    );
    assert_eq!(
        report(TrapKind::MemoryOutOfBounds, TrapLocation::Instantiation("data segment 2 does not fit in memory")),
        "error: wasm trap: out of bounds memory access\n  during instantiation: data segment 2 does not fit in memory\n"
    );
}

static FAKE_CODE: [u8; 64] = [0; 64];

#[test]
fn lookup_finds_registered_trap_sites() {
    let body = FAKE_CODE.as_ptr();
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_V);
    b.import_func("env", "f", t);
    let sites = vec![
        TrapSite {
            offset: 3,
            kind: TrapKind::MemoryOutOfBounds as u32,
            wasm_offset: kiln_abi::NO_INDEX,
        },
        TrapSite {
            offset: 10,
            kind: TrapKind::Unreachable as u32,
            wasm_offset: kiln_abi::NO_INDEX,
        },
        TrapSite {
            offset: 12,
            kind: 999,
            wasm_offset: kiln_abi::NO_INDEX,
        },
    ];
    b.func_with_traps("first", body, 16, t, sites);
    b.func_with_traps(
        "",
        body.wrapping_add(32),
        16,
        t,
        vec![TrapSite {
            offset: 0,
            kind: 4,
            wasm_offset: 0x2a,
        }],
    );
    let desc = b.build();
    let base = body as usize;
    assert_eq!(lookup(base + 3), None, "not registered yet");
    register_module(desc);
    register_module(desc);
    assert_eq!(
        nodes().filter(|n| ptr::eq(n.desc, desc)).count(),
        1,
        "registered once"
    );

    let hit = |pc| lookup(pc).map(|i| (i.kind, i.func_index, i.func_name));
    assert_eq!(
        hit(base + 3),
        Some((TrapKind::MemoryOutOfBounds, 1, "first"))
    );
    assert_eq!(hit(base + 10), Some((TrapKind::Unreachable, 1, "first")));
    assert_eq!(hit(base + 32), Some((TrapKind::IndirectCallToNull, 2, "")));
    assert_eq!(lookup(base + 32).unwrap().wasm_offset, Some(0x2a));
    assert_eq!(lookup(base + 3).unwrap().wasm_offset, None);
    assert_eq!(hit(base + 4), None, "inside a function but not a trap site");
    assert_eq!(hit(base + 12), None, "unknown trap kind");
    assert_eq!(hit(base + 16), None, "between functions");
    assert_eq!(hit(base + 48), None, "past the end");
    assert_eq!(hit(0), None);
}

static FAKE_CODE_2: [u8; 64] = [0; 64];

#[test]
fn lookup_works_when_functions_are_not_in_address_order() {
    let body = FAKE_CODE_2.as_ptr();
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_V);
    let site = |offset, kind: TrapKind| {
        vec![TrapSite {
            offset,
            kind: kind as u32,
            wasm_offset: kiln_abi::NO_INDEX,
        }]
    };
    b.func_with_traps(
        "high",
        body.wrapping_add(32),
        16,
        t,
        site(1, TrapKind::Unreachable),
    );
    b.func_with_traps("low", body, 16, t, site(2, TrapKind::IntegerOverflow));
    let desc = b.build();
    register_module(desc);
    let node = nodes().find(|n| ptr::eq(n.desc, desc)).unwrap();
    assert!(!node.sorted);
    let base = body as usize;
    let hit = |pc| lookup(pc).map(|i| (i.kind, i.func_index, i.func_name));
    assert_eq!(hit(base + 33), Some((TrapKind::Unreachable, 0, "high")));
    assert_eq!(hit(base + 2), Some((TrapKind::IntegerOverflow, 1, "low")));
    assert!(matches!(call_site(base + 40), CallSite::NoHandler));
    assert!(matches!(call_site(base + 20), CallSite::NotWasm));
}

/// Maps `code` into an executable page (leaked).
pub(crate) fn executable(code: &[u8]) -> *const u8 {
    // SAFETY: a fresh anonymous mapping, filled and then made read+execute.
    unsafe {
        let p = libc::mmap(
            ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        ptr::copy_nonoverlapping(code.as_ptr(), p.cast::<u8>(), code.len());
        assert_eq!(
            libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC),
            0
        );
        p.cast()
    }
}

/// A function body that executes an undefined instruction at offset `TRAP_OFFSET`.
#[cfg(target_arch = "x86_64")]
pub(crate) const TRAPPING_CODE: &[u8] = &[0x90, 0x90, 0x0f, 0x0b]; // nop; nop; ud2
#[cfg(target_arch = "x86_64")]
pub(crate) const TRAP_OFFSET: u32 = 2;
#[cfg(target_arch = "aarch64")]
pub(crate) const TRAPPING_CODE: &[u8] = &[0x1f, 0x20, 0x03, 0xd5, 0, 0, 0, 0]; // nop; udf #0
#[cfg(target_arch = "aarch64")]
pub(crate) const TRAP_OFFSET: u32 = 4;

/// Keeps a deliberately crashing child from writing a core file.
pub(crate) fn no_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid rlimit struct.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
}

fn run_trapping_code(register_site: bool) -> ! {
    no_core_dumps();
    let code = executable(TRAPPING_CODE);
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_V);
    let sites = if register_site {
        vec![TrapSite {
            offset: TRAP_OFFSET,
            kind: TrapKind::Unreachable as u32,
            wasm_offset: kiln_abi::NO_INDEX,
        }]
    } else {
        vec![]
    };
    b.func_with_traps("boom", code, TRAPPING_CODE.len() as u32, t, sites);
    register_module(b.build());
    init_thread().unwrap();
    // SAFETY: the code is a valid function body that traps before returning.
    unsafe { core::mem::transmute::<*const u8, extern "C" fn()>(code)() };
    unreachable!("the code traps");
}

#[test]
fn trap_child() {
    if is_child("trap-hit") {
        run_trapping_code(true);
    }
    if is_child("trap-miss") {
        run_trapping_code(false);
    }
}

#[test]
fn a_trap_site_is_reported_with_status_134() {
    let out = run_child("traps::tests::trap_child", "trap-hit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134), "{stderr}");
    assert!(
        stderr.ends_with(
            "error: wasm trap: unreachable instruction executed\n  in wasm function 0 `boom`\n"
        ),
        "{stderr}"
    );
}

#[test]
fn a_fault_outside_trap_sites_is_a_real_crash() {
    use std::os::unix::process::ExitStatusExt;
    let out = run_child("traps::tests::trap_child", "trap-miss");
    assert_eq!(out.status.signal(), Some(libc::SIGILL), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("wasm trap"));
}
