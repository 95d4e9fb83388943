//! Collecting exited children, and noticing the main child stop: one
//! `waitpid` a child, with a look before reaping only where a name can
//! matter (see `reap_exited`).

use crate::exit_status::{Termination, stopped_by};
use crate::forensics::Death;
use crate::procs;
use crate::signals::Signal;
use crate::sys;
use log::{debug, warn};
use nix::errno::Errno;
use nix::unistd::Pid;

/// How many deaths by signal of processes other than the main child one
/// pass keeps for `forensics` (the rest are only logged).
const KEPT_DEATHS: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Reaped {
    /// How the main child ended, if it was among those collected.
    pub(crate) main: Option<Termination>,
    /// The main child's name, read while it was a zombie.
    pub(crate) main_name: Option<String>,
    /// The signal that stopped the main child, if it reported a stop (the
    /// terminal's Ctrl-Z, say). A stop is reported once; other children's
    /// stops are passed over.
    pub(crate) main_stopped: Option<Signal>,
    /// Other processes that died of a signal (the first `KEPT_DEATHS`),
    /// named if the caller asked for names.
    pub(crate) killed: Vec<Death>,
    /// False once `waitid` says there are no children at all: orphans are
    /// re-parented to rinit, so then no descendant is left either.
    pub(crate) children_left: bool,
}

/// Collects every child that has exited, and notes a stop of the main
/// child. SIGCHLDs coalesce, so one signal may stand for many exits, the
/// main child's among them: the loop runs until the kernel has nothing
/// more to give. `report` is told of every process collected other than
/// the main child.
///
/// Once reaped, a process's name is gone from /proc. Names matter for the
/// main child when it did not exit 0, and for others that died of a signal
/// while an OOM kill is fresh (`names`). With `names`, each child is first
/// looked at without being reaped (`sys::peek_changed`, two calls a child);
/// otherwise each costs the one `waitpid` that reaps it, and the main child
/// alone is looked at first if `main_signalled` (its SIGCHLD came in).
pub(crate) fn reap_exited(
    main: Option<Pid>,
    names: bool,
    main_signalled: bool,
    report: &mut dyn FnMut(Pid, Termination),
) -> Reaped {
    if names {
        return reap_named(main, report);
    }
    let mut reaped = Reaped::default();
    let mut main_name = None;
    if let Some(main) = main.filter(|_| main_signalled) {
        if let Ok(Some(status)) = sys::peek_exited(main.as_raw()) {
            if Termination::from_wait_status(status) != Some(Termination::Exited(0)) {
                main_name = procs::process_name(main.as_raw());
            }
        }
    }
    while let Some((pid, status)) = reaped.next(sys::reap_any, "waitpid") {
        let is_main = Some(Pid::from_raw(pid)) == main;
        match Termination::from_wait_status(status) {
            Some(termination) => {
                let name = if is_main { main_name.take() } else { None };
                reaped.collected(Pid::from_raw(pid), is_main, termination, name, report);
            }
            None => reaped.stopped(is_main, status),
        }
    }
    reaped
}

/// A non-blocking wait for any child: its pid and raw status, if one has news.
type WaitCall = fn() -> Result<Option<(libc::pid_t, i32)>, Errno>;

impl Reaped {
    /// The next child that ended or stopped, from `call` (`waitpid` or
    /// `waitid`, WNOHANG, named `name` in a warning), asked again when
    /// interrupted; `None` once there is nothing more to collect now.
    fn next(&mut self, call: WaitCall, name: &str) -> Option<(libc::pid_t, i32)> {
        loop {
            match call() {
                Ok(Some(child)) => return Some(child),
                Ok(None) => {
                    self.children_left = true;
                    return None;
                }
                Err(Errno::EINTR) => {}
                Err(Errno::ECHILD) => return None,
                Err(e) => {
                    // Only EINVAL is documented beyond these, and the flags are fixed.
                    warn!("{name} failed: {e}");
                    self.children_left = true;
                    return None;
                }
            }
        }
    }

    /// A child reported a stop: noted if it is the main child's.
    fn stopped(&mut self, is_main: bool, status: i32) {
        if let Some(signal) = stopped_by(status).filter(|_| is_main) {
            debug!("main child stopped by {signal}");
            self.main_stopped = Some(signal);
        }
    }

    /// A child was reaped.
    fn collected(
        &mut self,
        pid: Pid,
        is_main: bool,
        termination: Termination,
        name: Option<String>,
        report: &mut dyn FnMut(Pid, Termination),
    ) {
        if is_main {
            debug!("main child {pid} ended: {termination:?}");
            self.main = Some(termination);
            self.main_name = name;
            return;
        }
        let by_signal = matches!(termination, Termination::Killed { .. });
        if by_signal && self.killed.len() < KEPT_DEATHS {
            self.killed.push(Death {
                pid: pid.as_raw(),
                name: name.unwrap_or_else(|| "?".to_owned()),
                termination,
            });
        }
        report(pid, termination);
    }
}

/// `reap_exited` when names are wanted: each child is peeked at, named if
/// its end is news, then reaped.
fn reap_named(main: Option<Pid>, report: &mut dyn FnMut(Pid, Termination)) -> Reaped {
    let mut reaped = Reaped::default();
    while let Some((pid, status)) = reaped.next(sys::peek_changed, "waitid") {
        let is_main = Some(Pid::from_raw(pid)) == main;
        let Some(seen) = Termination::from_wait_status(status) else {
            // A stop: take the report, so that it is not seen again.
            let _ = sys::take_stop_report(pid);
            reaped.stopped(is_main, status);
            continue;
        };
        let by_signal = matches!(seen, Termination::Killed { .. });
        // A clean exit of the main child is no news: its name is not read
        // (forensics then falls back to the command's name if it must).
        let main_news = is_main && seen != Termination::Exited(0);
        let name = if main_news || by_signal {
            procs::process_name(pid)
        } else {
            None
        };
        // The status that counts is the one the reaping returns.
        let termination = match sys::wait_for(pid, false) {
            Ok(Some((_, status))) => match Termination::from_wait_status(status) {
                Some(termination) => termination,
                None => continue,
            },
            Err(Errno::EINTR) => continue,
            // Cannot happen to a zombie just seen; if it does, end the pass
            // rather than look at the same child forever.
            Ok(None) => {
                reaped.children_left = true;
                return reaped;
            }
            Err(e) => {
                warn!("waitpid({pid}) failed: {e}");
                reaped.children_left = true;
                return reaped;
            }
        };
        reaped.collected(Pid::from_raw(pid), is_main, termination, name, report);
    }
    reaped
}
