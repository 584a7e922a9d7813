use super::args_env::*;
use super::clock_random::*;
use super::dirs::*;
use super::fd::*;
use super::io::*;
use super::path::*;
use super::poll::*;
use super::sock::*;
use super::state::{kiln_wasi_fd_close, kiln_wasi_fd_fdstat_set_rights, kiln_wasi_fd_renumber};
use super::types::{
    clockid, errno, eventtype, fdflags, fstflags, rights, SUBSCRIPTION_CLOCK_ABSTIME,
};
use super::*;
use crate::memory::Memory;
use crate::testutil::*;
use core::ptr;

const SUCCESS: i32 = errno::SUCCESS as i32;
const BADF: i32 = errno::BADF as i32;
const FAULT: i32 = errno::FAULT as i32;
const INVAL: i32 = errno::INVAL as i32;
const NOTDIR: i32 = errno::NOTDIR as i32;
const END: u32 = 65536;

/// A one-page guest memory behind a minimal context (what WASI functions look at).
struct Guest {
    memory: &'static mut Memory,
    vmctx: *mut VMContext,
}

impl Guest {
    /// A fresh guest with the empty sandbox (stdio only).
    fn new() -> Guest {
        state::reset();
        let memory = Box::leak(Memory::new(1, Some(1)).unwrap());
        let vmctx = Box::into_raw(Box::new(VMContext {
            memory_base: memory.base(),
            memory: Memory::vm(memory),
            stack_limit: 0,
            instance: ptr::null_mut(),
        }));
        Guest { memory, vmctx }
    }

    fn write(&self, at: u32, bytes: &[u8]) {
        assert!(at as usize + bytes.len() <= END as usize);
        // SAFETY: in bounds of the committed page.
        unsafe {
            ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.memory.base().add(at as usize),
                bytes.len(),
            )
        };
    }

    fn read(&self, at: u32, len: usize) -> Vec<u8> {
        assert!(at as usize + len <= END as usize);
        // SAFETY: in bounds of the committed page.
        unsafe { core::slice::from_raw_parts(self.memory.base().add(at as usize), len).to_vec() }
    }

    fn u32(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.read(at, 4).try_into().unwrap())
    }

    fn u64(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.read(at, 8).try_into().unwrap())
    }

    fn iovec(&self, at: u32, buf: u32, len: u32) {
        self.write(at, &buf.to_le_bytes());
        self.write(at + 4, &len.to_le_bytes());
    }
}

#[test]
fn every_abi_function_is_implemented_with_its_signature() {
    for (name, _, _) in abi::wasi::FUNCTIONS {
        assert!(wasi_function(name).is_some(), "{name} is missing");
    }
    let mut implemented = implemented_signatures();
    let mut expected: Vec<_> = abi::wasi::FUNCTIONS
        .iter()
        .map(|(n, p, r)| (*n, p.to_vec(), r.to_vec()))
        .collect();
    implemented.sort();
    expected.sort();
    assert_eq!(implemented, expected);
    assert!(wasi_function("fd_nope").is_none());
}

#[test]
fn resolver_provides_wasi_and_nothing_else() {
    let mut b = ModuleBuilder::new();
    let write_type = b.ty((&[0x7f; 4], &[0x7f], tramp_unused));
    let wrong_type = b.ty(V_I);
    b.import_func("wasi_snapshot_preview1", "fd_write", write_type);
    b.import_func("wasi_snapshot_preview1", "fd_read", wrong_type);
    b.import_func("env", "fd_write", write_type);
    b.import_func("wasi_snapshot_preview1", "nope", write_type);
    b.import_memory("wasi_snapshot_preview1", "memory", 1, u64::MAX);
    let desc = b.build();
    // SAFETY: a valid hand-built descriptor.
    let mut resolve = unsafe { resolver(desc) };
    // SAFETY: as above.
    let imports = unsafe { desc.imports.as_slice() };
    assert!(
        matches!(resolve(&imports[0]), Ok(Extern::HostFunc(p)) if p == wasi_function("fd_write").unwrap())
    );
    let mut err = |i: usize| match resolve(&imports[i]) {
        Err(e) => e,
        Ok(_) => panic!("import {i} resolved"),
    };
    assert_eq!(
        err(1),
        "incompatible import type for `wasi_snapshot_preview1::fd_read`: expected [i32 i32 i32 i32] -> [i32], found [] -> [i32]"
    );
    assert_eq!(err(2), "unknown import `env::fd_write`");
    assert_eq!(err(3), "unknown import `wasi_snapshot_preview1::nope`");
    assert_eq!(err(4), "unknown import `wasi_snapshot_preview1::memory`");
}

#[test]
fn host_function_imports_get_the_importers_vmctx_through_an_adapter() {
    let mut b = ModuleBuilder::new();
    let t = b.ty((&[0x7f; 2], &[0x7f], tramp_unused));
    b.import_func("wasi_snapshot_preview1", "args_sizes_get", t);
    b.memory(1, u64::MAX);
    let desc = b.build();
    // SAFETY: a valid hand-built descriptor, resolved with the runtime's own functions.
    let inst = unsafe { crate::Instance::new(desc, resolver(desc)) }.unwrap();
    // SAFETY: funcref 0 of the live instance is initialised.
    let f = unsafe {
        &*inst
            .vmctx()
            .cast::<u8>()
            .add(
                abi::VMContextLayout::new(abi::VMCounts {
                    functions: 1,
                    types: 1,
                    memories: 1,
                    ..Default::default()
                })
                .funcref(0) as usize,
            )
            .cast::<abi::VMFuncRef>()
    };
    // Called through the type's host adapter, with the importer's context in a VMHostFunc.
    assert_eq!(f.fn_ptr, host_adapter_unused as *const u8);
    // SAFETY: a host function's funcref carries its live VMHostFunc as the vmctx.
    let host = unsafe { &*f.vmctx.cast::<abi::VMHostFunc>() };
    assert_eq!(host.vmctx, inst.vmctx());
    assert_eq!(host.host_fn, wasi_function("args_sizes_get").unwrap());
    assert_eq!(
        f.sig_id,
        crate::sig_registry::intern(&[0x7f; 2], &[0x7f], "", tramp_unused)
    );
}

#[test]
fn no_memory_is_efault() {
    let mut vmctx = VMContext {
        memory_base: ptr::null_mut(),
        memory: ptr::null_mut(),
        stack_limit: 0,
        instance: ptr::null_mut(),
    };
    // SAFETY: a valid context without memory.
    unsafe {
        assert_eq!(kiln_wasi_fd_write(&mut vmctx, 1, 0, 0, 0), FAULT);
        assert_eq!(kiln_wasi_args_sizes_get(&mut vmctx, 0, 4), FAULT);
        assert_eq!(kiln_wasi_random_get(ptr::null_mut(), 0, 0), FAULT);
    }
}

#[test]
fn fd_write_checks_every_pointer() {
    let g = Guest::new();
    // SAFETY: host functions called with a valid context.
    unsafe {
        g.iovec(0, 100, 0);
        assert_eq!(
            kiln_wasi_fd_write(g.vmctx, 1, 0, 1, 8),
            SUCCESS,
            "an empty write"
        );
        assert_eq!(g.u32(8), 0);
        assert_eq!(
            kiln_wasi_fd_write(g.vmctx, 1, 0, 1, END - 3),
            FAULT,
            "nwritten out of bounds"
        );
        assert_eq!(
            kiln_wasi_fd_write(g.vmctx, 1, END - 4, 1, 8),
            FAULT,
            "iovec array out of bounds"
        );
        assert_eq!(
            kiln_wasi_fd_write(g.vmctx, 1, 0, u32::MAX, 8),
            FAULT,
            "huge iovec count"
        );
        g.iovec(16, END - 2, 4);
        assert_eq!(
            kiln_wasi_fd_write(g.vmctx, 1, 16, 1, 8),
            FAULT,
            "buffer out of bounds"
        );
        g.iovec(16, u32::MAX, u32::MAX);
        assert_eq!(
            kiln_wasi_fd_write(g.vmctx, 1, 16, 1, 8),
            FAULT,
            "buffer wraps"
        );
        assert_eq!(kiln_wasi_fd_write(g.vmctx, 99, 0, 1, 8), BADF);
        assert_eq!(kiln_wasi_fd_read(g.vmctx, 99, 0, 1, 8), BADF);
        assert_eq!(kiln_wasi_fd_read(g.vmctx, 0, 16, 1, 8), FAULT);
        assert_eq!(kiln_wasi_fd_pread(g.vmctx, 0, 16, 1, 0, 8), FAULT);
        assert_eq!(kiln_wasi_fd_pwrite(g.vmctx, 1, 16, 1, 0, 8), FAULT);
        assert_eq!(
            kiln_wasi_fd_pwrite(g.vmctx, 1, 0, 1, u64::MAX, 8),
            INVAL,
            "offset beyond off_t"
        );
    }
}

#[test]
fn args_and_environment() {
    let g = Guest::new();
    set_args(vec![b"prog".to_vec(), b"a b".to_vec(), vec![]]);
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_args_sizes_get(g.vmctx, 0, 4), SUCCESS);
        assert_eq!((g.u32(0), g.u32(4)), (3, 5 + 4 + 1));
        assert_eq!(kiln_wasi_args_get(g.vmctx, 16, 64), SUCCESS);
        assert_eq!([g.u32(16), g.u32(20), g.u32(24)], [64, 69, 73]);
        assert_eq!(g.read(64, 10), b"prog\0a b\0\0");
        assert_eq!(
            kiln_wasi_args_get(g.vmctx, 16, END - 9),
            FAULT,
            "buffer too small"
        );
        assert_eq!(
            kiln_wasi_args_get(g.vmctx, END - 8, 64),
            FAULT,
            "pointer array too small"
        );
        assert_eq!(kiln_wasi_args_sizes_get(g.vmctx, END, 0), FAULT);

        // No environment is granted.
        g.write(0, &[0xff; 8]);
        assert_eq!(kiln_wasi_environ_sizes_get(g.vmctx, 0, 4), SUCCESS);
        assert_eq!((g.u32(0), g.u32(4)), (0, 0));
        assert_eq!(
            kiln_wasi_environ_get(g.vmctx, END, END),
            SUCCESS,
            "nothing to write"
        );
        assert_eq!(kiln_wasi_environ_sizes_get(g.vmctx, END - 2, 0), FAULT);
    }
}

#[test]
fn clocks_and_random() {
    let g = Guest::new();
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(
            kiln_wasi_clock_time_get(g.vmctx, clockid::MONOTONIC, 0, 0),
            SUCCESS
        );
        assert_eq!(
            kiln_wasi_clock_time_get(g.vmctx, clockid::MONOTONIC, 0, 8),
            SUCCESS
        );
        assert!(g.u64(8) >= g.u64(0));
        assert_eq!(
            kiln_wasi_clock_time_get(g.vmctx, clockid::REALTIME, 0, 0),
            SUCCESS
        );
        assert!(g.u64(0) > 1_600_000_000 * 1_000_000_000, "after 2020");
        assert_eq!(
            kiln_wasi_clock_time_get(g.vmctx, clockid::PROCESS_CPUTIME_ID, 0, 0),
            SUCCESS
        );
        assert_eq!(
            kiln_wasi_clock_time_get(g.vmctx, clockid::THREAD_CPUTIME_ID, 0, 0),
            SUCCESS
        );
        assert_eq!(kiln_wasi_clock_time_get(g.vmctx, 4, 0, 0), INVAL);
        assert_eq!(
            kiln_wasi_clock_time_get(g.vmctx, clockid::MONOTONIC, 0, END - 7),
            FAULT
        );
        assert_eq!(
            kiln_wasi_clock_res_get(g.vmctx, clockid::MONOTONIC, 0),
            SUCCESS
        );
        assert!(g.u64(0) > 0 && g.u64(0) <= 1_000_000);
        assert_eq!(kiln_wasi_clock_res_get(g.vmctx, 9, 0), INVAL);

        assert_eq!(kiln_wasi_random_get(g.vmctx, 100, 64), SUCCESS);
        assert_ne!(g.read(100, 64), [0; 64]);
        assert_eq!(kiln_wasi_random_get(g.vmctx, END - 4, 8), FAULT);
        assert_eq!(kiln_wasi_random_get(g.vmctx, END, 0), SUCCESS);
        assert_eq!(kiln_wasi_random_get(g.vmctx, END, 1), FAULT);

        assert_eq!(kiln_wasi_sched_yield(g.vmctx), SUCCESS);
        assert_eq!(kiln_wasi_proc_raise(g.vmctx, 6), errno::NOSYS as i32);
    }
}

#[test]
fn descriptor_state() {
    let g = Guest::new();
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(kiln_wasi_fd_fdstat_get(g.vmctx, 1, 0), SUCCESS);
        assert_eq!(g.u64(8), rights::STDIO);
        assert_eq!(g.u64(16), rights::STDIO);
        assert_eq!(kiln_wasi_fd_fdstat_get(g.vmctx, 1, END - 23), FAULT);
        assert_eq!(kiln_wasi_fd_fdstat_get(g.vmctx, 3, 0), BADF);
        assert_eq!(kiln_wasi_fd_filestat_get(g.vmctx, 2, END - 63), FAULT);
        assert_eq!(kiln_wasi_fd_filestat_get(g.vmctx, 3, 0), BADF);
        assert_eq!(kiln_wasi_fd_seek(g.vmctx, 0, 0, 3, 0), INVAL, "bad whence");
        assert_eq!(kiln_wasi_fd_seek(g.vmctx, 9, 0, 0, 0), BADF);
        assert_eq!(kiln_wasi_fd_seek(g.vmctx, 0, 0, 1, END - 4), FAULT);
        assert_eq!(kiln_wasi_fd_tell(g.vmctx, 0, END), FAULT);
        // Error paths only: the test process's stdio must not change.
        assert_eq!(
            kiln_wasi_fd_fdstat_set_flags(g.vmctx, 1, fdflags::SYNC.into()),
            INVAL
        );
        assert_eq!(kiln_wasi_fd_fdstat_set_flags(g.vmctx, 1, 1 << 5), INVAL);
        assert_eq!(kiln_wasi_fd_fdstat_set_flags(g.vmctx, 9, 0), BADF);
        let both = (fstflags::ATIM | fstflags::ATIM_NOW).into();
        assert_eq!(
            kiln_wasi_fd_filestat_set_times(g.vmctx, 1, 0, 0, both),
            INVAL
        );
        assert_eq!(
            kiln_wasi_fd_filestat_set_times(g.vmctx, 1, 0, 0, 1 << 4),
            INVAL
        );
        assert_eq!(kiln_wasi_fd_filestat_set_size(g.vmctx, 9, 0), BADF);
        assert_eq!(kiln_wasi_fd_filestat_set_size(g.vmctx, 1, u64::MAX), INVAL);
        assert_eq!(kiln_wasi_fd_advise(g.vmctx, 0, 0, 0, 6), INVAL);
        assert_eq!(kiln_wasi_fd_allocate(g.vmctx, 9, 0, 1), BADF);
        assert_eq!(kiln_wasi_fd_sync(g.vmctx, 9), BADF);
        assert_eq!(kiln_wasi_fd_datasync(g.vmctx, 9), BADF);
        assert_eq!(kiln_wasi_fd_close(g.vmctx, 9), BADF);
        assert_eq!(kiln_wasi_fd_renumber(g.vmctx, 9, 1), BADF);
        assert_eq!(kiln_wasi_fd_renumber(g.vmctx, 1, 9), BADF);
        assert_eq!(kiln_wasi_fd_fdstat_set_rights(g.vmctx, 9, 0, 0), BADF);
    }
}

#[test]
fn no_preopens_directories_or_sockets() {
    let g = Guest::new();
    // SAFETY: host functions called with a valid context.
    unsafe {
        for fd in [0, 1, 2, 3, 4, 100] {
            assert_eq!(kiln_wasi_fd_prestat_get(g.vmctx, fd, 0), BADF);
            // As wasmtime: an open descriptor that is not a preopen is "not a directory".
            let expected = if fd < 3 { NOTDIR } else { BADF };
            assert_eq!(kiln_wasi_fd_prestat_dir_name(g.vmctx, fd, 0, 8), expected);
        }
        assert_eq!(
            kiln_wasi_path_open(g.vmctx, 3, 0, 0, 1, 0, 0, 0, 0, 0),
            BADF
        );
        assert_eq!(
            kiln_wasi_path_open(g.vmctx, 0, 0, 0, 1, 0, 0, 0, 0, 0),
            NOTDIR
        );
        assert_eq!(kiln_wasi_fd_readdir(g.vmctx, 1, 0, 64, 0, 0), NOTDIR);
        assert_eq!(kiln_wasi_fd_readdir(g.vmctx, 5, 0, 64, 0, 0), BADF);
        assert_eq!(kiln_wasi_path_create_directory(g.vmctx, 2, 0, 1), NOTDIR);
        assert_eq!(kiln_wasi_path_filestat_get(g.vmctx, 1, 0, 0, 1, 0), NOTDIR);
        assert_eq!(
            kiln_wasi_path_filestat_set_times(g.vmctx, 7, 0, 0, 1, 0, 0, 0),
            BADF
        );
        assert_eq!(kiln_wasi_path_link(g.vmctx, 0, 0, 0, 1, 9, 0, 1), BADF);
        assert_eq!(kiln_wasi_path_link(g.vmctx, 0, 0, 0, 1, 1, 0, 1), NOTDIR);
        assert_eq!(kiln_wasi_path_readlink(g.vmctx, 0, 0, 1, 0, 8, 16), NOTDIR);
        assert_eq!(kiln_wasi_path_remove_directory(g.vmctx, 3, 0, 1), BADF);
        assert_eq!(kiln_wasi_path_rename(g.vmctx, 1, 0, 1, 8, 0, 1), BADF);
        assert_eq!(kiln_wasi_path_rename(g.vmctx, 1, 0, 1, 2, 0, 1), NOTDIR);
        assert_eq!(kiln_wasi_path_symlink(g.vmctx, 0, 1, 1, 0, 1), NOTDIR);
        assert_eq!(kiln_wasi_path_unlink_file(g.vmctx, 1, 0, 1), NOTDIR);
        let notsock = errno::NOTSOCK as i32;
        assert_eq!(kiln_wasi_sock_accept(g.vmctx, 1, 0, 0), notsock);
        assert_eq!(kiln_wasi_sock_recv(g.vmctx, 0, 0, 0, 0, 0, 0), notsock);
        assert_eq!(kiln_wasi_sock_send(g.vmctx, 2, 0, 0, 0, 0), notsock);
        assert_eq!(kiln_wasi_sock_shutdown(g.vmctx, 3, 0), BADF);
    }
}

fn clock_subscription(g: &Guest, at: u32, userdata: u64, id: u32, timeout: u64, flags: u16) {
    let mut s = [0u8; 48];
    s[0..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = eventtype::CLOCK;
    s[16..20].copy_from_slice(&id.to_le_bytes());
    s[24..32].copy_from_slice(&timeout.to_le_bytes());
    s[40..42].copy_from_slice(&flags.to_le_bytes());
    g.write(at, &s);
}

fn fd_subscription(g: &Guest, at: u32, userdata: u64, tag: u8, fd: u32) {
    let mut s = [0u8; 48];
    s[0..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = tag;
    s[16..20].copy_from_slice(&fd.to_le_bytes());
    g.write(at, &s);
}

/// (userdata, error, type) of event `i` at 1024.
fn event(g: &Guest, i: u32) -> (u64, u16, u8) {
    let e = g.read(1024 + i * 32, 32);
    (
        g.u64(1024 + i * 32),
        u16::from_le_bytes([e[8], e[9]]),
        e[10],
    )
}

#[test]
fn poll_oneoff_clocks_and_errors() {
    let g = Guest::new();
    // SAFETY: host functions called with a valid context.
    unsafe {
        assert_eq!(
            kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, 0, 8),
            INVAL,
            "nothing to wait for"
        );

        let start = std::time::Instant::now();
        clock_subscription(&g, 0, 77, clockid::MONOTONIC, 2_000_000, 0);
        clock_subscription(&g, 48, 78, clockid::MONOTONIC, 60_000_000_000, 0);
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, 2, 8), SUCCESS);
        assert!(start.elapsed() >= std::time::Duration::from_millis(2));
        assert_eq!(g.u32(8), 1);
        assert_eq!(event(&g, 0), (77, errno::SUCCESS, eventtype::CLOCK));

        // An absolute deadline in the past fires at once.
        clock_subscription(&g, 0, 5, clockid::REALTIME, 1, SUBSCRIPTION_CLOCK_ABSTIME);
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, 1, 8), SUCCESS);
        assert_eq!(event(&g, 0), (5, errno::SUCCESS, eventtype::CLOCK));

        // Invalid subscriptions are events carrying an error; nothing blocks.
        clock_subscription(&g, 0, 1, 17, 0, 0);
        fd_subscription(&g, 48, 2, eventtype::FD_READ, 42);
        clock_subscription(&g, 96, 3, clockid::MONOTONIC, 60_000_000_000, 0);
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, 3, 8), SUCCESS);
        assert_eq!(g.u32(8), 2);
        assert_eq!(event(&g, 0), (1, errno::INVAL, eventtype::CLOCK));
        assert_eq!(event(&g, 1), (2, errno::BADF, eventtype::FD_READ));

        // stderr is writable now.
        fd_subscription(&g, 0, 9, eventtype::FD_WRITE, 2);
        clock_subscription(&g, 48, 3, clockid::MONOTONIC, 60_000_000_000, 0);
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, 2, 8), SUCCESS);
        assert_eq!(g.u32(8), 1);
        assert_eq!(event(&g, 0), (9, errno::SUCCESS, eventtype::FD_WRITE));

        g.write(8, &[3]);
        assert_eq!(
            kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, 1, 8),
            INVAL,
            "unknown tag"
        );
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, END - 47, 1024, 1, 8), FAULT);
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, 0, END - 31, 1, 8), FAULT);
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, 1, END - 3), FAULT);
        assert_eq!(kiln_wasi_poll_oneoff(g.vmctx, 0, 1024, u32::MAX, 8), FAULT);
    }
}

mod fs;
