//! The exit code rinit ends with, mirroring its main child.

use std::collections::BTreeSet;

/// How a process ended, as `waitpid` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    Exited(i32),
    Killed(i32),
}

/// Shell convention: the exit code, or 128+N for death by signal N.
pub fn exit_code(termination: Termination) -> i32 {
    match termination {
        Termination::Exited(code) => code & 0xff,
        Termination::Killed(signal) => 128 + signal,
    }
}

/// `--remap-exit`: listed codes count as success. Applied after 128+N, so
/// `-e 143` turns death by SIGTERM into 0.
pub fn remap(code: i32, success_codes: &BTreeSet<u8>) -> i32 {
    match u8::try_from(code) {
        Ok(byte) if success_codes.contains(&byte) => 0,
        _ => code,
    }
}

/// Parses one `--remap-exit` value: a whole number from 0 to 255.
pub fn parse_exit_code(text: &str) -> Result<u8, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not an exit code (0-255)"));
    }
    text.parse::<u8>()
        .map_err(|_| format!("'{text}' is out of the exit code range 0-255"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_pass_through() {
        for code in 0..=255 {
            assert_eq!(exit_code(Termination::Exited(code)), code);
        }
    }

    #[test]
    fn signals_become_128_plus_n() {
        assert_eq!(exit_code(Termination::Killed(libc::SIGTERM)), 143);
        assert_eq!(exit_code(Termination::Killed(libc::SIGKILL)), 137);
        assert_eq!(exit_code(Termination::Killed(libc::SIGINT)), 130);
        assert_eq!(exit_code(Termination::Killed(64)), 192);
    }

    #[test]
    fn remap_applies_after_signal_mapping() {
        let codes: BTreeSet<u8> = [143, 3].into_iter().collect();
        assert_eq!(
            remap(exit_code(Termination::Killed(libc::SIGTERM)), &codes),
            0
        );
        assert_eq!(remap(3, &codes), 0);
        assert_eq!(remap(4, &codes), 4);
        assert_eq!(remap(192, &codes), 192);
    }

    #[test]
    fn exit_code_syntax() {
        assert_eq!(parse_exit_code("0"), Ok(0));
        assert_eq!(parse_exit_code("255"), Ok(255));
        for bad in ["", "256", "-1", "+1", "1.0", "x", "99999999999999999999"] {
            assert!(parse_exit_code(bad).is_err(), "{bad:?}");
        }
    }
}
