//! Issue 4: rinit as a drop-in for tini, dumb-init and catatonit. Every
//! option and variable through the built binary as PID 1, and the peer
//! personalities (a symlink named after a peer keeps that peer's defaults).
//!
//! Where a signal must *not* reach a process, the test sends a real-time
//! marker after it: a process dequeues pending signals lowest number first,
//! so by the time it reports the marker it has reported any standard signal
//! that reached it before.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SIGRTMIN: i32 = 34;

/// Options before the command, and variables, as the tables below list them.
type Opts = &'static [&'static str];
type Vars = &'static [(&'static str, &'static str)];

/// The variables the README gives for tini's behaviour under Docker's name,
/// `docker-init`, which is rinit's own.
const TINI_BACK: Vars = &[
    ("RINIT_FORWARD_TO", "child"),
    ("RINIT_GRACE", "0"),
    ("RINIT_REWRITE", "TTIN:0,TTOU:0"),
];

// ---------------------------------------------------------------------------
// Helpers

/// A file that exists but is not executable; returns its path.
fn not_executable(names: &Names) -> String {
    names
        .scratch()
        .write("not-executable", "#!/bin/sh\necho hi\n", 0o644)
}

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

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

// ---------------------------------------------------------------------------
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
// Exit codes: command not found, not executable, bad usage

fn peer_binary(name: &str) -> Option<String> {
    let path = format!("/usr/bin/{name}");
    Path::new(&path).exists().then_some(path)
}

/// Under a peer's name, an exec failure is reported with the peer's own
/// line, word for word (scripts grep for it), as PID 1 and not.
#[test]
fn exec_failure_lines_are_the_peers() {
    let names = Names::new();
    let missing = "/nonexistent/command";
    let not_executable = not_executable(&names);
    for (name, expected_missing, expected_denied) in [
        (
            "tini",
            format!("[FATAL tini (N)] exec {missing} failed: No such file or directory\n"),
            format!("[FATAL tini (N)] exec {not_executable} failed: Permission denied\n"),
        ),
        (
            "dumb-init",
            format!("[dumb-init] {missing}: No such file or directory\n"),
            format!("[dumb-init] {not_executable}: Permission denied\n"),
        ),
        (
            "catatonit",
            "ERROR (catatonit:N): failed to exec pid1: No such file or directory\n".to_owned(),
            "ERROR (catatonit:N): failed to exec pid1: Permission denied\n".to_owned(),
        ),
    ] {
        let program = names.of(name);
        for as_pid1 in [true, false] {
            let make = |command: &str| {
                if as_pid1 {
                    pid1(&program, &["--", command], &[])
                } else {
                    direct(&program, &["--", command], &[])
                }
            };
            let done = run(make(missing));
            assert_eq!(
                without_numbers(&done.stderr),
                without_numbers(&expected_missing),
                "{name}"
            );
            let done = run(make(&not_executable));
            assert_eq!(
                without_numbers(&done.stderr),
                without_numbers(&expected_denied),
                "{name}"
            );
        }
        // Side by side with the real peer, as PID 1 (tini warns about
        // reaping when it is not).
        if let Some(peer) = peer_binary(name) {
            let theirs = run(pid1(&peer, &["--", missing], &[]));
            assert_eq!(
                without_numbers(&theirs.stderr),
                without_numbers(&expected_missing),
                "{peer}"
            );
        }
    }
    // Under its own name rinit keeps its own message.
    let done = run(pid1(&names.of("rinit"), &["--", missing], &[]));
    assert!(
        done.stderr.starts_with("rinit: error: cannot run"),
        "{done:?}"
    );
}

/// Exec errors other than "not found" and "permission denied": tini exits
/// 1 for them (it maps only ENOENT and EACCES), and every peer words the
/// error as the C library does. Side by side with the real peers.
#[test]
fn other_exec_errors_exit_and_read_as_the_peers() {
    let names = Names::new();
    let looping = names.scratch().path("loop");
    std::os::unix::fs::symlink(&looping, &looping).unwrap();
    let looping = looping.to_string_lossy().into_owned();
    let not_a_dir = "/etc/passwd/app";
    // (name, exit code for ELOOP and ENOTDIR, line for ELOOP)
    for (name, code, line) in [
        (
            "tini",
            1,
            format!("[FATAL tini (N)] exec {looping} failed: Too many levels of symbolic links\n"),
        ),
        (
            "dumb-init",
            2,
            format!("[dumb-init] {looping}: Too many levels of symbolic links\n"),
        ),
        (
            "catatonit",
            1,
            "ERROR (catatonit:N): failed to exec pid1: Too many levels of symbolic links\n"
                .to_owned(),
        ),
    ] {
        let ours = run(pid1(&names.of(name), &["--", &looping], &[]));
        assert_eq!(ours.code, code, "{name}: {ours:?}");
        assert_eq!(
            without_numbers(&ours.stderr),
            without_numbers(&line),
            "{name}"
        );
        let ours = run(pid1(&names.of(name), &["--", not_a_dir], &[]));
        assert_eq!(ours.code, code, "{name}, not a directory: {ours:?}");
        if let Some(peer) = peer_binary(name) {
            let theirs = run(pid1(&peer, &["--", &looping], &[]));
            assert_eq!(theirs.code, code, "{peer}: {theirs:?}");
            assert_eq!(
                without_numbers(&theirs.stderr),
                without_numbers(&line),
                "{peer}"
            );
            let theirs = run(pid1(&peer, &["--", not_a_dir], &[]));
            assert_eq!(theirs.code, code, "{peer}, not a directory: {theirs:?}");
        }
    }
    // rinit's own codes: a path through a file is "not found".
    let ours = run(pid1(&names.of("rinit"), &["--", not_a_dir], &[]));
    assert_eq!(ours.code, 127, "{ours:?}");
    let ours = run(pid1(&names.of("rinit"), &["--", &looping], &[]));
    assert_eq!(ours.code, 126, "{ours:?}");
}

#[test]
fn usage_errors_exit_2_naming_the_option_and_1_under_a_peer_name() {
    let names = Names::new();
    // (arguments, what the message must name)
    let cases: &[(&[&str], &str)] = &[
        (&["-p", "99", "true"], "--pdeathsig"),
        (&["--pdeathsig", "NOPE", "true"], "--pdeathsig"),
        (&["-p"], "--pdeathsig"),
        (&["-e", "256", "true"], "--remap-exit"),
        (&["--remap-exit=x", "true"], "--remap-exit"),
        (&["-e", "-1", "true"], "--remap-exit"),
        (&["-r", "TERM", "true"], "--rewrite"),
        (&["-r", "TERM:NOPE", "true"], "--rewrite"),
        (&["-r", "KILL:TERM", "true"], "--rewrite"),
        (&["--rewrite", "RTMIN+31:0", "true"], "--rewrite"),
        (&["--forward-to", "everyone", "true"], "--forward-to"),
        (&["--pause=1"], "--pause"),
        (&["-P", "true"], "--pause"),
        (&["--subreaper=yes", "true"], "--subreaper"),
        (&["--bogus", "true"], "--bogus"),
        (&["-Z", "true"], "-Z"),
        // A counted flag given a value: say how to ask for more.
        (&["--verbose=3", "true"], "RINIT_VERBOSITY=N"),
        (&["-v=3", "true"], "-v/--verbose takes no value ('-v=3')"),
        (&["--=x", "true"], "'--=x' names no option"),
        // A long option with one dash is not read as a cluster of letters.
        (&["-pause"], "did you mean '--pause'"),
        (&["-grace", "5s", "true"], "did you mean '--grace'"),
        (&[], "no command"),
        (&["--"], "no command"),
    ];
    for &(args, needle) in cases {
        let done = run(pid1(&names.of("rinit"), args, &[]));
        assert_eq!(done.code, 2, "rinit {args:?}: {done:?}");
        assert!(
            done.stderr.contains(needle),
            "rinit {args:?}: stderr {:?} does not name {needle}",
            done.stderr
        );
        assert!(done.stdout.is_empty(), "rinit {args:?}: {done:?}");
        let done = run(pid1(&names.of("docker-init"), args, &[]));
        assert_eq!(done.code, 2, "docker-init {args:?}: {done:?}");
        for name in ["tini", "dumb-init", "catatonit"] {
            let done = run(pid1(&names.of(name), args, &[]));
            assert_eq!(done.code, 1, "{name} {args:?}: {done:?}");
            assert!(done.stderr.contains(needle), "{name} {args:?}: {done:?}");
        }
    }
    // The real peers agree on 1 for an unknown option.
    for name in ["tini", "dumb-init", "catatonit"] {
        if let Some(peer) = peer_binary(name) {
            let theirs = run(pid1(&peer, &["--bogus", "true"], &[]));
            assert_eq!(theirs.code, 1, "{peer}: {theirs:?}");
        }
    }
}

#[test]
fn bad_variables_exit_2_naming_the_variable_and_1_under_a_peer_name() {
    let names = Names::new();
    let cases = [
        ("RINIT_SUBREAPER", "maybe"),
        ("RINIT_SUBREAPER", ""),
        ("RINIT_WARN_ON_REAP", "2"),
        ("RINIT_WARN_ON_REAP", "on"),
        ("RINIT_PAUSE", "y"),
        ("RINIT_REMAP_EXIT", "x"),
        ("RINIT_REMAP_EXIT", "143,300"),
        ("RINIT_REWRITE", "TERM"),
        ("RINIT_REWRITE", "TERM:0,HUP"),
        ("RINIT_PDEATHSIG", "99"),
        ("RINIT_FORWARD_TO", "everyone"),
        ("RINIT_VERBOSITY", "loud"),
        ("RINIT_VERBOSITY", ""),
        // RINIT_LOG: empty is an error like every RINIT_* variable, and so
        // is a directive that is not LEVEL, MODULE or MODULE=LEVEL.
        ("RINIT_LOG", ""),
        ("RINIT_LOG", "="),
        ("RINIT_LOG", "bogus!"),
        ("RINIT_LOG", "rinit=loud"),
        // Pause mode asked for by the variable, with a command: the message
        // names the variable, not --pause.
        ("RINIT_PAUSE", "1"),
    ];
    for (var, value) in cases {
        let done = run(pid1(&names.of("rinit"), &["true"], &[(var, value)]));
        assert_eq!(done.code, 2, "{var}={value:?}: {done:?}");
        assert!(
            done.stderr.contains(var),
            "{var}={value:?}: stderr {:?} does not name it",
            done.stderr
        );
        for name in ["tini", "dumb-init", "catatonit"] {
            let done = run(pid1(&names.of(name), &["true"], &[(var, value)]));
            assert_eq!(done.code, 1, "{name} {var}={value:?}: {done:?}");
            assert!(done.stderr.contains(var), "{name}: {done:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// -s/--subreaper, RINIT_SUBREAPER, TINI_SUBREAPER

#[test]
fn subreaper_by_flag_and_variables() {
    // As PID 1 rinit reaps orphans anyway; the request shows in its debug log.
    let r = rinit().to_string_lossy().into_owned();
    let registered = |opts: &[&str], vars: &[(&str, &str)]| {
        let mut args = vec!["-vv"];
        args.extend(opts);
        args.push("true");
        let done = run(pid1(&r, &args, vars));
        assert_eq!(done.code, 0, "{opts:?} {vars:?}: {done:?}");
        done.stderr.contains("subreaper")
    };
    assert!(!registered(&[], &[]));
    assert!(registered(&["-s"], &[]));
    assert!(registered(&["--subreaper"], &[]));
    for yes in ["1", "true", "yes", "YES"] {
        assert!(registered(&[], &[("RINIT_SUBREAPER", yes)]), "{yes}");
    }
    for no in ["0", "false", "no"] {
        assert!(!registered(&[], &[("RINIT_SUBREAPER", no)]), "{no}");
    }
    // tini only checks that its variable is set.
    assert!(registered(&[], &[("TINI_SUBREAPER", "")]));
    assert!(registered(&[], &[("TINI_SUBREAPER", "1")]));
    // RINIT_* beats the peer's variable; the flag beats both.
    assert!(!registered(
        &[],
        &[("TINI_SUBREAPER", "1"), ("RINIT_SUBREAPER", "0")]
    ));
    assert!(registered(&["-s"], &[("RINIT_SUBREAPER", "no")]));
}

#[test]
fn not_pid1_rinit_adopts_and_reaps_orphans() {
    // What -s is for: below another init, orphans come back to rinit.
    let done = run(direct(
        &rinit().to_string_lossy(),
        &["-s", "-w", "--", &testkit(), "orphans", "3"],
        &[],
    ));
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(done.stdout, vec!["orphaned 3"]);
    assert_eq!(count(&done.stderr, "reaped process"), 3, "{done:?}");
}

// ---------------------------------------------------------------------------
// -p/--pdeathsig, RINIT_PDEATHSIG

/// rinit (not PID 1) runs under a shell; the test kills the shell and the
/// parent-death signal reaches rinit, which forwards it like any other.
fn signal_seen_after_parent_dies(opts: &[&str], vars: &[(&str, &str)]) -> i32 {
    const SCRIPT: &str = r#"exec 3<&0
r=$1; shift
"$r" "$@" <&3 &
wait"#;
    let r = rinit().to_string_lossy().into_owned();
    let tk = testkit();
    let mut args = vec!["-c", SCRIPT, "sh", &r];
    args.extend(opts);
    args.extend(["--", &tk, "sigecho"]);
    let mut running = Running::start(direct("sh", &args, vars));
    running.expect("ready");
    send(running.outer_pid(), libc::SIGKILL);
    let line = running.expect_line("reporting a signal", |l| l.starts_with("signal "));
    let done = running.finish();
    assert!(done.stderr.is_empty(), "{opts:?} {vars:?}: {}", done.stderr);
    line["signal ".len()..].parse().unwrap()
}

#[test]
fn pdeathsig_by_flag_and_variable() {
    assert_eq!(
        signal_seen_after_parent_dies(&["-p", "USR1"], &[]),
        libc::SIGUSR1
    );
    assert_eq!(
        signal_seen_after_parent_dies(&["--pdeathsig", "SIGUSR2"], &[]),
        libc::SIGUSR2
    );
    assert_eq!(
        signal_seen_after_parent_dies(&[], &[("RINIT_PDEATHSIG", "10")]),
        libc::SIGUSR1
    );
    // The flag wins over the variable.
    assert_eq!(
        signal_seen_after_parent_dies(&["-p", "HUP"], &[("RINIT_PDEATHSIG", "USR1")]),
        libc::SIGHUP
    );
    // Forwarded like any other signal: rewrite rules apply.
    assert_eq!(
        signal_seen_after_parent_dies(&["-p", "RTMIN+3", "-r", "RTMIN+3:USR2"], &[]),
        libc::SIGUSR2
    );
}

// ---------------------------------------------------------------------------
// -w/--warn-on-reap, RINIT_WARN_ON_REAP, TINI_VERBOSITY

fn reap_warnings(program: &str, opts: &[&str], vars: &[(&str, &str)]) -> usize {
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", &tk, "orphans", "3"]);
    let done = run(pid1(program, &args, vars));
    assert_eq!(done.code, 0, "{opts:?} {vars:?}: {done:?}");
    assert_eq!(done.stdout, vec!["orphaned 3"]);
    count(&done.stderr, "reaped process") + count(&done.stderr, "Reaped zombie process with pid=")
}

/// Under tini's name, `-w` warns in tini's words (its test suite greps for
/// them), as PID 1 and as a subreaper; under rinit's, in rinit's.
#[test]
fn tini_words_the_reap_warning_its_way() {
    let names = Names::new();
    let tk = testkit();
    let lines = |done: &Finished, needle: &str| -> usize {
        done.stderr.lines().filter(|l| l.contains(needle)).count()
    };
    for program in [names.of("tini")] {
        let args = ["-w", "--", &tk, "orphans", "3"];
        for done in [
            run(pid1(&program, &args, &[])),
            run(direct(&program, &args, &[])),
        ] {
            assert_eq!(done.code, 0, "{done:?}");
            assert_eq!(
                lines(&done, "tini: warn: Reaped zombie process with pid="),
                3,
                "{done:?}"
            );
        }
    }
    if let Some(peer) = peer_binary("tini") {
        let done = run(pid1(&peer, &["-w", "--", &tk, "orphans", "3"], &[]));
        assert_eq!(
            lines(&done, "Reaped zombie process with pid="),
            3,
            "{done:?}"
        );
    }
    let done = run(pid1(
        &names.of("rinit"),
        &["-w", "--", &tk, "orphans", "3"],
        &[],
    ));
    assert_eq!(lines(&done, "rinit: warn: reaped process "), 3, "{done:?}");
}

#[test]
fn warn_on_reap_by_flag_and_variable() {
    let names = Names::new();
    let r = names.of("rinit");
    // One warning per orphan, none for the main child.
    assert_eq!(reap_warnings(&r, &[], &[]), 0);
    assert_eq!(reap_warnings(&r, &["-w"], &[]), 3);
    assert_eq!(reap_warnings(&r, &["--warn-on-reap"], &[]), 3);
    assert_eq!(reap_warnings(&names.of("tini"), &["-w"], &[]), 3);
    for yes in ["1", "true", "yes", "True"] {
        assert_eq!(reap_warnings(&r, &[], &[("RINIT_WARN_ON_REAP", yes)]), 3);
    }
    for no in ["0", "false", "no", "NO"] {
        assert_eq!(reap_warnings(&r, &[], &[("RINIT_WARN_ON_REAP", no)]), 0);
    }
    // Verbosity 0 (errors only) silences the warnings, as with tini.
    assert_eq!(reap_warnings(&r, &["-w"], &[("TINI_VERBOSITY", "0")]), 0);
    assert_eq!(reap_warnings(&r, &["-w"], &[("RINIT_VERBOSITY", "0")]), 0);
    assert_eq!(
        reap_warnings(
            &r,
            &["-w"],
            &[("RINIT_VERBOSITY", "1"), ("TINI_VERBOSITY", "0")]
        ),
        3
    );
}

// ---------------------------------------------------------------------------
/// Docker's name for its init is rinit's own, and tini's variables, which
/// Docker users may already pass, still count there.
#[test]
fn docker_init_is_rinit_and_reads_tinis_variables() {
    let names = Names::new();
    let docker_init = names.of("docker-init");
    let done = run(pid1(&docker_init, &["true"], &[("TINI_VERBOSITY", "3")]));
    assert_eq!(done.code, 0, "{done:?}");
    assert!(count(&done.stderr, "rinit: debug:") > 0, "{done:?}");
    let done = run(pid1(
        &docker_init,
        &["-vv", "true"],
        &[("TINI_SUBREAPER", "")],
    ));
    assert!(done.stderr.contains("subreaper"), "{done:?}");
    let done = run(pid1(&docker_init, &["-vv", "true"], &[]));
    assert!(!done.stderr.contains("subreaper"), "{done:?}");
}

// Verbosity: -v, RINIT_VERBOSITY, TINI_VERBOSITY, DUMB_INIT_DEBUG

#[test]
fn verbosity_by_flag_and_variables() {
    let r = rinit().to_string_lossy().into_owned();
    let debug_lines = |opts: &[&str], vars: &[(&str, &str)]| {
        let mut args = opts.to_vec();
        args.push("true");
        let done = run(pid1(&r, &args, vars));
        assert_eq!(done.code, 0, "{opts:?} {vars:?}: {done:?}");
        count(&done.stderr, "rinit: debug:")
    };
    assert_eq!(debug_lines(&[], &[]), 0);
    assert_eq!(debug_lines(&["-v"], &[]), 0);
    assert!(debug_lines(&["-vv"], &[]) > 0);
    assert!(debug_lines(&["-v", "-v"], &[]) > 0);
    assert!(debug_lines(&[], &[("RINIT_VERBOSITY", "3")]) > 0);
    // Above 4 counts as 4 (trace), however large.
    assert!(debug_lines(&[], &[("RINIT_VERBOSITY", "256")]) > 0);
    assert!(debug_lines(&[], &[("RINIT_VERBOSITY", "99999999999")]) > 0);
    assert!(debug_lines(&[], &[("TINI_VERBOSITY", "3")]) > 0);
    assert!(debug_lines(&[], &[("DUMB_INIT_DEBUG", "1")]) > 0);
    assert_eq!(debug_lines(&[], &[("DUMB_INIT_DEBUG", "0")]), 0);
    assert_eq!(
        debug_lines(&[], &[("TINI_VERBOSITY", "3"), ("RINIT_VERBOSITY", "1")]),
        0
    );
    assert!(debug_lines(&["-vv"], &[("RINIT_VERBOSITY", "0")]) > 0);
}

/// `TINI_VERBOSITY` is read as tini reads it (`atoi`, unsigned): no value
/// stops rinit under any name, and each turns on the levels it turns on in
/// the real tini (info and debug lines; rinit's are on stderr, tini's on
/// stdout).
#[test]
fn tini_verbosity_is_read_as_tini_reads_it() {
    use std::os::unix::ffi::OsStrExt;
    let names = Names::new();
    let levels = |text: &str, info: &str, debug: &str| (text.contains(info), text.contains(debug));
    let values: [&[u8]; 10] = [
        b"",
        b"x",
        b"-1",
        b"256",
        b"3x",
        b" +2",
        b"4294967298",
        b"4294967296",
        b"\xff",
        b"2\xff",
    ];
    let with_value = |program: &str, value: &[u8]| {
        let mut cmd = pid1(program, &["--", "true"], &[]);
        cmd.env("TINI_VERBOSITY", std::ffi::OsStr::from_bytes(value));
        run(cmd)
    };
    for value in values {
        let shown = String::from_utf8_lossy(value);
        let expected = peer_binary("tini").map(|tini| {
            let theirs = with_value(&tini, value);
            assert_eq!(theirs.code, 0, "tini, TINI_VERBOSITY={shown:?}: {theirs:?}");
            levels(&theirs.stdout.join("\n"), "[INFO ", "[DEBUG ")
        });
        for name in ["rinit", "tini", "docker-init", "dumb-init", "catatonit"] {
            let done = with_value(&names.of(name), value);
            assert_eq!(done.code, 0, "{name}, TINI_VERBOSITY={shown:?}: {done:?}");
            if let Some(expected) = expected {
                assert_eq!(
                    levels(&done.stderr, ": info:", ": debug:"),
                    expected,
                    "{name}, TINI_VERBOSITY={shown:?}: {done:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// -e/--remap-exit, RINIT_REMAP_EXIT

#[test]
fn remap_exit_by_flag_and_variable() {
    let r = rinit().to_string_lossy().into_owned();
    let tk = testkit();
    let code = |opts: &[&str], vars: &[(&str, &str)], workload: &[&str]| {
        let mut args = opts.to_vec();
        args.push("--");
        args.push(&tk);
        args.extend(workload);
        run(pid1(&r, &args, vars)).code
    };
    let killed_by_term = &["kill-self", "15"][..];
    let exit = |n: &'static str| vec!["exit", n];
    assert_eq!(code(&[], &[], killed_by_term), 143);
    // Applied after 128+N.
    assert_eq!(code(&["-e", "143"], &[], killed_by_term), 0);
    assert_eq!(code(&["-e", "15"], &[], killed_by_term), 143);
    assert_eq!(code(&["--remap-exit", "3"], &[], &exit("3")), 0);
    assert_eq!(code(&["-e3"], &[], &exit("4")), 4);
    // Repeatable.
    assert_eq!(code(&["-e", "3", "-e", "4"], &[], &exit("4")), 0);
    assert_eq!(code(&["-e", "3", "-e", "4"], &[], &exit("3")), 0);
    assert_eq!(code(&["-e", "3", "-e", "4"], &[], &exit("5")), 5);
    // From the environment, a list.
    let vars = [("RINIT_REMAP_EXIT", "143, 3")];
    assert_eq!(code(&[], &vars, killed_by_term), 0);
    assert_eq!(code(&[], &vars, &exit("3")), 0);
    assert_eq!(code(&[], &vars, &exit("4")), 4);
    // The command line replaces the variable's list.
    assert_eq!(code(&["-e", "4"], &vars, &exit("3")), 3);
    assert_eq!(code(&["-e", "4"], &vars, &exit("4")), 0);
}

// ---------------------------------------------------------------------------
// -r/--rewrite, RINIT_REWRITE

/// Starts `testkit sigecho` under rinit, sends `signals` to rinit, then a
/// real-time marker; returns what the child reported before the marker.
fn forwarded(program: &str, opts: &[&str], vars: &[(&str, &str)], signals: &[i32]) -> Vec<i32> {
    let marker = SIGRTMIN + 6;
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", &tk, "sigecho"]);
    let mut running = Running::start(pid1(program, &args, vars));
    running.expect("ready");
    for &signal in signals {
        running.signal(signal);
    }
    running.signal(marker);
    running.expect(&format!("signal {marker}"));
    let mut seen = signals_in(&running.seen);
    seen.pop();
    let done = running.finish();
    assert_eq!(done.code, 0, "{opts:?} {vars:?}: {done:?}");
    seen.sort();
    seen
}

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

// ---------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------
// -l/-L/--license, --version

#[test]
fn license_flags_print_the_licence() {
    let licence = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/LICENSE")).unwrap();
    let names = Names::new();
    for (name, flag) in [
        ("rinit", "-l"),
        ("rinit", "-L"),
        ("rinit", "--license"),
        ("tini", "-l"),
        ("catatonit", "-L"),
    ] {
        let done = run(pid1(&names.of(name), &[flag], &[]));
        assert_eq!(done.code, 0, "{name} {flag}: {done:?}");
        assert_eq!(
            done.stdout.join("\n").trim_end(),
            licence.trim_end(),
            "{name} {flag}"
        );
    }
}

#[test]
fn version_line_under_each_peer_name() {
    let names = Names::new();
    let version = |name: &str, flag: &str| {
        let done = run(pid1(&names.of(name), &[flag], &[]));
        assert_eq!(done.code, 0, "{name} {flag}: {done:?}");
        assert_eq!(done.stdout.len(), 1, "{name} {flag}: {done:?}");
        done.stdout[0].clone()
    };
    for flag in ["--version", "-V"] {
        let line = version("tini", flag);
        assert!(line.starts_with("tini version "), "tini {flag}: {line}");
        // dockerd reads the line of the binary at its host path, whatever
        // its name; inside the container it is rinit's too.
        let line = version("docker-init", flag);
        assert!(
            line.starts_with("rinit version "),
            "docker-init {flag}: {line}"
        );
    }
    for flag in ["--version", "-V"] {
        let line = version("catatonit", flag);
        assert!(
            line.starts_with("tini version 0.1.7_catatonit"),
            "catatonit {flag}: {line}"
        );
    }
    if let Some(catatonit) = peer_binary("catatonit") {
        let theirs = run(pid1(&catatonit, &["--version"], &[]));
        assert!(
            theirs.stdout[0].starts_with("tini version 0.1.7_catatonit"),
            "{theirs:?}"
        );
    }
    assert!(version("rinit", "--version").starts_with("rinit "));
    assert!(version("rinit", "-V").starts_with("rinit "));
    // dumb-init answers on stderr, as `dumb-init v1.2.5`.
    for flag in ["--version", "-V"] {
        let done = run(pid1(&names.of("dumb-init"), &[flag], &[]));
        assert_eq!(done.code, 0, "{done:?}");
        assert!(done.stdout.is_empty(), "{done:?}");
        assert!(done.stderr.starts_with("dumb-init v1.2.5"), "{done:?}");
    }
    if let Some(dumb_init) = peer_binary("dumb-init") {
        let theirs = run(pid1(&dumb_init, &["-V"], &[]));
        assert!(theirs.stdout.is_empty(), "{theirs:?}");
        assert!(theirs.stderr.starts_with("dumb-init v"), "{theirs:?}");
    }
    // What `docker info` relies on, checked against the real tini.
    if let Some(tini) = peer_binary("tini") {
        let theirs = run(pid1(&tini, &["--version"], &[]));
        assert!(theirs.stdout[0].starts_with("tini version "), "{theirs:?}");
    }
}

/// `--help` under a peer's name shows the defaults and exit codes that hold
/// under that name, and does not pass rinit's version off as the peer's.
#[test]
fn help_under_each_name_shows_that_names_defaults_and_codes() {
    let names = Names::new();
    let help = |name: &str| {
        let done = run(pid1(&names.of(name), &["--help"], &[]));
        assert_eq!(done.code, 0, "{name}: {done:?}");
        done.stdout.join("\n")
    };
    let version = env!("CARGO_PKG_VERSION");
    let rinit = help("rinit");
    assert!(rinit.starts_with(&format!("rinit {version}")), "{rinit}");
    assert!(rinit.contains("[default: 5s]"), "{rinit}");
    assert!(
        rinit.contains("127 command not found; 126 not executable"),
        "{rinit}"
    );
    assert!(rinit.contains("2 bad usage"), "{rinit}");
    // (name, its exec failure codes as listed, its forward target)
    for (name, exec_codes, target) in [
        (
            "tini",
            "127 command not found; 126 not executable; 1 other exec errors",
            "child",
        ),
        ("dumb-init", "2 the command cannot be run", "group"),
        ("catatonit", "1 the command cannot be run", "child"),
    ] {
        let text = help(name);
        let first = text.lines().next().unwrap_or_default();
        assert!(
            !first.contains(&format!("{name} {version}")),
            "{name}: rinit's version shown as {name}'s: {first}"
        );
        assert!(
            first.contains(&format!("rinit {version}")),
            "{name}: {first}"
        );
        assert!(!text.contains("[default: 5s]"), "{name}: {text}");
        assert!(text.contains("--grace <DURATION>"), "{name}: {text}");
        assert!(text.contains(exec_codes), "{name}: {text}");
        assert!(text.contains("1 bad usage"), "{name}: {text}");
        assert!(
            text.contains(&format!("[default: {target}]")),
            "{name}: {text}"
        );
    }
}

// ---------------------------------------------------------------------------
// LISTEN_PID (systemd socket activation)

#[test]
fn listen_pid_naming_rinit_names_the_child() {
    let names = Names::new();
    let script = "echo \"$LISTEN_PID $$\"";
    for name in ["rinit", "catatonit", "tini"] {
        let program = names.of(name);
        let done = run(pid1(
            &program,
            &["--", "sh", "-c", script],
            &[("LISTEN_PID", "1")],
        ));
        assert_eq!(done.code, 0, "{name}: {done:?}");
        assert_eq!(done.stdout, vec!["2 2"], "{name}");
        // Meant for another process: passed on untouched.
        let done = run(pid1(
            &program,
            &["--", "sh", "-c", script],
            &[("LISTEN_PID", "7")],
        ));
        assert_eq!(done.stdout, vec!["7 2"], "{name}");
    }
    // Not as PID 1: a shell exports its own pid and execs rinit in place.
    let done = run(direct(
        "sh",
        &[
            "-c",
            "export LISTEN_PID=$$; exec \"$@\"",
            "sh",
            &names.of("rinit"),
            "--",
            "sh",
            "-c",
            script,
        ],
        &[],
    ));
    assert_eq!(done.code, 0, "{done:?}");
    let fields: Vec<&str> = done.stdout[0].split(' ').collect();
    assert_eq!(
        fields[0], fields[1],
        "LISTEN_PID must name the child: {done:?}"
    );
}

// ---------------------------------------------------------------------------
// Personalities: job-control signals

#[test]
fn job_control_signals_under_each_name() {
    let names = Names::new();
    let job = [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU];
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
    for signal in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
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

// ---------------------------------------------------------------------------
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

/// Not as PID 1, what the others get when the main child exits is visible:
/// they outlive rinit. The child shell starts a background `testkit
/// sigecho` (its pid on a `gc PID` line) and exits 7 on SIGWINCH. Returns
/// the signals the grandchild reported (in numeric order) up to a real-time marker the test
/// sends it after rinit has exited; that it reports the marker at all shows
/// nobody killed it.
fn others_after_the_main_child_not_pid1(
    program: &str,
    opts: &[&str],
    vars: &[(&str, &str)],
) -> Vec<i32> {
    const SCRIPT: &str = r#"trap 'exit 7' WINCH
"$1" sigecho < "$2" &
echo "gc $!"
wait"#;
    let scratch = Scratch::new("others-after-main");
    let (fifo_text, holder) = scratch.held_fifo("fifo");
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", SCRIPT, "sh", &tk, &fifo_text]);
    let mut running = Running::start(direct(program, &args, vars));
    let gc: i32 = running
        .expect_line("naming the grandchild", |l| l.starts_with("gc "))
        .trim_start_matches("gc ")
        .parse()
        .unwrap();
    // The shell's line and the grandchild's may come in either order.
    if !running.seen.iter().any(|l| l == "ready") {
        running.expect("ready");
    }
    send(running.outer_pid(), libc::SIGWINCH);
    let code = running.wait_for_exit();
    assert_eq!(code, 7, "{program} {opts:?} {vars:?}");
    let marker = SIGRTMIN + 2;
    send(gc, marker);
    running.expect(&format!("signal {marker}"));
    // Standard signals pending together come out lowest first, whatever
    // order they were sent in: compare them as a set (the marker, highest,
    // stays last).
    let mut seen = signals_in(&running.seen);
    seen.sort_unstable();
    drop(holder); // the grandchild reads end of file and exits
    let done = running.finish();
    assert!(done.stdout.contains(&"stdin closed".to_owned()), "{done:?}");
    seen
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
    // Side by side with the real peers.
    for (name, opts, expected) in [
        (
            "dumb-init",
            &[][..],
            vec![libc::SIGTERM, libc::SIGWINCH, marker],
        ),
        ("dumb-init", &["-c"][..], vec![marker]),
        (
            "dumb-init",
            &["-r", "15:3"][..],
            vec![libc::SIGQUIT, libc::SIGWINCH, marker],
        ),
        (
            "dumb-init",
            &["-r", "15:0"][..],
            vec![libc::SIGWINCH, marker],
        ),
        ("tini", &["-s"][..], vec![marker]),
        ("catatonit", &[][..], vec![marker]),
    ] {
        if let Some(peer) = peer_binary(name) {
            assert_eq!(
                others_after_the_main_child_not_pid1(&peer, opts, &[]),
                expected,
                "{peer} {opts:?}"
            );
        }
    }
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
    for signal in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
        running.signal(signal);
        running.expect(&format!("signal {signal}"));
    }
    assert_ne!(proc_state(rinit_pid), Some('T'));
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(
        signals_in(&done.stdout),
        vec![libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU]
    );
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
    let job = [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU]
        .iter()
        .fold(0u64, |mask, s| mask | 1 << (s - 1));
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

#[test]
fn catatonit_debug_turns_on_debug_logging() {
    let names = Names::new();
    let tk = testkit();
    let program = names.of("catatonit");
    let args = ["--", tk.as_str(), "exit", "0"];
    let quiet = run(pid1(&program, &args, &[]));
    assert!(!quiet.stderr.contains("catatonit: debug:"), "{quiet:?}");
    for value in ["1", ""] {
        let done = run(pid1(&program, &args, &[("CATATONIT_DEBUG", value)]));
        assert_eq!(done.code, 0, "{done:?}");
        assert!(done.stderr.contains("catatonit: debug:"), "{done:?}");
    }
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

// ---------------------------------------------------------------------------
// A file without a `#!` line

/// The peers exec with glibc's `execvp`, which hands a file without a `#!`
/// line to `/bin/sh`; under their names rinit does the same. Under its own
/// name it reports the file as not executable (126), whatever C library it
/// is built with.
#[test]
fn a_script_without_a_shebang_line_runs_with_sh_under_the_peers_names() {
    use std::os::unix::fs::PermissionsExt;
    let names = Names::new();
    let scratch = Scratch::new("no-shebang");
    let script = scratch.path("script");
    std::fs::write(&script, "echo \"script $0 $1\"\nexit 7\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = script.to_string_lossy().into_owned();
    let expected = format!("script {script} one");
    for name in ["tini", "dumb-init", "catatonit"] {
        let ours = run(pid1(&names.of(name), &["--", &script, "one"], &[]));
        assert_eq!(ours.code, 7, "{name}: {ours:?}");
        assert_eq!(
            ours.stdout,
            std::slice::from_ref(&expected),
            "{name}: {ours:?}"
        );
        if let Some(peer) = peer_binary(name) {
            let theirs = run(pid1(&peer, &["--", &script, "one"], &[]));
            assert_eq!(
                (theirs.code, &theirs.stdout),
                (ours.code, &ours.stdout),
                "{name}"
            );
        }
    }
    for name in ["rinit", "docker-init"] {
        let ours = run(pid1(&names.of(name), &["--", &script, "one"], &[]));
        assert_eq!(ours.code, 126, "{name}: {ours:?}");
        assert!(ours.stdout.is_empty(), "{name}: {ours:?}");
    }
}
