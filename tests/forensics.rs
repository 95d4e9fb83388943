//! Issue 13: rinit says why things died. Each line as PID 1 (and the SIGKILL
//! list also as a subreaper): a crash of the main child with and without a
//! core dump, silence for an ordinary exit and for the signal the user sent,
//! the list of processes SIGKILLed at the end of the grace period, JSON log
//! lines that parse, and the termination message.
//!
//! Issue 20 and 28: forensics that never accuse wrongly. rinit's own
//! SIGKILL (`--kill-after`, the drain) is neither an OOM kill nor a crash,
//! an OOM counter with a history is not news, the main reason survives in
//! the termination message, which goes only into a regular file, and the
//! JSON SIGKILL line is bounded. The OOM cases run in a cgroup v1 memory
//! group of their own with a small limit (`MemoryGroup`); the OOM killer is
//! also exercised under a container engine in tests/containers.rs.

mod common;
use common::*;
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;

/// rinit's warning lines.
fn warnings(done: &Finished) -> Vec<&str> {
    done.stderr
        .lines()
        .filter(|l| l.starts_with("rinit: warn: "))
        .collect()
}

/// rinit's one warning line; fails the test if there is none or more.
fn only_warning(done: &Finished) -> &str {
    let lines = warnings(done);
    assert_eq!(lines.len(), 1, "expected one warning: {done:?}");
    lines[0]
}

/// The pid of the process rinit started first in a fresh namespace.
const MAIN_PID: i32 = 2;

// ---- The crash line -----------------------------------------------------------

#[test]
fn a_crash_without_a_core_dump_is_one_warning() {
    let done = run(rinit_pid1(&["--", &testkit(), "kill-self", "11"]));
    assert_eq!(done.code, 139, "{done:?}");
    let line = only_warning(&done);
    let prefix = format!(
        "rinit: warn: 'testkit' (pid {MAIN_PID}) was killed by SIGSEGV (no core dump) after "
    );
    assert!(line.starts_with(&prefix), "{line:?}");
    assert!(line.ends_with('s'), "a duration ends the line: {line:?}");
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
    let mut cmd = rinit_pid1(&["--", &testkit(), "fz-dump-core", "11"]);
    cmd.current_dir(&scratch.0);
    let done = run(cmd);
    assert_eq!(done.code, 139, "{done:?}");
    let line = only_warning(&done);
    assert!(
        line.contains("'testkit' (pid 2) was killed by SIGSEGV (core dumped) after "),
        "{line:?}"
    );
    // WCOREDUMP was set because a core was written.
    let cores = std::fs::read_dir(&scratch.0).unwrap().count();
    assert!(cores > 0, "no core file in {}", scratch.0.display());
}

#[test]
fn an_ordinary_exit_is_silent() {
    for (code, args) in [(0, ["exit", "0"]), (3, ["exit", "3"])] {
        let done = run(rinit_pid1(&["--", &testkit(), args[0], args[1]]));
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
    let mut run = Running::start(rinit_pid1(&["--", "sh", "-c", script]));
    run.expect("ready");
    run.signal(libc::SIGTERM);
    let done = run.finish();
    assert_eq!(done.code, 143, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");

    let mut run = Running::start(rinit_pid1(&["--", "sh", "-c", script]));
    run.expect("ready");
    send(run.init_child(), libc::SIGTERM);
    let done = run.finish();
    assert_eq!(done.code, 143, "{done:?}");
    let line = only_warning(&done);
    assert!(line.contains("was killed by SIGTERM after"), "{line:?}");
}

/// A rewrite rule changes the signal the user sent: the child dies of the
/// rewritten one, which is still what was asked for.
#[test]
fn a_rewritten_stop_request_is_silent_too() {
    let mut run = Running::start(rinit_pid1(&[
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
    let done = run(pid1_testkit(&["-e", "139"], &["kill-self", "11"]));
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
    // Verbosity 0 keeps errors only.
    let mut cmd = rinit_pid1(&["--", &testkit(), "kill-self", "11"]);
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
    let (workers, done) = outlived_grace(pid1_sh(&["--grace", "300ms"], TWO_WORKERS));
    assert_eq!(done.code, 0, "{done:?}");
    let line = only_warning(&done);
    let (low, high) = (workers[0].min(workers[1]), workers[0].max(workers[1]));
    assert_eq!(
        line,
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
    let (workers, done) = outlived_grace(direct_sh(&["--grace", "300ms"], TWO_WORKERS));
    assert_eq!(done.code, 0, "{done:?}");
    let line = only_warning(&done);
    assert!(line.starts_with("rinit: warn: 2 processes outlived the 300ms grace period: sending SIGKILL to 'testkit' (pid "), "{line:?}");
    for pid in workers {
        assert!(line.contains(&format!("(pid {pid})")), "{pid}: {line:?}");
    }
}

#[test]
fn leftovers_that_leave_in_time_are_not_listed() {
    let done = run(rinit_pid1(&[
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
    let mut cmd = rinit_pid1(&["-vv", "--", &testkit(), "kill-self", "11"]);
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
    let (_, done) = outlived_grace(pid1_sh(
        &["--log-format", "json", "--grace", "200ms"],
        TWO_WORKERS,
    ));
    let records = parsed_json_lines(&done.stderr);
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(
        records[0].contains("count=2") && records[0].contains("signal=\"SIGKILL\""),
        "{records:?}"
    );
}

#[test]
fn text_stays_the_default() {
    let done = run(rinit_pid1(&["--", &testkit(), "kill-self", "6"]));
    assert!(
        done.stderr
            .starts_with("rinit: warn: 'testkit' (pid 2) was killed by SIGABRT (no core dump)"),
        "{done:?}"
    );
}

// ---- The termination message ----------------------------------------------------

/// A test's termination log: an empty file in a directory of its own.
struct TerminationLog {
    scratch: Scratch,
    path: String,
}

impl TerminationLog {
    fn new(test: &str) -> TerminationLog {
        let scratch = Scratch::new(test);
        let path = scratch.file("termination-log");
        std::fs::write(&path, "").unwrap();
        TerminationLog { scratch, path }
    }

    /// `rinit --termination-log PATH OPTS -- COMMAND...` as PID 1, the file
    /// emptied first; the run, and what was written.
    fn run(&self, opts: &[&str], command: &[&str]) -> (Finished, String) {
        std::fs::write(&self.path, "").unwrap();
        let mut args = vec!["--termination-log", &self.path];
        args.extend(opts);
        args.push("--");
        args.extend(command);
        let done = run(rinit_pid1(&args));
        let written = std::fs::read_to_string(&self.path).unwrap();
        (done, written)
    }
}

#[test]
fn a_crash_is_written_to_an_empty_termination_log() {
    let log = TerminationLog::new("fz-tlog");
    let tk = testkit();
    let (done, written) = log.run(&[], &[&tk, "kill-self", "11"]);
    assert_eq!(done.code, 139, "{done:?}");
    assert!(
        written.starts_with("'testkit' (pid 2) was killed by SIGSEGV (no core dump) after ")
            && written.ends_with('\n')
            && written.lines().count() == 1,
        "{written:?}"
    );
    // The same reason as on stderr.
    assert!(done.stderr.contains(written.trim_end()), "{done:?}");

    // A non-zero exit is written too, though stderr stays quiet.
    let (done, written) = log.run(&[], &[&tk, "exit", "3"]);
    assert_eq!(done.code, 3, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
    assert!(
        written.starts_with("'testkit' (pid 2) exited with status 3 after "),
        "{written:?}"
    );

    // A command that cannot run.
    let (done, written) = log.run(&[], &["/nonexistent/app"]);
    assert_eq!(done.code, 127, "{done:?}");
    assert!(written.contains("/nonexistent/app"), "{written:?}");
}

#[test]
fn the_apps_own_termination_message_is_kept() {
    let log = TerminationLog::new("fz-tlog-own");
    let script = "echo 'database unreachable' >\"$0\"; kill -SEGV $$";
    let (done, written) = log.run(&[], &["sh", "-c", script, &log.path]);
    assert_eq!(done.code, 139, "{done:?}");
    assert_eq!(written, "database unreachable\n");
}

#[test]
fn success_writes_no_termination_message() {
    let log = TerminationLog::new("fz-tlog-ok");
    let tk = testkit();
    // Remapped to success by -e: a success too.
    for (opts, code) in [(&[][..], "0"), (&["-e", "3"], "3")] {
        let (done, written) = log.run(opts, &[&tk, "exit", code]);
        assert_eq!(done.code, 0, "{done:?}");
        assert_eq!(written, "", "{opts:?}");
    }
}

#[test]
fn a_missing_or_disabled_termination_log_is_not_created() {
    let log = TerminationLog::new("fz-tlog-none");
    let path = &log.path;
    std::fs::remove_file(path).unwrap();
    let done = run(pid1_testkit(
        &["--termination-log", path],
        &["kill-self", "11"],
    ));
    assert_eq!(done.code, 139, "{done:?}");
    assert!(!log.scratch.path("termination-log").exists());

    std::fs::write(path, "").unwrap();
    let mut cmd = pid1_testkit(&[], &["kill-self", "11"]);
    cmd.env("RINIT_TERMINATION_LOG", "off");
    let done = run(cmd);
    assert_eq!(done.code, 139, "{done:?}");
    assert_eq!(std::fs::read_to_string(path).unwrap(), "");
    // A FIFO at the path would block a plain open: rinit neither blocks
    // nor writes.
    std::fs::remove_file(path).unwrap();
    log.scratch.fifo("termination-log");
    let done = run(pid1_testkit(&["--termination-log", path], &["exit", "1"]));
    assert_eq!(done.code, 1, "{done:?}");
}

// ---- Memory cgroups with a history (issue 20) ----------------------------------

/// A cgroup v1 memory group below the test's own, limited to 32 MiB with
/// no swap (a `tail /dev/zero` reaches it at once), removed when dropped.
struct MemoryGroup(V1Group);

impl std::ops::Deref for MemoryGroup {
    type Target = V1Group;
    fn deref(&self) -> &V1Group {
        &self.0
    }
}

impl MemoryGroup {
    fn new(name: &str) -> MemoryGroup {
        MemoryGroup(V1Group::memory(name, 32 << 20))
    }

    fn oom_kills(&self) -> u64 {
        self.0.oom_kills()
    }

    /// `program args` run in this group.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        self.0.command(program, args)
    }

    /// rinit as PID 1 in this group.
    fn pid1(&self, args: &[&str]) -> Command {
        self.0.pid1(args)
    }

    /// Gives the group a history: one OOM kill before rinit starts.
    fn with_an_old_oom_kill(self) -> MemoryGroup {
        let done = run(self.command("tail", &["/dev/zero"]));
        assert_eq!(done.code, 137, "{done:?}");
        assert_eq!(self.oom_kills(), 1);
        self
    }
}

/// Issue 28 item 11: the SIGKILL `--kill-after` sends is what ends the
/// child, worded as such in the log and the termination message, not as a
/// signal nobody sent through rinit.
#[test]
fn the_kill_after_sigkill_is_worded_as_what_it_is() {
    let scratch = Scratch::new("fz-kill-after");
    let path = scratch.file("termination-log");
    std::fs::write(&path, "").unwrap();
    let mut run = Running::start(pid1_testkit(
        &["--kill-after", "300ms", "--termination-log", &path],
        &["ignore-term"],
    ));
    run.expect("ready");
    run.signal(libc::SIGTERM);
    let done = run.finish();
    assert_eq!(done.code, 137, "{done:?}");
    let line = only_warning(&done);
    let expected = format!(
        "'testkit' (pid {MAIN_PID}) did not exit within --kill-after 300ms: sent SIGKILL after "
    );
    assert!(
        line.starts_with(&format!("rinit: warn: {expected}")),
        "{line:?}"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with(&expected) && written.lines().count() == 1,
        "{written:?}"
    );
}

/// Issue 20 item 3: the app reaped an OOM-killed worker itself, then
/// ignores SIGTERM; rinit's `--kill-after` SIGKILL ends it. That SIGKILL is
/// rinit's, never the OOM killer's; the worker's kill is still told.
#[test]
fn rinits_kill_after_sigkill_is_not_blamed_on_the_oom_killer() {
    let group = MemoryGroup::new("fz-kill-after-oom");
    let scratch = Scratch::new("fz-kill-after-oom");
    let path = scratch.file("termination-log");
    std::fs::write(&path, "").unwrap();
    let tk = testkit();
    let mut run = Running::start(group.pid1(&[
        "--forward-to",
        "child",
        "--kill-after",
        "300ms",
        "--termination-log",
        &path,
        "--",
        "sh",
        "-c",
        r#"tail /dev/zero; exec "$0" ignore-term"#,
        &tk,
    ]));
    run.expect("ready");
    assert_eq!(group.oom_kills(), 1, "the worker was OOM-killed");
    run.signal(libc::SIGTERM);
    let done = run.finish();
    assert_eq!(done.code, 137, "{done:?}");
    let lines = warnings(&done);
    // The worker's kill, told as it happened (issue 24), then the end,
    // which does not tell it again.
    assert_eq!(lines.len(), 2, "{done:?}");
    assert!(is_live_oom_line(lines[0]), "{lines:?}");
    assert!(
        lines[1].starts_with(&format!(
            "rinit: warn: 'testkit' (pid {MAIN_PID}) did not exit within --kill-after 300ms: sent SIGKILL after "
        )) && !lines[1].contains("OOM"),
        "{lines:?}"
    );
    // The message starts with the main child's reason, never an OOM kill of
    // its own; the worker's live line follows it.
    let written = std::fs::read_to_string(&path).unwrap();
    let message: Vec<&str> = written.lines().collect();
    assert_eq!(message.len(), 2, "{written:?}");
    assert!(
        message[0].starts_with(&format!(
            "'testkit' (pid {MAIN_PID}) did not exit within --kill-after"
        )),
        "{written:?}"
    );
    assert!(
        is_live_oom_line(&format!("rinit: warn: {}", message[1])),
        "{written:?}"
    );
}

/// Issue 20 item 3, the drain's half: a worker that outlives the grace is
/// SIGKILLed by rinit and reaped by it (not as PID 1, where rinit exits at
/// once instead). An earlier OOM kill, reaped by the app itself, must not
/// be pinned on it.
#[test]
fn the_drains_sigkill_is_not_blamed_on_the_oom_killer() {
    let group = MemoryGroup::new("fz-drain-oom");
    let script = r#"tail /dev/zero; "$0" ignore-term & read -r _ || true; exit 0"#;
    let mut run = Running::start(group.command(
        rinit().to_str().unwrap(),
        &["--grace", "300ms", "--", "sh", "-c", script, &testkit()],
    ));
    run.expect("ready");
    assert_eq!(group.oom_kills(), 1, "the worker was OOM-killed");
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    let lines = warnings(&done);
    assert_eq!(lines.len(), 2, "{done:?}");
    assert!(is_live_oom_line(lines[0]), "{lines:?}");
    assert!(
        lines[1].starts_with(
            "rinit: warn: 1 process outlived the 300ms grace period: sending SIGKILL to 'testkit' (pid "
        ),
        "{lines:?}"
    );
}

/// Issue 20 item 4: a memory cgroup with an OOM kill in its past (reused or
/// shared). As PID 1, a plain `kill -9` of the app is a SIGKILL, and a
/// failing exit owes nothing to what happened before rinit started.
#[test]
fn an_oom_kill_from_before_rinit_started_is_not_news() {
    let group = MemoryGroup::new("fz-history").with_an_old_oom_kill();
    let mut run = Running::start(group.pid1(&["--", &testkit(), "ignore-term"]));
    run.expect("ready");
    send(run.init_child(), libc::SIGKILL);
    let done = run.finish();
    assert_eq!(done.code, 137, "{done:?}");
    let line = only_warning(&done);
    assert!(
        line.starts_with(&format!(
            "rinit: warn: 'testkit' (pid {MAIN_PID}) was killed by SIGKILL after "
        )),
        "{line:?}"
    );

    let done = run_in(&group, &["--", &testkit(), "exit", "1"]);
    assert_eq!(done.code, 1, "{done:?}");
    assert!(done.stderr.is_empty(), "{done:?}");
    assert_eq!(group.oom_kills(), 1);
}

/// The watcher's line about one OOM kill in a group of 32 MiB, of a worker
/// its own parent reaped: rinit never saw it die, and does not list /proc
/// while memory is short, so it cannot name it.
fn is_live_oom_line(line: &str) -> bool {
    line == "rinit: warn: a process was killed by the OOM killer (SIGKILL, memory limit 32 MiB)"
}

fn run_in(group: &MemoryGroup, args: &[&str]) -> Finished {
    run(group.pid1(args))
}

/// Issue 20 item 5: fifty orphans OOM-killed, then the app exits 1. The
/// termination message starts with the app's line, names a few of the
/// others and counts the rest, within 4,096 bytes.
#[test]
fn the_main_reason_survives_many_oom_kills() {
    const HOGS: usize = 50;
    let group = MemoryGroup::new("fz-many-ooms");
    let scratch = Scratch::new("fz-many-ooms");
    let path = scratch.file("termination-log");
    std::fs::write(&path, "").unwrap();
    // A name of 15 characters, the most /proc/PID/comm holds: long lines.
    // Each hog raises its own OOM score: among fifty small hogs, rinit
    // would otherwise be the biggest process of the group.
    let hog = scratch.copy(std::path::Path::new("/usr/bin/tail"), "a-memory-hog-15");
    let script = format!(
        r#"i=0; while [ $i -lt {HOGS} ]; do ( (echo 1000 >/proc/self/oom_score_adj; exec "$0" /dev/zero) &); i=$((i+1)); done; read -r _ || true; exit 1"#
    );
    let mut run =
        Running::start(group.pid1(&["--termination-log", &path, "--", "sh", "-c", &script, &hog]));
    for _ in 0..HOGS {
        run.expect_stderr_line("about an OOM kill", |l| {
            l.starts_with("rinit: warn: 'a-memory-hog-15' (pid ") && l.contains("OOM killer")
        });
    }
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 1, "{done:?}");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.len() <= 4096, "{}", written.len());
    let lines: Vec<&str> = written.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "'sh' (pid {MAIN_PID}) exited with status 1 after "
        )),
        "{written}"
    );
    let named = lines
        .iter()
        .filter(|l| l.starts_with("'a-memory-hog-15' (pid "))
        .count();
    let counted: usize = lines
        .iter()
        .filter_map(|l| {
            l.strip_prefix("and ")?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert!(named > 0 && named < HOGS, "{written}");
    // Every kill is accounted for once: the fifty hogs, and any other
    // process the OOM killer took (a shell about to start a hog), which the
    // watcher tells as it happens (issue 24).
    let others = group.oom_kills() - HOGS as u64;
    assert_eq!(
        (named + counted) as u64,
        HOGS as u64 + others,
        "{written}\n{done:?}"
    );
}

// ---- Where the termination message may go (issue 20 item 8) ---------------------

/// rinit writes the message only into a regular file outside the kernel's
/// file systems, reached without a final symbolic link; anything else is
/// refused with one warning, and the file is left as it was.
#[test]
fn the_termination_log_is_refused_unless_a_regular_file() {
    let scratch = Scratch::new("fz-tlog-refused");
    let target = scratch.file("target");
    std::fs::write(&target, "").unwrap();
    let link = scratch.file("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = scratch.fifo("fifo");
    // A reader, so that a non-blocking open succeeds: only fstat can tell.
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let sysfs = "/sys/kernel/mm/transparent_hugepage/enabled";
    let sysfs_before = std::fs::read_to_string(sysfs).unwrap();
    for (path, why) in [
        (link.as_str(), "it is a symbolic link"),
        (fifo.as_str(), "it is a FIFO, not a regular file"),
        (sysfs, "it is on sysfs"),
    ] {
        let done = run(pid1_testkit(&["--termination-log", path], &["exit", "1"]));
        assert_eq!(done.code, 1, "{done:?}");
        let line = only_warning(&done);
        assert!(
            line.starts_with(&format!(
                "rinit: warn: not writing the termination message to {path}: {why}"
            )),
            "{line:?}"
        );
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    let mut buffer = [0u8; 64];
    let read = std::io::Read::read(&mut &reader, &mut buffer);
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "{read:?}"
    );
    assert_eq!(std::fs::read_to_string(sysfs).unwrap(), sysfs_before);
}

/// `/proc/sys/kernel/hostname` looks like an empty regular file. In a UTS
/// namespace of its own, a process left behind reads the hostname when the
/// drain's SIGTERM reaches it, after rinit would have written the message.
/// (Its `sleep` is started before the trap is set: a child forked with the
/// shell's handler in place, and not yet exec'd, would lose the SIGTERM.)
#[test]
fn the_termination_log_never_writes_into_procfs() {
    let script = r#"echo before >/proc/sys/kernel/hostname
(sleep 1000 & trap 'cat /proc/sys/kernel/hostname; exit 0' TERM; echo ready; wait) &
read -r _ || true
exit 1"#;
    let mut cmd = hermetic("unshare");
    cmd.args(["--uts", "--pid", "--fork", "--mount-proc", "--kill-child"])
        .arg(rinit())
        .args([
            "--termination-log",
            "/proc/sys/kernel/hostname",
            "--",
            "sh",
            "-c",
            script,
        ]);
    let mut run = Running::start(cmd);
    run.expect("ready");
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 1, "{done:?}");
    assert_eq!(
        done.stdout.last().map(String::as_str),
        Some("before"),
        "{done:?}"
    );
    let lines = warnings(&done);
    assert_eq!(
        lines,
        [
            "rinit: warn: not writing the termination message to /proc/sys/kernel/hostname: it is on procfs, whose files are the kernel's settings, not a message file"
        ],
        "{done:?}"
    );
}

// ---- Bounded lines (issue 20 item 9) ----------------------------------------------

/// With many processes left at the end of the grace, the JSON SIGKILL
/// line's `pids` names the few the text names; `count` has them all.
#[test]
fn the_json_sigkill_line_is_bounded() {
    const WORKERS: usize = 40;
    let script = format!(
        r#"i=0; while [ $i -lt {WORKERS} ]; do "$0" ignore-term & i=$((i+1)); done; read -r _ || true; exit 0"#
    );
    let mut run = Running::start(pid1_sh(
        &["--log-format", "json", "--grace", "200ms"],
        &script,
    ));
    for _ in 0..WORKERS {
        run.expect("ready");
    }
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    let records = parsed_json_lines(&done.stderr);
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(
        records[0].contains(&format!("count={WORKERS}")),
        "{records:?}"
    );
    let pids = records[0]
        .split(' ')
        .find_map(|f| f.strip_prefix("pids="))
        .expect("a pids field");
    assert_eq!(pids.trim_matches('"').split(',').count(), 5, "{records:?}");
    assert!(
        records[0].contains(&format!("and {} more", WORKERS - 5)),
        "{records:?}"
    );
}

// ---- Told when it happens (issue 24) ----------------------------------------------

/// A worker OOM-killed and reaped by its own parent, while the main process
/// carries on: rinit tells it while the main process still waits for its
/// input (the test gives that input only once it saw rinit's line, so the
/// order is the events'), once, in text and as a JSON record with fields.
#[test]
fn an_oom_kill_is_told_when_it_happens() {
    let group = MemoryGroup::new("fz-live-oom");
    for json in [false, true] {
        with_one_oom_kill(&group, || live_oom_scenario(&group, json));
    }
}

fn live_oom_scenario(group: &MemoryGroup, json: bool) {
    let script =
        r#"(head -c 300000000 /dev/zero | tail); read -r _ || true; echo next >&2; exit 0"#;
    let mut cmd = group.pid1(&["--", "sh", "-c", script]);
    if json {
        cmd.env("RINIT_LOG_FORMAT", "json");
    }
    let mut run = Running::start(cmd);
    let told = run.expect_stderr_line("about the OOM kill", |l| l.contains("OOM killer"));
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stderr.ends_with("next\n"), "{done:?}");
    if json {
        let records = parsed_json_lines(&told);
        assert!(
            records[0].contains("oom=true")
                && records[0].contains("oom_kills=1")
                && records[0].contains("memory_limit=33554432"),
            "{records:?}"
        );
    } else {
        assert!(is_live_oom_line(&told), "{told}");
        // One line for one kill: nothing more at the end.
        assert_eq!(warnings(&done), [told.as_str()], "{done:?}");
    }
}

/// Runs `scenario`, which makes one OOM kill, again when the kernel made
/// more than one in the group. In a 32 MiB group the OOM killer may pick a
/// second victim before the first one's memory is uncharged, and then the
/// largest process left: the debug build of rinit (about 4 MB resident,
/// where a release build is under 1 MB). That event is the kernel's, seen
/// in the group's own counter, and says nothing about rinit; in about 1 of
/// 60 runs of this file it happened. Any other failure fails at once, and
/// after three attempts the failure stands.
fn with_one_oom_kill(group: &MemoryGroup, scenario: impl Fn()) {
    for attempt in 1..=3 {
        let before = group.oom_kills();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(&scenario)) {
            Ok(()) => return,
            Err(_) if attempt < 3 && group.oom_kills() > before + 1 => {
                let kills = group.oom_kills() - before;
                eprintln!(
                    "attempt {attempt}: the kernel made {kills} OOM kills in the group; again"
                );
            }
            Err(failure) => std::panic::resume_unwind(failure),
        }
    }
}

/// The process limit reached: a process that never reaps holds twelve
/// zombies, then a shell forks until refused and fails. rinit names the
/// limit and who holds the pids, in the log and the termination message.
/// On cgroup v1 (these machines) `pids.events` raises no event, so this is
/// told at the failing end; on v2 it would be told as it happens.
#[test]
fn fork_refusals_name_the_limit_and_the_zombies() {
    let pids = V1Group::pids("fz-pids", 20);
    let scratch = Scratch::new("fz-pids");
    let path = scratch.file("termination-log");
    std::fs::write(&path, "").unwrap();
    let made = scratch.fifo("made");
    // A parent that never reaps (shells reap their jobs) holds twelve
    // zombies, waited for (WNOWAIT leaves them be), then a shell forks
    // until refused (dash then exits with 2).
    let holder = r#"import os, signal, sys
for _ in range(12):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
open(sys.argv[1], "w").write("made\n")
signal.pause()"#;
    let script = r#"python3 -c "$1" "$0" & read -r _ <"$0"; i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); done; exit 0"#;
    let done = run(pids.pid1(&[
        "--termination-log",
        &path,
        "--",
        "sh",
        "-c",
        script,
        &made,
        holder,
    ]));
    assert_ne!(done.code, 0, "{done:?}");
    assert!(pids.keyed("pids.events", "max") > 0, "{done:?}");
    let told: Vec<&str> = warnings(&done)
        .into_iter()
        .filter(|l| l.starts_with("rinit: warn: the process limit refused "))
        .collect();
    assert_eq!(told.len(), 1, "{done:?}");
    let line = told[0];
    assert!(
        line.contains(" of 20 pids in use); 12 are zombies nobody reaped: 'python3' (pid ")
            && line.ends_with(") has 12 unreaped children"),
        "{line}"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    let message: Vec<&str> = written.lines().collect();
    assert!(
        message[0].starts_with("'sh' (pid 2) exited with status "),
        "{written}"
    );
    assert_eq!(
        message.last(),
        line.strip_prefix("rinit: warn: ").as_ref(),
        "{written}"
    );
}

/// A cgroup v2 group as rinit finds it on a v2 host. These machines' v2
/// hierarchy has neither the memory nor the pids controller (both are on
/// v1), so the test makes a v2 group, moves rinit into it, and in a mount
/// namespace of its own lays a tmpfs over the group's directory holding the
/// files rinit reads. rinit's discovery (mountinfo and /proc/self/cgroup)
/// finds the cgroup2 mount; the test then changes the counters, which
/// raises the same IN_MODIFY a kernel counter raises.
struct FakeV2Group {
    dir: std::path::PathBuf,
}

impl FakeV2Group {
    fn new(name: &str) -> FakeV2Group {
        // The hybrid layout's cgroup2 mount, or the unified hierarchy's own.
        let root = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
            .into_iter()
            .map(std::path::Path::new)
            .find(|root| {
                root.join("cgroup.procs").exists() && root.join("cgroup.subtree_control").exists()
            })
            .expect("a cgroup2 hierarchy");
        let dir = root.join(format!("rinit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).expect("a writable cgroup2 hierarchy");
        FakeV2Group { dir }
    }

    /// rinit as PID 1 in the group, with the fake counters.
    fn pid1(&self, args: &[&str]) -> Command {
        let script = r#"echo $$ >"$0/cgroup.procs" && mount -t tmpfs fake-cgroup "$0" && cd "$0" &&
printf 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n' >memory.events &&
echo 33554432 >memory.max && echo 'max 0' >pids.events && echo 20 >pids.max && echo 7 >pids.current &&
cd / && exec unshare --pid --fork --mount-proc --kill-child "$@""#;
        let mut cmd = hermetic("unshare");
        cmd.args(["--mount", "--propagation", "private", "sh", "-c", script])
            .arg(&self.dir)
            .arg(rinit())
            .args(args);
        cmd
    }

    /// Rewrites `file` in place, as the kernel changes a counter: one
    /// write from the start, without truncating (a single IN_MODIFY, never
    /// an empty file), so `text` must be at least as long as what it
    /// replaces.
    fn set(&self, run: &Running, file: &str, text: &str) {
        use std::io::Write;
        let path = format!(
            "/proc/{}/root{}/{file}",
            run.rinit_pid(),
            self.dir.display()
        );
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let old = f.metadata().unwrap().len();
        assert!(
            text.len() as u64 >= old,
            "{text:?} is shorter than {file}'s {old} bytes"
        );
        f.write_all(text.as_bytes()).unwrap();
    }
}

impl Drop for FakeV2Group {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Issue 24 on cgroup v2: the kernel's SIGIO for the watched counters
/// comes through rinit's signalfd and is never forwarded (the main process
/// blocks and prints every signal it gets), while a SIGIO someone sends is
/// forwarded as ever; an OOM kill and fork refusals are told while the
/// main process runs.
#[test]
fn v2_counters_are_told_as_they_change_and_their_sigio_is_not_forwarded() {
    let group = FakeV2Group::new("fz-v2");
    let mut run = Running::start(group.pid1(&["--", &testkit(), "sigecho"]));
    run.expect("ready");
    group.set(
        &run,
        "memory.events",
        "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n",
    );
    let oom = run.expect_stderr_line("about the OOM kill", |l| l.contains("OOM"));
    assert_eq!(
        oom,
        "rinit: warn: a process was killed by the OOM killer (SIGKILL, memory limit 32 MiB)"
    );
    group.set(&run, "pids.current", "20");
    group.set(&run, "pids.events", "max 3\n");
    let refused = run.expect_stderr_line("about the fork refusals", |l| l.contains("limit"));
    assert_eq!(
        refused,
        "rinit: warn: the process limit refused 3 forks (20 of 20 pids in use)"
    );
    run.signal(libc::SIGIO);
    run.expect(&format!("signal {}", libc::SIGIO));
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    let signals: Vec<&String> = done
        .stdout
        .iter()
        .filter(|l| l.starts_with("signal "))
        .collect();
    assert_eq!(signals, [&format!("signal {}", libc::SIGIO)], "{done:?}");
    assert_eq!(
        warnings(&done),
        [oom.as_str(), refused.as_str()],
        "{done:?}"
    );
}
