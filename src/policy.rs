//! What to do with each signal rinit receives. Pure decisions, no syscalls.

use crate::signals::{MAX_SIGNAL, Received, Signal};

/// Who receives a forwarded signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardTarget {
    /// The main child alone.
    Child,
    /// The main child's process group (the child leads it).
    Group,
    /// Every process rinit is responsible for: as PID 1 the whole namespace,
    /// otherwise every descendant. Reaches daemons that left the group.
    All,
}

impl ForwardTarget {
    pub fn parse(text: &str) -> Result<ForwardTarget, String> {
        match text {
            "child" => Ok(ForwardTarget::Child),
            "group" => Ok(ForwardTarget::Group),
            "all" => Ok(ForwardTarget::All),
            _ => Err(format!("'{text}' is not one of child, group, all")),
        }
    }
}

/// Signal rewrite rules: `FROM` becomes `TO`, or is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Rewrites {
    /// Indexed by signal number; `Some(None)` drops, `None` keeps.
    table: [Option<Option<Signal>>; MAX_SIGNAL as usize + 1],
}

impl Default for Rewrites {
    fn default() -> Self {
        Rewrites {
            table: [None; MAX_SIGNAL as usize + 1],
        }
    }
}

impl std::fmt::Debug for Rewrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.rules()).finish()
    }
}

impl Rewrites {
    /// Adds or replaces the rule for `from`.
    pub fn set(&mut self, from: Signal, to: Option<Signal>) {
        self.table[from.number() as usize] = Some(to);
    }

    /// Whether `from` has a rule (which may be to drop it).
    pub(crate) fn has_rule(&self, from: Signal) -> bool {
        self.table[from.number() as usize].is_some()
    }

    /// The signal to send for `signal`, `None` to drop it.
    pub fn apply(&self, signal: Signal) -> Option<Signal> {
        self.table[signal.number() as usize].unwrap_or(Some(signal))
    }

    pub(crate) fn rules(&self) -> impl Iterator<Item = (Signal, Option<Signal>)> + '_ {
        let numbered = self.table.iter().enumerate();
        numbered.filter_map(|(n, rule)| Some((Signal::from_number(n as i32)?, (*rule)?)))
    }

    /// Parses `FROM:TO`, where `TO` may be `0` to drop the signal.
    pub fn parse_rule(text: &str) -> Result<(Signal, Option<Signal>), String> {
        let (from, to) = text
            .split_once(':')
            .ok_or_else(|| format!("'{text}' is not of the form FROM:TO"))?;
        let from = Signal::parse(from)?;
        if from == Signal::KILL || from == Signal::STOP {
            return Err(format!(
                "{from} cannot be caught, so it cannot be rewritten"
            ));
        }
        if from == Signal::CHLD {
            return Err("SIGCHLD is rinit's own and is never forwarded".to_owned());
        }
        let to = if to == "0" {
            None
        } else {
            Some(Signal::parse(to)?)
        };
        Ok((from, to))
    }
}

/// What rinit does with one received signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// SIGCHLD: collect exited children.
    Reap,
    /// Send this signal to the forward target.
    Forward(Signal),
    /// Dropped by a rewrite rule.
    Drop,
    /// rinit raised it on itself (SIGPIPE from writing a log line to a closed
    /// stderr, say): it is about rinit, not a request for the app.
    Ignore,
}

pub(crate) fn decide(received: Received, own_pid: i32, rewrites: &Rewrites) -> Decision {
    if received.signal == Signal::CHLD {
        return Decision::Reap;
    }
    if received.sender == own_pid {
        return Decision::Ignore;
    }
    match rewrites.apply(received.signal) {
        Some(signal) => Decision::Forward(signal),
        None => Decision::Drop,
    }
}

/// Whether the signal asks the app to stop: once forwarded it arms
/// `--kill-after` and counts for `--stop-success`; it ends a `--stop-delay`
/// hold.
pub(crate) fn is_stop_request(signal: Signal) -> bool {
    signal == Signal::TERM || signal == Signal::INT
}

/// In `--pause` mode there is no app to forward to: a stop request ends rinit.
pub(crate) fn pause_ends_on(signal: Signal) -> bool {
    is_stop_request(signal)
}

/// Whether the main child's death by `signal` is the user's own doing at a
/// terminal: Ctrl-C (SIGINT) or Ctrl-\\ (SIGQUIT) typed while the child's
/// process group held the terminal's foreground. The terminal sends those to
/// that group and not to rinit, so rinit forwarded nothing, yet nobody needs
/// to be told who killed the app.
pub(crate) fn typed_at_the_terminal(signal: Signal, child_group_in_foreground: bool) -> bool {
    child_group_in_foreground && (signal == Signal::INT || signal == Signal::QUIT)
}

/// What rinit does when its main child has stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChildStopped {
    /// Nothing: the child stays stopped until someone sends SIGCONT.
    CarryOn,
    /// Stop as the job stops, with the same signal, so that the shell that
    /// started rinit (and waits for rinit's group, not the child's) sees
    /// its job stop and prints its prompt. `take_terminal`: first give the
    /// terminal's foreground back to rinit's group, as it was before rinit
    /// handed it to the child.
    StopToo { signal: Signal, take_terminal: bool },
}

/// Decides on a stop of the main child by `signal`. Only the terminal's
/// job-control signals count (Ctrl-Z's SIGTSTP, SIGTTIN and SIGTTOU for a
/// background read or write): a SIGSTOP is someone's explicit wish for that
/// process alone. PID 1 is nobody's job (and cannot stop itself from inside
/// its namespace). The whole story, under every name, is told once, in
/// docs/how-it-works.md ("Job control").
pub(crate) fn on_main_child_stopped(
    signal: Signal,
    is_pid1: bool,
    child_group_in_foreground: bool,
) -> ChildStopped {
    if is_pid1 || !is_job_control_stop(signal) {
        return ChildStopped::CarryOn;
    }
    ChildStopped::StopToo {
        signal,
        take_terminal: child_group_in_foreground,
    }
}

/// The stop signals a terminal sends, whose default action the kernel
/// discards in a process group orphaned from its session.
fn is_job_control_stop(signal: Signal) -> bool {
    [Signal::TSTP, Signal::TTIN, Signal::TTOU].contains(&signal)
}

/// What rinit does with a SIGCONT beyond forwarding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OnContinue {
    /// Give the terminal's foreground to the child's group.
    pub(crate) hand_terminal: bool,
    /// Send SIGCONT to the child's whole group, which the terminal stopped.
    pub(crate) continue_group: bool,
}

/// Decides on a SIGCONT. The shell's `fg` puts rinit's group in the
/// terminal's foreground and then sends SIGCONT; `bg` sends SIGCONT alone.
/// So whenever rinit's group is in the foreground when SIGCONT comes, the
/// child's group gets the terminal, as it got it at the start, before the
/// child runs on. If rinit had stopped itself as a job and forwarding does
/// not reach the child's whole group (`-c`), the group gets SIGCONT too:
/// the terminal stopped all of it.
pub(crate) fn on_continue(
    is_pid1: bool,
    own_group_in_foreground: bool,
    stopped_as_job: bool,
    forwarding_reaches_group: bool,
) -> OnContinue {
    OnContinue {
        hand_terminal: !is_pid1 && own_group_in_foreground,
        continue_group: stopped_as_job && !forwarding_reaches_group,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ctrl_c_and_ctrl_backslash_at_the_childs_terminal_are_the_users() {
        assert!(typed_at_the_terminal(sig("INT"), true));
        assert!(typed_at_the_terminal(sig("QUIT"), true));
        assert!(!typed_at_the_terminal(sig("INT"), false));
        for other in ["TERM", "KILL", "SEGV", "HUP"] {
            assert!(!typed_at_the_terminal(sig(other), true), "{other}");
        }
    }

    fn sig(name: &str) -> Signal {
        Signal::parse(name).unwrap()
    }

    fn from(signal: &str, sender: i32) -> Received {
        Received {
            signal: sig(signal),
            sender,
        }
    }

    #[test]
    fn sigchld_reaps_and_is_never_forwarded() {
        assert_eq!(
            decide(from("CHLD", 7), 1, &Rewrites::default()),
            Decision::Reap
        );
    }

    #[test]
    fn every_other_signal_is_forwarded_unchanged_by_default() {
        let rewrites = Rewrites::default();
        for n in 1..=64 {
            let signal = Signal::from_number(n).unwrap();
            if [Signal::CHLD].contains(&signal) {
                continue;
            }
            let received = Received { signal, sender: 0 };
            assert_eq!(
                decide(received, 1, &rewrites),
                Decision::Forward(signal),
                "{signal}"
            );
        }
    }

    #[test]
    fn fault_signals_sent_with_kill_are_forwarded() {
        for name in ["SEGV", "BUS", "ILL", "FPE", "ABRT", "TRAP", "SYS"] {
            assert_eq!(
                decide(from(name, 0), 1, &Rewrites::default()),
                Decision::Forward(sig(name))
            );
        }
    }

    #[test]
    fn own_signals_are_not_forwarded() {
        assert_eq!(
            decide(from("PIPE", 1), 1, &Rewrites::default()),
            Decision::Ignore
        );
        assert_eq!(
            decide(from("PIPE", 40), 40, &Rewrites::default()),
            Decision::Ignore
        );
        assert_eq!(
            decide(from("PIPE", 41), 40, &Rewrites::default()),
            Decision::Forward(sig("PIPE"))
        );
    }

    #[test]
    fn rewrites_change_or_drop() {
        let mut rewrites = Rewrites::default();
        rewrites.set(sig("TERM"), Some(sig("QUIT")));
        rewrites.set(sig("HUP"), None);
        rewrites.set(sig("RTMIN+1"), Some(sig("USR1")));
        assert_eq!(
            decide(from("TERM", 0), 1, &rewrites),
            Decision::Forward(sig("QUIT"))
        );
        assert_eq!(decide(from("HUP", 0), 1, &rewrites), Decision::Drop);
        assert_eq!(
            decide(from("RTMIN+1", 0), 1, &rewrites),
            Decision::Forward(sig("USR1"))
        );
        assert_eq!(
            decide(from("INT", 0), 1, &rewrites),
            Decision::Forward(sig("INT"))
        );
        assert_eq!(rewrites.rules().count(), 3);
    }

    #[test]
    fn later_rule_for_the_same_signal_wins() {
        let mut rewrites = Rewrites::default();
        rewrites.set(sig("TERM"), None);
        rewrites.set(sig("TERM"), Some(sig("INT")));
        assert_eq!(rewrites.apply(sig("TERM")), Some(sig("INT")));
    }

    #[test]
    fn rule_syntax() {
        assert_eq!(
            Rewrites::parse_rule("15:3"),
            Ok((sig("TERM"), Some(sig("QUIT"))))
        );
        assert_eq!(Rewrites::parse_rule("SIGHUP:0"), Ok((sig("HUP"), None)));
        assert_eq!(
            Rewrites::parse_rule("RTMIN+3:RTMAX"),
            Ok((sig("RTMIN+3"), Some(sig("RTMAX"))))
        );
        for bad in [
            "",
            "TERM",
            "TERM:",
            ":TERM",
            "TERM:QUIT:INT",
            "KILL:TERM",
            "CHLD:0",
            "X:Y",
        ] {
            assert!(Rewrites::parse_rule(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn targets_parse() {
        assert_eq!(ForwardTarget::parse("all"), Ok(ForwardTarget::All));
        assert_eq!(ForwardTarget::parse("group"), Ok(ForwardTarget::Group));
        assert_eq!(ForwardTarget::parse("child"), Ok(ForwardTarget::Child));
        assert!(ForwardTarget::parse("Group").is_err());
        assert!(ForwardTarget::parse("").is_err());
    }

    #[test]
    fn a_terminal_stop_of_the_child_stops_rinit_too_when_it_is_a_job() {
        let stop_too = |signal, take_terminal| ChildStopped::StopToo {
            signal,
            take_terminal,
        };
        for signal in [Signal::TSTP, Signal::TTIN, Signal::TTOU] {
            assert_eq!(
                on_main_child_stopped(signal, false, true),
                stop_too(signal, true)
            );
            // Stopped in the background: the terminal is the shell's.
            assert_eq!(
                on_main_child_stopped(signal, false, false),
                stop_too(signal, false)
            );
            // PID 1 is nobody's job.
            assert_eq!(
                on_main_child_stopped(signal, true, true),
                ChildStopped::CarryOn
            );
        }
        for signal in [Signal::STOP, sig("RTMIN")] {
            assert_eq!(
                on_main_child_stopped(signal, false, true),
                ChildStopped::CarryOn,
                "{signal}"
            );
        }
    }

    #[test]
    fn sigcont_hands_the_terminal_back_only_after_fg() {
        let plan = |pid1, foreground, stopped, reaches| {
            let p = on_continue(pid1, foreground, stopped, reaches);
            (p.hand_terminal, p.continue_group)
        };
        // fg: rinit's group was put in the foreground.
        assert_eq!(plan(false, true, true, true), (true, false));
        // bg: the shell kept the terminal.
        assert_eq!(plan(false, false, true, true), (false, false));
        // -c: forwarding reaches the child alone, the group needs SIGCONT.
        assert_eq!(plan(false, true, true, false), (true, true));
        // A SIGCONT that does not end a stop of rinit's own.
        assert_eq!(plan(false, false, false, false), (false, false));
        // PID 1 never stops, and keeps the terminal as it is.
        assert_eq!(plan(true, true, false, true), (false, false));
    }

    #[test]
    fn stop_requests() {
        assert!(is_stop_request(Signal::TERM));
        assert!(is_stop_request(Signal::INT));
        assert!(!is_stop_request(sig("HUP")));
        assert!(pause_ends_on(Signal::INT));
        assert!(!pause_ends_on(sig("USR1")));
    }
}
