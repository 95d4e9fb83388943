//! Signal numbers, names and sets, independent of the C library.
//!
//! rinit talks to the kernel's signal interface directly (see `sys`), so it
//! numbers signals the way the kernel does: 1 to 64 on Linux. Real-time
//! signals are named the way glibc and procps `kill -l` name them, with
//! `RTMIN` = 34 and `RTMAX` = 64, whatever C library the binary is linked
//! with (musl reserves one more signal and would otherwise call 35 `RTMIN`).

use signal_hook::low_level::signal_name;
use std::fmt;

/// The highest signal number on Linux.
pub const MAX_SIGNAL: i32 = 64;
/// `SIGRTMIN` as glibc, procps and shells present it.
pub const RTMIN: i32 = 34;
/// `SIGRTMAX`.
const RTMAX: i32 = MAX_SIGNAL;

use signal_hook::consts::signal::{
    SIGCHLD, SIGCONT, SIGINT, SIGKILL, SIGQUIT, SIGSTOP, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU,
};

/// The standard signals signal-hook has no name for (Linux's own), then the
/// aliases people type, without the `SIG` prefix. Every other standard
/// signal is named by `signal_hook::low_level::signal_name`.
const MORE_NAMES: &[(&str, i32)] = &[
    ("STKFLT", libc::SIGSTKFLT),
    ("PWR", libc::SIGPWR),
    ("IOT", libc::SIGIOT),
    ("CLD", SIGCHLD),
    ("POLL", libc::SIGPOLL),
];

/// The name of standard signal `number`, without `SIG`.
fn standard_name(number: i32) -> Option<&'static str> {
    signal_name(number)
        .and_then(|name| name.strip_prefix("SIG"))
        .or_else(|| {
            MORE_NAMES
                .iter()
                .find(|&&(_, n)| n == number)
                .map(|&(name, _)| name)
        })
}

/// The number of the standard signal called `name` (upper case, no `SIG`).
fn standard_number(name: &str) -> Option<i32> {
    (1..RTMIN)
        .find(|&n| signal_name(n).and_then(|s| s.strip_prefix("SIG")) == Some(name))
        .or_else(|| {
            MORE_NAMES
                .iter()
                .find(|&&(n, _)| n == name)
                .map(|&(_, number)| number)
        })
}

/// A valid signal number, 1 to 64.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(i32);

impl Signal {
    pub(crate) const INT: Signal = Signal(SIGINT);
    pub(crate) const QUIT: Signal = Signal(SIGQUIT);
    pub const KILL: Signal = Signal(SIGKILL);
    pub(crate) const TERM: Signal = Signal(SIGTERM);
    pub const CHLD: Signal = Signal(SIGCHLD);
    pub(crate) const CONT: Signal = Signal(SIGCONT);
    pub const STOP: Signal = Signal(SIGSTOP);
    pub(crate) const TSTP: Signal = Signal(SIGTSTP);
    pub(crate) const TTIN: Signal = Signal(SIGTTIN);
    pub(crate) const TTOU: Signal = Signal(SIGTTOU);
    pub(crate) const IO: Signal = Signal(libc::SIGIO);

    /// `None` unless `1 <= number <= 64`.
    pub(crate) fn from_number(number: i32) -> Option<Signal> {
        (1..=MAX_SIGNAL).contains(&number).then_some(Signal(number))
    }

    pub fn number(self) -> i32 {
        self.0
    }

    /// Parses `15`, `TERM`, `SIGTERM`, `term`, `RTMIN`, `RTMIN+3`, `SIGRTMAX-2`.
    pub fn parse(text: &str) -> Result<Signal, String> {
        let invalid = || format!("unknown signal '{text}'");
        if text.is_empty() {
            return Err("empty signal name".to_owned());
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<i32>()
                .ok()
                .and_then(Signal::from_number)
                .ok_or_else(|| format!("signal number '{text}' is out of range 1-{MAX_SIGNAL}"));
        }
        let upper = text.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(number) = standard_number(name) {
            return Ok(Signal(number));
        }
        let realtime = |base: i32, rest: &str| -> Option<i32> {
            match rest.as_bytes().first() {
                None => Some(base),
                Some(b'+') => rest[1..].parse::<i32>().ok().map(|n| base + n),
                Some(b'-') => rest[1..].parse::<i32>().ok().map(|n| base - n),
                _ => None,
            }
        };
        let number = if let Some(rest) = name.strip_prefix("RTMIN") {
            realtime(RTMIN, rest)
        } else if let Some(rest) = name.strip_prefix("RTMAX") {
            realtime(RTMAX, rest)
        } else {
            None
        };
        number
            .filter(|n| (RTMIN..=RTMAX).contains(n))
            .map(Signal)
            .ok_or_else(invalid)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match standard_name(self.0) {
            Some(name) => write!(f, "SIG{name}"),
            None if self.0 == RTMIN => f.write_str("SIGRTMIN"),
            None if self.0 > RTMIN && self.0 < RTMAX => write!(f, "SIGRTMIN+{}", self.0 - RTMIN),
            None if self.0 == RTMAX => f.write_str("SIGRTMAX"),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}({})", self.0)
    }
}

/// A signal as it came out of the signalfd (`sys::SignalReader`), the
/// input of `policy::decide`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) signal: Signal,
    /// The sender, when the kernel says (0 for the kernel itself).
    pub(crate) sender: i32,
}

/// A set of signals in the kernel's own layout: bit `n - 1` stands for
/// signal `n`. This is what `rt_sigprocmask` and `signalfd4` take, and unlike
/// the C library's `sigset_t` it can hold the signals the C library reserves
/// for itself (32 to 34), which users may still send.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SignalSet(u64);

impl SignalSet {
    pub(crate) const EMPTY: SignalSet = SignalSet(0);

    /// Every signal a process can block: all but SIGKILL and SIGSTOP.
    pub(crate) fn blockable() -> SignalSet {
        SignalSet(u64::MAX)
            .without(Signal::KILL)
            .without(Signal::STOP)
    }

    pub(crate) fn from_bits(bits: u64) -> SignalSet {
        SignalSet(bits)
    }

    pub(crate) fn bits(self) -> u64 {
        self.0
    }

    pub(crate) fn with(self, signal: Signal) -> SignalSet {
        SignalSet(self.0 | 1 << (signal.0 - 1))
    }

    pub(crate) fn without(self, signal: Signal) -> SignalSet {
        SignalSet(self.0 & !(1 << (signal.0 - 1)))
    }

    pub(crate) fn contains(self, signal: Signal) -> bool {
        self.0 & (1 << (signal.0 - 1)) != 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Signal> {
        (1..=MAX_SIGNAL)
            .map(Signal)
            .filter(move |s| self.contains(*s))
    }
}

impl fmt::Debug for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_names_and_prefixes() {
        assert_eq!(Signal::parse("15"), Ok(Signal::TERM));
        assert_eq!(Signal::parse("TERM"), Ok(Signal::TERM));
        assert_eq!(Signal::parse("SIGTERM"), Ok(Signal::TERM));
        assert_eq!(Signal::parse("sigterm"), Ok(Signal::TERM));
        assert_eq!(Signal::parse("9"), Ok(Signal::KILL));
        assert_eq!(Signal::parse("64").map(Signal::number), Ok(64));
    }

    #[test]
    fn names_from_signal_hook_and_linux_own() {
        for (name, number) in [
            ("SIGSTKFLT", 16),
            ("SIGPWR", 30),
            ("SIGIO", 29),
            ("SIGSYS", 31),
            ("SIGURG", 23),
            ("SIGWINCH", 28),
        ] {
            let signal = Signal::from_number(number).unwrap();
            assert_eq!(signal.to_string(), name);
            assert_eq!(Signal::parse(name), Ok(signal));
        }
        for (alias, number) in [("IOT", 6), ("SIGCLD", 17), ("poll", 29)] {
            assert_eq!(Signal::parse(alias).map(Signal::number), Ok(number));
        }
        for number in 1..32 {
            let name = Signal::from_number(number).unwrap().to_string();
            assert!(!name.starts_with("signal "), "{number} has no name");
        }
    }

    #[test]
    fn parses_realtime_offsets() {
        assert_eq!(Signal::parse("RTMIN").map(Signal::number), Ok(34));
        assert_eq!(Signal::parse("RTMIN+3").map(Signal::number), Ok(37));
        assert_eq!(Signal::parse("SIGRTMAX-2").map(Signal::number), Ok(62));
        assert_eq!(Signal::parse("SIGRTMAX").map(Signal::number), Ok(64));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "0",
            "65",
            "99999999999",
            "TERMX",
            "RTMIN+31",
            "RTMAX+1",
            "RTMIN-1",
            "RTMIN+",
            "RTMIN+x",
            "-1",
            "+3",
            "SIG",
            " TERM",
        ] {
            assert!(Signal::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn names_round_trip() {
        for n in 1..=MAX_SIGNAL {
            let signal = Signal::from_number(n).unwrap();
            let name = signal.to_string();
            if (32..RTMIN).contains(&n) {
                assert_eq!(name, format!("signal {n}"));
            } else {
                assert_eq!(Signal::parse(&name), Ok(signal), "{name}");
            }
        }
    }

    #[test]
    fn blockable_set_excludes_only_kill_and_stop() {
        let set = SignalSet::blockable();
        assert_eq!(set.iter().count(), 62);
        assert!(!set.contains(Signal::KILL));
        assert!(!set.contains(Signal::STOP));
        assert!(set.contains(Signal::from_number(32).unwrap()));
        assert!(set.contains(Signal::from_number(64).unwrap()));
    }
}
