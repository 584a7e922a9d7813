//! The Windows API under the WASI file primitives: the NT and kernel32 declarations,
//! their constants, and the errno each failure becomes.

use super::super::types::{errno, Errno};
use crate::sys::{Handle, OsError};
use core::ffi::c_void;

#[repr(C)]
pub(super) struct UnicodeString {
    pub(super) length: u16,
    pub(super) maximum_length: u16,
    pub(super) buffer: *const u16,
}

#[repr(C)]
pub(super) struct ObjectAttributes {
    pub(super) length: u32,
    pub(super) root_directory: Handle,
    pub(super) object_name: *const UnicodeString,
    pub(super) attributes: u32,
    pub(super) security_descriptor: *mut c_void,
    pub(super) security_quality_of_service: *mut c_void,
}

#[repr(C)]
#[derive(Default)]
pub(super) struct IoStatusBlock {
    pub(super) status: usize,
    pub(super) information: usize,
}

#[repr(C)]
#[derive(Default)]
pub(super) struct Overlapped {
    pub(super) internal: usize,
    pub(super) internal_high: usize,
    pub(super) offset: u32,
    pub(super) offset_high: u32,
    pub(super) event: usize,
}

#[link(name = "ntdll")]
extern "system" {
    pub(super) fn NtCreateFile(
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
    pub(super) fn NtSetInformationFile(
        handle: Handle,
        io: *mut IoStatusBlock,
        info: *const c_void,
        length: u32,
        class: u32,
    ) -> i32;
    pub(super) fn NtQueryInformationFile(
        handle: Handle,
        io: *mut IoStatusBlock,
        info: *mut c_void,
        length: u32,
        class: u32,
    ) -> i32;
    #[allow(clippy::too_many_arguments)]
    pub(super) fn NtQueryDirectoryFile(
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
    pub(super) fn CreateFileW(
        name: *const u16,
        access: u32,
        share: u32,
        security: *mut c_void,
        disposition: u32,
        flags: u32,
        template: Handle,
    ) -> Handle;
    pub(super) fn ReadFile(
        file: Handle,
        buf: *mut u8,
        len: u32,
        done: *mut u32,
        ov: *mut c_void,
    ) -> i32;
    pub(super) fn WriteFile(
        file: Handle,
        buf: *const u8,
        len: u32,
        done: *mut u32,
        ov: *mut c_void,
    ) -> i32;
    pub(super) fn SetFilePointerEx(file: Handle, distance: i64, new: *mut i64, method: u32) -> i32;
    pub(super) fn GetFileInformationByHandle(file: Handle, info: *mut [u32; 13]) -> i32;
    pub(super) fn SetFileInformationByHandle(
        file: Handle,
        class: u32,
        info: *const c_void,
        len: u32,
    ) -> i32;
    pub(super) fn SetFileTime(
        file: Handle,
        creation: *const u64,
        access: *const u64,
        write: *const u64,
    ) -> i32;
    pub(super) fn FlushFileBuffers(file: Handle) -> i32;
    pub(super) fn GetFileType(file: Handle) -> u32;
    pub(super) fn GetSystemTimePreciseAsFileTime(time: *mut u64);
    pub(super) fn GetFinalPathNameByHandleW(
        file: Handle,
        buf: *mut u16,
        len: u32,
        flags: u32,
    ) -> u32;
}

// Access rights.
pub(super) const FILE_READ_DATA: u32 = 0x1; // FILE_LIST_DIRECTORY on a directory
pub(super) const FILE_WRITE_DATA: u32 = 0x2;
pub(super) const FILE_APPEND_DATA: u32 = 0x4;
pub(super) const FILE_READ_ATTRIBUTES: u32 = 0x80;
pub(super) const FILE_WRITE_ATTRIBUTES: u32 = 0x100;
pub(super) const DELETE: u32 = 0x1_0000;
pub(super) const SYNCHRONIZE: u32 = 0x10_0000;
pub(super) const FILE_GENERIC_READ: u32 = 0x12_0089;
pub(super) const FILE_GENERIC_WRITE: u32 = 0x12_0116;
// FILE_GENERIC_WRITE without FILE_WRITE_DATA: every write goes to the end.
pub(super) const FILE_GENERIC_APPEND: u32 = FILE_GENERIC_WRITE & !FILE_WRITE_DATA;
pub(super) const FILE_SHARE_ALL: u32 = 0x7;
// NtCreateFile dispositions and options.
pub(super) const FILE_OPEN: u32 = 1;
pub(super) const FILE_CREATE: u32 = 2;
pub(super) const FILE_OPEN_IF: u32 = 3;
pub(super) const FILE_OVERWRITE: u32 = 4;
pub(super) const FILE_OVERWRITE_IF: u32 = 5;
pub(super) const FILE_DIRECTORY_FILE: u32 = 0x1;
pub(super) const FILE_WRITE_THROUGH: u32 = 0x2;
pub(super) const FILE_SYNCHRONOUS_IO_NONALERT: u32 = 0x20;
pub(super) const FILE_NON_DIRECTORY_FILE: u32 = 0x40;
pub(super) const FILE_OPEN_REPARSE_POINT: u32 = 0x20_0000;
pub(super) const OBJ_CASE_INSENSITIVE: u32 = 0x40;
// File attributes.
pub(super) const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
pub(super) const FILE_ATTRIBUTE_NORMAL: u32 = 0x80;
pub(super) const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
// Information classes (NT and kernel32).
pub(super) const FILE_RENAME_INFORMATION: u32 = 10;
pub(super) const FILE_LINK_INFORMATION: u32 = 11;
pub(super) const FILE_DISPOSITION_INFORMATION: u32 = 13;
pub(super) const FILE_ACCESS_INFORMATION: u32 = 8;
pub(super) const FILE_MODE_INFORMATION: u32 = 16;
pub(super) const FILE_ID_BOTH_DIRECTORY_INFORMATION: u32 = 37;
pub(super) const FILE_DISPOSITION_INFORMATION_EX: u32 = 64;
pub(super) const FILE_END_OF_FILE_INFO: u32 = 6;
pub(super) const FILE_DISPOSITION_DELETE: u32 = 0x1;
pub(super) const FILE_DISPOSITION_POSIX_SEMANTICS: u32 = 0x2;
pub(super) const FILE_DISPOSITION_IGNORE_READONLY: u32 = 0x10;
// Others.
pub(super) const FILE_TYPE_DISK: u32 = 1;
pub(super) const FILE_TYPE_CHAR: u32 = 2;
pub(super) const OPEN_EXISTING: u32 = 3;
pub(super) const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
pub(super) const INVALID_HANDLE_VALUE: Handle = usize::MAX as Handle;
pub(super) const ERROR_HANDLE_EOF: i32 = 38;
pub(super) const ERROR_BROKEN_PIPE: i32 = 109;
pub(super) const ERROR_DIRECTORY: i32 = 267;
pub(super) const STATUS_NO_MORE_FILES: i32 = 0x8000_0006_u32 as i32;
/// 100 ns FILETIME ticks from 1601-01-01 to 1970-01-01.
pub(super) const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

/// The errno for an `NTSTATUS` failure.
pub(super) fn nt_errno(status: i32) -> Errno {
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
pub(super) fn win32_errno(e: OsError) -> Errno {
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

pub(super) fn check_win32(ok: i32) -> Result<(), Errno> {
    if ok == 0 {
        Err(win32_errno(OsError::last()))
    } else {
        Ok(())
    }
}

pub(super) fn check_nt(status: i32) -> Result<(), Errno> {
    if status < 0 {
        Err(nt_errno(status))
    } else {
        Ok(())
    }
}
