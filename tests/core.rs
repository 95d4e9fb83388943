//! The core contract, tested through the built binary as PID 1.

mod common;
use common::*;

#[test]
fn smoke_exit_code_as_pid1() {
    let done = run(rinit_pid1(&["--", "sh", "-c", "echo pid $$; exit 3"]));
    assert_eq!(done.code, 3, "{done:?}");
    assert_eq!(done.stdout, vec!["pid 2"]);
}
