//! What rinit prints and exits 0 on (issue 4): `-l`/`-L`/`--license`,
//! `--version` and `--help` under each name, each as that name's peer
//! would print it plus what rinit adds.

mod common;
use common::*;

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
