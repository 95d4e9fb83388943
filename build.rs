//! Records the git commit rinit is built from, for its `--version` line:
//! dockerd reads the commit after ` - git.` and shows it in `docker info`.
//!
//! The commit comes from `RINIT_GIT_COMMIT` when set (a release build, or a
//! package built from a tarball, names it), else from `git` when the source
//! is a git checkout of its own, else there is none. It is cut to 12 hex
//! digits whichever way it came, so the same commit gives the same binary
//! (reproducible builds) whether git or the variable named it. A dirty tree
//! is not marked: what is built is named by its commit, nothing else.

use std::path::Path;
use std::process::Command;

/// What the commit is cut to: `git rev-parse --short` would pick a length
/// that depends on the clone, and a different binary with it.
const LENGTH: usize = 12;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RINIT_GIT_COMMIT");
    let commit = match std::env::var("RINIT_GIT_COMMIT") {
        // Set but empty: the builder says there is no commit to name.
        Ok(given) if given.is_empty() => None,
        Ok(given) => match normalise(&given) {
            Some(commit) => Some(commit),
            None => {
                eprintln!(
                    "RINIT_GIT_COMMIT={given:?} is not a commit: give 7 to 40 hex digits, or leave it empty"
                );
                std::process::exit(1);
            }
        },
        Err(_) => from_git(),
    };
    // Always set, empty when unknown, so that a RINIT_COMMIT in the
    // builder's own environment cannot leak into the binary.
    println!(
        "cargo:rustc-env=RINIT_COMMIT={}",
        commit.unwrap_or_default()
    );
}

/// Lower-case hex, cut to `LENGTH`; `None` if it is not a commit. dockerd
/// splits the commit's field on `.`, so nothing but hex may pass.
fn normalise(text: &str) -> Option<String> {
    let text = text.trim().to_ascii_lowercase();
    let hex = text.bytes().all(|b| b.is_ascii_hexdigit());
    (hex && (7..=40).contains(&text.len())).then(|| text[..text.len().min(LENGTH)].to_owned())
}

/// The commit of the checkout holding this package, if it is one: a
/// tarball unpacked inside some other repository must not take that
/// repository's commit.
fn from_git() -> Option<String> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let top = git(&manifest_dir, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &str, b: &str| {
        let canon = |p: &str| Path::new(p).canonicalize().ok();
        canon(a).is_some() && canon(a) == canon(b)
    };
    if !same(&top, &manifest_dir) {
        return None;
    }
    // Rebuild when HEAD moves: a commit, a checkout, a fetch that packs
    // the branch's ref.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&manifest_dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(&manifest_dir, &["rev-parse", "--git-path", &name]) {
            let path = Path::new(&manifest_dir).join(path);
            // A missing file would make cargo rerun this on every build.
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    normalise(&git(&manifest_dir, &["rev-parse", "HEAD"])?)
}

/// One line of git's output, or `None` when git is missing or fails.
fn git(dir: &str, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.trim();
    (output.status.success() && !line.is_empty()).then(|| line.to_owned())
}
