//! Collecting exited children, and noticing the main child stop.

use crate::exit_status::{Termination, stopped_by};
use crate::forensics::Death;
use crate::procs;
use crate::signals::Signal;
use crate::sys;
use log::{debug, warn};
use nix::errno::Errno;
use nix::unistd::Pid;

/// How many deaths by signal of processes other than the main child one
/// pass keeps for `forensics` (the rest are only counted in `others`).
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
    /// How many other processes were collected.
    pub(crate) others: usize,
    /// Other processes that died of a signal (the first `KEPT_DEATHS`),
    /// named if the caller asked for names.
    pub(crate) killed: Vec<Death>,
    /// False once `waitid` says there are no children at all: orphans are
    /// re-parented to rinit, so then no descendant is left either.
    pub(crate) children_left: bool,
}

/// Collects every child that has exited, and notes a stop of the main
/// child. SIGCHLDs coalesce, so one signal may stand for many exits, the
/// main child's among them: the loop runs until `waitid` has nothing more
/// to give. `report` is told of every process collected other than the main
/// child.
///
/// Each child is first looked at without being reaped (`sys::peek_changed`),
/// because once reaped its name is gone from /proc: the main child's name
/// is read unless it exited 0, another's when it died of a signal and
/// `names` is set.
pub(crate) fn reap_exited(
    main: Option<Pid>,
    names: bool,
    report: &mut dyn FnMut(Pid, Termination),
) -> Reaped {
    let mut reaped = Reaped::default();
    loop {
        let (pid, status) = match sys::peek_changed() {
            Ok(Some(changed)) => changed,
            Ok(None) => {
                reaped.children_left = true;
                return reaped;
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::ECHILD) => return reaped,
            Err(e) => {
                // Only EINVAL is documented beyond these, and the flags are fixed.
                warn!("waitid failed: {e}");
                reaped.children_left = true;
                return reaped;
            }
        };
        let is_main = Some(Pid::from_raw(pid)) == main;
        let Some(seen) = Termination::from_wait_status(status) else {
            // A stop: take the report, so that it is not seen again.
            let _ = sys::take_stop_report(pid);
            if let Some(signal) = stopped_by(status).filter(|_| is_main) {
                debug!("main child {pid} stopped by {signal}");
                reaped.main_stopped = Some(signal);
            }
            continue;
        };
        let by_signal = matches!(seen, Termination::Killed { .. });
        // A clean exit of the main child is no news: its name is not read
        // (forensics then falls back to the command's name if it must).
        let main_news = is_main && seen != Termination::Exited(0);
        let name = if main_news || (names && by_signal) {
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
        let pid = Pid::from_raw(pid);
        if is_main {
            debug!("main child {pid} ended: {termination:?}");
            reaped.main = Some(termination);
            reaped.main_name = name;
        } else {
            reaped.others += 1;
            if by_signal && reaped.killed.len() < KEPT_DEATHS {
                reaped.killed.push(Death {
                    pid: pid.as_raw(),
                    name: name.unwrap_or_else(|| "?".to_owned()),
                    termination,
                });
            }
            report(pid, termination);
        }
    }
}
