//! The signal loop: wait on the signalfd, forward, reap, and shut down.

use crate::cli::Config;
use crate::exit_status::{Termination, exit_code, remap};
use crate::forensics::Forensics;
use crate::personality::AfterMainExit;
use crate::policy::{Decision, ForwardTarget, Received, decide, is_stop_request, pause_ends_on};
use crate::reap::reap_exited;
use crate::shutdown::{Drain, KillAfter, Scope, Step};
use crate::signals::Signal;
use crate::sys::{self, SignalReader};
use log::{debug, info, trace, warn};
use nix::errno::Errno;
use nix::unistd::Pid;
use std::io;
use std::time::Instant;

pub struct Supervisor {
    config: Config,
    own_pid: libc::pid_t,
    is_pid1: bool,
    signals: SignalReader,
    /// The main child while it runs; `None` in pause mode and once it exited.
    child: Option<Pid>,
    /// The main child's process group, which outlives the child itself.
    group: Option<Pid>,
    /// rinit's exit code, known once the main child has ended.
    outcome: Option<i32>,
    drain: Drain,
    kill_after: KillAfter,
    /// Signals to act on before the first wait (see `receive_first`).
    pending: Vec<Received>,
    /// The child has left its process group: warned once.
    warned_child_left_group: bool,
    /// Says why things died (see `forensics`).
    forensics: Forensics,
}

impl Supervisor {
    pub fn new(config: Config, signals: SignalReader, child: Option<Pid>) -> Supervisor {
        let own_pid = sys::own_pid();
        let is_pid1 = own_pid == 1;
        Supervisor {
            drain: Drain::new(
                config.grace,
                config.drain_signal,
                if is_pid1 {
                    Scope::Namespace
                } else {
                    Scope::Descendants
                },
            ),
            kill_after: KillAfter::new(config.kill_after),
            forensics: Forensics::new(
                child.map(Pid::as_raw),
                config.command.first().map(|c| c.as_os_str()),
                config.termination_log.clone(),
            ),
            config,
            own_pid,
            is_pid1,
            signals,
            child,
            group: child,
            outcome: None,
            pending: Vec::new(),
            warned_child_left_group: false,
        }
    }

    /// Handles `received` as if it had come from the signalfd, before
    /// anything else: a signal the kernel will never send (the parent died
    /// before `-p` was armed).
    pub fn receive_first(&mut self, received: Received) {
        self.pending.push(received);
    }

    /// Runs until the main child has ended and nothing else is left; returns
    /// the exit code.
    pub fn run(mut self) -> io::Result<i32> {
        let mut batch = std::mem::take(&mut self.pending);
        batch.reserve(64);
        loop {
            let deadline = match (self.drain.deadline(), self.kill_after.deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if batch.is_empty() {
                self.signals.wait(deadline, &mut batch)?;
            }
            let mut sigchld = false;
            for received in batch.drain(..) {
                sigchld |= self.on_signal(received);
            }
            let now = Instant::now();
            if self.kill_after.fire_if_due(now) {
                info!("the child outlived --kill-after: sending SIGKILL");
                self.forward(Signal::KILL);
            }
            // Once the main child is gone, every pass checks what is left.
            if !sigchld && self.outcome.is_none() {
                continue;
            }
            let (warn_on_reap, personality) = (self.config.warn_on_reap, self.config.personality);
            let names = self.forensics.wants_names();
            let reaped = reap_exited(self.child, names, &mut |pid, termination| {
                let how = format!("{termination:?}");
                if warn_on_reap {
                    warn!("{}", personality.reap_warning(pid.as_raw(), &how));
                } else {
                    debug!("reaped process {pid}: {how}");
                }
            });
            let main = reaped.main.map(|t| (t, reaped.main_name.clone()));
            self.forensics.after_reap(main, &reaped.killed);
            if let Some(termination) = reaped.main {
                self.main_ended(termination);
            }
            if let Some(code) = self.outcome {
                if let Some(code) = self.end_as_the_peer(code) {
                    return Ok(code);
                }
                match self.drain.advance(now, reaped.children_left) {
                    Step::Wait => {}
                    Step::Exit => {
                        info!("no process left: exiting with {code}");
                        return Ok(code);
                    }
                    Step::KillAndExit => {
                        self.forensics
                            .grace_ran_out(self.own_pid, self.config.grace);
                        self.signal_remaining(Signal::KILL);
                        info!("exiting with {code}; the kernel ends whatever is left");
                        return Ok(code);
                    }
                    Step::GiveUp => {
                        let left = sys::live_descendants(self.own_pid).unwrap_or_default();
                        warn!(
                            "{} processes outlived SIGKILL by {:?} (pids {left:?}; not ours to signal, or stuck in the kernel): leaving them to the init above and exiting with {code}",
                            left.len(),
                            crate::shutdown::KILL_WAIT
                        );
                        return Ok(code);
                    }
                    Step::SignalRemaining(signal) => {
                        if signal == Signal::KILL {
                            self.forensics
                                .grace_ran_out(self.own_pid, self.config.grace);
                        }
                        if !self.signal_remaining(signal) && self.drain.is_killing() {
                            warn!(
                                "cannot see the remaining descendants (no usable /proc): leaving them to the init above"
                            );
                            return Ok(code);
                        }
                    }
                }
            }
        }
    }

    /// Handles one signal; returns whether it calls for reaping.
    fn on_signal(&mut self, received: Received) -> bool {
        match decide(received, self.own_pid, &self.config.rewrites) {
            Decision::Reap => return true,
            Decision::Ignore => trace!("ignoring {} raised by rinit itself", received.signal),
            Decision::Forward(signal) if self.config.pause => {
                if self.outcome.is_none() && pause_ends_on(received.signal) {
                    info!("{} received: ending pause", received.signal);
                    self.outcome = Some(0);
                    return true;
                }
                if self.config.forward_to == ForwardTarget::All {
                    self.forward(signal);
                }
            }
            Decision::Forward(signal) => {
                self.forensics.forwarded(signal);
                self.forward(signal);
                if self.child.is_some() && is_stop_request(received.signal) {
                    if let Some(delay) = self.kill_after.arm(Instant::now()) {
                        info!(
                            "stop requested: SIGKILL follows in {delay:?} if the child is still running"
                        );
                    }
                }
                self.stop_itself_if_the_peer_does(received.signal);
            }
            Decision::Drop => {
                debug!("dropping {} as the rewrite rules say", received.signal);
                self.stop_itself_if_the_peer_does(received.signal);
            }
        }
        false
    }

    /// dumb-init stops itself after passing on a job-control signal, so the
    /// shell that started it sees its job stop. PID 1 cannot be stopped from
    /// inside its namespace, so there it is skipped.
    fn stop_itself_if_the_peer_does(&self, received: Signal) {
        if self.config.personality.stops_itself_on(received) && !self.is_pid1 {
            debug!("{received}: stopping rinit itself, as dumb-init does");
            let _ = sys::send_signal(self.own_pid, Signal::STOP);
        }
    }

    /// Under a peer's name, the peer's way of ending once the main child has
    /// exited (see `Personality::after_main_exit`): `Some(code)` to exit now,
    /// `None` to run rinit's drain.
    fn end_as_the_peer(&self, code: i32) -> Option<i32> {
        let config = &self.config;
        match config
            .personality
            .after_main_exit(config.grace, config.forward_to)
        {
            AfterMainExit::Drain => None,
            AfterMainExit::Exit => {
                info!("exiting with {code}, as {} does", config.personality.name());
                Some(code)
            }
            AfterMainExit::SignalGroupAndExit(signal) => {
                if let Some(pgid) = self.group {
                    match sys::send_signal(-pgid.as_raw(), signal) {
                        Ok(()) => info!("sent {signal} to the child's process group"),
                        Err(Errno::ESRCH) => {}
                        Err(e) => warn!("cannot send {signal} to the child's process group: {e}"),
                    }
                }
                info!("exiting with {code}, as {} does", config.personality.name());
                Some(code)
            }
        }
    }

    fn main_ended(&mut self, termination: Termination) {
        let code = remap(exit_code(termination), &self.config.success_codes);
        match termination {
            Termination::Exited(status) => info!("child exited with status {status}"),
            Termination::Killed { signal, .. } => info!(
                "child was killed by {}",
                Signal::from_number(signal).map_or(signal.to_string(), |s| s.to_string())
            ),
        }
        let remapped_to_success = code == 0 && exit_code(termination) != 0;
        self.forensics.main_ended(code, remapped_to_success);
        self.child = None;
        self.outcome = Some(code);
        self.kill_after.disarm();
    }

    /// Sends a signal to the forward target.
    fn forward(&mut self, signal: Signal) {
        let result = match self.config.forward_to {
            // The pid of an exited child may be reused: never signal it.
            ForwardTarget::Child => self.child.map(|pid| sys::send_signal(pid.as_raw(), signal)),
            ForwardTarget::Group => self.group.map(|pgid| {
                self.follow_child_out_of_group(pgid, signal);
                sys::send_signal(-pgid.as_raw(), signal)
            }),
            ForwardTarget::All => {
                self.signal_everyone(signal);
                return;
            }
        };
        match result {
            Some(Ok(())) => debug!(
                "forwarded {signal} to the {:?} target",
                self.config.forward_to
            ),
            Some(Err(Errno::ESRCH)) | None => debug!("{signal}: nobody left to forward it to"),
            Some(Err(e)) => warn!("cannot forward {signal}: {e}"),
        }
    }

    /// A child that moved itself to another process group (`setpgid`) is no
    /// longer reached through its old group: it gets the signal directly,
    /// for as long as it lives.
    fn follow_child_out_of_group(&mut self, group: Pid, signal: Signal) {
        let Some(child) = self.child else { return };
        match sys::process_group(child.as_raw()) {
            Some(now) if now != group.as_raw() => {
                if !self.warned_child_left_group {
                    self.warned_child_left_group = true;
                    warn!(
                        "the child (pid {child}) left its process group {group} for {now}: signals go to the child itself from now on"
                    );
                }
                if let Err(e) = sys::send_signal(child.as_raw(), signal) {
                    debug!("cannot forward {signal} to the child: {e}");
                }
            }
            _ => {}
        }
    }

    /// The drain: `signal` to every remaining process, then SIGCONT so that a
    /// stopped process can act on it. Returns false if rinit could not find
    /// the processes to signal.
    fn signal_remaining(&self, signal: Signal) -> bool {
        // As PID 1 the count is only for the log: kill(-1) needs no list, and
        // listing /proc would delay the signal (by ~90 ms for 1,000 processes).
        let counted = if self.is_pid1 && log::log_enabled!(log::Level::Info) {
            sys::live_descendants(self.own_pid).map(|list| list.len())
        } else {
            None
        };
        let reach = self.signal_everyone(signal);
        if signal != Signal::KILL {
            self.signal_everyone(Signal::CONT);
        }
        let who = match (reach, counted) {
            (Reach::Descendants(n), _) | (Reach::Namespace, Some(n)) => {
                format!("{n} remaining processes")
            }
            (Reach::Namespace, None) => "all remaining processes".to_owned(),
            (Reach::GroupOnly, _) => {
                "the child's process group (the only processes rinit can see)".to_owned()
            }
        };
        if signal == Signal::KILL {
            info!("sending SIGKILL to {who}");
        } else {
            info!(
                "sending {signal} to {who}; they have {:?} to exit",
                self.config.grace
            );
        }
        reach != Reach::GroupOnly
    }

    /// As PID 1, `kill(-1)` reaches the whole namespace in one atomic call.
    /// Otherwise only rinit's own descendants are fair game (`kill(-1)` from
    /// a subreaper would hit, say, the other containers of a pod), found
    /// through /proc.
    fn signal_everyone(&self, signal: Signal) -> Reach {
        if self.is_pid1 {
            match sys::send_signal(-1, signal) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(e) => warn!("cannot send {signal} to all processes: {e}"),
            }
            return Reach::Namespace;
        }
        match sys::live_descendants(self.own_pid) {
            Some(pids) => {
                debug!("sending {signal} to {} descendants", pids.len());
                for &pid in &pids {
                    let _ = sys::send_signal(pid, signal);
                }
                Reach::Descendants(pids.len())
            }
            None => {
                // Without a usable /proc, the child's group is all rinit can name.
                if let Some(pgid) = self.group {
                    let _ = sys::send_signal(-pgid.as_raw(), signal);
                }
                Reach::GroupOnly
            }
        }
    }
}

/// Whom "everyone" reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// Every process of the PID namespace (rinit is PID 1).
    Namespace,
    /// This many descendants, listed from /proc.
    Descendants(usize),
    /// No usable /proc: only the child's process group.
    GroupOnly,
}
