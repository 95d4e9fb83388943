//! Shutdown that loses nothing (issue 3), through the built binary as PID 1.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn alive(pid: i32) -> bool {
    // A zombie still answers kill(pid, 0): count it as gone.
    proc_state(pid).is_some_and(|state| state != 'Z')
}

/// `INIT -- sh -c 'writer & wait'`, stopped with SIGTERM once the writer is
/// ready; returns how the run ended and what the writer left on disk.
/// `extra_terms` more SIGTERMs and SIGINTs follow once the shell has died
/// of the first, during the drain (sent with it, a SIGINT could reach the
/// shell first: lower numbers are dequeued first).
fn stop_a_shell_with_a_background_writer(init: &[&str], extra_terms: usize) -> (Finished, String) {
    let scratch = Scratch::new("writer");
    let data = scratch.file("data");
    let script = format!("{} writer {data} 300 & wait", testkit());
    let mut args = init[1..].to_vec();
    args.extend(["--", "sh", "-c", &script]);
    let mut running = Running::start(as_pid1(init[0], &args));
    running.expect("ready");
    let shell = running.init_child();
    running.signal(libc::SIGTERM);
    if extra_terms > 0 {
        wait_until("the shell to die of SIGTERM", || !alive(shell));
    }
    for _ in 0..extra_terms {
        running.signal(libc::SIGTERM);
        running.signal(libc::SIGINT);
    }
    let done = running.finish();
    let contents = std::fs::read_to_string(&data).unwrap_or_default();
    (done, contents)
}

#[test]
fn a_background_writer_finishes_its_file_before_rinit_exits() {
    let rinit = rinit().to_string_lossy().into_owned();
    let (done, contents) = stop_a_shell_with_a_background_writer(&[&rinit, "-v"], 0);
    // The shell died of SIGTERM; rinit still waited for the writer.
    assert_eq!(done.code, 143, "{done:?}");
    assert!(contents.ends_with("complete\n"), "data lost: {contents:?}");
    done.assert_stderr_has("sending SIGTERM to 1 remaining processes");

    // The same under tini, for the record: it exits with the shell, and the
    // kernel kills the writer mid-write. Only rinit is asserted on.
    for tini in ["/usr/bin/tini", "/usr/bin/tini-static"] {
        if std::path::Path::new(tini).exists() {
            let (tini_done, tini_contents) =
                stop_a_shell_with_a_background_writer(&[tini, "-g"], 0);
            eprintln!(
                "{tini} -g: exit {}, file {} bytes ({}); rinit: exit {}, file {} bytes (complete)",
                tini_done.code,
                tini_contents.len(),
                if tini_contents.ends_with("complete\n") {
                    "complete"
                } else {
                    "incomplete"
                },
                done.code,
                contents.len()
            );
            break;
        }
    }
}

#[test]
fn more_stop_requests_during_the_drain_do_not_cut_it_short() {
    let rinit = rinit().to_string_lossy().into_owned();
    let (done, contents) = stop_a_shell_with_a_background_writer(&[&rinit], 5);
    assert_eq!(done.code, 143, "{done:?}");
    assert!(contents.ends_with("complete\n"), "data lost: {contents:?}");
}

#[test]
fn a_daemon_that_left_the_group_gets_the_drain_signal() {
    let scratch = Scratch::new("daemon-drain");
    let marker = scratch.file("marker");
    let script = format!("{} daemon {marker}", testkit());
    let done = run(rinit_pid1(&["-vv", "--", "sh", "-c", &script]));
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stdout[0].starts_with("daemon "), "{done:?}");
    done.assert_stderr_has("sending SIGTERM to 1 remaining processes");
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "daemon got SIGTERM\n"
    );
}

#[test]
fn forward_to_all_reaches_a_daemon_that_left_the_group() {
    let scratch = Scratch::new("daemon-all");
    let marker = scratch.file("marker");
    let tk = testkit();
    let script = format!("{tk} daemon {marker}; exec {tk} sigecho");
    let mut running = Running::start(rinit_pid1(&[
        "-vv",
        "--forward-to",
        "all",
        "--",
        "sh",
        "-c",
        &script,
    ]));
    // The daemon and sigecho print their lines in either order.
    running.expect_line("from the daemon", |l| l.starts_with("daemon "));
    running.expect_all(&["ready"]);
    running.signal(libc::SIGTERM);
    running.expect("signal 15");
    // The daemon exits once it has written its marker, and rinit reaps it.
    running.expect_stderr_line("about the daemon being reaped", |l| {
        l.contains("reaped process")
    });
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "daemon got SIGTERM\n"
    );
    running.close_stdin();
    assert_eq!(running.finish().code, 0);
}

/// Starts a process that ignores SIGTERM in the background; the main child
/// (`cat`) exits when stdin closes. Returns the run and the elapsed time from
/// the main child's exit to rinit's.
fn outlive_the_grace(grace: &str) -> (Finished, Duration) {
    let script = format!("{} ignore-term & cat >/dev/null", testkit());
    let mut running = Running::start(rinit_pid1(&[
        "-v", "--grace", grace, "--", "sh", "-c", &script,
    ]));
    running.expect("ready");
    running.close_stdin();
    running.expect_stderr_line("on the main child's exit", |l| l.contains("child exited"));
    let since = Instant::now();
    let done = running.finish();
    (done, since.elapsed())
}

#[test]
fn a_process_ignoring_sigterm_is_killed_when_the_grace_runs_out() {
    let (done, elapsed) = outlive_the_grace("1s");
    assert_eq!(done.code, 0, "{done:?}");
    let log = &done.stderr;
    let term = log
        .find("sending SIGTERM to 1 remaining processes; they have 1s")
        .expect(log);
    let kill = log.find("sending SIGKILL").expect(log);
    assert!(term < kill, "{log}");
    assert!(
        elapsed >= Duration::from_millis(900),
        "did not wait for the grace: {elapsed:?}"
    );
    // A generous margin: the point is that rinit does not hang after the kill.
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// A process left behind: the main child starts `testkit sigecho` reading
/// a FIFO the test holds (so it ends only when killed, or when the test
/// drops the returned file), and exits once the test writes a line.
/// Returns the run, the leftover listening and the main child gone.
fn leave_a_listener(
    scratch: &Scratch,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (Running, std::fs::File) {
    let (fifo, holder) = scratch.held_fifo("leftover-stdin");
    let tk = testkit();
    let mut all = args.to_vec();
    all.extend([
        "--",
        "sh",
        "-c",
        r#""$0" sigecho <"$1" & read -r _"#,
        &tk,
        &fifo,
    ]);
    let mut cmd = rinit_pid1(&all);
    cmd.envs(vars.iter().copied());
    let mut running = Running::start(cmd);
    running.expect("ready");
    running.write_stdin("go\n");
    (running, holder)
}

#[test]
fn zero_grace_kills_the_rest_at_once() {
    let scratch = Scratch::new("zero-grace");
    let (running, _holder) = leave_a_listener(&scratch, &["--grace", "0"], &[]);
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    // No SIGTERM first: the leftover reported nothing, and was killed
    // before its input ended.
    assert_eq!(signals_in(&done.stdout), Vec::<i32>::new(), "{done:?}");
    assert!(
        !done.stdout.contains(&"stdin closed".to_owned()),
        "{done:?}"
    );
}

#[test]
fn drain_signal_is_configurable() {
    let scratch = Scratch::new("drain-usr1");
    let vars = [("RINIT_DRAIN_SIGNAL", "USR1")];
    let (mut running, holder) = leave_a_listener(&scratch, &[], &vars);
    running.expect(&format!("signal {}", libc::SIGUSR1));
    // Let it go: it ends on its own, not killed.
    drop(holder);
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    // SIGUSR1 instead of SIGTERM (the drain's SIGCONT follows it).
    let got = signals_in(&done.stdout);
    assert!(!got.contains(&libc::SIGTERM), "{done:?}");
    assert!(done.stdout.contains(&"stdin closed".to_owned()), "{done:?}");
}

#[test]
fn kill_after_escalates_when_the_child_ignores_the_stop_request() {
    let mut running = Running::start(pid1_testkit(
        &["-v", "--kill-after", "300ms"],
        &["ignore-term"],
    ));
    running.expect("ready");
    running.signal(libc::SIGTERM);
    let done = running.finish();
    // Killed by SIGKILL: it ignores SIGTERM, and nothing else was sent.
    assert_eq!(done.code, 137, "{done:?}");
}

#[test]
fn kill_after_does_nothing_when_the_child_stops_in_time() {
    let scratch = Scratch::new("kill-after");
    let data = scratch.file("data");
    let tk = testkit();
    let mut cmd = rinit_pid1(&["-v", "--", &tk, "writer", &data, "100"]);
    cmd.env("RINIT_KILL_AFTER", "30s");
    let mut running = Running::start(cmd);
    running.expect("ready");
    running.signal(libc::SIGTERM);
    let done = running.finish();
    // Exited on its own after writing everything: no SIGKILL came.
    assert_eq!(done.code, 0, "{done:?}");
    assert!(
        std::fs::read_to_string(&data)
            .unwrap()
            .ends_with("complete\n")
    );
}

#[test]
fn as_a_subreaper_no_descendant_survives_rinit() {
    let scratch = Scratch::new("subreaper");
    let marker = scratch.file("marker");
    let tk = testkit();
    let script = format!("{tk} ignore-term & echo stubborn $!; {tk} daemon {marker}");
    let mut cmd = hermetic(rinit());
    cmd.args(["-v", "--grace", "500ms", "--", "sh", "-c", &script]);
    let mut running = Running::start(cmd);
    let stubborn = running.expect_number("stubborn");
    let daemon = running.expect_number("daemon");
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(!alive(stubborn), "the SIGTERM-ignoring process survived");
    assert!(!alive(daemon), "the daemon survived");
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "daemon got SIGTERM\n"
    );
    // rinit listed its descendants from /proc: the stubborn one and the daemon.
    done.assert_stderr_has("sending SIGTERM to 2 remaining processes");
    done.assert_stderr_has("sending SIGKILL to 1 remaining processes");
}

#[test]
fn bad_shutdown_values_exit_2_naming_the_option() {
    for (args, needle) in [
        (&["--grace", "abc", "true"][..], "--grace"),
        (&["--grace", "-1", "true"][..], "--grace"),
        (&["--kill-after", "soon", "true"][..], "--kill-after"),
        (&["--drain-signal", "SIGNOPE", "true"][..], "--drain-signal"),
        (&["--forward-to", "everybody", "true"][..], "--forward-to"),
    ] {
        let done = run(rinit_pid1(args));
        assert_eq!(done.code, 2, "{args:?}: {done:?}");
        assert!(done.stderr.contains(needle), "{args:?}: {}", done.stderr);
    }
    let mut cmd = rinit_pid1(&["true"]);
    cmd.env("RINIT_GRACE", "forever");
    let done = run(cmd);
    assert_eq!(done.code, 2);
    done.assert_stderr_has("RINIT_GRACE");
}
