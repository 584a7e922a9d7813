//! Sandbox attacks: every argument names one attempt to get out of the WASI
//! capability sandbox (or to misuse guest pointers), made with raw
//! `wasi_snapshot_preview1` calls, and prints one line `NAME: RESULT`, where
//! RESULT is `ok` or the preview1 errno name (`EPERM`, `EBADF`, ...), or a few
//! `step=RESULT` pairs for cases with several steps.
//!
//! `testsuite/tests/sandbox_attacks.rs` builds the host layout below, runs the
//! cases with `--dir <root>/sandbox::/sandbox` and `--dir <root>/ro::/ro:ro`,
//! compares every line with the errno it expects, and checks that nothing
//! outside the preopens (and nothing in the read-only one) changed:
//!
//! ```text
//! <root>/outside/secret.txt             "outside secret\n"
//! <root>/outside/dir/inner.txt          "OUTSIDE RACE TARGET\n"
//! <root>/sandbox/                       granted read-write as /sandbox
//!     inside.txt "inside\n", sub/inner.txt "inside\n", sub/file.txt, empty_dir/
//!     to_root -> /                      to_etc_passwd -> /etc/passwd
//!     up -> ..                          up_secret -> ../outside/secret.txt
//!     chain1 -> sub/chain2, sub/chain2 -> ../chain3, chain3 -> ../outside/secret.txt
//!     ok_chain1 -> sub/ok_chain2, sub/ok_chain2 -> ../inside.txt
//!     loop_a -> loop_b, loop_b -> loop_a, self_loop -> self_loop
//!     long_0 -> long_1 -> ... -> long_45 -> inside.txt   (46 links, more than 40)
//!     dangle_out -> ../outside/created_through_link
//!     proc_fd1 -> /proc/self/fd/1       proc_root -> /proc/self/root
//!     race -> sub  (the test flips it to ../outside/dir and back while `race` runs)
//! <root>/ro/                            granted read-only as /ro
//!     file.txt "read only\n", dir/x.txt, empty/
//! ```
//!
//! The native build (the programs workspace is also built for the host) only
//! says that it needs WASI.
//!
//! (Over 600 lines: one list of attacks, each a few lines; the list is the point.)

#[cfg(not(target_os = "wasi"))]
fn main() {
    eprintln!("wasi_attack makes raw WASI calls: run the wasm32-wasip1 build");
    std::process::exit(2);
}

#[cfg(target_os = "wasi")]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: wasi_attack CASE...");
        std::process::exit(2);
    }
    for name in &args {
        let result = attacks::run(name);
        println!("{name}: {result}");
    }
}

#[cfg(target_os = "wasi")]
mod attacks {
    use wasi::wasi_snapshot_preview1 as raw;
    use wasi::{Errno, Fd};

    /// `ok`, or the errno's name.
    fn code(ret: i32) -> String {
        match ret {
            0 => "ok".to_owned(),
            n => wasi_errno::errno_name(n),
        }
    }

    fn res<T>(r: Result<T, Errno>) -> String {
        match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => code(i32::from(e.raw())),
        }
    }

    /// Every right: what a program that knows nothing about rights asks for.
    const ALL_RIGHTS: u64 = (1 << 29) - 1;
    const READ: u64 = wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK | wasi::RIGHTS_FD_FILESTAT_GET;
    const WRITE: u64 = wasi::RIGHTS_FD_WRITE
        | wasi::RIGHTS_FD_SEEK
        | wasi::RIGHTS_FD_FILESTAT_GET
        | wasi::RIGHTS_FD_FILESTAT_SET_SIZE;
    /// What a directory may be opened with (a directory opened with `FD_WRITE`
    /// is `EISDIR`, as in wasmtime and the official preview1 tests).
    const DIR_RIGHTS: u64 = ALL_RIGHTS & !wasi::RIGHTS_FD_WRITE;
    const FOLLOW: u32 = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;

    /// The preopened directory named `name`, if any.
    fn preopen(name: &str) -> Option<Fd> {
        for fd in 3..64 {
            // SAFETY: plain WASI calls with valid buffers.
            unsafe {
                let Ok(stat) = wasi::fd_prestat_get(fd) else {
                    continue;
                };
                if stat.tag != wasi::PREOPENTYPE_DIR.raw() {
                    continue;
                }
                let len = stat.u.dir.pr_name_len;
                let mut buf = vec![0u8; len];
                if wasi::fd_prestat_dir_name(fd, buf.as_mut_ptr(), len).is_ok()
                    && buf == name.as_bytes()
                {
                    return Some(fd);
                }
            }
        }
        None
    }

    fn sandbox() -> Fd {
        preopen("/sandbox").expect("no /sandbox preopen")
    }

    fn ro() -> Fd {
        preopen("/ro").expect("no /ro preopen")
    }

    fn open(dir: Fd, flags: u32, path: &str, oflags: u16, rights: u64) -> Result<Fd, Errno> {
        // SAFETY: plain WASI call.
        unsafe { wasi::path_open(dir, flags, path, oflags, rights, ALL_RIGHTS, 0) }
    }

    /// Opens `path` (following symlinks) for reading and returns `ok:<contents>`
    /// or the errno.
    fn open_read(dir: Fd, path: &str) -> String {
        match open(dir, FOLLOW, path, 0, READ) {
            Ok(fd) => format!("ok:{}", read_all(fd).trim_end()),
            Err(e) => res::<()>(Err(e)),
        }
    }

    fn read_all(fd: Fd) -> String {
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            let iov = wasi::Iovec {
                buf: buf.as_mut_ptr(),
                buf_len: buf.len(),
            };
            // SAFETY: `iov` points at `buf`.
            match unsafe { wasi::fd_read(fd, &[iov]) } {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        // SAFETY: plain WASI call.
        unsafe {
            let _ = wasi::fd_close(fd);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn write_str(fd: Fd, s: &str) -> Result<usize, Errno> {
        let iov = wasi::Ciovec {
            buf: s.as_ptr(),
            buf_len: s.len(),
        };
        // SAFETY: `iov` points at `s`.
        unsafe { wasi::fd_write(fd, &[iov]) }
    }

    fn size_of(dir: Fd, path: &str) -> String {
        // SAFETY: plain WASI call.
        match unsafe { wasi::path_filestat_get(dir, 0, path) } {
            Ok(st) => st.size.to_string(),
            Err(e) => res::<()>(Err(e)),
        }
    }

    fn close(fd: Fd) {
        // SAFETY: plain WASI call.
        unsafe {
            let _ = wasi::fd_close(fd);
        }
    }

    /// The first address past the end of linear memory.
    fn mem_end() -> u32 {
        (core::arch::wasm32::memory_size(0) * 65536) as u32
    }

    /// A scratch file in the sandbox, created empty, opened read-write.
    fn scratch_file(name: &str) -> Fd {
        open(
            sandbox(),
            0,
            name,
            wasi::OFLAGS_CREAT | wasi::OFLAGS_TRUNC,
            READ | WRITE,
        )
        .unwrap_or_else(|e| panic!("creating {name}: {}", res::<()>(Err(e))))
    }

    pub fn run(name: &str) -> String {
        // SAFETY: every case makes WASI calls; the raw ones deliberately pass bad
        // pointers, which a correct host rejects without touching memory.
        unsafe { run_case(name) }
    }

    unsafe fn run_case(name: &str) -> String {
        match name {
            // ---- `..` and absolute paths -------------------------------------------
            "dotdot" => open_read(sandbox(), "../outside/secret.txt"),
            "dotdot_nested" => open_read(sandbox(), "sub/../../outside/secret.txt"),
            "dotdot_deep" => open_read(sandbox(), "sub/./../sub/../../outside/secret.txt"),
            "dotdot_reenter" => open_read(sandbox(), "../sandbox/inside.txt"),
            "dotdot_many" => {
                let path = format!("sub/{}outside/secret.txt", "../".repeat(64));
                open_read(sandbox(), &path)
            }
            "dotdot_preopen_dir" => res(open(sandbox(), 0, "..", wasi::OFLAGS_DIRECTORY, READ)),
            "dotdot_preopen_dot" => res(open(sandbox(), 0, "./..", wasi::OFLAGS_DIRECTORY, READ)),
            "dotdot_subdir_fd" => {
                // A directory fd opened through path_open is a capability of its
                // own: `..` from it is refused even though it stays in the preopen.
                let sub = open(sandbox(), 0, "sub", wasi::OFLAGS_DIRECTORY, DIR_RIGHTS).unwrap();
                let r = open_read(sub, "../inside.txt");
                close(sub);
                r
            }
            "absolute" => open_read(sandbox(), "/etc/passwd"),
            "absolute_preopen_name" => open_read(sandbox(), "/sandbox/inside.txt"),
            "absolute_mkdir" => res(wasi::path_create_directory(sandbox(), "/tmp/kiln-escape")),
            "dotdot_mkdir" => res(wasi::path_create_directory(sandbox(), "../outside/newdir")),
            "dotdot_create" => res(open(
                sandbox(),
                0,
                "../outside/created.txt",
                wasi::OFLAGS_CREAT,
                WRITE,
            )),
            "dotdot_unlink" => res(wasi::path_unlink_file(sandbox(), "../outside/secret.txt")),
            "dotdot_rmdir" => res(wasi::path_remove_directory(sandbox(), "../outside/dir")),
            "dotdot_filestat" => res(wasi::path_filestat_get(
                sandbox(),
                0,
                "../outside/secret.txt",
            )),
            "dotdot_set_times" => res(wasi::path_filestat_set_times(
                sandbox(),
                0,
                "../outside/secret.txt",
                0,
                0,
                wasi::FSTFLAGS_ATIM_NOW | wasi::FSTFLAGS_MTIM_NOW,
            )),
            "dotdot_readlink" => {
                let mut buf = [0u8; 64];
                res(wasi::path_readlink(
                    sandbox(),
                    "../sandbox/up",
                    buf.as_mut_ptr(),
                    64,
                ))
            }
            "dotdot_symlink_at" => res(wasi::path_symlink(
                "inside.txt",
                sandbox(),
                "../outside/link",
            )),

            // ---- symlinks pointing out ----------------------------------------------
            "symlink_root" => open_read(sandbox(), "to_root/etc/passwd"),
            "symlink_root_dir" => res(open(
                sandbox(),
                FOLLOW,
                "to_root",
                wasi::OFLAGS_DIRECTORY,
                READ,
            )),
            "symlink_abs_file" => open_read(sandbox(), "to_etc_passwd"),
            "symlink_dotdot" => open_read(sandbox(), "up/outside/secret.txt"),
            "symlink_dotdot_reenter" => open_read(sandbox(), "up/sandbox/inside.txt"),
            "symlink_to_outside_file" => open_read(sandbox(), "up_secret"),
            "symlink_chain_escape" => open_read(sandbox(), "chain1"),
            "symlink_chain_inside" => open_read(sandbox(), "ok_chain1"),
            "symlink_dir_then_dotdot" => open_read(sandbox(), "race/../inside.txt"),
            "symlink_relative_inside" => open_read(sandbox(), "sub/ok_chain2"),
            "symlink_loop" => open_read(sandbox(), "loop_a"),
            "symlink_self_loop" => open_read(sandbox(), "self_loop"),
            "symlink_too_many" => open_read(sandbox(), "long_0"),
            "symlink_nofollow_final" => res(open(sandbox(), 0, "up_secret", 0, READ)),
            "symlink_filestat_follow" => {
                res(wasi::path_filestat_get(sandbox(), FOLLOW, "up_secret"))
            }
            "symlink_filestat_nofollow" => {
                match wasi::path_filestat_get(sandbox(), 0, "up_secret") {
                    Ok(st) => format!("ok:type={}", st.filetype.raw()),
                    Err(e) => res::<()>(Err(e)),
                }
            }
            "symlink_set_times_follow" => res(wasi::path_filestat_set_times(
                sandbox(),
                FOLLOW,
                "up_secret",
                0,
                0,
                wasi::FSTFLAGS_ATIM_NOW | wasi::FSTFLAGS_MTIM_NOW,
            )),
            "symlink_trunc_outside" => res(open(
                sandbox(),
                FOLLOW,
                "up_secret",
                wasi::OFLAGS_TRUNC,
                WRITE,
            )),
            "symlink_create_through_dangling" => res(open(
                sandbox(),
                FOLLOW,
                "dangle_out",
                wasi::OFLAGS_CREAT,
                WRITE,
            )),
            "symlink_mkdir_through" => {
                res(wasi::path_create_directory(sandbox(), "up/outside/mkdir"))
            }
            "symlink_unlink_through" => {
                res(wasi::path_unlink_file(sandbox(), "up/outside/secret.txt"))
            }
            "symlink_readlink_is_text" => {
                let mut buf = [0u8; 64];
                match wasi::path_readlink(sandbox(), "to_root", buf.as_mut_ptr(), 64) {
                    Ok(n) => format!("ok:{}", String::from_utf8_lossy(&buf[..n])),
                    Err(e) => res::<()>(Err(e)),
                }
            }
            "plant_abs_symlink" => {
                let r = res(wasi::path_symlink("/", sandbox(), "planted_root"));
                let open = open_read(sandbox(), "planted_root/etc/passwd");
                let _ = wasi::path_unlink_file(sandbox(), "planted_root");
                format!("create={r} open={open}")
            }
            "plant_rel_symlink" => {
                let r = res(wasi::path_symlink(
                    "../outside/secret.txt",
                    sandbox(),
                    "planted_up",
                ));
                let open = open_read(sandbox(), "planted_up");
                let _ = wasi::path_unlink_file(sandbox(), "planted_up");
                format!("create={r} open={open}")
            }
            "proc_self_fd" => {
                // A magic link: writing through it would reach the process's stdout.
                match open(sandbox(), FOLLOW, "proc_fd1", 0, WRITE) {
                    Ok(fd) => {
                        let w = write_str(fd, "ESCAPED THROUGH /proc/self/fd/1\n");
                        close(fd);
                        format!("ok(write={})", res(w))
                    }
                    Err(e) => res::<()>(Err(e)),
                }
            }
            "proc_self_root" => open_read(sandbox(), "proc_root/etc/passwd"),

            // ---- hard links and renames -------------------------------------------
            "link_out_source" => res(wasi::path_link(
                sandbox(),
                0,
                "../outside/secret.txt",
                sandbox(),
                "stolen",
            )),
            "link_out_target" => res(wasi::path_link(
                sandbox(),
                0,
                "inside.txt",
                sandbox(),
                "../outside/planted",
            )),
            "link_through_symlink_dir" => res(wasi::path_link(
                sandbox(),
                0,
                "up/outside/secret.txt",
                sandbox(),
                "stolen",
            )),
            "link_follow_symlink_out" => res(wasi::path_link(
                sandbox(),
                FOLLOW,
                "up_secret",
                sandbox(),
                "stolen",
            )),
            "link_abs_source" => res(wasi::path_link(
                sandbox(),
                0,
                "/etc/passwd",
                sandbox(),
                "stolen",
            )),
            "rename_out" => res(wasi::path_rename(
                sandbox(),
                "inside.txt",
                sandbox(),
                "../outside/moved.txt",
            )),
            "rename_in" => res(wasi::path_rename(
                sandbox(),
                "../outside/secret.txt",
                sandbox(),
                "moved.txt",
            )),
            "rename_through_symlink" => res(wasi::path_rename(
                sandbox(),
                "inside.txt",
                sandbox(),
                "up/outside/moved.txt",
            )),
            "rename_over_outside" => res(wasi::path_rename(
                sandbox(),
                "sub/file.txt",
                sandbox(),
                "up/outside/secret.txt",
            )),
            "rename_preopen_dot" => res(wasi::path_rename(sandbox(), ".", sandbox(), "renamed")),
            "rename_preopen_by_name" => res(wasi::path_rename(
                sandbox(),
                "../sandbox",
                sandbox(),
                "renamed",
            )),
            "rename_preopen_away" => res(wasi::path_rename(
                sandbox(),
                "../sandbox",
                sandbox(),
                "../renamed",
            )),
            "rmdir_preopen_dot" => res(wasi::path_remove_directory(sandbox(), ".")),

            // ---- descriptors ---------------------------------------------------------
            "dir_fd_after_close" => {
                let sub = open(sandbox(), 0, "sub", wasi::OFLAGS_DIRECTORY, DIR_RIGHTS).unwrap();
                let closed = res(wasi::fd_close(sub));
                let after = res(open(sub, 0, "inner.txt", 0, READ));
                format!("close={closed} open={after}")
            }
            "double_close" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, READ).unwrap();
                let first = res(wasi::fd_close(fd));
                let second = res(wasi::fd_close(fd));
                format!("first={first} second={second}")
            }
            "preopen_after_close" => {
                let pre = sandbox();
                let closed = res(wasi::fd_close(pre));
                let after = res(open(pre, 0, "inside.txt", 0, READ));
                let prestat = res(wasi::fd_prestat_get(pre));
                format!("close={closed} open={after} prestat={prestat}")
            }
            "renumber_file_onto_preopen" => {
                let pre = sandbox();
                let fd = open(pre, 0, "inside.txt", 0, READ).unwrap();
                let r = res(wasi::fd_renumber(fd, pre));
                let old = res(wasi::fd_fdstat_get(fd));
                let path = res(open(pre, 0, "inside.txt", 0, READ));
                let prestat = res(wasi::fd_prestat_get(pre));
                format!("renumber={r} old={old} open={path} prestat={prestat}")
            }
            "renumber_subdir_onto_preopen" => {
                let pre = sandbox();
                let sub = open(pre, 0, "sub", wasi::OFLAGS_DIRECTORY, DIR_RIGHTS).unwrap();
                let r = res(wasi::fd_renumber(sub, pre));
                let inner = open_read(pre, "inner.txt");
                let escape = open_read(pre, "../inside.txt");
                format!("renumber={r} inner={inner} escape={escape}")
            }
            "renumber_onto_closed" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, READ).unwrap();
                let target = open(sandbox(), 0, "sub/inner.txt", 0, READ).unwrap();
                close(target);
                let r = res(wasi::fd_renumber(fd, target));
                close(fd);
                r
            }
            "renumber_to_huge_fd" => res(wasi::fd_renumber(sandbox(), 0x7fff_ffff)),
            "path_open_on_file_fd" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, READ).unwrap();
                let r = res(open(fd, 0, "x", 0, READ));
                close(fd);
                r
            }
            "path_open_on_stdout" => res(open(1, 0, "inside.txt", 0, READ)),
            "rights_dropped_write" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, READ | WRITE).unwrap();
                let drop = res(wasi::fd_fdstat_set_rights(fd, READ, 0));
                let w = res(write_str(fd, "x"));
                let regain = res(wasi::fd_fdstat_set_rights(fd, READ | WRITE, 0));
                close(fd);
                format!("drop={drop} write={w} regain={regain}")
            }
            "rights_read_only_fd_write" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, wasi::RIGHTS_FD_READ).unwrap();
                let w = res(write_str(fd, "x"));
                let t = res(wasi::fd_filestat_set_size(fd, 0));
                close(fd);
                format!("write={w} truncate={t}")
            }

            // ---- guest pointers ----------------------------------------------------
            "iovec_count_huge_read" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, READ).unwrap();
                let mut buf = [0u8; 16];
                let iov = [wasi::Iovec {
                    buf: buf.as_mut_ptr(),
                    buf_len: 16,
                }];
                let mut n = 0usize;
                let r = raw::fd_read(
                    fd as i32,
                    iov.as_ptr() as i32,
                    i32::MIN,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                code(r)
            }
            "iovec_count_huge_write" => {
                let fd = scratch_file("huge_iovec.txt");
                let data = *b"data";
                let iov = [wasi::Ciovec {
                    buf: data.as_ptr(),
                    buf_len: 4,
                }];
                let mut n = 0usize;
                let r = raw::fd_write(
                    fd as i32,
                    iov.as_ptr() as i32,
                    i32::MIN,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                format!("{} size={}", code(r), size_of(sandbox(), "huge_iovec.txt"))
            }
            "iovec_count_max" => {
                let fd = scratch_file("max_iovec.txt");
                let data = *b"data";
                let iov = [wasi::Ciovec {
                    buf: data.as_ptr(),
                    buf_len: 4,
                }];
                let mut n = 0usize;
                let r = raw::fd_write(
                    fd as i32,
                    iov.as_ptr() as i32,
                    -1,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                format!("{} size={}", code(r), size_of(sandbox(), "max_iovec.txt"))
            }
            "iovec_array_past_end" => {
                let fd = scratch_file("iovs_past_end.txt");
                let end = mem_end();
                let mut n = 0usize;
                let r = raw::fd_write(fd as i32, (end - 4) as i32, 1, &mut n as *mut usize as i32);
                close(fd);
                code(r)
            }
            "iovec_buf_past_end_write" => {
                let fd = scratch_file("buf_past_end.txt");
                let end = mem_end();
                let iov = [wasi::Ciovec {
                    buf: (end - 4) as usize as *const u8,
                    buf_len: 100,
                }];
                let mut n = 0usize;
                let r = raw::fd_write(
                    fd as i32,
                    iov.as_ptr() as i32,
                    1,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                format!(
                    "{} size={}",
                    code(r),
                    size_of(sandbox(), "buf_past_end.txt")
                )
            }
            "iovec_buf_past_end_read" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, READ).unwrap();
                let end = mem_end();
                let iov = [wasi::Iovec {
                    buf: (end - 2) as usize as *mut u8,
                    buf_len: 100,
                }];
                let mut n = 0usize;
                let r = raw::fd_read(
                    fd as i32,
                    iov.as_ptr() as i32,
                    1,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                code(r)
            }
            "iovec_buf_wraps" => {
                let fd = scratch_file("buf_wraps.txt");
                let iov = [wasi::Ciovec {
                    buf: 0xffff_fff0usize as *const u8,
                    buf_len: 0x20,
                }];
                let mut n = 0usize;
                let r = raw::fd_write(
                    fd as i32,
                    iov.as_ptr() as i32,
                    1,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                format!("{} size={}", code(r), size_of(sandbox(), "buf_wraps.txt"))
            }
            "iovec_second_bad" => {
                // The first buffer is fine, the second is not: nothing may be written.
                let fd = scratch_file("second_bad.txt");
                let data = *b"first";
                let end = mem_end();
                let iov = [
                    wasi::Ciovec {
                        buf: data.as_ptr(),
                        buf_len: 5,
                    },
                    wasi::Ciovec {
                        buf: end as usize as *const u8,
                        buf_len: 1,
                    },
                ];
                let mut n = 0usize;
                let r = raw::fd_write(
                    fd as i32,
                    iov.as_ptr() as i32,
                    2,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                format!("{} size={}", code(r), size_of(sandbox(), "second_bad.txt"))
            }
            "nwritten_past_end" => {
                let fd = scratch_file("nwritten.txt");
                let data = *b"data";
                let iov = [wasi::Ciovec {
                    buf: data.as_ptr(),
                    buf_len: 4,
                }];
                let end = mem_end();
                let r = raw::fd_write(fd as i32, iov.as_ptr() as i32, 1, (end - 2) as i32);
                close(fd);
                code(r)
            }
            "pread_buf_past_end" => {
                let fd = open(sandbox(), 0, "inside.txt", 0, READ).unwrap();
                let end = mem_end();
                let iov = [wasi::Iovec {
                    buf: end as usize as *mut u8,
                    buf_len: 8,
                }];
                let mut n = 0usize;
                let r = raw::fd_pread(
                    fd as i32,
                    iov.as_ptr() as i32,
                    1,
                    0,
                    &mut n as *mut usize as i32,
                );
                close(fd);
                code(r)
            }
            "path_ptr_past_end" => {
                let end = mem_end();
                let mut fd = 0u32;
                let r = raw::path_open(
                    sandbox() as i32,
                    0,
                    (end - 2) as i32,
                    100,
                    0,
                    READ as i64,
                    0,
                    0,
                    &mut fd as *mut u32 as i32,
                );
                code(r)
            }
            "path_len_huge" => {
                let path = b"inside.txt";
                let mut fd = 0u32;
                let r = raw::path_open(
                    sandbox() as i32,
                    0,
                    path.as_ptr() as i32,
                    -1,
                    0,
                    READ as i64,
                    0,
                    0,
                    &mut fd as *mut u32 as i32,
                );
                code(r)
            }
            "path_ptr_past_end_mkdir" => {
                let end = mem_end();
                code(raw::path_create_directory(
                    sandbox() as i32,
                    (end - 1) as i32,
                    8,
                ))
            }
            "opened_fd_ptr_past_end" => {
                let path = b"inside.txt";
                let end = mem_end();
                let r = raw::path_open(
                    sandbox() as i32,
                    0,
                    path.as_ptr() as i32,
                    path.len() as i32,
                    0,
                    READ as i64,
                    0,
                    0,
                    (end - 3) as i32,
                );
                code(r)
            }
            "prestat_name_past_end" => {
                let end = mem_end();
                code(raw::fd_prestat_dir_name(
                    sandbox() as i32,
                    (end - 2) as i32,
                    8,
                ))
            }
            "readdir_buf_past_end" => {
                let mut n = 0usize;
                let end = mem_end();
                code(raw::fd_readdir(
                    sandbox() as i32,
                    (end - 16) as i32,
                    256,
                    0,
                    &mut n as *mut usize as i32,
                ))
            }
            "readlink_buf_past_end" => {
                let path = b"up_secret";
                let mut n = 0usize;
                let end = mem_end();
                code(raw::path_readlink(
                    sandbox() as i32,
                    path.as_ptr() as i32,
                    path.len() as i32,
                    end as i32,
                    16,
                    &mut n as *mut usize as i32,
                ))
            }
            "filestat_ptr_past_end" => {
                let end = mem_end();
                code(raw::fd_filestat_get(sandbox() as i32, (end - 8) as i32))
            }
            "args_ptr_past_end" => {
                let end = mem_end();
                code(raw::args_get((end - 4) as i32, (end - 4) as i32))
            }
            "random_past_end" => {
                let end = mem_end();
                code(raw::random_get((end - 8) as i32, 64))
            }
            "clock_ptr_past_end" => {
                let end = mem_end();
                code(raw::clock_time_get(0, 1, (end - 4) as i32))
            }
            "poll_nsubs_huge" => {
                let mut events = [0u8; 64];
                let mut n = 0usize;
                let subs = [0u8; 48];
                code(raw::poll_oneoff(
                    subs.as_ptr() as i32,
                    events.as_mut_ptr() as i32,
                    i32::MAX,
                    &mut n as *mut usize as i32,
                ))
            }

            // ---- odd paths -------------------------------------------------------------
            "nul_in_path" => open_read(sandbox(), "inside.txt\0"),
            "nul_then_escape" => open_read(sandbox(), "sub\0/../../outside/secret.txt"),
            "long_component" => open_read(sandbox(), &"a".repeat(300)),
            "long_path" => {
                let path = format!("{}inside.txt", "./".repeat(3000));
                open_read(sandbox(), &path)
            }
            "empty_path" => res(open(sandbox(), 0, "", 0, READ)),
            "trailing_slash_file" => res(open(sandbox(), 0, "inside.txt/", 0, READ)),

            // ---- read-only grant -------------------------------------------------------
            "ro_read" => open_read(ro(), "file.txt"),
            "ro_list" => {
                let mut buf = [0u8; 512];
                res(wasi::fd_readdir(ro(), buf.as_mut_ptr(), buf.len(), 0))
            }
            "ro_open_write" => res(open(ro(), 0, "file.txt", 0, WRITE)),
            "ro_open_trunc" => res(open(ro(), 0, "file.txt", wasi::OFLAGS_TRUNC, WRITE)),
            "ro_open_trunc_no_write" => res(open(ro(), 0, "file.txt", wasi::OFLAGS_TRUNC, READ)),
            "ro_open_append" => res(wasi::path_open(
                ro(),
                0,
                "file.txt",
                0,
                WRITE,
                0,
                wasi::FDFLAGS_APPEND,
            )),
            "ro_create" => res(open(ro(), 0, "new.txt", wasi::OFLAGS_CREAT, WRITE)),
            "ro_create_read_rights" => res(open(ro(), 0, "new.txt", wasi::OFLAGS_CREAT, READ)),
            "ro_mkdir" => res(wasi::path_create_directory(ro(), "newdir")),
            "ro_rmdir" => res(wasi::path_remove_directory(ro(), "empty")),
            "ro_unlink" => res(wasi::path_unlink_file(ro(), "file.txt")),
            "ro_rename" => res(wasi::path_rename(ro(), "file.txt", ro(), "moved.txt")),
            "ro_rename_out" => res(wasi::path_rename(ro(), "file.txt", sandbox(), "moved.txt")),
            "ro_rename_in" => res(wasi::path_rename(
                sandbox(),
                "sub/file.txt",
                ro(),
                "planted.txt",
            )),
            "ro_symlink" => res(wasi::path_symlink("file.txt", ro(), "link")),
            "ro_link_within" => res(wasi::path_link(ro(), 0, "file.txt", ro(), "hardlink")),
            "ro_link_out" => {
                // A hard link from the read-only grant into the writable one would
                // make the read-only file writable.
                let r = res(wasi::path_link(
                    ro(),
                    0,
                    "file.txt",
                    sandbox(),
                    "ro_hardlink",
                ));
                let w = match open(sandbox(), 0, "ro_hardlink", 0, WRITE) {
                    Ok(fd) => {
                        let w = res(write_str(fd, "OVERWRITTEN"));
                        close(fd);
                        w
                    }
                    Err(e) => res::<()>(Err(e)),
                };
                let _ = wasi::path_unlink_file(sandbox(), "ro_hardlink");
                format!("link={r} write={w}")
            }
            "ro_set_times" => res(wasi::path_filestat_set_times(
                ro(),
                0,
                "file.txt",
                0,
                0,
                wasi::FSTFLAGS_ATIM_NOW | wasi::FSTFLAGS_MTIM_NOW,
            )),
            "ro_fd_set_size" => {
                let fd = open(ro(), 0, "file.txt", 0, READ).unwrap();
                let r = res(wasi::fd_filestat_set_size(fd, 0));
                close(fd);
                r
            }
            "ro_fd_write" => {
                let fd = open(ro(), 0, "file.txt", 0, READ).unwrap();
                let r = res(write_str(fd, "x"));
                close(fd);
                r
            }
            "ro_fd_set_times" => {
                let fd = open(ro(), 0, "file.txt", 0, READ).unwrap();
                let r = res(wasi::fd_filestat_set_times(
                    fd,
                    0,
                    0,
                    wasi::FSTFLAGS_MTIM_NOW,
                ));
                close(fd);
                r
            }
            "ro_fd_allocate" => {
                let fd = open(ro(), 0, "file.txt", 0, READ).unwrap();
                let r = res(wasi::fd_allocate(fd, 0, 4096));
                close(fd);
                r
            }
            "ro_subdir_write" => {
                // A directory fd opened inside the read-only grant stays read-only,
                // whatever rights it asks for.
                let dir = open(ro(), 0, "dir", wasi::OFLAGS_DIRECTORY, DIR_RIGHTS);
                match dir {
                    Ok(dir) => {
                        let w = res(open(dir, 0, "x.txt", 0, WRITE));
                        let c = res(open(dir, 0, "y.txt", wasi::OFLAGS_CREAT, WRITE));
                        close(dir);
                        format!("open=ok write={w} create={c}")
                    }
                    Err(e) => format!("open={}", res::<()>(Err(e))),
                }
            }
            "ro_rights_regain" => {
                // Asking for every right on the read-only preopen must not make it
                // writable, whether or not the call itself is refused.
                let pre = ro();
                let set = res(wasi::fd_fdstat_set_rights(pre, ALL_RIGHTS, ALL_RIGHTS));
                let create = res(open(pre, 0, "new.txt", wasi::OFLAGS_CREAT, WRITE));
                format!("set={set} create={create}")
            }

            // ---- no grant at all -------------------------------------------------------
            "nogrant_prestat" => res(wasi::fd_prestat_get(3)),
            "nogrant_open" => res(open(3, 0, "inside.txt", 0, READ)),
            "nogrant_open_abs" => res(open(3, 0, "/etc/passwd", 0, READ)),
            "nogrant_std" => match std::fs::read("/sandbox/inside.txt") {
                Ok(_) => "ok".to_owned(),
                Err(_) => "error".to_owned(),
            },

            // ---- /proc/self granted (magic links) ------------------------------------
            "procgrant_root" => open_read(preopen("/proc").unwrap(), "root/etc/passwd"),
            "procgrant_cwd" => res(open(
                preopen("/proc").unwrap(),
                FOLLOW,
                "cwd",
                wasi::OFLAGS_DIRECTORY,
                READ,
            )),
            "procgrant_fd1" => match open(preopen("/proc").unwrap(), FOLLOW, "fd/1", 0, WRITE) {
                Ok(fd) => {
                    let w = write_str(fd, "ESCAPED THROUGH /proc/self/fd/1\n");
                    close(fd);
                    format!("ok(write={})", res(w))
                }
                Err(e) => res::<()>(Err(e)),
            },
            "procgrant_exe" => res(open(preopen("/proc").unwrap(), FOLLOW, "exe", 0, READ)),

            // ---- the race --------------------------------------------------------------
            n if n.starts_with("race=") => race(n["race=".len()..].parse().expect("race=N")),

            other => format!("unknown case {other:?}"),
        }
    }

    /// Opens, stats and creates through `race`, which the test keeps flipping
    /// between `sub` and `../outside/dir`, `iterations` times each. Prints how
    /// often each one landed inside, outside (must be never) or was refused.
    unsafe fn race(iterations: u32) -> String {
        let pre = sandbox();
        let (mut inside, mut outside, mut refused, mut other) = (0u32, 0u32, 0u32, Vec::new());
        let mut note = |r: Result<bool, Errno>, inside: &mut u32, outside: &mut u32| match r {
            Ok(true) => *inside += 1,
            Ok(false) => *outside += 1,
            Err(e) if e == wasi::ERRNO_PERM || e == wasi::ERRNO_NOTCAPABLE => refused += 1,
            // The link may be mid-flip (ENOENT) — anything else is reported.
            Err(e) if e == wasi::ERRNO_NOENT => {}
            Err(e) => other.push(code(i32::from(e.raw()))),
        };
        for _ in 0..iterations {
            // Read through the link: "inside\n" is inside, anything else is not.
            let r =
                open(pre, FOLLOW, "race/inner.txt", 0, READ).map(|fd| read_all(fd) == "inside\n");
            note(r, &mut inside, &mut outside);
            // Stat through the link: the inside file is 7 bytes long.
            let r = wasi::path_filestat_get(pre, FOLLOW, "race/inner.txt").map(|st| st.size == 7);
            note(r, &mut inside, &mut outside);
            // Create through the link; an inside creation is removed again through `sub`.
            let r = open(pre, FOLLOW, "race/created.txt", wasi::OFLAGS_CREAT, WRITE).map(|fd| {
                close(fd);
                wasi::path_unlink_file(pre, "sub/created.txt").is_ok()
            });
            note(r, &mut inside, &mut outside);
        }
        other.sort();
        other.dedup();
        format!("inside={inside} outside={outside} refused={refused} other={other:?}")
    }
}
