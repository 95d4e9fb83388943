//! Becoming a subreaper when not PID 1 (`-s`, `RINIT_SUBREAPER`,
//! `TINI_SUBREAPER`) and warning about reaped processes (`-w`,
//! `RINIT_WARN_ON_REAP`), as rinit and under tini's name (issue 4).

mod common;
use common::*;

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
    let program = names.of("tini");
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
