//! rinit's value parsers (signals, durations, exit codes, rewrite rules,
//! targets, booleans) on arbitrary text.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_values(data));
