//! Shutdown reaches everything in the container and nothing outside it:
//! as PID 1 the drain waits for processes that entered the namespace from
//! outside (`docker exec`), and not as PID 1 a signal never reaches a
//! process that merely got a number rinit once knew.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// A process started by `nsenter` into rinit's PID namespace: its parent is
/// outside (nsenter), as with `podman exec`, so it is not rinit's child.
struct Entered {
    child: std::process::Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    /// Held open: `sigecho` ends when its stdin closes.
    _stdin: std::process::ChildStdin,
}

impl Entered {
    fn start(rinit_pid: i32, args: &[&str]) -> Entered {
        let mut cmd = in_pid_namespace_of(rinit_pid, testkit());
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("start nsenter");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let _stdin = child.stdin.take().unwrap();
        Entered {
            child,
            lines,
            _stdin,
        }
    }

    fn expect(&mut self, wanted: &str) {
        let line = self.lines.next().expect("a line").expect("read");
        assert_eq!(line, wanted);
    }
}

/// The `podman exec` case as PID 1: the main process exits while a process
/// that entered the namespace from outside still has a file to write on
/// SIGTERM. rinit must send it SIGTERM and wait for it; before, it exited
/// at once and the kernel SIGKILLed the writer mid-file.
#[test]
fn a_process_entered_from_outside_is_drained_and_waited_for() {
    let scratch = Scratch::new("entered");
    let file = scratch.file("flushed");
    let tk = testkit();
    let mut running = Running::start(rinit_pid1(&["-v", "--grace", "20s", "--", &tk, "sigecho"]));
    running.expect("ready");
    let mut entered = Entered::start(running.rinit_pid(), &["writer", &file, "300"]);
    entered.expect("ready");
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    let written = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        written.ends_with("complete\n"),
        "the entered process was cut short: {written:?}; {done:?}"
    );
    let status = entered.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// A process that entered from outside gets the drain signal once, also
/// when rinit still had a child of its own as the drain began: it was
/// there for the drain's `kill(-1)`, so it is no newcomer to signal again
/// once that child is gone (a SIGTERM handler run twice, as
/// tests/docker.rs saw under load, starts its work over).
#[test]
fn a_process_entered_from_outside_gets_the_drain_signal_once() {
    let tk = testkit();
    // The main child leaves rinit an orphan (`sleep`) when it ends.
    let script = r#"sleep 1000 & exec "$1" sigecho"#;
    let mut running = Running::start(rinit_pid1(&[
        "--grace", "1s", "--", "sh", "-c", script, "sh", &tk,
    ]));
    running.expect("ready");
    let mut entered = Entered::start(running.rinit_pid(), &["sigecho"]);
    entered.expect("ready");
    running.close_stdin();
    let done = running.finish();
    // rinit's exit after the grace ends the entered process too.
    let lines: Vec<String> = entered.lines.map_while(Result::ok).collect();
    let terms = lines
        .iter()
        .filter(|l| *l == &format!("signal {}", libc::SIGTERM))
        .count();
    assert_eq!(terms, 1, "{lines:?}; {done:?}");
}

/// With nothing but the main child, rinit still exits at once: looking for
/// processes entered from outside must not make it wait out its grace.
#[test]
fn without_others_pid1_exits_at_once() {
    let tk = testkit();
    let started = std::time::Instant::now();
    let done = run(rinit_pid1(&["--grace", "30s", "--", &tk, "exit", "4"]));
    assert_eq!(done.code, 4, "{done:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "rinit waited {:?} with nothing left: {done:?}",
        started.elapsed()
    );
}

/// Whether `pid` has `signal` pending (it blocks everything: testkit
/// block-all), from /proc.
fn has_pending(pid: i32, signal: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .filter(|l| l.starts_with("ShdPnd:") || l.starts_with("SigPnd:"))
        .any(|l| {
            let mask = u64::from_str_radix(l.split_whitespace().nth(1).unwrap(), 16).unwrap();
            mask & (1 << (signal - 1)) != 0
        })
}

/// The start time of `pid` in clock ticks (field 22 of /proc/PID/stat).
fn start_time(pid: i32) -> u64 {
    // Field 22 of proc(5); `proc_stat` starts at field 3, the state.
    proc_stat(pid).expect("a live process")[19].parse().unwrap()
}

/// Starts `setsid testkit block-all` with exactly this pid, by setting
/// `ns_last_pid` just before the fork (other processes may take the number
/// first: then it tries again). With `not_at`, it also tries again while the
/// newcomer's start time is that clock tick: a pid reused within the tick
/// its first owner started in is beyond what a start time can tell (without
/// `ns_last_pid`, the kernel hands a pid out again only after the whole pid
/// space has gone round).
fn start_with_pid(pid: i32, not_at: Option<u64>) -> std::process::Child {
    for _ in 0..1000 {
        std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).unwrap();
        let mut child = Command::new("setsid")
            .arg(testkit())
            .arg("block-all")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        if child.id() as i32 == pid && not_at != Some(start_time(pid)) {
            let mut ready = String::new();
            BufReader::new(child.stdout.as_mut().unwrap())
                .read_line(&mut ready)
                .unwrap();
            assert_eq!(ready, "ready\n");
            return child;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("could not get pid {pid} back");
}

/// Ends a test whose drain a process ignoring SIGTERM keeps going, once
/// rinit has acted: `signal` must not be pending at the stranger;
/// the stranger goes, rinit's remaining descendants get SIGKILL, and rinit
/// must exit with `code`.
fn assert_the_stranger_spared(
    mut stranger: std::process::Child,
    running: Running,
    signal: i32,
    code: i32,
) {
    let pid = stranger.id() as i32;
    let reached = has_pending(pid, signal);
    let _ = stranger.kill();
    let _ = stranger.wait();
    let (live, _) = descendants(running.outer_pid());
    for pid in live {
        // Not PID 1: nothing else would end them.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let done = running.finish();
    assert!(
        !reached,
        "the stranger with pid {pid} got {signal}: {done:?}"
    );
    assert_eq!(done.code, code, "{done:?}");
}

/// Not PID 1: the main child (leader of its process group) exits while a
/// daemon in its own session keeps rinit draining. An unrelated process
/// then gets the main child's number and makes it its own group (`setsid`).
/// A signal rinit forwards to "the child's group" must not reach it.
#[test]
fn a_reused_group_number_never_receives_a_signal() {
    assert!(
        is_root(),
        "this test needs root (ns_last_pid): run the suite as root"
    );
    let tk = testkit();
    let script = format!("setsid {tk} ignore-term & read x; exit 5");
    let mut cmd = hermetic(rinit());
    cmd.args(["-vv", "--grace", "30s", "--", "sh", "-c", &script]);
    let mut running = Running::start(cmd);
    running.expect("ready");
    // The child (sh, waiting for a line) leads the group rinit forwards
    // to; it is rinit's only child until it exits.
    let group = children(running.outer_pid())[0];
    running.write_stdin("go\n");
    // Reaped, so its pid is free again.
    wait_until("rinit to reap its child", || proc_state(group).is_none());
    let stranger = start_with_pid(group, None);
    send(running.outer_pid(), libc::SIGUSR1);
    running.expect_stderr_line("the forward", |l| l.contains("SIGUSR1"));
    assert_the_stranger_spared(stranger, running, libc::SIGUSR1, 5);
}

/// The drain lists rinit's descendants in /proc, then pins each with a
/// pidfd. Here a listed descendant exits between the listing and its
/// `pidfd_open`, is reaped by its parent, and its number goes to an
/// unrelated process: that process must not get the drain's SIGTERM (rinit
/// checks the start time after opening the pidfd).
///
/// Deterministic: the descendants are listed parents first, so the middle
/// process (rinit's child) is pinned before its helper; strace stops rinit
/// right after that first `pidfd_open` (an injected SIGSTOP, which rinit
/// cannot block), the test swaps the helper for a stranger and only then
/// lets rinit go on with SIGCONT.
#[test]
fn a_reused_pid_never_receives_the_drain() {
    assert!(
        is_root(),
        "this test needs root (ns_last_pid): run the suite as root"
    );
    let scratch = Scratch::new("reused-pid");
    let fifo = scratch.fifo("trace");
    let tk = testkit();
    // The main child exits 6 at once and leaves a middle process that
    // ignores SIGTERM (so the drain goes on), with a helper of its own that
    // it reaps and reports (the helper lives until the test kills it).
    let middle = format!(
        "trap '' TERM; {tk} ignore-term >/dev/null & echo helper $!; wait $!; echo helper gone; exec sleep 1000"
    );
    let script = "sh -c \"$1\" & read x; exit 6";
    // Opened before strace opens it for writing (which would otherwise
    // block); read and write, so that opening does not block here either.
    let fifo_end = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let mut cmd = hermetic("strace");
    cmd.args(["-D", "-qq", "-o", &fifo, "-e", "trace=pidfd_open"])
        .args(["-e", "inject=pidfd_open:signal=SIGSTOP:when=1", "--"])
        .arg(rinit())
        .args([
            "-v", "--grace", "30s", "--", "sh", "-c", script, "sh", &middle,
        ]);
    let mut running = Running::start(cmd);
    let helper = running.expect_number("helper");
    let helper_started = start_time(helper);
    running.write_stdin("go\n");
    let mut trace = BufReader::new(fifo_end);
    let mut report = Vec::new();
    while !report
        .iter()
        .any(|l: &String| l.contains("stopped by SIGSTOP"))
    {
        let mut line = String::new();
        trace.read_line(&mut line).unwrap();
        report.push(line);
    }
    assert!(
        !report[0].starts_with(&format!("pidfd_open({helper},")),
        "the helper was pinned first, before the test could swap it: {report:?}"
    );
    // SAFETY: kill takes plain integers.
    unsafe { libc::kill(helper, libc::SIGKILL) };
    running.expect("helper gone");
    let stranger = start_with_pid(helper, Some(helper_started));
    // rinit is this test's child (strace -D).
    send(running.outer_pid(), libc::SIGCONT);
    running.expect_stderr_line("the drain", |l| l.contains("sending SIGTERM to"));
    assert_the_stranger_spared(stranger, running, libc::SIGTERM, 6);
}

/// `rinit ARGS`, not as PID 1, with `CALL` answering `ERRNO` as a seccomp
/// profile would make it (strace injects the error into rinit alone; with
/// -D rinit stays this test's child). strace injects only into calls it
/// traces: `trace=none` would disarm it.
fn rinit_refusing(call: &str, errno: &str, args: &[&str]) -> Command {
    let mut cmd = hermetic("strace");
    cmd.args(["-D", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("trace={call}"))
        .arg("-e")
        .arg(format!("inject={call}:error={errno}"))
        .arg("--")
        .arg(rinit())
        .args(args);
    cmd
}

fn alive(pid: i32) -> bool {
    // A zombie still answers kill(pid, 0): count it as gone.
    proc_state(pid).is_some_and(|state| state != 'Z')
}

/// Not PID 1 (a Pod sharing its process namespace, CI), in a sandbox that
/// refuses the pidfd calls with EPERM or EACCES (older Docker, containerd
/// and podman seccomp profiles) or hides them (ENOSYS): the drain still
/// reaches the daemon that left the group (it writes its file on SIGTERM)
/// and SIGKILLs the process that ignores SIGTERM. Before, EPERM counted as
/// "process gone": both were left running.
#[test]
fn refused_pidfds_still_let_the_drain_through() {
    let tk = testkit();
    let script = format!("{tk} ignore-term & echo stubborn $!; {tk} daemon \"$1\"");
    for call in ["pidfd_open", "pidfd_send_signal"] {
        for errno in ["EPERM", "EACCES", "ENOSYS"] {
            let scratch = Scratch::new("refused-pidfd");
            let marker = scratch.file("marker");
            let args = [
                "-v", "--grace", "500ms", "--", "sh", "-c", &script, "sh", &marker,
            ];
            let mut running = Running::start(rinit_refusing(call, errno, &args));
            let stubborn = running.expect_number("stubborn");
            let daemon = running.expect_number("daemon");
            let done = running.finish();
            let (stubborn_alive, daemon_alive) = (alive(stubborn), alive(daemon));
            for pid in [stubborn, daemon] {
                // SAFETY: kill takes plain integers.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            let what = format!("{call} refused with {errno}: {done:?}");
            assert_eq!(done.code, 0, "{what}");
            assert_eq!(
                std::fs::read_to_string(&marker).unwrap_or_default(),
                "daemon got SIGTERM\n",
                "{what}"
            );
            assert!(!daemon_alive, "the daemon survived; {what}");
            assert!(!stubborn_alive, "the SIGKILL missed; {what}");
        }
    }
}

/// As PID 1 with the pidfd calls refused: rinit cannot wait on a pidfd for
/// a process that entered the namespace from outside, so it looks again
/// shortly instead, and exits once the process is done, not at the end of
/// its grace. (strace attaches from outside the namespace, where the drain's
/// `kill(-1)` cannot reach it.)
#[test]
fn refused_pidfds_as_pid1_still_wait_for_entered_processes() {
    let tk = testkit();
    for errno in ["EPERM", "ENOSYS"] {
        let scratch = Scratch::new("refused-pidfd-pid1");
        let file = scratch.file("flushed");
        let mut running =
            Running::start(rinit_pid1(&["-v", "--grace", "60s", "--", &tk, "sigecho"]));
        running.expect("ready");
        let mut strace = Command::new("strace")
            .args(["-o", "/dev/null", "-e", "trace=pidfd_open", "-e"])
            .arg(format!("inject=pidfd_open:error={errno}"))
            .args(["-p", &running.rinit_pid().to_string()])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut attached = String::new();
        BufReader::new(strace.stderr.as_mut().unwrap())
            .read_line(&mut attached)
            .unwrap();
        assert!(attached.contains("attached"), "{attached:?}");
        let mut entered = Entered::start(running.rinit_pid(), &["writer", &file, "300"]);
        entered.expect("ready");
        running.close_stdin();
        let started = std::time::Instant::now();
        let done = running.finish();
        let took = started.elapsed();
        let _ = strace.kill();
        let _ = strace.wait();
        assert_eq!(done.code, 0, "{errno}: {done:?}");
        let written = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(written.ends_with("complete\n"), "{errno}: {written:?}");
        assert!(entered.child.wait().unwrap().success());
        assert!(
            took < std::time::Duration::from_secs(20),
            "{errno}: rinit waited {took:?}, its grace and not the writer: {done:?}"
        );
    }
}

/// A long drain as PID 1 does not list /proc at every exit. Sixty of
/// rinit's own processes that ignore SIGTERM end on their own, 20 ms apart,
/// after the main child: each exit is a pass of the loop that asks who is
/// left, and listing /proc on each would cost a drain of N processes N
/// listings of up to N processes. /proc is listed for newcomers at most
/// every 100 ms (and once rinit's own are gone), and the processes the
/// kernel lists as rinit's own children are not read one by one; strace
/// counts what rinit opened.
#[test]
fn a_long_drain_lists_proc_only_now_and_then() {
    const EXITS: usize = 60;
    let scratch = Scratch::new("long-drain");
    let trace = scratch.file("trace");
    // 60 processes that leave one by one, 20 ms apart, from 0.52 s after "go".
    let sleepers: String = (1..=EXITS)
        .map(|i| format!("sleep {:.3} & ", (500 + 20 * i) as f64 / 1000.0))
        .collect();
    let script = format!("trap '' TERM; echo ready; read x; {sleepers}");
    let mut running = Running::start(rinit_pid1(&["--grace", "30s", "--", "sh", "-c", &script]));
    running.expect("ready");
    let mut strace = hermetic("strace")
        .args(["-o", &trace, "-e", "trace=open,openat", "-p"])
        .arg(running.rinit_pid().to_string())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strace");
    let mut said = BufReader::new(strace.stderr.take().unwrap()).lines();
    let attached = said.find(|l| l.as_ref().is_ok_and(|l| l.contains("attached")));
    assert!(attached.is_some(), "strace did not attach");
    running.write_stdin("go\n");
    let started = std::time::Instant::now();
    let done = running.finish();
    let took = started.elapsed();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(strace.wait().unwrap().success());
    let opened = std::fs::read_to_string(&trace).unwrap();
    let listings = opened.lines().filter(|l| l.contains("\"/proc\"")).count();
    // Every 100 ms of the drain, and at most half as many as there were
    // exits, however slow the machine made the drain: a listing per exit
    // (what rinit did before) fails either way.
    let allowed = (3 + took.as_millis() as usize / 100).min(EXITS / 2);
    assert!(
        (1..=allowed).contains(&listings),
        "/proc listed {listings} times in a drain of {took:?} (at most {allowed}):\n{opened}"
    );
    // rinit's own stat file, and now and then one of a process on its way.
    let stats = opened.lines().filter(|l| l.contains("/stat\"")).count();
    assert!(
        stats <= 2 * listings,
        "{stats} stat files read in {listings} listings of rinit's own orphans:\n{opened}"
    );
}
