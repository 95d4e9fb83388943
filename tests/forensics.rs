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

/// The limit of a test's memory group: a `tail /dev/zero` reaches it at once.
const LIMIT: &str = "33554432";

/// A cgroup v1 memory group below the test's own, limited to 32 MiB with no
/// swap, removed when dropped. Processes join it through `command`.
struct MemoryGroup {
    dir: std::path::PathBuf,
}

impl MemoryGroup {
    fn new(name: &str) -> MemoryGroup {
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let own = own
            .lines()
            .find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
                controllers
                    .split(',')
                    .any(|c| c == "memory")
                    .then_some(path)
            })
            .expect("these tests need the cgroup v1 memory controller");
        let dir = std::path::Path::new("/sys/fs/cgroup/memory")
            .join(own.trim_start_matches('/'))
            .join(format!("rinit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).unwrap();
        let group = MemoryGroup { dir };
        // The swap limit counts memory and swap together: set it after.
        std::fs::write(group.dir.join("memory.limit_in_bytes"), LIMIT).unwrap();
        let swap = group.dir.join("memory.memsw.limit_in_bytes");
        if swap.exists() {
            std::fs::write(swap, LIMIT).unwrap();
        }
        group
    }

    /// `program args` run in this group.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = hermetic("sh");
        cmd.args(["-c", r#"echo $$ >"$0/cgroup.procs" && exec "$@""#])
            .arg(&self.dir)
            .arg(program)
            .args(args);
        cmd
    }

    /// rinit as PID 1 in this group.
    fn rinit_pid1(&self, args: &[&str]) -> Command {
        let rinit = rinit();
        let mut all = vec!["--pid", "--fork", "--mount-proc", "--kill-child"];
        all.push(rinit.to_str().unwrap());
        all.extend_from_slice(args);
        self.command("unshare", &all)
    }

    fn oom_kills(&self) -> u64 {
        let control = std::fs::read_to_string(self.dir.join("memory.oom_control")).unwrap();
        control
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .expect("an oom_kill line (Linux 4.13 or later)")
            .parse()
            .unwrap()
    }

    /// Gives the group a history: one OOM kill before rinit starts.
    fn with_an_old_oom_kill(self) -> MemoryGroup {
        let done = run(self.command("tail", &["/dev/zero"]));
        assert_eq!(done.code, 137, "{done:?}");
        assert_eq!(self.oom_kills(), 1);
        self
    }
}

impl Drop for MemoryGroup {
    fn drop(&mut self) {
        // Clean-up, not synchronisation: the processes a PID namespace's
        // end killed may take a moment to leave the group.
        for _ in 0..500 {
            match std::fs::remove_dir(&self.dir) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                Err(e) => return eprintln!("cannot remove {}: {e}", self.dir.display()),
                Ok(()) => return,
            }
        }
        eprintln!("{} is still busy: left behind", self.dir.display());
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
    let mut run = Running::start(group.rinit_pid1(&[
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
    let line = only_warning(&done);
    assert!(
        line.starts_with(&format!(
            "rinit: warn: 'testkit' (pid {MAIN_PID}) did not exit within --kill-after 300ms: sent SIGKILL after "
        )) && line.ends_with(
            "; the OOM killer killed 1 other process in the container meanwhile (memory limit 32 MiB)"
        ),
        "{line:?}"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        !written.contains("was killed by the OOM killer"),
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
    let line = only_warning(&done);
    assert!(
        line.starts_with(
            "rinit: warn: 1 process outlived the 300ms grace period: sending SIGKILL to 'testkit' (pid "
        ),
        "{line:?}"
    );
}

/// Issue 20 item 4: a memory cgroup with an OOM kill in its past (reused or
/// shared). As PID 1, a plain `kill -9` of the app is a SIGKILL, and a
/// failing exit owes nothing to what happened before rinit started.
#[test]
fn an_oom_kill_from_before_rinit_started_is_not_news() {
    let group = MemoryGroup::new("fz-history").with_an_old_oom_kill();
    let mut run = Running::start(group.rinit_pid1(&["--", &testkit(), "ignore-term"]));
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

fn run_in(group: &MemoryGroup, args: &[&str]) -> Finished {
    run(group.rinit_pid1(args))
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
    let mut run = Running::start(group.rinit_pid1(&[
        "--termination-log",
        &path,
        "--",
        "sh",
        "-c",
        &script,
        &hog,
    ]));
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
    assert_eq!(named + counted, HOGS, "{written}");
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
