//! The probe engine through the built binary: `--probe` as a HEALTHCHECK
//! (each target kind passing and failing, bounded by its time-out),
//! `--wait-for` as a start gate (as PID 1: a listener that appears later,
//! the time-out, SIGTERM during the wait) and `--ready-when` telling a
//! `NOTIFY_SOCKET` bound here READY=1 only once the app listens, then
//! STOPPING=1.

mod common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::time::{Duration, Instant};

/// `rinit --probe ...` run as an engine's health check runs it: a plain
/// process, not an init.
fn probe(args: &[&str]) -> Finished {
    let mut all = vec!["--probe-timeout", "2s"];
    all.extend_from_slice(args);
    run(rinit_direct(&all))
}

/// A one-request-at-a-time HTTP server on loopback answering every request
/// with `status`; returns its address.
fn http_server(status: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            let answer =
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    address
}

/// A port nothing listens on: bound, then let go.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

#[test]
fn probe_tcp_passes_on_a_listener_and_fails_on_a_closed_port() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = format!("tcp://{}", listener.local_addr().unwrap());
    let done = probe(&["--probe", &open]);
    assert_eq!((done.code, done.stderr.as_str()), (0, ""), "{done:?}");
    let closed = format!("tcp://{}", closed_port());
    let done = probe(&["--probe", &closed]);
    assert_eq!(done.code, 1, "{done:?}");
    assert_eq!(
        done.stderr,
        format!("rinit: {closed}: connection refused\n")
    );
}

#[test]
fn probe_http_counts_200_to_399_as_healthy() {
    for (status, healthy) in [
        ("200 OK", true),
        ("204 No Content", true),
        ("302 Found", true),
        ("404 Not Found", false),
        ("503 Service Unavailable", false),
    ] {
        let target = format!("http://{}/healthz", http_server(status));
        let done = probe(&["--probe", &target]);
        if healthy {
            assert_eq!(
                (done.code, done.stderr.as_str()),
                (0, ""),
                "{status}: {done:?}"
            );
        } else {
            assert_eq!(done.code, 1, "{status}: {done:?}");
            let code = &status[..3];
            assert_eq!(done.stderr, format!("rinit: {target}: status {code}\n"));
        }
    }
}

#[test]
fn probe_http_sends_a_get_for_the_path_with_the_host() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 512];
        while !request.ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "the request ended early: {request:?}");
            request.extend_from_slice(&buf[..n]);
        }
        stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
        String::from_utf8(request).unwrap()
    });
    let done = probe(&["--probe", &format!("http://{address}/ready?deep=1")]);
    assert_eq!(done.code, 0, "{done:?}");
    let request = server.join().unwrap();
    assert!(
        request.starts_with("GET /ready?deep=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains(&format!("\r\nHost: {address}\r\n")),
        "{request}"
    );
}

#[test]
fn probe_of_a_server_that_never_answers_fails_within_its_timeout() {
    // Accepted by the kernel (the backlog), never answered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://{}/", listener.local_addr().unwrap());
    let cmd = rinit_direct(&["--probe-timeout", "300ms", "--probe", &target]);
    let started = Instant::now();
    let done = run(cmd);
    let took = started.elapsed();
    assert_eq!(done.code, 1, "{done:?}");
    assert_eq!(
        done.stderr,
        format!("rinit: {target}: timed out after 300ms\n")
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    drop(listener);
}

#[test]
fn probe_unix_and_file_targets() {
    let scratch = Scratch::new("probe-unix");
    let socket = scratch.file("app.sock");
    let _listener = UnixListener::bind(&socket).unwrap();
    let present = scratch.write("ready", "", 0o644);
    let done = probe(&[
        "--probe",
        &format!("unix:{socket}"),
        "--probe",
        &format!("file:{present}"),
    ]);
    assert_eq!((done.code, done.stderr.as_str()), (0, ""), "{done:?}");
    let missing = scratch.file("missing");
    let done = probe(&[
        "--probe",
        &format!("unix:{missing}"),
        "--probe",
        &format!("file:{missing}"),
    ]);
    assert_eq!(done.code, 1, "{done:?}");
    // One line per failing target, in the order given.
    let lines: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{done:?}");
    assert!(
        lines[0].starts_with(&format!("rinit: unix:{missing}: ")),
        "{done:?}"
    );
    assert!(
        lines[1].starts_with(&format!("rinit: file:{missing}: ")),
        "{done:?}"
    );
    assert!(lines[1].contains("No such file"), "{done:?}");
}

#[test]
fn probe_checks_every_target_and_reports_each_failure() {
    let good = format!("http://{}/", http_server("200 OK"));
    let bad = format!("http://{}/", http_server("500 Internal Server Error"));
    let closed = format!("tcp://{}", closed_port());
    let done = probe(&["--probe", &bad, "--probe", &good, "--probe", &closed]);
    assert_eq!(done.code, 1, "{done:?}");
    assert_eq!(
        done.stderr,
        format!("rinit: {bad}: status 500\nrinit: {closed}: connection refused\n")
    );
}

#[test]
fn probe_usage_errors_exit_2_naming_the_target() {
    for args in [
        &["--probe", "https://example/"][..],
        &["--probe", "tcp://db"],
        &["--probe", "tcp://127.0.0.1:1", "--", "true"],
        &["--probe", "file:/x", "--pause"],
        &["--probe", "file:/x", "--probe-timeout", "0"],
    ] {
        let done = run(rinit_direct(args));
        assert_eq!(done.code, 2, "{args:?}: {done:?}");
        assert_eq!(done.stderr.lines().count(), 1, "{args:?}: {done:?}");
    }
    let done = run(rinit_direct(&["--probe", "tcp://db"]));
    done.assert_stderr_has("\"tcp://db\"");
}

/// An HTTP server on loopback that answers 503 until told otherwise, and
/// reports each request it answers: a test knows a check was made, and
/// failed, without reading rinit's log.
struct Backend {
    address: String,
    requests: std::sync::mpsc::Receiver<()>,
    healthy: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Backend {
    fn start() -> Backend {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let healthy = std::sync::Arc::new(AtomicBool::new(false));
        let (tx, requests) = std::sync::mpsc::channel();
        let state = healthy.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                let status = if state.load(Ordering::SeqCst) {
                    "200 OK"
                } else {
                    "503 Service Unavailable"
                };
                let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                let _ = stream.write_all(answer.as_bytes());
                drop(stream);
                if tx.send(()).is_err() {
                    return;
                }
            }
        });
        Backend {
            address,
            requests,
            healthy,
        }
    }

    fn target(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// Waits until a check has been answered (unhealthy, until `heal`).
    fn answered(&self) {
        self.requests
            .recv_timeout(SAFETY_NET)
            .expect("a check within the safety net");
    }

    fn heal(&self) {
        self.healthy
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn rinit_as_pid1(args: &[&str]) -> Running {
    let cmd = rinit_pid1(args);
    Running::start(cmd)
}

/// rinit as PID 1 with `options`, gating a command that says "started"
/// and then stays until its stdin closes (started, it would be seen).
fn gated_command(options: &[&str]) -> Running {
    let mut args = options.to_vec();
    args.extend(["--", "sh", "-c", "echo started; exec cat"]);
    rinit_as_pid1(&args)
}

/// The gated command has not started yet; once `open` makes the target
/// pass, it starts, and ends cleanly.
fn starts_once(mut run: Running, open: impl FnOnce()) {
    assert!(children(run.rinit_pid()).is_empty());
    open();
    run.expect("started");
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
}

#[test]
fn wait_for_starts_the_command_once_the_target_passes() {
    let backend = Backend::start();
    let target = backend.target();
    let run = gated_command(&["--wait-for", &target]);
    // Two checks were made and failed: had the first opened the gate, the
    // command would have started before the second.
    backend.answered();
    backend.answered();
    starts_once(run, || backend.heal());
}

#[test]
fn wait_for_a_unix_listener_that_appears_later() {
    let scratch = Scratch::new("wait-for");
    let socket = scratch.file("db.sock");
    let target = format!("unix:{socket}");
    // -vv: each failed check is a line, shown while rinit waits.
    let mut run = gated_command(&["-vv", "--wait-for", &target]);
    for _ in 0..2 {
        run.expect_stderr_line("about a failed check", |l| l.contains(&target));
    }
    let mut listener = None;
    starts_once(run, || {
        listener = Some(UnixListener::bind(&socket).unwrap())
    });
    drop(listener);
}

#[test]
fn wait_for_gives_up_after_its_timeout_without_starting_the_command() {
    let scratch = Scratch::new("wait-timeout");
    let missing = format!("file:{}", scratch.file("never"));
    let marker = scratch.file("started");
    let cmd = rinit_pid1(&[
        "--wait-for",
        &missing,
        "--wait-timeout",
        "400ms",
        "--",
        "touch",
        &marker,
    ]);
    let done = run(cmd);
    assert_eq!(done.code, 1, "{done:?}");
    done.assert_stderr_has(&missing);
    assert_eq!(done.stderr.lines().count(), 1, "{done:?}");
    assert!(!std::path::Path::new(&marker).exists());
}

#[test]
fn sigterm_during_the_wait_ends_it_at_once_with_143() {
    let backend = Backend::start();
    let scratch = Scratch::new("wait-term");
    let marker = scratch.file("started");
    let mut run = rinit_as_pid1(&["--wait-for", &backend.target(), "--", "touch", &marker]);
    backend.answered();
    let sent = Instant::now();
    run.signal(libc::SIGTERM);
    let code = run.wait_for_exit();
    assert_eq!(code, 143);
    // Well within the default 60 s wait: at most one pause (1 s) or check.
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "{:?}",
        sent.elapsed()
    );
    assert!(!std::path::Path::new(&marker).exists());
}

/// Signals that come together during the wait are all read before the
/// next check: a SIGTERM queued behind another signal (SIGUSR1, dequeued
/// first as the lower number) ends the wait even though the target now
/// passes. rinit is stopped while both are queued, so they are pending
/// together whatever the scheduler does.
#[test]
fn a_sigterm_behind_another_signal_still_ends_the_wait() {
    let scratch = Scratch::new("wait-term-behind");
    let target = scratch.file("up");
    let marker = scratch.file("started");
    let gate = format!("file:{target}");
    let mut run = rinit_as_pid1(&["-vv", "--wait-for", &gate, "--", "touch", &marker]);
    run.expect_stderr_line("about a failed check", |l| l.contains(&gate));
    let init = run.rinit_pid();
    send(init, libc::SIGSTOP);
    wait_until("rinit to stop", || proc_state(init) == Some('T'));
    std::fs::write(&target, "").unwrap();
    send(init, libc::SIGUSR1);
    send(init, libc::SIGTERM);
    send(init, libc::SIGCONT);
    assert_eq!(run.wait_for_exit(), 143);
    assert!(!std::path::Path::new(&marker).exists());
}

#[test]
fn wait_for_reads_its_variable() {
    let scratch = Scratch::new("wait-var");
    let present = scratch.write("up", "", 0o644);
    let missing = scratch.file("down");
    let list = format!("file:{present}, file:{missing}");
    let mut cmd = rinit_pid1(&["--", "echo", "started"]);
    cmd.env("RINIT_WAIT_FOR", &list)
        .env("RINIT_WAIT_TIMEOUT", "300ms");
    let done = run(cmd);
    assert_eq!(done.code, 1, "{done:?}");
    done.assert_stderr_has(&format!("file:{missing}"));
    assert!(
        !done.stderr.contains(&format!("file:{present} ")),
        "{done:?}"
    );
}

/// A datagram socket standing in for systemd's or conmon's.
fn notify_socket(scratch: &Scratch) -> (UnixDatagram, String) {
    let path = scratch.file("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket.set_read_timeout(Some(SAFETY_NET)).unwrap();
    (socket, path)
}

fn receive(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = socket
        .recv(&mut buf)
        .expect("a notification within the safety net");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn ready_when_says_ready_only_once_the_app_listens_and_stopping_on_sigterm() {
    let scratch = Scratch::new("ready-when");
    let (notify, notify_path) = notify_socket(&scratch);
    let app_socket = scratch.file("app.sock");
    let target = format!("unix:{app_socket}");
    // The app listens only when told to (a line on its stdin), then waits.
    let app = "import socket, sys, os, signal\n\
               signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])\n\
               print('notify', os.environ.get('NOTIFY_SOCKET'), flush=True)\n\
               sys.stdin.readline()\n\
               s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()\n\
               print('listening', flush=True)\n\
               signal.sigwait([signal.SIGTERM])\n\
               print('stopping', flush=True)";
    let mut cmd = rinit_pid1(&[
        "-vv",
        "--ready-when",
        &target,
        "--",
        "python3",
        "-c",
        app,
        &app_socket,
    ]);
    cmd.env("NOTIFY_SOCKET", &notify_path);
    let mut run = Running::start(cmd);
    // NOTIFY_SOCKET reaches the app untouched.
    run.expect(&format!("notify {notify_path}"));
    run.expect_stderr_line("with a failed attempt", |l| {
        l.contains("--ready-when") && l.contains(&target)
    });
    notify.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    assert!(
        notify.recv(&mut buf).is_err(),
        "READY=1 came before the app listened"
    );
    notify.set_nonblocking(false).unwrap();
    run.write_stdin("listen\n");
    run.expect("listening");
    assert_eq!(receive(&notify), "READY=1");
    run.signal(libc::SIGTERM);
    assert_eq!(receive(&notify), "STOPPING=1");
    run.expect("stopping");
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
}

#[test]
fn ready_when_says_stopping_when_the_app_ends_on_its_own() {
    let scratch = Scratch::new("ready-end");
    let (notify, notify_path) = notify_socket(&scratch);
    let present = scratch.write("ready", "", 0o644);
    let mut cmd = rinit_pid1(&[
        "--ready-when",
        &format!("file:{present}"),
        "--",
        "sh",
        "-c",
        "read line; exit 3",
    ]);
    cmd.env("NOTIFY_SOCKET", &notify_path);
    let mut run = Running::start(cmd);
    assert_eq!(receive(&notify), "READY=1");
    run.write_stdin("end\n");
    assert_eq!(receive(&notify), "STOPPING=1");
    assert_eq!(run.finish().code, 3);
}

#[test]
fn ready_when_without_notify_socket_is_a_usage_error() {
    let done = run(rinit_pid1(&[
        "--ready-when",
        "tcp://127.0.0.1:80",
        "--",
        "true",
    ]));
    assert_eq!(done.code, 2, "{done:?}");
    done.assert_stderr_has("NOTIFY_SOCKET");
}
