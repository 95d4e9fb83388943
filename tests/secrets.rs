//! `--env-file` and `--env-from-files`, through the built binary as PID 1:
//! what the command's environment gets, which value wins, and every error
//! stopping rinit before the command starts, without ever showing a value.

mod common;
use common::*;
use std::process::Command;

/// rinit as PID 1 with these arguments and extra variables, its own
/// environment otherwise cleaned of init variables.
fn rinit_with(args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut cmd = rinit_pid1(args);
    without_file_requests(&mut cmd);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd
}

/// Without the `*_FILE` variables of whoever runs the tests
/// (`SSL_CERT_FILE` and the like would be requests too).
fn without_file_requests(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.ends_with("_FILE") || name.starts_with("FILE__") {
            cmd.env_remove(name);
        }
    }
}

/// The value the command sees for each name, as `printenv` prints it (one
/// line each: values here hold no newline unless a test says so).
fn printenv(args: &[&str], vars: &[(&str, &str)], names: &[&str]) -> Finished {
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--", "printenv"]);
    full.extend(names);
    run(rinit_with(&full, vars))
}

#[test]
fn name_file_sets_name_without_one_trailing_newline() {
    let scratch = Scratch::new("secrets-newline");
    let one = scratch.write("one", "hunter2\n", 0o600);
    let two = scratch.write("two", "kept\n\n", 0o600);
    let crlf = scratch.write("crlf", "dos\r\n", 0o600);
    let done = printenv(
        &["--env-from-files"],
        &[
            ("DB_PASSWORD_FILE", &one),
            ("TWO_FILE", &two),
            ("FILE__API_KEY", &crlf),
        ],
        &["DB_PASSWORD", "TWO", "API_KEY", "DB_PASSWORD_FILE"],
    );
    assert_eq!(done.code, 0, "{done:?}");
    // printenv ends each value with a newline: TWO keeps one of its two.
    assert_eq!(
        done.stdout,
        ["hunter2", "kept", "", "dos", one.as_str()],
        "{done:?}"
    );
    assert_no_complaints(&done);
}

#[test]
fn off_unless_asked_and_the_variable_turns_it_on() {
    let scratch = Scratch::new("secrets-off");
    let secret = scratch.write("s", "value\n", 0o600);
    let off = printenv(&[], &[("S_FILE", &secret)], &["S"]);
    // printenv exits 1 when the variable is not set.
    assert_eq!(off.code, 1, "{off:?}");
    assert!(off.stdout.is_empty(), "{off:?}");
    let on = printenv(
        &[],
        &[("S_FILE", &secret), ("RINIT_ENV_FROM_FILES", "1")],
        &["S"],
    );
    assert_eq!(
        (on.code, on.stdout.as_slice()),
        (0, &["value".to_owned()][..]),
        "{on:?}"
    );
}

/// Errors stop rinit before the command starts: the command here would
/// leave a file behind.
fn refused(args: &[&str], vars: &[(&str, &str)]) -> Finished {
    let scratch = Scratch::new("secrets-refused");
    let marker = scratch.file("started");
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--", "touch", &marker]);
    let done = run(rinit_with(&full, vars));
    assert!(
        !std::path::Path::new(&marker).exists(),
        "the command ran: {done:?}"
    );
    assert_eq!(done.code, 1, "{done:?}");
    assert_eq!(done.stderr.lines().count(), 1, "{done:?}");
    done
}

#[test]
fn both_name_and_name_file_set_is_an_error_naming_both() {
    let scratch = Scratch::new("secrets-both");
    let secret = scratch.write("s", "value-in-file", 0o600);
    let done = refused(
        &["--env-from-files"],
        &[
            ("DB_PASSWORD", "value-in-env"),
            ("DB_PASSWORD_FILE", &secret),
        ],
    );
    done.assert_stderr_has("DB_PASSWORD and DB_PASSWORD_FILE");
    assert!(!done.stderr.contains("value-in"));
}

#[test]
fn a_missing_file_is_an_error_naming_file_and_variable() {
    let done = refused(
        &["--env-from-files"],
        &[("DB_PASSWORD_FILE", "/run/secrets/not-there")],
    );
    done.assert_stderr_has("/run/secrets/not-there (DB_PASSWORD_FILE)");
}

#[test]
fn an_unreadable_file_is_an_error_for_an_unprivileged_uid() {
    assert!(is_root(), "run as root: this test switches to uid 65534");
    let scratch = Scratch::new("secrets-unreadable");
    let rinit = scratch.copy(&rinit(), "rinit");
    let secret = scratch.write("s", "hunter2\n", 0o600);
    let marker = scratch.file("started");
    let script = "echo started > \"$0\"";
    let command = [
        &rinit,
        "--env-from-files",
        "--",
        "sh",
        "-c",
        script,
        &marker,
    ];
    let mut cmd = as_nobody(true, &command);
    without_file_requests(&mut cmd);
    cmd.env("DB_PASSWORD_FILE", &secret);
    let done = run(cmd);
    assert_eq!(done.code, 1, "{done:?}");
    done.assert_stderr_has("(DB_PASSWORD_FILE)");
    done.assert_stderr_has("ermission denied");
    assert!(!std::path::Path::new(&marker).exists(), "{done:?}");
}

#[test]
fn a_file_too_large_for_any_variable_is_left_alone_with_a_warning() {
    let scratch = Scratch::new("secrets-large");
    let bundle = scratch.write("ca.pem", &"x".repeat(200 << 10), 0o644);
    let secret = scratch.write("s", "small\n", 0o600);
    let done = printenv(
        &["--env-from-files"],
        &[("SSL_CERT_FILE", &bundle), ("S_FILE", &secret)],
        &["S", "SSL_CERT_FILE"],
    );
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(done.stdout, ["small", bundle.as_str()], "{done:?}");
    done.assert_stderr_has("SSL_CERT_FILE");
    done.assert_stderr_has("left as it is");
}

#[test]
fn a_fifo_is_refused_without_hanging() {
    let scratch = Scratch::new("secrets-fifo");
    let fifo = scratch.fifo("pipe");
    let done = refused(&["--env-from-files"], &[("S_FILE", &fifo)]);
    done.assert_stderr_has("not a regular file");
}

#[test]
fn env_file_quotes_export_and_comments() {
    let scratch = Scratch::new("secrets-envfile");
    let file = scratch.write(
        "app.env",
        "# rendered by an agent\n\
         export PLAIN=plain value # a note\n\
         SINGLE='a $HOME \\n b'\n\
         DOUBLE=\"x \\\"y\\\" $HOME\"\n\
         \n\
         KEPT=from-file\n",
        0o600,
    );
    let done = printenv(
        &["--env-file", &file],
        &[("KEPT", "from-env")],
        &["PLAIN", "SINGLE", "DOUBLE", "KEPT"],
    );
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(
        done.stdout,
        ["plain value", "a $HOME \\n b", "x \"y\" $HOME", "from-env"],
        "{done:?}"
    );
}

#[test]
fn a_later_env_file_wins_and_the_variable_lists_files() {
    let scratch = Scratch::new("secrets-order");
    let first = scratch.write("first.env", "A=first\nB=first\n", 0o600);
    let second = scratch.write("second.env", "B=second\n", 0o600);
    let by_option = printenv(
        &["--env-file", &first, "--env-file", &second],
        &[],
        &["A", "B"],
    );
    assert_eq!(by_option.stdout, ["first", "second"], "{by_option:?}");
    let list = format!("{first},{second}");
    let by_variable = printenv(&[], &[("RINIT_ENV_FILE", &list)], &["A", "B"]);
    assert_eq!(by_variable.stdout, ["first", "second"], "{by_variable:?}");
}

#[test]
fn an_env_file_may_name_a_secret_file() {
    let scratch = Scratch::new("secrets-chain");
    let secret = scratch.write("s", "chained\n", 0o600);
    let file = scratch.write("app.env", &format!("TOKEN_FILE={secret}\n"), 0o600);
    let done = printenv(&["--env-file", &file, "--env-from-files"], &[], &["TOKEN"]);
    assert_eq!(done.stdout, ["chained"], "{done:?}");
}

#[test]
fn a_malformed_line_names_path_and_line() {
    let scratch = Scratch::new("secrets-malformed");
    let file = scratch.write("bad.env", "A=1\n# fine\nB='hunter2\n", 0o600);
    let done = refused(&["--env-file", &file], &[]);
    done.assert_stderr_has(&format!("{file}:3:"));
    assert!(!done.stderr.contains("hunter2"), "{done:?}");
    let missing = refused(&["--env-file", "/nowhere/app.env"], &[]);
    missing.assert_stderr_has("/nowhere/app.env (--env-file)");
}

#[test]
fn no_value_reaches_stderr_at_any_verbosity() {
    let scratch = Scratch::new("secrets-quiet");
    let secret = scratch.write("s", "hunter2-secret\n", 0o600);
    let file = scratch.write("app.env", "API=hunter3-secret\n", 0o600);
    let done = run(rinit_with(
        &[
            "-vvvv",
            "--env-from-files",
            "--env-file",
            &file,
            "--",
            "true",
        ],
        &[("DB_PASSWORD_FILE", &secret)],
    ));
    assert_eq!(done.code, 0, "{done:?}");
    // The names are logged at debug, so the lines are there to look at.
    done.assert_stderr_has("DB_PASSWORD");
    done.assert_stderr_has("API");
    assert!(!done.stderr.contains("hunter"), "{done:?}");
}
