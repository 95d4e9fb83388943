//! Stopping without dropping requests (issue 12): `--stop-delay` holds the
//! first SIGTERM, `--stop-success` makes a requested stop exit 0. Through the
//! built binary as PID 1; the app (`testkit stop-app`) stamps every signal it
//! gets with CLOCK_MONOTONIC, which the test reads too, so the timings below
//! are the app's own, not those of a line crossing a pipe.

mod common;
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

type Opts = &'static [&'static str];
type Vars = &'static [(&'static str, &'static str)];

/// The time in a "signal N at MICROS" line.
fn stamp(line: &str) -> u128 {
    line.rsplit(' ')
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no time in {line:?}"))
}

fn micros(duration: Duration) -> u128 {
    duration.as_micros()
}

/// Waits for the app's line about signal `n`; returns when it got it.
fn expect_signal(running: &mut Running, n: i32) -> u128 {
    let prefix = format!("signal {n} at ");
    stamp(&running.expect_line(&format!("{prefix}..."), |l| l.starts_with(&prefix)))
}

/// The signal numbers the app reported so far.
fn signals_seen(lines: &[String]) -> Vec<i32> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("signal ")?.split(' ').next()?.parse().ok())
        .collect()
}

/// `program opts... -- testkit stop-app ACTION` as PID 1, with exactly these
/// rinit variables.
fn stop_app(program: &str, opts: &[&str], vars: &[(&str, &str)], action: &str) -> Command {
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", &tk, "stop-app", action]);
    let mut cmd = as_pid1(program, &args);
    cmd.envs(vars.iter().copied());
    cmd
}

fn rinit_stop_app(opts: &[&str], action: &str) -> Running {
    let program = rinit().to_string_lossy().into_owned();
    let mut running = Running::start(stop_app(&program, opts, &[], action));
    running.expect("ready");
    running
}

/// rinit says it holds the SIGTERM: it has received it, and not forwarded it.
fn expect_hold(running: &mut Running) {
    running.expect_stderr_line("saying the SIGTERM is held", |l| {
        l.contains("holding it for")
    });
}

#[test]
fn the_held_sigterm_arrives_after_the_delay_and_not_before() {
    const DELAY: Duration = Duration::from_millis(700);
    let names = Names::new();
    // Every name, by option and by variable; `NAME -- CMD` takes the
    // variables only.
    let cases: &[(&str, Opts, Vars)] = &[
        ("rinit", &["-v", "--stop-delay", "700ms"], &[]),
        ("rinit", &[], &[("RINIT_STOP_DELAY", "700ms")]),
        ("docker-init", &[], &[("RINIT_STOP_DELAY", "700ms")]),
        ("tini", &["--stop-delay", "700ms"], &[]),
        ("dumb-init", &[], &[("RINIT_STOP_DELAY", "700ms")]),
        ("catatonit", &["--stop-delay=700ms"], &[]),
    ];
    for &(name, opts, vars) in cases {
        let what = format!("{name} {opts:?} {vars:?}");
        let mut running = Running::start(stop_app(&names.of(name), opts, vars, "stay"));
        running.expect("ready");
        let sent = monotonic_micros();
        running.signal(libc::SIGTERM);
        let arrived = expect_signal(&mut running, libc::SIGTERM);
        let waited = arrived.saturating_sub(sent);
        assert!(
            waited >= micros(DELAY),
            "{what}: SIGTERM reached the app after {waited} us"
        );
        // A generous bound: the point is that the hold ends by itself.
        assert!(
            waited < micros(DELAY + Duration::from_secs(10)),
            "{what}: {waited} us"
        );
        // Nothing reached the app before it.
        assert_eq!(signals_seen(&running.seen), [libc::SIGTERM], "{what}");
        running.close_stdin();
        let done = running.finish();
        assert_eq!(done.code, 0, "{what}: {done:?}");
        if opts.contains(&"-v") {
            done.assert_stderr_has("SIGTERM received: holding it for 700ms (--stop-delay)");
            assert_no_complaints(&done);
        }
    }
}

#[test]
fn a_second_sigterm_cuts_the_hold() {
    // An hour: if the hold were not cut, the safety net would fail the test.
    let mut running = rinit_stop_app(&["-v", "--stop-delay", "1h"], "stay");
    running.signal(libc::SIGTERM);
    expect_hold(&mut running);
    running.signal(libc::SIGTERM);
    expect_signal(&mut running, libc::SIGTERM);
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    done.assert_stderr_has("SIGTERM received during --stop-delay: forwarding the held SIGTERM now");
}

#[test]
fn a_sigint_cuts_the_hold_and_is_forwarded_too() {
    let mut running = rinit_stop_app(&["-v", "--stop-delay", "1h"], "stay");
    running.signal(libc::SIGTERM);
    expect_hold(&mut running);
    running.signal(libc::SIGINT);
    // Both arrive; the app's kernel hands pending standard signals over
    // lowest number first, so their order there says nothing.
    for n in [libc::SIGTERM, libc::SIGINT] {
        if !signals_seen(&running.seen).contains(&n) {
            expect_signal(&mut running, n);
        }
    }
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    let mut seen = signals_seen(&done.stdout);
    seen.sort();
    assert_eq!(seen, [libc::SIGINT, libc::SIGTERM], "{done:?}");
}

#[test]
fn other_signals_pass_during_the_hold_unchanged() {
    let mut running = rinit_stop_app(&["-v", "--stop-delay", "1h"], "stay");
    running.signal(libc::SIGTERM);
    expect_hold(&mut running);
    let others = [
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGQUIT,
        libc::SIGWINCH,
        libc::SIGRTMIN() + 2,
    ];
    for n in others {
        running.signal(n);
        expect_signal(&mut running, n);
    }
    // The main child ends the run while the SIGTERM is still held.
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(signals_seen(&done.stdout), others, "{done:?}");
}

#[test]
fn the_child_exiting_during_the_hold_ends_the_container_at_once() {
    let scratch = Scratch::new("stop-delay-exit");
    let data = scratch.file("data");
    let tk = testkit();
    // A worker that needs the drain's SIGTERM to finish its file, beside the
    // app; the app exits when stdin closes.
    let script = format!("{tk} writer {data} 100 & exec {tk} stop-app stay");
    let cmd = rinit_pid1(&["-v", "--stop-delay", "1h", "--", "sh", "-c", &script]);
    let mut running = Running::start(cmd);
    running.expect("ready");
    if running.seen.iter().filter(|l| *l == "ready").count() < 2 {
        running.expect("ready");
    }
    running.signal(libc::SIGTERM);
    expect_hold(&mut running);
    let exited = Instant::now();
    running.close_stdin();
    let done = running.finish();
    let took = exited.elapsed();
    assert_eq!(done.code, 0, "{done:?}");
    // "At once": the ordinary shutdown, here the drain of the writer (about
    // 100 ms), not the hour of the hold.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(signals_seen(&done.stdout).is_empty(), "{done:?}");
    done.assert_stderr_has(
        "the child ended during --stop-delay: the held SIGTERM is not forwarded",
    );
    done.assert_stderr_has("sending SIGTERM to 1 remaining processes");
    assert!(
        std::fs::read_to_string(&data)
            .unwrap_or_default()
            .ends_with("complete\n"),
        "the drain did not run"
    );
}

#[test]
fn kill_after_counts_from_the_forward_not_from_the_hold() {
    const DELAY: Duration = Duration::from_secs(1);
    const KILL_AFTER: Duration = Duration::from_secs(1);
    let mut running = rinit_stop_app(&["-v", "--stop-delay", "1s", "--kill-after", "1s"], "stay");
    let sent = monotonic_micros();
    running.signal(libc::SIGTERM);
    let forwarded = expect_signal(&mut running, libc::SIGTERM);
    // Not `finish` yet: closing the app's stdin would end it.
    let code = running.wait_for_exit();
    let ended = monotonic_micros();
    let done = running.finish();
    assert_eq!(code, 137, "the app ignores SIGTERM: {done:?}");
    assert!(forwarded - sent >= micros(DELAY), "{} us", forwarded - sent);
    // Counted from the hold's start, SIGKILL would have come with the
    // SIGTERM, a second early.
    assert!(
        ended - forwarded >= micros(KILL_AFTER),
        "SIGKILL {} us after the SIGTERM",
        ended - forwarded
    );
}

/// `--kill-after 0` is off, as `--stop-delay 0` and `timeout -k 0` are: the
/// app gets the SIGTERM and all the time it needs, with no SIGKILL at the
/// same instant. By option and by variable; the option's 0 overrides the
/// variable's delay.
#[test]
fn kill_after_zero_is_off() {
    let names = Names::new();
    let exit_128 = &["stop-app", "exit"][..];
    let cases: &[(&str, Opts, Vars)] = &[
        ("rinit", &["--kill-after", "0"], &[]),
        ("rinit", &["--kill-after=0ms"], &[]),
        ("rinit", &[], &[("RINIT_KILL_AFTER", "0")]),
        (
            "rinit",
            &["--kill-after", "0"],
            &[("RINIT_KILL_AFTER", "5s")],
        ),
        ("tini", &["--kill-after", "0s"], &[]),
    ];
    for &(name, opts, vars) in cases {
        let code = code_of(&names.of(name), opts, vars, exit_128, Some(libc::SIGTERM));
        assert_eq!(
            code, 143,
            "{name} {opts:?} {vars:?}: the app was not given its time"
        );
    }
}

/// `--kill-after` is armed by the stop request rinit receives from outside
/// (SIGTERM or SIGINT), whatever `-r` makes of it on the way to the app, as
/// `--stop-success` counts it: `-r TERM:QUIT` arms it, and a SIGHUP that
/// `-r HUP:TERM` forwards as SIGTERM does not (a reload, not a stop).
#[test]
fn kill_after_is_armed_by_the_stop_request_rinit_receives() {
    let rinit = rinit().to_string_lossy().into_owned();
    let stay = &["stop-app", "stay"][..];
    let code = code_of(
        &rinit,
        &["-r", "TERM:QUIT", "--kill-after", "200ms"],
        &[],
        stay,
        Some(libc::SIGTERM),
    );
    assert_eq!(code, 137, "-r TERM:QUIT: the app outlived --kill-after");

    let program = rinit.clone();
    let mut running = Running::start(stop_app(
        &program,
        &["-v", "-r", "HUP:TERM", "--kill-after", "1ms"],
        &[],
        "stay",
    ));
    running.expect("ready");
    running.signal(libc::SIGHUP);
    expect_signal(&mut running, libc::SIGTERM);
    // A marker: had the SIGHUP armed a 1 ms --kill-after, the app would be
    // dead long before it could report this.
    running.signal(libc::SIGUSR1);
    expect_signal(&mut running, libc::SIGUSR1);
    running.close_stdin();
    let done = running.finish();
    // Exited 0 when its input ended: never SIGKILLed.
    assert_eq!(done.code, 0, "{done:?}");
}

/// How a run of `testkit stop-app ACTION` (or another testkit workload)
/// ends: rinit's exit code after `send` is sent to it, if anything.
fn code_of(
    program: &str,
    opts: &[&str],
    vars: &[(&str, &str)],
    workload: &[&str],
    send: Option<i32>,
) -> i32 {
    let tk = testkit();
    let mut args = opts.to_vec();
    args.push("--");
    args.push(&tk);
    args.extend(workload);
    let mut cmd = as_pid1(program, &args);
    cmd.envs(vars.iter().copied());
    let mut running = Running::start(cmd);
    if let Some(signal) = send {
        running.expect("ready");
        running.signal(signal);
    }
    // stdin stays open until the end: closing it would end the app.
    let code = running.wait_for_exit();
    running.finish();
    code
}

/// A name, its options and variables, the workload, the signal sent to
/// rinit, and the exit code expected.
type Case = (&'static str, Opts, Vars, Opts, Option<i32>, i32);

#[test]
fn stop_success_gives_0_only_for_a_requested_stop() {
    let names = Names::new();
    let rinit = names.of("rinit");
    let (term, int) = (Some(libc::SIGTERM), Some(libc::SIGINT));
    let die = &["stop-app", "die"][..];
    let exit_128 = &["stop-app", "exit"][..];
    let stay = &["stop-app", "stay"][..];
    let on = &["--stop-success"][..];
    let cases: &[Case] = &[
        // Without the option, nothing changes.
        ("rinit", &[], &[], die, term, 143),
        ("rinit", &[], &[], exit_128, int, 130),
        // A stop that was asked for: the app died of the signal, or exited
        // with 128 + it.
        ("rinit", on, &[], die, term, 0),
        ("rinit", on, &[], exit_128, term, 0),
        ("rinit", on, &[], die, int, 0),
        ("rinit", on, &[], exit_128, int, 0),
        ("rinit", &[], &[("RINIT_STOP_SUCCESS", "1")], die, term, 0),
        // With -r TERM:QUIT the app was sent SIGQUIT, and died of it.
        (
            "rinit",
            &["--stop-success", "-r", "TERM:QUIT"],
            &[],
            die,
            term,
            0,
        ),
        // The same deaths without a request keep their codes: the app
        // killed itself, or exited 143 of its own accord.
        ("rinit", on, &[], &["kill-self", "15"], None, 143),
        ("rinit", on, &[], &["exit", "143"], None, 143),
        ("rinit", on, &[], &["kill-self", "2"], None, 130),
        // -e 143 cannot tell the two apart.
        ("rinit", &["-e", "143"], &[], &["kill-self", "15"], None, 0),
        // SIGKILL from --kill-after means the app did not stop in time.
        (
            "rinit",
            &["--stop-success", "--kill-after", "200ms"],
            &[],
            stay,
            term,
            137,
        ),
        // A stop request held by --stop-delay counts once it is forwarded.
        (
            "rinit",
            &["--stop-success", "--stop-delay", "200ms"],
            &[],
            die,
            term,
            0,
        ),
        // Under every name, by option and by variable.
        (
            "docker-init",
            &[],
            &[("RINIT_STOP_SUCCESS", "yes")],
            die,
            term,
            0,
        ),
        ("docker-init", &[], &[], die, term, 143),
        ("tini", on, &[], exit_128, term, 0),
        ("dumb-init", on, &[], die, int, 0),
        (
            "catatonit",
            &[],
            &[("RINIT_STOP_SUCCESS", "true")],
            die,
            term,
            0,
        ),
    ];
    for &(name, opts, vars, workload, send, expected) in cases {
        let program = if name == "rinit" {
            rinit.clone()
        } else {
            names.of(name)
        };
        let code = code_of(&program, opts, vars, workload, send);
        assert_eq!(
            code, expected,
            "{name} {opts:?} {vars:?} {workload:?}, sent {send:?}"
        );
    }
}

/// As systemd's `KillMode=control-group` does: SIGTERM to rinit, which
/// holds it (`--stop-delay 1h`, and `opts`), then to the app directly, which
/// does `action`. Returns rinit's exit code and the run.
fn sigterm_to_the_app_during_the_hold(opts: &[&str], action: &str) -> (i32, Finished) {
    let mut all = vec!["-v", "--stop-delay", "1h"];
    all.extend_from_slice(opts);
    let mut running = rinit_stop_app(&all, action);
    running.signal(libc::SIGTERM);
    expect_hold(&mut running);
    send(running.init_child(), libc::SIGTERM);
    // stdin stays open until the end: closing it would end the app.
    let code = running.wait_for_exit();
    (code, running.finish())
}

#[test]
fn stop_success_ignores_a_sigterm_still_held() {
    // The app dies of a SIGTERM that did not come through rinit (here sent
    // to it directly) while rinit still holds the one from outside: that
    // death was not what rinit asked for.
    let (code, done) = sigterm_to_the_app_during_the_hold(&["--stop-success"], "die");
    assert_eq!(code, 143, "{done:?}");
    assert_eq!(signals_seen(&done.stdout), [libc::SIGTERM], "{done:?}");
}

/// Under systemd's default `KillMode=control-group` every process of the
/// unit gets the stop signal, the app too, so `--stop-delay` holds back
/// nothing: rinit says so, once, as a warning (the app dying of SIGTERM, or
/// exiting 143, while rinit holds its own). An app that ends on its own
/// during the hold is no such case and gets no warning.
#[test]
fn a_sigterm_that_reaches_the_app_directly_during_the_hold_is_reported_once() {
    let warnings = |stderr: &str| {
        stderr
            .lines()
            .filter(|l| l.contains(": warn:") && l.contains("--stop-delay"))
            .count()
    };
    for action in ["die", "exit"] {
        let (code, done) = sigterm_to_the_app_during_the_hold(&[], action);
        assert_eq!(code, 143, "{action}: {done:?}");
        assert_eq!(warnings(&done.stderr), 1, "{action}: {}", done.stderr);
        done.assert_stderr_has("KillMode=mixed");
    }
    // The app ends by itself during the hold: nothing to warn about.
    let mut running = rinit_stop_app(&["-v", "--stop-delay", "1h"], "stay");
    running.signal(libc::SIGTERM);
    expect_hold(&mut running);
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(warnings(&done.stderr), 0, "{}", done.stderr);
}

/// Context switches of a process so far: it counts one every time it wakes.
fn switches(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

/// Waits until rinit's main thread is asleep in its wait for signals (read
/// on the signalfd, or poll with a deadline), as the kernel reports in
/// /proc/PID/syscall: seeing its log line does not mean it is back there.
fn wait_until_asleep(pid: i32) {
    // /proc/PID/syscall starts with the number of the call it sleeps in.
    #[allow(unused_mut)] // poll(2) is not on every architecture (aarch64 has ppoll only)
    let mut waits = vec![libc::SYS_read, libc::SYS_ppoll];
    #[cfg(not(any(
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64"
    )))]
    waits.push(libc::SYS_poll);
    wait_until("rinit to go to sleep", || {
        let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap();
        let number = syscall.split(' ').next().unwrap_or_default().parse().ok();
        number.is_some_and(|n| waits.contains(&n))
    });
}

#[test]
fn an_idle_rinit_never_wakes_with_or_during_a_hold() {
    let mut running = rinit_stop_app(&["-v", "--stop-delay", "1h"], "stay");
    let pid = running.rinit_pid();
    // The window is what is measured, not a wait for an event: a rinit that
    // polled (tini wakes every second) would switch within it.
    let window = Duration::from_millis(1500);
    wait_until_asleep(pid);
    let before = switches(pid);
    std::thread::sleep(window);
    assert_eq!(switches(pid), before, "rinit woke while idle");
    running.signal(libc::SIGTERM);
    expect_hold(&mut running);
    wait_until_asleep(pid);
    let before = switches(pid);
    std::thread::sleep(window);
    assert_eq!(switches(pid), before, "rinit woke during the hold");
    running.close_stdin();
    assert_eq!(running.finish().code, 0);
}

#[test]
fn bad_stop_delays_exit_2_naming_the_option_or_variable() {
    let names = Names::new();
    for (name, opts, vars, needle, code) in [
        (
            "rinit",
            &["--stop-delay", "soon"][..],
            &[][..],
            "--stop-delay",
            2,
        ),
        ("rinit", &["--stop-delay", "25h"], &[], "--stop-delay", 2),
        (
            "rinit",
            &[],
            &[("RINIT_STOP_DELAY", "1.5s")],
            "RINIT_STOP_DELAY",
            2,
        ),
        (
            "rinit",
            &[],
            &[("RINIT_STOP_SUCCESS", "maybe")],
            "RINIT_STOP_SUCCESS",
            2,
        ),
        ("tini", &["--stop-delay", "x"], &[], "--stop-delay", 1),
        (
            "docker-init",
            &[],
            &[("RINIT_STOP_DELAY", "")],
            "RINIT_STOP_DELAY",
            2,
        ),
    ] {
        let mut args = opts.to_vec();
        args.extend(["--", "true"]);
        let mut cmd = as_pid1(&names.of(name), &args);
        cmd.envs(vars.iter().copied());
        let done = run(cmd);
        assert_eq!(done.code, code, "{name} {opts:?} {vars:?}: {done:?}");
        assert!(done.stderr.contains(needle), "{name}: {}", done.stderr);
        assert_eq!(done.stderr.lines().count(), 1, "{}", done.stderr);
    }
}
