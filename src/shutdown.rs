//! Shutdown policy: what happens between the main child's exit and rinit's,
//! the `--stop-delay` hold before a stop request reaches the app, and the
//! `--kill-after` deadline. Pure state machines that take the time as input;
//! the supervisor carries out their steps.
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

use crate::exit_status::Termination;
use crate::policy::is_stop_request;
use crate::signals::Signal;
use std::time::{Duration, Instant};

/// How long a process that is not PID 1 waits for SIGKILLed processes to
/// disappear before it leaves them to the init above. SIGKILL takes effect
/// at once unless the process may not be signalled or is stuck in the
/// kernel; neither gets better by waiting longer.
pub(crate) const KILL_WAIT: Duration = Duration::from_secs(1);

/// The next thing to do once the main child is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
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
pub(crate) enum Scope {
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
pub(crate) struct Drain {
    grace: Duration,
    signal: Signal,
    scope: Scope,
    phase: Phase,
}

impl Drain {
    pub(crate) fn new(grace: Duration, signal: Signal, scope: Scope) -> Drain {
        Drain {
            grace,
            signal,
            scope,
            phase: Phase::NotStarted,
        }
    }

    /// Called after every reaping pass once the main child has exited.
    pub(crate) fn advance(&mut self, now: Instant, children_left: bool) -> Step {
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

    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::NotStarted => None,
            Phase::Draining { deadline } | Phase::Killing { deadline } => Some(deadline),
        }
    }

    /// What the remaining processes have been sent so far, if anything: a
    /// process found only now must get the same.
    pub(crate) fn current_signal(&self) -> Option<Signal> {
        match self.phase {
            Phase::NotStarted => None,
            Phase::Draining { .. } => Some(self.signal),
            Phase::Killing { .. } => Some(Signal::KILL),
        }
    }

    pub(crate) fn is_killing(&self) -> bool {
        matches!(self.phase, Phase::Killing { .. })
    }
}

/// `--kill-after`: a deadline armed by the first forwarded stop request.
#[derive(Debug)]
pub(crate) struct KillAfter {
    delay: Option<Duration>,
    deadline: Option<Instant>,
    fired: bool,
}

impl KillAfter {
    pub(crate) fn new(delay: Option<Duration>) -> KillAfter {
        KillAfter {
            delay,
            deadline: None,
            fired: false,
        }
    }

    /// A stop request was forwarded. Later requests do not push the deadline.
    pub(crate) fn arm(&mut self, now: Instant) -> Option<Duration> {
        let delay = self.delay?;
        if self.deadline.is_some() || self.fired {
            return None;
        }
        self.deadline = Some(now + delay);
        Some(delay)
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// True once, when the deadline has passed.
    pub(crate) fn fire_if_due(&mut self, now: Instant) -> bool {
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
    pub(crate) fn disarm(&mut self) {
        self.deadline = None;
    }
}

/// `--stop-delay`: the first SIGTERM is held for a while before it is
/// forwarded. Orchestrators send SIGTERM and take the container out of their
/// load balancers at the same moment; during the hold the app keeps serving
/// the requests still routed to it.
///
/// ```text
///   first stop request is a SIGTERM, the main child runs
///                          │
///                          ▼
///          held: nothing forwarded yet, every other signal passes
///      │ delay over        │ 2nd SIGTERM or a SIGINT     │ main child exits
///      ▼                   ▼                             ▼
///  forward it       forward it, then the new one     never forwarded: the
///                                                    ordinary shutdown runs
/// ```
///
/// The hold changes when the first SIGTERM is forwarded, never whether or
/// how often a signal is: each one received still goes out exactly once.
/// Only one SIGTERM is ever held, and only if it is the first stop request:
/// after a SIGINT the operator wants the stop now.
#[derive(Debug)]
pub(crate) struct StopDelay {
    /// Zero: off.
    delay: Duration,
    hold: HoldPhase,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HoldPhase {
    /// No stop request yet: the next SIGTERM is held.
    Ready,
    /// `signal` (the SIGTERM after rewrite rules) goes out at `until`.
    Holding { signal: Signal, until: Instant },
    /// The one hold is over, or no longer possible.
    Over,
}

/// What the hold makes of one signal about to be forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    /// Not held: forward it now, as usual.
    Pass,
    /// Held for this long: forward nothing now.
    Held(Duration),
    /// The signal cuts the hold short: forward the held signal (given) at
    /// once, then this one as usual.
    Release(Signal),
}

impl StopDelay {
    pub(crate) fn new(delay: Option<Duration>) -> StopDelay {
        let delay = delay.unwrap_or(Duration::ZERO);
        StopDelay {
            delay,
            hold: if delay.is_zero() {
                HoldPhase::Over
            } else {
                HoldPhase::Ready
            },
        }
    }

    /// rinit received `received` and would forward it as `forward` (after
    /// the rewrite rules). `child_running`: the main child has not exited;
    /// with no child to give time to, nothing is held.
    pub(crate) fn on_signal(
        &mut self,
        now: Instant,
        received: Signal,
        forward: Signal,
        child_running: bool,
    ) -> Hold {
        let stop_request = is_stop_request(received);
        match self.hold {
            HoldPhase::Ready if received == Signal::TERM && child_running => {
                self.hold = HoldPhase::Holding {
                    signal: forward,
                    until: now + self.delay,
                };
                Hold::Held(self.delay)
            }
            HoldPhase::Ready if stop_request => {
                self.hold = HoldPhase::Over;
                Hold::Pass
            }
            HoldPhase::Holding { signal, .. } if stop_request => {
                self.hold = HoldPhase::Over;
                Hold::Release(signal)
            }
            _ => Hold::Pass,
        }
    }

    /// When the held signal is due, for the loop's wait.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.hold {
            HoldPhase::Holding { until, .. } => Some(until),
            _ => None,
        }
    }

    /// The held signal, once, when its time has come.
    pub(crate) fn release_if_due(&mut self, now: Instant) -> Option<Signal> {
        match self.hold {
            HoldPhase::Holding { signal, until } if now >= until => {
                self.hold = HoldPhase::Over;
                Some(signal)
            }
            _ => None,
        }
    }

    /// The main child has exited: a held signal is never forwarded (the
    /// drain takes over) and nothing is held any more. Returns the signal
    /// that was held, if any.
    pub(crate) fn cancel(&mut self) -> Option<Signal> {
        let held = match self.hold {
            HoldPhase::Holding { signal, .. } => Some(signal),
            _ => None,
        };
        self.hold = HoldPhase::Over;
        held
    }
}

/// Whether the main child, ending this way while rinit still held a SIGTERM
/// for `--stop-delay`, was sent a SIGTERM directly, not only through rinit:
/// it died of SIGTERM, or exited 143 (128 + SIGTERM) as many apps do on it.
/// That happens when whoever stops the container signals every process in
/// it, as systemd's `KillMode=control-group` (its default) does: the hold
/// then delays nothing, and deserves saying so.
pub(crate) fn stop_delay_defeated(termination: Termination) -> bool {
    match termination {
        Termination::Killed { signal, .. } => signal == Signal::TERM,
        Termination::Exited(code) => code == 128 + libc::SIGTERM,
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

    fn sig(name: &str) -> Signal {
        Signal::parse(name).unwrap()
    }

    /// `signal` received at `at` while the child runs, forwarded as itself.
    fn receive(hold: &mut StopDelay, at: Instant, signal: Signal) -> Hold {
        hold.on_signal(at, signal, signal, true)
    }

    #[test]
    fn stop_delay_is_off_by_default_and_at_zero() {
        let t0 = Instant::now();
        for delay in [None, Some(Duration::ZERO)] {
            let mut hold = StopDelay::new(delay);
            assert_eq!(receive(&mut hold, t0, Signal::TERM), Hold::Pass);
            assert_eq!(hold.deadline(), None);
            assert_eq!(hold.release_if_due(t0 + 1000 * SEC), None);
        }
    }

    #[test]
    fn the_first_sigterm_is_held_until_the_delay_is_over() {
        let t0 = Instant::now();
        let mut hold = StopDelay::new(Some(10 * SEC));
        assert_eq!(hold.deadline(), None);
        assert_eq!(receive(&mut hold, t0, Signal::TERM), Hold::Held(10 * SEC));
        assert_eq!(hold.deadline(), Some(t0 + 10 * SEC));
        assert_eq!(hold.release_if_due(t0), None);
        assert_eq!(hold.release_if_due(t0 + 9 * SEC), None);
        assert_eq!(hold.release_if_due(t0 + 10 * SEC), Some(Signal::TERM));
        // Once: the hold is over and the loop has no deadline left.
        assert_eq!(hold.release_if_due(t0 + 11 * SEC), None);
        assert_eq!(hold.deadline(), None);
        // Later SIGTERMs pass at once.
        assert_eq!(receive(&mut hold, t0 + 12 * SEC, Signal::TERM), Hold::Pass);
        assert_eq!(hold.deadline(), None);
    }

    #[test]
    fn the_held_signal_is_the_rewritten_one() {
        let t0 = Instant::now();
        let mut hold = StopDelay::new(Some(SEC));
        hold.on_signal(t0, Signal::TERM, sig("QUIT"), true);
        assert_eq!(hold.release_if_due(t0 + SEC), Some(sig("QUIT")));
    }

    #[test]
    fn a_second_sigterm_or_a_sigint_cuts_the_hold() {
        let t0 = Instant::now();
        for cut in [Signal::TERM, Signal::INT] {
            let mut hold = StopDelay::new(Some(10 * SEC));
            hold.on_signal(t0, Signal::TERM, sig("QUIT"), true);
            assert_eq!(
                receive(&mut hold, t0 + SEC, cut),
                Hold::Release(sig("QUIT")),
                "{cut}"
            );
            assert_eq!(hold.deadline(), None);
            assert_eq!(hold.release_if_due(t0 + 10 * SEC), None);
        }
    }

    #[test]
    fn other_signals_pass_during_the_hold() {
        let t0 = Instant::now();
        let mut hold = StopDelay::new(Some(10 * SEC));
        receive(&mut hold, t0, Signal::TERM);
        for other in ["HUP", "USR1", "QUIT", "WINCH", "RTMIN+3", "CONT"] {
            assert_eq!(
                hold.on_signal(t0 + SEC, sig(other), sig(other), true),
                Hold::Pass,
                "{other}"
            );
        }
        // Even one that a rule rewrites to SIGTERM: it is not a stop request
        // from outside.
        assert_eq!(
            hold.on_signal(t0 + SEC, sig("USR2"), Signal::TERM, true),
            Hold::Pass
        );
        assert_eq!(hold.deadline(), Some(t0 + 10 * SEC));
        assert_eq!(hold.release_if_due(t0 + 10 * SEC), Some(Signal::TERM));
    }

    #[test]
    fn other_signals_before_the_sigterm_leave_the_hold_ready() {
        let t0 = Instant::now();
        let mut hold = StopDelay::new(Some(SEC));
        assert_eq!(receive(&mut hold, t0, sig("HUP")), Hold::Pass);
        assert_eq!(receive(&mut hold, t0, Signal::TERM), Hold::Held(SEC));
    }

    #[test]
    fn after_a_sigint_nothing_is_held() {
        let t0 = Instant::now();
        let mut hold = StopDelay::new(Some(SEC));
        assert_eq!(receive(&mut hold, t0, Signal::INT), Hold::Pass);
        assert_eq!(receive(&mut hold, t0, Signal::TERM), Hold::Pass);
        assert_eq!(hold.deadline(), None);
    }

    #[test]
    fn nothing_is_held_once_the_child_has_exited() {
        let t0 = Instant::now();
        let mut hold = StopDelay::new(Some(SEC));
        assert_eq!(
            hold.on_signal(t0, Signal::TERM, Signal::TERM, false),
            Hold::Pass
        );
        assert_eq!(hold.deadline(), None);
    }

    #[test]
    fn the_child_exiting_during_the_hold_cancels_it() {
        let t0 = Instant::now();
        let mut hold = StopDelay::new(Some(10 * SEC));
        assert_eq!(hold.cancel(), None);
        let mut hold = StopDelay::new(Some(10 * SEC));
        receive(&mut hold, t0, Signal::TERM);
        assert_eq!(hold.cancel(), Some(Signal::TERM));
        assert_eq!(hold.deadline(), None);
        assert_eq!(hold.release_if_due(t0 + 10 * SEC), None);
        assert_eq!(receive(&mut hold, t0 + SEC, Signal::TERM), Hold::Pass);
    }

    /// The supervisor asks only about stop requests (and reads the clock
    /// only for them): any other signal passes in every phase, untouched.
    #[test]
    fn only_a_stop_request_is_ever_held_or_releases_one() {
        let t0 = Instant::now();
        for name in ["HUP", "USR1", "WINCH", "CONT", "TSTP", "RTMIN+3", "SEGV"] {
            let mut hold = StopDelay::new(Some(10 * SEC));
            assert_eq!(hold.on_signal(t0, sig(name), sig(name), true), Hold::Pass);
            assert_eq!(hold.deadline(), None, "{name} armed the delay");
            let mut holding = StopDelay::new(Some(10 * SEC));
            receive(&mut holding, t0, Signal::TERM);
            assert_eq!(
                holding.on_signal(t0, sig(name), sig(name), true),
                Hold::Pass
            );
            assert!(
                holding.deadline().is_some(),
                "{name} released the held SIGTERM"
            );
        }
    }

    #[test]
    fn a_death_by_sigterm_during_the_hold_means_the_app_got_one_directly() {
        let killed = |signal| Termination::Killed {
            signal: Signal::from_number(signal).unwrap(),
            core_dumped: false,
        };
        assert!(stop_delay_defeated(killed(libc::SIGTERM)));
        assert!(stop_delay_defeated(Termination::Exited(143)));
        assert!(!stop_delay_defeated(Termination::Exited(0)));
        assert!(!stop_delay_defeated(Termination::Exited(1)));
        assert!(!stop_delay_defeated(killed(libc::SIGKILL)));
        assert!(!stop_delay_defeated(killed(libc::SIGSEGV)));
    }
}
