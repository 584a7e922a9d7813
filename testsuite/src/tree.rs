//! Snapshots of directory trees, to prove what a sandboxed program left behind.

use super::*;

/// One entry of a [`TreeSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// `file`, `dir`, `symlink` or `other`.
    pub kind: &'static str,
    /// File contents, or a symlink's target.
    pub data: Vec<u8>,
    pub len: u64,
    /// Modification time in nanoseconds since the epoch (symlinks: of the link itself).
    pub mtime_ns: i128,
    /// Permission bits (Unix), 0 elsewhere.
    pub mode: u32,
    /// Hard-link count (Unix), 0 elsewhere.
    pub nlink: u64,
}

/// Everything under a directory — names, types, contents, symlink targets,
/// modification times, permissions and link counts — never following
/// symlinks, so that a test can prove that a sandboxed program left a host
/// directory exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSnapshot {
    pub root: PathBuf,
    pub entries: std::collections::BTreeMap<PathBuf, TreeEntry>,
}

impl TreeSnapshot {
    /// Snapshots `root` (which must exist) and everything below it. The root
    /// itself is included as the entry with the empty path.
    pub fn take(root: &Path) -> TreeSnapshot {
        let mut entries = std::collections::BTreeMap::new();
        snapshot_into(root, Path::new(""), &mut entries);
        TreeSnapshot {
            root: root.to_path_buf(),
            entries,
        }
    }

    /// The differences from `earlier`, one line each (empty when identical).
    pub fn changes_since(&self, earlier: &TreeSnapshot) -> Vec<String> {
        let mut out = Vec::new();
        for (path, before) in &earlier.entries {
            match self.entries.get(path) {
                None => out.push(format!("removed: {}", path.display())),
                Some(after) if after != before => {
                    let mut what = Vec::new();
                    if after.kind != before.kind {
                        what.push(format!("type {} -> {}", before.kind, after.kind));
                    }
                    if after.data != before.data {
                        what.push(format!(
                            "contents {:?} -> {:?}",
                            String::from_utf8_lossy(&before.data[..before.data.len().min(60)]),
                            String::from_utf8_lossy(&after.data[..after.data.len().min(60)])
                        ));
                    }
                    if after.len != before.len {
                        what.push(format!("size {} -> {}", before.len, after.len));
                    }
                    if after.mtime_ns != before.mtime_ns {
                        what.push(format!("mtime {} -> {}", before.mtime_ns, after.mtime_ns));
                    }
                    if after.mode != before.mode {
                        what.push(format!("mode {:o} -> {:o}", before.mode, after.mode));
                    }
                    if after.nlink != before.nlink {
                        what.push(format!("link count {} -> {}", before.nlink, after.nlink));
                    }
                    out.push(format!("changed: {} ({})", path.display(), what.join(", ")));
                }
                Some(_) => {}
            }
        }
        for path in self.entries.keys() {
            if !earlier.entries.contains_key(path) {
                out.push(format!("added: {}", path.display()));
            }
        }
        out
    }

    /// Panics, listing every difference, unless the tree is as it was in `earlier`.
    pub fn assert_unchanged_since(&self, earlier: &TreeSnapshot, context: &str) {
        let changes = self.changes_since(earlier);
        assert!(
            changes.is_empty(),
            "{context}: {} changed outside the sandbox:\n  {}",
            self.root.display(),
            changes.join("\n  ")
        );
    }
}

fn snapshot_into(
    root: &Path,
    relative: &Path,
    out: &mut std::collections::BTreeMap<PathBuf, TreeEntry>,
) {
    let path = root.join(relative);
    let meta = std::fs::symlink_metadata(&path)
        .unwrap_or_else(|e| panic!("snapshot: cannot stat {}: {e}", path.display()));
    let file_type = meta.file_type();
    let (kind, data) = if file_type.is_symlink() {
        let target = std::fs::read_link(&path).expect("snapshot: readlink");
        ("symlink", target.into_os_string().into_encoded_bytes())
    } else if file_type.is_dir() {
        ("dir", Vec::new())
    } else if file_type.is_file() {
        (
            "file",
            std::fs::read(&path)
                .unwrap_or_else(|e| panic!("snapshot: cannot read {}: {e}", path.display())),
        )
    } else {
        ("other", Vec::new())
    };
    #[cfg(unix)]
    let (mtime_ns, mode, nlink) = {
        use std::os::unix::fs::MetadataExt;
        (
            i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            meta.mode(),
            meta.nlink(),
        )
    };
    #[cfg(not(unix))]
    let (mtime_ns, mode, nlink) = (
        meta.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128),
        0,
        0,
    );
    out.insert(
        relative.to_path_buf(),
        TreeEntry {
            kind,
            data,
            len: meta.len(),
            mtime_ns,
            mode,
            nlink,
        },
    );
    if kind == "dir" {
        let mut names: Vec<_> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("snapshot: cannot list {}: {e}", path.display()))
            .map(|e| e.expect("snapshot: directory entry").file_name())
            .collect();
        names.sort();
        for name in names {
            snapshot_into(root, &relative.join(name), out);
        }
    }
}

/// Compares two trees by everything but modification times (the two runs
/// happen at different moments; times the programs set are in the transcripts).
pub fn assert_same_tree(kiln: &Path, native: &Path) {
    let strip = |dir: &Path| {
        let mut snap = TreeSnapshot::take(dir);
        for entry in snap.entries.values_mut() {
            entry.mtime_ns = 0;
            // A directory's size is file-system bookkeeping, not content.
            if entry.kind == "dir" {
                entry.len = 0;
            }
        }
        snap.entries
    };
    let (k, n) = (strip(kiln), strip(native));
    let only = |a: &std::collections::BTreeMap<_, _>, b: &std::collections::BTreeMap<_, _>| {
        a.keys()
            .filter(|p| !b.contains_key(*p))
            .map(|p: &std::path::PathBuf| p.display().to_string())
            .collect::<Vec<_>>()
    };
    let differing: Vec<String> = k
        .iter()
        .filter_map(|(p, e)| match n.get(p) {
            Some(f) if f != e => Some(format!("{}: kiln {e:?} / native {f:?}", p.display())),
            _ => None,
        })
        .collect();
    assert!(
        k == n,
        "the kiln and native runs left different trees\n  only in kiln's: {:?}\n  only in native's: {:?}\n  different: {differing:#?}",
        only(&k, &n),
        only(&n, &k)
    );
}
