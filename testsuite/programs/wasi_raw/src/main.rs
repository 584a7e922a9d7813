//! Every `wasi_snapshot_preview1` function, called directly through the `wasi`
//! crate where std does not reach it (or reaches it only in one way): each
//! argument names a section, which prints one line per call, `call: result`,
//! where a result is `ok`, `ok <value>` or a preview1 errno name. Nothing
//! printed depends on the host (no inode numbers, no absolute times), so
//! `testsuite/tests/wasi_raw.rs` compares the output with fixed text.
//!
//! Usage: `wasi_raw SECTION[,SECTION...] [ARGS...]`. File sections work in the
//! preopen `/work` (an empty directory, granted read-write); `args` prints the
//! arguments, `env` the environment; `exit=N` ends with `proc_exit(N)`. The
//! native build only says that it needs WASI.
//!
//! (Over 600 lines: one section per preview1 function, in one program so that one
//! build and one run cover them all.)

#[cfg(not(target_os = "wasi"))]
fn main() {
    eprintln!("wasi_raw makes raw WASI calls: run the wasm32-wasip1 build");
    std::process::exit(2);
}

#[cfg(target_os = "wasi")]
fn main() {
    // `wasi_raw SECTION[,SECTION...] [ARGS...]`: the ARGS are for `args`.
    let Some(list) = std::env::args().nth(1) else {
        eprintln!("usage: wasi_raw SECTION[,SECTION...] [ARGS...]");
        std::process::exit(2);
    };
    for section in list.split(',') {
        println!("== {section}");
        // SAFETY: the sections make WASI calls with buffers they own.
        unsafe { sections::run(section) };
    }
}

#[cfg(target_os = "wasi")]
mod sections {
    use wasi::wasi_snapshot_preview1 as raw;
    use wasi::{Errno, Fd};

    fn ename(e: Errno) -> String {
        wasi_errno::errno_name(i32::from(e.raw()))
    }

    fn code(ret: i32) -> String {
        if ret == 0 {
            "ok".to_owned()
        } else {
            wasi_errno::errno_name(ret)
        }
    }

    /// `ok` or the errno.
    fn r<T>(res: Result<T, Errno>) -> String {
        match res {
            Ok(_) => "ok".to_owned(),
            Err(e) => ename(e),
        }
    }

    /// `ok <value>` or the errno.
    fn v<T: std::fmt::Debug>(res: Result<T, Errno>) -> String {
        match res {
            Ok(x) => format!("ok {x:?}"),
            Err(e) => ename(e),
        }
    }

    const ALL_RIGHTS: u64 = (1 << 29) - 1;
    const DIR_RIGHTS: u64 = ALL_RIGHTS & !wasi::RIGHTS_FD_WRITE;
    const FOLLOW: u32 = wasi::LOOKUPFLAGS_SYMLINK_FOLLOW;
    const SEC: u64 = 1_000_000_000;

    fn work() -> Fd {
        for fd in 3..64 {
            // SAFETY: plain WASI calls with valid buffers.
            unsafe {
                let Ok(stat) = wasi::fd_prestat_get(fd) else {
                    continue;
                };
                let len = stat.u.dir.pr_name_len;
                let mut buf = vec![0u8; len];
                if wasi::fd_prestat_dir_name(fd, buf.as_mut_ptr(), len).is_ok() && buf == b"/work" {
                    return fd;
                }
            }
        }
        panic!("no /work preopen");
    }

    unsafe fn open(dir: Fd, path: &str, oflags: u16, fdflags: u16) -> Result<Fd, Errno> {
        let rights = if oflags & wasi::OFLAGS_DIRECTORY != 0 {
            DIR_RIGHTS
        } else {
            ALL_RIGHTS
        };
        wasi::path_open(dir, 0, path, oflags, rights, ALL_RIGHTS, fdflags)
    }

    unsafe fn write(fd: Fd, bufs: &[&[u8]]) -> Result<usize, Errno> {
        let iovs: Vec<wasi::Ciovec> = bufs
            .iter()
            .map(|b| wasi::Ciovec {
                buf: b.as_ptr(),
                buf_len: b.len(),
            })
            .collect();
        wasi::fd_write(fd, &iovs)
    }

    unsafe fn read(fd: Fd, sizes: &[usize]) -> Result<Vec<String>, Errno> {
        let mut bufs: Vec<Vec<u8>> = sizes.iter().map(|&n| vec![0u8; n]).collect();
        let iovs: Vec<wasi::Iovec> = bufs
            .iter_mut()
            .map(|b| wasi::Iovec {
                buf: b.as_mut_ptr(),
                buf_len: b.len(),
            })
            .collect();
        let mut n = wasi::fd_read(fd, &iovs)?;
        Ok(bufs
            .iter()
            .map(|b| {
                let take = n.min(b.len());
                n -= take;
                String::from_utf8_lossy(&b[..take]).into_owned()
            })
            .collect())
    }

    unsafe fn pread(fd: Fd, len: usize, offset: u64) -> Result<String, Errno> {
        let mut buf = vec![0u8; len];
        let iov = wasi::Iovec {
            buf: buf.as_mut_ptr(),
            buf_len: len,
        };
        let n = wasi::fd_pread(fd, &[iov], offset)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    unsafe fn contents(dir: Fd, path: &str) -> String {
        match wasi::path_open(dir, 0, path, 0, wasi::RIGHTS_FD_READ, 0, 0) {
            Ok(fd) => {
                let mut out = String::new();
                loop {
                    match read(fd, &[64]) {
                        Ok(parts) if !parts[0].is_empty() => out.push_str(&parts[0]),
                        Ok(_) => break,
                        Err(e) => {
                            out = ename(e);
                            break;
                        }
                    }
                }
                let _ = wasi::fd_close(fd);
                format!("{out:?}")
            }
            Err(e) => ename(e),
        }
    }

    fn filetype(t: wasi::Filetype) -> &'static str {
        t.name()
    }

    /// `(name, type)` of every entry, read with a buffer of `buf_len` bytes and
    /// the cookies fd_readdir hands out.
    unsafe fn readdir(fd: Fd, buf_len: usize) -> Result<Vec<(String, &'static str)>, Errno> {
        let mut out = Vec::new();
        let mut cookie = 0u64;
        let mut buf = vec![0u8; buf_len];
        let header = core::mem::size_of::<wasi::Dirent>();
        loop {
            let n = wasi::fd_readdir(fd, buf.as_mut_ptr(), buf_len, cookie)?;
            let mut at = 0;
            let mut progressed = false;
            while at + header <= n {
                let d: wasi::Dirent = core::ptr::read_unaligned(buf.as_ptr().add(at) as *const _);
                let name_end = at + header + d.d_namlen as usize;
                if name_end > n {
                    break; // truncated entry: read again from its cookie
                }
                out.push((
                    String::from_utf8_lossy(&buf[at + header..name_end]).into_owned(),
                    filetype(d.d_type),
                ));
                cookie = d.d_next;
                at = name_end;
                progressed = true;
            }
            if n < buf_len {
                break;
            }
            if !progressed {
                return Err(wasi::ERRNO_NOBUFS);
            }
        }
        out.sort();
        Ok(out)
    }

    fn names(entries: &[(String, &str)]) -> String {
        entries
            .iter()
            .map(|(n, t)| format!("{n}:{t}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub unsafe fn run(section: &str) {
        match section {
            "prestat" => prestat(),
            "files" => files(),
            "fdstat" => fdstat(),
            "dirs" => dirs(),
            "links" => links(),
            "times" => times(),
            "renumber" => renumber(),
            "fdorder" => fdorder(),
            "poll" => poll(),
            "clocks" => clocks(),
            "random" => random(),
            "args" => args(),
            "env" => env(),
            "sockets" => sockets(),
            "misc" => misc(),
            "badenum" => badenum(),
            s if s.starts_with("exit=") => {
                let code: u32 = s["exit=".len()..].parse().expect("exit=N");
                println!("exiting with {code}");
                wasi::proc_exit(code);
                unreachable!("proc_exit returned");
            }
            other => println!("unknown section {other:?}"),
        }
    }

    unsafe fn prestat() {
        let pre = work();
        let stat = wasi::fd_prestat_get(pre).unwrap();
        println!(
            "fd_prestat_get: tag {} name_len {}",
            stat.tag, stat.u.dir.pr_name_len
        );
        let mut name = [0u8; 16];
        println!(
            "fd_prestat_dir_name: {} {:?}",
            r(wasi::fd_prestat_dir_name(pre, name.as_mut_ptr(), 5)),
            String::from_utf8_lossy(&name[..5])
        );
        println!(
            "fd_prestat_dir_name short buffer: {}",
            r(wasi::fd_prestat_dir_name(pre, name.as_mut_ptr(), 2))
        );
        println!("fd_prestat_get stdin: {}", r(wasi::fd_prestat_get(0)));
        println!(
            "fd_prestat_get unused fd: {}",
            r(wasi::fd_prestat_get(pre + 100))
        );
        let st = wasi::fd_fdstat_get(pre).unwrap();
        println!("preopen filetype: {}", filetype(st.fs_filetype));
        // The rights every preopened directory must have (the official preview1 tests' list).
        let base = wasi::RIGHTS_PATH_CREATE_DIRECTORY
            | wasi::RIGHTS_PATH_CREATE_FILE
            | wasi::RIGHTS_PATH_LINK_SOURCE
            | wasi::RIGHTS_PATH_LINK_TARGET
            | wasi::RIGHTS_PATH_OPEN
            | wasi::RIGHTS_FD_READDIR
            | wasi::RIGHTS_PATH_READLINK
            | wasi::RIGHTS_PATH_RENAME_SOURCE
            | wasi::RIGHTS_PATH_RENAME_TARGET
            | wasi::RIGHTS_PATH_SYMLINK
            | wasi::RIGHTS_PATH_REMOVE_DIRECTORY
            | wasi::RIGHTS_PATH_UNLINK_FILE
            | wasi::RIGHTS_PATH_FILESTAT_GET
            | wasi::RIGHTS_PATH_FILESTAT_SET_TIMES
            | wasi::RIGHTS_FD_FILESTAT_GET
            | wasi::RIGHTS_FD_FILESTAT_SET_TIMES;
        let inheriting = base
            | wasi::RIGHTS_FD_DATASYNC
            | wasi::RIGHTS_FD_READ
            | wasi::RIGHTS_FD_SEEK
            | wasi::RIGHTS_FD_FDSTAT_SET_FLAGS
            | wasi::RIGHTS_FD_SYNC
            | wasi::RIGHTS_FD_TELL
            | wasi::RIGHTS_FD_WRITE
            | wasi::RIGHTS_FD_ADVISE
            | wasi::RIGHTS_FD_ALLOCATE
            | wasi::RIGHTS_FD_FILESTAT_SET_SIZE
            | wasi::RIGHTS_POLL_FD_READWRITE;
        println!(
            "preopen base rights complete: {}",
            st.fs_rights_base & base == base
        );
        println!(
            "preopen inheriting rights complete: {}",
            st.fs_rights_inheriting & inheriting == inheriting
        );
        println!(
            "open preopen itself: {}",
            r(wasi::path_open(
                pre,
                0,
                ".",
                wasi::OFLAGS_DIRECTORY,
                0,
                0,
                0
            ))
        );
        println!(
            "open preopen read-write: {}",
            r(wasi::path_open(
                pre,
                0,
                ".",
                wasi::OFLAGS_DIRECTORY,
                wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_WRITE,
                0,
                0
            ))
        );
    }

    unsafe fn files() {
        let pre = work();
        let fd = open(pre, "f.txt", wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL, 0).unwrap();
        println!(
            "path_open O_CREAT|O_EXCL again: {}",
            r(open(
                pre,
                "f.txt",
                wasi::OFLAGS_CREAT | wasi::OFLAGS_EXCL,
                0
            ))
        );
        println!("path_open missing: {}", r(open(pre, "missing.txt", 0, 0)));
        println!(
            "path_open O_DIRECTORY on file: {}",
            r(open(pre, "f.txt", wasi::OFLAGS_DIRECTORY, 0))
        );
        println!(
            "fd_write gather: {}",
            v(write(fd, &[b"Hello", b", ", b"", b"world"]))
        );
        println!("fd_tell: {}", v(wasi::fd_tell(fd)));
        println!(
            "fd_seek set 0: {}",
            v(wasi::fd_seek(fd, 0, wasi::WHENCE_SET))
        );
        println!("fd_read scatter: {}", v(read(fd, &[3, 0, 4, 100])));
        println!("fd_read at eof: {}", v(read(fd, &[8])));
        println!(
            "fd_seek cur -5: {}",
            v(wasi::fd_seek(fd, -5, wasi::WHENCE_CUR))
        );
        println!("fd_read: {}", v(read(fd, &[5])));
        println!(
            "fd_seek end -6: {}",
            v(wasi::fd_seek(fd, -6, wasi::WHENCE_END))
        );
        println!("fd_read: {}", v(read(fd, &[1])));
        println!(
            "fd_seek negative: {}",
            r(wasi::fd_seek(fd, -100, wasi::WHENCE_CUR))
        );
        println!("fd_tell after failed seek: {}", v(wasi::fd_tell(fd)));
        println!("fd_pread 5 at 7: {}", v(pread(fd, 5, 7)));
        let iov = wasi::Ciovec {
            buf: b"W".as_ptr(),
            buf_len: 1,
        };
        println!("fd_pwrite at 7: {}", v(wasi::fd_pwrite(fd, &[iov], 7)));
        println!("fd_tell unchanged: {}", v(wasi::fd_tell(fd)));
        println!("fd_pread past end: {}", v(pread(fd, 5, 1000)));
        println!("contents: {}", contents(pre, "f.txt"));
        let st = wasi::fd_filestat_get(fd).unwrap();
        println!(
            "fd_filestat_get: {} size {} nlink {}",
            filetype(st.filetype),
            st.size,
            st.nlink
        );
        println!(
            "fd_filestat_set_size 5: {}",
            r(wasi::fd_filestat_set_size(fd, 5))
        );
        println!("contents: {}", contents(pre, "f.txt"));
        println!(
            "fd_filestat_set_size 8: {}",
            r(wasi::fd_filestat_set_size(fd, 8))
        );
        println!("size: {}", wasi::fd_filestat_get(fd).unwrap().size);
        println!(
            "fd_advise: {}",
            r(wasi::fd_advise(fd, 0, 8, wasi::ADVICE_SEQUENTIAL))
        );
        println!("fd_allocate: {}", r(wasi::fd_allocate(fd, 0, 4096)));
        println!(
            "size after fd_allocate: {}",
            wasi::fd_filestat_get(fd).unwrap().size
        );
        println!("fd_datasync: {}", r(wasi::fd_datasync(fd)));
        println!("fd_sync: {}", r(wasi::fd_sync(fd)));
        println!("fd_close: {}", r(wasi::fd_close(fd)));
        println!("fd_close again: {}", r(wasi::fd_close(fd)));
        println!("fd_write closed: {}", r(write(fd, &[b"x"])));

        let t = open(pre, "f.txt", wasi::OFLAGS_TRUNC, 0).unwrap();
        println!("O_TRUNC size: {}", wasi::fd_filestat_get(t).unwrap().size);
        let _ = wasi::fd_close(t);
        let a = open(pre, "f.txt", 0, wasi::FDFLAGS_APPEND).unwrap();
        println!("append write: {}", v(write(a, &[b"one\n"])));
        println!(
            "fd_seek 0 then append write: {} {}",
            v(wasi::fd_seek(a, 0, wasi::WHENCE_SET)),
            v(write(a, &[b"two\n"]))
        );
        println!("contents: {}", contents(pre, "f.txt"));
        let _ = wasi::fd_close(a);
        let ro = wasi::path_open(
            pre,
            0,
            "f.txt",
            0,
            wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_SEEK,
            0,
            0,
        )
        .unwrap();
        println!("fd_write without FD_WRITE: {}", r(write(ro, &[b"x"])));
        println!("fd_read with FD_READ: {}", v(read(ro, &[3])));
        let _ = wasi::fd_close(ro);
        let dir = open(pre, ".", wasi::OFLAGS_DIRECTORY, 0).unwrap();
        println!("fd_read on a directory: {}", r(read(dir, &[8])));
        let _ = wasi::fd_close(dir);
        println!(
            "path_unlink_file: {}",
            r(wasi::path_unlink_file(pre, "f.txt"))
        );
        println!(
            "path_unlink_file again: {}",
            r(wasi::path_unlink_file(pre, "f.txt"))
        );
    }

    unsafe fn fdstat() {
        let pre = work();
        let fd = open(pre, "flags.txt", wasi::OFLAGS_CREAT, wasi::FDFLAGS_APPEND).unwrap();
        let st = wasi::fd_fdstat_get(fd).unwrap();
        println!(
            "fd_fdstat_get: {} flags {}",
            filetype(st.fs_filetype),
            st.fs_flags
        );
        println!(
            "fd_fdstat_set_flags 0: {}",
            r(wasi::fd_fdstat_set_flags(fd, 0))
        );
        println!("flags: {}", wasi::fd_fdstat_get(fd).unwrap().fs_flags);
        println!(
            "write at 0 without append: {} {}",
            v(write(fd, &[b"abc"])),
            v(wasi::fd_tell(fd))
        );
        println!(
            "fd_fdstat_set_flags APPEND: {}",
            r(wasi::fd_fdstat_set_flags(fd, wasi::FDFLAGS_APPEND))
        );
        println!("flags: {}", wasi::fd_fdstat_get(fd).unwrap().fs_flags);
        let _ = wasi::fd_seek(fd, 0, wasi::WHENCE_SET);
        println!("write with append: {}", v(write(fd, &[b"def"])));
        println!("contents: {}", contents(pre, "flags.txt"));
        println!(
            "fd_fdstat_set_flags NONBLOCK: {}",
            r(wasi::fd_fdstat_set_flags(fd, wasi::FDFLAGS_NONBLOCK))
        );
        println!("flags: {}", wasi::fd_fdstat_get(fd).unwrap().fs_flags);
        let st = wasi::fd_fdstat_get(fd).unwrap();
        println!(
            "fd_fdstat_set_rights drop FD_WRITE: {}",
            r(wasi::fd_fdstat_set_rights(
                fd,
                st.fs_rights_base & !wasi::RIGHTS_FD_WRITE,
                st.fs_rights_inheriting
            ))
        );
        println!(
            "rights now lack FD_WRITE: {}",
            wasi::fd_fdstat_get(fd).unwrap().fs_rights_base & wasi::RIGHTS_FD_WRITE == 0
        );
        println!("fd_write: {}", r(write(fd, &[b"x"])));
        println!(
            "fd_fdstat_set_rights add back: {}",
            r(wasi::fd_fdstat_set_rights(
                fd,
                st.fs_rights_base,
                st.fs_rights_inheriting
            ))
        );
        let _ = wasi::fd_close(fd);
        match open(
            pre,
            "flags.txt",
            0,
            wasi::FDFLAGS_DSYNC | wasi::FDFLAGS_SYNC,
        ) {
            Ok(sync) => {
                println!(
                    "O_DSYNC|O_SYNC flags: {}",
                    wasi::fd_fdstat_get(sync).unwrap().fs_flags
                );
                let _ = wasi::fd_close(sync);
            }
            Err(e) => println!("O_DSYNC|O_SYNC: {}", ename(e)),
        }
        println!("fd_fdstat_get bad fd: {}", r(wasi::fd_fdstat_get(1000)));
        let dir = open(pre, ".", wasi::OFLAGS_DIRECTORY, 0).unwrap();
        println!(
            "directory fdstat: {}",
            filetype(wasi::fd_fdstat_get(dir).unwrap().fs_filetype)
        );
        let _ = wasi::fd_close(dir);
        let _ = wasi::path_unlink_file(pre, "flags.txt");
    }

    unsafe fn dirs() {
        let pre = work();
        println!(
            "path_create_directory: {}",
            r(wasi::path_create_directory(pre, "d"))
        );
        println!(
            "path_create_directory again: {}",
            r(wasi::path_create_directory(pre, "d"))
        );
        println!(
            "path_create_directory nested: {}",
            r(wasi::path_create_directory(pre, "d/e"))
        );
        println!(
            "path_create_directory missing parent: {}",
            r(wasi::path_create_directory(pre, "x/y"))
        );
        for i in 0..40 {
            let fd = open(
                pre,
                &format!("d/file-{i:02}-{}", "n".repeat(i)),
                wasi::OFLAGS_CREAT,
                0,
            )
            .unwrap();
            let _ = wasi::fd_close(fd);
        }
        let d = open(pre, "d", wasi::OFLAGS_DIRECTORY, 0).unwrap();
        let big = readdir(d, 8192).unwrap();
        println!("fd_readdir: {} entries", big.len());
        println!("first: {}", names(&big[..4]));
        println!("last: {}", names(&big[big.len() - 1..]));
        let small = readdir(d, 96).unwrap();
        println!(
            "fd_readdir with 96-byte buffer, by cookie: same {}",
            small == big
        );
        let mut tiny = [0u8; 10];
        println!(
            "fd_readdir 10-byte buffer: {}",
            v(wasi::fd_readdir(d, tiny.as_mut_ptr(), 10, 0))
        );
        let mut buf = [0u8; 256];
        println!("fd_readdir on a file: {}", {
            let f = open(pre, "d/file-00-", 0, 0).unwrap();
            let res = r(wasi::fd_readdir(f, buf.as_mut_ptr(), 256, 0));
            let _ = wasi::fd_close(f);
            res
        });
        println!(
            "path_open relative to subdir fd: {}",
            r(open(d, "e", wasi::OFLAGS_DIRECTORY, 0))
        );
        println!(
            "path_remove_directory non-empty: {}",
            r(wasi::path_remove_directory(pre, "d"))
        );
        println!(
            "path_remove_directory file: {}",
            r(wasi::path_remove_directory(pre, "d/file-00-"))
        );
        println!(
            "path_unlink_file directory: {}",
            r(wasi::path_unlink_file(pre, "d/e"))
        );
        println!(
            "path_remove_directory: {}",
            r(wasi::path_remove_directory(pre, "d/e"))
        );
        println!(
            "path_remove_directory missing: {}",
            r(wasi::path_remove_directory(pre, "d/e"))
        );
        for i in 0..40 {
            let _ = wasi::path_unlink_file(pre, &format!("d/file-{i:02}-{}", "n".repeat(i)));
        }
        println!("empty listing: {}", names(&readdir(d, 256).unwrap()));
        let _ = wasi::fd_close(d);
        println!(
            "path_remove_directory d: {}",
            r(wasi::path_remove_directory(pre, "d"))
        );
        println!(
            "path_create_directory trailing slash: {}",
            r(wasi::path_create_directory(pre, "t/"))
        );
        println!(
            "path_remove_directory trailing slash: {}",
            r(wasi::path_remove_directory(pre, "t/"))
        );
        let fd = open(pre, "plain", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = wasi::fd_close(fd);
        println!(
            "path_remove_directory on file with trailing slash: {}",
            r(wasi::path_remove_directory(pre, "plain/"))
        );
        println!(
            "path_unlink_file with trailing slash: {}",
            r(wasi::path_unlink_file(pre, "plain/"))
        );
        let _ = wasi::path_unlink_file(pre, "plain");

        println!("-- rename");
        let fd = open(pre, "a", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = write(fd, &[b"file a"]);
        let _ = wasi::fd_close(fd);
        let fd = open(pre, "b", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = write(fd, &[b"file b"]);
        let _ = wasi::fd_close(fd);
        println!("path_rename: {}", r(wasi::path_rename(pre, "a", pre, "c")));
        println!("a: {} c: {}", contents(pre, "a"), contents(pre, "c"));
        println!(
            "path_rename over file: {}",
            r(wasi::path_rename(pre, "c", pre, "b"))
        );
        println!("b: {}", contents(pre, "b"));
        println!(
            "path_rename missing: {}",
            r(wasi::path_rename(pre, "c", pre, "d"))
        );
        let _ = wasi::path_create_directory(pre, "dir1");
        let _ = wasi::path_create_directory(pre, "dir2");
        println!(
            "path_rename file into dir: {}",
            r(wasi::path_rename(pre, "b", pre, "dir1/b"))
        );
        println!(
            "path_rename dir over empty dir: {}",
            r(wasi::path_rename(pre, "dir1", pre, "dir2"))
        );
        println!("dir2/b: {}", contents(pre, "dir2/b"));
        let _ = wasi::path_create_directory(pre, "dir3");
        let fd = open(pre, "dir3/x", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = wasi::fd_close(fd);
        println!(
            "path_rename dir over non-empty dir: {}",
            r(wasi::path_rename(pre, "dir2", pre, "dir3"))
        );
        println!(
            "path_rename dir over file: {}",
            r(wasi::path_rename(pre, "dir2", pre, "dir3/x"))
        );
        println!(
            "path_rename file over dir: {}",
            r(wasi::path_rename(pre, "dir3/x", pre, "dir2"))
        );
        let sub = open(pre, "dir2", wasi::OFLAGS_DIRECTORY, 0).unwrap();
        println!(
            "path_rename across dir fds: {}",
            r(wasi::path_rename(pre, "dir3/x", sub, "x"))
        );
        let _ = wasi::fd_close(sub);
        println!(
            "dir2: {}",
            names(&readdir(open(pre, "dir2", wasi::OFLAGS_DIRECTORY, 0).unwrap(), 512).unwrap())
        );
        for p in ["dir2/b", "dir2/x"] {
            let _ = wasi::path_unlink_file(pre, p);
        }
        for p in ["dir2", "dir3"] {
            let _ = wasi::path_remove_directory(pre, p);
        }
        println!("root: {}", names(&readdir(pre, 512).unwrap()));
    }

    unsafe fn links() {
        let pre = work();
        let fd = open(pre, "target", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = write(fd, &[b"target data"]);
        println!(
            "path_link: {}",
            r(wasi::path_link(pre, 0, "target", pre, "hard"))
        );
        println!("nlink: {}", wasi::fd_filestat_get(fd).unwrap().nlink);
        let a = wasi::path_filestat_get(pre, 0, "target").unwrap();
        let b = wasi::path_filestat_get(pre, 0, "hard").unwrap();
        println!("same inode: {}", a.ino == b.ino && a.dev == b.dev);
        println!(
            "path_link existing: {}",
            r(wasi::path_link(pre, 0, "target", pre, "hard"))
        );
        println!(
            "path_link missing: {}",
            r(wasi::path_link(pre, 0, "nothing", pre, "hard2"))
        );
        let _ = wasi::path_create_directory(pre, "ldir");
        println!(
            "path_link directory: {}",
            r(wasi::path_link(pre, 0, "ldir", pre, "ldir2"))
        );
        println!(
            "path_unlink_file hard: {}",
            r(wasi::path_unlink_file(pre, "hard"))
        );
        println!("nlink: {}", wasi::fd_filestat_get(fd).unwrap().nlink);
        let _ = wasi::fd_close(fd);

        println!(
            "path_symlink: {}",
            r(wasi::path_symlink("target", pre, "sym"))
        );
        println!(
            "path_symlink existing: {}",
            r(wasi::path_symlink("target", pre, "sym"))
        );
        let mut buf = [0u8; 64];
        let n = wasi::path_readlink(pre, "sym", buf.as_mut_ptr(), 64);
        println!(
            "path_readlink: {}",
            v(n.map(|n| String::from_utf8_lossy(&buf[..n]).into_owned()))
        );
        let n = wasi::path_readlink(pre, "sym", buf.as_mut_ptr(), 3);
        println!(
            "path_readlink 3-byte buffer: {}",
            v(n.map(|n| String::from_utf8_lossy(&buf[..n]).into_owned()))
        );
        println!(
            "path_readlink on a file: {}",
            r(wasi::path_readlink(pre, "target", buf.as_mut_ptr(), 64))
        );
        let st = wasi::path_filestat_get(pre, 0, "sym").unwrap();
        println!(
            "path_filestat_get nofollow: {} size {}",
            filetype(st.filetype),
            st.size
        );
        let st = wasi::path_filestat_get(pre, FOLLOW, "sym").unwrap();
        println!(
            "path_filestat_get follow: {} size {}",
            filetype(st.filetype),
            st.size
        );
        println!(
            "path_open through symlink (follow): {}",
            r(wasi::path_open(
                pre,
                FOLLOW,
                "sym",
                0,
                wasi::RIGHTS_FD_READ,
                0,
                0
            ))
        );
        println!(
            "path_open symlink (nofollow): {}",
            r(wasi::path_open(
                pre,
                0,
                "sym",
                0,
                wasi::RIGHTS_FD_READ,
                0,
                0
            ))
        );
        println!("contents via symlink: {}", {
            let fd = wasi::path_open(pre, FOLLOW, "sym", 0, wasi::RIGHTS_FD_READ, 0, 0).unwrap();
            let s = read(fd, &[64]).unwrap().remove(0);
            let _ = wasi::fd_close(fd);
            format!("{s:?}")
        });
        println!(
            "path_symlink to dir: {}",
            r(wasi::path_symlink("ldir", pre, "dsym"))
        );
        println!(
            "path_open dir through symlink: {}",
            r(wasi::path_open(
                pre,
                FOLLOW,
                "dsym",
                wasi::OFLAGS_DIRECTORY,
                0,
                0,
                0
            ))
        );
        println!(
            "path_create_directory through dir symlink: {}",
            r(wasi::path_create_directory(pre, "dsym/inner"))
        );
        println!(
            "path_symlink dangling: {}",
            r(wasi::path_symlink("missing", pre, "dangle"))
        );
        println!(
            "path_open dangling (follow): {}",
            r(wasi::path_open(
                pre,
                FOLLOW,
                "dangle",
                0,
                wasi::RIGHTS_FD_READ,
                0,
                0
            ))
        );
        println!(
            "path_filestat_get dangling nofollow: {}",
            v(wasi::path_filestat_get(pre, 0, "dangle").map(|s| filetype(s.filetype)))
        );
        println!(
            "path_symlink with trailing slash: {}",
            r(wasi::path_symlink("target", pre, "sym2/"))
        );
        println!(
            "path_unlink_file symlink: {}",
            r(wasi::path_unlink_file(pre, "sym"))
        );
        println!("target still there: {}", contents(pre, "target"));
        println!(
            "path_unlink_file dir symlink: {}",
            r(wasi::path_unlink_file(pre, "dsym"))
        );
        println!(
            "path_remove_directory ldir/inner: {}",
            r(wasi::path_remove_directory(pre, "ldir/inner"))
        );
        let _ = wasi::path_unlink_file(pre, "dangle");
        let _ = wasi::path_remove_directory(pre, "ldir");
        let _ = wasi::path_unlink_file(pre, "target");
        println!("root: {}", names(&readdir(pre, 512).unwrap()));
    }

    unsafe fn times() {
        let pre = work();
        let fd = open(pre, "t.txt", wasi::OFLAGS_CREAT, 0).unwrap();
        let atim = 1_234_567_890 * SEC + 123_456_789;
        let mtim = 1_600_000_000 * SEC + 987_654_321;
        println!(
            "fd_filestat_set_times: {}",
            r(wasi::fd_filestat_set_times(
                fd,
                atim,
                mtim,
                wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM
            ))
        );
        let st = wasi::fd_filestat_get(fd).unwrap();
        println!("atim {} mtim {}", st.atim == atim, st.mtim == mtim);
        println!(
            "fd_filestat_set_times mtim only: {}",
            r(wasi::fd_filestat_set_times(
                fd,
                0,
                5 * SEC,
                wasi::FSTFLAGS_MTIM
            ))
        );
        let st = wasi::fd_filestat_get(fd).unwrap();
        println!("atim kept {} mtim {}", st.atim == atim, st.mtim == 5 * SEC);
        println!(
            "fd_filestat_set_times ATIM|ATIM_NOW: {}",
            r(wasi::fd_filestat_set_times(
                fd,
                0,
                0,
                wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_ATIM_NOW
            ))
        );
        println!(
            "fd_filestat_set_times MTIM|MTIM_NOW: {}",
            r(wasi::fd_filestat_set_times(
                fd,
                0,
                0,
                wasi::FSTFLAGS_MTIM | wasi::FSTFLAGS_MTIM_NOW
            ))
        );
        let now = wasi::clock_time_get(wasi::CLOCKID_REALTIME, 1).unwrap();
        println!(
            "fd_filestat_set_times MTIM_NOW: {}",
            r(wasi::fd_filestat_set_times(
                fd,
                0,
                0,
                wasi::FSTFLAGS_MTIM_NOW
            ))
        );
        let st = wasi::fd_filestat_get(fd).unwrap();
        println!("mtim is now: {}", st.mtim.abs_diff(now) < 60 * SEC);
        println!(
            "path_filestat_set_times: {}",
            r(wasi::path_filestat_set_times(
                pre,
                0,
                "t.txt",
                atim,
                mtim,
                wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_MTIM
            ))
        );
        let st = wasi::path_filestat_get(pre, 0, "t.txt").unwrap();
        println!("atim {} mtim {}", st.atim == atim, st.mtim == mtim);
        let _ = wasi::path_symlink("t.txt", pre, "t.link");
        println!(
            "path_filestat_set_times follow: {}",
            r(wasi::path_filestat_set_times(
                pre,
                FOLLOW,
                "t.link",
                0,
                7 * SEC,
                wasi::FSTFLAGS_MTIM
            ))
        );
        println!(
            "target mtim: {}",
            wasi::path_filestat_get(pre, 0, "t.txt").unwrap().mtim == 7 * SEC
        );
        println!(
            "path_filestat_set_times nofollow: {}",
            r(wasi::path_filestat_set_times(
                pre,
                0,
                "t.link",
                0,
                9 * SEC,
                wasi::FSTFLAGS_MTIM
            ))
        );
        println!(
            "link mtim {} target mtim unchanged {}",
            wasi::path_filestat_get(pre, 0, "t.link").unwrap().mtim == 9 * SEC,
            wasi::path_filestat_get(pre, 0, "t.txt").unwrap().mtim == 7 * SEC
        );
        println!(
            "path_filestat_set_times missing: {}",
            r(wasi::path_filestat_set_times(
                pre,
                0,
                "nope",
                0,
                0,
                wasi::FSTFLAGS_MTIM_NOW
            ))
        );
        let _ = wasi::fd_close(fd);
        let _ = wasi::path_unlink_file(pre, "t.link");
        let _ = wasi::path_unlink_file(pre, "t.txt");
    }

    unsafe fn renumber() {
        let pre = work();
        let a = open(pre, "ra", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = write(a, &[b"contents of a"]);
        let b = open(pre, "rb", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = write(b, &[b"contents of b"]);
        println!("fd_renumber a -> b: {}", r(wasi::fd_renumber(a, b)));
        println!("fd_fdstat_get a: {}", r(wasi::fd_fdstat_get(a)));
        let _ = wasi::fd_seek(b, 0, wasi::WHENCE_SET);
        println!("read b: {}", v(read(b, &[64])));
        println!("fd_renumber b -> b: {}", r(wasi::fd_renumber(b, b)));
        println!("fd_renumber closed -> b: {}", r(wasi::fd_renumber(a, b)));
        println!(
            "fd_renumber b -> unused: {}",
            r(wasi::fd_renumber(b, b + 50))
        );
        let c = open(pre, "rb", 0, 0).unwrap();
        let _ = wasi::fd_close(c);
        let d = open(pre, "rb", 0, 0).unwrap();
        println!(
            "fd_close then path_open: new fd usable {}",
            wasi::fd_fdstat_get(d).is_ok()
        );
        let _ = wasi::fd_close(d);
        let _ = wasi::fd_close(b);
        let _ = wasi::path_unlink_file(pre, "ra");
        let _ = wasi::path_unlink_file(pre, "rb");
    }

    /// Which numbers new descriptors get after closes and renumbers (wasmtime's order:
    /// the highest freed number first, else one above the highest open descriptor).
    unsafe fn fdorder() {
        let pre = work();
        let names = ["o1", "o2", "o3", "o4", "o5", "o6", "o7"];
        let open_one = |name: &str| open(pre, name, wasi::OFLAGS_CREAT, 0).unwrap();
        let a = open_one(names[0]);
        let b = open_one(names[1]);
        let c = open_one(names[2]);
        println!("open three: {a} {b} {c}");
        let _ = wasi::fd_close(a);
        let _ = wasi::fd_close(c);
        let d = open_one(names[3]);
        let e = open_one(names[4]);
        let f = open_one(names[5]);
        println!("close {a}, close {c}, open three: {d} {e} {f}");
        println!("fd_renumber {f} -> {b}: {}", r(wasi::fd_renumber(f, b)));
        let g = open_one(names[6]);
        println!("open: {g}");
        for fd in [b, d, e, g] {
            let _ = wasi::fd_close(fd);
        }
        for name in names {
            let _ = wasi::path_unlink_file(pre, name);
        }
    }

    fn clock_sub(userdata: u64, id: wasi::Clockid, timeout: u64, flags: u16) -> wasi::Subscription {
        wasi::Subscription {
            userdata,
            u: wasi::SubscriptionU {
                tag: wasi::EVENTTYPE_CLOCK.raw(),
                u: wasi::SubscriptionUU {
                    clock: wasi::SubscriptionClock {
                        id,
                        timeout,
                        precision: 0,
                        flags,
                    },
                },
            },
        }
    }

    fn fd_sub(userdata: u64, tag: wasi::Eventtype, fd: Fd) -> wasi::Subscription {
        let rw = wasi::SubscriptionFdReadwrite {
            file_descriptor: fd,
        };
        wasi::Subscription {
            userdata,
            u: wasi::SubscriptionU {
                tag: tag.raw(),
                u: if tag == wasi::EVENTTYPE_FD_READ {
                    wasi::SubscriptionUU { fd_read: rw }
                } else {
                    wasi::SubscriptionUU { fd_write: rw }
                },
            },
        }
    }

    unsafe fn poll_events(subs: &[wasi::Subscription]) -> Result<Vec<String>, Errno> {
        let mut events: Vec<wasi::Event> = vec![core::mem::zeroed(); subs.len().max(1)];
        let n = wasi::poll_oneoff(subs.as_ptr(), events.as_mut_ptr(), subs.len())?;
        let mut out: Vec<String> = events[..n]
            .iter()
            .map(|e| {
                format!(
                    "{}:{}:{}",
                    e.userdata,
                    e.type_.name(),
                    if e.error.raw() == 0 {
                        "ok".to_owned()
                    } else {
                        ename(e.error)
                    }
                )
            })
            .collect();
        out.sort();
        Ok(out)
    }

    fn now(id: wasi::Clockid) -> u64 {
        // SAFETY: plain WASI call.
        unsafe { wasi::clock_time_get(id, 1).unwrap() }
    }

    unsafe fn poll() {
        let pre = work();
        let start = now(wasi::CLOCKID_MONOTONIC);
        println!(
            "relative 30 ms: {}",
            v(poll_events(&[clock_sub(
                7,
                wasi::CLOCKID_MONOTONIC,
                30_000_000,
                0
            )]))
        );
        let slept = now(wasi::CLOCKID_MONOTONIC) - start;
        println!("slept at least 30 ms: {}", slept >= 30_000_000);
        println!("slept less than 5 s: {}", slept < 5 * SEC);
        let start = now(wasi::CLOCKID_MONOTONIC);
        println!(
            "absolute +20 ms: {}",
            v(poll_events(&[clock_sub(
                8,
                wasi::CLOCKID_MONOTONIC,
                start + 20_000_000,
                wasi::SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME
            )]))
        );
        println!(
            "reached the deadline: {}",
            now(wasi::CLOCKID_MONOTONIC) >= start + 20_000_000
        );
        println!(
            "absolute in the past: {}",
            v(poll_events(&[clock_sub(
                9,
                wasi::CLOCKID_MONOTONIC,
                1,
                wasi::SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME
            )]))
        );
        let rt = now(wasi::CLOCKID_REALTIME);
        println!(
            "realtime relative 10 ms: {}",
            v(poll_events(&[clock_sub(
                10,
                wasi::CLOCKID_REALTIME,
                10_000_000,
                0
            )]))
        );
        println!(
            "realtime advanced: {}",
            now(wasi::CLOCKID_REALTIME) >= rt + 10_000_000
        );
        let start = now(wasi::CLOCKID_MONOTONIC);
        println!(
            "two clocks, earlier wins: {}",
            v(poll_events(&[
                clock_sub(1, wasi::CLOCKID_MONOTONIC, 10 * SEC, 0),
                clock_sub(2, wasi::CLOCKID_MONOTONIC, 10_000_000, 0),
            ]))
        );
        println!(
            "returned early: {}",
            now(wasi::CLOCKID_MONOTONIC) - start < 5 * SEC
        );
        let f = open(pre, "poll.txt", wasi::OFLAGS_CREAT, 0).unwrap();
        let _ = write(f, &[b"ready"]);
        let start = now(wasi::CLOCKID_MONOTONIC);
        println!(
            "regular file read/write + 10 s clock: {}",
            v(poll_events(&[
                fd_sub(3, wasi::EVENTTYPE_FD_READ, f),
                fd_sub(4, wasi::EVENTTYPE_FD_WRITE, f),
                clock_sub(5, wasi::CLOCKID_MONOTONIC, 10 * SEC, 0),
            ]))
        );
        println!(
            "returned at once: {}",
            now(wasi::CLOCKID_MONOTONIC) - start < 5 * SEC
        );
        println!(
            "stdout writable: {}",
            v(poll_events(&[
                fd_sub(6, wasi::EVENTTYPE_FD_WRITE, 1),
                clock_sub(11, wasi::CLOCKID_MONOTONIC, 10 * SEC, 0)
            ]))
        );
        let start = now(wasi::CLOCKID_MONOTONIC);
        println!(
            "stdin readable (data or end of input): {}",
            v(poll_events(&[
                fd_sub(13, wasi::EVENTTYPE_FD_READ, 0),
                clock_sub(14, wasi::CLOCKID_MONOTONIC, 10 * SEC, 0),
            ]))
        );
        println!(
            "returned at once: {}",
            now(wasi::CLOCKID_MONOTONIC) - start < 5 * SEC
        );
        println!(
            "bad fd: {}",
            v(poll_events(&[fd_sub(12, wasi::EVENTTYPE_FD_READ, 1000)]))
        );
        println!(
            "no subscriptions: {}",
            r(wasi::poll_oneoff(
                core::ptr::null(),
                core::ptr::null_mut(),
                0
            ))
        );
        println!("sched_yield: {}", r(wasi::sched_yield()));
        let _ = wasi::fd_close(f);
        let _ = wasi::path_unlink_file(pre, "poll.txt");
    }

    unsafe fn clocks() {
        for (name, id) in [
            ("realtime", wasi::CLOCKID_REALTIME),
            ("monotonic", wasi::CLOCKID_MONOTONIC),
            ("process_cputime", wasi::CLOCKID_PROCESS_CPUTIME_ID),
            ("thread_cputime", wasi::CLOCKID_THREAD_CPUTIME_ID),
        ] {
            let res = wasi::clock_res_get(id);
            let t1 = wasi::clock_time_get(id, 0);
            let t2 = wasi::clock_time_get(id, 1_000_000);
            println!(
                "{name}: res {} time {} ordered {}",
                match res {
                    Ok(n) => format!("ok nonzero={}", n > 0 && n <= SEC),
                    Err(e) => ename(e),
                },
                r(t1),
                matches!((t1, t2), (Ok(a), Ok(b)) if b >= a),
            );
        }
        let rt = wasi::clock_time_get(wasi::CLOCKID_REALTIME, 1).unwrap();
        // The test passes the host's time; print how far off the guest's clock is.
        if let Some(host) = std::env::args()
            .skip(2)
            .find_map(|a| a.strip_prefix("host_time=").map(str::to_owned))
        {
            let host: u64 = host.parse().unwrap();
            println!(
                "realtime within 60 s of the host: {}",
                (rt / SEC).abs_diff(host) < 60
            );
        }
        let m1 = wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1).unwrap();
        let mut spin = 0u64;
        for i in 0..2_000_000u64 {
            spin = spin.wrapping_add(i ^ (spin >> 3));
        }
        std::hint::black_box(spin);
        let m2 = wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1).unwrap();
        println!("monotonic advances: {}", m2 > m1);
        let std_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        println!("std SystemTime agrees: {}", std_now.abs_diff(rt / SEC) < 5);
    }

    unsafe fn random() {
        println!(
            "random_get 0 bytes: {}",
            r(wasi::random_get(
                core::ptr::NonNull::<u8>::dangling().as_ptr(),
                0
            ))
        );
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        println!("random_get 64: {}", r(wasi::random_get(a.as_mut_ptr(), 64)));
        let _ = wasi::random_get(b.as_mut_ptr(), 64);
        println!("two draws differ: {}", a != b);
        println!("not all zero: {}", a.iter().any(|&x| x != 0));
        let mut big = vec![0u8; 1 << 20];
        println!(
            "random_get 1 MiB: {}",
            r(wasi::random_get(big.as_mut_ptr(), big.len()))
        );
        let mut counts = [0u32; 256];
        for &x in &big {
            counts[x as usize] += 1;
        }
        // Each byte value is expected 4096 times; a broken generator is far off.
        println!(
            "byte histogram plausible: {}",
            counts.iter().all(|&c| (3500..4700).contains(&c))
        );
        let mut head = [0u8; 16];
        let before = big[..16].to_vec();
        let _ = wasi::random_get(head.as_mut_ptr(), 8);
        println!(
            "only the requested bytes are written: {}",
            head[8..] == [0u8; 8] && big[..16] == before[..]
        );
    }

    unsafe fn args() {
        let (argc, size) = wasi::args_sizes_get().unwrap();
        let mut ptrs = vec![core::ptr::null_mut::<u8>(); argc];
        let mut buf = vec![0u8; size];
        println!("args_sizes_get: argc {argc}");
        println!(
            "args_get: {}",
            r(wasi::args_get(ptrs.as_mut_ptr(), buf.as_mut_ptr()))
        );
        let raw_args: Vec<String> = ptrs
            .iter()
            .map(|&p| {
                std::ffi::CStr::from_ptr(p as *const core::ffi::c_char)
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        println!(
            "buffer size matches: {}",
            raw_args.iter().map(|a| a.len() + 1).sum::<usize>() == size
        );
        for (i, a) in raw_args.iter().enumerate().skip(1) {
            println!("arg {i}: {a:?}");
        }
        let std_args: Vec<String> = std::env::args().collect();
        println!("std::env::args agrees: {}", std_args == raw_args);
    }

    unsafe fn env() {
        let (count, size) = wasi::environ_sizes_get().unwrap();
        let mut ptrs = vec![core::ptr::null_mut::<u8>(); count];
        let mut buf = vec![0u8; size.max(1)];
        println!("environ_sizes_get: count {count}");
        println!(
            "environ_get: {}",
            r(wasi::environ_get(ptrs.as_mut_ptr(), buf.as_mut_ptr()))
        );
        let mut vars: Vec<String> = ptrs
            .iter()
            .map(|&p| {
                std::ffi::CStr::from_ptr(p as *const core::ffi::c_char)
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        println!(
            "buffer size matches: {}",
            vars.iter().map(|a| a.len() + 1).sum::<usize>() == size
        );
        vars.sort();
        for var in &vars {
            println!("{var}");
        }
        let mut std_vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
        std_vars.sort();
        println!("std::env::vars agrees: {}", std_vars == vars);
    }

    unsafe fn sockets() {
        let pre = work();
        println!(
            "sock_accept on a directory: {}",
            r(wasi::sock_accept(pre, 0))
        );
        println!("sock_accept on stdin: {}", r(wasi::sock_accept(0, 0)));
        println!("sock_accept bad fd: {}", r(wasi::sock_accept(1000, 0)));
        let mut buf = [0u8; 8];
        let iov = wasi::Iovec {
            buf: buf.as_mut_ptr(),
            buf_len: 8,
        };
        println!("sock_recv on stdin: {}", r(wasi::sock_recv(0, &[iov], 0)));
        let ciov = wasi::Ciovec {
            buf: b"x".as_ptr(),
            buf_len: 1,
        };
        println!("sock_send on stdout: {}", r(wasi::sock_send(1, &[ciov], 0)));
        println!(
            "sock_shutdown on stdout: {}",
            r(wasi::sock_shutdown(1, wasi::SDFLAGS_RD | wasi::SDFLAGS_WR))
        );
        println!(
            "sock_shutdown bad fd: {}",
            r(wasi::sock_shutdown(1000, wasi::SDFLAGS_WR))
        );
    }

    /// Out-of-range enum values (wasmtime traps on these; the spec's answer is EINVAL).
    unsafe fn badenum() {
        let pre = work();
        let fd = open(pre, "enum.txt", wasi::OFLAGS_CREAT, 0).unwrap();
        println!(
            "fd_seek bad whence: {}",
            code(raw::fd_seek(fd as i32, 0, 3, &mut 0u64 as *mut u64 as i32))
        );
        println!(
            "fd_advise bad advice: {}",
            code(raw::fd_advise(fd as i32, 0, 8, 9))
        );
        println!(
            "clock_res_get bad id: {}",
            code(raw::clock_res_get(4, &mut 0u64 as *mut u64 as i32))
        );
        println!(
            "clock_time_get bad id: {}",
            code(raw::clock_time_get(99, 0, &mut 0u64 as *mut u64 as i32))
        );
        let mut sub = clock_sub(1, wasi::CLOCKID_MONOTONIC, 0, 0);
        sub.u.tag = 7;
        let mut events: [wasi::Event; 1] = [core::mem::zeroed()];
        let mut n = 0usize;
        let ret = raw::poll_oneoff(
            &sub as *const _ as i32,
            events.as_mut_ptr() as i32,
            1,
            &mut n as *mut usize as i32,
        );
        if ret == 0 && n == 1 {
            println!(
                "poll_oneoff bad event type: ok {}",
                if events[0].error.raw() == 0 {
                    "ok".to_owned()
                } else {
                    ename(events[0].error)
                }
            );
        } else {
            println!("poll_oneoff bad event type: {}", code(ret));
        }
        println!(
            "fd_filestat_set_times ATIM|ATIM_NOW: {}",
            r(wasi::fd_filestat_set_times(
                fd,
                0,
                0,
                wasi::FSTFLAGS_ATIM | wasi::FSTFLAGS_ATIM_NOW
            ))
        );
        println!(
            "path_open bad oflags bit: {}",
            code(raw::path_open(
                pre as i32,
                0,
                b"enum.txt".as_ptr() as i32,
                8,
                1 << 7,
                0,
                0,
                0,
                &mut 0u32 as *mut u32 as i32
            ))
        );
        let _ = wasi::fd_close(fd);
        let _ = wasi::path_unlink_file(pre, "enum.txt");
    }

    unsafe fn misc() {
        println!("proc_raise: {}", r(wasi::proc_raise(wasi::SIGNAL_TERM)));
        println!("sched_yield: {}", r(wasi::sched_yield()));
        println!("fd_write to stderr: {}", v(write(2, &[b"to stderr\n"])));
        println!(
            "fd_write to stdout, 3 buffers: {}",
            v(write(1, &[b"a", b"b", b"c\n"]))
        );
        println!("fd_read stdin: {}", v(read(0, &[5, 5])));
        println!(
            "fd_seek on stdout pipe: {}",
            r(wasi::fd_seek(1, 0, wasi::WHENCE_CUR))
        );
        println!("fd_close stdin: {}", r(wasi::fd_close(0)));
        println!("fd_read closed stdin: {}", r(read(0, &[1])));
    }
}
