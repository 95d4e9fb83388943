//! What to do with each signal rinit receives. Pure decisions, no syscalls.

use crate::signals::{MAX_SIGNAL, Signal};

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

    /// The signal to send for `signal`, `None` to drop it.
    pub fn apply(&self, signal: Signal) -> Option<Signal> {
        self.table[signal.number() as usize].unwrap_or(Some(signal))
    }

    pub fn rules(&self) -> impl Iterator<Item = (Signal, Option<Signal>)> + '_ {
        self.table
            .iter()
            .enumerate()
            .filter_map(|(n, rule)| Some((Signal::from_number(n as i32)?, (*rule)?)))
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

/// A signal as it came out of the signalfd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub signal: Signal,
    /// The sender, when the kernel says (0 for the kernel itself).
    pub sender: i32,
}

/// What rinit does with one received signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
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

pub fn decide(received: Received, own_pid: i32, rewrites: &Rewrites) -> Decision {
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
pub fn is_stop_request(signal: Signal) -> bool {
    signal == Signal::TERM || signal == Signal::INT
}

/// In `--pause` mode there is no app to forward to: a stop request ends rinit.
pub fn pause_ends_on(signal: Signal) -> bool {
    is_stop_request(signal)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn stop_requests() {
        assert!(is_stop_request(Signal::TERM));
        assert!(is_stop_request(Signal::INT));
        assert!(!is_stop_request(Signal::HUP));
        assert!(pause_ends_on(Signal::INT));
        assert!(!pause_ends_on(sig("USR1")));
    }
}
