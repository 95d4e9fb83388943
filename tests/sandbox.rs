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
            done.assert_stderr_has(option);
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

// ---------------------------------------------------------------------------
// The matrix: podman with runc, one sandbox a cell.
//
// The engine is tests/common/podman.rs's, in a state directory of this test
// program's own, so that this file and tests/containers.rs can run at once.

/// One cell: the options that make the sandbox.
struct Cell {
    name: &'static str,
    options: Vec<String>,
    /// Whether rinit can become a subreaper there.
    subreaper: bool,
}

fn cells() -> Vec<Cell> {
    let seccomp = |file: &str| {
        vec![format!(
            "--security-opt=seccomp={}",
            fixtures().join(file).display()
        )]
    };
    let cell = |name, options, subreaper| Cell {
        name,
        options,
        subreaper,
    };
    vec![
        cell("default", vec![], true),
        cell("pidfd-eperm", seccomp("seccomp-pidfd-eperm.json"), true),
        cell("pidfd-enosys", seccomp("seccomp-pidfd-enosys.json"), true),
        cell("prctl-eperm", seccomp("seccomp-prctl-eperm.json"), false),
        cell(
            "nobody",
            vec!["--cap-drop=ALL".into(), "--user=65534:65534".into()],
            true,
        ),
        cell("read-only", vec!["--read-only".into()], true),
    ]
}

/// The main child starts the writer in a session of its own (out of the
/// child's process group, as daemons do), and exits 0 once the test says
/// so: only the drain can tell the writer to finish.
const WORKLOAD: &str = "setsid sh /e2e/writer.sh /data/out & read go; exit 0";

/// Runs the workload in `cell`, rinit as PID 1 or, under `sh` as PID 1, as
/// a subreaper; returns how it ended and what the writer left.
fn run_cell(cell: &Cell, as_pid1: bool) -> (Finished, String) {
    let mode = if as_pid1 { "pid1" } else { "sub" };
    let data = engine().data_dir(&format!("sandbox-{}-{mode}", cell.name));
    // The writer may run as nobody.
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let volume = format!("{}:/data", data.display());
    let rinit = ["-v", "--grace", "20s", "--", "sh", "-c", WORKLOAD];
    let mut args: Vec<String> = ["run", "--rm", "-i", "--network", "none", "-v", &volume]
        .map(String::from)
        .to_vec();
    args.extend(cell.options.iter().cloned());
    if as_pid1 {
        // As images often set it: as PID 1 it asks for nothing more, and a
        // sandbox refusing the subreaper must not stop rinit.
        args.extend(
            [
                "--env=TINI_SUBREAPER=1",
                "--entrypoint",
                "/rinit",
                TEST_IMAGE,
            ]
            .map(String::from),
        );
        args.extend(rinit.map(String::from));
    } else {
        let outer = format!(
            "/rinit {} \"$0\"; echo \"rinit exited $?\"",
            rinit[..rinit.len() - 1].join(" ")
        );
        args.extend(["--entrypoint", "sh", TEST_IMAGE, "-c", &outer, WORKLOAD].map(String::from));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut running = Running::start(engine().podman(&args));
    running.expect("writer ready");
    running.write_stdin("go\n");
    let done = running.finish();
    let written = std::fs::read_to_string(data.join("out")).unwrap_or_default();
    (done, written)
}

/// Every cell, as PID 1 and as a subreaper under `sh`: the main child's
/// status comes out, and the writer that needs the drain keeps its data,
/// except where the sandbox refuses the subreaper (then the writer is
/// `sh`'s orphan, out of rinit's sight, and rinit says so once).
#[test]
fn the_sandbox_matrix() {
    let mut failures = Vec::new();
    for cell in cells() {
        for as_pid1 in [true, false] {
            let mode = if as_pid1 {
                "as PID 1"
            } else {
                "as a subreaper under sh"
            };
            // A cell where rinit does not even start fails alone, and the
            // rest of the matrix still runs.
            let outcome = std::panic::catch_unwind(|| run_cell(&cell, as_pid1));
            let Ok((done, written)) = outcome else {
                failures.push(format!("{} {mode}: the workload did not start", cell.name));
                continue;
            };
            let mut check = |ok: bool, what: &str| {
                if !ok {
                    failures.push(format!(
                        "{} {mode}: {what}: {written:?}; {done:?}",
                        cell.name
                    ));
                }
            };
            if as_pid1 {
                check(done.code == 0, "exit code");
            } else {
                check(
                    done.stdout.iter().any(|l| l == "rinit exited 0"),
                    "rinit's exit code",
                );
            }
            let warnings: Vec<&str> = done
                .stderr
                .lines()
                .filter(|l| l.contains("warn") || l.contains("error"))
                .collect();
            if as_pid1 || cell.subreaper {
                check(written == complete_output(), "the writer's data");
                check(warnings.is_empty(), "no warning");
            } else {
                check(
                    warnings.len() == 1 && warnings[0].contains("cannot become a child subreaper"),
                    "one warning about the subreaper",
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
