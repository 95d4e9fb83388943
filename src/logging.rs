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
//! takes no write. A message is always one line, in text and in JSON
//! (the escaping is `text`'s).

use crate::sys;
use crate::text::{one_line, push_json_string};
use log::LevelFilter;
use std::collections::VecDeque;
use std::io::Write;
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
            out.write_all(render(format, name, &level, record).as_bytes())
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
            let fields = [("dropped", dropped)];
            // One expression: Rust 1.85, the oldest the README names, does not
            // let `format_args!` outlive its statement.
            let note = render(
                format,
                name,
                "warn",
                &log::Record::builder()
                    .args(format_args!(
                        "{dropped} log lines were dropped: stderr was not keeping up"
                    ))
                    .key_values(&fields)
                    .build(),
            );
            let _ = stderr.write_all(note.as_bytes());
        }
        // Errors (a closed pipe, a full disk) lose only this line.
        let _ = stderr.write_all(&line);
    }
}

/// `record` as the line written for it: `name: level: message` in text,
/// one JSON object with the record's fields in JSON.
fn render(format: LogFormat, name: &str, level: &str, record: &log::Record) -> String {
    match format {
        LogFormat::Text => {
            let message = record.args().to_string();
            format!("{name}: {level}: {}\n", one_line(&message))
        }
        LogFormat::Json => {
            let since_epoch = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            json_line(since_epoch, level, name, record)
        }
    }
}

// ---- JSON lines ------------------------------------------------------------

/// One log record as a JSON object on one line: `time` (RFC 3339, UTC,
/// milliseconds), `level`, `program`, `message`, then the record's fields.
/// Written by hand: the format is small and fixed, a JSON library would
/// cost more of the binary than all of this, and its strings are escaped
/// more strictly than such a library does (see `push_json_string`).
fn json_line(since_epoch: Duration, level: &str, program: &str, record: &log::Record) -> String {
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

/// `2024-05-01T12:34:56.789Z` from the time since the Unix epoch. A clock
/// set past the year 9999 (which RFC 3339 cannot write) shows its last
/// millisecond: `humantime` would fail the line, and a log line is no
/// reason to stop PID 1.
fn rfc3339(since_epoch: Duration) -> String {
    const LAST: Duration = Duration::from_millis(253_402_300_799_999);
    let time = std::time::UNIX_EPOCH + since_epoch.min(LAST);
    humantime::format_rfc3339_millis(time).to_string()
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
        for (since_epoch, stamp) in [
            (Duration::ZERO, "1970-01-01T00:00:00.000Z"),
            (Duration::from_secs(951_782_400), "2000-02-29T00:00:00.000Z"),
            (Duration::from_secs(951_868_799), "2000-02-29T23:59:59.000Z"),
            (
                Duration::from_secs(4_107_542_400),
                "2100-03-01T00:00:00.000Z",
            ),
            (
                Duration::from_millis(1_735_689_599_999),
                "2024-12-31T23:59:59.999Z",
            ),
            (Duration::from_secs(u64::MAX), "9999-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(rfc3339(since_epoch), stamp);
        }
    }

    #[test]
    fn formats_parse() {
        assert_eq!(LogFormat::parse("json"), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse("text"), Ok(LogFormat::Text));
        assert!(LogFormat::parse("JSON").is_err());
        assert!(LogFormat::parse("").is_err());
    }
}
