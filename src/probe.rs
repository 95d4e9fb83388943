//! The probe engine behind `--probe` (a HEALTHCHECK with no curl in the
//! image), `--wait-for` (start ordering) and `--ready-when` (sd_notify
//! readiness): one check of a list of targets, each bounded by one deadline.
//!
//! Each target is checked on a thread of its own, with the standard
//! library's blocking calls and their time-outs: name resolution (the C
//! library's `getaddrinfo`) has no time-out of its own, and a target that
//! hangs must neither hold up the others nor make rinit outlive its own
//! time-out. The caller waits for the answers on a pipe, beside the
//! signalfd when a signal must end the wait at once; a thread still stuck
//! at the deadline is abandoned, its target counted as timed out. Nothing
//! here runs unless one of the three options is given.

use std::fmt;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// What a probe checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `tcp://HOST:PORT`: a connection is accepted.
    Tcp { host: String, port: u16 },
    /// `http://HOST[:PORT][/PATH]`: an HTTP/1.1 GET answers 200-399, as
    /// Kubernetes' httpGet counts it.
    Http {
        host: String,
        port: u16,
        path: String,
    },
    /// `unix:PATH`: a stream socket accepts a connection (`unix:@NAME`: in
    /// the abstract namespace).
    Unix(PathBuf),
    /// `file:PATH`: the file exists.
    File(PathBuf),
}

impl Target {
    /// Parses a target; the error says what is wrong with it (the caller
    /// names the target and the option).
    pub fn parse(text: &str) -> Result<Target, String> {
        if let Some(rest) = text.strip_prefix("tcp://") {
            let (host, port) = host_and_port(rest, None)?;
            return Ok(Target::Tcp { host, port });
        }
        if let Some(rest) = text.strip_prefix("http://") {
            let (authority, path) = match rest.find(['/', '?']) {
                Some(at) => (&rest[..at], &rest[at..]),
                None => (rest, "/"),
            };
            let path = if path.starts_with('?') {
                format!("/{path}")
            } else {
                path.to_owned()
            };
            if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                return Err("the path holds a space or a control character".to_owned());
            }
            let (host, port) = host_and_port(authority, Some(80))?;
            return Ok(Target::Http { host, port, path });
        }
        if let Some(path) = text.strip_prefix("unix:") {
            return non_empty(path, "unix:PATH").map(Target::Unix);
        }
        if let Some(path) = text.strip_prefix("file:") {
            return non_empty(path, "file:PATH").map(Target::File);
        }
        if text.starts_with("https://") {
            return Err("rinit speaks no TLS: probe http:// or tcp:// instead".to_owned());
        }
        Err(
            "expected tcp://HOST:PORT, http://HOST[:PORT][/PATH], unix:PATH or file:PATH"
                .to_owned(),
        )
    }
}

fn non_empty(path: &str, form: &str) -> Result<PathBuf, String> {
    if path.is_empty() {
        return Err(format!("expected {form}, with a path"));
    }
    Ok(PathBuf::from(path))
}

/// `HOST:PORT`, `[V6]:PORT`, or with a default port `HOST` alone.
fn host_and_port(text: &str, default_port: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address in [brackets] is not closed")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{host:?} in brackets is not an IPv6 address"));
        }
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err("expected :PORT after the ]".to_owned()),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("the host is missing".to_owned());
    }
    if host.contains(['/', '@', ' ', ':']) && !text.starts_with('[') {
        return Err(format!("{host:?} is not a host name or address"));
    }
    let port = match (port, default_port) {
        (Some(port), _) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(format!("{port:?} is not a port (1-65535)")),
        },
        (None, Some(port)) => port,
        (None, None) => return Err("the port is missing (HOST:PORT)".to_owned()),
    };
    Ok((host.to_owned(), port))
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = |host: &str| {
            if host.contains(':') {
                format!("[{host}]")
            } else {
                host.to_owned()
            }
        };
        match self {
            Target::Tcp { host: h, port } => write!(f, "tcp://{}:{port}", host(h)),
            Target::Http {
                host: h,
                port,
                path,
            } => write!(f, "http://{}:{port}{path}", host(h)),
            Target::Unix(path) => write!(f, "unix:{}", path.display()),
            Target::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// Why a target did not pass, in the words of its one line on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    TimedOut(Duration),
    Refused,
    /// An HTTP status outside 200-399.
    Status(u16),
    /// Anything else: no such file, cannot resolve, reset, not HTTP.
    Other(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::TimedOut(after) => write!(f, "timed out after {after:?}"),
            Failure::Refused => f.write_str("connection refused"),
            Failure::Status(code) => write!(f, "status {code}"),
            Failure::Other(why) => f.write_str(why),
        }
    }
}

/// How one check of a list of targets ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Checked {
    /// Each target's result, in the order given.
    Done(Vec<Result<(), Failure>>),
    /// The descriptor given as `interrupt` became readable first (a signal
    /// arrived): the answers no longer matter.
    Interrupted,
}

/// Each target's answer, once it is in.
type Answers = Vec<Option<Result<(), Failure>>>;

/// Checks every target once, all at the same time, within `timeout`.
/// `interrupt` (the signalfd) ends the wait as soon as it is readable.
pub(crate) fn check_all(
    targets: &[Target],
    timeout: Duration,
    interrupt: Option<BorrowedFd<'_>>,
) -> Checked {
    let deadline = Instant::now() + timeout;
    let results: Arc<Mutex<Answers>> = Arc::new(Mutex::new(vec![None; targets.len()]));
    // Each thread writes one byte when its answer is in: the wait is a poll
    // of this pipe and the interrupt, never a sleep.
    let Ok(pipe) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return Checked::Done(
            targets
                .iter()
                .map(|t| check(t, deadline, timeout))
                .collect(),
        );
    };
    // Each thread holds both ends: a thread that answers after the wait
    // gave up must find a reader still there, or the write would raise
    // SIGPIPE and kill rinit.
    let pipe = Arc::new(pipe);
    let mut pending = 0;
    for (at, target) in targets.iter().enumerate() {
        if start_check(target, at, deadline, timeout, &results, &pipe) {
            pending += 1;
        }
    }
    while pending > 0 {
        match wait_readable(&pipe.0, interrupt, deadline) {
            Woke::Answer => {
                let mut byte = [0u8; 1];
                if nix::unistd::read(&pipe.0, &mut byte) == Ok(1) {
                    pending -= 1;
                }
            }
            Woke::Interrupt => return Checked::Interrupted,
            Woke::Deadline => break,
        }
    }
    let results = results.lock().map(|r| r.clone()).unwrap_or_default();
    Checked::Done(
        results
            .into_iter()
            .chain(std::iter::repeat(None))
            .take(targets.len())
            .map(|r| r.unwrap_or(Err(Failure::TimedOut(timeout))))
            .collect(),
    )
}

/// Starts the check of `target` on a thread of its own, which puts the
/// answer at `at` in `results` and writes a byte into `pipe` when it is in.
/// Returns false when no thread could be had (a process limit): the check
/// then ran here.
fn start_check(
    target: &Target,
    at: usize,
    deadline: Instant,
    timeout: Duration,
    results: &Arc<Mutex<Answers>>,
    pipe: &Arc<(OwnedFd, OwnedFd)>,
) -> bool {
    let (mine, shared, pipe) = (target.clone(), results.clone(), pipe.clone());
    let spawned = crate::sys::spawn_thread("rinit-probe", 64 << 10, move || {
        let result = check(&mine, deadline, timeout);
        if let Ok(mut results) = shared.lock() {
            results[at] = Some(result);
        }
        let _ = nix::unistd::write(pipe.1.as_fd(), b"x");
    });
    if spawned.is_ok() {
        return true;
    }
    let result = check(target, deadline, timeout);
    if let Ok(mut results) = results.lock() {
        results[at] = Some(result);
    }
    false
}

/// One target within `timeout`, on the calling thread: for a thread that
/// does nothing else (the readiness watch), where a name that takes long
/// to resolve delays only that thread.
pub(crate) fn check_one(target: &Target, timeout: Duration) -> Result<(), Failure> {
    check(target, Instant::now() + timeout, timeout)
}

enum Woke {
    Answer,
    Interrupt,
    Deadline,
}

fn wait_readable(answers: &OwnedFd, interrupt: Option<BorrowedFd<'_>>, deadline: Instant) -> Woke {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Woke::Deadline;
        }
        let millis = left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
        let mut fds: Vec<PollFd<'_>> = std::iter::once(answers.as_fd())
            .chain(interrupt)
            .map(|fd| PollFd::new(fd, PollFlags::POLLIN))
            .collect();
        match poll(
            &mut fds,
            PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(n) if n > 0 => {
                let readable = |fd: &PollFd<'_>| fd.revents().is_some_and(|r| !r.is_empty());
                if fds.get(1).is_some_and(readable) {
                    return Woke::Interrupt;
                }
                if readable(&fds[0]) {
                    return Woke::Answer;
                }
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return Woke::Deadline,
        }
    }
}

/// One target, by `deadline`; a time-out is reported as the whole
/// `timeout`, whichever step ran out of it.
fn check(target: &Target, deadline: Instant, timeout: Duration) -> Result<(), Failure> {
    let result = match target {
        Target::File(path) => match std::fs::metadata(path) {
            Ok(_) => Ok(()),
            Err(e) => Err(Failure::Other(crate::text::c_library_text(&e))),
        },
        Target::Unix(path) => unix_connect(path).map(drop),
        Target::Tcp { host, port } => connect(host, *port, deadline).map(drop),
        Target::Http { host, port, path } => connect(host, *port, deadline)
            .and_then(|stream| http_get(stream, host, *port, path, deadline)),
    };
    result.map_err(|failure| match failure {
        Failure::TimedOut(_) => Failure::TimedOut(timeout),
        other => other,
    })
}

fn unix_connect(path: &std::path::Path) -> Result<UnixStream, Failure> {
    let text = path.as_os_str().as_encoded_bytes();
    let result = match text.strip_prefix(b"@") {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            std::os::unix::net::SocketAddr::from_abstract_name(name)
                .and_then(|addr| UnixStream::connect_addr(&addr))
        }
        None => UnixStream::connect(path),
    };
    result.map_err(|e| failure_of(&e, Duration::ZERO))
}

/// A connection to the first of HOST's addresses that accepts one.
fn connect(host: &str, port: u16, deadline: Instant) -> Result<TcpStream, Failure> {
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| {
                Failure::Other(format!(
                    "cannot resolve {host}: {}",
                    crate::text::c_library_text(&e)
                ))
            })?
            .collect(),
    };
    let mut last = Failure::Other(format!("{host} has no address"));
    for address in addresses {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(&address, left) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = failure_of(&e, left),
        }
    }
    Err(last)
}

/// `GET PATH` over `stream`; healthy is a status from 200 to 399.
fn http_get(
    mut stream: TcpStream,
    host: &str,
    port: u16,
    path: &str,
    deadline: Instant,
) -> Result<(), Failure> {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: rinit-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    let timed_out = |left: Duration| move |e: std::io::Error| failure_of(&e, left);
    let left = deadline.saturating_duration_since(Instant::now());
    stream
        .set_write_timeout(Some(left.max(Duration::from_millis(1))))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(timed_out(left))?;
    // The status line is all that matters; it comes first.
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::TimedOut(left));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(timed_out(left))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(failure_of(&e, left)),
        }
    }
    match status_of(&head) {
        Some(code) if (200..400).contains(&code) => Ok(()),
        Some(code) => Err(Failure::Status(code)),
        None if head.is_empty() => Err(Failure::Other(
            "the connection closed without an answer".to_owned(),
        )),
        None => Err(Failure::Other("the answer is not HTTP".to_owned())),
    }
}

/// The status code of an HTTP/1.x status line.
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let rest = line.strip_prefix(b"HTTP/1.")?;
    let code = rest.get(2..5)?;
    if rest.get(1) != Some(&b' ') || !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(code).ok()?.parse().ok()
}

fn failure_of(error: &std::io::Error, waited: Duration) -> Failure {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => Failure::Refused,
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Failure::TimedOut(waited),
        _ => Failure::Other(crate::text::c_library_text(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Target {
        Target::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn targets_parse_and_print_back() {
        for (text, shown) in [
            ("tcp://127.0.0.1:5432", "tcp://127.0.0.1:5432"),
            ("tcp://db:5432", "tcp://db:5432"),
            ("tcp://[::1]:80", "tcp://[::1]:80"),
            (
                "http://127.0.0.1:8080/healthz",
                "http://127.0.0.1:8080/healthz",
            ),
            ("http://app", "http://app:80/"),
            ("http://app?x=1", "http://app:80/?x=1"),
            ("http://[::1]/ready", "http://[::1]:80/ready"),
            ("unix:/run/app.sock", "unix:/run/app.sock"),
            ("unix:@abstract", "unix:@abstract"),
            ("file:/tmp/ready", "file:/tmp/ready"),
        ] {
            assert_eq!(parse(text).to_string(), shown, "{text}");
        }
        assert_eq!(
            parse("http://h:81/a/b?c"),
            Target::Http {
                host: "h".into(),
                port: 81,
                path: "/a/b?c".into()
            }
        );
    }

    #[test]
    fn malformed_targets_say_what_is_wrong() {
        for (text, words) in [
            ("tcp://db", "port is missing"),
            ("tcp://:80", "host is missing"),
            ("tcp://db:0", "not a port"),
            ("tcp://db:99999", "not a port"),
            ("tcp://db:http", "not a port"),
            ("tcp://[::1:80", "not closed"),
            ("tcp://[db]:80", "not an IPv6"),
            ("tcp://user@db:80", "not a host"),
            ("http://a b/", "not a host"),
            ("http://h/a b", "space"),
            ("https://h/", "no TLS"),
            ("unix:", "with a path"),
            ("file:", "with a path"),
            ("ftp://h", "expected tcp://"),
            ("", "expected tcp://"),
        ] {
            let error = Target::parse(text).unwrap_err();
            assert!(error.contains(words), "{text:?}: {error}");
        }
    }

    #[test]
    fn status_lines() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(
            status_of(b"HTTP/1.0 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(status_of(b"HTTP/1.1 302\r\n"), Some(302));
        assert_eq!(status_of(b"HTTP/2 200\r\n"), None);
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b"HTTP/1.1 2x0 OK"), None);
        assert_eq!(status_of(b""), None);
    }

    #[test]
    fn failures_in_words() {
        assert_eq!(Failure::Status(503).to_string(), "status 503");
        assert_eq!(Failure::Refused.to_string(), "connection refused");
        assert_eq!(
            Failure::TimedOut(Duration::from_millis(800)).to_string(),
            "timed out after 800ms"
        );
    }
}
