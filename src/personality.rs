//! Which init rinit is standing in for, decided by the name it was run as.
//!
//! People adopt an init by swapping a binary: a symlink or copy of rinit named
//! after a peer keeps that peer's defaults, so an existing Dockerfile, compose
//! file or daemon configuration keeps behaving as it did. Only defaults
//! change: every rinit option and variable still works under any name.

use crate::policy::ForwardTarget;
use crate::signals::Signal;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    Rinit,
    /// `tini`, `tini-static`, and `docker-init` (the name Docker mounts its
    /// `--init` binary under).
    Tini,
    DumbInit,
    Catatonit,
}

impl Personality {
    /// Decides from `argv[0]`: only the file name counts, not the directory.
    pub fn from_argv0(argv0: &[u8]) -> Personality {
        let name = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
        match name {
            b"tini" | b"tini-static" | b"docker-init" => Personality::Tini,
            b"dumb-init" => Personality::DumbInit,
            b"catatonit" => Personality::Catatonit,
            _ => Personality::Rinit,
        }
    }

    /// What the program calls itself in messages.
    pub fn name(self) -> &'static str {
        match self {
            Personality::Rinit => "rinit",
            Personality::Tini => "tini",
            Personality::DumbInit => "dumb-init",
            Personality::Catatonit => "catatonit",
        }
    }

    /// Exit code for a malformed command line or variable.
    pub fn usage_exit_code(self) -> i32 {
        match self {
            Personality::Rinit => 2,
            _ => 1,
        }
    }

    /// Exit codes for a command that was not found, and for one that was
    /// found but could not be executed.
    pub fn exec_failure_exit_codes(self) -> (i32, i32) {
        match self {
            Personality::Rinit | Personality::Tini => (127, 126),
            Personality::DumbInit => (2, 2),
            Personality::Catatonit => (1, 1),
        }
    }

    pub fn default_forward_target(self) -> ForwardTarget {
        match self {
            Personality::Rinit | Personality::DumbInit => ForwardTarget::Group,
            Personality::Tini | Personality::Catatonit => ForwardTarget::Child,
        }
    }

    /// The peers exit as soon as the main child does, and the kernel then
    /// kills what is left at once; a zero grace reproduces that (and, unlike
    /// them, still leaves no orphan behind when not PID 1).
    pub fn default_grace(self) -> Duration {
        match self {
            Personality::Rinit => Duration::from_secs(5),
            _ => Duration::ZERO,
        }
    }

    /// The peers' handling of the job-control signals, as rewrite rules
    /// (`None` drops the signal). rinit itself forwards them unchanged.
    pub fn default_rewrites(self) -> &'static [(Signal, Option<Signal>)] {
        match self {
            Personality::Rinit => &[],
            Personality::Tini => &[(Signal::TTIN, None), (Signal::TTOU, None)],
            Personality::DumbInit => &[
                (Signal::TSTP, Some(Signal::STOP)),
                (Signal::TTIN, Some(Signal::STOP)),
                (Signal::TTOU, Some(Signal::STOP)),
            ],
            Personality::Catatonit => &[
                (Signal::TSTP, None),
                (Signal::TTIN, None),
                (Signal::TTOU, None),
            ],
        }
    }

    /// dumb-init, after stopping its child's group on a job-control signal,
    /// stops itself so that the shell it was started from sees the job stop.
    pub fn stops_itself_with_child(self) -> bool {
        self == Personality::DumbInit
    }

    /// The `--version` line. Docker's `docker info` expects its init to
    /// answer with a line starting `tini version `.
    pub fn version_line(self) -> String {
        let version = env!("CARGO_PKG_VERSION");
        match self {
            Personality::Tini => format!("tini version 0.19.0 - rinit {version}"),
            _ => format!("rinit {version}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_decides_personality() {
        assert_eq!(Personality::from_argv0(b"rinit"), Personality::Rinit);
        assert_eq!(
            Personality::from_argv0(b"/sbin/docker-init"),
            Personality::Tini
        );
        assert_eq!(Personality::from_argv0(b"/usr/bin/tini"), Personality::Tini);
        assert_eq!(Personality::from_argv0(b"tini-static"), Personality::Tini);
        assert_eq!(
            Personality::from_argv0(b"./dumb-init"),
            Personality::DumbInit
        );
        assert_eq!(
            Personality::from_argv0(b"catatonit"),
            Personality::Catatonit
        );
        assert_eq!(
            Personality::from_argv0(b"/run/podman-init"),
            Personality::Rinit
        );
        assert_eq!(Personality::from_argv0(b"/tini/rinit"), Personality::Rinit);
        assert_eq!(Personality::from_argv0(b""), Personality::Rinit);
    }

    #[test]
    fn docker_sees_a_tini_version_line() {
        assert!(
            Personality::Tini
                .version_line()
                .starts_with("tini version ")
        );
        assert!(Personality::Rinit.version_line().starts_with("rinit "));
    }

    #[test]
    fn peers_use_their_own_exit_codes() {
        assert_eq!(Personality::Rinit.usage_exit_code(), 2);
        assert_eq!(Personality::Catatonit.usage_exit_code(), 1);
        assert_eq!(Personality::DumbInit.exec_failure_exit_codes(), (2, 2));
        assert_eq!(Personality::Tini.exec_failure_exit_codes(), (127, 126));
    }
}
