//! Collecting exited children, and noticing the main child stop.

use crate::exit_status::{Termination, stopped_by};
use crate::sys;
use log::{debug, warn};
use nix::errno::Errno;
use nix::unistd::Pid;

#[derive(Debug, Default)]
pub struct Reaped {
    /// How the main child ended, if it was among those collected.
    pub main: Option<Termination>,
    /// The signal that stopped the main child, if it reported a stop (the
    /// terminal's Ctrl-Z, say). A stop is reported once; other children's
    /// stops are passed over.
    pub main_stopped: Option<i32>,
    /// How many other processes were collected.
    pub others: usize,
    /// False once `waitpid` says there are no children at all: orphans are
    /// re-parented to rinit, so then no descendant is left either.
    pub children_left: bool,
}

/// Collects every child that has exited. SIGCHLDs coalesce, so one signal may
/// stand for many exits, the main child's among them: the loop runs until
/// `waitpid` has nothing more to give. `report` is told of every process
/// collected other than the main child.
pub fn reap_exited(main: Option<Pid>, report: &mut dyn FnMut(Pid, Termination)) -> Reaped {
    let mut reaped = Reaped::default();
    loop {
        let (pid, termination) = match sys::wait_for_exit_or_stop() {
            Ok(Some((pid, status))) => match Termination::from_wait_status(status) {
                Some(termination) => (Pid::from_raw(pid), termination),
                None => {
                    let pid = Pid::from_raw(pid);
                    if let Some(signal) = stopped_by(status).filter(|_| Some(pid) == main) {
                        debug!("main child {pid} stopped by signal {signal}");
                        reaped.main_stopped = Some(signal);
                    }
                    continue;
                }
            },
            Ok(None) => {
                reaped.children_left = true;
                return reaped;
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::ECHILD) => return reaped,
            Err(e) => {
                // Only EINVAL is documented beyond these, and the flags are fixed.
                warn!("waitpid failed: {e}");
                reaped.children_left = true;
                return reaped;
            }
        };
        if Some(pid) == main {
            debug!("main child {pid} ended: {termination:?}");
            reaped.main = Some(termination);
        } else {
            reaped.others += 1;
            report(pid, termination);
        }
    }
}
