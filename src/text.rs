//! Text for messages, with no system call: what rinit quotes from outside
//! (names, paths, values) escaped so that a message stays one line and
//! cannot reach the terminal (`printable`, `one_line`), system errors in
//! the same words with every C library (`os_error`) or in the C library's
//! own, as the peers print them (`c_library_text`), and JSON strings
//! (`push_json_string`). `logging`, the sink, and every module that words
//! a message use them.
//!
//! What is escaped: control characters and the characters that move or
//! reorder text (U+2028, U+2029, the bidirectional controls), the same in
//! text lines and in JSON (`escape_char`).

use nix::errno::Errno;
use std::borrow::Cow;
use std::io;

/// Text from outside (a command name, a path, a process name, a value
/// typed by the user) made safe to echo in a message: what `escape_char`
/// escapes is escaped, and bytes that are not UTF-8 are shown as `\xff`.
/// Everything else, ordinary names included, comes out as it went in.
pub(crate) fn printable(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for chunk in text.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// Whether `c` is escaped in a message: control characters (a newline would
/// split the line, an ESC reach the terminal), the line and paragraph
/// separators (line breaks to editors, browsers and JavaScript), and the
/// bidirectional controls, which reorder what is shown around them (a name
/// could make a line read as something else).
fn escape_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
        )
}

/// Appends `c`, escaped as Rust escapes it (`\n`, `\u{1b}`, `\u{202e}`)
/// if `escape_char` says so.
fn push_char(out: &mut String, c: char) {
    if !escape_char(c) {
        out.push(c);
    } else if c.is_control() {
        out.extend(c.escape_debug());
    } else {
        out.extend(c.escape_unicode());
    }
}

/// A message as one text line: everything `escape_char` names escaped,
/// whatever part of rinit wrote the message and whatever it quoted.
pub(crate) fn one_line(message: &str) -> Cow<'_, str> {
    if !message.chars().any(escape_char) {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len() + 16);
    for c in message.chars() {
        push_char(&mut out, c);
    }
    Cow::Owned(out)
}

/// A system error in rinit's words: nix's text for the errno and its
/// number, the same with every C library (the C library's `strerror`, which
/// `io::Error` prints, differs: musl calls EMFILE "No file descriptors
/// available"); an error that is not a system error keeps its own text.
/// Takes an `Errno` (what `sys` returns) or an `io::Error` (what std
/// returns). Running out of descriptors also names `open_file_limit`, the
/// limit reached (`sys::open_file_limit`), the one thing the user can
/// change: the caller reads it, since this module makes no system call.
pub(crate) fn os_error(error: impl Into<io::Error>, open_file_limit: Option<u64>) -> String {
    let error = error.into();
    let Some(errno) = error.raw_os_error().map(Errno::from_raw) else {
        return error.to_string();
    };
    let mut text = format!("{} (os error {})", errno.desc(), errno as i32);
    if let (Errno::EMFILE, Some(limit)) = (errno, open_file_limit) {
        text.push_str(&format!("; the open-file limit is {limit}"));
    }
    text
}

/// The C library's words for an error (`strerror`, as the peers and most
/// tools print it), without the " (os error N)" std adds; an error that is
/// not a system error keeps its own words.
pub(crate) fn c_library_text(error: &io::Error) -> String {
    let text = error.to_string();
    let suffix = error.raw_os_error().map(|n| format!(" (os error {n})"));
    match suffix
        .as_deref()
        .and_then(|suffix| text.strip_suffix(suffix))
    {
        Some(bare) => bare.to_owned(),
        None => text,
    }
}

/// Appends `text` as a JSON string: quotes, backslashes and every control
/// character escaped, so that one record stays one line. Written by hand
/// rather than with serde_json because it escapes more than JSON asks:
/// DEL and the C1 controls (a terminal showing the log may act on them),
/// U+2028 and U+2029 (valid JSON, but line ends in JavaScript) and the
/// bidirectional controls, as in text lines; serde_json passes them as
/// they are.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // U+2028 and U+2029 are valid JSON but end lines in JavaScript;
            // the bidirectional controls reorder what a viewer shows.
            c if escape_char(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_what_could_split_a_line_or_reach_the_terminal() {
        let p = |bytes: &[u8]| printable(bytes);
        assert_eq!(p(b"/usr/bin/my app-2.0"), "/usr/bin/my app-2.0");
        assert_eq!(p("caf\u{e9} \u{1f600}".as_bytes()), "caf\u{e9} \u{1f600}");
        assert_eq!(p(b"a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(p(b"\x1b[2Jred"), "\\u{1b}[2Jred");
        assert_eq!(p(b"bell\x07del\x7f"), "bell\\u{7}del\\u{7f}");
        // The C1 control CSI, which some terminals read as ESC [.
        assert_eq!(p("c1\u{9b}31m".as_bytes()), "c1\\u{9b}31m");
        assert_eq!(p(b"bad\xff\xfeend"), "bad\\xff\\xfeend");
        // Quotes and backslashes are ordinary characters.
        assert_eq!(p(br"it's a\b"), r"it's a\b");
        // What breaks or reorders a line without being a control character.
        assert_eq!(p("a\u{2028}b\u{2029}c".as_bytes()), r"a\u{2028}b\u{2029}c");
        for bidi in [
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
        ] {
            let text = format!("x{bidi}y");
            assert_eq!(p(text.as_bytes()), format!("x\\u{{{:x}}}y", bidi as u32));
        }
        // Right next to them, ordinary characters stay.
        assert_eq!(
            p("\u{2027}\u{202f}\u{2065}".as_bytes()),
            "\u{2027}\u{202f}\u{2065}"
        );
    }

    #[test]
    fn a_text_message_is_one_line_whoever_wrote_it() {
        assert!(matches!(one_line("plain 'name' (pid 3)"), Cow::Borrowed(_)));
        assert_eq!(
            one_line("wrote to /x\nrinit: error: forged\u{202e}"),
            r"wrote to /x\nrinit: error: forged\u{202e}"
        );
        // What `printable` made of a name passes unchanged.
        let shown = printable(b"a\nb\x1b\xff");
        assert_eq!(one_line(&shown), shown);
    }

    #[test]
    fn os_errors_read_the_same_with_every_c_library() {
        assert_eq!(
            os_error(Errno::EMFILE, Some(3)),
            "Too many open files (os error 24); the open-file limit is 3"
        );
        assert_eq!(
            os_error(Errno::EMFILE, None),
            "Too many open files (os error 24)"
        );
        assert_eq!(os_error(Errno::EAGAIN, Some(3)), "Try again (os error 11)");
        assert_eq!(
            os_error(io::Error::from_raw_os_error(libc::ENOENT), None),
            "No such file or directory (os error 2)"
        );
        assert_eq!(os_error(io::Error::other("odd"), None), "odd");
    }

    #[test]
    fn json_strings_escape_more_than_json_asks() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\nd\te\u{1}\u{7f}\u{9b}\u{2028}\u{202e}é");
        assert_eq!(out, r#""a\"b\\c\nd\te\u0001\u007f\u009b\u2028\u202eé""#);
    }

    #[test]
    fn c_library_text_drops_what_std_adds() {
        assert_eq!(
            c_library_text(&io::Error::from_raw_os_error(libc::ENOENT)),
            "No such file or directory"
        );
        assert_eq!(c_library_text(&io::Error::other("odd")), "odd");
    }
}
