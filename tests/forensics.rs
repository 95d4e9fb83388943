//! Issue 13: rinit says why things died. Each line as PID 1 (and the SIGKILL
//! list also as a subreaper): a crash of the main child with and without a
//! core dump, silence for an ordinary exit and for the signal the user sent,
//! the list of processes SIGKILLed at the end of the grace period, JSON log
//! lines that parse, and the termination message.
//!
//! The OOM killer is exercised end to end in tests/containers.rs (it needs
//! a memory cgroup with a limit).

mod common;
use common::*;
use std::process::Command;

/// The variables rinit reads, removed so that the caller's environment
/// cannot change a test's outcome.
fn scrubbed(mut cmd: Command) -> Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if ["RINIT_", "TINI_", "DUMB_INIT_", "CATATONIT_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn pid1(args: &[&str]) -> Command {
    scrubbed(rinit_pid1(args))
}

/// rinit's warning lines.
fn warnings(done: &Finished) -> Vec<&str> {
    done.stderr
        .lines()
        .filter(|l| l.starts_with("rinit: warn: "))
        .collect()
}

/// The pid of the process rinit started first in a fresh namespace.
const MAIN_PID: i32 = 2;

// ---- The crash line -----------------------------------------------------------

#[test]
fn a_crash_without_a_core_dump_is_one_warning() {
    let done = run(pid1(&["--", &testkit(), "kill-self", "11"]));
    assert_eq!(done.code, 139, "{done:?}");
    let lines = warnings(&done);
    assert_eq!(lines.len(), 1, "{done:?}");
    let prefix = format!(
        "rinit: warn: 'testkit' (pid {MAIN_PID}) was killed by SIGSEGV (no core dump) after "
    );
    assert!(lines[0].starts_with(&prefix), "{lines:?}");
    assert!(
        lines[0].ends_with('s'),
        "a duration ends the line: {lines:?}"
    );
}

#[test]
fn a_crash_with_a_core_dump_says_so() {
    let core_pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap();
    assert!(
        !core_pattern.starts_with('|'),
        "core_pattern pipes cores to {core_pattern:?}: this test needs a plain file name"
    );
    // The child inherits rinit's working directory: the core lands here.
    let scratch = Scratch::new("fz-core");
    let mut cmd = pid1(&["--", &testkit(), "fz-dump-core", "11"]);
    cmd.current_dir(&scratch.0);
    let done = run(cmd);
    assert_eq!(done.code, 139, "{done:?}");
    let lines = warnings(&done);
    assert_eq!(lines.len(), 1, "{done:?}");
    assert!(
        lines[0].contains("'testkit' (pid 2) was killed by SIGSEGV (core dumped) after "),
        "{lines:?}"
    );
    // WCOREDUMP was set because a core was written.
    let cores = std::fs::read_dir(&scratch.0).unwrap().count();
    assert!(cores > 0, "no core file in {}", scratch.0.display());
}

#[test]
fn an_ordinary_exit_is_silent() {
    for (code, args) in [(0, ["exit", "0"]), (3, ["exit", "3"])] {
        let done = run(pid1(&["--", &testkit(), args[0], args[1]]));
        assert_eq!(done.code, code, "{done:?}");
        assert!(done.stderr.is_empty(), "{done:?}");
    }
}

/// The signal the user sent to rinit, forwarded and fatal: what was asked
/// for, so nothing is said. The same signal sent to the child directly (not
/// through rinit) is news, which shows the silence is a decision.
#[test]
fn the_users_sigterm_is_silent_and_a_stray_one_is_not() {
    let script = "echo ready; exec sleep 1000";
    let mut run = Running::start(pid1(&["--", "sh", "-c", script]));
    run.expect("ready");
    run.signal(libc::SIGTERM);
    let done = run.finish();
    assert_eq!(done.code, 143, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");

    let mut run = Running::start(pid1(&["--", "sh", "-c", script]));
    run.expect("ready");
    let child = children(run.rinit_pid());
    assert_eq!(child.len(), 1, "{child:?}");
    // SAFETY: kill takes plain integers.
    assert_eq!(unsafe { libc::kill(child[0], libc::SIGTERM) }, 0);
    let done = run.finish();
    assert_eq!(done.code, 143, "{done:?}");
    let lines = warnings(&done);
    assert_eq!(lines.len(), 1, "{done:?}");
    assert!(
        lines[0].contains("was killed by SIGTERM after"),
        "{lines:?}"
    );
}

/// A rewrite rule changes the signal the user sent: the child dies of the
/// rewritten one, which is still what was asked for.
#[test]
fn a_rewritten_stop_request_is_silent_too() {
    let mut run = Running::start(pid1(&[
        "-r",
        "TERM:HUP",
        "--",
        "sh",
        "-c",
        "echo ready; exec sleep 1000",
    ]));
    run.expect("ready");
    run.signal(libc::SIGTERM);
    let done = run.finish();
    assert_eq!(done.code, 128 + libc::SIGHUP, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
}

#[test]
fn a_code_remapped_to_success_is_silent() {
    let done = run(pid1(&["-e", "139", "--", &testkit(), "kill-self", "11"]));
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
    // Verbosity 0 keeps errors only.
    let mut cmd = pid1(&["--", &testkit(), "kill-self", "11"]);
    cmd.env("RINIT_VERBOSITY", "0");
    let done = run(cmd);
    assert_eq!(done.code, 139, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
}

// ---- The SIGKILL list ---------------------------------------------------------

/// Two workers that ignore SIGTERM outlive the grace; the main shell exits
/// 0 when stdin closes. Returns the workers' pids as rinit sees them, and
/// the finished run.
fn outlived_grace(cmd: Command) -> (Vec<i32>, Finished) {
    let mut run = Running::start(cmd);
    let (mut workers, mut ready) = (Vec::new(), 0);
    // Both ignore SIGTERM once they have said "ready".
    while workers.len() < 2 || ready < 2 {
        let line = run.expect_line("from a worker", |l| {
            l == "ready" || l.starts_with("worker ")
        });
        match line.strip_prefix("worker ") {
            Some(pid) => workers.push(pid.parse::<i32>().unwrap()),
            None => ready += 1,
        }
    }
    run.close_stdin();
    (workers, run.finish())
}

const TWO_WORKERS: &str = r#""$0" ignore-term & echo "worker $!"
"$0" ignore-term & echo "worker $!"
read -r _ || true
exit 0"#;

#[test]
fn as_pid1_the_processes_sigkilled_at_the_end_of_the_grace_are_named() {
    let (workers, done) = outlived_grace(pid1(&[
        "--grace",
        "300ms",
        "--",
        "sh",
        "-c",
        TWO_WORKERS,
        &testkit(),
    ]));
    assert_eq!(done.code, 0, "{done:?}");
    let lines = warnings(&done);
    assert_eq!(lines.len(), 1, "{done:?}");
    let (low, high) = (workers[0].min(workers[1]), workers[0].max(workers[1]));
    assert_eq!(
        lines[0],
        format!(
            "rinit: warn: 2 processes outlived the 300ms grace period: sending SIGKILL to 'testkit' (pid {low}), 'testkit' (pid {high})"
        ),
        "{done:?}"
    );
}

#[test]
fn as_a_subreaper_the_processes_sigkilled_are_named_once() {
    // Not PID 1: rinit SIGKILLs its descendants itself, sweeping again until
    // they are gone; the line comes once.
    let mut cmd = scrubbed(Command::new(rinit()));
    cmd.args([
        "--grace",
        "300ms",
        "--",
        "sh",
        "-c",
        TWO_WORKERS,
        &testkit(),
    ]);
    let (workers, done) = outlived_grace(cmd);
    assert_eq!(done.code, 0, "{done:?}");
    let lines = warnings(&done);
    assert_eq!(lines.len(), 1, "{done:?}");
    assert!(lines[0].starts_with("rinit: warn: 2 processes outlived the 300ms grace period: sending SIGKILL to 'testkit' (pid "), "{lines:?}");
    for pid in workers {
        assert!(
            lines[0].contains(&format!("(pid {pid})")),
            "{pid}: {lines:?}"
        );
    }
}

#[test]
fn leftovers_that_leave_in_time_are_not_listed() {
    let done = run(pid1(&[
        "--grace",
        "10s",
        "--",
        "sh",
        "-c",
        "sleep 1000 & sleep 1000 & exit 0",
    ]));
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
}

// ---- JSON lines ---------------------------------------------------------------

/// Every stderr line, parsed by Python's json module (a parser rinit did
/// not write), and printed back as `key=value` pairs for the checks.
fn parsed_json_lines(stderr: &str) -> Vec<String> {
    let out = Command::new("python3")
        .args([
            "-c",
            r#"import json, sys
for line in sys.stdin.read().splitlines():
    record = json.loads(line)
    assert isinstance(record, dict), line
    print(" ".join(f"{k}={json.dumps(v)}" for k, v in record.items()))"#,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(stderr.as_bytes())?;
            child.wait_with_output()
        })
        .expect("run python3");
    assert!(
        out.status.success(),
        "not JSON lines: {}\n{stderr}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn json_log_lines_parse_and_carry_fields() {
    // -vv: debug lines too, with whatever they hold (paths, quotes).
    let mut cmd = pid1(&["-vv", "--", &testkit(), "kill-self", "11"]);
    cmd.env("RINIT_LOG_FORMAT", "json");
    let done = run(cmd);
    assert_eq!(done.code, 139, "{done:?}");
    let records = parsed_json_lines(&done.stderr);
    assert!(records.len() > 3, "{records:?}");
    for record in &records {
        assert!(
            record.starts_with("time=\"")
                && record.contains(" level=\"")
                && record.contains(" program=\"rinit\" message=\""),
            "{record}"
        );
    }
    let crash: Vec<&String> = records
        .iter()
        .filter(|r| r.contains("level=\"warn\""))
        .collect();
    assert_eq!(crash.len(), 1, "{records:?}");
    for field in [
        "pid=2",
        "name=\"testkit\"",
        "signal=\"SIGSEGV\"",
        "core_dumped=false",
        "oom=false",
        "exit_code=139",
        "after_ms=",
    ] {
        assert!(crash[0].contains(field), "{field} in {}", crash[0]);
    }
    // The same with the option, and the SIGKILL line's fields.
    let (_, done) = outlived_grace(pid1(&[
        "--log-format",
        "json",
        "--grace",
        "200ms",
        "--",
        "sh",
        "-c",
        TWO_WORKERS,
        &testkit(),
    ]));
    let records = parsed_json_lines(&done.stderr);
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(
        records[0].contains("count=2") && records[0].contains("signal=\"SIGKILL\""),
        "{records:?}"
    );
}

#[test]
fn text_stays_the_default() {
    let done = run(pid1(&["--", &testkit(), "kill-self", "6"]));
    assert!(
        done.stderr
            .starts_with("rinit: warn: 'testkit' (pid 2) was killed by SIGABRT (no core dump)"),
        "{done:?}"
    );
}

// ---- The termination message ----------------------------------------------------

#[test]
fn a_crash_is_written_to_an_empty_termination_log() {
    let scratch = Scratch::new("fz-tlog");
    let path = scratch.file("termination-log");
    std::fs::write(&path, "").unwrap();
    let done = run(pid1(&[
        "--termination-log",
        &path,
        "--",
        &testkit(),
        "kill-self",
        "11",
    ]));
    assert_eq!(done.code, 139, "{done:?}");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with("'testkit' (pid 2) was killed by SIGSEGV (no core dump) after ")
            && written.ends_with('\n')
            && written.lines().count() == 1,
        "{written:?}"
    );
    // The same reason as on stderr.
    assert!(done.stderr.contains(written.trim_end()), "{done:?}");

    // A non-zero exit is written too, though stderr stays quiet.
    std::fs::write(&path, "").unwrap();
    let done = run(pid1(&[
        "--termination-log",
        &path,
        "--",
        &testkit(),
        "exit",
        "3",
    ]));
    assert_eq!(done.code, 3, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with("'testkit' (pid 2) exited with status 3 after "),
        "{written:?}"
    );

    // A command that cannot run.
    std::fs::write(&path, "").unwrap();
    let done = run(pid1(&[
        "--termination-log",
        &path,
        "--",
        "/nonexistent/app",
    ]));
    assert_eq!(done.code, 127, "{done:?}");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("/nonexistent/app"), "{written:?}");
}

#[test]
fn the_apps_own_termination_message_is_kept() {
    let scratch = Scratch::new("fz-tlog-own");
    let path = scratch.file("termination-log");
    std::fs::write(&path, "").unwrap();
    let done = run(pid1(&[
        "--termination-log",
        &path,
        "--",
        "sh",
        "-c",
        "echo 'database unreachable' >\"$0\"; kill -SEGV $$",
        &path,
    ]));
    assert_eq!(done.code, 139, "{done:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "database unreachable\n"
    );
}

#[test]
fn success_writes_no_termination_message() {
    let scratch = Scratch::new("fz-tlog-ok");
    let path = scratch.file("termination-log");
    std::fs::write(&path, "").unwrap();
    for args in [
        &["--termination-log", &path, "--", &testkit(), "exit", "0"][..],
        // Remapped to success by -e: a success.
        &[
            "--termination-log",
            &path,
            "-e",
            "3",
            "--",
            &testkit(),
            "exit",
            "3",
        ],
    ] {
        let done = run(pid1(args));
        assert_eq!(done.code, 0, "{done:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "", "{args:?}");
    }
}

#[test]
fn a_missing_or_disabled_termination_log_is_not_created() {
    let scratch = Scratch::new("fz-tlog-none");
    let path = scratch.file("termination-log");
    let done = run(pid1(&[
        "--termination-log",
        &path,
        "--",
        &testkit(),
        "kill-self",
        "11",
    ]));
    assert_eq!(done.code, 139, "{done:?}");
    assert!(!scratch.path("termination-log").exists());

    std::fs::write(&path, "").unwrap();
    let mut cmd = pid1(&["--", &testkit(), "kill-self", "11"]);
    cmd.env("RINIT_TERMINATION_LOG", "off");
    let done = run(cmd);
    assert_eq!(done.code, 139, "{done:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    // A FIFO at the path would block a plain open: rinit neither blocks
    // nor writes.
    std::fs::remove_file(&path).unwrap();
    nix::unistd::mkfifo(
        path.as_str(),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let done = run(pid1(&[
        "--termination-log",
        &path,
        "--",
        &testkit(),
        "exit",
        "1",
    ]));
    assert_eq!(done.code, 1, "{done:?}");
}
