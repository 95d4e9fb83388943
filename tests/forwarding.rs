//! Where forwarded signals go and what they become, by option, variable
//! and name (issue 4): the child alone or its process group (`-g`,
//! `--forward-to`, `DUMB_INIT_SETSID`, `TINI_KILL_PROCESS_GROUP`), the
//! rewrite rules (`-r`, `RINIT_REWRITE`). (Fault and real-time signals
//! sent with `kill` reach the child under every name: tests/faults.rs for
//! rinit's own, tests/peers.rs beside each peer.)

mod common;
use common::*;

// Forwarding targets: child alone, or the child's process group

#[test]
fn forward_target_by_flag_and_variable() {
    let r = rinit().to_string_lossy().into_owned();
    // (options, variables, does the grandchild get the signal?)
    let cases: &[(Opts, Vars, bool)] = &[
        (&[], &[], true),
        (&["-c"], &[], false),
        (&["--single-child"], &[], false),
        (&["-c", "-g"], &[], true),
        (&["--forward-to", "child"], &[], false),
        (&[], &[("RINIT_FORWARD_TO", "child")], false),
        // The command line wins over the environment.
        (&["-g"], &[("RINIT_FORWARD_TO", "child")], true),
        (&["--group"], &[("DUMB_INIT_SETSID", "0")], true),
        // Peer variables under rinit's own name.
        (&[], &[("DUMB_INIT_SETSID", "0")], false),
        (&[], &[("DUMB_INIT_SETSID", "1")], true),
        // RINIT_* wins over the peer's variable.
        (
            &[],
            &[("DUMB_INIT_SETSID", "0"), ("RINIT_FORWARD_TO", "group")],
            true,
        ),
    ];
    for &(opts, vars, expected) in cases {
        assert_eq!(
            group_gets_forwarded_signal(&r, opts, vars),
            expected,
            "rinit {opts:?} {vars:?}"
        );
    }
}

#[test]
fn personalities_keep_their_forward_target() {
    let names = Names::new();
    let cases: &[(&str, Opts, Vars, bool)] = &[
        // Each peer's own target and switches, side by side with the real
        // peer: tests/peers.rs. Here, what is rinit's: Docker's name for
        // its init is rinit itself, and one variable gives tini's target
        // back; tini's variable counts there too; RINIT_FORWARD_TO beats a
        // personality.
        ("docker-init", &[], &[], true),
        ("docker-init", &[], &[("RINIT_FORWARD_TO", "child")], false),
        // The group is docker-init's default already: tini's variable shows
        // only over DUMB_INIT_SETSID=0, which it beats.
        ("docker-init", &[], &[("DUMB_INIT_SETSID", "0")], false),
        (
            "docker-init",
            &[],
            &[("DUMB_INIT_SETSID", "0"), ("TINI_KILL_PROCESS_GROUP", "")],
            true,
        ),
        ("dumb-init", &[], &[("RINIT_FORWARD_TO", "child")], false),
        ("tini", &[], &[("RINIT_FORWARD_TO", "group")], true),
    ];
    for &(name, opts, vars, expected) in cases {
        assert_eq!(
            group_gets_forwarded_signal(&names.of(name), opts, vars),
            expected,
            "{name} {opts:?} {vars:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// -r/--rewrite, RINIT_REWRITE

#[test]
fn rewrite_by_flag_and_variable() {
    let r = rinit().to_string_lossy().into_owned();
    let rt3 = SIGRTMIN + 3;
    let sent = [
        libc::SIGTERM,
        libc::SIGUSR1,
        rt3,
        libc::SIGINT,
        libc::SIGHUP,
    ];
    // Unchanged by default.
    let mut all = sent.to_vec();
    all.sort();
    assert_eq!(forwarded(&r, &[], &[], &sent), all);
    // By name, with or without SIG, by number, real-time; TO 0 drops.
    let mut expected = vec![libc::SIGUSR2, libc::SIGQUIT, libc::SIGWINCH, libc::SIGHUP];
    expected.sort();
    assert_eq!(
        forwarded(
            &r,
            &[
                "-r",
                "TERM:0",
                "--rewrite",
                "SIGUSR1:SIGUSR2",
                "-r",
                "RTMIN+3:28",
                "-r2:QUIT",
            ],
            &[],
            &sent
        ),
        expected
    );
    assert_eq!(
        forwarded(
            &r,
            &[],
            &[("RINIT_REWRITE", "15:0,USR1:USR2 RTMIN+3:WINCH, SIGINT:3")],
            &sent
        ),
        expected
    );
    // A later rule for the same signal wins.
    assert_eq!(
        forwarded(
            &r,
            &["-r", "TERM:0", "-r", "TERM:USR2"],
            &[],
            &[libc::SIGTERM]
        ),
        vec![libc::SIGUSR2]
    );
    // The command line replaces the variable's rules.
    assert_eq!(
        forwarded(
            &r,
            &["-r", "HUP:0"],
            &[("RINIT_REWRITE", "TERM:0")],
            &[libc::SIGTERM, libc::SIGHUP]
        ),
        vec![libc::SIGTERM]
    );
}
