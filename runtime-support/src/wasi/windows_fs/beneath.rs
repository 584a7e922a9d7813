//! The sandbox on Windows: a guest path resolved beneath the directory handle it is
//! relative to (see the parent module's comment), and what is done with the entry
//! reached: deleting, renaming, linking, listing.

use super::*;

/// One guest path component as a Windows name.
pub(super) fn wide_name(component: &str) -> Result<Vec<u16>, Errno> {
    if component.contains(['\\', ':']) {
        return Err(errno::INVAL);
    }
    let name: Vec<u16> = component.encode_utf16().collect();
    // NTFS's (and most Linux file systems') longest name.
    if name.len() > 255 {
        return Err(errno::NAMETOOLONG);
    }
    Ok(name)
}

/// `NtCreateFile` of `name` relative to directory `dir` (the directory itself when `name`
/// is empty), synchronous and shared.
pub(super) fn nt_open(
    dir: Handle,
    name: &[u16],
    access: u32,
    disposition: u32,
    options: u32,
) -> Result<Fd, Errno> {
    let bytes = (name.len() * 2) as u16;
    let name = UnicodeString {
        length: bytes,
        maximum_length: bytes,
        buffer: name.as_ptr(),
    };
    let attributes = ObjectAttributes {
        length: core::mem::size_of::<ObjectAttributes>() as u32,
        root_directory: dir,
        object_name: &name,
        attributes: OBJ_CASE_INSENSITIVE,
        security_descriptor: ptr::null_mut(),
        security_quality_of_service: ptr::null_mut(),
    };
    let mut io = IoStatusBlock::default();
    let mut out: Handle = ptr::null_mut();
    // SAFETY: every pointer is to a live local; `name` outlives the call.
    let status = unsafe {
        NtCreateFile(
            &mut out,
            access | SYNCHRONIZE,
            &attributes,
            &mut io,
            ptr::null(),
            FILE_ATTRIBUTE_NORMAL,
            FILE_SHARE_ALL,
            disposition,
            options | FILE_SYNCHRONOUS_IO_NONALERT,
            ptr::null(),
            0,
        )
    };
    check_nt(status)?;
    // SAFETY: a new handle, owned by nothing else.
    Ok(unsafe { Fd::from_raw(out) })
}

/// What `GetFileInformationByHandle` says of a file.
pub(super) struct Info {
    pub(super) attributes: u32,
    pub(super) access_time: u64,
    pub(super) write_time: u64,
    pub(super) volume: u32,
    pub(super) size: u64,
    pub(super) links: u32,
    pub(super) index: u64,
}

impl Info {
    pub(super) fn of(h: Handle) -> Result<Info, Errno> {
        let mut raw = [0u32; 13];
        // SAFETY: `raw` has the size and alignment of BY_HANDLE_FILE_INFORMATION.
        check_win32(unsafe { GetFileInformationByHandle(h, &mut raw) })?;
        let pair = |i: usize| u64::from(raw[i]) | (u64::from(raw[i + 1]) << 32);
        Ok(Info {
            attributes: raw[0],
            access_time: pair(3),
            write_time: pair(5),
            volume: raw[7],
            size: u64::from(raw[9]) | (u64::from(raw[8]) << 32),
            links: raw[10],
            index: u64::from(raw[12]) | (u64::from(raw[11]) << 32),
        })
    }

    pub(super) fn is_dir(&self) -> bool {
        self.attributes & FILE_ATTRIBUTE_DIRECTORY != 0
    }

    pub(super) fn is_reparse_point(&self) -> bool {
        self.attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0
    }

    pub(super) fn filetype(&self) -> u8 {
        attributes_filetype(self.attributes)
    }
}

pub(super) fn attributes_filetype(attributes: u32) -> u8 {
    if attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
        filetype::SYMBOLIC_LINK
    } else if attributes & FILE_ATTRIBUTE_DIRECTORY != 0 {
        filetype::DIRECTORY
    } else {
        filetype::REGULAR_FILE
    }
}

/// The path Windows resolves an open handle to (`\\?\C:\...`), symbolic links,
/// junctions and mount points already followed.
pub(super) fn final_path(h: Handle) -> Result<Vec<u16>, Errno> {
    let mut buf = vec![0u16; 512];
    loop {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { GetFinalPathNameByHandleW(h, buf.as_mut_ptr(), buf.len() as u32, 0) };
        match n as usize {
            0 => return Err(win32_errno(OsError::last())),
            n if n < buf.len() => {
                buf.truncate(n);
                return Ok(buf);
            }
            n => buf.resize(n + 1, 0),
        }
    }
}

/// `EPERM` unless `opened` resolves to `root` or a path beneath it. This second line of
/// defence catches what a component-wise walk cannot see: a host where links are not
/// reparse points (wine shows a Unix symlink as the file it points to).
pub(super) fn check_beneath(root: &[u16], opened: &Fd) -> Result<(), Errno> {
    let path = final_path(opened.raw())?;
    let fold = |u: u16| match u {
        0x41..=0x5a => u + 0x20,
        _ => u,
    };
    let prefix =
        path.len() >= root.len() && path.iter().zip(root).all(|(&a, &b)| fold(a) == fold(b));
    let separator = b'\\' as u16;
    let boundary = || {
        path.len() == root.len() || root.last() == Some(&separator) || path[root.len()] == separator
    };
    if prefix && boundary() {
        Ok(())
    } else {
        Err(errno::PERM)
    }
}

/// The directory an [`Entry`] is in: the starting directory or one opened beneath it.
pub(super) enum Dir {
    Start(Handle),
    Opened(Fd),
}

impl Dir {
    pub(super) fn raw(&self) -> Handle {
        match self {
            Dir::Start(h) => *h,
            Dir::Opened(fd) => fd.raw(),
        }
    }
}

/// The last component of a resolved path and the directory that holds it.
pub(super) struct Entry {
    pub(super) dir: Dir,
    /// One component; empty when the path names `dir` itself (it ended with `.` or `..`).
    pub(super) name: Vec<u16>,
    /// The path ended with `/` (or `/.`): it must name a directory.
    pub(super) trailing_slash: bool,
    /// Where the starting directory resolves to: everything opened must be beneath.
    pub(super) root: Vec<u16>,
}

/// Resolves `path` beneath `start` up to its last component (see the module comment).
pub(super) fn resolve(start: Handle, path: &[u8]) -> Result<Entry, Errno> {
    match path {
        [] => return Err(errno::NOENT),
        _ if path.len() >= PATH_MAX => return Err(errno::NAMETOOLONG),
        _ if path.contains(&0) => return Err(errno::INVAL),
        [b'/', ..] => return Err(errno::PERM),
        _ => {}
    }
    let text = core::str::from_utf8(path).map_err(|_| errno::ILSEQ)?;
    let trailing_slash = text.ends_with('/') || text.ends_with("/.") || text == ".";
    let mut components: Vec<&str> = text
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let last = components.pop();
    let root = final_path(start)?;
    let mut walked: Vec<Fd> = Vec::new();
    for component in components {
        if component == ".." {
            walked.pop().ok_or(errno::PERM)?;
            continue;
        }
        let here = walked.last().map_or(start, Fd::raw);
        let next = nt_open(
            here,
            &wide_name(component)?,
            FILE_READ_ATTRIBUTES,
            FILE_OPEN,
            FILE_DIRECTORY_FILE | FILE_OPEN_REPARSE_POINT,
        )?;
        if Info::of(next.raw())?.is_reparse_point() {
            return Err(errno::PERM);
        }
        check_beneath(&root, &next)?;
        walked.push(next);
    }
    let name = match last {
        None => Vec::new(),
        Some("..") => {
            walked.pop().ok_or(errno::PERM)?;
            Vec::new()
        }
        Some(component) => wide_name(component)?,
    };
    let dir = match walked.pop() {
        Some(fd) => Dir::Opened(fd),
        None => Dir::Start(start),
    };
    Ok(Entry {
        dir,
        name,
        trailing_slash,
        root,
    })
}

impl Entry {
    /// Opens the entry itself (a final reparse point is not followed) and checks that it
    /// is beneath the starting directory before anything is changed: creating is always
    /// `FILE_CREATE` (which follows no link, dangling or not), and truncating is done on
    /// the checked handle, never by the open.
    pub(super) fn open(&self, access: u32, disposition: u32, options: u32) -> Result<Fd, Errno> {
        let options = options
            | FILE_OPEN_REPARSE_POINT
            | if self.trailing_slash {
                FILE_DIRECTORY_FILE
            } else {
                0
            };
        let at = |disposition| nt_open(self.dir.raw(), &self.name, access, disposition, options);
        let (create, truncate) = match disposition {
            FILE_OPEN_IF => (true, false),
            FILE_OVERWRITE => (false, true),
            FILE_OVERWRITE_IF => (true, true),
            _ => (false, false),
        };
        let file = if disposition == FILE_CREATE {
            at(FILE_CREATE)?
        } else {
            match at(FILE_OPEN) {
                Err(errno::NOENT) if create => match at(FILE_CREATE) {
                    // Created by someone else meanwhile: open that one.
                    Err(errno::EXIST) => at(FILE_OPEN)?,
                    other => other?,
                },
                other => other?,
            }
        };
        check_beneath(&self.root, &file)?;
        if truncate {
            if Info::of(file.raw())?.is_dir() {
                return Err(errno::ISDIR);
            }
            set_file_size(file.raw(), 0)?;
        }
        Ok(file)
    }

    pub(super) fn info(&self) -> Result<Info, Errno> {
        Info::of(self.open(FILE_READ_ATTRIBUTES, FILE_OPEN, 0)?.raw())
    }
}

/// Marks an open file for deletion: with POSIX semantics (the name goes at once, even
/// while other handles are open; read-only files too) where Windows has them, else the
/// classic way (the name goes when the last handle closes).
pub(super) fn delete(file: &Fd) -> Result<(), Errno> {
    let mut io = IoStatusBlock::default();
    let flags = FILE_DISPOSITION_DELETE
        | FILE_DISPOSITION_POSIX_SEMANTICS
        | FILE_DISPOSITION_IGNORE_READONLY;
    // SAFETY: `flags` is a FILE_DISPOSITION_INFORMATION_EX; `io` is writable.
    let status = unsafe {
        NtSetInformationFile(
            file.raw(),
            &mut io,
            (&flags as *const u32).cast(),
            4,
            FILE_DISPOSITION_INFORMATION_EX,
        )
    };
    match nt_errno(status) {
        _ if status >= 0 => Ok(()),
        errno::NOTSUP | errno::INVAL => {
            let delete_file: u32 = 1;
            // SAFETY: FILE_DISPOSITION_INFORMATION is one BOOLEAN (padded here).
            check_nt(unsafe {
                NtSetInformationFile(
                    file.raw(),
                    &mut io,
                    (&delete_file as *const u32).cast(),
                    1,
                    FILE_DISPOSITION_INFORMATION,
                )
            })
        }
        e => Err(e),
    }
}

/// Gives `file` a new name `to` (rename) or another name (hard link, `link`) in the
/// directory `to` is in.
pub(super) fn set_name(file: &Fd, to: &Entry, replace: bool, link: bool) -> Result<(), Errno> {
    // FILE_RENAME_INFORMATION / FILE_LINK_INFORMATION: ReplaceIfExists (padded to 8),
    // RootDirectory, FileNameLength (bytes), FileName.
    let header = 8 + core::mem::size_of::<Handle>() + 4;
    let mut info = vec![0u8; header + to.name.len() * 2 + 8];
    info[0] = u8::from(replace);
    info[8..8 + core::mem::size_of::<Handle>()]
        .copy_from_slice(&(to.dir.raw() as usize).to_ne_bytes());
    info[header - 4..header].copy_from_slice(&((to.name.len() * 2) as u32).to_ne_bytes());
    for (i, unit) in to.name.iter().enumerate() {
        info[header + 2 * i..header + 2 * i + 2].copy_from_slice(&unit.to_ne_bytes());
    }
    let class = if link {
        FILE_LINK_INFORMATION
    } else {
        FILE_RENAME_INFORMATION
    };
    let mut io = IoStatusBlock::default();
    // The buffer is read as a structure with pointer alignment.
    let aligned: Vec<u64> = info
        .chunks(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            u64::from_ne_bytes(b)
        })
        .collect();
    // SAFETY: `aligned` holds the structure described above, `info.len()` bytes.
    check_nt(unsafe {
        NtSetInformationFile(
            file.raw(),
            &mut io,
            aligned.as_ptr().cast(),
            info.len() as u32,
            class,
        )
    })
}

/// The entries of directory `h` without `.` and `..`, in the file system's order.
pub(super) fn list_dir(h: Handle) -> Result<Vec<DirEntry>, Errno> {
    let mut buffer = vec![0u64; 8192]; // 64 KiB, 8-byte aligned
    let mut entries = Vec::new();
    let mut restart = 1u8;
    loop {
        let mut io = IoStatusBlock::default();
        // SAFETY: `buffer` is writable for its length; the other pointers are null or live.
        let status = unsafe {
            NtQueryDirectoryFile(
                h,
                ptr::null_mut(),
                ptr::null(),
                ptr::null(),
                &mut io,
                buffer.as_mut_ptr().cast(),
                (buffer.len() * 8) as u32,
                FILE_ID_BOTH_DIRECTORY_INFORMATION,
                0,
                ptr::null(),
                restart,
            )
        };
        if status == STATUS_NO_MORE_FILES {
            return Ok(entries);
        }
        check_nt(status)?;
        restart = 0;
        // SAFETY: the call filled `io.information` bytes of `buffer`.
        let bytes: &[u8] = unsafe {
            core::slice::from_raw_parts(
                buffer.as_ptr().cast(),
                io.information.min(buffer.len() * 8),
            )
        };
        let mut at = 0usize;
        loop {
            let record = &bytes[at..];
            let u32_at = |o: usize| u32::from_le_bytes(record[o..o + 4].try_into().unwrap());
            let next = u32_at(0) as usize;
            let attributes = u32_at(56);
            let name_len = u32_at(60) as usize;
            let id = u64::from_le_bytes(record[96..104].try_into().unwrap());
            let units: Vec<u16> = record[104..104 + name_len]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            if units != [0x2e] && units != [0x2e, 0x2e] {
                let name: String = char::decode_utf16(units)
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect();
                entries.push(DirEntry {
                    name: name.into_bytes(),
                    ino: id,
                    filetype: attributes_filetype(attributes),
                });
            }
            if next == 0 {
                break;
            }
            at += next;
        }
    }
}

/// `.`, `..` (both with the directory's own file id, as on Unix), then the entries.
pub(crate) fn listing(dir: &FdEntry) -> Result<Vec<DirEntry>, Errno> {
    let index = Info::of(handle(dir))?.index;
    let dot = |name: &[u8]| DirEntry {
        name: name.to_vec(),
        ino: index,
        filetype: filetype::DIRECTORY,
    };
    let mut all = vec![dot(b"."), dot(b"..")];
    all.extend(list_dir(handle(dir))?);
    Ok(all)
}

/// Opens a granted host directory for a preopen (a relative path from the working
/// directory). A file is refused with `ERROR_DIRECTORY`.
pub(crate) fn open_granted_dir(host: &str) -> Result<Fd, OsError> {
    let name: Vec<u16> = host.encode_utf16().chain([0]).collect();
    // SAFETY: `name` is NUL-terminated; the other arguments are constants or null.
    let h = unsafe {
        CreateFileW(
            name.as_ptr(),
            FILE_READ_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
            FILE_SHARE_ALL,
            ptr::null_mut(),
            OPEN_EXISTING,
            FILE_FLAG_BACKUP_SEMANTICS,
            ptr::null_mut(),
        )
    };
    if h == INVALID_HANDLE_VALUE {
        return Err(OsError::last());
    }
    // SAFETY: a new handle, owned by nothing else.
    let dir = unsafe { Fd::from_raw(h) };
    match Info::of(dir.raw()) {
        Ok(info) if info.is_dir() => Ok(dir),
        Ok(_) => Err(OsError(ERROR_DIRECTORY)),
        Err(_) => Err(OsError::last()),
    }
}
