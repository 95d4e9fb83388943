//! `-P`/`--pause` and `RINIT_PAUSE` (issue 4): no command, rinit waits as
//! a pause process, reaps orphans, and exits 0 on SIGTERM or SIGINT.

mod common;
use common::*;
use std::process::Command;

/// In pause mode there is no child to print a readiness line: rinit is
/// ready once it runs (unshare has a child that is rinit, not unshare's own
/// fork, which blocks SIGTERM and SIGINT too before it execs) and has
/// blocked the signals its loop reads. An earlier SIGTERM would be
/// discarded by the kernel (PID 1 without a handler), so tests wait for
/// this before signalling.
fn wait_for_signal_loop(running: &Running) -> i32 {
    let unshare = running.outer_pid();
    let exe = std::fs::canonicalize(rinit()).unwrap();
    let wanted = [libc::SIGTERM, libc::SIGINT, libc::SIGUSR1]
        .iter()
        .fold(0u64, |mask, s| mask | 1 << (s - 1));
    let mut pid = 0;
    wait_until("rinit to block its signals", || {
        pid = children(unshare).first().copied().unwrap_or(0);
        let is_rinit = std::fs::read_link(format!("/proc/{pid}/exe")).ok() == Some(exe.clone());
        is_rinit && status_mask(pid, "SigBlk").unwrap_or(0) & wanted == wanted
    });
    pid
}

// -P/--pause, RINIT_PAUSE

#[test]
fn pause_exits_0_on_term_or_int() {
    let names = Names::new();
    let cases: &[(&str, Opts, Vars, i32)] = &[
        ("rinit", &["-P"], &[], libc::SIGTERM),
        ("rinit", &["--pause"], &[], libc::SIGINT),
        ("rinit", &[], &[("RINIT_PAUSE", "1")], libc::SIGTERM),
        ("rinit", &[], &[("RINIT_PAUSE", "yes")], libc::SIGINT),
        ("catatonit", &["-P"], &[], libc::SIGINT),
        ("catatonit", &["-P"], &[], libc::SIGTERM),
    ];
    for &(name, opts, vars, signal) in cases {
        let running = Running::start(pid1(&names.of(name), opts, vars));
        let pid = wait_for_signal_loop(&running);
        send(pid, signal);
        let done = running.finish();
        assert_eq!(done.code, 0, "{name} {opts:?} {vars:?} {signal}: {done:?}");
        assert!(done.stdout.is_empty(), "{done:?}");
    }
    // RINIT_PAUSE=0 means no pause: a command is then required.
    let done = run(pid1(&names.of("rinit"), &[], &[("RINIT_PAUSE", "0")]));
    assert_eq!(done.code, 2, "{done:?}");
    assert!(done.stderr.contains("no command"), "{done:?}");
}

#[test]
fn pause_reaps_orphans_and_ignores_other_signals() {
    let running = Running::start(pid1(&rinit().to_string_lossy(), &["-P", "-w"], &[]));
    let pid = wait_for_signal_loop(&running);
    // Not a stop request: rinit carries on. Wait until it has read it.
    send(pid, libc::SIGUSR1);
    send(pid, libc::SIGHUP);
    wait_until("rinit to read SIGUSR1 and SIGHUP", || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .filter(|l| l.starts_with("ShdPnd:") || l.starts_with("SigPnd:"))
            .all(|l| u64::from_str_radix(l[7..].trim(), 16) == Ok(0))
    });
    // Orphans left in rinit's namespace come back to it, and it reaps them.
    let orphans = Command::new("nsenter")
        .args([
            "-t",
            &pid.to_string(),
            "-p",
            "--",
            &testkit(),
            "orphans",
            "3",
        ])
        .output()
        .expect("nsenter");
    assert_eq!(
        String::from_utf8_lossy(&orphans.stdout),
        "orphaned 3\n",
        "{orphans:?}"
    );
    wait_until("the orphans to be reaped", || {
        descendants(running.outer_pid()).1.is_empty()
    });
    assert_eq!(proc_state(pid).map(|s| s != 'Z'), Some(true), "rinit left");
    running.signal(libc::SIGTERM);
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(count(&done.stderr, "reaped process"), 3, "{done:?}");
}
