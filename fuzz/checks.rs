//! The properties the fuzz targets check, shared with `tests/fuzz_corpus.rs`,
//! which replays the kept corpora through them on stable Rust.
//!
//! Input formats (plain bytes, so a corpus file can be written by hand):
//! - `command_line`: the first byte picks the name rinit runs as; the rest is
//!   split on `\n` into words. A word starting with `$` is an environment
//!   variable `$NAME=VALUE`; every other word is an argument.
//! - `values`: the whole input, as text, is handed to every value parser.
//! - `env_file`: the whole input is an env file (`--env-file`).

#![allow(dead_code)] // each fuzz target uses one half

use rinit::{
    ForwardTarget, Invocation, MAX_SIGNAL, Personality, RTMIN, Rewrites, Signal, Target, parse,
    parse_bool, parse_duration, parse_env_file, parse_exit_code, usage_exit_code,
};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::time::Duration;

const NAMES: [&str; 5] = [
    "rinit",
    "tini",
    "dumb-init",
    "catatonit",
    "/sbin/docker-init",
];
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Splits a `command_line` input into argv (with argv[0]) and variables.
pub(crate) fn decode_command_line(data: &[u8]) -> (Vec<OsString>, HashMap<String, OsString>) {
    let (first, rest) = data.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
    let mut argv = vec![OsString::from(NAMES[first as usize % NAMES.len()])];
    let mut env = HashMap::new();
    if rest.is_empty() {
        return (argv, env);
    }
    for word in rest.split(|&b| b == b'\n') {
        if let Some(var) = word.strip_prefix(b"$") {
            let (name, value) = match var.iter().position(|&b| b == b'=') {
                Some(eq) => (&var[..eq], &var[eq + 1..]),
                None => (var, &b""[..]),
            };
            env.insert(
                String::from_utf8_lossy(name).into_owned(),
                OsString::from_vec(value.to_vec()),
            );
        } else {
            argv.push(OsString::from_vec(word.to_vec()));
        }
    }
    (argv, env)
}

/// Parsing a command line never panics, is deterministic, and yields either
/// a usable configuration or a one-message usage error with the right code.
pub(crate) fn check_command_line(data: &[u8]) {
    let (argv, env) = decode_command_line(data);
    let lookup = |name: &str| env.get(name).cloned();
    let personality = Personality::from_argv0(argv[0].as_bytes());
    let result = parse(&argv, &lookup);
    assert_eq!(
        result,
        parse(&argv, &lookup),
        "parsing is not deterministic"
    );
    match result {
        Err(e) => {
            assert_eq!(e.exit_code, usage_exit_code(personality), "{e:?}");
            assert!(!e.message.trim().is_empty(), "empty usage message");
            let first_line = e.message.lines().next().unwrap_or("");
            assert!(!first_line.trim().is_empty(), "{e:?}");
            // One line, whatever the user typed: control characters are escaped.
            assert!(!e.message.contains(char::is_control), "{e:?}");
        }
        Ok(Invocation::Run(config)) => {
            assert_eq!(config.pause, config.command.is_empty(), "{config:?}");
            if let Some(program) = config.command.first() {
                assert!(!program.is_empty(), "empty command accepted");
            }
            assert!(config.grace <= DAY, "{config:?}");
            assert!(config.kill_after.is_none_or(|d| d <= DAY), "{config:?}");
            assert!(config.verbosity <= 4, "{config:?}");
            assert_ne!(config.drain_signal, Signal::CHLD);
            assert_ne!(config.pdeathsig, Some(Signal::CHLD));
            // The command is passed on exactly: it is the tail of argv.
            let tail = &argv[argv.len() - config.command.len()..];
            assert_eq!(tail, &config.command[..]);
        }
        Ok(Invocation::Help(text)) => assert!(text.contains("usage:")),
        Ok(Invocation::Version { line, .. }) => assert!(!line.contains('\n')),
        Ok(Invocation::License) => {}
    }
    check_peer_variables(&argv, &env);
}

/// The peers' variables, as the peers read them (their C code, run here):
/// `TINI_VERBOSITY` is `atoi`'d into an unsigned level, the others count when
/// set (`TINI_SUBREAPER`, `TINI_KILL_PROCESS_GROUP`, `CATATONIT_DEBUG`) or
/// when equal to one string (`DUMB_INIT_DEBUG=1`, `DUMB_INIT_SETSID=0`). No
/// value of theirs stops the peer, so none may stop rinit: with or without
/// them, a command line parses the same way or fails the same way.
pub(crate) fn check_peer_variables(argv: &[OsString], env: &HashMap<String, OsString>) {
    const PEERS: [&str; 6] = [
        "TINI_VERBOSITY",
        "TINI_SUBREAPER",
        "TINI_KILL_PROCESS_GROUP",
        "DUMB_INIT_DEBUG",
        "DUMB_INIT_SETSID",
        "CATATONIT_DEBUG",
    ];
    let lookup = |name: &str| env.get(name).cloned();
    let without = |name: &str| {
        if PEERS.contains(&name) {
            None
        } else {
            env.get(name).cloned()
        }
    };
    assert_eq!(
        parse(argv, &lookup).is_err(),
        parse(argv, &without).is_err(),
        "a peer's variable changed whether {argv:?} parses"
    );
    // Each peer variable alone, under rinit's own name, on a plain command:
    // its effect is the peer's.
    let plain = [OsString::from("rinit"), OsString::from("app")];
    for name in PEERS {
        // getenv sees the value up to its first NUL (there is none in a
        // real environment).
        let Some(raw) = env.get(name) else { continue };
        let bytes = raw.as_bytes();
        let bytes = &bytes[..bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())];
        let value = OsString::from_vec(bytes.to_vec());
        let only = |n: &str| (n == name).then(|| value.clone());
        let config = match parse(&plain, &only) {
            Ok(Invocation::Run(config)) => config,
            other => panic!("{name}={value:?} stops rinit: {other:?}"),
        };
        let expected_verbosity = match name {
            "TINI_VERBOSITY" => {
                let c = std::ffi::CString::new(bytes).unwrap();
                // SAFETY: a valid NUL-terminated string; atoi only reads it.
                let level = unsafe { libc::atoi(c.as_ptr()) } as u32;
                level.min(4) as u8
            }
            "DUMB_INIT_DEBUG" if bytes == b"1" => 3,
            "CATATONIT_DEBUG" => 3,
            _ => 1,
        };
        assert_eq!(config.verbosity, expected_verbosity, "{name}={value:?}");
        let expected_target = match name {
            "TINI_KILL_PROCESS_GROUP" => ForwardTarget::Group,
            "DUMB_INIT_SETSID" if bytes == b"0" => ForwardTarget::Child,
            _ => ForwardTarget::Group,
        };
        assert_eq!(config.forward_to, expected_target, "{name}={value:?}");
        assert_eq!(
            config.subreaper,
            name == "TINI_SUBREAPER",
            "{name}={value:?}"
        );
    }
}

/// Every value parser, given the same text: no panic, results in range,
/// errors that quote what they rejected, and names that round-trip.
pub(crate) fn check_values(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let quotes = |message: &str| text.is_empty() || message.contains(text);

    match Signal::parse(text) {
        Ok(signal) => {
            let n = signal.number();
            assert!((1..=MAX_SIGNAL).contains(&n), "{text:?} -> {n}");
            assert_eq!(Signal::parse(&n.to_string()), Ok(signal));
            if !(32..RTMIN).contains(&n) {
                assert_eq!(Signal::parse(&signal.to_string()), Ok(signal), "{text:?}");
            }
        }
        Err(e) => assert!(quotes(&e) || e.contains("empty"), "{text:?}: {e}"),
    }
    match parse_duration(text) {
        Ok(d) => assert!(d <= DAY, "{text:?} -> {d:?}"),
        Err(e) => assert!(quotes(&e), "{text:?}: {e}"),
    }
    match parse_exit_code(text) {
        Ok(code) => assert_eq!(
            text.trim_start_matches('0').parse::<u8>().unwrap_or(0),
            code
        ),
        Err(e) => assert!(quotes(&e), "{text:?}: {e}"),
    }
    match Rewrites::parse_rule(text) {
        Ok((from, to)) => {
            assert!(![Signal::KILL, Signal::STOP, Signal::CHLD].contains(&from));
            let mut rewrites = Rewrites::default();
            rewrites.set(from, to);
            assert_eq!(rewrites.apply(from), to);
        }
        Err(e) => assert!(!e.is_empty()),
    }
    if let Ok(target) = ForwardTarget::parse(text) {
        assert!(["child", "group", "all"].contains(&text), "{target:?}");
    }
    match Target::parse(text) {
        // A target prints as one that parses to itself.
        Ok(target) => {
            let shown = target.to_string();
            assert_eq!(Target::parse(&shown), Ok(target), "{text:?} -> {shown:?}");
        }
        Err(e) => assert!(!e.is_empty(), "{text:?}"),
    }
    if let Ok(on) = parse_bool(text) {
        let lower = text.to_ascii_lowercase();
        let expected = ["1", "true", "yes"].contains(&lower.as_str());
        assert_eq!(on, expected, "{text:?}");
    }
}

/// An env file never panics the parser; what it yields is usable as
/// variables (a name of letters, digits and `_`, no NUL in a value), an
/// error points at a line of the file, and a variable written back in
/// single quotes parses to itself.
pub(crate) fn check_env_file(data: &[u8]) {
    let result = parse_env_file(data);
    assert_eq!(result, parse_env_file(data), "parsing is not deterministic");
    match result {
        Err((line, reason)) => {
            let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                (1..=lines).contains(&line),
                "line {line} of {lines}: {reason}"
            );
            assert!(!reason.is_empty());
        }
        Ok(variables) => {
            for (name, value) in variables {
                assert!(!name.is_empty() && !name[0].is_ascii_digit(), "{name:?}");
                assert!(name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_'));
                assert!(!value.contains(&0), "{value:?}");
                if !value.contains(&b'\'') && !value.contains(&b'\r') {
                    let mut line = name.clone();
                    line.extend_from_slice(b"='");
                    line.extend_from_slice(&value);
                    line.extend_from_slice(b"'\n");
                    assert_eq!(parse_env_file(&line), Ok(vec![(name, value)]));
                }
            }
        }
    }
}
