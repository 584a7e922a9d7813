//! The capability sandbox under attack: `testsuite/programs/wasi_attack` makes
//! one escape attempt (or one bad-pointer call) per argument with raw
//! `wasi_snapshot_preview1` calls and prints what it got; every case must be
//! refused with the errno listed below, and leave the host file system exactly
//! as it was — everything outside the read-write preopen, the read-only
//! preopen, and `/etc/passwd` are snapshotted (contents, symlink targets,
//! mtimes, permissions, link counts) before and after each case.
//!
//! Each case runs in a fresh copy of the layout described in
//! `wasi_attack/src/main.rs`, granted as
//! `--dir <root>/sandbox::/sandbox --dir <root>/ro::/ro:ro`.
//!
//! Expected values: a case's expected text is compared token by token with the
//! program's line; `A|B` accepts either (used only where the preview1 spec, or
//! the official WebAssembly/wasi-testsuite, accepts either). Escapes are
//! `EPERM`, as in wasmtime and as the official preview1 tests require
//! (`interesting_paths`: absolute paths and too many `..` are `ERRNO_PERM`).
//! The third column is what wasmtime 50 (through its Python bindings, with the
//! same preopens) answered, for the record; where it differs, the comment says
//! why Kiln's answer is the expected one.
//!
//! (Over 600 lines because it is one table of cases with their expected answers, read
//! side by side with `wasi_attack`'s list; splitting it would split that table.)

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kiln_testsuite::{compile, compile_ok, wasm_program, Cmd, Output, Scratch, TreeSnapshot};

/// (case, expected, what wasmtime answered)
type Case = (&'static str, &'static str, &'static str);

/// `..` and absolute paths, with every path-taking call.
#[rustfmt::skip]
const PATH_CASES: &[Case] = &[
    ("dotdot", "EPERM", "EPERM"),
    ("dotdot_nested", "EPERM", "EPERM"),
    ("dotdot_deep", "EPERM", "EPERM"),
    // Leaving the preopen and coming back in is still leaving it.
    ("dotdot_reenter", "EPERM", "EPERM"),
    ("dotdot_many", "EPERM", "EPERM"),
    ("dotdot_preopen_dir", "EPERM", "EPERM"),
    ("dotdot_preopen_dot", "EPERM", "EPERM"),
    // A directory fd from path_open is a capability of its own.
    ("dotdot_subdir_fd", "EPERM", "EPERM"),
    ("absolute", "EPERM", "EPERM"),
    ("absolute_preopen_name", "EPERM", "EPERM"),
    ("absolute_mkdir", "EPERM", "EPERM"),
    ("dotdot_mkdir", "EPERM", "EPERM"),
    ("dotdot_create", "EPERM", "EPERM"),
    ("dotdot_unlink", "EPERM", "EPERM"),
    ("dotdot_rmdir", "EPERM", "EPERM"),
    ("dotdot_filestat", "EPERM", "EPERM"),
    ("dotdot_set_times", "EPERM", "EPERM"),
    ("dotdot_readlink", "EPERM", "EPERM"),
    ("dotdot_symlink_at", "EPERM", "EPERM"),
];

/// Symlinks planted by the host (and by the guest) that point out.
#[rustfmt::skip]
const SYMLINK_CASES: &[Case] = &[
    ("symlink_root", "EPERM", "EPERM"),
    ("symlink_root_dir", "EPERM", "EPERM"),
    ("symlink_abs_file", "EPERM", "EPERM"),
    ("symlink_dotdot", "EPERM", "EPERM"),
    ("symlink_dotdot_reenter", "EPERM", "EPERM"),
    ("symlink_to_outside_file", "EPERM", "EPERM"),
    ("symlink_chain_escape", "EPERM", "EPERM"),
    // Controls: symlinks that stay inside must keep working.
    ("symlink_chain_inside", "ok:inside", "ok:inside"),
    ("symlink_dir_then_dotdot", "ok:inside", "ok:inside"),
    ("symlink_relative_inside", "ok:inside", "ok:inside"),
    ("symlink_loop", "ELOOP", "ELOOP"),
    ("symlink_self_loop", "ELOOP", "ELOOP"),
    ("symlink_too_many", "ELOOP", "ELOOP"),
    ("symlink_nofollow_final", "ELOOP", "ELOOP"),
    ("symlink_filestat_follow", "EPERM", "EPERM"),
    ("symlink_filestat_nofollow", "ok:type=7", "ok:type=7"),
    ("symlink_set_times_follow", "EPERM", "EPERM"),
    ("symlink_trunc_outside", "EPERM", "EPERM"),
    ("symlink_create_through_dangling", "EPERM", "EPERM"),
    ("symlink_mkdir_through", "EPERM", "EPERM"),
    ("symlink_unlink_through", "EPERM", "EPERM"),
    // Reading an absolute symlink's text would reveal a host path; wasmtime refuses too.
    ("symlink_readlink_is_text", "EPERM", "EPERM"),
    // The official tests require creating a symlink to an absolute path to fail.
    ("plant_abs_symlink", "create=EPERM open=ENOENT", "create=EPERM open=ENOENT"),
    ("plant_rel_symlink", "create=ok open=EPERM", "create=ok open=EPERM"),
    ("proc_self_fd", "EPERM", "EPERM"),
    ("proc_self_root", "EPERM", "EPERM"),
];

/// Hard links and renames across the boundary, and of the preopen itself.
#[rustfmt::skip]
const LINK_RENAME_CASES: &[Case] = &[
    ("link_out_source", "EPERM", "EPERM"),
    ("link_out_target", "EPERM", "EPERM"),
    ("link_through_symlink_dir", "EPERM", "EPERM"),
    // path_link with SYMLINK_FOLLOW: the official tests accept EINVAL or ENOENT
    // for rejecting the flag; following the link safely would be EPERM.
    ("link_follow_symlink_out", "EINVAL|ENOENT|EPERM", "EINVAL"),
    ("link_abs_source", "EPERM", "EPERM"),
    ("rename_out", "EPERM", "EPERM"),
    ("rename_in", "EPERM", "EPERM"),
    ("rename_through_symlink", "EPERM", "EPERM"),
    ("rename_over_outside", "EPERM", "EPERM"),
    ("rename_preopen_dot", "EBUSY", "EBUSY"),
    ("rename_preopen_by_name", "EPERM", "EPERM"),
    ("rename_preopen_away", "EPERM", "EPERM"),
    ("rmdir_preopen_dot", "EINVAL", "EINVAL"),
];

/// Descriptors: closed, renumbered, without rights.
#[rustfmt::skip]
const FD_CASES: &[Case] = &[
    ("dir_fd_after_close", "close=ok open=EBADF", "close=ok open=EBADF"),
    ("double_close", "first=ok second=EBADF", "first=ok second=EBADF"),
    ("preopen_after_close", "close=ok open=EBADF prestat=EBADF", "close=ok open=EBADF prestat=EBADF"),
    // Renumbering over a preopen is allowed (official test `overwrite_preopen`);
    // what lands there has its own capability, not the preopen's.
    ("renumber_file_onto_preopen", "renumber=ok old=EBADF open=ENOTDIR|ENOTCAPABLE prestat=EBADF", "renumber=ok old=EBADF open=ENOTDIR prestat=EBADF"),
    ("renumber_subdir_onto_preopen", "renumber=ok inner=ok:inside escape=EPERM", "renumber=ok inner=ok:inside escape=EPERM"),
    ("renumber_onto_closed", "EBADF", "EBADF"),
    ("renumber_to_huge_fd", "EBADF", "EBADF"),
    ("path_open_on_file_fd", "ENOTDIR|ENOTCAPABLE", "ENOTDIR"),
    ("path_open_on_stdout", "EBADF|ENOTDIR|ENOTCAPABLE", "EBADF"),
    // wasmtime has no rights (fd_fdstat_set_rights is ENOTSUP there); Kiln
    // keeps them, and the official test then wants EBADF or ENOTCAPABLE.
    ("rights_dropped_write", "drop=ok write=EBADF|ENOTCAPABLE regain=ENOTCAPABLE", "drop=ENOTSUP write=ok regain=ENOTSUP"),
    ("rights_read_only_fd_write", "write=EBADF|ENOTCAPABLE truncate=EBADF|EINVAL|ENOTCAPABLE", "write=EBADF truncate=EINVAL"),
];

/// Guest pointers and lengths. Kiln checks every one against linear memory
/// and answers EFAULT; wasmtime traps instead (`Pointer out of bounds`), and
/// answers ENOMEM for element counts too large to allocate.
#[rustfmt::skip]
const POINTER_CASES: &[Case] = &[
    ("iovec_count_huge_read", "EFAULT", "ENOMEM"),
    ("iovec_count_huge_write", "EFAULT size=0", "ENOMEM size=0"),
    ("iovec_count_max", "EFAULT size=0", "ENOMEM size=0"),
    ("iovec_array_past_end", "EFAULT", "trap"),
    ("iovec_buf_past_end_write", "EFAULT size=0", "trap"),
    ("iovec_buf_past_end_read", "EFAULT", "trap"),
    ("iovec_buf_wraps", "EFAULT size=0", "trap"),
    // wasmtime writes only the first buffer of a list, so it never looks at the bad one.
    ("iovec_second_bad", "EFAULT size=0", "ok size=5"),
    ("nwritten_past_end", "EFAULT", "trap"),
    ("pread_buf_past_end", "EFAULT", "trap"),
    ("path_ptr_past_end", "EFAULT", "trap"),
    ("path_len_huge", "EFAULT", "ENOMEM"),
    ("path_ptr_past_end_mkdir", "EFAULT", "trap"),
    ("opened_fd_ptr_past_end", "EFAULT", "trap"),
    ("prestat_name_past_end", "EFAULT", "trap"),
    ("readdir_buf_past_end", "EFAULT", "trap"),
    ("readlink_buf_past_end", "EFAULT", "trap"),
    ("filestat_ptr_past_end", "EFAULT", "trap"),
    ("args_ptr_past_end", "EFAULT", "trap"),
    ("random_past_end", "EFAULT", "trap"),
    ("clock_ptr_past_end", "EFAULT", "trap"),
    ("poll_nsubs_huge", "EFAULT", "ENOMEM"),
];

/// NUL bytes, very long and odd paths.
#[rustfmt::skip]
const ODD_PATH_CASES: &[Case] = &[
    // The official tests accept EINVAL or EILSEQ for a NUL in a path.
    ("nul_in_path", "EINVAL|EILSEQ", "EINVAL"),
    ("nul_then_escape", "EINVAL|EILSEQ", "EINVAL"),
    ("long_component", "ENAMETOOLONG", "ENAMETOOLONG"),
    ("long_path", "ENAMETOOLONG", "ENAMETOOLONG"),
    ("empty_path", "ENOENT", "ENOENT"),
    ("trailing_slash_file", "ENOTDIR|ENOENT", "ENOTDIR"),
];

/// The read-only grant (`:ro`). wasmtime answers EPERM for every refused
/// change; a rights-based refusal (ENOTCAPABLE) is the preview1 spec's own
/// answer for a missing right, so either is accepted. An fd opened for reading
/// only gets EBADF|ENOTCAPABLE for writes, as in the official tests.
#[rustfmt::skip]
const READ_ONLY_CASES: &[Case] = &[
    ("ro_read", "ok:read only", "ok:read only"),
    ("ro_list", "ok", "ok"),
    ("ro_open_write", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_open_trunc", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_open_trunc_no_write", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_open_append", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_create", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_create_read_rights", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_mkdir", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_rmdir", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_unlink", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_rename", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_rename_out", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_rename_in", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_symlink", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_link_within", "EPERM|ENOTCAPABLE", "EPERM"),
    // A hard link from the read-only grant into the writable one would make
    // the read-only file writable through it.
    ("ro_link_out", "link=EPERM|ENOTCAPABLE write=ENOENT", "link=EPERM write=ENOENT"),
    ("ro_set_times", "EPERM|ENOTCAPABLE", "EPERM"),
    ("ro_fd_set_size", "EPERM|ENOTCAPABLE|EBADF|EINVAL", "EPERM"),
    ("ro_fd_write", "EBADF|ENOTCAPABLE", "EBADF"),
    ("ro_fd_set_times", "EPERM|ENOTCAPABLE", "EPERM"),
    // wasmtime does not implement fd_allocate at all.
    ("ro_fd_allocate", "EPERM|ENOTCAPABLE|EBADF", "ENOTSUP"),
    ("ro_subdir_write", "open=ok write=EPERM|ENOTCAPABLE create=EPERM|ENOTCAPABLE", "open=ok write=EPERM create=EPERM"),
    ("ro_rights_regain", "set=ok|ENOTCAPABLE create=EPERM|ENOTCAPABLE", "set=ENOTSUP create=EPERM"),
];

/// No `--dir` at all: no preopens.
#[rustfmt::skip]
const NO_GRANT_CASES: &[Case] = &[
    ("nogrant_prestat", "EBADF", "EBADF"),
    ("nogrant_open", "EBADF", "EBADF"),
    ("nogrant_open_abs", "EBADF", "EBADF"),
    ("nogrant_std", "error", "error"),
    ("path_open_on_stdout", "EBADF|ENOTDIR|ENOTCAPABLE", "EBADF"),
];

/// `--dir /proc/self::/proc`: magic links (`root`, `cwd`, `exe`, `fd/N`) jump
/// anywhere on the host and must never be followed. wasmtime resolves with
/// openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): ELOOP. RESOLVE_BENEATH
/// alone refuses them with EXDEV, which an implementation reports as the
/// escape it is (EPERM).
#[rustfmt::skip]
const PROC_CASES: &[Case] = &[
    ("procgrant_root", "ELOOP|EPERM", "ELOOP"),
    ("procgrant_cwd", "ELOOP|EPERM", "ELOOP"),
    ("procgrant_fd1", "ELOOP|EPERM", "ELOOP"),
    ("procgrant_exe", "ELOOP|EPERM", "ELOOP"),
];

/// Whether `got` matches `expected` token by token (`A|B` accepts either).
/// The x86_64-windows runs happen under wine, where a host symlink is not a reparse
/// point: Windows programs see the file or directory it points to, and the runtime's
/// check that every opened object resolves beneath its directory is what refuses an
/// escape. Where that (or Windows itself) changes the answer, the answer there:
const WINE_EXPECTED: &[(&str, &str)] = &[
    // `up_secret` looks like the outside file it names: refused as outside, not as a link
    // (on Windows it is a reparse point: ELOOP and type 7, as on Linux).
    ("symlink_nofollow_final", "EPERM"),
    ("symlink_filestat_nofollow", "EPERM"),
    // Wine will not create through the dangling link: nothing is made outside.
    ("symlink_create_through_dangling", "ENOENT"),
    // The Windows runtime makes no symbolic links (Windows wants a privilege for them).
    ("plant_rel_symlink", "create=ENOTSUP open=ENOENT"),
];

fn under_wine() -> bool {
    std::env::var(kiln_testsuite::TARGET_ENV).as_deref() == Ok("x86_64-windows")
}

fn matches(expected: &str, got: &str) -> bool {
    let exp: Vec<&str> = expected.split(' ').collect();
    let got: Vec<&str> = got.split(' ').collect();
    if exp.len() != got.len() {
        return expected == got.join(" ");
    }
    exp.iter().zip(&got).all(|(e, g)| {
        let (e_key, e_val) = e.split_once('=').unwrap_or(("", e));
        let (g_key, g_val) = g.split_once('=').unwrap_or(("", g));
        e_key == g_key && e_val.split('|').any(|alt| alt == g_val)
    })
}

#[test]
fn expectation_matcher() {
    assert!(matches("EPERM", "EPERM"));
    assert!(!matches("EPERM", "ENOTCAPABLE"));
    assert!(matches("EPERM|ENOTCAPABLE", "ENOTCAPABLE"));
    assert!(matches("a=ok b=EBADF|ENOTCAPABLE", "a=ok b=EBADF"));
    assert!(!matches("a=ok b=EBADF", "a=ok c=EBADF"));
    assert!(!matches("a=ok b=EBADF", "a=ok"));
    assert!(matches("ok:read only", "ok:read only"));
    let total = PATH_CASES.len()
        + SYMLINK_CASES.len()
        + LINK_RENAME_CASES.len()
        + FD_CASES.len()
        + POINTER_CASES.len()
        + ODD_PATH_CASES.len()
        + READ_ONLY_CASES.len()
        + NO_GRANT_CASES.len()
        + PROC_CASES.len();
    assert!(total >= 30, "the attack suite has {total} cases");
}

const SECRET: &str = "outside secret\n";
const RACE_OUTSIDE: &str = "OUTSIDE RACE TARGET\n";

/// The host layout of `wasi_attack/src/main.rs` under `root`.
fn build_layout(root: &Path) {
    let outside = root.join("outside");
    let sandbox = root.join("sandbox");
    let ro = root.join("ro");
    for dir in [
        outside.join("dir"),
        sandbox.join("sub"),
        sandbox.join("empty_dir"),
        ro.join("dir"),
        ro.join("empty"),
    ] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let write = |p: PathBuf, s: &str| std::fs::write(p, s).unwrap();
    write(outside.join("secret.txt"), SECRET);
    write(outside.join("dir/inner.txt"), RACE_OUTSIDE);
    write(sandbox.join("inside.txt"), "inside\n");
    write(sandbox.join("sub/inner.txt"), "inside\n");
    write(sandbox.join("sub/file.txt"), "sub file\n");
    write(ro.join("file.txt"), "read only\n");
    write(ro.join("dir/x.txt"), "x\n");
    let link = |target: &str, name: &str| symlink(target, &sandbox.join(name));
    link("/", "to_root");
    link("/etc/passwd", "to_etc_passwd");
    link("..", "up");
    link("../outside/secret.txt", "up_secret");
    link("sub/chain2", "chain1");
    link("../chain3", "sub/chain2");
    link("../outside/secret.txt", "chain3");
    link("sub/ok_chain2", "ok_chain1");
    link("../inside.txt", "sub/ok_chain2");
    link("loop_b", "loop_a");
    link("loop_a", "loop_b");
    link("self_loop", "self_loop");
    for i in 0..45 {
        link(&format!("long_{}", i + 1), &format!("long_{i}"));
    }
    link("inside.txt", "long_45");
    link("../outside/created_through_link", "dangle_out");
    link("/proc/self/fd/1", "proc_fd1");
    link("/proc/self/root", "proc_root");
    link("sub", "race");
}

fn symlink(target: &str, link: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, link)
        .unwrap_or_else(|e| panic!("symlink {} -> {target}: {e}", link.display()));
    #[cfg(not(unix))]
    panic!(
        "the sandbox attack tests need symlinks ({target}, {})",
        link.display()
    );
}

/// Everything the sandboxed program must not change: the layout minus the
/// read-write sandbox (the read-only grant included), and `/etc/passwd`.
struct Guarded {
    tree: TreeSnapshot,
    passwd: Option<(Vec<u8>, std::time::SystemTime)>,
}

impl Guarded {
    fn take(root: &Path) -> Guarded {
        let mut tree = TreeSnapshot::take(root);
        tree.entries
            .retain(|path, _| !path.starts_with("sandbox") || path == Path::new("sandbox"));
        // The sandbox directory's own mtime changes with what the program does inside.
        if let Some(entry) = tree.entries.get_mut(Path::new("sandbox")) {
            entry.mtime_ns = 0;
            entry.nlink = 0;
        }
        let passwd = std::fs::read("/etc/passwd").ok().map(|bytes| {
            let mtime = std::fs::metadata("/etc/passwd")
                .and_then(|m| m.modified())
                .unwrap();
            (bytes, mtime)
        });
        Guarded { tree, passwd }
    }

    fn changes_since(&self, earlier: &Guarded) -> Vec<String> {
        let mut changes = self.tree.changes_since(&earlier.tree);
        if self.passwd != earlier.passwd {
            changes.push("/etc/passwd changed".to_owned());
        }
        changes
    }
}

/// The attack program compiled with `flags`.
fn attack_exe(scratch: &Scratch, name: &str, flags: &[&str]) -> PathBuf {
    compile_ok(&wasm_program("wasi_attack"), scratch, name, flags)
}

fn grant_flags(root: &Path) -> Vec<String> {
    vec![
        "--dir".into(),
        format!("{}::/sandbox", root.join("sandbox").display()),
        "--dir".into(),
        format!("{}::/ro:ro", root.join("ro").display()),
    ]
}

/// Runs every case in a fresh layout with an executable compiled with the
/// grants `flags(root)` gives (the layout's root is the same path for every
/// case, so the grants can be baked in once), and reports all failures at once.
fn run_cases(label: &str, cases: &[Case], flags: impl Fn(&Path) -> Vec<String>) {
    let scratch = Scratch::new(label);
    let root = scratch.join("root");
    let flags = flags(&root);
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let exe = attack_exe(&scratch, "wasi_attack", &flag_refs);
    let mut failures = Vec::new();
    for &(name, expected, wasmtime) in cases {
        let expected = match WINE_EXPECTED.iter().find(|(n, _)| *n == name) {
            Some((_, on_wine)) if under_wine() => on_wine,
            _ => expected,
        };
        if root.exists() {
            std::fs::remove_dir_all(&root).unwrap();
        }
        build_layout(&root);
        let before = Guarded::take(&root);
        let out = Cmd::new(&exe)
            .arg(name)
            .current_dir(scratch.path())
            .output();
        let after = Guarded::take(&root);
        let line = out.stdout_text();
        let got = line
            .trim_end()
            .strip_prefix(&format!("{name}: "))
            .map(str::to_owned);
        let mut problems = Vec::new();
        match &got {
            Some(got) if out.status == 0 && matches(expected, got) => {}
            Some(got) => problems.push(format!(
                "expected {expected}, got {got} (status {}; wasmtime: {wasmtime})",
                out.status
            )),
            None => problems.push(format!(
                "no result line (wasmtime: {wasmtime})\n{}",
                out.describe()
            )),
        }
        if line.contains("ESCAPED") || out.stderr_text().contains("ESCAPED") {
            problems.push("wrote through a magic link to the process's own stdio".into());
        }
        let changes = after.changes_since(&before);
        if !changes.is_empty() {
            problems.push(format!(
                "the host changed outside the sandbox:\n    {}",
                changes.join("\n    ")
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {label} cases failed (exe {}):\n{}",
        failures.len(),
        cases.len(),
        exe.display(),
        failures.join("\n")
    );
}

#[test]
fn dotdot_and_absolute_paths_are_refused() {
    run_cases("attack-paths", PATH_CASES, grant_flags);
}

#[test]
fn symlinks_out_of_the_sandbox_are_refused() {
    run_cases("attack-symlinks", SYMLINK_CASES, grant_flags);
}

#[test]
fn hard_links_and_renames_across_the_boundary_are_refused() {
    run_cases("attack-links", LINK_RENAME_CASES, grant_flags);
}

#[test]
fn closed_and_renumbered_descriptors_grant_nothing() {
    run_cases("attack-fds", FD_CASES, grant_flags);
}

#[test]
fn bad_guest_pointers_are_efault() {
    run_cases("attack-pointers", POINTER_CASES, grant_flags);
}

#[test]
fn nul_bytes_and_long_paths_are_refused() {
    run_cases("attack-odd-paths", ODD_PATH_CASES, grant_flags);
}

#[test]
fn read_only_grant_refuses_every_change() {
    run_cases("attack-read-only", READ_ONLY_CASES, grant_flags);
}

#[test]
fn no_grant_means_no_preopens() {
    run_cases("attack-no-grant", NO_GRANT_CASES, |_| Vec::new());
}

#[test]
fn proc_self_magic_links_are_not_followed() {
    if !Path::new("/proc/self/root").exists() {
        eprintln!("no /proc: skipping");
        return;
    }
    run_cases("attack-proc", PROC_CASES, |_| {
        vec!["--dir".into(), "/proc/self::/proc".into()]
    });
}

/// The race: while the program opens, stats and creates through `race` in a
/// loop, the test keeps swapping that symlink between `sub` (inside) and
/// `../outside/dir` (outside). No call may ever land outside; both states must
/// have been seen (so the race really ran).
#[test]
fn symlink_swapped_during_calls_never_reaches_outside() {
    let scratch = Scratch::new("attack-race");
    let root = scratch.join("root");
    build_layout(&root);
    let flags = grant_flags(&root);
    let flag_refs: Vec<&str> = flags.iter().map(String::as_str).collect();
    let exe = attack_exe(&scratch, "wasi_attack", &flag_refs);
    let before = Guarded::take(&root);

    let stop = Arc::new(AtomicBool::new(false));
    let sandbox = root.join("sandbox");
    let flipper = {
        let stop = Arc::clone(&stop);
        let sandbox = sandbox.clone();
        std::thread::spawn(move || {
            let mut flips = 0u64;
            let tmp = sandbox.join("race.tmp");
            while !stop.load(Ordering::Relaxed) {
                for target in ["../outside/dir", "sub"] {
                    let _ = std::fs::remove_file(&tmp);
                    symlink(target, &tmp);
                    std::fs::rename(&tmp, sandbox.join("race")).unwrap();
                    flips += 1;
                }
            }
            flips
        })
    };
    // On a loaded machine the flipper may not get a time slice while one run lasts;
    // run again (up to five times) until both targets were seen. Every run must keep
    // every call inside.
    let mut exercised = None;
    for _ in 0..5 {
        let out = Cmd::new(&exe)
            .arg("race=4000")
            .timeout(Duration::from_secs(120))
            .output();
        out.assert_success();
        let line = out.stdout_text();
        eprintln!("{}", line.trim_end());
        let count = |key: &str| -> u64 {
            line.split_whitespace()
                .find_map(|t| t.strip_prefix(&format!("{key}=")))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
        };
        assert_eq!(
            count("outside"),
            0,
            "a call landed outside the sandbox: {line}"
        );
        assert!(
            line.trim_end().ends_with("other=[]"),
            "unexpected errors during the race: {line}"
        );
        if count("inside") > 0 && count("refused") > 0 {
            exercised = Some(line);
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flips = flipper.join().unwrap();
    assert!(
        exercised.is_some(),
        "in five runs the race never exercised both targets ({flips} flips)"
    );
    // Put the link back where the snapshot saw it, then compare.
    let _ = std::fs::remove_file(sandbox.join("race"));
    symlink("sub", &sandbox.join("race"));
    let changes = Guarded::take(&root).changes_since(&before);
    assert!(
        changes.is_empty(),
        "the host changed outside the sandbox during the race:\n  {}",
        changes.join("\n  ")
    );
    assert!(
        !root.join("outside/dir/created.txt").exists(),
        "a file was created outside through the swapped link"
    );
}

/// `--dir` must name a directory: a file (or a missing path) is refused when
/// compiling or when the executable starts — before the program runs.
#[test]
fn granting_a_file_or_missing_path_as_a_directory_is_an_error() {
    let scratch = Scratch::new("attack-file-grant");
    let file = scratch.write("not-a-dir.txt", "just a file\n");
    let missing = scratch.join("no-such-dir");
    for (what, host) in [("a file", &file), ("a missing path", &missing)] {
        let exe = scratch.join(&format!("attack-{}", what.replace(' ', "-")));
        let grant = format!("{}::/sandbox", host.display());
        let compiled = compile(&wasm_program("wasi_attack"), &exe, &["--dir", &grant]);
        if compiled.status != 0 {
            compiled.assert_cli_error();
            assert!(
                compiled.stderr_text().contains(&*host.to_string_lossy()),
                "the error should name {}\n{}",
                host.display(),
                compiled.describe()
            );
            continue;
        }
        let out: Output = Cmd::new(&exe).arg("nogrant_prestat").output();
        assert_ne!(
            out.status,
            0,
            "granting {what} as a directory must fail at start-up\n{}",
            out.describe()
        );
        assert!(
            out.stdout.is_empty(),
            "the program must not run when its grants cannot be honoured\n{}",
            out.describe()
        );
        assert!(
            out.stderr_text().starts_with("error: ")
                && out.stderr_text().contains(&*host.to_string_lossy()),
            "start-up error should be `error: ...` naming {}\n{}",
            host.display(),
            out.describe()
        );
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "just a file\n",
        "the granted file was changed"
    );
}
