//! `-P`/`--pause` and `RINIT_PAUSE` (issue 4): no command, rinit waits as
//! a pause process, reaps orphans, and exits 0 on SIGTERM or SIGINT.

mod common;
use common::*;

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
        let program = names.of(name);
        let running = Running::start(pid1(&program, opts, vars));
        let pid = pause_ready(&running, &program);
        send(pid, signal);
        let done = running.finish();
        assert_eq!(done.code, 0, "{name} {opts:?} {vars:?} {signal}: {done:?}");
        assert!(done.stdout.is_empty(), "{done:?}");
    }
    // RINIT_PAUSE=0 means no pause: a command is then required.
    let done = run(pid1(&names.of("rinit"), &[], &[("RINIT_PAUSE", "0")]));
    assert_eq!(done.code, 2, "{done:?}");
    done.assert_stderr_has("no command");
}

#[test]
fn pause_reaps_orphans_and_ignores_other_signals() {
    let program = rinit().to_string_lossy().into_owned();
    let running = Running::start(pid1(&program, &["-P", "-w"], &[]));
    let pid = pause_ready(&running, &program);
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
    let orphans = in_pid_namespace_of(pid, testkit())
        .args(["orphans", "3"])
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
