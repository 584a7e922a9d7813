//! `poll_oneoff`: clock subscriptions become a timeout, fd_read/fd_write subscriptions are
//! polled with poll(2). It returns as soon as at least one subscription is ready; a
//! subscription that is invalid (unknown fd, missing rights, unsupported clock) is
//! reported at once as an event carrying the error.

use super::clock_random::now;
use super::state::{self, FdEntry};
use super::types::{
    clockid, errno, eventtype, rights, Errno, EVENT_FD_READWRITE_HANGUP, EVENT_SIZE,
    SUBSCRIPTION_CLOCK_ABSTIME, SUBSCRIPTION_SIZE,
};
use super::{ret, GuestMemory};
use crate::prelude::*;
use core::ffi::c_int;
use kiln_abi::VMContext;

enum Kind {
    /// Deadline on the monotonic clock, in nanoseconds.
    Clock(Result<u64, Errno>),
    Fd {
        read: bool,
        entry: Result<FdEntry, Errno>,
    },
}

struct Subscription {
    userdata: u64,
    kind: Kind,
}

impl Subscription {
    fn event_type(&self) -> u8 {
        match self.kind {
            Kind::Clock(_) => eventtype::CLOCK,
            Kind::Fd { read: true, .. } => eventtype::FD_READ,
            Kind::Fd { read: false, .. } => eventtype::FD_WRITE,
        }
    }

    fn error(&self) -> Option<Errno> {
        match &self.kind {
            Kind::Clock(r) => r.err(),
            Kind::Fd { entry, .. } => entry.err(),
        }
    }
}

struct Event {
    userdata: u64,
    error: Errno,
    event_type: u8,
    nbytes: u64,
    flags: u16,
}

impl Event {
    fn new(sub: &Subscription, error: Errno) -> Event {
        Event {
            userdata: sub.userdata,
            error,
            event_type: sub.event_type(),
            nbytes: 0,
            flags: 0,
        }
    }

    fn to_bytes(&self) -> [u8; EVENT_SIZE as usize] {
        let mut b = [0u8; EVENT_SIZE as usize];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&self.error.to_le_bytes());
        b[10] = self.event_type;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        b[24..26].copy_from_slice(&self.flags.to_le_bytes());
        b
    }
}

/// # Safety
/// `vmctx` must be null or the calling instance's context (host function contract).
#[no_mangle]
pub unsafe extern "C" fn kiln_wasi_poll_oneoff(
    vmctx: *mut VMContext,
    subscriptions: u32,
    events: u32,
    count: u32,
    nevents: u32,
) -> i32 {
    // SAFETY: caller's contract.
    let mem = unsafe { GuestMemory::of(vmctx) };
    ret(mem.and_then(|m| poll_oneoff(&m, subscriptions, events, count, nevents)))
}

fn poll_oneoff(
    m: &GuestMemory,
    subscriptions: u32,
    events: u32,
    count: u32,
    nevents: u32,
) -> Result<(), Errno> {
    if count == 0 {
        // Nothing to wait for would block forever.
        return Err(errno::INVAL);
    }
    let (subscriptions, events, n) = (
        u64::from(subscriptions),
        u64::from(events),
        u64::from(count),
    );
    m.ptr(subscriptions, n * SUBSCRIPTION_SIZE)?;
    m.ptr(events, n * EVENT_SIZE)?;
    m.ptr(nevents.into(), 4)?;
    let start = now(clockid::MONOTONIC)?;
    let subs = (0..n)
        .map(|i| parse(&m.read(subscriptions + i * SUBSCRIPTION_SIZE)?, start))
        .collect::<Result<Vec<_>, _>>()?;
    let ready = wait(&subs)?;
    for (i, e) in ready.iter().enumerate() {
        m.write(events + i as u64 * EVENT_SIZE, &e.to_bytes())?;
    }
    m.write_u32(nevents.into(), ready.len() as u32)
}

fn parse(raw: &[u8; SUBSCRIPTION_SIZE as usize], start: u64) -> Result<Subscription, Errno> {
    let u32_at = |o: usize| u32::from_le_bytes(raw[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(raw[o..o + 8].try_into().unwrap());
    let userdata = u64_at(0);
    let kind = match raw[8] {
        eventtype::CLOCK => {
            let flags = u16::from_le_bytes([raw[40], raw[41]]);
            Kind::Clock(deadline(u32_at(16), u64_at(24), flags, start))
        }
        tag @ (eventtype::FD_READ | eventtype::FD_WRITE) => Kind::Fd {
            read: tag == eventtype::FD_READ,
            entry: state::fd(u32_at(16), rights::POLL_FD_READWRITE),
        },
        _ => return Err(errno::INVAL),
    };
    Ok(Subscription { userdata, kind })
}

/// When a clock subscription fires, on the monotonic clock.
fn deadline(id: u32, timeout: u64, flags: u16, start: u64) -> Result<u64, Errno> {
    let absolute = flags & SUBSCRIPTION_CLOCK_ABSTIME != 0;
    match id {
        clockid::MONOTONIC if absolute => Ok(timeout),
        clockid::REALTIME if absolute => {
            Ok(start.saturating_add(timeout.saturating_sub(now(clockid::REALTIME)?)))
        }
        clockid::MONOTONIC | clockid::REALTIME => Ok(start.saturating_add(timeout)),
        // poll(2) cannot wait for CPU time to pass.
        clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID => Err(errno::NOTSUP),
        _ => Err(errno::INVAL),
    }
}

fn wait(subs: &[Subscription]) -> Result<Vec<Event>, Errno> {
    let mut ready: Vec<Event> = subs
        .iter()
        .filter_map(|s| s.error().map(|e| Event::new(s, e)))
        .collect();
    let watched: Vec<(&Subscription, FdEntry, bool)> = subs
        .iter()
        .filter_map(|s| match s.kind {
            Kind::Fd {
                read,
                entry: Ok(entry),
            } => Some((s, entry, read)),
            _ => None,
        })
        .collect();
    let mut pollfds: Vec<libc::pollfd> = watched
        .iter()
        .map(|&(_, entry, read)| libc::pollfd {
            fd: entry.host,
            events: if read { libc::POLLIN } else { libc::POLLOUT },
            revents: 0,
        })
        .collect();
    let clocks: Vec<(&Subscription, u64)> = subs
        .iter()
        .filter_map(|s| match s.kind {
            Kind::Clock(Ok(deadline)) => Some((s, deadline)),
            _ => None,
        })
        .collect();
    let earliest = clocks.iter().map(|&(_, d)| d).min();

    loop {
        // Errors are already there to report: only look at what is ready now.
        let remaining = if ready.is_empty() {
            earliest.map(|d| d.saturating_sub(now(clockid::MONOTONIC).unwrap_or(d)))
        } else {
            Some(0)
        };
        if pollfds.is_empty() {
            if let (Some(ns), Some(deadline)) = (remaining, earliest) {
                if ns > 0 {
                    sleep_until(deadline);
                }
            }
        } else {
            // poll's timeout is in milliseconds: round up, and go round again if it woke early.
            let timeout = remaining.map_or(-1, |ns| {
                ns.div_ceil(1_000_000).min(i32::MAX as u64) as c_int
            });
            pollfds.iter_mut().for_each(|p| p.revents = 0);
            // SAFETY: `pollfds` is a valid array of `len` pollfd structs.
            let n =
                unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, timeout) };
            if n < 0 {
                let e = crate::sys::OsError::last().0;
                if e != libc::EINTR {
                    return Err(super::host::from_host(e));
                }
            }
            for (p, &(sub, entry, read)) in pollfds.iter().zip(&watched) {
                if p.revents != 0 {
                    ready.push(fd_event(sub, entry, read, p.revents));
                }
            }
        }
        let t = now(clockid::MONOTONIC)?;
        ready.extend(
            clocks
                .iter()
                .filter(|&&(_, d)| d <= t)
                .map(|&(s, _)| Event::new(s, errno::SUCCESS)),
        );
        if !ready.is_empty() {
            return Ok(ready);
        }
    }
}

fn fd_event(sub: &Subscription, entry: FdEntry, read: bool, revents: i16) -> Event {
    if revents & libc::POLLNVAL != 0 {
        return Event::new(sub, errno::BADF);
    }
    if revents & libc::POLLERR != 0 {
        return Event::new(sub, errno::IO);
    }
    let mut event = Event::new(sub, errno::SUCCESS);
    if read {
        let mut available: c_int = 0;
        // SAFETY: FIONREAD writes one int to the valid pointer.
        if unsafe { libc::ioctl(entry.host, libc::FIONREAD, &mut available) } == 0 {
            event.nbytes = u64::try_from(available).unwrap_or(0);
        }
    }
    if revents & libc::POLLHUP != 0 {
        event.flags = EVENT_FD_READWRITE_HANGUP;
    }
    event
}

/// Sleeps until `deadline` on the monotonic clock (or until a signal interrupts). macOS
/// has no clock_nanosleep: a relative nanosleep for what is left.
#[cfg(not(target_os = "linux"))]
fn sleep_until(deadline: u64) {
    // SAFETY: plain data, filled in by clock_gettime.
    let mut now: libc::timespec = unsafe { core::mem::zeroed() };
    // SAFETY: `now` is a valid out-pointer.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) } != 0 {
        return;
    }
    let now = now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64;
    let Some(left) = deadline.checked_sub(now).filter(|&l| l > 0) else {
        return;
    };
    let ts = libc::timespec {
        tv_sec: (left / 1_000_000_000) as _,
        tv_nsec: (left % 1_000_000_000) as _,
    };
    // SAFETY: `ts` is a valid timespec; no remaining-time pointer.
    unsafe { libc::nanosleep(&ts, core::ptr::null_mut()) };
}

/// Sleeps until `deadline` on the monotonic clock (or until a signal interrupts).
#[cfg(target_os = "linux")]
fn sleep_until(deadline: u64) {
    let ts = libc::timespec {
        tv_sec: (deadline / 1_000_000_000) as _,
        tv_nsec: (deadline % 1_000_000_000) as _,
    };
    // SAFETY: `ts` is a valid timespec; no remaining-time pointer for absolute sleeps.
    unsafe {
        libc::clock_nanosleep(
            libc::CLOCK_MONOTONIC,
            libc::TIMER_ABSTIME,
            &ts,
            core::ptr::null_mut(),
        )
    };
}
