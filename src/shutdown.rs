//! Shutdown policy: what happens between the main child's exit and rinit's,
//! and the `--kill-after` deadline. Pure state machines; the supervisor
//! carries out their steps.
//!
//! ```text
//! main child exits ──► others left? ──no──► exit with its status
//!                          │yes
//!                          ▼
//!                 drain signal (+SIGCONT) to all of them
//!                          │ (reaping as they go)
//!             all gone ◄───┤
//!                          ▼ grace runs out
//!                       SIGKILL ──► PID 1: exit at once (the kernel kills
//!                          │        whatever is left and waits for it)
//!                          ▼ not PID 1
//!          wait until none is left, at most KILL_WAIT ──► exit
//! ```
//!
//! Every phase is bounded: the drain by the grace, the SIGKILL phase by
//! `KILL_WAIT`. A process rinit may not signal (a setuid helper that went
//! back to root) or that cannot die (stuck in the kernel) can delay rinit's
//! exit by that long, never forever.

use crate::signals::Signal;
use std::time::{Duration, Instant};

/// How long a process that is not PID 1 waits for SIGKILLed processes to
/// disappear before it leaves them to the init above. SIGKILL takes effect
/// at once unless the process may not be signalled or is stuck in the
/// kernel; neither gets better by waiting longer.
pub const KILL_WAIT: Duration = Duration::from_secs(1);

/// The next thing to do once the main child is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing now: wait for children to exit or for the deadline.
    Wait,
    /// Send this to every remaining process.
    SignalRemaining(Signal),
    /// SIGKILL every remaining process, then exit without waiting: as PID 1,
    /// rinit's exit makes the kernel kill whatever is left, including any
    /// process rinit itself was not allowed to signal.
    KillAndExit,
    /// Nothing is left: exit with the main child's status.
    Exit,
    /// SIGKILL did not empty the tree within `KILL_WAIT`: say who is left and
    /// exit anyway.
    GiveUp,
}

/// Which processes "the remaining ones" are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// rinit is PID 1: every other process of the PID namespace.
    Namespace,
    /// rinit is a subreaper: its descendants, found by walking /proc. The
    /// walk may miss a process forked meanwhile, so the SIGKILL phase sweeps
    /// again at every wake-up.
    Descendants,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    NotStarted,
    Draining { deadline: Instant },
    Killing { deadline: Instant },
}

#[derive(Debug)]
pub struct Drain {
    grace: Duration,
    signal: Signal,
    scope: Scope,
    phase: Phase,
}

impl Drain {
    pub fn new(grace: Duration, signal: Signal, scope: Scope) -> Drain {
        Drain {
            grace,
            signal,
            scope,
            phase: Phase::NotStarted,
        }
    }

    /// Called after every reaping pass once the main child has exited.
    pub fn advance(&mut self, now: Instant, children_left: bool) -> Step {
        if !children_left {
            return Step::Exit;
        }
        match self.phase {
            Phase::NotStarted if self.grace.is_zero() => self.kill(now),
            Phase::NotStarted => {
                self.phase = Phase::Draining {
                    deadline: now + self.grace,
                };
                Step::SignalRemaining(self.signal)
            }
            Phase::Draining { deadline } if now >= deadline => self.kill(now),
            Phase::Draining { .. } => Step::Wait,
            Phase::Killing { deadline } if now >= deadline => Step::GiveUp,
            Phase::Killing { .. } => Step::SignalRemaining(Signal::KILL),
        }
    }

    fn kill(&mut self, now: Instant) -> Step {
        self.phase = Phase::Killing {
            deadline: now + KILL_WAIT,
        };
        match self.scope {
            Scope::Namespace => Step::KillAndExit,
            Scope::Descendants => Step::SignalRemaining(Signal::KILL),
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::NotStarted => None,
            Phase::Draining { deadline } | Phase::Killing { deadline } => Some(deadline),
        }
    }

    /// What the remaining processes have been sent so far, if anything: a
    /// process found only now must get the same.
    pub fn current_signal(&self) -> Option<Signal> {
        match self.phase {
            Phase::NotStarted => None,
            Phase::Draining { .. } => Some(self.signal),
            Phase::Killing { .. } => Some(Signal::KILL),
        }
    }

    pub fn is_killing(&self) -> bool {
        matches!(self.phase, Phase::Killing { .. })
    }
}

/// `--kill-after`: a deadline armed by the first forwarded stop request.
#[derive(Debug)]
pub struct KillAfter {
    delay: Option<Duration>,
    deadline: Option<Instant>,
    fired: bool,
}

impl KillAfter {
    pub fn new(delay: Option<Duration>) -> KillAfter {
        KillAfter {
            delay,
            deadline: None,
            fired: false,
        }
    }

    /// A stop request was forwarded. Later requests do not push the deadline.
    pub fn arm(&mut self, now: Instant) -> Option<Duration> {
        let delay = self.delay?;
        if self.deadline.is_some() || self.fired {
            return None;
        }
        self.deadline = Some(now + delay);
        Some(delay)
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// True once, when the deadline has passed.
    pub fn fire_if_due(&mut self, now: Instant) -> bool {
        match self.deadline {
            Some(deadline) if now >= deadline => {
                self.deadline = None;
                self.fired = true;
                true
            }
            _ => false,
        }
    }

    /// The main child is gone: nothing left to escalate against.
    pub fn disarm(&mut self) {
        self.deadline = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn nothing_left_means_exit_at_once() {
        let mut drain = Drain::new(5 * SEC, Signal::TERM, Scope::Namespace);
        assert_eq!(drain.advance(Instant::now(), false), Step::Exit);
    }

    #[test]
    fn pid1_drains_then_kills_and_exits_when_grace_runs_out() {
        let t0 = Instant::now();
        let mut drain = Drain::new(5 * SEC, Signal::TERM, Scope::Namespace);
        assert_eq!(drain.advance(t0, true), Step::SignalRemaining(Signal::TERM));
        assert_eq!(drain.deadline(), Some(t0 + 5 * SEC));
        assert_eq!(drain.advance(t0 + SEC, true), Step::Wait);
        assert_eq!(drain.current_signal(), Some(Signal::TERM));
        assert_eq!(drain.advance(t0 + 5 * SEC, true), Step::KillAndExit);
        assert!(drain.is_killing());
        assert_eq!(drain.current_signal(), Some(Signal::KILL));
    }

    #[test]
    fn a_subreaper_waits_for_the_killed_at_most_kill_wait() {
        let t0 = Instant::now();
        let mut drain = Drain::new(5 * SEC, Signal::TERM, Scope::Descendants);
        assert_eq!(drain.advance(t0, true), Step::SignalRemaining(Signal::TERM));
        let t1 = t0 + 5 * SEC;
        assert_eq!(drain.advance(t1, true), Step::SignalRemaining(Signal::KILL));
        assert_eq!(drain.deadline(), Some(t1 + KILL_WAIT));
        assert_eq!(
            drain.advance(t1 + KILL_WAIT / 2, true),
            Step::SignalRemaining(Signal::KILL)
        );
        assert_eq!(drain.advance(t1 + KILL_WAIT, true), Step::GiveUp);
        let mut drain = Drain::new(5 * SEC, Signal::TERM, Scope::Descendants);
        drain.advance(t0, true);
        drain.advance(t1, true);
        assert_eq!(drain.advance(t1, false), Step::Exit);
    }

    #[test]
    fn all_exiting_within_grace_ends_the_drain() {
        let t0 = Instant::now();
        let mut drain = Drain::new(5 * SEC, Signal::INT, Scope::Descendants);
        assert_eq!(drain.advance(t0, true), Step::SignalRemaining(Signal::INT));
        assert_eq!(drain.advance(t0 + SEC, false), Step::Exit);
    }

    #[test]
    fn zero_grace_kills_at_once() {
        let mut drain = Drain::new(Duration::ZERO, Signal::TERM, Scope::Namespace);
        assert_eq!(drain.advance(Instant::now(), true), Step::KillAndExit);
        let mut drain = Drain::new(Duration::ZERO, Signal::TERM, Scope::Descendants);
        assert_eq!(
            drain.advance(Instant::now(), true),
            Step::SignalRemaining(Signal::KILL)
        );
    }

    #[test]
    fn a_subreaper_sweeps_again_while_killing() {
        let t0 = Instant::now();
        let mut drain = Drain::new(Duration::ZERO, Signal::TERM, Scope::Descendants);
        assert_eq!(drain.advance(t0, true), Step::SignalRemaining(Signal::KILL));
        assert_eq!(drain.advance(t0, true), Step::SignalRemaining(Signal::KILL));
        assert_eq!(drain.advance(t0, false), Step::Exit);
    }

    #[test]
    fn kill_after_is_off_by_default() {
        let mut kill_after = KillAfter::new(None);
        assert_eq!(kill_after.arm(Instant::now()), None);
        assert_eq!(kill_after.deadline(), None);
        assert!(!kill_after.fire_if_due(Instant::now() + 1000 * SEC));
    }

    #[test]
    fn kill_after_fires_once_from_the_first_request() {
        let t0 = Instant::now();
        let mut kill_after = KillAfter::new(Some(2 * SEC));
        assert_eq!(kill_after.arm(t0), Some(2 * SEC));
        assert_eq!(kill_after.arm(t0 + SEC), None);
        assert_eq!(kill_after.deadline(), Some(t0 + 2 * SEC));
        assert!(!kill_after.fire_if_due(t0 + SEC));
        assert!(kill_after.fire_if_due(t0 + 2 * SEC));
        assert!(!kill_after.fire_if_due(t0 + 3 * SEC));
        assert_eq!(kill_after.arm(t0 + 4 * SEC), None);
    }

    #[test]
    fn disarmed_kill_after_never_fires() {
        let t0 = Instant::now();
        let mut kill_after = KillAfter::new(Some(SEC));
        kill_after.arm(t0);
        kill_after.disarm();
        assert!(!kill_after.fire_if_due(t0 + 10 * SEC));
    }
}
