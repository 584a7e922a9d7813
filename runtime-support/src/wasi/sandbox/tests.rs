//! The resolver against a real directory tree: `..`, absolute paths, symlinks out of the
//! tree (absolute and relative, direct and chained), loops, long chains, a link swapped
//! while paths resolve, with both strategies — and the tree outside never changes.

use super::*;
use crate::sys::Fd;
use crate::testutil::{granted_dir, TempDir};
use std::collections::BTreeMap;
use std::fs;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// `<tmp>/outside/...` and `<tmp>/root/...` (the start directory).
struct Tree {
    _tmp: TempDir,
    base: PathBuf,
    root: Fd,
}

impl Tree {
    fn new() -> Tree {
        let tmp = TempDir::new("sandbox");
        let base = tmp.path().to_path_buf();
        let out = base.join("outside");
        fs::create_dir_all(out.join("dir")).unwrap();
        fs::write(out.join("secret.txt"), "outside secret\n").unwrap();
        fs::write(out.join("dir/x.txt"), "outside x\n").unwrap();
        let root = base.join("root");
        fs::create_dir_all(root.join("sub/deeper")).unwrap();
        fs::write(root.join("file.txt"), "inside\n").unwrap();
        fs::write(root.join("sub/inner.txt"), "inner\n").unwrap();
        fs::write(root.join("sub/secret.txt"), "inside secret\n").unwrap();
        let abs_secret = out.join("secret.txt");
        let abs_inside = root.join("file.txt");
        let links: &[(&str, &str)] = &[
            ("link_sub", "sub"),
            ("up", ".."),
            ("up_secret", "../outside/secret.txt"),
            ("abs_secret", abs_secret.to_str().unwrap()),
            ("abs_root", "/"),
            ("abs_inside", abs_inside.to_str().unwrap()),
            ("loop_a", "loop_b"),
            ("loop_b", "loop_a"),
            ("self_loop", "self_loop"),
            ("sub/rel_ok", "../file.txt"),
            ("sub/rel_out", "../../outside/secret.txt"),
            ("sub/dot", "."),
            ("chain1", "sub/chain2"),
            ("sub/chain2", "../chain3"),
            ("chain3", "../outside/secret.txt"),
            ("dangle_out", "../outside/created_through_link"),
            ("dangle_in", "created_inside"),
            ("empty_target_dir/x", "y"),
            ("proc_fd", "/proc/self/fd/1"),
        ];
        fs::create_dir(root.join("empty_target_dir")).unwrap();
        for (name, target) in links {
            symlink(target, root.join(name)).unwrap();
        }
        // long_0 -> long_1 -> ... -> long_44 -> file.txt: 45 links.
        for i in 0..45 {
            let target = if i == 44 {
                "file.txt".to_string()
            } else {
                format!("long_{}", i + 1)
            };
            symlink(target, root.join(format!("long_{i}"))).unwrap();
        }
        let root_fd = fs::File::open(&root).unwrap().into();
        Tree {
            _tmp: tmp,
            base,
            root: root_fd,
        }
    }

    fn fd(&self) -> RawFd {
        self.root.as_raw_fd()
    }

    /// Every path under `outside/` with its contents (or `<dir>`) and modification time.
    fn outside(&self) -> BTreeMap<PathBuf, (String, std::time::SystemTime)> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, (String, std::time::SystemTime)>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let meta = fs::symlink_metadata(&p).unwrap();
                let content = if meta.is_dir() {
                    walk(&p, out);
                    "<dir>".to_string()
                } else {
                    fs::read_to_string(&p).unwrap_or_default()
                };
                out.insert(p, (content, meta.modified().unwrap()));
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.base.join("outside"), &mut out);
        out
    }
}

fn strategies() -> Vec<Strategy> {
    let probe = TempDir::new("probe");
    let dir: Fd = fs::File::open(probe.path()).unwrap().into();
    let mut s = vec![Strategy::Walk];
    match openat2_beneath(dir.as_raw_fd(), c".", libc::O_PATH | libc::O_CLOEXEC, 0) {
        Err(libc::ENOSYS) => eprintln!("openat2 unavailable: testing the walk only"),
        _ => s.push(Strategy::Openat2),
    }
    s
}

fn read(fd: Fd) -> String {
    std::io::read_to_string(fs::File::from(fd)).unwrap()
}

fn open_read(s: Strategy, t: &Tree, path: &str, follow: bool) -> Result<String, Errno> {
    open_with(s, t.fd(), path.as_bytes(), libc::O_RDONLY, 0, follow).map(read)
}

#[test]
fn paths_inside_resolve() {
    let t = Tree::new();
    for s in strategies() {
        let ok = |p: &str| open_read(s, &t, p, true);
        assert_eq!(ok("file.txt"), Ok("inside\n".into()), "{s:?}");
        assert_eq!(ok("./sub/../file.txt"), Ok("inside\n".into()), "{s:?}");
        assert_eq!(
            ok("sub//deeper/../inner.txt"),
            Ok("inner\n".into()),
            "{s:?}"
        );
        assert_eq!(ok("link_sub/inner.txt"), Ok("inner\n".into()), "{s:?}");
        assert_eq!(ok("link_sub/../file.txt"), Ok("inside\n".into()), "{s:?}");
        assert_eq!(ok("sub/rel_ok"), Ok("inside\n".into()), "{s:?}");
        assert_eq!(ok("sub/dot/inner.txt"), Ok("inner\n".into()), "{s:?}");
        assert_eq!(ok("long_5"), Ok("inside\n".into()), "{s:?}: 40 links");
        let dir = |p: &str| {
            open_with(
                s,
                t.fd(),
                p.as_bytes(),
                libc::O_PATH | libc::O_DIRECTORY,
                0,
                true,
            )
            .map(|fd| identity(&fstat(fd.as_raw_fd()).unwrap()))
        };
        let root_id = identity(&fstat(t.fd()).unwrap());
        assert_eq!(dir("."), Ok(root_id), "{s:?}");
        assert_eq!(dir("sub/.."), Ok(root_id), "{s:?}");
        assert_eq!(dir("sub/deeper/../.."), Ok(root_id), "{s:?}");
        assert_eq!(dir("sub/"), dir("sub"), "{s:?}");
        assert_eq!(dir("link_sub/"), dir("sub"), "{s:?}");
    }
}

#[test]
fn escapes_are_eperm() {
    let t = Tree::new();
    let before = t.outside();
    for s in strategies() {
        let no = |p: &str| open_read(s, &t, p, true).err();
        for path in [
            "..",
            "../outside/secret.txt",
            "sub/../../outside/secret.txt",
            "sub/deeper/../../../outside/secret.txt",
            "./../root/file.txt",
            "/etc/passwd",
            "/",
            "up_secret",
            "up/outside/secret.txt",
            "up/root/file.txt",
            "abs_secret",
            "abs_inside",
            "abs_root/etc/passwd",
            "sub/rel_out",
            "chain1",
            "link_sub/../../outside/secret.txt",
        ] {
            assert_eq!(no(path), Some(errno::PERM), "{s:?} {path}");
        }
        // Not following the last link: it is not opened at all.
        assert_eq!(
            open_read(s, &t, "abs_secret", false).err(),
            Some(errno::LOOP),
            "{s:?}"
        );
        // Creating through a link that points outside.
        let create = open_with(
            s,
            t.fd(),
            b"dangle_out",
            libc::O_WRONLY | libc::O_CREAT,
            0o644,
            true,
        );
        assert_eq!(create.err(), Some(errno::PERM), "{s:?}");
        // /proc magic links: refused (ELOOP from the kernel, EPERM from the walk, which
        // sees an absolute target).
        let proc = open_read(s, &t, "proc_fd", true).err();
        assert!(
            matches!(proc, Some(errno::PERM | errno::LOOP)),
            "{s:?} {proc:?}"
        );
    }
    assert_eq!(t.outside(), before, "the host outside the sandbox changed");
    assert!(!t.base.join("outside/created_through_link").exists());
}

#[test]
fn loops_and_long_chains_are_eloop() {
    let t = Tree::new();
    for s in strategies() {
        for path in ["loop_a", "self_loop", "loop_b/x", "long_0", "long_4"] {
            assert_eq!(
                open_read(s, &t, path, true).err(),
                Some(errno::LOOP),
                "{s:?} {path}"
            );
        }
    }
}

#[test]
fn malformed_paths() {
    let t = Tree::new();
    for s in strategies() {
        let err = |p: &[u8]| open_with(s, t.fd(), p, libc::O_RDONLY, 0, true).err();
        assert_eq!(err(b""), Some(errno::NOENT));
        assert_eq!(err(b"file.txt\0"), Some(errno::INVAL));
        assert_eq!(err(b"missing"), Some(errno::NOENT));
        assert_eq!(err(b"file.txt/"), Some(errno::NOTDIR), "{s:?}");
        assert_eq!(err(b"file.txt/x"), Some(errno::NOTDIR), "{s:?}");
        assert_eq!(err(&[b'a'; PATH_MAX]), Some(errno::NAMETOOLONG));
        assert_eq!(err(b"empty_target_dir/x"), Some(errno::NOENT), "{s:?}");
    }
}

#[test]
fn creation_stays_inside() {
    let t = Tree::new();
    for (i, s) in strategies().into_iter().enumerate() {
        let create = |p: &str, flags: c_int, follow: bool| {
            open_with(
                s,
                t.fd(),
                p.as_bytes(),
                flags | libc::O_WRONLY,
                0o644,
                follow,
            )
        };
        let name = format!("new{i}");
        create(&name, libc::O_CREAT | libc::O_EXCL, false).unwrap();
        assert!(t.base.join("root").join(&name).exists());
        assert_eq!(
            create(&name, libc::O_CREAT | libc::O_EXCL, true).err(),
            Some(errno::EXIST)
        );
        // A dangling link inside is followed by O_CREAT (as POSIX), not by O_EXCL.
        assert_eq!(
            create("dangle_in", libc::O_CREAT | libc::O_EXCL, true).err(),
            Some(errno::EXIST),
            "{s:?}"
        );
        create("dangle_in", libc::O_CREAT, true).unwrap();
        assert!(t.base.join("root/created_inside").exists(), "{s:?}");
        fs::remove_file(t.base.join("root/created_inside")).unwrap();
        // Not following: O_CREAT on the link itself fails.
        assert_eq!(
            create("dangle_in", libc::O_CREAT, false).err(),
            Some(errno::LOOP),
            "{s:?}"
        );
    }
}

#[test]
fn parents_and_final_components() {
    let t = Tree::new();
    for s in strategies() {
        let p = |path: &str| parent_with(s, t.fd(), path.as_bytes());
        let e = p("sub/deeper/x").unwrap();
        assert_eq!(e.name.as_bytes(), b"x");
        assert!(!e.trailing_slash);
        let deeper = fs::File::open(t.base.join("root/sub/deeper")).unwrap();
        assert_eq!(
            identity(&fstat(e.dir.raw()).unwrap()),
            identity(&fstat(deeper.as_raw_fd()).unwrap())
        );
        let e = p("file.txt").unwrap();
        assert!(matches!(e.dir, Dir::Start(fd) if fd == t.fd()));
        let e = p("sub//").unwrap();
        assert_eq!((e.name.as_bytes(), e.trailing_slash), (&b"sub"[..], true));
        // A final `..` or `.` names the directory itself, never `..` of a directory.
        let e = p("sub/..").unwrap();
        assert_eq!(e.name.as_bytes(), b".");
        assert_eq!(
            identity(&fstat(e.dir.raw()).unwrap()),
            identity(&fstat(t.fd()).unwrap())
        );
        assert_eq!(p("..").err(), Some(errno::PERM), "{s:?}");
        assert_eq!(p("sub/../..").err(), Some(errno::PERM), "{s:?}");
        assert_eq!(p("up/x").err(), Some(errno::PERM), "{s:?}");
        assert_eq!(p("/tmp/x").err(), Some(errno::PERM));
        assert_eq!(p("missing/x").err(), Some(errno::NOENT));
        // The final component is not followed: a link pointing out is just a name.
        let e = p("up_secret").unwrap();
        assert_eq!(e.name.as_bytes(), b"up_secret");
        assert_eq!(e.readlink(), Ok(b"../outside/secret.txt".to_vec()));

        let f = |path: &str| follow_with(s, t.fd(), path.as_bytes());
        assert_eq!(f("sub/rel_ok").unwrap().name.as_bytes(), b"file.txt");
        assert_eq!(f("link_sub/dot").unwrap().name.as_bytes(), b".");
        assert_eq!(f("up_secret").err(), Some(errno::PERM), "{s:?}");
        assert_eq!(f("abs_inside").err(), Some(errno::PERM), "{s:?}");
        assert_eq!(f("chain1").err(), Some(errno::PERM), "{s:?}");
        assert_eq!(f("self_loop").err(), Some(errno::LOOP), "{s:?}");
        assert_eq!(f("long_0").err(), Some(errno::LOOP), "{s:?}");
        assert_eq!(f("dangle_in").unwrap().name.as_bytes(), b"created_inside");
    }
}

#[test]
fn entry_operations_never_follow_the_last_link() {
    let t = Tree::new();
    let before = t.outside();
    let e = parent(t.fd(), b"up_secret").unwrap();
    // The link's own times, not the target's.
    let times = [libc::timespec {
        tv_sec: 1_000_000,
        tv_nsec: 0,
    }; 2];
    e.set_times(&times).unwrap();
    assert!(e.lstat().unwrap().st_mode & libc::S_IFMT == libc::S_IFLNK);
    // Renaming and linking the link moves / copies the link, not its target.
    let new = parent(t.fd(), b"sub/moved_link").unwrap();
    e.link_to(&new).unwrap();
    e.rename_to(&parent(t.fd(), b"renamed_link").unwrap())
        .unwrap();
    parent(t.fd(), b"renamed_link")
        .unwrap()
        .unlink(false)
        .unwrap();
    new.unlink(false).unwrap();
    assert_eq!(t.outside(), before, "the host outside the sandbox changed");
}

#[test]
fn a_link_swapped_during_resolution_never_leads_out() {
    let t = Tree::new();
    let before = t.outside();
    let root = t.base.join("root");
    symlink("sub", root.join("race")).unwrap();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flipper = {
        let (stop, root) = (stop.clone(), root.clone());
        std::thread::spawn(move || {
            let mut out = false;
            while !stop.load(Ordering::Relaxed) {
                let target = if out { "../outside" } else { "sub" };
                let _ = fs::remove_file(root.join("race.tmp"));
                symlink(target, root.join("race.tmp")).unwrap();
                fs::rename(root.join("race.tmp"), root.join("race")).unwrap();
                out = !out;
            }
        })
    };
    let mut inside = 0;
    for s in strategies() {
        for _ in 0..3000 {
            match open_read(s, &t, "race/secret.txt", true) {
                Ok(text) => {
                    assert_eq!(text, "inside secret\n", "{s:?} read outside the sandbox");
                    inside += 1;
                }
                Err(e) => assert!(
                    matches!(e, errno::PERM | errno::NOENT | errno::NOTDIR | errno::LOOP),
                    "{s:?} {e}"
                ),
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    flipper.join().unwrap();
    assert!(inside > 0, "the race never resolved inside");
    assert_eq!(t.outside(), before);
}

#[test]
fn listing_a_directory() {
    let t = Tree::new();
    let mut names: Vec<(Vec<u8>, u8)> = list_dir(t.fd())
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.filetype))
        .collect();
    names.sort();
    use crate::wasi::types::filetype::*;
    assert!(names.contains(&(b"file.txt".to_vec(), REGULAR_FILE)));
    assert!(names.contains(&(b"sub".to_vec(), DIRECTORY)));
    assert!(names.contains(&(b"up".to_vec(), SYMBOLIC_LINK)));
    assert!(!names.iter().any(|(n, _)| n == b"." || n == b".."));
    let many = TempDir::new("many");
    for i in 0..2000 {
        fs::write(
            many.path().join(format!("file-with-a-longish-name-{i:05}")),
            "",
        )
        .unwrap();
    }
    let dir: Fd = fs::File::open(many.path()).unwrap().into();
    assert_eq!(list_dir(dir.as_raw_fd()).unwrap().len(), 2000);
}

#[test]
fn granted_directories() {
    let t = Tree::new();
    assert!(granted_dir(&t.base.join("root")).is_ok());
    let e = granted_dir(&t.base.join("root/file.txt")).unwrap_err();
    assert_eq!(e.0, libc::ENOTDIR);
    let e = granted_dir(&t.base.join("missing")).unwrap_err();
    assert_eq!(e.0, libc::ENOENT);
    // A symlink to a directory is the deployer's own path: followed.
    assert!(granted_dir(&t.base.join("root/link_sub")).is_ok());
}
