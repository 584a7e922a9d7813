//! WASI file systems with a directory grant.
//!
//! - `wasi_fs` (Rust std::fs) runs compiled by kiln with `--dir HOST::/work`
//!   and natively on another empty directory: transcripts, exit statuses and
//!   the trees left behind must be identical.
//! - `wasi_raw` calls every preview1 function directly (path_*, fd_*, poll,
//!   renumber, rights, flags, times...) and its transcript is compared with
//!   the text below, which was checked against the preview1 spec, the official
//!   wasi-testsuite's expectations and wasmtime (where wasmtime differs, the
//!   comment says how and why).

use kiln_testsuite::{
    assert_same_tree, compile, compile_ok, native_program, wasm_program, Cmd, Scratch,
};

/// Runs `wasi_fs /work EXTRA...` compiled by kiln with `--dir HOST::/work`, and the native
/// build on another empty directory: the transcripts (ending with `done`), the exit
/// statuses and the trees left behind must be identical, and kiln's stderr empty.
fn assert_std_fs_matches_native(label: &str, extra: &[&str]) {
    let scratch = Scratch::new(label);
    let kiln_root = scratch.join("kiln-root");
    let native_root = scratch.join("native-root");
    std::fs::create_dir(&kiln_root).unwrap();
    std::fs::create_dir(&native_root).unwrap();
    let grant = format!("{}::/work", kiln_root.display());
    let exe = compile_ok(
        &wasm_program("wasi_fs"),
        &scratch,
        "wasi_fs",
        &["--dir", &grant],
    );

    let kiln = Cmd::new(&exe).arg("/work").args(extra).output();
    let native = Cmd::new(native_program("wasi_fs"))
        .arg(&native_root)
        .args(extra)
        .output();
    native.assert_success();
    assert!(
        native.stdout_text().ends_with("done\n"),
        "the native run did not finish\n{}",
        native.describe()
    );
    assert_eq!(
        kiln.stdout_text(),
        native.stdout_text(),
        "transcripts differ\n--- kiln ---\n{}\n--- native ---\n{}",
        kiln.describe(),
        native.describe()
    );
    assert_eq!(kiln.status, native.status, "{}", kiln.describe());
    kiln.assert_stderr("");
    assert_same_tree(&kiln_root, &native_root);
}

#[test]
fn std_fs_matches_the_native_build() {
    assert_std_fs_matches_native("wasi-fs-std", &[]);
}

/// The same without symbolic links, which the Windows runtime does not make: this one
/// also runs for x86_64-windows under wine (and aarch64-linux under qemu) — files,
/// seeking, positional I/O, a 3 MiB file, directories, listings, renames, hard links,
/// times and removal.
#[test]
fn std_fs_without_symlinks_matches_the_native_build() {
    assert_std_fs_matches_native("wasi-fs-std-no-symlinks", &["no-symlinks"]);
}

/// A relative host path in `--dir` is resolved against the working directory
/// of the executable when it starts, not when it was compiled.
#[test]
fn relative_grant_is_resolved_when_the_executable_starts() {
    let scratch = Scratch::new("wasi-fs-relative");
    let exe = compile_ok(
        &wasm_program("wasi_fs"),
        &scratch,
        "wasi_fs",
        &["--dir", "data::/work"],
    );
    let cwd = scratch.join("cwd");
    std::fs::create_dir_all(cwd.join("data")).unwrap();
    let native_root = scratch.join("native-root");
    std::fs::create_dir(&native_root).unwrap();
    // Symbolic links are `std_fs_matches_the_native_build`'s: this is about the grant
    // (and runs on Windows too).
    let kiln = Cmd::new(&exe)
        .args(["/work", "no-symlinks"])
        .current_dir(&cwd)
        .output();
    let native = Cmd::new(native_program("wasi_fs"))
        .arg(&native_root)
        .arg("no-symlinks")
        .output();
    assert_eq!(
        kiln.stdout_text(),
        native.stdout_text(),
        "{}",
        kiln.describe()
    );
    kiln.assert_success();
    assert_same_tree(&cwd.join("data"), &native_root);
    // Nothing was written next to the executable or in the scratch root.
    let mut names = scratch.entries();
    names.sort();
    assert_eq!(names, ["cwd", "native-root", "wasi_fs"]);
}

/// The guest name of a grant defaults to the host path as written.
#[test]
fn grant_without_guest_name_uses_the_host_path() {
    let scratch = Scratch::new("wasi-fs-same-name");
    let root = scratch.join("root");
    std::fs::create_dir(&root).unwrap();
    let host = root.to_string_lossy().into_owned();
    let exe = compile_ok(
        &wasm_program("wasi_fs"),
        &scratch,
        "wasi_fs",
        &["--dir", &host],
    );
    let native_root = scratch.join("native-root");
    std::fs::create_dir(&native_root).unwrap();
    let kiln = Cmd::new(&exe).arg(&host).arg("no-symlinks").output();
    let native = Cmd::new(native_program("wasi_fs"))
        .arg(&native_root)
        .arg("no-symlinks")
        .output();
    assert_eq!(
        kiln.stdout_text(),
        native.stdout_text(),
        "{}",
        kiln.describe()
    );
    kiln.assert_success();
    assert_same_tree(&root, &native_root);
}

#[test]
fn bad_grant_spellings_are_usage_errors() {
    let scratch = Scratch::new("wasi-fs-bad-grants");
    for flags in [
        &["--dir", ""][..],
        &["--dir", "::/guest"],
        &["--dir", "host::"],
        &["--env", "NOEQUALS"],
        &["--env", "=value"],
    ] {
        let out = compile(&wasm_program("wasi_fs"), &scratch.join("x"), flags);
        out.assert_cli_error();
        assert!(
            !scratch.join("x").exists(),
            "{flags:?} left an output behind"
        );
    }
}

/// Expected `wasi_raw` output: one line per call. A line `A ||| B` accepts
/// either A or B (only where the spec or the official tests accept either).
fn check_raw(sections: &str, expected: &str) {
    let scratch = Scratch::new(&format!("wasi-raw-{sections}"));
    let work = scratch.join("work");
    std::fs::create_dir(&work).unwrap();
    let grant = format!("{}::/work", work.display());
    let exe = compile_ok(
        &wasm_program("wasi_raw"),
        &scratch,
        "wasi_raw",
        &["--dir", &grant],
    );
    let out = Cmd::new(&exe).arg(sections).stdin("stdin-data").output();
    out.assert_success();
    let got: Vec<&str> = out
        .stdout
        .split(|&b| b == b'\n')
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    let want: Vec<&str> = expected.trim_start_matches('\n').split('\n').collect();
    let mut problems = Vec::new();
    for (i, want_line) in want.iter().enumerate() {
        let got_line = got.get(i).copied().unwrap_or("<missing>");
        if !want_line.split(" ||| ").any(|alt| alt == got_line) {
            problems.push(format!(
                "line {}: expected {want_line:?}\n         got      {got_line:?}",
                i + 1
            ));
        }
    }
    if got.len() > want.len() {
        problems.push(format!("extra output: {:?}", &got[want.len()..]));
    }
    assert!(
        problems.is_empty(),
        "wasi_raw {sections}: {} line(s) differ\n{}\n{}",
        problems.len(),
        problems.join("\n"),
        out.describe()
    );
    // Every section cleans up after itself.
    let left: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "wasi_raw {sections} left {left:?} in the preopen"
    );
}

#[test]
fn preopen_prestat_and_rights() {
    check_raw(
        "prestat",
        r#"
== prestat
fd_prestat_get: tag 0 name_len 5
fd_prestat_dir_name: ok "/work"
fd_prestat_dir_name short buffer: ENAMETOOLONG ||| fd_prestat_dir_name short buffer: EINVAL
fd_prestat_get stdin: EBADF
fd_prestat_get unused fd: EBADF
preopen filetype: DIRECTORY
preopen base rights complete: true
preopen inheriting rights complete: true
open preopen itself: ok
open preopen read-write: EISDIR
"#,
    );
}

/// fd_write/fd_read with several buffers move all of them (wasmtime moves only
/// the first non-empty buffer per call, a short transfer the spec allows);
/// fd_allocate is implemented (wasmtime: ENOTSUP, which the official test
/// also accepts); rights are enforced (ENOTCAPABLE; wasmtime: EBADF).
#[test]
fn files_read_write_seek_pread_pwrite_truncate_allocate() {
    check_raw(
        "files",
        r#"
== files
path_open O_CREAT|O_EXCL again: EEXIST
path_open missing: ENOENT
path_open O_DIRECTORY on file: ENOTDIR
fd_write gather: ok 12
fd_tell: ok 12
fd_seek set 0: ok 0
fd_read scatter: ok ["Hel", "", "lo, ", "world"]
fd_read at eof: ok [""]
fd_seek cur -5: ok 7
fd_read: ok ["world"]
fd_seek end -6: ok 6
fd_read: ok [" "]
fd_seek negative: EINVAL
fd_tell after failed seek: ok 7
fd_pread 5 at 7: ok "world"
fd_pwrite at 7: ok 1
fd_tell unchanged: ok 7
fd_pread past end: ok ""
contents: "Hello, World"
fd_filestat_get: REGULAR_FILE size 12 nlink 1
fd_filestat_set_size 5: ok
contents: "Hello"
fd_filestat_set_size 8: ok
size: 8
fd_advise: ok
fd_allocate: ok
size after fd_allocate: 4096
fd_datasync: ok
fd_sync: ok
fd_close: ok
fd_close again: EBADF
fd_write closed: EBADF
O_TRUNC size: 0
append write: ok 4
fd_seek 0 then append write: ok 0 ok 4
contents: "one\ntwo\n"
fd_write without FD_WRITE: ENOTCAPABLE ||| fd_write without FD_WRITE: EBADF
fd_read with FD_READ: ok ["one"]
fd_read on a directory: EISDIR ||| fd_read on a directory: EBADF ||| fd_read on a directory: ENOTCAPABLE
path_unlink_file: ok
path_unlink_file again: ENOENT
"#,
    );
}

/// O_SYNC includes O_DSYNC's bit on Linux (and O_RSYNC is O_SYNC), so the
/// flags read back after opening with DSYNC|SYNC may show any of these.
#[test]
fn fdstat_flags_and_rights() {
    check_raw(
        "fdstat",
        r#"
== fdstat
fd_fdstat_get: REGULAR_FILE flags 1
fd_fdstat_set_flags 0: ok
flags: 0
write at 0 without append: ok 3 ok 3
fd_fdstat_set_flags APPEND: ok
flags: 1
write with append: ok 3
contents: "abcdef"
fd_fdstat_set_flags NONBLOCK: ok
flags: 4
fd_fdstat_set_rights drop FD_WRITE: ok
rights now lack FD_WRITE: true
fd_write: ENOTCAPABLE ||| fd_write: EBADF
fd_fdstat_set_rights add back: ENOTCAPABLE
O_DSYNC|O_SYNC flags: 18 ||| O_DSYNC|O_SYNC flags: 26 ||| O_DSYNC|O_SYNC flags: 16 ||| O_DSYNC|O_SYNC flags: 24
fd_fdstat_get bad fd: EBADF
directory fdstat: DIRECTORY
"#,
    );
}

/// Removing a directory given with a trailing slash works (the official test
/// accepts success or EACCES; wasmtime-py answered EINVAL).
#[test]
fn directories_readdir_remove_rename() {
    check_raw(
        "dirs",
        r#"
== dirs
path_create_directory: ok
path_create_directory again: EEXIST
path_create_directory nested: ok
path_create_directory missing parent: ENOENT
fd_readdir: 43 entries
first: .:DIRECTORY ..:DIRECTORY e:DIRECTORY file-00-:REGULAR_FILE
last: file-39-nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn:REGULAR_FILE
fd_readdir with 96-byte buffer, by cookie: same true
fd_readdir 10-byte buffer: ok 10
fd_readdir on a file: ENOTDIR ||| fd_readdir on a file: EBADF ||| fd_readdir on a file: ENOTCAPABLE
path_open relative to subdir fd: ok
path_remove_directory non-empty: ENOTEMPTY
path_remove_directory file: ENOTDIR
path_unlink_file directory: EISDIR
path_remove_directory: ok
path_remove_directory missing: ENOENT
empty listing: .:DIRECTORY ..:DIRECTORY
path_remove_directory d: ok
path_create_directory trailing slash: ok
path_remove_directory trailing slash: ok
path_remove_directory on file with trailing slash: ENOTDIR
path_unlink_file with trailing slash: ENOTDIR
-- rename
path_rename: ok
a: ENOENT c: "file a"
path_rename over file: ok
b: "file a"
path_rename missing: ENOENT
path_rename file into dir: ok
path_rename dir over empty dir: ok
dir2/b: "file a"
path_rename dir over non-empty dir: ENOTEMPTY
path_rename dir over file: ENOTDIR
path_rename file over dir: EISDIR
path_rename across dir fds: ok
dir2: .:DIRECTORY ..:DIRECTORY b:REGULAR_FILE x:REGULAR_FILE
root: .:DIRECTORY ..:DIRECTORY
"#,
    );
}

#[test]
fn hard_links_symlinks_readlink() {
    check_raw(
        "links",
        r#"
== links
path_link: ok
nlink: 2
same inode: true
path_link existing: EEXIST
path_link missing: ENOENT
path_link directory: EPERM ||| path_link directory: EACCES
path_unlink_file hard: ok
nlink: 1
path_symlink: ok
path_symlink existing: EEXIST
path_readlink: ok "target"
path_readlink 3-byte buffer: ok "tar"
path_readlink on a file: EINVAL
path_filestat_get nofollow: SYMBOLIC_LINK size 6
path_filestat_get follow: REGULAR_FILE size 11
path_open through symlink (follow): ok
path_open symlink (nofollow): ELOOP
contents via symlink: "target data"
path_symlink to dir: ok
path_open dir through symlink: ok
path_create_directory through dir symlink: ok
path_symlink dangling: ok
path_open dangling (follow): ENOENT
path_filestat_get dangling nofollow: ok "SYMBOLIC_LINK"
path_symlink with trailing slash: ENOENT
path_unlink_file symlink: ok
target still there: "target data"
path_unlink_file dir symlink: ok
path_remove_directory ldir/inner: ok
root: .:DIRECTORY ..:DIRECTORY
"#,
    );
}

#[test]
fn filestat_set_times() {
    check_raw(
        "times",
        r#"
== times
fd_filestat_set_times: ok
atim true mtim true
fd_filestat_set_times mtim only: ok
atim kept true mtim true
fd_filestat_set_times ATIM|ATIM_NOW: EINVAL
fd_filestat_set_times MTIM|MTIM_NOW: EINVAL
fd_filestat_set_times MTIM_NOW: ok
mtim is now: true
path_filestat_set_times: ok
atim true mtim true
path_filestat_set_times follow: ok
target mtim: true
path_filestat_set_times nofollow: ok
link mtim true target mtim unchanged true
path_filestat_set_times missing: ENOENT
"#,
    );
}

#[test]
fn fd_renumber_and_close() {
    check_raw(
        "renumber",
        r#"
== renumber
fd_renumber a -> b: ok
fd_fdstat_get a: EBADF
read b: ok ["contents of a"]
fd_renumber b -> b: ok
fd_renumber closed -> b: EBADF
fd_renumber b -> unused: EBADF
fd_close then path_open: new fd usable true
"#,
    );
}

/// Descriptor numbers are reused in wasmtime's order (the highest freed number first), not
/// lowest-first: a program that closed 4 then 6 gets 6 next under both engines. (A
/// synthesis tool that frees fd 1 around a sub-step otherwise wrote its log into the
/// next file it opened.)
#[test]
fn descriptor_numbers_follow_wasmtimes_order() {
    check_raw(
        "fdorder",
        r#"
== fdorder
open three: 4 5 6
close 4, close 6, open three: 6 4 7
fd_renumber 7 -> 5: ok
open: 7
"#,
    );
}

/// A regular file is always ready for reading and writing, so both events
/// come back (wasmtime reported only the write event). A bad fd may fail the
/// whole call or only its event.
#[test]
fn poll_oneoff_clocks_and_fds() {
    check_raw(
        "poll",
        r#"
== poll
relative 30 ms: ok ["7:CLOCK:ok"]
slept at least 30 ms: true
slept less than 5 s: true
absolute +20 ms: ok ["8:CLOCK:ok"]
reached the deadline: true
absolute in the past: ok ["9:CLOCK:ok"]
realtime relative 10 ms: ok ["10:CLOCK:ok"]
realtime advanced: true
two clocks, earlier wins: ok ["2:CLOCK:ok"]
returned early: true
regular file read/write + 10 s clock: ok ["3:FD_READ:ok", "4:FD_WRITE:ok"]
returned at once: true
stdout writable: ok ["6:FD_WRITE:ok"]
stdin readable (data or end of input): ok ["13:FD_READ:ok"]
returned at once: true
bad fd: ok ["12:FD_READ:EBADF"] ||| bad fd: EBADF
no subscriptions: EINVAL
sched_yield: ok
"#,
    );
}

/// Sockets cannot be granted: every sock_* call is ENOTSOCK on a real fd,
/// EBADF on a closed one.
#[test]
fn sockets_without_a_socket() {
    check_raw(
        "sockets",
        r#"
== sockets
sock_accept on a directory: ENOTSOCK
sock_accept on stdin: ENOTSOCK
sock_accept bad fd: EBADF
sock_recv on stdin: ENOTSOCK
sock_send on stdout: ENOTSOCK
sock_shutdown on stdout: ENOTSOCK
sock_shutdown bad fd: EBADF
"#,
    );
}

/// Out-of-range enum and flag values are EINVAL (wasmtime traps on them).
#[test]
fn invalid_enum_values_are_einval() {
    check_raw(
        "badenum",
        r#"
== badenum
fd_seek bad whence: EINVAL
fd_advise bad advice: EINVAL
clock_res_get bad id: EINVAL
clock_time_get bad id: EINVAL
poll_oneoff bad event type: EINVAL ||| poll_oneoff bad event type: ok EINVAL
fd_filestat_set_times ATIM|ATIM_NOW: EINVAL
path_open bad oflags bit: EINVAL
"#,
    );
}

/// stdio through raw calls, proc_raise (ENOSYS, documented), closing stdin.
#[test]
fn stdio_proc_raise_and_closing_stdin() {
    check_raw(
        "misc",
        r#"
== misc
proc_raise: ENOSYS
sched_yield: ok
fd_write to stderr: ok 10
abc
fd_write to stdout, 3 buffers: ok 4
fd_read stdin: ok ["stdin", "-data"]
fd_seek on stdout pipe: ESPIPE
fd_close stdin: ok
fd_read closed stdin: EBADF
"#,
    );
}
