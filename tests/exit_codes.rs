//! What rinit exits with, and says, when the command cannot run or the
//! command line is wrong, under its own name and the peers' (issue 4), and
//! `-e`/`--remap-exit`. The peers' lines are their own, word for word:
//! scripts grep for them.

mod common;
use common::*;

/// A file that exists but is not executable; returns its path.
fn not_executable(names: &Names) -> String {
    names
        .scratch()
        .write("not-executable", "#!/bin/sh\necho hi\n", 0o644)
}

// Exit codes: command not found, not executable, bad usage

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
