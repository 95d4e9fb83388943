//! rinit started with stdin, stdout or stderr closed (by a daemon that
//! closed its descriptors, a supervisor, `<&- 2>&-`): nothing rinit opens
//! takes those numbers, its log lines go only to the stderr it started with,
//! and the child finds exactly the descriptors it would find without rinit.
//! Also: the log writer thread never takes the child's process slot, and
//! names and paths from outside cannot forge or reorder a log line.

mod common;
use common::*;

use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs of each combination of closed descriptors, at each verbosity.
const RUNS: usize = 20;

/// The child: reports on descriptor 9 which of 0, 1 and 2 it has open, then
/// becomes a process that SIGTERM kills (so rinit must exit 143).
const PROBE: &str = "o=; for fd in 0 1 2; do [ -e /proc/self/fd/$fd ] && o=$o$fd; done; \
                     echo open:$o >&9; exec sleep 1000";

struct Case {
    /// Which of 0, 1, 2 rinit is started without.
    closed: [bool; 3],
    /// The number of `-v`s, 0 to 4.
    verbosity: usize,
    pid1: bool,
}

impl Case {
    fn all() -> Vec<Case> {
        let mut cases = Vec::new();
        for pid1 in [true, false] {
            for mask in 0..8u8 {
                for verbosity in 0..=4 {
                    cases.push(Case {
                        closed: [mask & 1 != 0, mask & 2 != 0, mask & 4 != 0],
                        verbosity,
                        pid1,
                    });
                }
            }
        }
        cases
    }

    fn describe(&self) -> String {
        let closed: Vec<String> = (0..3)
            .filter(|&fd| self.closed[fd])
            .map(|fd| fd.to_string())
            .collect();
        format!(
            "closed [{}], -v x{}, {}",
            closed.join(","),
            self.verbosity,
            if self.pid1 { "PID 1" } else { "not PID 1" }
        )
    }

    /// What the child must see: the descriptors rinit was given, no more.
    fn expected_line(&self) -> String {
        let open: String = (0..3)
            .filter(|&fd| !self.closed[fd])
            .map(|fd| fd.to_string())
            .collect();
        format!("open:{open}")
    }
}

/// Reads one line from `fd`, waiting at most the safety net for it.
fn read_line(fd: &OwnedFd) -> Result<String, String> {
    let mut file = std::fs::File::from(fd.try_clone().unwrap());
    let mut got = Vec::new();
    while !got.ends_with(b"\n") {
        if !poll_fd(fd.as_fd(), libc::POLLIN, SAFETY_NET) {
            return Err(format!("no line within {SAFETY_NET:?}"));
        }
        let mut byte = [0u8; 64];
        match file.read(&mut byte) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&byte[..n]),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    Ok(String::from_utf8_lossy(&got).trim_end().to_owned())
}

/// Waits for `child` to exit (its pidfd turns readable), at most the safety
/// net; kills it if it does not, saying where rinit (`rinit_pid`) was.
fn wait_exit(child: &mut std::process::Child, rinit_pid: i32) -> Result<ExitStatus, String> {
    let fd = pidfd(child.id() as i32).expect("a pidfd for an unreaped child");
    if !poll_fd(fd.as_fd(), libc::POLLIN, SAFETY_NET) {
        // rinit's threads, then its descendants.
        let (live, zombies) = descendants(rinit_pid);
        let mut threads: Vec<i32> = std::fs::read_dir(format!("/proc/{rinit_pid}/task"))
            .map(|dir| {
                dir.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        threads.extend(&live);
        let states: Vec<String> = threads
            .iter()
            .map(|&pid| {
                let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan"));
                let stack = std::fs::read_to_string(format!("/proc/{pid}/stack"));
                format!(
                    "{pid} {:?} {:?} {:?} {wchan:?} {stack:?}",
                    status_field(pid, "State"),
                    status_field(pid, "SigBlk"),
                    status_field(pid, "SigPnd"),
                )
            })
            .collect();
        let _ = child.kill();
        let _ = child.wait();
        for pid in live {
            // SAFETY: kill takes plain integers. Not PID 1, the child would
            // outlive the rinit just killed.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        return Err(format!(
            "still running after {SAFETY_NET:?}: {states:?}, zombies {zombies:?}"
        ));
    }
    child.wait().map_err(|e| e.to_string())
}

/// One run: rinit started with `case.closed` closed; the child reports, gets
/// a SIGTERM sent to rinit, and rinit exits with the child's status, 143.
fn run_case(case: &Case, scratch: &Scratch, n: usize) -> Result<(), String> {
    let termination_log = scratch.path(&format!("termination-{n}"));
    std::fs::write(&termination_log, "").unwrap();
    let stderr_file = scratch.path(&format!("stderr-{n}"));
    let rinit = rinit();
    let mut args: Vec<OsString> = Vec::new();
    if case.verbosity > 0 {
        args.push(format!("-{}", "v".repeat(case.verbosity)).into());
    }
    args.push("--termination-log".into());
    args.push(termination_log.clone().into());
    for arg in ["--", "sh", "-c", PROBE] {
        args.push(arg.into());
    }
    let mut cmd = if case.pid1 {
        let mut cmd = as_pid1(&rinit.to_string_lossy(), &[]);
        cmd.args(&args);
        cmd
    } else {
        let mut cmd = hermetic(&rinit);
        cmd.args(&args);
        cmd
    };
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    cmd.stderr(std::fs::File::create(&stderr_file).unwrap());
    let (report_read, report_write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let report = report_write.as_raw_fd();
    let closed = case.closed;
    // SAFETY: only dup2 and close run between fork and exec, both
    // async-signal-safe; they touch descriptors of the new process alone.
    unsafe {
        cmd.pre_exec(move || {
            // dup2 onto itself would leave close-on-exec set.
            let ret = if report == 9 {
                libc::fcntl(9, libc::F_SETFD, 0)
            } else {
                libc::dup2(report, 9)
            };
            if ret < 0 {
                return Err(std::io::Error::last_os_error());
            }
            for (fd, closed) in closed.iter().enumerate() {
                if *closed {
                    libc::close(fd as libc::c_int);
                }
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    drop(report_write);
    let line = match read_line(&report_read) {
        Ok(line) if !line.is_empty() => line,
        result => {
            let e = result.err().unwrap_or_else(|| "no line at all".to_owned());
            let _ = child.kill();
            let status = child.wait();
            return Err(format!("{e}; rinit ended {status:?}"));
        }
    };
    let rinit_pid = if case.pid1 {
        // The line came from rinit's child: unshare has forked rinit by now.
        let under = children(child.id() as i32);
        match under[..] {
            [pid] => pid,
            _ => {
                let _ = child.kill(); // unshare --kill-child takes rinit along
                let _ = child.wait();
                return Err(format!("not one rinit under unshare: {under:?}"));
            }
        }
    } else {
        child.id() as i32
    };
    // SAFETY: kill takes plain integers.
    if unsafe { libc::kill(rinit_pid, libc::SIGTERM) } != 0 {
        let e = std::io::Error::last_os_error();
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("kill {rinit_pid}: {e}"));
    }
    let status = wait_exit(&mut child, rinit_pid)?;
    let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
    let written = std::fs::read_to_string(&termination_log).unwrap_or_default();
    let _ = std::fs::remove_file(&stderr_file);
    let _ = std::fs::remove_file(&termination_log);
    let mut problems = Vec::new();
    if line != case.expected_line() {
        problems.push(format!("the child saw {line:?}"));
    }
    if status.code() != Some(143) {
        problems.push(format!(
            "rinit ended with {:?} / signal {:?}, not 143",
            status.code(),
            status.signal()
        ));
    }
    if written.contains("rinit: ") || written.contains("\"level\"") {
        problems.push(format!("log lines in the termination log: {written:?}"));
    }
    if !case.closed[2] && case.verbosity >= 2 && !stderr.starts_with("rinit: ") {
        problems.push(format!("no log line on the open stderr: {stderr:?}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; stderr: {stderr:?}", problems.join("; ")))
    }
}

/// Every combination of closed 0, 1 and 2, at every verbosity, as PID 1 and
/// not, `RUNS` times each (1,600 runs, two at a time). Before, at `-vv` with
/// stderr closed, the exec-report pipe took descriptor 2 and the log thread
/// wrote a line into it, read back as an errno: exit 126 about half the
/// time; as PID 1, log lines landed in the termination log.
#[test]
fn closed_stdio_at_every_verbosity() {
    let scratch = Scratch::in_memory("stdio");
    let cases: Vec<(usize, Case)> = Case::all()
        .into_iter()
        .flat_map(|case| {
            (0..RUNS).map(move |_| Case {
                closed: case.closed,
                verbosity: case.verbosity,
                pid1: case.pid1,
            })
        })
        .enumerate()
        .collect();
    let next = AtomicUsize::new(0);
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut failures = Vec::new();
                    // A hung run costs the safety net: stop at the first failure.
                    while failures.is_empty() {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some((n, case)) = cases.get(at) else {
                            return failures;
                        };
                        if let Err(e) = run_case(case, &scratch, *n) {
                            failures.push(format!("run {n}, {}: {e}", case.describe()));
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "of {} runs, these failed (each worker stops at its first): {failures:#?}",
        cases.len()
    );
}

// ---- The process slot ---------------------------------------------------

/// A uid of this test's own, so that no other process counts against its
/// process limit.
fn lone_uid() -> String {
    (61_000 + std::process::id() % 4_000).to_string()
}

/// At its process limit (`ulimit -u`), debug logging must not cost the app
/// its start: the log writer thread, which counts as a process, waits until
/// the child is started, and lines wait for it. Before, the first debug
/// line (becoming a subreaper) started the thread, and the child's fork
/// failed with EAGAIN, in debug mode only.
#[test]
fn the_log_writer_never_takes_the_childs_process_slot() {
    assert!(is_root(), "this test needs root: RLIMIT_NPROC spares root");
    let scratch = Scratch::new("nproc-log");
    let rinit = scratch.copy(&rinit(), "rinit");
    let uid = lone_uid();
    let (reuid, regid) = (format!("--reuid={uid}"), format!("--regid={uid}"));
    // rinit and its child: two processes, the limit.
    let setpriv = |extra: &'static str| {
        let mut args = vec![
            reuid.clone(),
            regid.clone(),
            "--clear-groups".to_owned(),
            "prlimit".to_owned(),
            "--nproc=2:2".to_owned(),
            "--".to_owned(),
            rinit.clone(),
            "-vv".to_owned(),
        ];
        if !extra.is_empty() {
            args.push(extra.to_owned());
        }
        args.extend(["--", "sh", "-c", "exit 7"].map(str::to_owned));
        args
    };
    let pid1 = {
        let args = setpriv("-s");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        as_pid1("setpriv", &args)
    };
    let not_pid1 = {
        let mut cmd = hermetic("setpriv");
        cmd.args(setpriv(""));
        cmd
    };
    for (what, cmd) in [("PID 1 with -s", pid1), ("not PID 1", not_pid1)] {
        let done = run(cmd);
        assert_eq!(done.code, 7, "{what}: {done:?}");
        // The lines logged before the child started were kept, not lost.
        assert!(
            done.stderr.contains("subreaper"),
            "{what}: the first lines are missing: {done:?}"
        );
        assert!(!done.stderr.contains("cannot fork"), "{what}: {done:?}");
    }
}

// ---- Names and paths from outside ---------------------------------------

/// What must never reach a text log line raw: line breaks, terminal escapes
/// and the characters that reorder the text shown around them.
const FORBIDDEN: &[char] = &[
    '\n', '\r', '\u{1b}', '\u{2028}', '\u{2029}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
    '\u{200e}', '\u{200f}', '\u{61c}',
];

/// Every line is one of rinit's, and none holds a forbidden character.
fn assert_clean_lines(what: &str, stderr: &str) {
    assert!(!stderr.is_empty(), "{what}: no log line");
    for line in stderr.lines() {
        assert!(
            line.starts_with("rinit: "),
            "{what}: a forged line {line:?}"
        );
        assert!(!line.contains(FORBIDDEN), "{what}: raw in {line:?}");
    }
}

/// A name with line breaks, an escape sequence and bidirectional controls,
/// given as the command (shown when it starts, when it cannot run, and when
/// it dies: the last from /proc), and a termination-log path with a
/// newline: each comes out escaped, on rinit's own line. Before, the path
/// was printed raw (a newline forged a line) and U+2028, U+2029 and the
/// bidirectional controls were left as they were.
#[test]
fn names_and_paths_cannot_forge_or_reorder_a_line() {
    let scratch = Scratch::new("escape");
    // 13 bytes: all of it fits in /proc/PID/comm (15).
    let name = "a\u{202e}b\u{2028}c\u{1b}[1m";
    let link = scratch.path(name);
    std::os::unix::fs::symlink("/bin/sh", &link).unwrap();
    let forged = scratch.path("log\nrinit: error: forged\u{2029}");
    std::fs::write(&forged, "").unwrap();
    let missing = scratch.path("no\u{200f}such\u{61c}\ncommand");
    let cases: [(&str, Vec<OsString>, i32); 2] = [
        (
            "a dying command and a forged path",
            vec![
                "-vv".into(),
                "--termination-log".into(),
                forged.clone().into(),
                "--".into(),
                link.clone().into(),
                "-c".into(),
                "kill -KILL $$".into(),
            ],
            137,
        ),
        (
            "a command that cannot run",
            vec!["--".into(), missing.clone().into()],
            127,
        ),
    ];
    for (what, args, code) in cases {
        let mut pid1 = rinit_pid1(&[]);
        pid1.args(&args);
        let mut not_pid1 = hermetic(rinit());
        not_pid1.args(&args);
        for (place, cmd) in [("PID 1", pid1), ("not PID 1", not_pid1)] {
            let done = run(cmd);
            assert_eq!(done.code, code, "{what}, {place}: {done:?}");
            assert_clean_lines(&format!("{what}, {place}"), &done.stderr);
            // Escaped, the way Rust writes them.
            if code == 137 {
                // The name as given, and as /proc tells it in the crash line.
                let escaped = r"a\u{202e}b\u{2028}c\u{1b}[1m";
                assert!(
                    done.stderr
                        .lines()
                        .any(|l| l.contains(escaped) && l.contains("SIGKILL")),
                    "{what}, {place}: {done:?}"
                );
                assert!(
                    done.stderr.contains(r"log\nrinit: error: forged\u{2029}"),
                    "{what}, {place}: {done:?}"
                );
                let message = std::fs::read_to_string(&forged).unwrap();
                assert!(message.contains(escaped), "{message:?}");
                assert!(
                    !message.lines().any(|l| l.contains(FORBIDDEN)),
                    "{message:?}"
                );
                std::fs::write(&forged, "").unwrap();
            } else {
                assert!(
                    done.stderr.contains(r"no\u{200f}such\u{61c}\ncommand"),
                    "{what}, {place}: {done:?}"
                );
            }
        }
    }
}
