//! File-system work through Rust's std::fs, the way ordinary programs do it:
//! `wasi_fs ROOT [no-symlinks]` creates, reads, writes, appends, truncates, seeks, reads and
//! writes at offsets, lists, renames, links and removes files and directories
//! under ROOT (an empty directory) and prints one line per step. `no-symlinks` leaves
//! out the symbolic links (which Kiln's Windows runtime does not make).
//!
//! Built twice: for wasm32-wasip1 (run by the tests with `--dir HOST::/work`
//! and ROOT=`/work`) and natively (run with ROOT=HOST). Nothing printed
//! depends on ROOT or on the OS: errors are printed as their `ErrorKind`, so
//! the two transcripts, and the trees left behind, must be identical.

use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An error as its `ErrorKind`; std maps a few errnos differently on WASI and
/// on Linux (WASI's std has no `DirectoryNotEmpty`), so an uncategorized one
/// is printed as its errno's name.
fn err(e: &std::io::Error) -> String {
    let kind = format!("{:?}", e.kind());
    match (e.kind(), e.raw_os_error()) {
        (ErrorKind::DirectoryNotEmpty, _) => "err ENOTEMPTY".to_owned(),
        (_, Some(code)) if kind == "Uncategorized" => format!("err {}", errno_name(code)),
        _ => format!("err {kind}"),
    }
}

#[cfg(target_os = "wasi")]
fn errno_name(code: i32) -> String {
    match code {
        8 => "EBADF".to_owned(),
        55 => "ENOTEMPTY".to_owned(),
        other => format!("errno {other}"),
    }
}

#[cfg(not(target_os = "wasi"))]
fn errno_name(code: i32) -> String {
    match code {
        9 => "EBADF".to_owned(),
        39 => "ENOTEMPTY".to_owned(),
        other => format!("errno {other}"),
    }
}

fn show<T: std::fmt::Debug>(r: std::io::Result<T>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => err(&e),
    }
}

fn kind<T>(r: std::io::Result<T>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => err(&e),
    }
}

/// Whether an operation failed, for the ones whose errno the WASI spec leaves
/// open (EBADF natively; EBADF or ENOTCAPABLE under WASI).
fn refused<T>(r: std::io::Result<T>) -> String {
    match r {
        Ok(_) => "not refused".to_owned(),
        Err(_) => "refused".to_owned(),
    }
}

fn text(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => format!("{:?}", String::from_utf8_lossy(&bytes)),
        Err(e) => err(&e),
    }
}

/// Sorted `name/type` entries of a directory.
fn listing(path: &Path) -> String {
    match fs::read_dir(path) {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .map(|e| {
                    let e = e.expect("directory entry");
                    let t = e.file_type().expect("file type");
                    let t = if t.is_symlink() {
                        "link"
                    } else if t.is_dir() {
                        "dir"
                    } else if t.is_file() {
                        "file"
                    } else {
                        "other"
                    };
                    format!("{}:{t}", e.file_name().to_string_lossy())
                })
                .collect();
            names.sort();
            names.join(" ")
        }
        Err(e) => err(&e),
    }
}

#[cfg(target_os = "wasi")]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let iov = wasi::Iovec {
        buf: buf.as_mut_ptr(),
        buf_len: buf.len(),
    };
    // SAFETY: `iov` points at `buf`; the fd belongs to `file`.
    unsafe { wasi::fd_pread(file.as_raw_fd() as u32, &[iov], offset) }
        .map_err(|e| std::io::Error::from_raw_os_error(i32::from(e.raw())))
}

#[cfg(target_os = "wasi")]
fn write_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let iov = wasi::Ciovec {
        buf: buf.as_ptr(),
        buf_len: buf.len(),
    };
    // SAFETY: `iov` points at `buf`; the fd belongs to `file`.
    unsafe { wasi::fd_pwrite(file.as_raw_fd() as u32, &[iov], offset) }
        .map_err(|e| std::io::Error::from_raw_os_error(i32::from(e.raw())))
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::write_at(file, buf, offset)
}

#[allow(deprecated)] // fs::soft_link: the portable spelling of symlink (WASI and Unix)
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    fs::soft_link(target, link)
}

/// A deterministic pseudo-random byte stream.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn main() {
    let root = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: wasi_fs ROOT [no-symlinks]"),
    );
    let symlinks = std::env::args().nth(2).as_deref() != Some("no-symlinks");
    let p = |name: &str| root.join(name);

    println!("-- files");
    println!("write: {}", kind(fs::write(p("a.txt"), "hello\n")));
    println!("read: {}", text(&p("a.txt")));
    println!("read missing: {}", text(&p("missing.txt")));
    println!(
        "create_new existing: {}",
        kind(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p("a.txt"))
        )
    );
    {
        let mut f = OpenOptions::new().append(true).open(p("a.txt")).unwrap();
        println!("append: {}", kind(f.write_all(b"world\n")));
        println!("append again: {}", kind(f.write_all(b"!\n")));
    }
    println!("after append: {}", text(&p("a.txt")));
    {
        let f = OpenOptions::new().write(true).open(p("a.txt")).unwrap();
        println!("set_len 5: {}", kind(f.set_len(5)));
        println!("after shrink: {}", text(&p("a.txt")));
        println!("set_len 8: {}", kind(f.set_len(8)));
        println!("after grow: {:?}", fs::read(p("a.txt")).unwrap());
    }
    {
        let f = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(p("a.txt"))
            .unwrap();
        println!("open truncate: len {}", f.metadata().unwrap().len());
    }
    println!(
        "read-only write: {}",
        refused(File::open(p("a.txt")).unwrap().write_all(b"x"))
    );
    println!(
        "write-only read: {}",
        refused(
            OpenOptions::new()
                .write(true)
                .open(p("a.txt"))
                .unwrap()
                .read(&mut [0u8; 4])
        )
    );

    println!("-- seek");
    {
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(p("seek.bin"))
            .unwrap();
        f.write_all(b"0123456789").unwrap();
        let mut two = [0u8; 2];
        println!("seek start 3: {}", show(f.seek(SeekFrom::Start(3))));
        f.read_exact(&mut two).unwrap();
        println!("read 2: {:?}", String::from_utf8_lossy(&two));
        println!("seek current +2: {}", show(f.seek(SeekFrom::Current(2))));
        f.read_exact(&mut two).unwrap();
        println!("read 2: {:?}", String::from_utf8_lossy(&two));
        println!("seek end -2: {}", show(f.seek(SeekFrom::End(-2))));
        f.read_exact(&mut two).unwrap();
        println!("read 2: {:?}", String::from_utf8_lossy(&two));
        println!("position: {}", show(f.stream_position()));
        println!(
            "seek before start: {}",
            kind(f.seek(SeekFrom::Current(-100)))
        );
        println!("position after failed seek: {}", show(f.stream_position()));
        println!("seek past end: {}", show(f.seek(SeekFrom::Start(16))));
        println!("write past end: {}", kind(f.write_all(b"X")));
        println!("len: {}", f.metadata().unwrap().len());
        f.rewind().unwrap();
        let mut all = Vec::new();
        f.read_to_end(&mut all).unwrap();
        println!("contents: {all:?}");
    }

    println!("-- pread/pwrite");
    {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(p("seek.bin"))
            .unwrap();
        let mut g = &f;
        g.seek(SeekFrom::Start(4)).unwrap();
        let mut buf = [0u8; 3];
        println!("pread 3 at 1: {}", show(read_at(&f, &mut buf, 1)));
        println!("bytes: {:?}", String::from_utf8_lossy(&buf));
        println!("pwrite at 2: {}", show(write_at(&f, b"ab", 2)));
        println!("pread past end: {}", show(read_at(&f, &mut buf, 100)));
        println!("position unchanged: {}", show(g.stream_position()));
        println!("pwrite past end: {}", show(write_at(&f, b"Z", 20)));
        println!("len: {}", f.metadata().unwrap().len());
        println!("contents: {:?}", fs::read(p("seek.bin")).unwrap());
    }

    println!("-- big file");
    {
        let data = pattern(3 << 20, 7);
        let mut f = File::create(p("big.bin")).unwrap();
        for chunk in data.chunks(100_000) {
            f.write_all(chunk).unwrap();
        }
        f.sync_all().unwrap();
        println!("sync_data: {}", kind(f.sync_data()));
        drop(f);
        let back = fs::read(p("big.bin")).unwrap();
        println!(
            "big: len {} fnv {:016x} same {}",
            back.len(),
            fnv(&back),
            back == data
        );
        let mut f = File::open(p("big.bin")).unwrap();
        f.seek(SeekFrom::Start(1 << 20)).unwrap();
        let mut chunk = vec![0u8; 4096];
        f.read_exact(&mut chunk).unwrap();
        println!(
            "chunk at 1 MiB matches: {}",
            chunk[..] == data[1 << 20..(1 << 20) + 4096]
        );
        println!("copy: {}", show(fs::copy(p("big.bin"), p("big-copy.bin"))));
        println!(
            "copy same: {}",
            fs::read(p("big-copy.bin")).unwrap() == data
        );
        println!("remove: {}", kind(fs::remove_file(p("big.bin"))));
        println!("remove copy: {}", kind(fs::remove_file(p("big-copy.bin"))));
    }

    println!("-- directories");
    println!("create_dir d: {}", kind(fs::create_dir(p("d"))));
    println!("create_dir d again: {}", kind(fs::create_dir(p("d"))));
    println!(
        "create_dir_all d/e/f: {}",
        kind(fs::create_dir_all(p("d/e/f")))
    );
    println!(
        "create_dir missing parent: {}",
        kind(fs::create_dir(p("nope/x")))
    );
    fs::write(p("d/one.txt"), "1").unwrap();
    fs::write(p("d/e/two.txt"), "22").unwrap();
    println!("list d: {}", listing(&p("d")));
    println!("list d/e: {}", listing(&p("d/e")));
    println!("list file: {}", listing(&p("d/one.txt")));
    println!("remove_dir non-empty: {}", kind(fs::remove_dir(p("d/e"))));
    println!("remove_dir file: {}", kind(fs::remove_dir(p("d/one.txt"))));
    println!("remove_dir d/e/f: {}", kind(fs::remove_dir(p("d/e/f"))));
    println!(
        "metadata d: dir {} file {}",
        fs::metadata(p("d")).unwrap().is_dir(),
        fs::metadata(p("d")).unwrap().is_file()
    );
    println!(
        "metadata one.txt: len {} file {}",
        fs::metadata(p("d/one.txt")).unwrap().len(),
        fs::metadata(p("d/one.txt")).unwrap().is_file()
    );
    {
        fs::create_dir(p("many")).unwrap();
        for i in 0..300 {
            fs::write(
                p(&format!("many/file-{i:03}-{}", "x".repeat(i % 50))),
                i.to_string(),
            )
            .unwrap();
        }
        let mut names: Vec<String> = fs::read_dir(p("many"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        println!(
            "many: {} entries, first {}, last {}",
            names.len(),
            names[0],
            names[names.len() - 1]
        );
        println!(
            "remove_dir_all many: {}",
            kind(fs::remove_dir_all(p("many")))
        );
        println!("many exists: {}", show(p("many").try_exists()));
    }

    println!("-- rename");
    fs::write(p("r1.txt"), "first").unwrap();
    fs::write(p("r2.txt"), "second").unwrap();
    println!(
        "rename r1 -> r3: {}",
        kind(fs::rename(p("r1.txt"), p("r3.txt")))
    );
    println!("r1: {} r3: {}", text(&p("r1.txt")), text(&p("r3.txt")));
    println!(
        "rename over r2: {}",
        kind(fs::rename(p("r3.txt"), p("r2.txt")))
    );
    println!(
        "r2: {} r3 exists: {}",
        text(&p("r2.txt")),
        show(p("r3.txt").try_exists())
    );
    println!(
        "rename missing: {}",
        kind(fs::rename(p("r9.txt"), p("r10.txt")))
    );
    println!(
        "rename into dir: {}",
        kind(fs::rename(p("r2.txt"), p("d/e/r2.txt")))
    );
    println!("rename dir: {}", kind(fs::rename(p("d/e"), p("d/renamed"))));
    println!("list d: {}", listing(&p("d")));
    fs::create_dir(p("d/full")).unwrap();
    fs::write(p("d/full/x"), "x").unwrap();
    println!(
        "rename dir over non-empty dir: {}",
        kind(fs::rename(p("d/renamed"), p("d/full")))
    );
    println!(
        "rename dir over file: {}",
        kind(fs::rename(p("d/renamed"), p("d/one.txt")))
    );

    println!("-- links");
    fs::write(p("target.txt"), "target").unwrap();
    println!(
        "hard_link: {}",
        kind(fs::hard_link(p("target.txt"), p("hard.txt")))
    );
    println!(
        "hard_link existing: {}",
        kind(fs::hard_link(p("target.txt"), p("hard.txt")))
    );
    fs::OpenOptions::new()
        .append(true)
        .open(p("hard.txt"))
        .unwrap()
        .write_all(b"+more")
        .unwrap();
    println!("target via hard link: {}", text(&p("target.txt")));
    if symlinks {
        println!("symlink: {}", kind(symlink("target.txt", &p("soft.txt"))));
        println!("read_link: {}", show(fs::read_link(p("soft.txt"))));
        println!(
            "read_link on file: {}",
            kind(fs::read_link(p("target.txt")))
        );
        println!("through symlink: {}", text(&p("soft.txt")));
        println!(
            "symlink_metadata: symlink {}",
            fs::symlink_metadata(p("soft.txt"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        println!(
            "metadata follows: file {}",
            fs::metadata(p("soft.txt")).unwrap().is_file()
        );
        println!(
            "dangling symlink: {}",
            kind(symlink("nowhere.txt", &p("dangling")))
        );
        println!("dangling metadata: {}", kind(fs::metadata(p("dangling"))));
        println!(
            "dangling symlink_metadata: {}",
            kind(fs::symlink_metadata(p("dangling")))
        );
        println!("dangling read: {}", text(&p("dangling")));
        println!("dir symlink: {}", kind(symlink("d", &p("dlink"))));
        println!("list through dir symlink: {}", listing(&p("dlink")));
        println!(
            "write through dir symlink: {}",
            kind(fs::write(p("dlink/via-link.txt"), "via"))
        );
        println!("read it directly: {}", text(&p("d/via-link.txt")));
        println!(
            "relative symlink in subdir: {}",
            kind(symlink("../target.txt", &p("d/up.txt")))
        );
        println!("through it: {}", text(&p("d/up.txt")));
        println!("remove symlink: {}", kind(fs::remove_file(p("soft.txt"))));
        println!("target still there: {}", text(&p("target.txt")));
    }
    println!("list root: {}", listing(&root));

    println!("-- times");
    {
        // Whole 100 ns (Windows keeps times in those), and an access time in the future:
        // Linux's default `relatime` moves an access time that is older than the change
        // time to "now" at the next read, and wine reads a file when it opens one.
        let t_access = UNIX_EPOCH + Duration::new(4_000_000_000, 123_456_700);
        let t_modify = UNIX_EPOCH + Duration::new(1_600_000_000, 987_654_300);
        let f = OpenOptions::new()
            .write(true)
            .open(p("target.txt"))
            .unwrap();
        let times = FileTimes::new()
            .set_accessed(t_access)
            .set_modified(t_modify);
        println!("set_times: {}", kind(f.set_times(times)));
        let m = fs::metadata(p("target.txt")).unwrap();
        println!(
            "accessed: {}",
            show(m.accessed().map(|t| t.duration_since(UNIX_EPOCH).unwrap()))
        );
        println!(
            "modified: {}",
            show(m.modified().map(|t| t.duration_since(UNIX_EPOCH).unwrap()))
        );
        println!(
            "set_modified: {}",
            kind(f.set_modified(UNIX_EPOCH + Duration::from_secs(1_000_000_000)))
        );
        let m = fs::metadata(p("target.txt")).unwrap();
        println!(
            "modified: {}",
            show(m.modified().map(|t| t.duration_since(UNIX_EPOCH).unwrap()))
        );
        println!(
            "accessed kept: {}",
            show(m.accessed().map(|t| t.duration_since(UNIX_EPOCH).unwrap()))
        );
        let now = SystemTime::now();
        fs::write(p("fresh.txt"), "new").unwrap();
        let m = fs::metadata(p("fresh.txt")).unwrap().modified().unwrap();
        let skew = m.duration_since(now).unwrap_or_else(|e| e.duration());
        println!("new file mtime is now: {}", skew < Duration::from_secs(60));
    }

    println!("-- remove");
    println!("remove_file dir: {}", kind(fs::remove_file(p("d"))));
    println!(
        "remove_file missing: {}",
        kind(fs::remove_file(p("missing")))
    );
    println!("remove_file: {}", kind(fs::remove_file(p("fresh.txt"))));
    println!("exists after remove: {}", show(p("fresh.txt").try_exists()));
    println!("remove_dir_all d: {}", kind(fs::remove_dir_all(p("d"))));
    println!("list root: {}", listing(&root));
    match fs::metadata(p("missing")) {
        Err(e) if e.kind() == ErrorKind::NotFound => println!("done"),
        other => println!("unexpected: {other:?}"),
    }
}
