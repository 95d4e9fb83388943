//! How much rinit logs (issue 4): `-v`, `RINIT_VERBOSITY`, and the peers'
//! `TINI_VERBOSITY` (read as tini reads it), `DUMB_INIT_DEBUG` and
//! `CATATONIT_DEBUG`; under Docker's name, `docker-init`, rinit reads
//! tini's variables.

mod common;
use common::*;

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
    done.assert_stderr_has("subreaper");
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
        done.assert_stderr_has("catatonit: debug:");
    }
}
