//! SIGTSTP, SIGTTIN and SIGTTOU sent to the init, under each name (issue
//! 4): rinit forwards them, tini drops TTIN and TTOU, catatonit drops all
//! three and blocks them in its child, dumb-init stops the group and then
//! itself. (Job control from an interactive shell is tests/job_control.rs.)

mod common;
use common::*;

// Personalities: job-control signals

#[test]
fn job_control_signals_under_each_name() {
    let names = Names::new();
    let job = JOB_CONTROL;
    // rinit forwards them; tini drops TTIN and TTOU; catatonit drops all three.
    for (name, expected) in [
        ("rinit", job.to_vec()),
        ("tini", vec![libc::SIGTSTP]),
        ("docker-init", job.to_vec()),
        ("catatonit", vec![]),
    ] {
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
    // Side by side with the real peers.
    for name in ["tini", "catatonit"] {
        if let Some(peer) = peer_binary(name) {
            assert_eq!(
                forwarded(&peer, &[], &[], &job),
                forwarded(&names.of(name), &[], &[], &job),
                "{name} vs {peer}"
            );
        }
    }
}

/// Under the dumb-init name, TSTP, TTIN and TTOU become SIGSTOP for the
/// child's group. The child never sees the original signal.
#[test]
fn dumb_init_stops_the_group_on_job_control_signals() {
    let names = Names::new();
    let tk = testkit();
    let mut running = Running::start(pid1(&names.of("dumb-init"), &["--", &tk, "sigecho"], &[]));
    running.expect("ready");
    let rinit_pid = running.rinit_pid();
    let child = children(rinit_pid)[0];
    for signal in JOB_CONTROL {
        running.signal(signal);
        wait_until("the child to stop", || proc_state(child) == Some('T'));
        // As PID 1, rinit does not stop itself.
        assert_ne!(proc_state(rinit_pid), Some('T'));
        running.signal(libc::SIGCONT);
        running.expect(&format!("signal {}", libc::SIGCONT));
        assert_ne!(proc_state(child), Some('T'));
    }
    let marker = SIGRTMIN + 1;
    running.signal(marker);
    running.expect(&format!("signal {marker}"));
    assert_eq!(
        signals_in(&running.seen),
        vec![libc::SIGCONT, libc::SIGCONT, libc::SIGCONT, marker]
    );
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
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

/// The child's blocked signals (`SigBlk`, from `testkit status`).
fn child_blocked_mask(program: &str, as_pid1: bool) -> u64 {
    let tk = testkit();
    let args = ["--", tk.as_str(), "status"];
    let done = if as_pid1 {
        run(pid1(program, &args, &[]))
    } else {
        run(direct(program, &args, &[]))
    };
    assert_eq!(done.code, 0, "{program}: {done:?}");
    let line = done
        .stdout
        .iter()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .unwrap_or_else(|| panic!("{program}: {done:?}"));
    u64::from_str_radix(line.trim(), 16).unwrap()
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
    if let Some(peer) = peer_binary("catatonit") {
        assert_eq!(child_blocked_mask(&peer, true), job);
    }
}
