//! Never hang, never lose a status: every way rinit once hung after its
//! program was gone, reproduced, as PID 1 and as a subreaper where both
//! apply. A hang shows up as a test that fails at its safety net; the
//! bounds asserted here are far below it and far above any honest run.

mod common;

use common::*;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn rinit_str() -> String {
    rinit().to_string_lossy().into_owned()
}

/// The signals whose default action ends a process: all but SIGCHLD, SIGCONT,
/// SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG and SIGWINCH. Real-time ones
/// (32-64) included.
fn fatal_signals() -> Vec<i32> {
    let harmless = [
        libc::SIGCHLD,
        libc::SIGCONT,
        libc::SIGSTOP,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
        libc::SIGURG,
        libc::SIGWINCH,
    ];
    (1..=64).filter(|s| !harmless.contains(s)).collect()
}

// ---- 1. Every death by signal gives 128 + N at once ---------------------

/// Runs `testkit MODE SIG` for every fatal signal, under rinit as PID 1 and
/// as a subreaper, and collects every run that did not end in 128 + SIG
/// with the one line that says so and no complaint.
fn assert_every_fatal_signal_gives_128_plus_n(mode: &str) {
    let tk = testkit();
    let mut wrong = Vec::new();
    for signal in fatal_signals() {
        let sig = signal.to_string();
        let args = ["--", &tk, mode, &sig];
        for (place, cmd) in [
            ("as PID 1", rinit_pid1(&args)),
            ("as a subreaper", rinit_direct(&args)),
        ] {
            let done = run(cmd);
            // One line says how the main child died (issue 13); anything
            // else from rinit is a complaint.
            let lines: Vec<&str> = done.stderr.lines().collect();
            let said_how = lines.len() == 1
                && lines[0].starts_with("rinit: warn: 'testkit' (pid ")
                && lines[0].contains(" was killed by ");
            if done.code != 128 + signal || !said_how {
                wrong.push(format!("signal {signal} {place}: {done:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_main_child_killed_by_any_signal_gives_128_plus_n() {
    assert_every_fatal_signal_gives_128_plus_n("kill-self");
}

#[test]
fn an_orphan_killed_by_any_signal_is_reaped_and_the_status_kept() {
    assert_every_fatal_signal_gives_128_plus_n("orphan-then-die");
}

// ---- 2. A process rinit may not signal -----------------------------------

/// Kills the setuid helper at the end of the test, whatever happened.
struct KillOnDrop(Option<i32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: kill takes plain integers.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// rinit runs as an unprivileged uid; its program starts a setuid-root
/// helper that becomes root for good, so rinit's SIGTERM and SIGKILL both
/// fail with EPERM. The main process exits 3: rinit must exit 3 soon after
/// the grace, not wait for the helper to exit by itself.
fn assert_unsignallable_helper_does_not_hold_rinit(pid1: bool) {
    assert!(is_root(), "this test needs root: run the suite as root");
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new(if pid1 { "eperm-pid1" } else { "eperm-sub" });
    let helper = scratch.path("helper");
    std::fs::copy(testkit(), &helper).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let rinit_copy = scratch.path("rinit");
    std::fs::copy(rinit(), &rinit_copy).unwrap();
    let script = format!(
        "{} setuid-hold & read line; exit 3",
        helper.to_string_lossy()
    );
    let rinit_path = rinit_copy.to_string_lossy().into_owned();
    let command = [&rinit_path, "--grace", "300ms", "--", "sh", "-c", &script];
    let cmd = as_nobody(pid1, &command);
    let mut running = Running::start(cmd);
    let helper_pid = running.expect_number("root-helper");
    // The pid is in rinit's namespace; as PID 1 the kernel ends the helper
    // with the namespace. As a subreaper, rinit leaves it behind.
    let _cleanup = KillOnDrop((!pid1).then_some(helper_pid));
    let started = Instant::now();
    running.write_stdin("go\n");
    let done = running.finish();
    let took = started.elapsed();
    assert_eq!(done.code, 3, "{done:?}");
    assert!(
        took < Duration::from_secs(10),
        "rinit took {took:?} to give up on a process it may not signal: {done:?}"
    );
    if !pid1 {
        assert!(
            done.stderr.contains("outlived SIGKILL"),
            "rinit should say who is left: {done:?}"
        );
    }
}

#[test]
fn a_process_rinit_may_not_signal_does_not_hold_pid1() {
    assert_unsignallable_helper_does_not_hold_rinit(true);
}

#[test]
fn a_process_rinit_may_not_signal_does_not_hold_a_subreaper() {
    assert_unsignallable_helper_does_not_hold_rinit(false);
}

// ---- 3. A process whose main thread has exited ---------------------------

/// Not PID 1 (PID 1 signals the whole namespace with kill(-1) and never
/// looks at /proc): the drain must count a zombie leader with a live thread
/// as alive, signal it, and finish well within the grace.
#[test]
fn the_drain_reaches_a_process_whose_main_thread_exited() {
    let mut running = Running::start(direct_testkit(&["--grace", "20s"], &["zombie-leader"]));
    running.expect_line("the zombie leader", |l| l.starts_with("zombie-leader "));
    let started = Instant::now();
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 3, "{done:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the drain did not reach the zombie leader: {done:?}"
    );
}

#[test]
fn forward_to_all_reaches_a_process_whose_main_thread_exited() {
    let mut running = Running::start(direct_testkit(&["--forward-to", "all"], &["zombie-leader"]));
    let pid = running.expect_number("zombie-leader");
    // SIGUSR1 ends the threaded process (default action); the main child
    // ignores it, so no drain follows that could reach the leader instead.
    signal_rinit(&running, false, libc::SIGUSR1);
    // Its pidfd turns readable once it has exited (no pidfd: already gone).
    let gone = pidfd(pid).is_none_or(|fd| poll_fd(fd.as_fd(), libc::POLLIN, SAFETY_NET));
    assert!(gone, "SIGUSR1 never reached the zombie leader {pid}");
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 3, "{done:?}");
}

// ---- 4. The program moves itself to another process group --------------

/// Sends `signal` to rinit: through `Running::signal` when rinit is PID 1
/// under unshare, straight to the process when the test started rinit.
fn signal_rinit(running: &Running, pid1: bool, signal: i32) {
    if pid1 {
        running.signal(signal);
    } else {
        send(running.outer_pid(), signal);
    }
}

fn assert_signals_follow_a_child_that_left_its_group(mut running: Running, pid1: bool) {
    running.expect("ready");
    signal_rinit(&running, pid1, libc::SIGUSR2);
    running.expect(&format!("signal {}", libc::SIGUSR2));
    signal_rinit(&running, pid1, libc::SIGTERM);
    running.expect(&format!("signal {}", libc::SIGTERM));
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    let warnings = done
        .stderr
        .lines()
        .filter(|l| l.starts_with("rinit: warn: "));
    assert_eq!(warnings.count(), 1, "rinit should warn once: {done:?}");
}

#[test]
fn signals_follow_a_child_that_left_its_group_as_pid1() {
    let tk = testkit();
    let running = Running::start(rinit_pid1(&["--", &tk, "leave-group"]));
    assert_signals_follow_a_child_that_left_its_group(running, true);
}

#[test]
fn signals_follow_a_child_that_left_its_group_as_a_subreaper() {
    let tk = testkit();
    let running = Running::start(rinit_direct(&["--", &tk, "leave-group"]));
    assert_signals_follow_a_child_that_left_its_group(running, false);
}

// ---- 5. A stderr that nobody reads ---------------------------------------

/// rinit logs every forwarded signal (`-vv`) into a one-page pipe that the
/// test never reads. Each forwarded signal must still arrive: a log line
/// must never stall the loop. Once the pipe is read again, rinit says how
/// many lines it dropped.
fn assert_a_stalled_stderr_stalls_nothing(pid1: bool) {
    let (read_end, write_end) = nix::unistd::pipe().unwrap();
    // SAFETY: F_SETPIPE_SZ on a pipe we own; the kernel rounds up to a page.
    assert!(unsafe { libc::fcntl(write_end.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) } >= 4096);
    let tk = testkit();
    let args = ["-vv", "--", &tk, "sigecho"];
    let mut cmd = if pid1 {
        rinit_pid1(&args)
    } else {
        rinit_direct(&args)
    };
    cmd.stderr(Stdio::from(write_end));
    let mut running = Running::start_with_stderr(cmd);
    running.expect("ready");
    // About 50 bytes of log per signal: 6,000 signals are more than the
    // pipe and rinit's queue (256 KiB) hold together.
    for _ in 0..6000 {
        signal_rinit(&running, pid1, libc::SIGUSR1);
        running.expect(&format!("signal {}", libc::SIGUSR1));
    }
    // Read what is there, then make rinit log once more: the writer catches
    // up and reports the lines it could not write.
    let mut pipe = std::fs::File::from(read_end);
    let mut first = vec![0u8; 4096];
    let n = pipe.read(&mut first).unwrap();
    assert!(n > 0);
    signal_rinit(&running, pid1, libc::SIGUSR2);
    running.expect(&format!("signal {}", libc::SIGUSR2));
    let started = Instant::now();
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{done:?}");
    let mut rest = String::new();
    pipe.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains("log lines were dropped: stderr was not keeping up"),
        "{rest}"
    );
}

#[test]
fn a_stalled_stderr_stalls_nothing_as_pid1() {
    assert_a_stalled_stderr_stalls_nothing(true);
}

#[test]
fn a_stalled_stderr_stalls_nothing_as_a_subreaper() {
    assert_a_stalled_stderr_stalls_nothing(false);
}

// ---- 6. `-p` when the parent is already gone ----------------------------

/// The parent of rinit dies after rinit has started but before `-p` is
/// armed (strace holds rinit at its first getppid() until the parent is
/// gone): the kernel will never send the signal, so rinit must act on it
/// itself and forward it to the child.
#[test]
fn pdeathsig_when_the_parent_died_before_it_was_armed() {
    let scratch = Scratch::new("pdeathsig");
    let fifo = scratch.fifo("trace");
    let tk = testkit();
    // With -D, strace runs as a detached grandchild and rinit stays the
    // direct child of this shell. strace reports rinit's first getppid()
    // on the fifo and holds rinit there for 3 s; the shell exits as soon as
    // it has read that report. (`<&0`: a background job's stdin would
    // otherwise be /dev/null, and sigecho exits when stdin closes.)
    let script = r#"strace -D -qq -o "$1" -e trace=getppid \
            -e inject=getppid:delay_exit=3000000:when=1 \
            "$2" -p SIGUSR1 -- "$3" sigecho <&0 &
        read report < "$1"
        exit 0"#;
    // Not in a new PID namespace: the shell must be able to die without
    // taking rinit with it. bash, not sh: dash unblocks signals at start.
    let mut cmd = hermetic("bash");
    cmd.args(["-c", script, "bash", &fifo, &rinit_str(), &tk]);
    // The child inherits this mask through rinit, so the forwarded SIGUSR1
    // waits for sigecho instead of killing it before it listens.
    start_with_signals(&mut cmd, &[libc::SIGUSR1], &[]);
    let mut running = Running::start(cmd);
    running.expect("ready");
    running.expect(&format!("signal {}", libc::SIGUSR1));
    running.close_stdin();
    running.finish();
}
