//! Real programs with a directory grant: ripgrep searching a directory tree
//! (`rg ... /data` with `--dir TREE::/data`) and bnz, a bzip2 compressor that
//! writes FILE.bz2 next to FILE, both from crates.io at pinned versions (see
//! `xtask/src/realworld.rs`). Compiled by kiln with the grant, they must print
//! the same output and leave the same files (byte for byte) as their native
//! builds run on an identical copy of the tree; without the grant (or with a
//! read-only one where they need to write) they must fail cleanly: a non-zero
//! status, an error message, no crash and no file written.
//!
//! Both builds run with an empty environment in an empty working directory.
//! The native build sees the tree at its real path, the kiln build as `/data`,
//! so the native output has that path replaced by `/data` before comparing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kiln_testsuite::{
    compile_ok, realworld_binaries, realworld_inputs_dir, Cmd, Output, Scratch, TreeSnapshot,
};

fn input(name: &str) -> Vec<u8> {
    std::fs::read(realworld_inputs_dir().join(name)).unwrap()
}

/// Runs `exe ARGS` with an empty environment in `cwd`, empty stdin.
fn run_clean(exe: &Path, args: &[String], cwd: &Path) -> Output {
    Cmd::new(exe)
        .args(args)
        .env_clear()
        .current_dir(cwd)
        .timeout(Duration::from_secs(120))
        .output()
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if !needle.is_empty() && rest.starts_with(needle) {
            out.extend_from_slice(with);
            rest = &rest[needle.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// A tree's entries (type, contents, symlink targets, permissions, link
/// counts), without modification times.
fn tree_contents(root: &Path) -> Vec<(PathBuf, &'static str, Vec<u8>, u32, u64)> {
    TreeSnapshot::take(root)
        .entries
        .into_iter()
        .map(|(p, e)| (p, e.kind, e.data, e.mode, e.nlink))
        .collect()
}

fn describe_tree_difference(kiln: &Path, native: &Path) -> String {
    let k = tree_contents(kiln);
    let n = tree_contents(native);
    let names = |t: &[(PathBuf, &str, Vec<u8>, u32, u64)]| {
        t.iter()
            .map(|e| format!("{} ({}, {} bytes)", e.0.display(), e.1, e.2.len()))
            .collect::<Vec<_>>()
    };
    let differing: Vec<String> = k
        .iter()
        .filter_map(|e| {
            let other = n.iter().find(|f| f.0 == e.0)?;
            (other != e).then(|| format!("{}", e.0.display()))
        })
        .collect();
    format!(
        "kiln tree: {:?}\nnative tree: {:?}\ndiffering: {differing:?}",
        names(&k),
        names(&n)
    )
}

// ---------------------------------------------------------------------------
// ripgrep over a directory tree

/// The tree ripgrep searches: the realworld inputs in nested directories, a
/// hidden directory, an `.ignore` file, a binary file, a unicode file name,
/// 200 small files, and two symlinks (one pointing out of the tree, which
/// neither build follows without `-L`).
fn build_search_tree(parent: &Path) -> PathBuf {
    let tree = parent.join("tree");
    for dir in ["sub/deeper", ".hidden", "many"] {
        std::fs::create_dir_all(tree.join(dir)).unwrap();
    }
    std::fs::create_dir_all(parent.join("outside")).unwrap();
    std::fs::write(parent.join("outside/secret.txt"), "OUTSIDE kiln secret\n").unwrap();
    std::fs::write(tree.join("notes.txt"), input("notes.txt")).unwrap();
    std::fs::write(tree.join("blob.bin"), input("blob.bin")).unwrap();
    std::fs::write(tree.join("sub/server.log"), input("server.log")).unwrap();
    std::fs::write(tree.join("sub/deeper/document.md"), input("document.md")).unwrap();
    std::fs::write(tree.join("sub/deeper/orders.json"), input("orders.json")).unwrap();
    std::fs::write(tree.join("sub/skip.log"), "kiln in an ignored file\n").unwrap();
    std::fs::write(tree.join(".ignore"), "skip.log\n").unwrap();
    std::fs::write(tree.join(".hidden/h.txt"), "kiln in a hidden directory\n").unwrap();
    std::fs::write(tree.join("ünïcödé ✓.txt"), "a kiln with a unicode name\n").unwrap();
    for i in 0..200 {
        let dir = tree.join(format!("many/d{:02}", i % 17));
        std::fs::create_dir_all(&dir).unwrap();
        let body = if i % 7 == 0 {
            format!("file {i}\nthe needle is here\nend\n")
        } else {
            format!("file {i}\nnothing to see\n")
        };
        std::fs::write(dir.join(format!("file-{i:03}.txt")), body).unwrap();
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../outside", tree.join("escape")).unwrap();
        std::os::unix::fs::symlink("sub", tree.join("sublink")).unwrap();
    }
    tree
}

/// (native exit status, arguments); `/data` is the tree.
#[rustfmt::skip]
const RG_TREE_CASES: &[(i32, &[&str])] = &[
    (0, &["--sort", "path", "kiln", "/data"]),
    (0, &["--sort", "path", "-n", "-i", "kiln", "/data"]),
    (0, &["--sort", "path", "-c", "ERROR|WARN", "/data"]),
    (0, &["--sort", "path", "-l", "kiln", "/data"]),
    (0, &["--sort", "path", "--files", "/data"]),
    (0, &["--sort", "path", "--files", "--hidden", "/data"]),
    (0, &["--sort", "path", "--hidden", "-n", "kiln", "/data"]),
    (0, &["--sort", "path", "-uuu", "-c", "kiln", "/data"]),
    (0, &["--sort", "path", "-g", "*.md", "-n", "emphasis", "/data"]),
    (0, &["--sort", "path", "-g", "!many/**", "-c", "e", "/data"]),
    (0, &["--sort", "path", "--max-depth", "1", "-c", "kiln", "/data"]),
    (0, &["--sort", "path", "-w", "-o", r"status=5\d\d", "/data/sub"]),
    (0, &["--sort", "path", "--files-without-match", "needle", "/data/many/d03"]),
    (0, &["--sort", "path", "-C", "1", "FIXME", "/data"]),
    (0, &["--sort", "path", "-a", "-c", "fox", "/data"]),
    (0, &["--sort", "path", "-c", "needle", "/data/many"]),
    (0, &["--sort", "path", "--type-add", "log:*.log", "-t", "log", "-c", "req=", "/data"]),
    (0, &["--sort", "path", "-n", "kiln", "/data/notes.txt", "/data/sub/server.log"]),
    (0, &["--sort", "path", "-r", "KILN", "-i", "kiln", "/data/ünïcödé ✓.txt"]),
    (0, &["--sort", "path", "--count-matches", r"\d+", "/data/sub/deeper"]),
    (1, &["--sort", "path", "no such text anywhere", "/data"]),
];

#[test]
fn ripgrep_searches_a_granted_tree_like_its_native_build() {
    let (wasm, native) = realworld_binaries("rg");
    let scratch = Scratch::new("realworld-fs-rg");
    let tree = build_search_tree(scratch.path());
    let cwd = scratch.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let grant = format!("{}::/data", tree.display());
    let exe = compile_ok(&wasm, &scratch, "rg", &["--dir", &grant]);
    let before = TreeSnapshot::take(&tree);
    let host_tree = tree.to_string_lossy().into_owned();

    let mut failures = Vec::new();
    for (index, &(expected_status, args)) in RG_TREE_CASES.iter().enumerate() {
        let kiln_args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let native_args: Vec<String> = args
            .iter()
            .map(|a| match a.strip_prefix("/data") {
                Some(rest) => format!("{host_tree}{rest}"),
                None => a.to_string(),
            })
            .collect();
        let what = format!("case {index}: rg {args:?}");
        let n = run_clean(&native, &native_args, &cwd);
        if n.status != expected_status {
            failures.push(format!(
                "{what}: the native build exited with {}, the case expects {expected_status}\n{}",
                n.status,
                n.describe()
            ));
            continue;
        }
        if expected_status == 0 && n.stdout.is_empty() {
            failures.push(format!(
                "{what}: the native build printed nothing: the case tests nothing"
            ));
            continue;
        }
        let k = run_clean(&exe, &kiln_args, &cwd);
        let native_stdout = replace_bytes(&n.stdout, host_tree.as_bytes(), b"/data");
        let native_stderr = replace_bytes(&n.stderr, host_tree.as_bytes(), b"/data");
        let mut problems = Vec::new();
        if k.status != n.status {
            problems.push(format!("status kiln {} / native {}", k.status, n.status));
        }
        if k.stdout != native_stdout {
            problems.push(format!(
                "stdout differs\n--- kiln ---\n{}\n--- native ---\n{}",
                k.stdout_text(),
                String::from_utf8_lossy(&native_stdout)
            ));
        }
        if k.stderr != native_stderr {
            problems.push(format!(
                "stderr differs\n--- kiln ---\n{}\n--- native ---\n{}",
                k.stderr_text(),
                String::from_utf8_lossy(&native_stderr)
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("{what}: {}", problems.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} ripgrep tree cases differ:\n\n{}",
        failures.len(),
        RG_TREE_CASES.len(),
        failures.join("\n\n")
    );
    TreeSnapshot::take(&tree).assert_unchanged_since(&before, "ripgrep only reads");
}

/// With `-L` the native build follows `escape -> ../outside` out of the tree;
/// the kiln build must not: the link is refused, reported, and nothing from
/// outside appears.
#[test]
fn ripgrep_cannot_follow_a_symlink_out_of_the_grant() {
    let (wasm, native) = realworld_binaries("rg");
    let scratch = Scratch::new("realworld-fs-rg-escape");
    let tree = build_search_tree(scratch.path());
    let cwd = scratch.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let grant = format!("{}::/data", tree.display());
    let exe = compile_ok(&wasm, &scratch, "rg", &["--dir", &grant]);
    let args: Vec<String> = ["--sort", "path", "-L", "-l", "kiln"]
        .iter()
        .map(|s| s.to_string())
        .collect();

    let mut native_args = args.clone();
    native_args.push(tree.to_string_lossy().into_owned());
    let n = run_clean(&native, &native_args, &cwd);
    assert!(
        n.stdout_text().contains("escape/secret.txt"),
        "the native build should find the outside file\n{}",
        n.describe()
    );

    let mut kiln_args = args;
    kiln_args.push("/data".into());
    let k = run_clean(&exe, &kiln_args, &cwd);
    assert!(
        !k.stdout_text().contains("secret"),
        "found a file outside the grant\n{}",
        k.describe()
    );
    assert!(
        k.stdout_text().contains("/data/notes.txt"),
        "{}",
        k.describe()
    );
    assert!(
        k.stderr_text().contains("/data/escape"),
        "the refused link should be reported\n{}",
        k.describe()
    );
    assert_eq!(
        k.status,
        2,
        "ripgrep exits 2 when a path could not be searched\n{}",
        k.describe()
    );
}

#[test]
fn ripgrep_without_the_grant_fails_cleanly() {
    let (wasm, _) = realworld_binaries("rg");
    let scratch = Scratch::new("realworld-fs-rg-nogrant");
    let tree = build_search_tree(scratch.path());
    let cwd = scratch.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let exe = compile_ok(&wasm, &scratch, "rg", &[]);
    let before = TreeSnapshot::take(&tree);
    for args in [
        &["kiln", "/data"][..],
        &["--files", "/data"],
        &["kiln", &*tree.to_string_lossy()],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let k = run_clean(&exe, &args, &cwd);
        assert_eq!(k.status, 2, "{}", k.describe());
        assert!(k.stdout.is_empty(), "{}", k.describe());
        assert!(
            k.stderr_text().starts_with("rg: "),
            "expected an error message\n{}",
            k.describe()
        );
    }
    TreeSnapshot::take(&tree).assert_unchanged_since(&before, "rg without a grant");
}

// ---------------------------------------------------------------------------
// bnz, a compressor writing FILE.bz2 next to FILE

/// The files of a compression case, created identically for both builds.
fn compressor_files(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("notes.txt"), input("notes.txt")).unwrap();
    std::fs::write(dir.join("document.md"), input("document.md")).unwrap();
    std::fs::write(dir.join("blob.bin"), input("blob.bin")).unwrap();
    std::fs::write(dir.join("big.log"), input("server.log").repeat(60)).unwrap();
    std::fs::write(dir.join("empty.txt"), b"").unwrap();
    std::fs::write(dir.join("sub/nested.json"), input("orders.json")).unwrap();
}

/// (native exit status, arguments); `/data` is the granted directory.
#[rustfmt::skip]
const BNZ_CASES: &[(i32, &[&str])] = &[
    // Default: writes notes.txt.bz2 and removes notes.txt.
    (0, &["/data/notes.txt"]),
    (0, &["-k", "/data/document.md"]),
    (0, &["-1", "/data/big.log"]),
    (0, &["-9", "--keep", "/data/big.log"]),
    (0, &["/data/blob.bin"]),
    (0, &["/data/empty.txt"]),
    (0, &["-k", "/data/sub/nested.json"]),
    (0, &["--output", "/data/sub/out.bz2", "/data/notes.txt"]),
    (0, &["--remove", "--output", "/data/renamed.bz2", "/data/document.md"]),
    // To stdout: the compressed bytes are compared directly.
    (0, &["-c", "/data/blob.bin"]),
    (0, &["--stdout", "-5", "/data/big.log"]),
    (1, &["--bogus", "/data/notes.txt"]),
];

#[test]
fn bnz_compresses_in_a_granted_directory_like_its_native_build() {
    let (wasm, native) = realworld_binaries("bnz");
    let scratch = Scratch::new("realworld-fs-bnz");
    let kiln_dir = scratch.join("kiln-data");
    let native_dir = scratch.join("native-data");
    let cwd = scratch.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let grant = format!("{}::/data", kiln_dir.display());
    let exe = compile_ok(&wasm, &scratch, "bnz", &["--dir", &grant]);
    let host_native = native_dir.to_string_lossy().into_owned();

    let mut failures = Vec::new();
    for (index, &(expected_status, args)) in BNZ_CASES.iter().enumerate() {
        for dir in [&kiln_dir, &native_dir] {
            if dir.exists() {
                std::fs::remove_dir_all(dir).unwrap();
            }
            compressor_files(dir);
        }
        let what = format!("case {index}: bnz {args:?}");
        let kiln_args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let native_args: Vec<String> = args
            .iter()
            .map(|a| match a.strip_prefix("/data") {
                Some(rest) => format!("{host_native}{rest}"),
                None => a.to_string(),
            })
            .collect();
        let n = run_clean(&native, &native_args, &cwd);
        if n.status != expected_status {
            failures.push(format!(
                "{what}: the native build exited with {}, the case expects {expected_status}\n{}",
                n.status,
                n.describe()
            ));
            continue;
        }
        let k = run_clean(&exe, &kiln_args, &cwd);
        let mut problems = Vec::new();
        if k.status != n.status {
            problems.push(format!("status kiln {} / native {}", k.status, n.status));
        }
        if k.stdout != n.stdout {
            problems.push(format!(
                "stdout differs ({} / {} bytes)",
                k.stdout.len(),
                n.stdout.len()
            ));
        }
        let native_stderr = replace_bytes(&n.stderr, host_native.as_bytes(), b"/data");
        if k.stderr != native_stderr {
            problems.push(format!(
                "stderr differs\n--- kiln ---\n{}\n--- native ---\n{}",
                k.stderr_text(),
                String::from_utf8_lossy(&native_stderr)
            ));
        }
        if tree_contents(&kiln_dir) != tree_contents(&native_dir) {
            problems.push(format!(
                "the files differ\n{}",
                describe_tree_difference(&kiln_dir, &native_dir)
            ));
        }
        if expected_status == 0
            && args.iter().any(|a| *a == "-c" || *a == "--stdout")
            && !k.stdout.starts_with(b"BZh")
        {
            problems.push("stdout is not bzip2 data".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{what}: {}", problems.join("\n")));
        }
    }
    // The default case really compressed next to the input: spot-check once more.
    std::fs::remove_dir_all(&kiln_dir).unwrap();
    compressor_files(&kiln_dir);
    let k = run_clean(&exe, &["/data/notes.txt".to_owned()], &cwd);
    k.assert_success();
    assert!(
        !kiln_dir.join("notes.txt").exists(),
        "bnz removes its input"
    );
    let compressed = std::fs::read(kiln_dir.join("notes.txt.bz2"))
        .expect("notes.txt.bz2 written next to the input");
    assert!(compressed.starts_with(b"BZh9"), "not bzip2 (level 9) data");
    assert!(compressed.len() < input("notes.txt").len());

    assert!(
        failures.is_empty(),
        "{} of {} bnz cases differ:\n\n{}",
        failures.len(),
        BNZ_CASES.len(),
        failures.join("\n\n")
    );
}

#[test]
fn bnz_without_a_usable_grant_fails_cleanly() {
    let (wasm, _) = realworld_binaries("bnz");
    let scratch = Scratch::new("realworld-fs-bnz-denied");
    let data = scratch.join("data");
    compressor_files(&data);
    let cwd = scratch.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let no_grant = compile_ok(&wasm, &scratch, "bnz-nogrant", &[]);
    let ro_grant = format!("{}::/data:ro", data.display());
    let read_only = compile_ok(&wasm, &scratch, "bnz-ro", &["--dir", &ro_grant]);
    let rw_grant = format!("{}::/data", data.display());
    let granted = compile_ok(&wasm, &scratch, "bnz-rw", &["--dir", &rw_grant]);
    let before = TreeSnapshot::take(&data);

    let host_path = data.join("notes.txt").to_string_lossy().into_owned();
    for (exe, path, why) in [
        (&no_grant, "/data/notes.txt", "no grant"),
        (&no_grant, host_path.as_str(), "no grant, host path"),
        (&read_only, "/data/notes.txt", "read-only grant"),
        (
            &read_only,
            "/data/sub/nested.json",
            "read-only grant, subdirectory",
        ),
        (&granted, "/data/missing.txt", "missing input"),
        (&granted, "/elsewhere/notes.txt", "path outside the grant"),
    ] {
        let k = run_clean(exe, &[path.to_owned()], &cwd);
        assert_eq!(
            k.status,
            2,
            "{why}: bnz exits 2 on file-system errors\n{}",
            k.describe()
        );
        assert!(k.stdout.is_empty(), "{why}\n{}", k.describe());
        assert!(
            k.stderr_text().starts_with("[filesystem error] "),
            "{why}: expected bnz's error message\n{}",
            k.describe()
        );
        TreeSnapshot::take(&data).assert_unchanged_since(&before, why);
    }
    let mut names = scratch.entries();
    names.sort();
    assert_eq!(
        names,
        ["bnz-nogrant", "bnz-ro", "bnz-rw", "cwd", "data"],
        "something was written outside"
    );
    assert!(
        std::fs::read_dir(&cwd).unwrap().next().is_none(),
        "something was written in the working directory"
    );
}
