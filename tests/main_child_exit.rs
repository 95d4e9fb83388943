//! What happens to the other processes when the main child exits, under
//! each name (issue 4): rinit drains them (SIGTERM, a grace period, then
//! SIGKILL); the peers exit at once, dumb-init after one SIGTERM to the
//! group. As PID 1, the end of the namespace kills what is left; not as
//! PID 1, the others outlive the init and report what they got.

mod common;
use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// Personalities: what happens when the main child exits while others remain

/// The child shell starts a background `testkit sigecho` and exits 7 when
/// the test sends SIGWINCH. The grandchild reads a FIFO that the test keeps
/// open, so it only ends by being killed, or when the test lets it go after
/// it reported SIGTERM (`drained`).
fn main_child_exits_leaving_a_process(
    names: &Names,
    program: &str,
    opts: &[&str],
    vars: &[(&str, &str)],
    drained: bool,
) -> (Finished, Duration) {
    const SCRIPT: &str = r#"trap 'exit 7' WINCH
"$1" sigecho < "$2" &
wait"#;
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let (fifo_text, holder) = names.scratch().held_fifo(&format!("fifo-{n}"));
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", SCRIPT, "sh", &tk, &fifo_text]);
    let mut running = Running::start(pid1(program, &args, vars));
    running.expect("ready");
    let start = Instant::now();
    running.signal(libc::SIGWINCH);
    if drained {
        running.expect(&format!("signal {}", libc::SIGTERM));
        drop(holder);
        let done = running.finish();
        (done, start.elapsed())
    } else {
        let done = running.finish();
        let took = start.elapsed();
        drop(holder);
        (done, took)
    }
}

#[test]
fn when_the_main_child_exits() {
    let names = Names::new();
    // rinit's own default: the others get SIGTERM and time to act on it.
    let (done, _) = main_child_exits_leaving_a_process(&names, &names.of("rinit"), &[], &[], true);
    assert_eq!(done.code, 7, "{done:?}");
    assert!(done.stdout.contains(&"stdin closed".to_owned()), "{done:?}");
    // The peers exit at once and what is left is killed outright: no grace
    // period (and for tini and catatonit, no SIGTERM either).
    // Docker's name is rinit's: it drains too.
    let (done, _) =
        main_child_exits_leaving_a_process(&names, &names.of("docker-init"), &[], &[], true);
    assert_eq!(done.code, 7, "{done:?}");
    assert!(done.stdout.contains(&"stdin closed".to_owned()), "{done:?}");
    for (name, vars) in [
        ("tini", &[][..]),
        ("catatonit", &[]),
        ("dumb-init", &[]),
        // The README's variables for tini's behaviour under Docker.
        ("docker-init", TINI_BACK),
    ] {
        let (done, took) =
            main_child_exits_leaving_a_process(&names, &names.of(name), &[], vars, false);
        assert_eq!(done.code, 7, "{name}: {done:?}");
        assert!(
            !done.stdout.contains(&"stdin closed".to_owned()),
            "{name}: the grandchild was not killed: {done:?}"
        );
        assert!(
            took < Duration::from_secs(3),
            "{name} took {took:?}: a grace period was applied"
        );
        if name != "dumb-init" {
            assert!(
                !signals_in(&done.stdout).contains(&libc::SIGTERM),
                "{name}: {done:?}"
            );
        }
    }
    // rinit's options and variables still apply under a peer's name.
    let (done, _) = main_child_exits_leaving_a_process(
        &names,
        &names.of("tini"),
        &["--grace", "30s"],
        &[],
        true,
    );
    assert_eq!(done.code, 7, "{done:?}");
    let (done, _) = main_child_exits_leaving_a_process(
        &names,
        &names.of("catatonit"),
        &[],
        &[("RINIT_GRACE", "30s")],
        true,
    );
    assert_eq!(done.code, 7, "{done:?}");
}

#[test]
fn peers_leave_the_others_as_the_peer_would_when_not_pid1() {
    let names = Names::new();
    let marker = SIGRTMIN + 2;
    let dumb = names.of("dumb-init");
    // dumb-init's setsid mode: one SIGTERM to the group, nothing more (the
    // grandchild, in the group, also got the SIGWINCH that ended the shell).
    assert_eq!(
        others_after_the_main_child_not_pid1(&dumb, &[], &[]),
        vec![libc::SIGTERM, libc::SIGWINCH, marker]
    );
    // Single-child mode: nothing at all.
    for (opts, vars) in [(&["-c"][..], &[][..]), (&[], &[("DUMB_INIT_SETSID", "0")])] {
        assert_eq!(
            others_after_the_main_child_not_pid1(&dumb, opts, vars),
            vec![marker],
            "{opts:?} {vars:?}"
        );
    }
    // That SIGTERM goes through the rewrite rules, as every signal
    // dumb-init sends: -r 15:3 (nginx's graceful stop) sends SIGQUIT, and
    // -r 15:0 nothing. Checked against the real dumb-init below.
    assert_eq!(
        others_after_the_main_child_not_pid1(&dumb, &["-r", "15:3"], &[]),
        vec![libc::SIGQUIT, libc::SIGWINCH, marker]
    );
    assert_eq!(
        others_after_the_main_child_not_pid1(&dumb, &["-r", "15:0"], &[]),
        vec![libc::SIGWINCH, marker]
    );
    assert_eq!(
        others_after_the_main_child_not_pid1(&dumb, &[], &[("RINIT_REWRITE", "TERM:QUIT")]),
        vec![libc::SIGQUIT, libc::SIGWINCH, marker]
    );
    // tini and catatonit send nothing either.
    for name in ["tini", "catatonit"] {
        assert_eq!(
            others_after_the_main_child_not_pid1(&names.of(name), &[], &[]),
            vec![marker],
            "{name}"
        );
    }
    // The real peers side by side: tests/peers.rs, on the docs' table.
}
