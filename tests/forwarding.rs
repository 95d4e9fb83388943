//! Where forwarded signals go and what they become, by option, variable
//! and name (issue 4): the child alone or its process group (`-g`,
//! `--forward-to`, `DUMB_INIT_SETSID`, `TINI_KILL_PROCESS_GROUP`), the
//! rewrite rules (`-r`, `RINIT_REWRITE`), and fault and real-time signals
//! sent with `kill`, which reach the child under every name.

mod common;
use common::*;

// Forwarding targets: child alone, or the child's process group

/// The child is a shell whose background job (the grandchild, in the same
/// process group) is `testkit sigecho`. The test sends SIGWINCH to rinit;
/// the shell traps it and then sends the grandchild a real-time marker.
/// Returns whether the grandchild also got SIGWINCH from rinit.
fn grandchild_gets_forwarded_signal(program: &str, opts: &[&str], vars: &[(&str, &str)]) -> bool {
    const SCRIPT: &str = r#"trap 'echo child got WINCH; kill -40 $!; woken=1' WINCH
exec 3<&0
"$1" sigecho <&3 &
gc=$!
while :; do
  woken=
  wait $gc; s=$?
  # The trap cuts `wait` short (status > 128): wait again.
  if [ $s -gt 128 ] && [ -n "$woken" ]; then continue; fi
  exit $s
done"#;
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", SCRIPT, "sh", &tk]);
    let mut running = Running::start(pid1(program, &args, vars));
    running.expect("ready");
    running.signal(libc::SIGWINCH);
    running.expect("signal 40");
    let seen = running.seen.clone();
    assert!(
        seen.iter().any(|l| l == "child got WINCH"),
        "{program} {opts:?} {vars:?}: the child itself never got SIGWINCH: {seen:?}"
    );
    let done = running.finish();
    assert_eq!(done.code, 0, "{program} {opts:?} {vars:?}: {done:?}");
    signals_in(&seen).contains(&libc::SIGWINCH)
}

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
            grandchild_gets_forwarded_signal(&r, opts, vars),
            expected,
            "rinit {opts:?} {vars:?}"
        );
    }
}

#[test]
fn personalities_keep_their_forward_target() {
    let names = Names::new();
    let cases: &[(&str, Opts, Vars, bool)] = &[
        ("tini", &[], &[], false),
        // Docker's name for its init is rinit itself; one variable gives
        // tini's target back.
        ("docker-init", &[], &[], true),
        ("docker-init", &[], &[("RINIT_FORWARD_TO", "child")], false),
        ("catatonit", &[], &[], false),
        ("dumb-init", &[], &[], true),
        // The peers' own switches, under their names.
        ("tini", &["-g"], &[], true),
        ("tini", &[], &[("TINI_KILL_PROCESS_GROUP", "1")], true),
        ("docker-init", &[], &[("TINI_KILL_PROCESS_GROUP", "")], true),
        ("catatonit", &["-g"], &[], true),
        ("dumb-init", &["-c"], &[], false),
        ("dumb-init", &[], &[("DUMB_INIT_SETSID", "0")], false),
        ("dumb-init", &[], &[("RINIT_FORWARD_TO", "child")], false),
        ("tini", &[], &[("RINIT_FORWARD_TO", "group")], true),
    ];
    for &(name, opts, vars, expected) in cases {
        assert_eq!(
            grandchild_gets_forwarded_signal(&names.of(name), opts, vars),
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

/// rinit's improvements that cannot break anything stay under every name:
/// fault signals sent with `kill` and real-time signals reach the child.
#[test]
fn fault_and_realtime_signals_are_forwarded_under_every_name() {
    let names = Names::new();
    let faults = [
        libc::SIGILL,
        libc::SIGTRAP,
        libc::SIGABRT,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGSEGV,
        libc::SIGSYS,
    ];
    let realtime = SIGRTMIN + 1;
    let mut expected = faults.to_vec();
    expected.push(realtime);
    expected.sort();
    for name in ["rinit", "tini", "docker-init", "dumb-init", "catatonit"] {
        let mut sent = faults.to_vec();
        sent.push(realtime);
        assert_eq!(
            forwarded(&names.of(name), &[], &[], &sent),
            expected,
            "{name}"
        );
    }
}
