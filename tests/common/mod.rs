//! The harness (harness/, crate rinit-harness) runs programs as PID 1 of a
//! fresh PID namespace, waits on their output lines and reads /proc; the
//! benchmark uses it too. This adds what only a test of this package knows:
//! where cargo put rinit and the workload program.
#![allow(dead_code, unused_imports)] // each test file uses its own part of this

pub(crate) mod terminal;
pub(crate) use terminal::Terminal;

pub(crate) use rinit_harness::*;
use std::path::PathBuf;
use std::process::Command;

pub(crate) fn rinit() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rinit"))
}

/// The multi-call workload program (`examples/testkit.rs`).
pub(crate) fn testkit() -> String {
    let path = rinit().parent().unwrap().join("examples/testkit");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// rinit as PID 1 with these arguments.
pub(crate) fn rinit_pid1(args: &[&str]) -> Command {
    as_pid1(&rinit().to_string_lossy(), args)
}
