//! The Windows primitives under the shared guest-facing WASI layer (`io.rs`, `fd.rs`,
//! `path.rs`, which check descriptors, rights and guest memory): reading and writing,
//! descriptor state, and paths resolved beneath granted directories, all on handles in
//! the shared descriptor table ([`super::state`]). The Unix versions are in `unix_fs.rs`.
//!
//! The sandbox: a guest path is resolved beneath the directory handle it is relative to,
//! one component at a time, each opened with `NtCreateFile` relative to the handle of the
//! directory reached so far (`OBJECT_ATTRIBUTES.RootDirectory`); no host path string is
//! ever built. So:
//! - an absolute path is `EPERM`; `..` goes back to the handle the walk came from, and is
//!   `EPERM` at the starting directory (the handles are the directories walked, so one
//!   moved meanwhile cannot lead outside);
//! - reparse points (symbolic links, junctions, mount points) are never followed: every
//!   component is opened with `FILE_OPEN_REPARSE_POINT`, passing through one is `EPERM`,
//!   and a final one is acted on itself (`path_filestat_get` reports a symbolic link);
//! - a component holding `\` or `:` (which would name an alternate data stream) is
//!   `EINVAL`. DOS device names (`CON`, `NUL`) are ordinary names to `NtCreateFile`.
//!
//! Files are opened sharing read, write and delete, and removed with POSIX semantics where
//! Windows has them (Windows 10 1809+), so open files behave much as on Linux. Not
//! supported, answered `ENOTSUP`: creating symbolic links (Windows wants a privilege for
//! it), reading reparse points, and `NONBLOCK`.
//!
//! All `unsafe` calls of the Windows file APIs live in this module.

use super::dirs::{DirEntry, OpenRights};
use super::guest::GuestBuf;
use super::io::Whence;
use super::state::{with_state, FdEntry, Kind};
use super::types::{
    errno, fdflags, filetype, fstflags, oflags, rights, Errno, FILESTAT_SIZE, PATH_MAX,
};
use crate::prelude::*;
use crate::sys::{Fd, Handle, OsError, RawHost};
use core::ffi::c_void;
use core::ptr;

#[repr(C)]
struct UnicodeString {
    length: u16,
    maximum_length: u16,
    buffer: *const u16,
}

#[repr(C)]
struct ObjectAttributes {
    length: u32,
    root_directory: Handle,
    object_name: *const UnicodeString,
    attributes: u32,
    security_descriptor: *mut c_void,
    security_quality_of_service: *mut c_void,
}

#[repr(C)]
#[derive(Default)]
struct IoStatusBlock {
    status: usize,
    information: usize,
}

#[repr(C)]
#[derive(Default)]
struct Overlapped {
    internal: usize,
    internal_high: usize,
    offset: u32,
    offset_high: u32,
    event: usize,
}

#[link(name = "ntdll")]
extern "system" {
    fn NtCreateFile(
        handle: *mut Handle,
        access: u32,
        attributes: *const ObjectAttributes,
        io: *mut IoStatusBlock,
        allocation_size: *const i64,
        file_attributes: u32,
        share: u32,
        disposition: u32,
        options: u32,
        ea: *const c_void,
        ea_length: u32,
    ) -> i32;
    fn NtSetInformationFile(
        handle: Handle,
        io: *mut IoStatusBlock,
        info: *const c_void,
        length: u32,
        class: u32,
    ) -> i32;
    fn NtQueryInformationFile(
        handle: Handle,
        io: *mut IoStatusBlock,
        info: *mut c_void,
        length: u32,
        class: u32,
    ) -> i32;
    #[allow(clippy::too_many_arguments)]
    fn NtQueryDirectoryFile(
        handle: Handle,
        event: Handle,
        apc: *const c_void,
        apc_context: *const c_void,
        io: *mut IoStatusBlock,
        buffer: *mut c_void,
        length: u32,
        class: u32,
        single_entry: u8,
        name: *const UnicodeString,
        restart: u8,
    ) -> i32;
}

#[link(name = "kernel32")]
extern "system" {
    fn CreateFileW(
        name: *const u16,
        access: u32,
        share: u32,
        security: *mut c_void,
        disposition: u32,
        flags: u32,
        template: Handle,
    ) -> Handle;
    fn ReadFile(file: Handle, buf: *mut u8, len: u32, done: *mut u32, ov: *mut c_void) -> i32;
    fn WriteFile(file: Handle, buf: *const u8, len: u32, done: *mut u32, ov: *mut c_void) -> i32;
    fn SetFilePointerEx(file: Handle, distance: i64, new: *mut i64, method: u32) -> i32;
    fn GetFileInformationByHandle(file: Handle, info: *mut [u32; 13]) -> i32;
    fn SetFileInformationByHandle(file: Handle, class: u32, info: *const c_void, len: u32) -> i32;
    fn SetFileTime(
        file: Handle,
        creation: *const u64,
        access: *const u64,
        write: *const u64,
    ) -> i32;
    fn FlushFileBuffers(file: Handle) -> i32;
    fn GetFileType(file: Handle) -> u32;
    fn GetSystemTimePreciseAsFileTime(time: *mut u64);
    fn GetFinalPathNameByHandleW(file: Handle, buf: *mut u16, len: u32, flags: u32) -> u32;
}

// Access rights.
const FILE_READ_DATA: u32 = 0x1; // FILE_LIST_DIRECTORY on a directory
const FILE_WRITE_DATA: u32 = 0x2;
const FILE_APPEND_DATA: u32 = 0x4;
const FILE_READ_ATTRIBUTES: u32 = 0x80;
const FILE_WRITE_ATTRIBUTES: u32 = 0x100;
const DELETE: u32 = 0x1_0000;
const SYNCHRONIZE: u32 = 0x10_0000;
const FILE_GENERIC_READ: u32 = 0x12_0089;
const FILE_GENERIC_WRITE: u32 = 0x12_0116;
// FILE_GENERIC_WRITE without FILE_WRITE_DATA: every write goes to the end.
const FILE_GENERIC_APPEND: u32 = FILE_GENERIC_WRITE & !FILE_WRITE_DATA;
const FILE_SHARE_ALL: u32 = 0x7;
// NtCreateFile dispositions and options.
const FILE_OPEN: u32 = 1;
const FILE_CREATE: u32 = 2;
const FILE_OPEN_IF: u32 = 3;
const FILE_OVERWRITE: u32 = 4;
const FILE_OVERWRITE_IF: u32 = 5;
const FILE_DIRECTORY_FILE: u32 = 0x1;
const FILE_WRITE_THROUGH: u32 = 0x2;
const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x20;
const FILE_NON_DIRECTORY_FILE: u32 = 0x40;
const FILE_OPEN_REPARSE_POINT: u32 = 0x20_0000;
const OBJ_CASE_INSENSITIVE: u32 = 0x40;
// File attributes.
const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
const FILE_ATTRIBUTE_NORMAL: u32 = 0x80;
const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
// Information classes (NT and kernel32).
const FILE_RENAME_INFORMATION: u32 = 10;
const FILE_LINK_INFORMATION: u32 = 11;
const FILE_DISPOSITION_INFORMATION: u32 = 13;
const FILE_ACCESS_INFORMATION: u32 = 8;
const FILE_MODE_INFORMATION: u32 = 16;
const FILE_ID_BOTH_DIRECTORY_INFORMATION: u32 = 37;
const FILE_DISPOSITION_INFORMATION_EX: u32 = 64;
const FILE_END_OF_FILE_INFO: u32 = 6;
const FILE_DISPOSITION_DELETE: u32 = 0x1;
const FILE_DISPOSITION_POSIX_SEMANTICS: u32 = 0x2;
const FILE_DISPOSITION_IGNORE_READONLY: u32 = 0x10;
// Others.
const FILE_TYPE_DISK: u32 = 1;
const FILE_TYPE_CHAR: u32 = 2;
const OPEN_EXISTING: u32 = 3;
const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
const INVALID_HANDLE_VALUE: Handle = usize::MAX as Handle;
const ERROR_HANDLE_EOF: i32 = 38;
const ERROR_BROKEN_PIPE: i32 = 109;
const ERROR_DIRECTORY: i32 = 267;
const STATUS_NO_MORE_FILES: i32 = 0x8000_0006_u32 as i32;
/// 100 ns FILETIME ticks from 1601-01-01 to 1970-01-01.
const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

/// The errno for an `NTSTATUS` failure.
fn nt_errno(status: i32) -> Errno {
    match status as u32 {
        // name or path not found, no such file, delete pending
        0xC000_0034 | 0xC000_003A | 0xC000_000F | 0xC000_0056 => errno::NOENT,
        0xC000_0035 => errno::EXIST,               // name collision
        0xC000_0022 | 0xC000_0121 => errno::ACCES, // access denied, cannot delete
        0xC000_0043 => errno::BUSY,                // sharing violation
        0xC000_0103 => errno::NOTDIR,
        0xC000_00BA => errno::ISDIR,
        0xC000_0101 => errno::NOTEMPTY,
        0xC000_00D4 => errno::XDEV,
        0xC000_007F => errno::NOSPC,
        0xC000_0106 => errno::NAMETOOLONG,
        0xC000_0008 => errno::BADF,
        0xC000_009A => errno::NOMEM,
        0xC000_0033 | 0xC000_000D => errno::INVAL, // name invalid, invalid parameter
        0xC000_0002 | 0xC000_0003 | 0xC000_00BB => errno::NOTSUP,
        0xC000_0280 | 0x8000_002D => errno::LOOP, // reparse point not resolved, stopped on symlink
        _ => errno::IO,
    }
}

/// The errno for a Win32 error code (`GetLastError`).
fn win32_errno(e: OsError) -> Errno {
    match e.0 {
        2 | 3 => errno::NOENT,
        5 => errno::ACCES,
        6 => errno::BADF,
        17 => errno::XDEV,
        32 => errno::BUSY,
        80 | 183 => errno::EXIST,
        87 | 131 => errno::INVAL, // invalid parameter, negative seek
        109 | 232 => errno::PIPE,
        112 => errno::NOSPC,
        145 => errno::NOTEMPTY,
        206 => errno::NAMETOOLONG,
        ERROR_DIRECTORY => errno::NOTDIR,
        1 | 50 => errno::NOTSUP,
        _ => errno::IO,
    }
}

fn check_win32(ok: i32) -> Result<(), Errno> {
    if ok == 0 {
        Err(win32_errno(OsError::last()))
    } else {
        Ok(())
    }
}

fn check_nt(status: i32) -> Result<(), Errno> {
    if status < 0 {
        Err(nt_errno(status))
    } else {
        Ok(())
    }
}

fn handle(entry: &FdEntry) -> Handle {
    entry.host as Handle
}

// ---------------------------------------------------------------------------
// The sandbox
// ---------------------------------------------------------------------------

/// One guest path component as a Windows name.
fn wide_name(component: &str) -> Result<Vec<u16>, Errno> {
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
fn nt_open(
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
struct Info {
    attributes: u32,
    access_time: u64,
    write_time: u64,
    volume: u32,
    size: u64,
    links: u32,
    index: u64,
}

impl Info {
    fn of(h: Handle) -> Result<Info, Errno> {
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

    fn is_dir(&self) -> bool {
        self.attributes & FILE_ATTRIBUTE_DIRECTORY != 0
    }

    fn is_reparse_point(&self) -> bool {
        self.attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0
    }

    fn filetype(&self) -> u8 {
        attributes_filetype(self.attributes)
    }
}

fn attributes_filetype(attributes: u32) -> u8 {
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
fn final_path(h: Handle) -> Result<Vec<u16>, Errno> {
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
fn check_beneath(root: &[u16], opened: &Fd) -> Result<(), Errno> {
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
enum Dir {
    Start(Handle),
    Opened(Fd),
}

impl Dir {
    fn raw(&self) -> Handle {
        match self {
            Dir::Start(h) => *h,
            Dir::Opened(fd) => fd.raw(),
        }
    }
}

/// The last component of a resolved path and the directory that holds it.
struct Entry {
    dir: Dir,
    /// One component; empty when the path names `dir` itself (it ended with `.` or `..`).
    name: Vec<u16>,
    /// The path ended with `/` (or `/.`): it must name a directory.
    trailing_slash: bool,
    /// Where the starting directory resolves to: everything opened must be beneath.
    root: Vec<u16>,
}

/// Resolves `path` beneath `start` up to its last component (see the module comment).
fn resolve(start: Handle, path: &[u8]) -> Result<Entry, Errno> {
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
    fn open(&self, access: u32, disposition: u32, options: u32) -> Result<Fd, Errno> {
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

    fn info(&self) -> Result<Info, Errno> {
        Info::of(self.open(FILE_READ_ATTRIBUTES, FILE_OPEN, 0)?.raw())
    }
}

/// Marks an open file for deletion: with POSIX semantics (the name goes at once, even
/// while other handles are open; read-only files too) where Windows has them, else the
/// classic way (the name goes when the last handle closes).
fn delete(file: &Fd) -> Result<(), Errno> {
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
fn set_name(file: &Fd, to: &Entry, replace: bool, link: bool) -> Result<(), Errno> {
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
fn list_dir(h: Handle) -> Result<Vec<DirEntry>, Errno> {
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

// ---------------------------------------------------------------------------
// Times and attributes
// ---------------------------------------------------------------------------

fn filetime_to_nanos(ft: u64) -> u64 {
    ft.saturating_sub(UNIX_EPOCH_FILETIME).saturating_mul(100)
}

fn now_filetime() -> u64 {
    let mut ft = 0u64;
    // SAFETY: `ft` is writable.
    unsafe { GetSystemTimePreciseAsFileTime(&mut ft) };
    ft
}

/// The FILETIMEs (access, write) `fst_flags` asks for; `None` leaves one unchanged.
fn requested_times(atim: u64, mtim: u64, flags: u32) -> Result<[Option<u64>; 2], Errno> {
    let flags = u16::try_from(flags).map_err(|_| errno::INVAL)?;
    let known = fstflags::ATIM | fstflags::ATIM_NOW | fstflags::MTIM | fstflags::MTIM_NOW;
    if flags & !known != 0 {
        return Err(errno::INVAL);
    }
    let pick = |set: u16, now: u16, nanos: u64| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(errno::INVAL),
        (true, false) => Ok(Some(nanos / 100 + UNIX_EPOCH_FILETIME)),
        (false, true) => Ok(Some(now_filetime())),
        (false, false) => Ok(None),
    };
    Ok([
        pick(fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
        pick(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
    ])
}

fn set_handle_times(h: Handle, times: [Option<u64>; 2]) -> Result<(), Errno> {
    let ptr_of = |t: &Option<u64>| t.as_ref().map_or(ptr::null(), |t| t as *const u64);
    // SAFETY: null or pointers to the live FILETIMEs in `times`.
    check_win32(unsafe { SetFileTime(h, ptr::null(), ptr_of(&times[0]), ptr_of(&times[1])) })
}

/// A WASI `filestat` of an open handle; for a console or pipe only its type is known.
fn handle_filestat(h: Handle) -> Result<[u8; FILESTAT_SIZE], Errno> {
    let mut out = [0u8; FILESTAT_SIZE];
    // SAFETY: GetFileType only inspects the handle.
    match unsafe { GetFileType(h) } {
        FILE_TYPE_DISK => {}
        FILE_TYPE_CHAR => {
            out[16] = filetype::CHARACTER_DEVICE;
            return Ok(out);
        }
        _ => return Ok(out),
    }
    let info = Info::of(h)?;
    out[0..8].copy_from_slice(&u64::from(info.volume).to_le_bytes());
    out[8..16].copy_from_slice(&info.index.to_le_bytes());
    out[16] = info.filetype();
    out[24..32].copy_from_slice(&u64::from(info.links).to_le_bytes());
    out[32..40].copy_from_slice(&info.size.to_le_bytes());
    out[40..48].copy_from_slice(&filetime_to_nanos(info.access_time).to_le_bytes());
    out[48..56].copy_from_slice(&filetime_to_nanos(info.write_time).to_le_bytes());
    // Windows keeps no status-change time in this record: the last write stands in.
    out[56..64].copy_from_slice(&filetime_to_nanos(info.write_time).to_le_bytes());
    Ok(out)
}

fn is_disk_file(h: Handle) -> bool {
    // SAFETY: GetFileType only inspects the handle.
    unsafe { GetFileType(h) == FILE_TYPE_DISK }
}

/// Queries a small fixed-size information class of an open file.
fn query_u32(h: Handle, class: u32) -> Result<u32, Errno> {
    let mut value = 0u32;
    let mut io = IoStatusBlock::default();
    // SAFETY: the classes asked for (access, mode) are one 4-byte ULONG.
    check_nt(unsafe {
        NtQueryInformationFile(h, &mut io, (&mut value as *mut u32).cast(), 4, class)
    })?;
    Ok(value)
}

/// Whether `h` was opened to append (it may add data but not overwrite it).
fn appends(h: Handle) -> bool {
    query_u32(h, FILE_ACCESS_INFORMATION)
        .is_ok_and(|access| access & FILE_APPEND_DATA != 0 && access & FILE_WRITE_DATA == 0)
}

/// Whether writes through `h` reach the disk before they return.
fn writes_through(h: Handle) -> bool {
    query_u32(h, FILE_MODE_INFORMATION).is_ok_and(|mode| mode & FILE_WRITE_THROUGH != 0)
}

/// The `fdflags` of an open file: `APPEND`, and `DSYNC | SYNC` when it writes through.
fn file_fdflags(h: Handle) -> u16 {
    let mut flags = 0;
    if appends(h) {
        flags |= fdflags::APPEND;
    }
    if writes_through(h) {
        flags |= fdflags::DSYNC | fdflags::SYNC;
    }
    flags
}

// ---------------------------------------------------------------------------
// Reading, writing, seeking
// ---------------------------------------------------------------------------

/// Reads into each iovec in turn (at `offset`, if given) until one is not filled.
fn read_into(h: Handle, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let mut total = 0u32;
    for &GuestBuf { ptr: p, len } in bufs {
        // The whole list holds at most u32::MAX bytes.
        let len = len as u32;
        let mut done = 0u32;
        let mut at = offset.map(|o| overlapped(o + u64::from(total)));
        let ov = at
            .as_mut()
            .map_or(ptr::null_mut(), |o| (o as *mut Overlapped).cast());
        // SAFETY: `[p, p + len)` is inside guest memory (`GuestMemory::iovecs`).
        if unsafe { ReadFile(h, p, len, &mut done, ov) } == 0 {
            match OsError::last() {
                OsError(ERROR_BROKEN_PIPE | ERROR_HANDLE_EOF) => break,
                e => return Err(win32_errno(e)),
            }
        }
        total = total.saturating_add(done);
        if done < len {
            break;
        }
    }
    Ok(total)
}

/// Writes each iovec in turn (at `offset`, if given).
fn write_from(h: Handle, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let mut total = 0u32;
    for &GuestBuf { ptr: p, len } in bufs {
        let len = len as u32;
        let mut written = 0u32;
        while written < len {
            let mut done = 0u32;
            let mut at = offset.map(|o| overlapped(o + u64::from(total) + u64::from(written)));
            let ov = at
                .as_mut()
                .map_or(ptr::null_mut(), |o| (o as *mut Overlapped).cast());
            // SAFETY: `[p, p + len)` is inside guest memory (`GuestMemory::iovecs`).
            let ok = unsafe { WriteFile(h, p.add(written as usize), len - written, &mut done, ov) };
            check_win32(ok)?;
            written += done;
        }
        total = total.saturating_add(len);
    }
    Ok(total)
}

fn overlapped(offset: u64) -> Overlapped {
    Overlapped {
        offset: offset as u32,
        offset_high: (offset >> 32) as u32,
        ..Overlapped::default()
    }
}

/// Moves the file position; the new position.
fn set_position(h: Handle, offset: i64, method: u32) -> Result<u64, Errno> {
    if !is_disk_file(h) {
        return Err(errno::SPIPE);
    }
    let mut position = 0i64;
    // SAFETY: `position` is writable.
    check_win32(unsafe { SetFilePointerEx(h, offset, &mut position, method) })?;
    Ok(position as u64)
}

/// Runs a positional transfer and puts the file position back where it was (Windows
/// moves it even for a read or write at an explicit offset).
fn at_offset(h: Handle, transfer: impl FnOnce() -> Result<u32, Errno>) -> Result<u32, Errno> {
    let position = set_position(h, 0, 1)?;
    let result = transfer();
    set_position(h, position as i64, 0)?;
    result
}

/// `ReadFile` into each buffer in turn, at `offset` if given (the file position is put
/// back afterwards); the byte count.
pub(crate) fn read(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let h = handle(entry);
    match offset {
        None => read_into(h, bufs, None),
        Some(at) => at_offset(h, || read_into(h, bufs, Some(at))),
    }
}

/// `WriteFile` from each buffer in turn, at `offset` if given (the file position is put
/// back afterwards); the byte count.
pub(crate) fn write(entry: &FdEntry, bufs: &[GuestBuf], offset: Option<u64>) -> Result<u32, Errno> {
    let h = handle(entry);
    match offset {
        None => write_from(h, bufs, None),
        Some(at) => at_offset(h, || write_from(h, bufs, Some(at))),
    }
}

/// Moves the file position (disk files only, else `ESPIPE`); the new position.
pub(crate) fn seek(entry: &FdEntry, offset: i64, from: Whence) -> Result<u64, Errno> {
    let method = match from {
        Whence::Start => 0,
        Whence::Current => 1,
        Whence::End => 2,
    };
    set_position(handle(entry), offset, method)
}

// ---------------------------------------------------------------------------
// Descriptors: the primitives under the shared `fd.rs`
// ---------------------------------------------------------------------------

/// The descriptor's file type and fdflags (files only; others have none).
pub(crate) fn fdstat(entry: &FdEntry) -> Result<(u8, u16), Errno> {
    let h = handle(entry);
    let flags = if entry.kind == Kind::File {
        file_fdflags(h)
    } else {
        0
    };
    Ok((handle_filestat(h)?[16], flags))
}

/// `APPEND` is switched by reopening the file with or without `FILE_WRITE_DATA` (Windows
/// fixes it in the handle's access) at the same position. `NONBLOCK`, which changes
/// nothing for files, consoles or pipes here, is `ENOTSUP`.
pub(crate) fn set_fdflags(fd: u32, entry: &FdEntry, flags: u16) -> Result<(), Errno> {
    if flags & fdflags::NONBLOCK != 0 {
        return Err(errno::NOTSUP);
    }
    let h = handle(entry);
    let append = flags & fdflags::APPEND != 0;
    if entry.kind != Kind::File {
        return if append { Err(errno::NOTSUP) } else { Ok(()) };
    }
    if append == appends(h) {
        return Ok(());
    }
    let access = query_u32(h, FILE_ACCESS_INFORMATION)?;
    let access = if append {
        (access & !FILE_WRITE_DATA) | FILE_APPEND_DATA
    } else {
        access | FILE_WRITE_DATA
    };
    let options = if writes_through(h) {
        FILE_WRITE_THROUGH
    } else {
        0
    };
    // An empty name relative to the file's own handle opens the file again.
    let reopened = nt_open(h, &[], access, FILE_OPEN, options)?;
    set_position(reopened.raw(), set_position(h, 0, 1)? as i64, 0)?;
    let old = with_state(|s| s.fds.set_host(fd, reopened.into_raw()))?;
    // SAFETY: the table owned the old handle and has let go of it.
    unsafe { crate::sys::close_host(old) };
    Ok(())
}

fn set_file_size(h: Handle, size: u64) -> Result<(), Errno> {
    let size = i64::try_from(size).map_err(|_| errno::FBIG)?;
    // SAFETY: FILE_END_OF_FILE_INFO is one LARGE_INTEGER.
    check_win32(unsafe {
        SetFileInformationByHandle(h, FILE_END_OF_FILE_INFO, (&size as *const i64).cast(), 8)
    })
}

pub(crate) fn filestat(entry: &FdEntry) -> Result<[u8; FILESTAT_SIZE], Errno> {
    handle_filestat(handle(entry))
}

/// Sets a file's size (only files have one: `EINVAL` otherwise).
pub(crate) fn set_size(entry: &FdEntry, size: u64) -> Result<(), Errno> {
    if entry.kind != Kind::File {
        return Err(errno::INVAL);
    }
    set_file_size(handle(entry), size)
}

pub(crate) fn set_times(entry: &FdEntry, atim: u64, mtim: u64, flags: u32) -> Result<(), Errno> {
    set_handle_times(handle(entry), requested_times(atim, mtim, flags)?)
}

/// Extends the file to `offset + len` if it is shorter (as `posix_fallocate`).
pub(crate) fn allocate(entry: &FdEntry, offset: u64, len: u64) -> Result<(), Errno> {
    if len == 0 {
        return Err(errno::INVAL);
    }
    if entry.kind != Kind::File {
        return Err(errno::NODEV);
    }
    let end = offset.checked_add(len).ok_or(errno::FBIG)?;
    let h = handle(entry);
    if end > Info::of(h)?.size {
        set_file_size(h, end)?;
    }
    Ok(())
}

/// Advice is only advice: nothing to do (the shared layer checked it).
pub(crate) fn advise(_entry: &FdEntry, _offset: u64, _len: u64, _how: u8) -> Result<(), Errno> {
    Ok(())
}

/// Flushes a file to disk (data and metadata alike). A directory has nothing to flush,
/// and a handle opened only to read has no data of its own in flight (Windows refuses to
/// flush it: Linux accepts).
pub(crate) fn sync(entry: &FdEntry, _data_only: bool) -> Result<(), Errno> {
    let h = handle(entry);
    if !is_disk_file(h) {
        return Err(errno::INVAL);
    }
    if entry.kind == Kind::Directory {
        return Ok(());
    }
    // SAFETY: FlushFileBuffers only needs a valid handle.
    match check_win32(unsafe { FlushFileBuffers(h) }) {
        Err(errno::ACCES) => Ok(()),
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Paths: the primitives under the shared `path.rs`
// ---------------------------------------------------------------------------

pub(crate) fn create_directory(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    if entry.name.is_empty() {
        return Err(errno::EXIST);
    }
    entry
        .open(FILE_READ_ATTRIBUTES, FILE_CREATE, FILE_DIRECTORY_FILE)
        .map(drop)
}

pub(crate) fn path_filestat(
    dir: &FdEntry,
    path: &[u8],
    follow: bool,
) -> Result<[u8; FILESTAT_SIZE], Errno> {
    let entry = resolve(handle(dir), path)?;
    let file = entry.open(FILE_READ_ATTRIBUTES, FILE_OPEN, 0)?;
    let stat = handle_filestat(file.raw())?;
    if follow && stat[16] == filetype::SYMBOLIC_LINK {
        // Following it could leave the sandbox: reparse points are never followed.
        return Err(errno::PERM);
    }
    Ok(stat)
}

/// Timestamps to set, as `FILETIME`s (`None`: leave it).
pub(crate) type Times = [Option<u64>; 2];

/// Checks `fst_flags` and turns the request into [`Times`].
pub(crate) fn times(atim: u64, mtim: u64, fst_flags: u32) -> Result<Times, Errno> {
    requested_times(atim, mtim, fst_flags)
}

pub(crate) fn set_path_times(
    dir: &FdEntry,
    path: &[u8],
    follow: bool,
    times: Times,
) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    let file = entry.open(FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN, 0)?;
    if follow && Info::of(file.raw())?.is_reparse_point() {
        return Err(errno::PERM);
    }
    set_handle_times(file.raw(), times)
}

pub(crate) fn link(
    old_dir: &FdEntry,
    old_path: &[u8],
    new_dir: &FdEntry,
    new_path: &[u8],
) -> Result<(), Errno> {
    let old = resolve(handle(old_dir), old_path)?;
    let new = resolve(handle(new_dir), new_path)?;
    if new.name.is_empty() || new.trailing_slash {
        return Err(errno::EXIST);
    }
    let file = match old.open(FILE_READ_ATTRIBUTES, FILE_OPEN, FILE_NON_DIRECTORY_FILE) {
        // Directories cannot be hard-linked.
        Err(errno::ISDIR) => return Err(errno::PERM),
        other => other?,
    };
    set_name(&file, &new, false, true)
}

/// How `path_open` opens: NtCreateFile's access, disposition and options.
struct OpenRequest {
    access: u32,
    disposition: u32,
    options: u32,
}

/// NtCreateFile's arguments for `path_open`'s checked arguments ([`super::dirs::open_rights`]).
fn open_request(checked: &OpenRights) -> OpenRequest {
    let &OpenRights {
        oflags: of,
        fdflags: ff,
        read,
        write,
        base,
        ..
    } = checked;
    let mut access = FILE_READ_ATTRIBUTES;
    if read {
        access |= FILE_GENERIC_READ;
    }
    if write {
        access |= if ff & fdflags::APPEND != 0 {
            FILE_GENERIC_APPEND
        } else {
            FILE_GENERIC_WRITE
        };
    }
    if base & rights::FD_FILESTAT_SET_TIMES != 0 {
        access |= FILE_WRITE_ATTRIBUTES;
    }
    if of & oflags::TRUNC != 0 {
        // Truncating is a write to the checked handle (see `Entry::open`).
        access |= FILE_WRITE_DATA;
    }
    let disposition = match (
        of & oflags::CREAT != 0,
        of & oflags::EXCL != 0,
        of & oflags::TRUNC != 0,
    ) {
        (true, true, _) => FILE_CREATE,
        (true, false, true) => FILE_OVERWRITE_IF,
        (true, false, false) => FILE_OPEN_IF,
        (false, _, true) => FILE_OVERWRITE,
        (false, _, false) => FILE_OPEN,
    };
    let mut options = if of & oflags::DIRECTORY != 0 {
        FILE_DIRECTORY_FILE
    } else {
        0
    };
    if ff & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
        options |= FILE_WRITE_THROUGH;
    }
    OpenRequest {
        access,
        disposition,
        options,
    }
}

/// Opens `path` beneath `dir` as `path_open`'s checked arguments ([`super::dirs::open_rights`]) ask:
/// the new handle and what it is.
pub(crate) fn open(
    dir: &FdEntry,
    path: &[u8],
    checked: &OpenRights,
) -> Result<(RawHost, Kind), Errno> {
    let req = open_request(checked);
    let entry = resolve(handle(dir), path)?;
    if entry.trailing_slash && checked.oflags & oflags::CREAT != 0 {
        // Only a directory can be named with a trailing `/`, and this creates files.
        return Err(errno::ISDIR);
    }
    let file = entry.open(req.access, req.disposition, req.options)?;
    let info = Info::of(file.raw())?;
    if info.is_reparse_point() {
        // Never followed; not following it means not opening it (as O_NOFOLLOW).
        return Err(if checked.follow {
            errno::PERM
        } else {
            errno::LOOP
        });
    }
    let kind = if info.is_dir() {
        if checked.write {
            return Err(errno::ISDIR);
        }
        Kind::Directory
    } else {
        Kind::File
    };
    Ok((file.into_raw() as RawHost, kind))
}

/// Reparse points are never read (nor followed): `ENOTSUP` for one, `EINVAL` for
/// anything else, as for a file that is not a symbolic link.
pub(crate) fn readlink(dir: &FdEntry, path: &[u8]) -> Result<Vec<u8>, Errno> {
    if resolve(handle(dir), path)?.info()?.is_reparse_point() {
        Err(errno::NOTSUP)
    } else {
        Err(errno::INVAL)
    }
}

pub(crate) fn remove_directory(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    if entry.name.is_empty() {
        return Err(errno::INVAL);
    }
    let file = entry.open(
        DELETE | FILE_READ_ATTRIBUTES,
        FILE_OPEN,
        FILE_DIRECTORY_FILE,
    )?;
    delete(&file)
}

pub(crate) fn unlink_file(dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    let entry = resolve(handle(dir), path)?;
    if entry.name.is_empty() {
        return Err(errno::ISDIR);
    }
    if entry.trailing_slash {
        // `x/` names a directory: one is not unlinked, anything else is not one.
        return Err(if entry.info()?.is_dir() {
            errno::ISDIR
        } else {
            errno::NOTDIR
        });
    }
    let file = entry.open(
        DELETE | FILE_READ_ATTRIBUTES,
        FILE_OPEN,
        FILE_NON_DIRECTORY_FILE,
    )?;
    delete(&file)
}

/// Renames with POSIX's rules where Windows' differ: a directory may replace an empty
/// directory (which is removed first), and the kinds of source and target must agree.
pub(crate) fn rename(
    old_dir: &FdEntry,
    old_path: &[u8],
    new_dir: &FdEntry,
    new_path: &[u8],
) -> Result<(), Errno> {
    let old = resolve(handle(old_dir), old_path)?;
    let new = resolve(handle(new_dir), new_path)?;
    if old.name.is_empty() || new.name.is_empty() {
        return Err(errno::BUSY);
    }
    let file = old.open(DELETE | FILE_READ_ATTRIBUTES, FILE_OPEN, 0)?;
    let source = Info::of(file.raw())?;
    if new.trailing_slash && !source.is_dir() {
        return Err(errno::NOTDIR);
    }
    match new.open(DELETE | FILE_READ_DATA | FILE_READ_ATTRIBUTES, FILE_OPEN, 0) {
        Err(errno::NOENT) => {}
        Err(e) => return Err(e),
        Ok(target) => {
            let existing = Info::of(target.raw())?;
            if (existing.volume, existing.index) == (source.volume, source.index) {
                return Ok(()); // the same file: nothing to do
            }
            match (source.is_dir(), existing.is_dir()) {
                (true, false) => return Err(errno::NOTDIR),
                (false, true) => return Err(errno::ISDIR),
                (true, true) => {
                    if !list_dir(target.raw())?.is_empty() {
                        return Err(errno::NOTEMPTY);
                    }
                    delete(&target)?;
                }
                (false, false) => {}
            }
        }
    }
    set_name(&file, &new, true, false)
}

/// Symbolic links cannot be made: Windows wants a privilege (or developer mode) for them.
/// What would be refused anyway is refused first, as on Unix: a link path outside the
/// directory is `EPERM` (the shared layer refused absolute targets).
pub(crate) fn symlink(_target: &[u8], dir: &FdEntry, path: &[u8]) -> Result<(), Errno> {
    resolve(handle(dir), path)?;
    Err(errno::NOTSUP)
}
