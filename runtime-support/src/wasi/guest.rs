//! Checked access to the calling instance's linear memory. Every guest pointer/length goes
//! through [`GuestMemory::ptr`] (u64 arithmetic), so a bad one is `EFAULT`, never a host
//! crash. Access is by raw copies, never Rust references into guest memory: guest buffers
//! may overlap each other arbitrarily.

use super::types::{errno, Errno, IOVEC_SIZE, PATH_MAX};
use crate::prelude::*;
use core::ptr;
use kiln_abi::VMContext;

pub(crate) struct GuestMemory {
    base: *mut u8,
    len: u64,
}

/// `writev`/`readv` take at most this many buffers; a longer list is a short transfer.
const MAX_IOVECS: usize = 1024;

/// One buffer of a guest's iovec list, checked to lie in guest memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GuestBuf {
    pub ptr: *mut u8,
    pub len: usize,
}

impl GuestMemory {
    /// The memory of the instance owning `vmctx`; `EFAULT` if it has none.
    ///
    /// # Safety
    /// `vmctx` must be null or the context of a live instance.
    pub unsafe fn of(vmctx: *mut VMContext) -> Result<GuestMemory, Errno> {
        // SAFETY: caller's contract; `memory` is null or a live VMMemory.
        let memory = unsafe { vmctx.as_ref().and_then(|v| v.memory.as_ref()) };
        match memory {
            Some(m) if !m.base.is_null() => Ok(GuestMemory {
                base: m.base,
                len: m.length,
            }),
            _ => Err(errno::FAULT),
        }
    }

    /// The host address of guest range `[addr, addr + len)`, if it is inside the memory.
    pub fn ptr(&self, addr: u64, len: u64) -> Result<*mut u8, Errno> {
        match addr.checked_add(len) {
            Some(end) if end <= self.len => Ok(self.base.wrapping_add(addr as usize)),
            _ => Err(errno::FAULT),
        }
    }

    pub fn read<const N: usize>(&self, addr: u64) -> Result<[u8; N], Errno> {
        let p = self.ptr(addr, N as u64)?;
        let mut out = [0u8; N];
        // SAFETY: `[p, p + N)` is inside the accessible guest memory.
        unsafe { ptr::copy_nonoverlapping(p, out.as_mut_ptr(), N) };
        Ok(out)
    }

    #[cfg(test)]
    pub fn read_u32(&self, addr: u64) -> Result<u32, Errno> {
        self.read(addr).map(u32::from_le_bytes)
    }

    /// A copy of the guest's path (or symlink text) at `[addr, addr + len)`:
    /// `ENAMETOOLONG` from [`PATH_MAX`] bytes on, like the kernel.
    pub fn read_path(&self, addr: u32, len: u32) -> Result<Vec<u8>, Errno> {
        let p = self.ptr(addr.into(), len.into())?;
        if len as usize >= PATH_MAX {
            return Err(errno::NAMETOOLONG);
        }
        let mut out = vec![0u8; len as usize];
        // SAFETY: `[p, p + len)` is inside the accessible guest memory.
        unsafe { ptr::copy_nonoverlapping(p, out.as_mut_ptr(), out.len()) };
        Ok(out)
    }

    pub fn write(&self, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
        let p = self.ptr(addr, bytes.len() as u64)?;
        // SAFETY: `[p, p + len)` is inside the accessible guest memory, which never
        // overlaps host buffers.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
        Ok(())
    }

    pub fn write_u32(&self, addr: u64, value: u32) -> Result<(), Errno> {
        self.write(addr, &value.to_le_bytes())
    }

    pub fn write_u64(&self, addr: u64, value: u64) -> Result<(), Errno> {
        self.write(addr, &value.to_le_bytes())
    }

    /// The guest's `iovec` array at `iovs`, every buffer checked; empty buffers are left
    /// out. The list is cut at [`MAX_IOVECS`] buffers and 4 GiB - 1 bytes in total, so the
    /// count moved fits the u32 the guest gets back (a short transfer, which callers must
    /// expect).
    pub fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<GuestBuf>, Errno> {
        let iovs = u64::from(iovs);
        self.ptr(iovs, u64::from(count) * IOVEC_SIZE)?;
        let mut out = Vec::with_capacity((count as usize).min(MAX_IOVECS));
        let mut room = u64::from(u32::MAX);
        for i in 0..u64::from(count) {
            let entry: [u8; 8] = self.read(iovs + i * IOVEC_SIZE)?;
            let buf = u64::from(u32::from_le_bytes(entry[..4].try_into().unwrap()));
            let len = u64::from(u32::from_le_bytes(entry[4..].try_into().unwrap()));
            let p = self.ptr(buf, len)?;
            let len = len.min(room);
            if len > 0 && out.len() < MAX_IOVECS {
                out.push(GuestBuf {
                    ptr: p,
                    len: len as usize,
                });
                room -= len;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_abi::VMMemory;

    fn with_memory<R>(len: usize, f: impl FnOnce(&GuestMemory, *mut u8) -> R) -> R {
        let mut buf = vec![0u8; len];
        let mut vm = VMMemory {
            base: buf.as_mut_ptr(),
            length: len as u64,
        };
        let mut vmctx = VMContext {
            memory_base: buf.as_mut_ptr(),
            memory: &mut vm,
            stack_limit: 0,
            instance: ptr::null_mut(),
        };
        // SAFETY: a context whose memory is `buf`.
        let mem = unsafe { GuestMemory::of(&mut vmctx) }.unwrap();
        f(&mem, buf.as_mut_ptr())
    }

    #[test]
    fn no_memory_is_efault() {
        let mut vmctx = VMContext {
            memory_base: ptr::null_mut(),
            memory: ptr::null_mut(),
            stack_limit: 0,
            instance: ptr::null_mut(),
        };
        // SAFETY: a valid context without memory, and a null one.
        unsafe {
            assert_eq!(GuestMemory::of(&mut vmctx).err(), Some(errno::FAULT));
            assert_eq!(GuestMemory::of(ptr::null_mut()).err(), Some(errno::FAULT));
        }
    }

    #[test]
    fn ranges_are_checked_without_overflow() {
        with_memory(100, |m, _| {
            assert!(m.ptr(0, 100).is_ok());
            assert!(m.ptr(100, 0).is_ok(), "empty range at the end");
            assert_eq!(m.ptr(101, 0).err(), Some(errno::FAULT));
            assert_eq!(m.ptr(99, 2).err(), Some(errno::FAULT));
            assert_eq!(m.ptr(u64::MAX, 2).err(), Some(errno::FAULT));
            assert_eq!(m.read_u32(97).err(), Some(errno::FAULT));
            assert_eq!(m.write_u64(93, 1).err(), Some(errno::FAULT));
            m.write_u32(96, 0xdead_beef).unwrap();
            assert_eq!(m.read_u32(96), Ok(0xdead_beef));
        });
    }

    #[test]
    fn iovecs_are_checked() {
        with_memory(64, |m, base| {
            // iovec 0: {buf 32, len 8}; iovec 1: {buf 60, len 8} (runs past the end).
            m.write_u32(0, 32).unwrap();
            m.write_u32(4, 8).unwrap();
            m.write_u32(8, 60).unwrap();
            m.write_u32(12, 8).unwrap();
            let one = m.iovecs(0, 1).unwrap();
            assert_eq!(one.len(), 1);
            assert_eq!(one[0].ptr as usize, base as usize + 32);
            assert_eq!(one[0].len, 8);
            assert_eq!(m.iovecs(0, 2).err(), Some(errno::FAULT), "bad buffer");
            assert_eq!(
                m.iovecs(60, 1).err(),
                Some(errno::FAULT),
                "array past the end"
            );
            assert_eq!(
                m.iovecs(0, u32::MAX).err(),
                Some(errno::FAULT),
                "huge count"
            );
            assert_eq!(m.iovecs(64, 0).map(|v| v.len()), Ok(0));
        });
    }

    #[test]
    fn iovec_totals_fit_in_u32() {
        // Three overlapping 2 GiB iovecs would be 6 GiB; the list is cut at 4 GiB - 1.
        let mut array = [0u8; 24];
        for i in 0..3 {
            array[i * 8 + 4..i * 8 + 8].copy_from_slice(&(1u32 << 31).to_le_bytes());
        }
        let mut vm = VMMemory {
            base: array.as_mut_ptr(),
            length: 1 << 32,
        };
        let mut vmctx = VMContext {
            memory_base: array.as_mut_ptr(),
            memory: &mut vm,
            stack_limit: 0,
            instance: ptr::null_mut(),
        };
        // SAFETY: only the 24-byte array is ever read; the other "buffers" are just checked
        // against the (pretend) 4 GiB length, never accessed.
        let m = unsafe { GuestMemory::of(&mut vmctx) }.unwrap();
        let v = m.iovecs(0, 3).unwrap();
        let total: usize = v.iter().map(|b| b.len).sum();
        assert_eq!(total, u32::MAX as usize);
        assert_eq!(v.len(), 2);
    }
}
