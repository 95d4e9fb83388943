//! rinit's own messages: stderr only, never mixed into the app's stdout.
//!
//! A log line must never stall rinit. Its stderr is often a pipe (Docker,
//! Podman, Kubernetes), and if the reader stops reading while staying alive,
//! a plain `write` blocks for good: rinit would stop reaping and forwarding.
//! The file description is shared with the app, so rinit cannot make it
//! non-blocking for itself alone. Instead, lines go into a bounded queue that
//! a writer thread empties; a line that does not fit is dropped and counted,
//! and the count is reported once stderr moves again. The main thread only
//! ever takes the queue's lock for a push, never across a write.
//!
//! The writer thread does not exist before the child is started: a thread
//! counts against the user's process limit (`ulimit -u`), and in debug mode
//! it would take the slot the app needs. Lines logged before then wait in
//! the queue (`release` lets them go). If the thread cannot be started, the
//! lines stay queued (overflow dropped and counted) and the start is
//! retried at a later line, at most once a second, and at exit, when the
//! child's slot is free again; writing them synchronously instead could
//! block PID 1 on a pipe nobody reads. At exit, if there is still no
//! thread, the queue is written only while stderr has room for a line.
//!
//! rinit writes only to the stderr it started with. If descriptor 2 was
//! closed then, rinit's messages go nowhere: no logger is installed, and
//! the placeholder that holds the number (see `sys::hold_closed_stdio`)
//! takes no write. A message is always one line: in text lines, control
//! characters and the characters that move or reorder text (U+2028,
//! U+2029, the bidirectional controls) are escaped (`escape_char`), the
//! same in names and paths from outside (`printable`) and in JSON.
//!
//! The wording of system errors is here too (`os_error`), so that each
//! message reads the same whatever C library rinit is built with.

use crate::sys;
use log::LevelFilter;
use nix::errno::Errno;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How many bytes of log lines may wait for stderr: room for a burst of
/// debug lines (a thousand reaped orphans is about 45 KiB) while a slow
/// reader catches up. Memory is taken only while lines wait.
const QUEUE_BYTES: usize = 256 * 1024;

/// How long rinit waits, at exit, for queued lines to reach stderr.
const FLUSH_WAIT: Duration = Duration::from_millis(500);

/// How long after a failed start of the writer thread it is tried again.
const RETRY_WRITER: Duration = Duration::from_secs(1);

/// The size up to which a write to a pipe with room never blocks.
const PIPE_BUF: usize = 4096;

/// Whether descriptor 2 was open when rinit started (`remember_stderr`).
static STDERR_OPEN: AtomicBool = AtomicBool::new(true);

/// Records, first thing at start, whether rinit has a stderr to write to.
pub(crate) fn remember_stderr(open: bool) {
    STDERR_OPEN.store(open, Ordering::Relaxed);
}

/// Writes `text` straight to stderr (a usage error, a peer's exact line), if
/// rinit started with one. A failed write is not worth a panic.
pub(crate) fn write_stderr(text: &str) {
    if STDERR_OPEN.load(Ordering::Relaxed) {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

/// How each log line is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// `rinit: warn: message`
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    pub(crate) fn parse(text: &str) -> Result<LogFormat, String> {
        match text {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("'{text}' is not one of text, json")),
        }
    }
}

/// `verbosity`: 0 errors only, 1 warnings (the default), 2 info, 3 debug,
/// 4 trace. `filter`, from `RINIT_LOG`, is an `env_logger` filter that
/// overrides it.
pub(crate) fn init(name: &'static str, verbosity: u8, filter: Option<&str>, format: LogFormat) {
    if !STDERR_OPEN.load(Ordering::Relaxed) {
        // Nowhere to write: no logger, and `log` leaves every level off.
        return;
    }
    let _ = SETTINGS.set((name, format));
    let level = match verbosity {
        0 => LevelFilter::Error,
        1 => LevelFilter::Warn,
        2 => LevelFilter::Info,
        3 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level);
    if let Some(filter) = filter {
        builder.parse_filters(filter);
    }
    builder
        .target(env_logger::Target::Pipe(Box::new(QueueWriter)))
        .format(move |out, record| {
            let level = record.level().as_str().to_ascii_lowercase();
            match format {
                LogFormat::Text => {
                    let message = record.args().to_string();
                    writeln!(out, "{name}: {level}: {}", one_line(&message))
                }
                LogFormat::Json => {
                    let since_epoch = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default();
                    let line = json_line(since_epoch, &level, name, record);
                    out.write_all(line.as_bytes())
                }
            }
        });
    // Fails only if a logger is already installed, which cannot happen here.
    let _ = builder.try_init();
}

/// The child has been started (or will not be): the writer thread may take
/// a process slot now, at the first line, or at once for lines waiting.
pub(crate) fn release() {
    let mut state = lock();
    if state.writer == Writer::Held {
        state.writer = Writer::Idle;
        if !state.lines.is_empty() {
            start(&mut state);
        }
    }
}

/// Waits up to `FLUSH_WAIT` for the queued lines to be written, so that the
/// last lines before exit are not lost; gives up on a stalled stderr.
pub(crate) fn flush() {
    if SETTINGS.get().is_none() {
        return; // no logger, no lines
    }
    release();
    let deadline = Instant::now() + FLUSH_WAIT;
    let mut state = lock();
    if matches!(state.writer, Writer::Refused(_)) {
        // The child has exited: its process slot may be free now.
        start(&mut state);
    }
    if matches!(state.writer, Writer::Refused(_)) {
        write_while_room(state, deadline);
        return;
    }
    while !state.lines.is_empty() || state.writing {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        state = match IDLE.wait_timeout(state, left) {
            Ok((state, _)) => state,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
}

/// Without a writer thread at exit: writes the queued lines while stderr
/// takes a line without blocking (a pipe with room takes up to `PIPE_BUF`
/// bytes whole), until `deadline`; the rest is dropped.
fn write_while_room(mut state: MutexGuard<'static, QueueState>, deadline: Instant) {
    let mut stderr = std::io::stderr();
    while let Some(line) = state.lines.pop_front() {
        let left = deadline.saturating_duration_since(Instant::now());
        if line.len() > PIPE_BUF || !sys::writable_within(2, left) {
            return;
        }
        let _ = stderr.write_all(&line);
    }
}

/// What env_logger writes to: each record arrives as one `write_all`.
struct QueueWriter;

impl Write for QueueWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = lock();
        if state.bytes + line.len() > QUEUE_BYTES {
            state.dropped += 1;
        } else {
            state.bytes += line.len();
            state.lines.push_back(line.to_vec());
        }
        match state.writer {
            Writer::Running => WORK.notify_one(),
            Writer::Idle => start(&mut state),
            Writer::Refused(at) if at.elapsed() >= RETRY_WRITER => start(&mut state),
            Writer::Held | Writer::Refused(_) => {}
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct QueueState {
    lines: VecDeque<Vec<u8>>,
    bytes: usize,
    /// Lines dropped since the last report.
    dropped: u64,
    /// The writer is in `write` with a line taken off the queue.
    writing: bool,
    writer: Writer,
}

/// Whether the writer thread runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Writer {
    /// Not before the child is started (see the module notes).
    Held,
    /// Allowed, and started by the next line.
    Idle,
    Running,
    /// Could not be started at this moment; tried again a second later.
    Refused(Instant),
}

static QUEUE: Mutex<QueueState> = Mutex::new(QueueState {
    lines: VecDeque::new(),
    bytes: 0,
    dropped: 0,
    writing: false,
    writer: Writer::Held,
});
/// A line was queued.
static WORK: Condvar = Condvar::new();
/// The queue is empty and nothing is being written.
static IDLE: Condvar = Condvar::new();
/// The program name and format the lines are written with; set by `init`
/// when there is a stderr to write to.
static SETTINGS: OnceLock<(&'static str, LogFormat)> = OnceLock::new();

fn lock() -> MutexGuard<'static, QueueState> {
    // Nothing panics while holding the lock, but a poisoned lock must not
    // silence rinit either.
    QUEUE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the writer thread, holding the queue's lock (the thread waits for
/// it); records whether it could be started.
fn start(state: &mut QueueState) {
    let Some(&(name, format)) = SETTINGS.get() else {
        return;
    };
    state.writer = if start_writer(name, format) {
        Writer::Running
    } else {
        Writer::Refused(Instant::now())
    };
}

/// Starts the writer thread; false if it could not be started.
fn start_writer(name: &'static str, format: LogFormat) -> bool {
    // Never a signal meant for rinit (an unblocked SIGTERM would kill it
    // outright), whatever the moment of the first log line: see
    // `sys::spawn_thread`.
    sys::spawn_thread("log-writer", 64 * 1024, move || write_forever(name, format)).is_ok()
}

fn write_forever(name: &'static str, format: LogFormat) {
    let mut stderr = std::io::stderr();
    loop {
        let (line, dropped) = {
            let mut state = lock();
            while state.lines.is_empty() {
                state.writing = false;
                IDLE.notify_all();
                state = WORK.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            let line = state.lines.pop_front().unwrap_or_default();
            state.bytes -= line.len();
            state.writing = true;
            (line, std::mem::take(&mut state.dropped))
        };
        if dropped > 0 {
            let message = format!("{dropped} log lines were dropped: stderr was not keeping up");
            let note = match format {
                LogFormat::Text => format!("{name}: warn: {message}\n"),
                LogFormat::Json => {
                    let since_epoch = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default();
                    let fields = [("dropped", dropped)];
                    let args = format_args!("{message}");
                    let record = log::Record::builder()
                        .args(args)
                        .key_values(&fields)
                        .build();
                    json_line(since_epoch, "warn", name, &record)
                }
            };
            let _ = stderr.write_all(note.as_bytes());
        }
        // Errors (a closed pipe, a full disk) lose only this line.
        let _ = stderr.write_all(&line);
    }
}

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
fn one_line(message: &str) -> Cow<'_, str> {
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
/// available"). Running out of descriptors also names the limit reached,
/// the one thing the user can change.
pub(crate) fn os_error(errno: Errno) -> String {
    let limit = match errno {
        Errno::EMFILE => sys::open_file_limit(),
        _ => None,
    };
    os_error_text(errno, limit)
}

/// `os_error` for an `io::Error`; one that is not a system error keeps its
/// own text.
pub(crate) fn io_error(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(raw) => os_error(Errno::from_raw(raw)),
        None => error.to_string(),
    }
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

/// `os_error` once the limit on open descriptors is known.
fn os_error_text(errno: Errno, open_file_limit: Option<u64>) -> String {
    let mut text = format!("{} (os error {})", errno.desc(), errno as i32);
    if let Some(limit) = open_file_limit {
        text.push_str(&format!("; the open-file limit is {limit}"));
    }
    text
}

// ---- JSON lines ------------------------------------------------------------

/// One log record as a JSON object on one line: `time` (RFC 3339, UTC,
/// milliseconds), `level`, `program`, `message`, then the record's fields.
/// Written by hand: the format is small and fixed, and a JSON library would
/// cost more of the binary than all of this.
fn json_line(
    since_epoch: std::time::Duration,
    level: &str,
    program: &str,
    record: &log::Record,
) -> String {
    let mut line = String::with_capacity(160);
    line.push_str("{\"time\":\"");
    line.push_str(&rfc3339(since_epoch));
    line.push_str("\",\"level\":");
    push_json_string(&mut line, level);
    line.push_str(",\"program\":");
    push_json_string(&mut line, program);
    line.push_str(",\"message\":");
    push_json_string(&mut line, &record.args().to_string());
    let _ = record.key_values().visit(&mut JsonFields(&mut line));
    line.push_str("}\n");
    line
}

/// Appends `text` as a JSON string: quotes, backslashes and every control
/// character escaped, so that one record stays one line.
fn push_json_string(out: &mut String, text: &str) {
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

/// `2024-05-01T12:34:56.789Z` from the time since the Unix epoch.
fn rfc3339(since_epoch: std::time::Duration) -> String {
    let secs = since_epoch.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since_epoch.subsec_millis()
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01: eras of
/// 400 years (146,097 days) starting on 1 March, so that the leap day comes
/// last in its year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days from 0000-03-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Writes each field as `,"key":value`: numbers and booleans as themselves,
/// strings as strings, and a missing value (or another kind) not at all.
struct JsonFields<'a>(&'a mut String);

impl<'kvs> log::kv::VisitSource<'kvs> for JsonFields<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        let mut rendered = String::new();
        value.visit(JsonValue(&mut rendered))?;
        if !rendered.is_empty() {
            self.0.push(',');
            push_json_string(self.0, key.as_str());
            self.0.push(':');
            self.0.push_str(&rendered);
        }
        Ok(())
    }
}

struct JsonValue<'a>(&'a mut String);

impl<'v> log::kv::VisitValue<'v> for JsonValue<'_> {
    /// rinit's own fields are numbers, booleans and strings; any other kind
    /// is left out rather than formatted through `Display`, which would link
    /// the float formatting machinery (some 15 KB) into the binary.
    fn visit_any(&mut self, _value: log::kv::Value) -> Result<(), log::kv::Error> {
        Ok(())
    }

    fn visit_null(&mut self) -> Result<(), log::kv::Error> {
        Ok(())
    }

    fn visit_u64(&mut self, value: u64) -> Result<(), log::kv::Error> {
        self.0.push_str(&value.to_string());
        Ok(())
    }

    fn visit_i64(&mut self, value: i64) -> Result<(), log::kv::Error> {
        self.0.push_str(&value.to_string());
        Ok(())
    }

    fn visit_bool(&mut self, value: bool) -> Result<(), log::kv::Error> {
        self.0.push_str(if value { "true" } else { "false" });
        Ok(())
    }

    fn visit_str(&mut self, value: &str) -> Result<(), log::kv::Error> {
        push_json_string(self.0, value);
        Ok(())
    }
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
            os_error_text(Errno::EMFILE, Some(3)),
            "Too many open files (os error 24); the open-file limit is 3"
        );
        assert_eq!(
            os_error_text(Errno::EAGAIN, None),
            "Try again (os error 11)"
        );
        assert_eq!(
            io_error(&io::Error::from_raw_os_error(libc::ENOENT)),
            "No such file or directory (os error 2)"
        );
        assert_eq!(io_error(&io::Error::other("odd")), "odd");
    }

    use std::time::Duration;

    fn line(message: &str, fields: &[(&str, log::kv::Value)]) -> String {
        let args = format_args!("{message}");
        let record = log::Record::builder()
            .args(args)
            .key_values(&fields)
            .build();
        json_line(
            Duration::from_millis(1_700_000_000_123),
            "warn",
            "rinit",
            &record,
        )
    }

    #[test]
    fn a_record_is_one_json_object_on_one_line() {
        assert_eq!(
            line(
                "'app' (pid 7) was killed by SIGSEGV",
                &[
                    ("pid", 7u64.into()),
                    ("signal", "SIGSEGV".into()),
                    ("core_dumped", true.into()),
                    ("exit_code", (-1i64).into()),
                    ("memory_limit", log::kv::Value::null()),
                ]
            ),
            "{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"warn\",\"program\":\"rinit\",\
             \"message\":\"'app' (pid 7) was killed by SIGSEGV\",\"pid\":7,\"signal\":\"SIGSEGV\",\
             \"core_dumped\":true,\"exit_code\":-1}\n"
        );
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\nd\te\u{1}\u{7f}\u{2028}\u{202e}é");
        assert_eq!(out, r#""a\"b\\c\nd\te\u0001\u007f\u2028\u202eé""#);
        let text = line("x\ny", &[("name", "\"q\"".into())]);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.trim_end()
                .ends_with(r#""message":"x\ny","name":"\"q\""}"#),
            "{text}"
        );
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(Duration::ZERO), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(951_868_799)),
            "2000-02-29T23:59:59.000Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(4_107_542_400)),
            "2100-03-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339(Duration::from_millis(1_735_689_599_999)),
            "2024-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn formats_parse() {
        assert_eq!(LogFormat::parse("json"), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Ok(LogFormat::Text));
        assert!(LogFormat::parse("JSON").is_err());
        assert!(LogFormat::parse("").is_err());
    }
}
