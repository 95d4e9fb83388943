//! SIGTSTP, SIGTTIN and SIGTTOU sent to the init, under each name (issue
//! 4): rinit forwards them; under the peers' names, what rinit's options
//! and variables change, and dumb-init's stop of itself when not PID 1.
//! (Each peer's own handling, beside the real peer: tests/peers.rs. Job
//! control from an interactive shell: tests/job_control.rs.)

mod common;
use common::*;

// Personalities: job-control signals

#[test]
fn job_control_signals_under_each_name() {
    let names = Names::new();
    let job = JOB_CONTROL;
    // rinit forwards them, under Docker's name too. (What each peer does,
    // and rinit under its name, side by side: tests/peers.rs.)
    for (name, expected) in [("rinit", job.to_vec()), ("docker-init", job.to_vec())] {
        assert_eq!(
            forwarded(&names.of(name), &[], &[], &job),
            expected,
            "{name}"
        );
    }
    // A rewrite on the command line replaces the peer's default.
    assert_eq!(
        forwarded(&names.of("catatonit"), &["-r", "TSTP:TSTP"], &[], &job),
        vec![libc::SIGTSTP]
    );
    // Under Docker's name, the README's variables give tini's handling back.
    assert_eq!(
        forwarded(&names.of("docker-init"), &[], TINI_BACK, &job),
        vec![libc::SIGTSTP]
    );
    // Under tini's name, the drain and the group (RINIT_GRACE,
    // RINIT_FORWARD_TO) come back without touching job control, which
    // only a rewrite changes (docs/compatibility.md).
    let drain_and_group = [("RINIT_GRACE", "5s"), ("RINIT_FORWARD_TO", "group")];
    assert_eq!(
        forwarded(&names.of("tini"), &[], &drain_and_group, &job),
        vec![libc::SIGTSTP]
    );
    let all_back = [
        ("RINIT_GRACE", "5s"),
        ("RINIT_FORWARD_TO", "group"),
        ("RINIT_REWRITE", "TTIN:TTIN,TTOU:TTOU"),
    ];
    assert_eq!(
        forwarded(&names.of("tini"), &[], &all_back, &job),
        job.to_vec()
    );
}

/// Not as PID 1 (started from a shell), dumb-init also stops itself, so the
/// shell sees the job stop; SIGCONT resumes rinit, which passes it on.
#[test]
fn dumb_init_not_pid1_stops_itself_too() {
    let names = Names::new();
    let tk = testkit();
    let mut running = Running::start(direct(&names.of("dumb-init"), &["--", &tk, "sigecho"], &[]));
    running.expect("ready");
    let rinit_pid = running.outer_pid();
    let child = children(rinit_pid)[0];
    send(rinit_pid, libc::SIGTSTP);
    wait_until("the child to stop", || proc_state(child) == Some('T'));
    wait_until("rinit to stop", || proc_state(rinit_pid) == Some('T'));
    send(rinit_pid, libc::SIGCONT);
    running.expect(&format!("signal {}", libc::SIGCONT));
    assert_ne!(proc_state(child), Some('T'));
    assert_ne!(proc_state(rinit_pid), Some('T'));
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(signals_in(&done.stdout), vec![libc::SIGCONT]);
}

/// dumb-init stops itself after any job-control signal it receives: with
/// `-c` it forwards the signal unchanged to the child first, and a rewrite
/// (even to 0) changes what is forwarded, not that it stops. SIGCONT wakes
/// it and is passed on.
#[test]
fn dumb_init_forwards_job_control_then_stops_itself_not_pid1() {
    let names = Names::new();
    let tk = testkit();
    let dumb = names.of("dumb-init");
    // (options, variables, signal sent, signal the child reports or 0)
    let cases: &[(Opts, Vars, i32, i32)] = &[
        (&["-c"], &[], libc::SIGTSTP, libc::SIGTSTP),
        (&["-c"], &[], libc::SIGTTIN, libc::SIGTTIN),
        (
            &[],
            &[("DUMB_INIT_SETSID", "0")],
            libc::SIGTTOU,
            libc::SIGTTOU,
        ),
        (&["-r", "21:15"], &[], libc::SIGTTIN, libc::SIGTERM),
        (&["-r", "TSTP:HUP"], &[], libc::SIGTSTP, libc::SIGHUP),
        (&["-r", "22:0"], &[], libc::SIGTTOU, 0),
    ];
    for &(opts, vars, sent, reported) in cases {
        let mut args = opts.to_vec();
        args.extend(["--", &tk, "sigecho"]);
        let mut running = Running::start(direct(&dumb, &args, vars));
        running.expect("ready");
        let rinit_pid = running.outer_pid();
        send(rinit_pid, sent);
        if reported != 0 {
            running.expect(&format!("signal {reported}"));
        }
        wait_until("rinit to stop itself", || {
            proc_state(rinit_pid) == Some('T')
        });
        send(rinit_pid, libc::SIGCONT);
        running.expect(&format!("signal {}", libc::SIGCONT));
        assert_ne!(proc_state(rinit_pid), Some('T'));
        let done = running.finish();
        assert_eq!(done.code, 0, "{opts:?} {vars:?}: {done:?}");
        let expected: Vec<i32> = [reported, libc::SIGCONT]
            .into_iter()
            .filter(|&s| s != 0)
            .collect();
        assert_eq!(signals_in(&done.stdout), expected, "{opts:?} {vars:?}");
    }
}

/// As PID 1 dumb-init cannot stop itself; with `-c` the child still gets
/// the job-control signal unchanged (not SIGSTOP).
#[test]
fn dumb_init_single_child_forwards_job_control_as_pid1() {
    let names = Names::new();
    let tk = testkit();
    let mut running = Running::start(pid1(
        &names.of("dumb-init"),
        &["-c", "--", &tk, "sigecho"],
        &[],
    ));
    running.expect("ready");
    let rinit_pid = running.rinit_pid();
    for signal in JOB_CONTROL {
        running.signal(signal);
        running.expect(&format!("signal {signal}"));
    }
    assert_ne!(proc_state(rinit_pid), Some('T'));
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(signals_in(&done.stdout), JOB_CONTROL.to_vec());
}

/// catatonit blocks TSTP, TTIN and TTOU in its child; the others hand on
/// the mask they inherited (here, nothing blocked).
#[test]
fn catatonit_child_starts_with_job_control_blocked() {
    let names = Names::new();
    let job = JOB_CONTROL.iter().fold(0u64, |mask, s| mask | 1 << (s - 1));
    for as_pid1 in [true, false] {
        assert_eq!(child_blocked_mask(&names.of("catatonit"), as_pid1), job);
        for name in ["rinit", "tini", "dumb-init"] {
            assert_eq!(child_blocked_mask(&names.of(name), as_pid1), 0, "{name}");
        }
    }
    // Beside the real catatonit: tests/peers.rs.
}
