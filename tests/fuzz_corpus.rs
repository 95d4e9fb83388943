//! Replays the fuzz corpora kept under fuzz/corpus/ (found by
//! `cargo +nightly fuzz run`, see fuzz/Cargo.toml) through the same checks
//! the fuzz targets make, on stable Rust, as part of the ordinary suite.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{} fails its check: {:?}",
            path.display(),
            String::from_utf8_lossy(&data)
        );
        count += 1;
    }
    assert!(count > 0, "no corpus in {}", dir.display());
    println!("{target}: {count} inputs replayed");
}

#[test]
fn command_line_corpus() {
    replay("parse_command_line", checks::check_command_line);
}

#[test]
fn value_corpus() {
    replay("parse_values", checks::check_values);
}

#[test]
fn env_file_corpus() {
    replay("parse_env_file", checks::check_env_file);
}
