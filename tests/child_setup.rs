//! What the child starts with (issue 4): the parent-death signal (`-p`,
//! `RINIT_PDEATHSIG`), `LISTEN_PID` for systemd socket activation, and a
//! script without a `#!` line run with `/bin/sh` under the peers' names.

mod common;
use common::*;

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
    let signal = running.expect_number("signal");
    let done = running.finish();
    assert!(done.stderr.is_empty(), "{opts:?} {vars:?}: {}", done.stderr);
    signal
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
