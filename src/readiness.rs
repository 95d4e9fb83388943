//! The probe engine's two uses around the command: `--wait-for` holds the
//! command back until its targets pass, and `--ready-when` tells systemd or
//! podman (`NOTIFY_SOCKET`, the sd_notify protocol) that the app is ready,
//! and later that it is stopping.
//!
//! The gate runs on the main thread before the child exists, so it waits on
//! the signalfd between attempts: a SIGTERM during the wait ends it at once.
//! The readiness watch is a thread of its own that ends once the target has
//! passed: polling stops there, and an idle rinit never wakes again.

use crate::probe::{self, Checked, Failure, Target};
use crate::signals::Signal;
use crate::sys::SignalReader;
use log::{debug, info, warn};
use nix::errno::Errno;
use std::ffi::OsStr;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The first pause between two attempts; it doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// A target that comes up is seen within a second.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The pause after `attempt` failed attempts (the first is 1).
fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

/// How `--wait-for` ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Every target passed: start the command.
    Open,
    /// The time-out ran out; these targets still fail.
    TimedOut(Vec<(Target, Failure)>),
    /// A SIGTERM or SIGINT asked rinit to stop before anything started.
    Stopped(Signal),
}

/// Waits until every target passes in one check, `timeout` at most (plus
/// the last check's `probe_timeout`).
pub(crate) fn wait_for(
    targets: &[Target],
    probe_timeout: Duration,
    timeout: Duration,
    signals: &mut SignalReader,
) -> Result<Gate, Errno> {
    let deadline = Instant::now() + timeout;
    let mut attempt = 0;
    loop {
        attempt += 1;
        // Every attempt gets the whole probe time-out, the last one too: a
        // check cut short would report a time-out that says nothing about
        // the target. The wait may so run past its time-out by that much.
        let check = probe::check_all(targets, probe_timeout, Some(signals.as_fd()));
        let failing = match check {
            Checked::Done(results) => {
                let failing = failing(targets, results);
                if failing.is_empty() {
                    info!("--wait-for: every target passes: starting the command");
                    return Ok(Gate::Open);
                }
                for (target, failure) in &failing {
                    debug!("--wait-for: {target}: {failure} (attempt {attempt})");
                }
                failing
            }
            Checked::Interrupted => Vec::new(),
        };
        let now = Instant::now();
        if now >= deadline && !failing.is_empty() {
            return Ok(Gate::TimedOut(failing));
        }
        // Between attempts rinit sleeps; every signal that comes meanwhile
        // is read, so a stop request behind another signal is not missed,
        // and only the next attempt's time starts the next check.
        let next = (now + backoff(attempt)).min(deadline);
        while let Some(received) = signals.wait(Some(next), &[])? {
            if crate::policy::is_stop_request(received.signal) {
                return Ok(Gate::Stopped(received.signal));
            }
            debug!(
                "--wait-for: {} received before the command started: nothing to forward it to",
                received.signal
            );
        }
    }
}

/// The targets whose check failed, with why.
fn failing(targets: &[Target], results: Vec<Result<(), Failure>>) -> Vec<(Target, Failure)> {
    targets
        .iter()
        .zip(results)
        .filter_map(|(target, result)| result.err().map(|f| (target.clone(), f)))
        .collect()
}

/// Where READY=1 and STOPPING=1 go: the datagram socket `NOTIFY_SOCKET`
/// names (a leading `@`: the abstract namespace).
pub(crate) struct Notifier {
    address: SocketAddr,
    /// A stop has begun: READY=1 must not follow STOPPING=1, and STOPPING=1
    /// is sent once.
    stopping: AtomicBool,
}

impl Notifier {
    pub(crate) fn new(socket: &OsStr) -> io::Result<Notifier> {
        let address = match socket.as_bytes().strip_prefix(b"@") {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name)?
            }
            None => SocketAddr::from_pathname(socket)?,
        };
        Ok(Notifier {
            address,
            stopping: AtomicBool::new(false),
        })
    }

    fn send(&self, message: &str) -> io::Result<()> {
        let socket = UnixDatagram::unbound()?;
        socket.send_to_addr(message.as_bytes(), &self.address)?;
        Ok(())
    }

    /// A stop has begun (the first stop request, or the main child's end):
    /// says STOPPING=1, once.
    pub(crate) fn stopping(&self) {
        if self.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        match self.send("STOPPING=1") {
            Ok(()) => info!("told NOTIFY_SOCKET: STOPPING=1"),
            Err(e) => warn!("cannot send STOPPING=1 to NOTIFY_SOCKET: {}", os_error(e)),
        }
    }
}

/// Probes `target` until it passes, then sends READY=1, on a thread of its
/// own (started after the child, so that it never takes the child's place
/// under a process limit). A stop that begins first ends the watch.
pub(crate) fn watch(target: Target, probe_timeout: Duration, notifier: Arc<Notifier>) {
    let watching = target.clone();
    let spawned = crate::sys::spawn_thread("rinit-ready", 64 << 10, move || {
        let mut attempt = 0;
        while !notifier.stopping.load(Ordering::SeqCst) {
            attempt += 1;
            match probe::check_one(&watching, probe_timeout) {
                Ok(()) => {
                    if notifier.stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    match notifier.send("READY=1") {
                        Ok(()) => info!("{watching} passes: told NOTIFY_SOCKET READY=1"),
                        Err(e) => warn!("cannot send READY=1 to NOTIFY_SOCKET: {}", os_error(e)),
                    }
                    return;
                }
                Err(failure) => {
                    debug!("--ready-when: {watching}: {failure} (attempt {attempt})");
                }
            }
            std::thread::sleep(backoff(attempt));
        }
    });
    if let Err(e) = spawned {
        warn!(
            "cannot start watching {target} for --ready-when: {}; READY=1 will not be sent",
            os_error(e)
        );
    }
}

/// A system error in rinit's words (see `text::os_error`).
fn os_error(error: impl Into<io::Error>) -> String {
    crate::text::os_error(error, crate::sys::open_file_limit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_a_second() {
        let pauses: Vec<u128> = (1..=7).map(|a| backoff(a).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1000, 1000, 1000]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn notify_socket_names() {
        assert!(Notifier::new(OsStr::new("/run/notify/notify.sock")).is_ok());
        assert!(Notifier::new(OsStr::new("@abstract-name")).is_ok());
        let too_long = "/".repeat(200);
        assert!(Notifier::new(OsStr::new(&too_long)).is_err());
    }
}
