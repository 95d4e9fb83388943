//! rinit's command line and environment parser on arbitrary input.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_command_line(data));
