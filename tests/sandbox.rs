//! Sandboxes that refuse system calls: rinit degrades, says so once, and
//! never loses the drain.
//!
//! Seccomp profiles (older Docker, containerd and podman; hardened ones),
//! gVisor, AWS Lambda and emulators answer some calls with EPERM, EACCES,
//! EINVAL or ENOSYS. First each refusal on its own, injected into rinit
//! alone with `strace -e inject`; then a matrix of real sandboxes, podman
//! with runc and seccomp profiles from `tests/containers/seccomp-*.json`,
//! where a writer that needs the drain must keep its data.

mod common;
use common::*;

use std::process::Command;

/// `strace -f` (following unshare into the namespace) with `call`
/// answering `errno`: rinit as PID 1 in a sandbox that refuses it, strace
/// outside the namespace where the drain cannot reach it. No
/// `--kill-child`: unshare would ask for a parent death signal itself.
fn pid1_refusing(call: &str, errno: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("strace");
    cmd.args(inject(call, errno))
        .args(["-f", "--", "unshare", "--pid", "--fork", "--mount-proc"])
        .arg(rinit())
        .args(args);
    cmd
}

/// rinit, not as PID 1, with `call` answering `errno` (with -D, rinit stays
/// this test's child).
fn refusing(call: &str, errno: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("strace");
    cmd.args(inject(call, errno))
        .args(["-D", "--"])
        .arg(rinit())
        .args(args);
    cmd
}

/// strace's options to make `call` fail with `errno` (`ERRNO:when=N` for
/// the Nth call only). strace injects only into the calls it traces.
fn inject(call: &str, errno: &str) -> Vec<String> {
    vec![
        "-qq".into(),
        "-o".into(),
        "/dev/null".into(),
        "-e".into(),
        format!("trace={call}"),
        "-e".into(),
        format!("inject={call}:error={errno}"),
    ]
}

fn stderr_lines(done: &Finished) -> Vec<&str> {
    done.stderr.lines().collect()
}

/// AWS Lambda refuses `PR_SET_CHILD_SUBREAPER`. Not PID 1, rinit says so
/// in one line at the default verbosity and runs the command; nothing else
/// is said, however many processes come and go.
#[test]
fn a_refused_subreaper_is_one_warning() {
    let tk = testkit();
    let script = format!("{tk} orphans 3; exit 3");
    let done = run(refusing("prctl", "EPERM", &["--", "sh", "-c", &script]));
    assert_eq!(done.code, 3, "{done:?}");
    let lines = stderr_lines(&done);
    assert_eq!(lines.len(), 1, "{done:?}");
    assert!(
        lines[0].contains("cannot become a child subreaper"),
        "{done:?}"
    );
}

/// As PID 1, `-s` (or `TINI_SUBREAPER`, common in images) asks for nothing
/// the namespace's init does not do already: a refusal changes nothing, no
/// word is said, and orphans are reaped. Before, rinit refused to start.
#[test]
fn as_pid1_a_refused_subreaper_changes_nothing() {
    let tk = testkit();
    let script = format!("{tk} orphans 3; exit 3");
    for args in [&["-s", "--"][..], &["--"]] {
        let mut all = args.to_vec();
        all.extend(["sh", "-c", &script]);
        let mut cmd = pid1_refusing("prctl", "EPERM", &all);
        cmd.env("TINI_SUBREAPER", "1");
        let done = run(cmd);
        assert_eq!(done.code, 3, "{args:?}: {done:?}");
        assert_eq!(done.stdout, ["orphaned 3"], "{args:?}: {done:?}");
        assert_eq!(done.stderr, "", "{args:?}: {done:?}");
    }
}

/// Not PID 1, `-s` asked for explicitly and refused, and `-p` refused
/// anywhere: rinit does not start (exit 1) and names the option, rather
/// than run without what was asked (zombies nobody reaps; an app that
/// outlives its parent unseen).
#[test]
fn an_explicit_request_that_is_refused_stops_rinit() {
    let cases: [(&[&str], &str); 3] = [
        (&["-s", "--", "true"], "-s/--subreaper"),
        (&["-p", "TERM", "--", "true"], "-p/--pdeathsig"),
        (&["-p", "KILL", "--", "true"], "-p/--pdeathsig"),
    ];
    for (args, option) in cases {
        let done = run(refusing("prctl", "EPERM", args));
        assert_eq!(done.code, 1, "{args:?}: {done:?}");
        // Not PID 1, a refused `-p` follows the subreaper's warning.
        let last = stderr_lines(&done).last().copied().unwrap_or_default();
        assert!(
            last.contains(option) && last.contains("Operation not permitted"),
            "{args:?}: {done:?}"
        );
        if args[0] == "-p" {
            let done = run(pid1_refusing("prctl", "EPERM", args));
            assert_eq!(done.code, 1, "as PID 1, {args:?}: {done:?}");
            assert!(done.stderr.contains(option), "{done:?}");
        }
    }
}

/// A sandbox or emulator that refuses signalfd4's flags (EINVAL, as a
/// kernel before 2.6.27 did, or EPERM from a profile matching them): rinit
/// makes its signalfd without flags and sets close-on-exec itself, so the
/// child still sees only the descriptors it would see without rinit, and
/// signals are still forwarded. Before, rinit did not start.
#[test]
fn refused_signalfd_flags_fall_back() {
    let tk = testkit();
    let mut plain = Command::new(rinit());
    plain.args(["--", &tk, "status"]);
    let plain = run(plain);
    let fds = |done: &Finished| {
        done.stdout
            .iter()
            .find(|l| l.starts_with("fds "))
            .cloned()
            .unwrap_or_else(|| panic!("no fds line: {done:?}"))
    };
    for errno in ["EINVAL", "EPERM"] {
        let call = format!("signalfd4:error={errno}:when=1");
        let mut cmd = Command::new("strace");
        cmd.args(["-qq", "-o", "/dev/null", "-e", "trace=signalfd4", "-e"])
            .arg(format!("inject={call}"))
            .args(["-D", "--"])
            .arg(rinit())
            .args(["--", &tk, "status"]);
        let done = run(cmd);
        assert_eq!(done.code, 0, "{errno}: {done:?}");
        assert_eq!(fds(&done), fds(&plain), "{errno}: {done:?}");

        let mut cmd = pid1_refusing(
            "signalfd4",
            &format!("{errno}:when=1"),
            &["--", &tk, "sigecho"],
        );
        cmd.stdin(std::process::Stdio::piped());
        let mut running = Running::start(cmd);
        running.expect("ready");
        // strace, then unshare, then rinit.
        let unshare = children(running.outer_pid())[0];
        // SAFETY: kill takes plain integers.
        unsafe { libc::kill(children(unshare)[0], libc::SIGUSR1) };
        running.expect(&format!("signal {}", libc::SIGUSR1));
        running.close_stdin();
        let done = running.finish();
        assert_eq!(done.code, 0, "as PID 1, {errno}: {done:?}");
    }
}
