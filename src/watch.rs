//! Saying it when it happens: the kernel's notifications of OOM kills and
//! fork refusals anywhere in the container, and when to look at the
//! counters after one.
//!
//! No thread, no timer while idle, nothing added to a forwarded signal's
//! path. The sources join the signal loop's own wait (`sys::EventSources`):
//! - cgroup v2: `memory.events` and `pids.events` raise inotify's IN_MODIFY
//!   when a counter changes. The inotify descriptor is made signal-driven
//!   (O_ASYNC, F_SETSIG to SIGIO): the kernel queues a SIGIO naming it into
//!   rinit's signalfd, which the loop reads anyway, and the loop never
//!   forwards that SIGIO (one a user sends is forwarded as ever).
//! - cgroup v1 memory: an eventfd registered through `cgroup.event_control`
//!   for `memory.usage_in_bytes` crossing half the group's limit (see
//!   `usage_eventfd`), so only where the group has a limit. An eventfd
//!   cannot raise a signal, so it is polled with the signalfd. Engines
//!   mount v1 cgroups read-only: there `cgroup.event_control` refuses the
//!   write, and only a privileged container (or rinit outside an engine)
//!   hears it.
//! - cgroup v1 pids: `pids.events` raises no inotify event (Linux 6.18,
//!   checked), so its counter is read only at the main child's failing end.
//!
//! Where a file is missing or unwritable, there is no source and no cost.
//!
//! After a notification rinit reads nothing at once: the counters are read
//! `SETTLE` later (`Burst`), and a kill counted since the previous look is
//! told only at the next (`RECOUNT`), once the victim has had time to die
//! and, if it was one of rinit's children, to be reaped and named by the
//! reaper. All that the look does is `pread` descriptors opened at start
//! (see `cgroups::Counter`): while the group is short of memory, an open or
//! a /proc scan would be charged to it and could make the OOM killer take
//! one more process, rinit itself among them.

use crate::cgroups::{Memory, Pids, Version};
use crate::signals::Signal;
use crate::sys::{self, EventSources};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long after the first notification of a burst the counters are
/// read: an OOM victim dies, and a child of rinit's is reaped (and named)
/// within a few milliseconds.
pub(crate) const SETTLE: Duration = Duration::from_millis(100);

/// The longest a burst's first line waits while the reaper keeps naming
/// victims of its own (fifty processes OOM-killed in a row).
const SETTLE_MAX: Duration = Duration::from_secs(2);

/// When the counters were still moving at a look, the next comes this
/// much later: a kill counted since the last look is told only then, when
/// a victim among rinit's children has died and been reaped (and named),
/// even on a loaded machine where dying takes more than `SETTLE`.
pub(crate) const RECOUNT: Duration = Duration::from_millis(500);

/// After a line, events for this long are told together in the next one.
pub(crate) const QUIET: Duration = Duration::from_secs(1);

/// What the kernel notifies rinit of, live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Live {
    pub(crate) memory: bool,
    pub(crate) pids: bool,
}

/// Registers the sources for `memory` and `pids` with the signal loop's
/// `signals`; says which of them will be notified. Called before the child
/// starts, so that none of its events is missed.
pub(crate) fn open(
    memory: Option<&Memory>,
    pids: Option<&Pids>,
    signals: &mut sys::SignalReader,
) -> Live {
    let mut live = Live::default();
    let mut sources = EventSources::default();
    let memory_v2 = memory.filter(|m| m.version == Version::V2);
    let pids_v2 = pids.filter(|p| p.version == Version::V2);
    let paths: Vec<_> = [
        memory_v2.map(Memory::events_file),
        pids_v2.map(Pids::events_file),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some((fd, watched)) = sys::inotify_modified(&paths) {
        if sys::signal_driven(&fd, Signal::IO).is_ok() {
            let mut watched = watched.into_iter();
            live.memory = memory_v2.is_some() && watched.next() == Some(true);
            live.pids = pids_v2.is_some() && watched.next() == Some(true);
            sources.signalled = Some(fd);
        }
    }
    if let Some((fd, usage)) = memory
        .filter(|m| m.version == Version::V1)
        .and_then(usage_eventfd)
    {
        sources.polled = Some(fd);
        sources.kept = Some(usage);
        live.memory = true;
    }
    signals.add_sources(sources);
    live
}

/// Registers an eventfd that the v1 memory controller signals when the
/// group's usage crosses half its limit, either way. Not its OOM
/// notification: that one wakes rinit as the group runs out of memory,
/// before the kill, and rinit running then made the OOM killer take it as
/// a second victim (10 runs in 420 of a 32 MiB test group; 1 in 570 with
/// no watch at all, none in 280 with this). Usage falling back below half
/// is the moment an OOM kill has freed memory; usage rising past it is a
/// wake-up while memory is plentiful. The registration lasts while the
/// `memory.usage_in_bytes` descriptor is open: it is kept with the eventfd.
fn usage_eventfd(memory: &Memory) -> Option<(OwnedFd, OwnedFd)> {
    let half = memory.limit? / 2;
    let fd = sys::eventfd()?;
    let usage = OwnedFd::from(sys::open_read(&memory.dir.join("memory.usage_in_bytes")).ok()?);
    let line = format!("{} {} {half}", fd.as_raw_fd(), usage.as_raw_fd());
    std::fs::write(memory.dir.join("cgroup.event_control"), line).ok()?;
    Some((fd, usage))
}

/// When to look at the counters after notifications: once `SETTLE` after
/// the first, then at most once a `QUIET` while they keep coming, with
/// nothing in between. Pure: it takes the time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Burst {
    state: State,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    /// No burst: no deadline, no wake-up.
    #[default]
    Idle,
    /// Notified since `since`: the first look is due at `due`.
    Settling { due: Instant, since: Instant },
    /// Looked: notifications until `until` wait for the next look, which
    /// comes only if there were some (`again`).
    Cooling { until: Instant, again: bool },
}

/// A look at the counters that is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
    /// The burst's first: worth a line about who holds the process slots.
    First,
    /// More of the same burst.
    Again,
}

impl Burst {
    /// A notification at `now`.
    pub(crate) fn event(&mut self, now: Instant) {
        self.state = match self.state {
            State::Idle => State::Settling {
                due: now + SETTLE,
                since: now,
            },
            State::Cooling { until, .. } => State::Cooling { until, again: true },
            settling => settling,
        };
    }

    /// The reaper just named a victim of its own: others may be on their
    /// way, so the look waits (up to `SETTLE_MAX` after the first event),
    /// rather than tell them as unnamed processes.
    pub(crate) fn victim_reaped(&mut self, now: Instant) {
        match &mut self.state {
            State::Settling { due, since } => *due = (now + SETTLE).min(*since + SETTLE_MAX),
            State::Cooling { until, again: true } => *until = (*until).max(now + SETTLE),
            _ => {}
        }
    }

    /// When the loop must wake for the next look; `None` while idle.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::Idle => None,
            State::Settling { due, .. } => Some(due),
            State::Cooling { until, .. } => Some(until),
        }
    }

    /// The look due at `now`, if any.
    pub(crate) fn fire_if_due(&mut self, now: Instant) -> Option<Look> {
        let (look, due) = match self.state {
            State::Settling { due, .. } => (Look::First, due),
            State::Cooling { until, again } => {
                if now < until {
                    return None;
                }
                if !again {
                    self.state = State::Idle;
                    return None;
                }
                (Look::Again, until)
            }
            State::Idle => return None,
        };
        if now < due {
            return None;
        }
        self.state = State::Cooling {
            until: now + QUIET,
            again: false,
        };
        Some(look)
    }

    /// The look just made saw the counters still moving: another one
    /// `RECOUNT` later, whatever the notifications.
    pub(crate) fn look_again_soon(&mut self, now: Instant) {
        self.state = State::Cooling {
            until: now + RECOUNT,
            again: true,
        };
    }

    /// Whether a burst is open: the OOM killer may be at work, and what
    /// rinit reaps is worth a look before it goes.
    pub(crate) fn is_open(&self) -> bool {
        self.state != State::Idle
    }

    /// Ends the burst (rinit is about to tell everything at the main
    /// child's end): whether notifications were waiting for a look.
    pub(crate) fn close(&mut self) -> bool {
        let owed = matches!(
            self.state,
            State::Settling { .. } | State::Cooling { again: true, .. }
        );
        self.state = State::Idle;
        owed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_one_look_then_one_a_quiet_spell() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut burst = Burst::default();
        assert_eq!((burst.deadline(), burst.is_open()), (None, false));
        assert_eq!(burst.fire_if_due(ms(5000)), None);
        burst.event(t0);
        assert!(burst.is_open());
        // More notifications before the look change nothing.
        burst.event(ms(50));
        assert_eq!(burst.deadline(), Some(ms(100)));
        assert_eq!(burst.fire_if_due(ms(99)), None);
        assert_eq!(burst.fire_if_due(ms(100)), Some(Look::First));
        assert_eq!(burst.fire_if_due(ms(101)), None);
        // Notifications within the quiet spell wait for its end: one look.
        burst.event(ms(200));
        burst.event(ms(300));
        assert_eq!(burst.deadline(), Some(ms(1100)));
        assert_eq!(burst.fire_if_due(ms(1099)), None);
        assert_eq!(burst.fire_if_due(ms(1100)), Some(Look::Again));
        // A quiet spell without any ends the burst: no deadline, idle.
        assert_eq!(burst.deadline(), Some(ms(2100)));
        assert_eq!(burst.fire_if_due(ms(2100)), None);
        assert_eq!((burst.deadline(), burst.is_open()), (None, false));
        // The next notification starts a new burst.
        burst.event(ms(9000));
        assert_eq!(burst.fire_if_due(ms(9100)), Some(Look::First));
    }

    #[test]
    fn victims_being_reaped_hold_the_first_look_back_within_bounds() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut burst = Burst::default();
        burst.victim_reaped(t0);
        assert!(!burst.is_open(), "a reaped victim alone opens no burst");
        burst.event(t0);
        burst.victim_reaped(ms(80));
        assert_eq!(burst.deadline(), Some(ms(180)));
        for at in (180..2500).step_by(90) {
            burst.victim_reaped(ms(at));
        }
        assert_eq!(burst.deadline(), Some(ms(2000)));
        assert_eq!(burst.fire_if_due(ms(2000)), Some(Look::First));
        // While cooling without news, a reaped victim changes nothing.
        burst.victim_reaped(ms(2500));
        assert_eq!(burst.deadline(), Some(ms(3000)));
    }

    #[test]
    fn counters_still_moving_get_another_look_soon() {
        let t0 = Instant::now();
        let mut burst = Burst::default();
        burst.event(t0);
        assert_eq!(burst.fire_if_due(t0 + SETTLE), Some(Look::First));
        burst.look_again_soon(t0 + SETTLE);
        let again = t0 + SETTLE + RECOUNT;
        assert_eq!(burst.deadline(), Some(again));
        assert_eq!(burst.fire_if_due(again), Some(Look::Again));
        assert_eq!(burst.deadline(), Some(again + QUIET));
    }

    #[test]
    fn closing_says_whether_a_look_was_owed() {
        let t0 = Instant::now();
        let mut burst = Burst::default();
        assert!(!burst.close());
        burst.event(t0);
        assert!(burst.close());
        assert!(!burst.is_open());
        burst.event(t0);
        burst.fire_if_due(t0 + SETTLE);
        assert!(!burst.close(), "looked, nothing since");
        burst.event(t0);
        burst.fire_if_due(t0 + SETTLE);
        burst.event(t0 + SETTLE);
        assert!(burst.close());
    }
}
