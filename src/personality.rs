//! Which init rinit is standing in for, decided by the name it was run as.
//!
//! People adopt an init by swapping a binary: a symlink or copy of rinit named
//! after a peer keeps that peer's defaults, so an existing Dockerfile, compose
//! file or daemon configuration keeps behaving as it did. Only defaults
//! change: every rinit option and variable still works under any name.

use crate::policy::{ForwardTarget, Rewrites};
use crate::signals::{Signal, SignalSet};
use nix::errno::Errno;
use std::time::Duration;

/// What happens between the main child's exit and rinit's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterMainExit {
    /// rinit's drain: the drain signal to everyone left, a grace period,
    /// then SIGKILL; exit once nothing is left.
    Drain,
    /// Send this signal to the main child's process group, then exit.
    SignalGroupAndExit(Signal),
    /// Exit at once.
    Exit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// rinit itself, under any name not listed below; `docker-init` (the
    /// name Docker mounts its `--init` binary under) is rinit too: choosing
    /// rinit in `daemon.json` gives the same behaviour as choosing it in
    /// podman, whose `/run/podman-init` was never a peer's name.
    Rinit,
    /// `tini` and `tini-static`: what a Dockerfile that replaces tini, and
    /// tini's own suite, run.
    Tini,
    DumbInit,
    Catatonit,
}

impl Personality {
    /// Decides from `argv[0]`: only the file name counts, not the directory.
    pub fn from_argv0(argv0: &[u8]) -> Personality {
        let name = argv0.rsplit(|&b| b == b'/').next().unwrap_or(argv0);
        match name {
            b"tini" | b"tini-static" => Personality::Tini,
            b"dumb-init" => Personality::DumbInit,
            b"catatonit" => Personality::Catatonit,
            _ => Personality::Rinit,
        }
    }

    /// What the program calls itself in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Personality::Rinit => "rinit",
            Personality::Tini => "tini",
            Personality::DumbInit => "dumb-init",
            Personality::Catatonit => "catatonit",
        }
    }

    pub(crate) fn default_forward_target(self) -> ForwardTarget {
        match self {
            Personality::Rinit | Personality::DumbInit => ForwardTarget::Group,
            Personality::Tini | Personality::Catatonit => ForwardTarget::Child,
        }
    }

    /// The peers exit as soon as the main child does; a zero grace is how
    /// rinit's command line says "no drain" under their names.
    pub(crate) fn default_grace(self) -> Duration {
        match self {
            Personality::Rinit => Duration::from_secs(5),
            _ => Duration::ZERO,
        }
    }

    /// What rinit does once the main child has ended and before it exits.
    /// `grace` is the configured one: under a peer's name, a non-zero grace
    /// (`--grace`, `RINIT_GRACE`) asks for rinit's drain instead of the
    /// peer's way.
    /// `rewrites` are the `-r` rules in force.
    pub(crate) fn after_main_exit(
        self,
        grace: Duration,
        forward_to: ForwardTarget,
        rewrites: &Rewrites,
    ) -> AfterMainExit {
        match self {
            Personality::Rinit => AfterMainExit::Drain,
            _ if !grace.is_zero() => AfterMainExit::Drain,
            // dumb-init's setsid mode: one SIGTERM to the child's group, as
            // it does; in single-child mode it sends nothing. dumb-init
            // sends it as it forwards any signal, through its rewrite rules:
            // `-r 15:3` sends SIGQUIT (nginx's graceful stop), `-r 15:0`
            // nothing.
            Personality::DumbInit if forward_to != ForwardTarget::Child => {
                match rewrites.apply(Signal::TERM) {
                    Some(signal) => AfterMainExit::SignalGroupAndExit(signal),
                    None => AfterMainExit::Exit,
                }
            }
            // tini and catatonit just exit. As PID 1 the kernel then kills
            // what is left; otherwise what is left is re-parented, as it
            // would be under the peer.
            _ => AfterMainExit::Exit,
        }
    }

    /// The peers' handling of the job-control signals, as rewrite rules
    /// (`None` drops the signal). rinit itself forwards them unchanged.
    /// dumb-init rewrites them to SIGSTOP only in its setsid mode (when it
    /// forwards to the group); with `-c` it forwards them as they are.
    pub(crate) fn default_rewrites(
        self,
        forward_to: ForwardTarget,
    ) -> &'static [(Signal, Option<Signal>)] {
        match self {
            Personality::Rinit => &[],
            Personality::Tini => &[(Signal::TTIN, None), (Signal::TTOU, None)],
            Personality::DumbInit if forward_to == ForwardTarget::Child => &[],
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

    /// dumb-init, after forwarding a job-control signal it received (however
    /// it was rewritten, even dropped), stops itself so that the shell it was
    /// started from sees the job stop.
    pub(crate) fn stops_itself_on(self, received: Signal) -> bool {
        self == Personality::DumbInit
            && [Signal::TSTP, Signal::TTIN, Signal::TTOU].contains(&received)
    }

    /// The line a peer prints when the command cannot be executed, word for
    /// word (scripts grep for it); `None` for rinit's own message.
    /// `program` is the command as given, made printable by the caller
    /// (`text::printable`), `child` the pid of the process that failed to
    /// exec (tini and catatonit print that one). The error is worded by the
    /// C library's `strerror`, as the peers word it (nix's own texts differ
    /// from it for some errors).
    pub(crate) fn exec_failure_line(
        self,
        program: &str,
        errno: Errno,
        child: i32,
    ) -> Option<String> {
        let error = c_library_error_text(errno);
        match self {
            Personality::Rinit => None,
            Personality::Tini => Some(format!(
                "[FATAL tini ({child})] exec {program} failed: {error}"
            )),
            Personality::DumbInit => Some(format!("[dumb-init] {program}: {error}")),
            Personality::Catatonit => Some(format!(
                "ERROR (catatonit:{child}): failed to exec pid1: {error}"
            )),
        }
    }

    /// The `-w` warning for a reaped process other than the main child;
    /// tini's wording is what its users grep for.
    pub(crate) fn reap_warning(self, pid: i32, how: &str) -> String {
        match self {
            Personality::Tini => format!("Reaped zombie process with pid={pid}"),
            _ => format!("reaped process {pid}: {how}"),
        }
    }

    /// The signal mask the child starts with, from the one rinit inherited.
    /// catatonit also blocks TSTP, TTIN and TTOU in its child, so that the
    /// terminal cannot stop it; the others hand the mask on unchanged.
    pub(crate) fn child_mask(self, inherited: SignalSet) -> SignalSet {
        match self {
            Personality::Catatonit => inherited
                .with(Signal::TSTP)
                .with(Signal::TTIN)
                .with(Signal::TTOU),
            _ => inherited,
        }
    }

    /// The `--version` line: each peer's own format under its name, which
    /// scripts match on. dockerd runs the binary at its host path, whatever
    /// its name, and reads `NAME version X - git.COMMIT` (its
    /// `parseInitVersion`): rinit's own line is in that format.
    pub(crate) fn version_line(self) -> String {
        let version = env!("CARGO_PKG_VERSION");
        match self {
            Personality::Tini => format!("tini version 0.19.0 - rinit {version}"),
            // catatonit answers as tini too, for the same `docker info`.
            Personality::Catatonit => format!("tini version 0.1.7_catatonit - rinit {version}"),
            // dumb-init's own format, which scripts match on.
            Personality::DumbInit => format!("dumb-init v1.2.5 - rinit {version}"),
            Personality::Rinit => rinit_version_line(version, env!("RINIT_COMMIT")),
        }
    }

    /// The peers exec with glibc's `execvp`, which runs a file without a
    /// `#!` line with `/bin/sh`; rinit reports it as not executable (126),
    /// the same on every C library (see `spawn`).
    pub(crate) fn runs_scripts_with_sh(self) -> bool {
        self != Personality::Rinit
    }

    /// dumb-init prints its version on stderr; the others on stdout.
    pub(crate) fn version_on_stderr(self) -> bool {
        self == Personality::DumbInit
    }
}

/// `rinit version X - git.COMMIT`, or without the commit when the build
/// knew none (`build.rs`). dockerd takes a version only after `tini version `
/// and otherwise shows the commit in `docker info`; a line with neither is
/// a warning in its log and `N/A`, which a build without a commit cannot
/// avoid without naming a commit it does not have.
fn rinit_version_line(version: &str, commit: &str) -> String {
    match commit {
        "" => format!("rinit version {version}"),
        commit => format!("rinit version {version} - git.{commit}"),
    }
}

/// The C library's `strerror` text for `errno`, as the peers print it.
fn c_library_error_text(errno: Errno) -> String {
    crate::text::c_library_text(&std::io::Error::from_raw_os_error(errno as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumb_init_answers_its_version_on_stderr_in_its_format() {
        assert!(
            Personality::DumbInit
                .version_line()
                .starts_with("dumb-init v1.2.5")
        );
        assert!(Personality::DumbInit.version_on_stderr());
        assert!(!Personality::Tini.version_on_stderr());
        assert!(!Personality::Rinit.version_on_stderr());
    }

    #[test]
    fn name_decides_personality() {
        assert_eq!(Personality::from_argv0(b"rinit"), Personality::Rinit);
        assert_eq!(
            Personality::from_argv0(b"/sbin/docker-init"),
            Personality::Rinit
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
        assert!(
            Personality::Rinit
                .version_line()
                .starts_with("rinit version ")
        );
    }

    #[test]
    fn rinit_names_its_commit_as_dockerd_reads_it() {
        assert_eq!(
            rinit_version_line("0.1.0", "0123456789ab"),
            "rinit version 0.1.0 - git.0123456789ab"
        );
        assert_eq!(rinit_version_line("0.1.0", ""), "rinit version 0.1.0");
    }

    #[test]
    fn after_the_main_child_each_name_ends_its_own_way() {
        use AfterMainExit::*;
        use ForwardTarget::*;
        let zero = Duration::ZERO;
        let some = Duration::from_secs(3);
        let none = Rewrites::default();
        assert_eq!(
            Personality::Rinit.after_main_exit(zero, Group, &none),
            Drain
        );
        assert_eq!(
            Personality::Rinit.after_main_exit(some, Child, &none),
            Drain
        );
        for peer in [Personality::Tini, Personality::Catatonit] {
            for target in [Child, Group, All] {
                assert_eq!(peer.after_main_exit(zero, target, &none), Exit);
                assert_eq!(peer.after_main_exit(some, target, &none), Drain);
            }
        }
        let dumb = Personality::DumbInit;
        assert_eq!(
            dumb.after_main_exit(zero, Group, &none),
            SignalGroupAndExit(Signal::TERM)
        );
        assert_eq!(
            dumb.after_main_exit(zero, All, &none),
            SignalGroupAndExit(Signal::TERM)
        );
        assert_eq!(dumb.after_main_exit(zero, Child, &none), Exit);
        assert_eq!(dumb.after_main_exit(some, Child, &none), Drain);
    }

    #[test]
    fn dumb_init_sends_its_exit_time_sigterm_through_the_rewrites() {
        use ForwardTarget::*;
        let dumb = Personality::DumbInit;
        let rules = |text: &str| {
            let mut rewrites = Rewrites::default();
            let (from, to) = Rewrites::parse_rule(text).unwrap();
            rewrites.set(from, to);
            rewrites
        };
        assert_eq!(
            dumb.after_main_exit(Duration::ZERO, Group, &rules("15:3")),
            AfterMainExit::SignalGroupAndExit(Signal::parse("QUIT").unwrap())
        );
        assert_eq!(
            dumb.after_main_exit(Duration::ZERO, Group, &rules("15:0")),
            AfterMainExit::Exit
        );
        assert_eq!(
            dumb.after_main_exit(Duration::ZERO, Group, &rules("2:0")),
            AfterMainExit::SignalGroupAndExit(Signal::TERM)
        );
    }

    #[test]
    fn dumb_init_rewrites_job_control_only_in_setsid_mode() {
        let dumb = Personality::DumbInit;
        assert!(dumb.default_rewrites(ForwardTarget::Child).is_empty());
        assert_eq!(dumb.default_rewrites(ForwardTarget::Group).len(), 3);
        assert!(
            dumb.default_rewrites(ForwardTarget::Group)
                .iter()
                .all(|&(_, to)| to == Some(Signal::STOP))
        );
        assert!(
            Personality::Rinit
                .default_rewrites(ForwardTarget::Child)
                .is_empty()
        );
        assert_eq!(
            Personality::Catatonit
                .default_rewrites(ForwardTarget::Group)
                .len(),
            3
        );
    }

    #[test]
    fn only_dumb_init_stops_itself_and_only_on_job_control() {
        for signal in [Signal::TSTP, Signal::TTIN, Signal::TTOU] {
            assert!(Personality::DumbInit.stops_itself_on(signal));
            for other in [
                Personality::Rinit,
                Personality::Tini,
                Personality::Catatonit,
            ] {
                assert!(!other.stops_itself_on(signal));
            }
        }
        for signal in [Signal::STOP, Signal::TERM, Signal::CONT, Signal::INT] {
            assert!(!Personality::DumbInit.stops_itself_on(signal));
        }
    }

    #[test]
    fn exec_failures_read_as_each_peer_words_them() {
        let e = Errno::ENOENT;
        assert_eq!(Personality::Rinit.exec_failure_line("/x", e, 9), None);
        assert_eq!(
            Personality::Tini.exec_failure_line("/x", e, 9).unwrap(),
            "[FATAL tini (9)] exec /x failed: No such file or directory"
        );
        assert_eq!(
            Personality::DumbInit.exec_failure_line("/x", e, 9).unwrap(),
            "[dumb-init] /x: No such file or directory"
        );
        assert_eq!(
            Personality::Catatonit
                .exec_failure_line("/x", e, 9)
                .unwrap(),
            "ERROR (catatonit:9): failed to exec pid1: No such file or directory"
        );
    }

    #[test]
    fn the_peers_error_texts_are_the_c_librarys() {
        // nix words ELOOP "Too many symbolic links encountered"; glibc, as
        // the peers print it, "Too many levels of symbolic links".
        for errno in [
            Errno::ENOENT,
            Errno::EACCES,
            Errno::E2BIG,
            Errno::ELOOP,
            Errno::ENOTDIR,
        ] {
            // SAFETY: strerror returns a valid C string; nothing else in
            // this test calls it meanwhile.
            let theirs = unsafe { std::ffi::CStr::from_ptr(libc::strerror(errno as i32)) };
            assert_eq!(c_library_error_text(errno), theirs.to_str().unwrap());
        }
    }

    #[test]
    fn tini_words_the_reap_warning_its_way() {
        assert_eq!(
            Personality::Tini.reap_warning(42, "Exited(0)"),
            "Reaped zombie process with pid=42"
        );
        assert_eq!(
            Personality::Rinit.reap_warning(42, "Exited(0)"),
            "reaped process 42: Exited(0)"
        );
    }

    #[test]
    fn catatonit_blocks_job_control_in_its_child() {
        let inherited = SignalSet::from_bits(1 << (libc::SIGUSR1 - 1));
        let mask = Personality::Catatonit.child_mask(inherited);
        for signal in [Signal::TSTP, Signal::TTIN, Signal::TTOU] {
            assert!(mask.contains(signal));
        }
        assert!(mask.contains(Signal::from_number(libc::SIGUSR1).unwrap()));
        assert_eq!(mask.iter().count(), 4);
        for other in [Personality::Rinit, Personality::Tini, Personality::DumbInit] {
            assert_eq!(other.child_mask(inherited), inherited);
        }
    }

    #[test]
    fn catatonit_answers_as_tini_too() {
        assert!(
            Personality::Catatonit
                .version_line()
                .starts_with("tini version 0.1.7_catatonit")
        );
    }
}
