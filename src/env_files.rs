//! The command's environment from files: `--env-file` (lines `KEY=VALUE`)
//! and `--env-from-files` (`NAME_FILE=PATH` and `FILE__NAME=PATH` set `NAME`
//! to the file's content). Secrets arrive as files (Docker and compose
//! `secrets:`, Kubernetes Secret volumes, Vault Agent's rendered env files)
//! while most apps read variables; images without a shell cannot bridge the
//! two with a `file_env` function, and rinit runs right before the app.
//!
//! Only the command's environment changes: rinit's own settings come from
//! the environment it was started with, because the options that ask for
//! these files are themselves read from it, and a file that holds secrets
//! has no business reconfiguring the init.
//!
//! The rules are decided here, on bytes, with the file reads passed in, so
//! that they are tested and fuzzed without a file system; `read_bounded` is
//! the one read of the real thing. A value is never part of a message.

use crate::spawn::{EnvEntry, position};
use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The most an env file may hold. Far above any real one, and a bound on
/// what a wrong path (a log, a device) can make rinit read.
pub(crate) const ENV_FILE_LIMIT: u64 = 1 << 20;

/// The most a `NAME_FILE` may hold: the kernel refuses to start a program
/// with a single `NAME=VALUE` string longer than 128 KiB (`MAX_ARG_STRLEN`),
/// so a larger secret could never reach the command anyway.
pub(crate) const SECRET_FILE_LIMIT: u64 = 128 << 10;

/// Why the command's environment could not be made: each names the
/// variable or the file (and line), never a value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EnvFileError {
    /// A file could not be read: its path, who named it, and why.
    Read {
        path: PathBuf,
        named_by: String,
        reason: String,
    },
    /// An env file's line is malformed.
    Syntax {
        path: PathBuf,
        line: usize,
        reason: &'static str,
    },
    /// Both `NAME` and a variable that sets it from a file are set.
    Both { name: String, file_variable: String },
    /// Two variables set the same `NAME` from files.
    TwoFiles {
        name: String,
        first: String,
        second: String,
    },
}

impl fmt::Display for EnvFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |path: &Path| crate::text::printable(path.as_os_str().as_bytes());
        match self {
            EnvFileError::Read {
                path,
                named_by,
                reason,
            } => write!(f, "cannot read {} ({named_by}): {reason}", shown(path)),
            EnvFileError::Syntax { path, line, reason } => {
                write!(f, "{}:{line}: {reason}", shown(path))
            }
            EnvFileError::Both {
                name,
                file_variable,
            } => write!(
                f,
                "both {name} and {file_variable} are set: set one of them (--env-from-files)"
            ),
            EnvFileError::TwoFiles {
                name,
                first,
                second,
            } => write!(
                f,
                "both {first} and {second} set {name} from a file: set one of them (--env-from-files)"
            ),
        }
    }
}

/// A name set for the command, and where its value came from (a path or a
/// variable): what the debug log says, instead of the value.
pub(crate) type Assignment = (String, String);

/// An env file's variables, names and values as bytes, in file order.
pub type Variables = Vec<(Vec<u8>, Vec<u8>)>;

/// Why a file could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadFailure {
    /// Larger than the limit asked for.
    TooLarge,
    /// Anything else, in words for the message.
    Failed(String),
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFailure::TooLarge => f.write_str("too large"),
            ReadFailure::Failed(reason) => f.write_str(reason),
        }
    }
}

/// A whole file, or why not.
pub(crate) type ReadResult = Result<Vec<u8>, ReadFailure>;

/// The command's environment, and what the log says about it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) env: Vec<EnvEntry>,
    /// The names set, and where from: for the debug log, instead of values.
    pub(crate) set: Vec<Assignment>,
    /// `NAME_FILE` variables whose file is larger than any variable can be:
    /// not secrets (`SSL_CERT_FILE` naming a CA bundle), left as they are,
    /// with a warning.
    pub(crate) too_large: Vec<Assignment>,
}

/// What to add to the command's environment, and from where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvSources {
    /// `--env-file`, in the order given: a later file wins over an earlier
    /// one, as a later line wins over an earlier line of one file.
    pub(crate) files: Vec<PathBuf>,
    /// `--env-from-files`.
    pub(crate) from_files: bool,
}

impl EnvSources {
    /// Nothing asked: the environment goes to the command untouched, and
    /// nothing is read.
    pub(crate) fn is_empty(&self) -> bool {
        self.files.is_empty() && !self.from_files
    }
}

/// The command's environment: `env` (rinit's own, entry by entry) with the
/// env files' variables that `env` lacks added, then every `NAME_FILE` and
/// `FILE__NAME` resolved. `read(path, limit)` reads a whole file of at most
/// `limit` bytes. Returns the new environment and, for the debug log, the
/// names that were set and where from.
pub(crate) fn apply(
    sources: &EnvSources,
    env: Vec<EnvEntry>,
    read: &dyn Fn(&Path, u64) -> ReadResult,
) -> Result<Outcome, EnvFileError> {
    let mut outcome = Outcome {
        env,
        set: Vec::new(),
        too_large: Vec::new(),
    };
    // The environment wins over every file: only names it lacks are added.
    for (key, value, path) in read_env_files(&sources.files, read)? {
        if position(&outcome.env, &key).is_none() {
            outcome.set.push((text(&key), path.display().to_string()));
            outcome.env.push(entry(&key, &value));
        }
    }
    if sources.from_files {
        for request in file_requests(&outcome.env)? {
            resolve(request, &mut outcome, read)?;
        }
    }
    Ok(outcome)
}

/// A variable from an env file: name, value, and the file.
type FromEnvFile<'p> = (Vec<u8>, Vec<u8>, &'p Path);

/// Every `--env-file`'s variables, in order; a name set again by a later
/// line or file takes the later value.
fn read_env_files<'p>(
    files: &'p [PathBuf],
    read: &dyn Fn(&Path, u64) -> ReadResult,
) -> Result<Vec<FromEnvFile<'p>>, EnvFileError> {
    let mut variables: Vec<FromEnvFile<'_>> = Vec::new();
    for path in files {
        let text = read(path, ENV_FILE_LIMIT).map_err(|failure| EnvFileError::Read {
            path: path.clone(),
            named_by: "--env-file".to_owned(),
            reason: match failure {
                ReadFailure::TooLarge => format!("larger than {} KiB", ENV_FILE_LIMIT >> 10),
                ReadFailure::Failed(reason) => reason,
            },
        })?;
        let parsed = parse_env_file(&text).map_err(|(line, reason)| EnvFileError::Syntax {
            path: path.clone(),
            line,
            reason,
        })?;
        for (key, value) in parsed {
            variables.retain(|(k, _, _)| *k != key);
            variables.push((key, value, path));
        }
    }
    Ok(variables)
}

/// Sets `request.name` from its file in `outcome.env`, or notes a file too
/// large to be a variable.
fn resolve(
    request: FileRequest,
    outcome: &mut Outcome,
    read: &dyn Fn(&Path, u64) -> ReadResult,
) -> Result<(), EnvFileError> {
    let failed = |reason: String| EnvFileError::Read {
        path: PathBuf::from(&request.path),
        named_by: request.variable.clone(),
        reason,
    };
    let content = match read(Path::new(&request.path), SECRET_FILE_LIMIT) {
        Ok(content) => content,
        // No variable can be this long: not a secret, but a file the app
        // reads itself (a CA bundle). Leave it alone.
        Err(ReadFailure::TooLarge) => {
            let path = text(request.path.as_bytes());
            outcome.too_large.push((request.variable, path));
            return Ok(());
        }
        Err(ReadFailure::Failed(reason)) => return Err(failed(reason)),
    };
    let value = strip_one_newline(&content);
    if value.contains(&0) {
        return Err(failed(
            "it holds a NUL byte, which no variable can".to_owned(),
        ));
    }
    let new = entry(request.name.as_bytes(), value);
    match position(&outcome.env, request.name.as_bytes()) {
        // Set but empty counts as unset (see `file_requests`): the entry
        // getenv would find is the one replaced.
        Some(at) => outcome.env[at] = new,
        None => outcome.env.push(new),
    }
    outcome.set.push((request.name, request.variable));
    Ok(())
}

/// One `NAME` to set from a file.
#[derive(Debug, PartialEq, Eq)]
struct FileRequest {
    name: String,
    /// `NAME_FILE` or `FILE__NAME`.
    variable: String,
    path: OsString,
}

/// Every `NAME_FILE=PATH` and `FILE__NAME=PATH` in `env`, with the same
/// rules as the official images' `file_env`: an empty one counts as unset,
/// and so does an empty `NAME`; `NAME` set as well is an error. rinit's own
/// variables are not requests (`RINIT_ENV_FILE` names env files).
fn file_requests(env: &[EnvEntry]) -> Result<Vec<FileRequest>, EnvFileError> {
    let mut requests: Vec<FileRequest> = Vec::new();
    for (at, item) in env.iter().enumerate() {
        let Some((key, path)) = split_entry(item.to_bytes()) else {
            continue;
        };
        let name = match (key.strip_suffix(b"_FILE"), key.strip_prefix(b"FILE__")) {
            (Some(name), _) | (None, Some(name)) => name,
            (None, None) => continue,
        };
        // Only the entry getenv would find counts.
        if path.is_empty()
            || !is_name(name)
            || key.starts_with(b"RINIT_")
            || position(env, key) != Some(at)
        {
            continue;
        }
        let (name, variable) = (text(name), text(key));
        if position(env, name.as_bytes()).is_some_and(|i| !value_of(&env[i]).is_empty()) {
            return Err(EnvFileError::Both {
                name,
                file_variable: variable,
            });
        }
        if let Some(first) = requests.iter().find(|r| r.name == name) {
            return Err(EnvFileError::TwoFiles {
                name,
                first: first.variable.clone(),
                second: variable,
            });
        }
        requests.push(FileRequest {
            name,
            variable,
            path: OsStr::from_bytes(path).to_owned(),
        });
    }
    Ok(requests)
}

/// A file's content as a value: one trailing newline (`\n` or `\r\n`) is
/// what `echo secret > file` and every editor add; only that one goes.
fn strip_one_newline(content: &[u8]) -> &[u8] {
    content
        .strip_suffix(b"\r\n")
        .or_else(|| content.strip_suffix(b"\n"))
        .unwrap_or(content)
}

/// Parses an env file: `KEY=VALUE` lines, optionally after `export `; blank
/// lines and `#` comments. An unquoted value ends at the line's end or at a
/// `#` after white space, and is trimmed. Single quotes keep everything
/// literally; double quotes know `\"`, `\\`, `\n`, `\r`, `\t` and `\$`, and
/// keep any other backslash. Quoted values may span lines. `$` is never
/// expanded and nothing is ever run. A bare `KEY` line sets nothing: in
/// Docker's env files it means "from the environment", which already
/// reaches the command. Errors carry the 1-based line where the entry began.
pub fn parse_env_file(text: &[u8]) -> Result<Variables, (usize, &'static str)> {
    let mut entries = Vec::new();
    let mut line = 1;
    let mut rest = text;
    while !rest.is_empty() {
        let start_line = line;
        let (entry, after) = parse_entry(rest).map_err(|reason| (start_line, reason))?;
        line += rest[..rest.len() - after.len()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        rest = after;
        if let Some((key, value)) = entry {
            if value.contains(&0) {
                return Err((
                    start_line,
                    "the value holds a NUL byte, which no variable can",
                ));
            }
            entries.push((key, value));
        }
    }
    Ok(entries)
}

/// One line (or one entry whose quoted value spans lines): the entry, if
/// the line holds one, and the text after it.
type Entry<'a> = (Option<(Vec<u8>, Vec<u8>)>, &'a [u8]);

fn parse_entry(text: &[u8]) -> Result<Entry<'_>, &'static str> {
    let (line, after_line) = split_line(text);
    let body = trim_start(line);
    if body.is_empty() || body[0] == b'#' {
        return Ok((None, after_line));
    }
    let body = match body.strip_prefix(b"export") {
        Some(rest) if rest.first().is_some_and(|&b| is_blank(b)) => trim_start(rest),
        _ => body,
    };
    let key_len = body
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .unwrap_or(body.len());
    let (key, rest) = body.split_at(key_len);
    if !is_name(key) {
        return Err(
            "expected KEY=VALUE, with a KEY of letters, digits and _ not starting with a digit",
        );
    }
    let rest = trim_start(rest);
    let Some(value) = rest.strip_prefix(b"=") else {
        return if trim_end(rest).is_empty() {
            Ok((None, after_line))
        } else {
            Err("expected = after the variable's name")
        };
    };
    let value = trim_start(value);
    // `value` ends where `line` ends, and `line` starts `text`: this is
    // where it starts in `text`, for a quoted value that spans lines.
    let offset = line.len() - value.len();
    let (value, after) = match value.first() {
        Some(&quote @ (b'\'' | b'"')) => {
            let (value, after_quote) = quoted(&text[offset + 1..], quote)?;
            let (trailer, after_line) = split_line(after_quote);
            let trailer = trim_start(trailer);
            if !(trailer.is_empty() || trailer[0] == b'#') {
                return Err("unexpected text after the closing quote");
            }
            (value, after_line)
        }
        _ => (unquoted(value), after_line),
    };
    Ok((Some((key.to_vec(), value)), after))
}

/// A quoted value, from just after its opening quote: the value and the
/// text after the closing quote.
fn quoted(text: &[u8], quote: u8) -> Result<(Vec<u8>, &[u8]), &'static str> {
    let mut value = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let byte = text[at];
        if byte == quote {
            return Ok((value, &text[at + 1..]));
        }
        if quote == b'"' && byte == b'\\' && at + 1 < text.len() {
            let escaped = match text[at + 1] {
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b @ (b'"' | b'\\' | b'$') => Some(b),
                _ => None,
            };
            if let Some(escaped) = escaped {
                value.push(escaped);
                at += 2;
                continue;
            }
        }
        // A line break inside quotes is part of the value; a CR before it
        // is the file's line ending, not the value's.
        if byte == b'\r' && text.get(at + 1) == Some(&b'\n') {
            at += 1;
            continue;
        }
        value.push(byte);
        at += 1;
    }
    Err("the quote is never closed")
}

/// An unquoted value: up to a `#` that follows white space, trimmed.
fn unquoted(value: &[u8]) -> Vec<u8> {
    let end = (1..value.len())
        .find(|&i| value[i] == b'#' && is_blank(value[i - 1]))
        .unwrap_or(value.len());
    trim_end(&value[..end]).to_vec()
}

/// The first line (without its `\n` or `\r\n`) and the text after it.
fn split_line(text: &[u8]) -> (&[u8], &[u8]) {
    let (line, rest) = match text.iter().position(|&b| b == b'\n') {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, &text[text.len()..]),
    };
    (line.strip_suffix(b"\r").unwrap_or(line), rest)
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

fn trim_start(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(text.len());
    &text[start..]
}

fn trim_end(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .rposition(|&b| !is_blank(b))
        .map_or(0, |i| i + 1);
    &text[..end]
}

/// A portable variable name: letters, digits and `_`, not starting with a
/// digit.
fn is_name(name: &[u8]) -> bool {
    name.first().is_some_and(|&b| !b.is_ascii_digit())
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

fn split_entry(entry: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = entry.iter().position(|&b| b == b'=')?;
    Some((&entry[..eq], &entry[eq + 1..]))
}

fn value_of(entry: &EnvEntry) -> &[u8] {
    split_entry(entry.to_bytes()).map_or(&[], |(_, value)| value)
}

fn entry(key: &[u8], value: &[u8]) -> EnvEntry {
    // Room for the NUL too: `CString::new` then does not reallocate.
    let mut bytes = Vec::with_capacity(key.len() + 1 + value.len() + 1);
    bytes.extend_from_slice(key);
    bytes.push(b'=');
    bytes.extend_from_slice(value);
    // Keys are names and values were checked for NUL bytes.
    EnvEntry::Owned(CString::new(bytes).unwrap_or_default())
}

/// A name known to be letters, digits and `_`.
fn text(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// Reads a whole file of at most `limit` bytes. It must be a regular file
/// (after following links: Kubernetes mounts secrets as links): a FIFO or
/// a device could block rinit forever or never end, and it is opened
/// without blocking so that even a FIFO cannot hang the open.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> ReadResult {
    let describe = |e: std::io::Error| {
        ReadFailure::Failed(crate::text::os_error(e, crate::sys::open_file_limit()))
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(describe)?;
    let metadata = file.metadata().map_err(describe)?;
    if !metadata.is_file() {
        return Err(ReadFailure::Failed("not a regular file".to_owned()));
    }
    let mut content = Vec::new();
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut content)
        .map_err(describe)?;
    if content.len() as u64 > limit {
        return Err(ReadFailure::TooLarge);
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::HashMap;

    /// `--env-from-files` alone.
    fn from_files() -> EnvSources {
        EnvSources {
            files: vec![],
            from_files: true,
        }
    }

    fn parsed(text: &str) -> Vec<(String, String)> {
        parse_env_file(text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (text_of(&k), text_of(&v)))
            .collect()
    }

    fn text_of(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn env(list: &[&str]) -> Vec<EnvEntry> {
        list.iter()
            .map(|e| EnvEntry::Owned(CString::new(*e).unwrap()))
            .collect()
    }

    fn strings(env: &[EnvEntry]) -> Vec<String> {
        env.iter().map(|e| text_of(e.to_bytes())).collect()
    }

    /// A file system of named files; a missing one reads as "missing".
    fn files(list: &[(&str, &str)]) -> impl Fn(&Path, u64) -> ReadResult + use<> {
        let map: HashMap<PathBuf, Vec<u8>> = list
            .iter()
            .map(|(p, c)| (PathBuf::from(p), c.as_bytes().to_vec()))
            .collect();
        move |path: &Path, limit: u64| match map.get(path) {
            Some(c) if c.len() as u64 > limit => Err(ReadFailure::TooLarge),
            Some(c) => Ok(c.clone()),
            None => Err(ReadFailure::Failed("missing".to_owned())),
        }
    }

    #[test]
    fn plain_lines_comments_and_export() {
        let text = "# a comment\n\nA=1\nexport B=two words\n  C = spaced  \n\tD=\nexport\tE=tab\n";
        assert_eq!(
            parsed(text),
            pairs(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "spaced"),
                ("D", ""),
                ("E", "tab")
            ])
        );
    }

    #[test]
    fn an_unquoted_value_ends_at_a_comment_after_white_space() {
        assert_eq!(
            parsed("A=x # note\nB=x#not-a-note\nC=#not\n"),
            pairs(&[("A", "x"), ("B", "x#not-a-note"), ("C", "#not")])
        );
    }

    #[test]
    fn single_quotes_are_literal_and_double_quotes_know_a_few_escapes() {
        assert_eq!(
            parsed(
                r#"A='a \n $HOME "q"'
B="l1\nl2 \"q\" \\ \$HOME \x"
C="" # empty
"#
            ),
            pairs(&[
                ("A", r#"a \n $HOME "q""#),
                ("B", "l1\nl2 \"q\" \\ $HOME \\x"),
                ("C", "")
            ])
        );
    }

    #[test]
    fn dollars_and_backticks_are_never_expanded() {
        assert_eq!(
            parsed("A=$HOME\nB=`id`\nC=$(id)\n"),
            pairs(&[("A", "$HOME"), ("B", "`id`"), ("C", "$(id)")])
        );
    }

    #[test]
    fn a_quoted_value_may_span_lines_and_errors_count_them() {
        let text = "A=\"line one\r\nline two\"\nB='x'\n\nC=1 2\n9BAD=1\n";
        assert_eq!(parse_env_file(text.as_bytes()).unwrap_err().0, 6);
        let text = "A=\"line one\r\nline two\"\r\nB='x'\r\n";
        assert_eq!(
            parsed(text),
            pairs(&[("A", "line one\nline two"), ("B", "x")])
        );
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line() {
        for (text, line) in [
            ("A=1\nB='open\n", 2),
            ("A=\"x\" trailing\n", 1),
            ("A=1\n\n-X=1\n", 3),
            ("A-B=1\n", 1),
            ("export =1\n", 1),
            ("A B\n", 1),
            ("A=\"\\\"\n", 1),
        ] {
            assert_eq!(
                parse_env_file(text.as_bytes()).map_err(|e| e.0),
                Err(line),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_bare_name_sets_nothing_and_a_later_line_wins() {
        assert_eq!(parsed("A\nB=1\nB=2\n"), pairs(&[("B", "1"), ("B", "2")]));
        let sources = EnvSources {
            files: vec![PathBuf::from("/f")],
            from_files: false,
        };
        let Outcome { env: out, .. } =
            apply(&sources, env(&[]), &files(&[("/f", "B=1\nB=2\n")])).unwrap();
        assert_eq!(strings(&out), ["B=2"]);
    }

    #[test]
    fn a_nul_byte_in_a_value_is_an_error() {
        assert_eq!(parse_env_file(b"A=1\nB=x\0y\n").unwrap_err().0, 2);
    }

    #[test]
    fn the_environment_wins_over_files_and_a_later_file_over_an_earlier() {
        let sources = EnvSources {
            files: vec![PathBuf::from("/one"), PathBuf::from("/two")],
            from_files: false,
        };
        let read = files(&[
            ("/one", "A=one\nB=one\nC=one\n"),
            ("/two", "B=two\nC=two\n"),
        ]);
        let Outcome { env: out, set, .. } =
            apply(&sources, env(&["C=env", "PATH=/bin"]), &read).unwrap();
        assert_eq!(strings(&out), ["C=env", "PATH=/bin", "A=one", "B=two"]);
        assert_eq!(set, pairs(&[("A", "/one"), ("B", "/two")]));
    }

    #[test]
    fn name_file_sets_name_without_one_trailing_newline_and_keeps_name_file() {
        let sources = from_files();
        let read = files(&[
            ("/s/db", "secret\n\n"),
            ("/s/crlf", "pw\r\n"),
            ("/s/raw", "raw"),
        ]);
        let Outcome { env: out, set, .. } = apply(
            &sources,
            env(&[
                "DB_PASSWORD_FILE=/s/db",
                "FILE__API_KEY=/s/crlf",
                "TOKEN_FILE=/s/raw",
            ]),
            &read,
        )
        .unwrap();
        assert_eq!(
            strings(&out),
            [
                "DB_PASSWORD_FILE=/s/db",
                "FILE__API_KEY=/s/crlf",
                "TOKEN_FILE=/s/raw",
                "DB_PASSWORD=secret\n",
                "API_KEY=pw",
                "TOKEN=raw"
            ]
        );
        assert_eq!(set.len(), 3);
        assert!(set.iter().all(|(name, _)| !name.is_empty()));
    }

    #[test]
    fn both_set_is_an_error_naming_both_and_empty_counts_as_unset() {
        let sources = from_files();
        let read = files(&[("/s/db", "secret")]);
        let both = apply(
            &sources,
            env(&["DB_PASSWORD=x", "DB_PASSWORD_FILE=/s/db"]),
            &read,
        )
        .unwrap_err();
        assert_eq!(
            both,
            EnvFileError::Both {
                name: "DB_PASSWORD".into(),
                file_variable: "DB_PASSWORD_FILE".into()
            }
        );
        let message = both.to_string();
        assert!(
            message.contains("DB_PASSWORD and DB_PASSWORD_FILE"),
            "{message}"
        );
        // An empty NAME is replaced in place; an empty NAME_FILE asks nothing.
        let Outcome { env: out, .. } = apply(
            &sources,
            env(&["DB_PASSWORD=", "DB_PASSWORD_FILE=/s/db", "OTHER_FILE="]),
            &read,
        )
        .unwrap();
        assert_eq!(
            strings(&out),
            [
                "DB_PASSWORD=secret",
                "DB_PASSWORD_FILE=/s/db",
                "OTHER_FILE="
            ]
        );
        let two = apply(&sources, env(&["X_FILE=/s/db", "FILE__X=/s/db"]), &read).unwrap_err();
        assert!(matches!(two, EnvFileError::TwoFiles { .. }), "{two:?}");
    }

    #[test]
    fn rinit_variables_and_odd_names_are_not_requests() {
        let sources = from_files();
        let untouched = env(&[
            "RINIT_ENV_FILE=/nowhere",
            "_FILE=/nowhere",
            "FILE__=/nowhere",
            "9X_FILE=/nowhere",
            "A-B_FILE=/nowhere",
            "NOEQUALS_FILE",
        ]);
        let Outcome { env: out, set, .. } =
            apply(&sources, untouched.clone(), &files(&[])).unwrap();
        assert_eq!(out, untouched);
        assert!(set.is_empty());
    }

    #[test]
    fn only_the_entry_getenv_finds_counts() {
        let sources = from_files();
        let read = files(&[("/first", "1"), ("/second", "2")]);
        let Outcome { env: out, .. } =
            apply(&sources, env(&["A_FILE=/first", "A_FILE=/second"]), &read).unwrap();
        assert_eq!(strings(&out).last().unwrap(), "A=1");
    }

    #[test]
    fn errors_name_the_file_and_variable_never_the_value() {
        let sources = EnvSources {
            files: vec![PathBuf::from("/env")],
            from_files: true,
        };
        let error = apply(
            &sources,
            env(&["S_FILE=/missing"]),
            &files(&[("/env", "A=hunter2\n")]),
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "cannot read /missing (S_FILE): missing");
        let error = apply(
            &sources,
            env(&[]),
            &files(&[("/env", "A=hunter2\nB='hunter2\n")]),
        )
        .unwrap_err();
        let message = error.to_string();
        assert_eq!(message, "/env:2: the quote is never closed");
        let error = apply(&sources, env(&[]), &files(&[])).unwrap_err();
        assert_eq!(error.to_string(), "cannot read /env (--env-file): missing");
    }

    #[test]
    fn secrets_are_bounded_by_the_kernel_limit_of_one_variable() {
        let sources = from_files();
        let big = "x".repeat(SECRET_FILE_LIMIT as usize + 1);
        let fits = "x".repeat(SECRET_FILE_LIMIT as usize);
        let read = files(&[("/big", big.as_str()), ("/fits", fits.as_str())]);
        let outcome = apply(&sources, env(&["B_FILE=/big", "F_FILE=/fits"]), &read).unwrap();
        assert_eq!(strings(&outcome.env)[..2], ["B_FILE=/big", "F_FILE=/fits"]);
        assert_eq!(outcome.set, pairs(&[("F", "F_FILE")]));
        assert_eq!(outcome.too_large, pairs(&[("B_FILE", "/big")]));
        // An env file that large is refused.
        let big_env = format!("A={big}{big}{big}{big}{big}{big}{big}{big}{big}\n");
        let sources = EnvSources {
            files: vec![PathBuf::from("/env")],
            from_files: false,
        };
        let error = apply(&sources, env(&[]), &files(&[("/env", big_env.as_str())])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot read /env (--env-file): larger than 1024 KiB"
        );
    }

    #[test]
    fn nothing_asked_is_empty() {
        assert!(EnvSources::default().is_empty());
    }
}
