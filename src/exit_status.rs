//! Every exit code rinit can end with is decided here and nowhere else:
//! the one that mirrors the main child (`outcome`, with `--remap-exit` and
//! `--stop-success`), and those of rinit's own ends: a usage error, a
//! command that cannot be started, a failure of rinit itself. Under a peer's
//! name the last ones are that peer's, so that scripts written for it keep
//! working. `tests::the_exit_code_table` holds the README's table.

use crate::personality::Personality;
use crate::signals::{Signal, SignalSet};
use nix::errno::Errno;
use std::collections::BTreeSet;

/// `--help`, `--version` and `--license`, and `--pause` ended by SIGTERM or
/// SIGINT: under every name.
pub(crate) const SUCCESS: i32 = 0;

/// rinit itself failed, not the command (it could not create its signalfd,
/// fork, or become a subreaper when `-s` asked for it): under every name.
pub(crate) const FAILURE: i32 = 1;

/// `--probe`: a target failed (Docker's HEALTHCHECK reads 1 as unhealthy).
pub(crate) const UNHEALTHY: i32 = 1;

/// rinit ended by `signal` before any child ran (a SIGTERM during
/// `--wait-for`): the code a shell gives a process killed by it.
pub(crate) fn killed_by(signal: Signal) -> i32 {
    exit_code(Termination::Killed {
        signal,
        core_dumped: false,
    })
}

/// A malformed command line or variable: 2, the usual code for bad usage;
/// the peers exit 1.
pub fn usage_exit_code(personality: Personality) -> i32 {
    match personality {
        Personality::Rinit => 2,
        Personality::Tini | Personality::DumbInit | Personality::Catatonit => 1,
    }
}

/// The command could not be started: an exec that failed with `exec_errno`
/// (see `exec_failure_exit_code`), or, with `None`, a failure before the
/// exec (the fork failed), which is a failure of rinit itself.
pub(crate) fn start_failure_exit_code(personality: Personality, exec_errno: Option<Errno>) -> i32 {
    match exec_errno {
        Some(errno) => exec_failure_exit_code(personality, errno),
        None => FAILURE,
    }
}

/// A failed exec. rinit's own: the shell's 127 when the command was not
/// found (a dangling symbolic link, a file used as a directory in the path)
/// and 126 when it was found but could not be executed. tini switches on
/// `execvp`'s errno: ENOENT 127, EACCES 126, anything else 1 (ENOTDIR, E2BIG,
/// ELOOP...); dumb-init exits 2 and catatonit 1 whatever the error.
pub(crate) fn exec_failure_exit_code(personality: Personality, errno: Errno) -> i32 {
    match personality {
        Personality::Rinit if matches!(errno, Errno::ENOENT | Errno::ENOTDIR) => 127,
        Personality::Rinit => 126,
        Personality::Tini => match errno {
            Errno::ENOENT => 127,
            Errno::EACCES => 126,
            _ => FAILURE,
        },
        Personality::DumbInit => 2,
        Personality::Catatonit => 1,
    }
}

/// How a process ended, as `waitpid` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Termination {
    Exited(i32),
    /// Killed by this signal, with or without a core dump.
    Killed {
        signal: Signal,
        core_dumped: bool,
    },
}

impl Termination {
    /// Decodes a raw `waitpid` status. rinit decodes it itself: nix's
    /// `WaitStatus` has no way to name a real-time signal, so it turns a
    /// death by signal 32-64 into an error after the process has been
    /// reaped, and the status is lost. `None` for a stop or continue report
    /// (see `stopped_by`). Linux kills with signals 1 to 64 only; a status
    /// naming another number (which its encoding could hold) is still an
    /// end, kept as the code a shell would give it, never lost.
    pub(crate) fn from_wait_status(status: i32) -> Option<Termination> {
        if libc::WIFEXITED(status) {
            Some(Termination::Exited(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            let number = libc::WTERMSIG(status);
            Some(match Signal::from_number(number) {
                Some(signal) => Termination::Killed {
                    signal,
                    core_dumped: libc::WCOREDUMP(status),
                },
                None => Termination::Exited(128 + number),
            })
        } else {
            None
        }
    }
}

/// The signal that stopped a process, if the raw `waitpid` status is a stop
/// report (asked for with `WUNTRACED`). Decoded by hand for the same reason
/// as `Termination::from_wait_status`.
pub(crate) fn stopped_by(status: i32) -> Option<Signal> {
    if libc::WIFSTOPPED(status) {
        Signal::from_number(libc::WSTOPSIG(status))
    } else {
        None
    }
}

/// Shell convention: the exit code, or 128+N for death by signal N.
pub(crate) fn exit_code(termination: Termination) -> i32 {
    match termination {
        Termination::Exited(code) => code & 0xff,
        Termination::Killed { signal, .. } => 128 + signal.number(),
    }
}

/// `--remap-exit`: listed codes count as success. Applied after 128+N, so
/// `-e 143` turns death by SIGTERM into 0.
pub(crate) fn remap(code: i32, success_codes: &BTreeSet<u8>) -> i32 {
    match u8::try_from(code) {
        Ok(byte) if success_codes.contains(&byte) => 0,
        _ => code,
    }
}

/// The exit code once the main child has ended: its code, or 128+N for
/// death by signal N; 0 if `--stop-success` applies (`stop_success` holds the
/// signals rinit forwarded as stop requests, `None` when the option is off);
/// then `--remap-exit`.
pub(crate) fn outcome(
    termination: Termination,
    success_codes: &BTreeSet<u8>,
    stop_success: Option<SignalSet>,
) -> i32 {
    if stop_success.is_some_and(|sent| ended_as_asked(termination, sent)) {
        return 0;
    }
    remap(exit_code(termination), success_codes)
}

/// `--stop-success`: the child ended the way a stop request asked it to. It
/// was killed by a signal in `sent`, the signals rinit forwarded because a
/// SIGTERM or SIGINT came from outside (as rewritten: with `-r TERM:QUIT`
/// that is SIGQUIT), or it exited with 128 + one of them, as shells and many
/// apps do when they stop on a signal. The same death without such a request
/// (the app killed itself, a neighbour killed it, the kernel did) is not
/// asked for; neither is SIGKILL from `--kill-after`, which means the app
/// did not stop in time.
fn ended_as_asked(termination: Termination, sent: SignalSet) -> bool {
    let signal = match termination {
        Termination::Killed { signal, .. } => Some(signal),
        Termination::Exited(code) => Signal::from_number((code & 0xff) - 128),
    };
    signal.is_some_and(|signal| sent.contains(signal))
}

/// Parses one `--remap-exit` value: a whole number from 0 to 255.
pub fn parse_exit_code(text: &str) -> Result<u8, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not an exit code (0-255)"));
    }
    text.parse::<u8>()
        .map_err(|_| format!("'{text}' is out of the exit code range 0-255"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_pass_through() {
        for code in 0..=255 {
            assert_eq!(exit_code(Termination::Exited(code)), code);
        }
    }

    fn killed(signal: i32) -> Termination {
        Termination::Killed {
            signal: Signal::from_number(signal).unwrap(),
            core_dumped: false,
        }
    }

    #[test]
    fn signals_become_128_plus_n() {
        assert_eq!(exit_code(killed(libc::SIGTERM)), 143);
        assert_eq!(exit_code(killed(libc::SIGKILL)), 137);
        assert_eq!(exit_code(killed(libc::SIGINT)), 130);
        assert_eq!(exit_code(killed(64)), 192);
    }

    /// The kernel's encoding (see wait(2)): exit code in bits 8-15, the
    /// killing signal in bits 0-6, bit 7 for a core dump, 0x7f for a stop.
    #[test]
    fn raw_statuses_decode_for_every_signal() {
        for signal in 1..=64 {
            assert_eq!(
                Termination::from_wait_status(signal),
                Some(killed(signal)),
                "{signal}"
            );
            assert_eq!(
                Termination::from_wait_status(signal | 0x80),
                Some(Termination::Killed {
                    signal: Signal::from_number(signal).unwrap(),
                    core_dumped: true
                })
            );
            assert_eq!(exit_code(killed(signal)), 128 + signal);
        }
        for code in 0..=255 {
            assert_eq!(
                Termination::from_wait_status(code << 8),
                Some(Termination::Exited(code))
            );
        }
        // A number Linux never kills with is still an end, not a stop.
        assert_eq!(
            Termination::from_wait_status(100),
            Some(Termination::Exited(228))
        );
        // Stopped by SIGTSTP, and continued: not an end.
        assert_eq!(Termination::from_wait_status(0x7f | 20 << 8), None);
        assert_eq!(Termination::from_wait_status(0xffff), None);
    }

    #[test]
    fn stop_reports_name_their_signal_and_nothing_else_is_one() {
        for signal in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU, libc::SIGSTOP] {
            assert_eq!(stopped_by(0x7f | signal << 8), Signal::from_number(signal));
        }
        // Exited, killed, dumped core, continued.
        for status in [0, 7 << 8, libc::SIGTERM, libc::SIGSEGV | 0x80, 0xffff] {
            assert_eq!(stopped_by(status), None, "{status:#x}");
        }
    }

    #[test]
    fn remap_applies_after_signal_mapping() {
        let codes: BTreeSet<u8> = [143, 3].into_iter().collect();
        assert_eq!(remap(exit_code(killed(libc::SIGTERM)), &codes), 0);
        assert_eq!(remap(3, &codes), 0);
        assert_eq!(remap(4, &codes), 4);
        assert_eq!(remap(192, &codes), 192);
    }

    fn sent(names: &[&str]) -> SignalSet {
        names.iter().fold(SignalSet::EMPTY, |set, name| {
            set.with(Signal::parse(name).unwrap())
        })
    }

    #[test]
    fn stop_success_needs_the_option() {
        let none = BTreeSet::new();
        assert_eq!(outcome(killed(libc::SIGTERM), &none, None), 143);
        assert_eq!(
            outcome(killed(libc::SIGTERM), &none, Some(sent(&["TERM"]))),
            0
        );
        assert_eq!(outcome(Termination::Exited(3), &none, None), 3);
    }

    #[test]
    fn stop_success_needs_a_forwarded_stop_request() {
        let none = BTreeSet::new();
        // The same deaths, with nothing forwarded: the child's own doing.
        for termination in [killed(libc::SIGTERM), Termination::Exited(143)] {
            assert_eq!(outcome(termination, &none, Some(SignalSet::EMPTY)), 143);
        }
        assert_eq!(
            outcome(killed(libc::SIGINT), &none, Some(sent(&["TERM"]))),
            130
        );
    }

    #[test]
    fn stop_success_counts_death_by_the_signal_or_exit_128_plus_it() {
        let none = BTreeSet::new();
        let requested = Some(sent(&["TERM", "INT"]));
        for termination in [
            killed(libc::SIGTERM),
            killed(libc::SIGINT),
            Termination::Exited(143),
            Termination::Exited(130),
            Termination::Killed {
                signal: Signal::TERM,
                core_dumped: true,
            },
        ] {
            assert_eq!(outcome(termination, &none, requested), 0, "{termination:?}");
        }
        // Anything else keeps its code: a crash, SIGKILL from --kill-after,
        // a failure, an ordinary success.
        for (termination, code) in [
            (killed(libc::SIGSEGV), 139),
            (killed(libc::SIGKILL), 137),
            (Termination::Exited(137), 137),
            (Termination::Exited(1), 1),
            (Termination::Exited(15), 15),
            (Termination::Exited(128), 128),
            (Termination::Exited(255), 255),
            (Termination::Exited(0), 0),
        ] {
            assert_eq!(
                outcome(termination, &none, requested),
                code,
                "{termination:?}"
            );
        }
    }

    #[test]
    fn stop_success_counts_the_signal_as_forwarded_after_rewrites() {
        let none = BTreeSet::new();
        // -r TERM:QUIT: the app was sent SIGQUIT.
        let requested = Some(sent(&["QUIT"]));
        assert_eq!(outcome(killed(libc::SIGQUIT), &none, requested), 0);
        assert_eq!(outcome(Termination::Exited(131), &none, requested), 0);
        // SIGTERM came from outside but never reached the app: dying of it
        // was not what rinit asked for.
        assert_eq!(outcome(killed(libc::SIGTERM), &none, requested), 143);
        assert_eq!(outcome(Termination::Exited(143), &none, requested), 143);
        // Real-time signals too (-r TERM:RTMIN+3).
        let requested = Some(sent(&["RTMIN+3"]));
        assert_eq!(outcome(killed(37), &none, requested), 0);
        assert_eq!(outcome(Termination::Exited(165), &none, requested), 0);
    }

    #[test]
    fn remap_still_applies_with_stop_success() {
        let codes: BTreeSet<u8> = [143, 3].into_iter().collect();
        assert_eq!(
            outcome(killed(libc::SIGTERM), &codes, Some(SignalSet::EMPTY)),
            0
        );
        assert_eq!(
            outcome(Termination::Exited(3), &codes, Some(sent(&["TERM"]))),
            0
        );
        assert_eq!(
            outcome(Termination::Exited(4), &codes, Some(sent(&["TERM"]))),
            4
        );
    }

    /// The README's table of exit codes, row by row, under each name (rinit,
    /// tini, dumb-init, catatonit): a change here is one users see, and the
    /// README must change with it.
    #[test]
    fn the_exit_code_table() {
        use Personality::*;
        let none = BTreeSet::new();
        let listed: BTreeSet<u8> = [143].into_iter().collect();
        let exec = Some;
        type Code<'a> = Box<dyn Fn(Personality) -> i32 + 'a>;
        let rows: Vec<(&str, [i32; 4], Code)> = vec![
            (
                "the child's code",
                [3; 4],
                Box::new(|_| outcome(Termination::Exited(3), &none, None)),
            ),
            (
                "128 + N: killed by signal N",
                [143; 4],
                Box::new(|_| outcome(killed(libc::SIGTERM), &none, None)),
            ),
            (
                "0: the code, or 128+N, listed with -e",
                [0; 4],
                Box::new(|_| outcome(killed(libc::SIGTERM), &listed, None)),
            ),
            (
                "0: --stop-success, the child ended of the forwarded stop request",
                [0; 4],
                Box::new(|_| outcome(killed(libc::SIGTERM), &none, Some(sent(&["TERM"])))),
            ),
            (
                "0: --pause ended on SIGTERM/SIGINT; --help, --version",
                [0; 4],
                Box::new(|_| SUCCESS),
            ),
            (
                "127: the command was not found",
                [127, 127, 2, 1],
                Box::new(|p| start_failure_exit_code(p, exec(Errno::ENOENT))),
            ),
            (
                "127: a directory in the path is a file (tini: 1)",
                [127, 1, 2, 1],
                Box::new(|p| start_failure_exit_code(p, exec(Errno::ENOTDIR))),
            ),
            (
                "126: no permission, or a directory",
                [126, 126, 2, 1],
                Box::new(|p| start_failure_exit_code(p, exec(Errno::EACCES))),
            ),
            (
                "126: not a binary for this machine, or a script without #! (tini: 1)",
                [126, 1, 2, 1],
                Box::new(|p| start_failure_exit_code(p, exec(Errno::ENOEXEC))),
            ),
            (
                "126: argument list too long (tini: 1)",
                [126, 1, 2, 1],
                Box::new(|p| start_failure_exit_code(p, exec(Errno::E2BIG))),
            ),
            ("2: bad usage", [2, 1, 1, 1], Box::new(usage_exit_code)),
            (
                "1: rinit could not fork the child",
                [1; 4],
                Box::new(|p| start_failure_exit_code(p, None)),
            ),
            ("1: rinit itself failed", [1; 4], Box::new(|_| FAILURE)),
        ];
        for (row, codes, code) in &rows {
            for (personality, expected) in [Rinit, Tini, DumbInit, Catatonit].into_iter().zip(codes)
            {
                assert_eq!(
                    code(personality),
                    *expected,
                    "{row}, as {}",
                    personality.name()
                );
            }
        }
    }

    #[test]
    fn exit_code_syntax() {
        assert_eq!(parse_exit_code("0"), Ok(0));
        assert_eq!(parse_exit_code("255"), Ok(255));
        for bad in ["", "256", "-1", "+1", "1.0", "x", "99999999999999999999"] {
            assert!(parse_exit_code(bad).is_err(), "{bad:?}");
        }
    }
}
