//! The signal loop: wait on the signalfd, forward, reap, and shut down.

use crate::cli::Config;
use crate::exit_status::{self, Termination, exit_code, outcome};
use crate::forensics::{Forensics, KillTarget, OomBaseline};
use crate::personality::AfterMainExit;
use crate::policy::{
    ChildStopped, Decision, ForwardTarget, decide, is_stop_request, on_continue,
    on_main_child_stopped, pause_ends_on, typed_at_the_terminal,
};
use crate::procs::{self, Watch};
use crate::readiness::Notifier;
use crate::reap::reap_exited;
use crate::shutdown::{Drain, Hold, KillAfter, Scope, Step, StopDelay, stop_delay_defeated};
use crate::signals::{Received, Signal, SignalSet};
use crate::sys::{self, SignalReader};
use log::{debug, info, trace, warn};
use nix::errno::Errno;
use nix::unistd::Pid;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Without /proc, PID 1 cannot watch processes that entered the namespace
/// from outside: it checks again this often while the drain runs.
const RECHECK_WITHOUT_PROC: Duration = Duration::from_millis(100);

/// As PID 1, while rinit's own processes drain, /proc is listed for
/// newcomers at most this often. Every pass of a drain asks who is left, and
/// a thousand processes leaving one by one would otherwise cost a thousand
/// listings of up to a thousand processes each, CPU taken from the very
/// processes that are trying to finish their work.
const LOOK_FOR_NEWCOMERS_EVERY: Duration = Duration::from_millis(100);

/// rinit once the child has started: what it was told, the signalfd, and
/// the state the decisions in `policy`, `shutdown` and `forensics` need.
pub(crate) struct Supervisor {
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
    stop_delay: StopDelay,
    /// The signals rinit forwarded because a stop request came from outside
    /// (as rewritten), for `--stop-success`.
    stops_sent: SignalSet,
    /// The child has moved to another process group (and was told so once).
    child_left_group: bool,
    /// As PID 1, after the main child exits: processes that entered the
    /// namespace from outside (`docker exec`), which are not rinit's
    /// children but must be drained and waited for all the same.
    entered: Watch,
    /// As PID 1 without /proc: when to look for such processes again.
    recheck: Option<Instant>,
    /// As PID 1, when /proc was last listed for such processes.
    looked_for_outsiders: Option<Instant>,
    /// rinit stopped itself because the terminal stopped its child, and has
    /// not been continued since.
    stopped_as_job: bool,
    /// Says why things died (see `forensics`).
    forensics: Forensics,
    /// `--ready-when`: told STOPPING=1 when a stop begins.
    notifier: Option<Arc<Notifier>>,
}

impl Supervisor {
    /// `own_pid`: rinit's pid in its namespace; `baseline`: the OOM kill
    /// counter, read before the child started; `notifier`: where
    /// `--ready-when` says STOPPING=1.
    pub(crate) fn new(
        config: Config,
        own_pid: libc::pid_t,
        signals: SignalReader,
        child: Option<Pid>,
        baseline: OomBaseline,
        notifier: Option<Arc<Notifier>>,
    ) -> Supervisor {
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
            stop_delay: StopDelay::new(config.stop_delay),
            stops_sent: SignalSet::EMPTY,
            forensics: Forensics::new(
                child.map(Pid::as_raw),
                config.command.first().map(|c| c.as_os_str()),
                config.termination_log.clone(),
                baseline,
            ),
            config,
            own_pid,
            is_pid1,
            signals,
            child,
            group: child,
            outcome: None,
            child_left_group: false,
            entered: Watch::default(),
            recheck: None,
            looked_for_outsiders: None,
            stopped_as_job: false,
            notifier,
        }
    }

    /// The life of rinit once the child runs, one pass per wake-up: wait for
    /// something to happen, act on the signal it brought, fire what is
    /// due, collect the children that ended, and once the main child has
    /// ended, see whether it is time to go. Returns rinit's exit code.
    /// `first` is handled as if it had come from the signalfd, before
    /// anything else: a signal the kernel will never send (the parent died
    /// before `-p` was armed).
    pub(crate) fn run(mut self, first: Option<Received>) -> Result<i32, Errno> {
        let mut received = first;
        loop {
            let deadline = self.next_deadline();
            if received.is_none() {
                received = self.wait_for_events(deadline)?;
            }
            let (reap_due, main_signalled) = match received.take() {
                Some(received) => self.handle_signal(received),
                None => (false, false),
            };
            let cgroup_event = self.signals.take_cgroup_event();
            // The clock is read only when something may be due.
            if deadline.is_some() || cgroup_event {
                self.fire_due(Instant::now(), cgroup_event);
            }
            // Once the main child is gone, every pass checks what is left.
            if !reap_due && self.outcome.is_none() {
                continue;
            }
            let children_left = self.reap(main_signalled);
            if let Some(code) = self.outcome {
                if let Some(code) = self.after_main_exit(code, children_left) {
                    return Ok(code);
                }
            }
        }
    }

    /// The earliest of the pending deadlines; `None` (the common case) lets
    /// the wait sleep with no time-out at all.
    fn next_deadline(&self) -> Option<Instant> {
        [
            self.drain.deadline(),
            self.kill_after.deadline(),
            self.stop_delay.deadline(),
            self.recheck,
            self.forensics.watch_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Sleeps until a signal arrives, a watched process exits or `deadline`
    /// passes.
    fn wait_for_events(&mut self, deadline: Option<Instant>) -> Result<Option<Received>, Errno> {
        // (`collect` would cost each wake-up an empty allocation's work.)
        let watched: Vec<_> = if self.entered.is_empty() {
            Vec::new()
        } else {
            self.entered.fds().collect()
        };
        let received = self.signals.wait(deadline, &watched)?;
        // A watched process that exited leaves its pidfd readable: forget it
        // now, or the next wait would return at once.
        self.entered.prune();
        Ok(received)
    }

    /// Acts on `received`; returns whether to reap, and whether it was the
    /// main child's own SIGCHLD.
    fn handle_signal(&mut self, received: Received) -> (bool, bool) {
        let main_signalled =
            received.signal == Signal::CHLD && Some(received.sender) == self.child.map(Pid::as_raw);
        (self.on_signal(received), main_signalled)
    }

    /// What has come due by `now`: a look at the cgroups (OOM kills and
    /// fork refusals, see `watch`; told before the reaping that may name a
    /// victim), the end of `--stop-delay`, `--kill-after`.
    fn fire_due(&mut self, now: Instant, cgroup_event: bool) {
        self.forensics.on_watch(now, cgroup_event);
        if let Some(held) = self.stop_delay.release_if_due(now) {
            info!("--stop-delay is over: forwarding {held}");
            self.forward_stop_request(held);
        }
        if self.kill_after.fire_if_due(now) {
            info!("the child outlived --kill-after: sending SIGKILL");
            if let Some(delay) = self.config.kill_after {
                self.forensics.kill_after_fired(delay);
            }
            self.forward(Signal::KILL);
        }
    }

    /// Collects every child that has ended and acts on the main child's end
    /// or stop; returns whether rinit has children left. `main_signalled`:
    /// a SIGCHLD of this pass came from the main child.
    fn reap(&mut self, main_signalled: bool) -> bool {
        let (warn_on_reap, personality) = (self.config.warn_on_reap, self.config.personality);
        let names = self.forensics.wants_names(self.signals.take_child_killed());
        let reaped = reap_exited(
            self.child,
            names,
            main_signalled,
            &mut |pid, termination| {
                // Formatted only when it is logged: this runs for every orphan.
                if warn_on_reap {
                    let how = format!("{termination:?}");
                    warn!("{}", personality.reap_warning(pid.as_raw(), &how));
                } else {
                    debug!("reaped process {pid}: {termination:?}");
                }
            },
        );
        let main = reaped.main.map(|t| (t, reaped.main_name.clone()));
        self.forensics.after_reap(main, &reaped.killed);
        if let Some(termination) = reaped.main {
            self.main_ended(termination);
        } else if let Some(signal) = reaped.main_stopped {
            self.main_stopped(signal);
        }
        reaped.children_left
    }

    /// What happens once the main child has ended, asked after every pass:
    /// under a peer's name the peer's way out; otherwise the drain, which
    /// waits for every process left (its signal, the grace time, SIGKILL).
    /// `Some(code)` when rinit exits now.
    fn after_main_exit(&mut self, code: i32, children_left: bool) -> Option<i32> {
        if let Some(code) = self.end_as_the_peer(code) {
            return Some(code);
        }
        let now = Instant::now();
        // Looked for even while children are left: a process that entered
        // from outside must be known before the drain's kill(-1) reaches it,
        // or it would later count as a newcomer and get the drain signal a
        // second time.
        let outsiders_left = self.outsiders_left(now, children_left);
        match self.drain.advance(now, children_left || outsiders_left) {
            Step::Wait => None,
            Step::Exit => {
                info!("no process left: exiting with {code}");
                Some(code)
            }
            Step::KillAndExit => {
                self.forensics
                    .grace_ran_out(self.own_pid, self.config.grace);
                self.signal_remaining(Signal::KILL);
                info!("exiting with {code}; the kernel ends whatever is left");
                Some(code)
            }
            Step::GiveUp => {
                let left: Vec<_> = self.descendants().unwrap_or_default();
                let pids: Vec<_> = left.iter().map(|e| e.pid).collect();
                warn!(
                    "{} processes outlived SIGKILL by {:?} (pids {pids:?}; not ours to signal, or stuck in the kernel): leaving them to the init above and exiting with {code}",
                    pids.len(),
                    crate::shutdown::KILL_WAIT
                );
                Some(code)
            }
            Step::SignalRemaining(signal) => {
                if signal == Signal::KILL {
                    self.forensics
                        .grace_ran_out(self.own_pid, self.config.grace);
                }
                if !self.signal_remaining(signal) && self.drain.is_killing() {
                    warn!(
                        "cannot list the remaining descendants (no /proc, another namespace's /proc, or no file descriptor left to read it): leaving them to the init above"
                    );
                    return Some(code);
                }
                None
            }
        }
    }

    /// Handles one signal; returns whether it calls for reaping.
    fn on_signal(&mut self, received: Received) -> bool {
        if is_stop_request(received.signal) {
            self.stopping();
        }
        let decision = decide(received, self.own_pid, &self.config.rewrites);
        if received.signal == Signal::CONT && decision != Decision::Ignore {
            // Before the child runs on, so that it finds the terminal its own.
            let reaches_group = decision == Decision::Forward(Signal::CONT)
                && self.config.forward_to != ForwardTarget::Child;
            self.continue_job(reaches_group);
        }
        match decision {
            Decision::Reap => return true,
            Decision::Ignore => trace!("ignoring {} raised by rinit itself", received.signal),
            Decision::Forward(signal) if self.config.pause => {
                return self.on_signal_in_pause(received.signal, signal);
            }
            Decision::Forward(signal) => {
                self.pass_on(received.signal, signal);
                self.stop_itself_if_the_peer_does(received.signal);
            }
            Decision::Drop => {
                debug!("dropping {} as the rewrite rules say", received.signal);
                self.stop_itself_if_the_peer_does(received.signal);
            }
        }
        false
    }

    /// In pause mode (no child), a stop request ends the pause; with
    /// `--forward-to all` other signals still reach every process. Returns
    /// whether the pause ended.
    fn on_signal_in_pause(&mut self, received: Signal, forwarded: Signal) -> bool {
        if self.outcome.is_none() && pause_ends_on(received) {
            info!("{received} received: ending pause");
            self.outcome = Some(exit_status::SUCCESS);
            return true;
        }
        if self.config.forward_to == ForwardTarget::All {
            self.forward(forwarded);
        }
        false
    }

    /// Forwards `signal`, which `received` became by the rewrite rules,
    /// unless `--stop-delay` holds it back for now (it only ever holds a
    /// stop request, so only then is the clock read).
    fn pass_on(&mut self, received: Signal, signal: Signal) {
        if !is_stop_request(received) {
            self.forensics.forwarded(signal);
            self.forward(signal);
            return;
        }
        let now = Instant::now();
        match self
            .stop_delay
            .on_signal(now, received, signal, self.child.is_some())
        {
            Hold::Held(delay) => {
                info!(
                    "{received} received: holding it for {delay:?} (--stop-delay) before forwarding it"
                );
                return;
            }
            Hold::Release(held) => {
                info!("{received} received during --stop-delay: forwarding the held {held} now");
                self.forward_stop_request(held);
            }
            Hold::Pass => {}
        }
        self.forward_stop_request(signal);
    }

    /// A stop has begun: the service manager hears it (`--ready-when`).
    fn stopping(&self) {
        if let Some(notifier) = &self.notifier {
            notifier.stopping();
        }
    }

    /// Forwards `signal`, which a SIGTERM or SIGINT from outside became:
    /// `--kill-after` counts from now, and `--stop-success` will take the
    /// child's death by `signal` as asked for.
    fn forward_stop_request(&mut self, signal: Signal) {
        self.forensics.forwarded(signal);
        self.forward(signal);
        if self.child.is_some() {
            self.stops_sent = self.stops_sent.with(signal);
            if let Some(delay) = self.kill_after.arm(Instant::now()) {
                info!("stop requested: SIGKILL follows in {delay:?} if the child is still running");
            }
        }
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

    /// The main child was stopped: as a shell's job, rinit stops too, with
    /// the same signal (`policy::on_main_child_stopped`; the story is in
    /// docs/how-it-works.md, "Job control").
    fn main_stopped(&mut self, signal: Signal) {
        let Some(group) = self.group else { return };
        let in_foreground = !self.is_pid1 && sys::terminal_foreground() == Some(group.as_raw());
        let (signal, take_terminal) =
            match on_main_child_stopped(signal, self.is_pid1, in_foreground) {
                ChildStopped::CarryOn => {
                    debug!("the child was stopped by signal {signal}: carrying on");
                    return;
                }
                ChildStopped::StopToo {
                    signal,
                    take_terminal,
                } => (signal, take_terminal),
            };
        if take_terminal {
            if let Err(e) = sys::give_terminal_to(sys::own_process_group()) {
                debug!("cannot take the terminal back from the child: {e}");
            }
        }
        info!("the child was stopped by {signal}: stopping rinit too, as its job");
        self.stopped_as_job = true;
        match sys::stop_like_a_job(signal) {
            // The SIGCONT that ended the stop waits in the signalfd.
            Ok(true) => debug!("continued after {signal}"),
            Ok(false) => {
                // rinit's group is orphaned (no shell is left to continue it)
                // or ignores the signal: the kernel would not stop such a
                // job, so neither does rinit, and the child runs on.
                info!(
                    "{signal} does not stop rinit here (orphaned process group): continuing the child"
                );
                self.continue_job(false);
            }
            Err(e) => {
                warn!("cannot stop rinit with {signal}: {e}; continuing the child");
                self.continue_job(false);
            }
        }
    }

    /// rinit is being continued (the shell's `fg` or `bg`), or could not
    /// stop: see `policy::on_continue`.
    fn continue_job(&mut self, forwarding_reaches_group: bool) {
        let stopped_as_job = std::mem::take(&mut self.stopped_as_job);
        let (Some(group), Some(_)) = (self.group, self.child) else {
            return;
        };
        let own_group_in_foreground =
            !self.is_pid1 && sys::terminal_foreground() == Some(sys::own_process_group());
        let plan = on_continue(
            self.is_pid1,
            own_group_in_foreground,
            stopped_as_job,
            forwarding_reaches_group,
        );
        if plan.hand_terminal {
            match sys::give_terminal_to(group.as_raw()) {
                Ok(()) => debug!("gave the terminal back to the child's group"),
                Err(e) => debug!("cannot give the terminal back to the child's group: {e}"),
            }
        }
        if plan.continue_group {
            match sys::send_signal(-group.as_raw(), Signal::CONT) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(e) => warn!("cannot continue the child's process group: {e}"),
            }
        }
    }

    /// Under a peer's name, the peer's way of ending once the main child has
    /// exited (see `Personality::after_main_exit`): `Some(code)` to exit now,
    /// `None` to run rinit's drain.
    fn end_as_the_peer(&self, code: i32) -> Option<i32> {
        let config = &self.config;
        match config
            .personality
            .after_main_exit(config.grace, config.forward_to, &config.rewrites)
        {
            AfterMainExit::Drain => None,
            AfterMainExit::Exit => {
                info!("exiting with {code}, as {} does", config.personality.name());
                Some(code)
            }
            AfterMainExit::SignalGroupAndExit(signal) => {
                if let Some(pgid) = self.group {
                    match self.signal_group(pgid, signal) {
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
        let stop_success = self.config.stop_success.then_some(self.stops_sent);
        let code = outcome(termination, &self.config.success_codes, stop_success);
        match termination {
            Termination::Exited(status) => info!("child exited with status {status}"),
            Termination::Killed { signal, .. } => info!("child was killed by {signal}"),
        }
        if let (Termination::Killed { signal, .. }, Some(group)) = (termination, self.group) {
            let in_foreground = sys::terminal_foreground() == Some(group.as_raw());
            if typed_at_the_terminal(signal, in_foreground) {
                // As if forwarded: the user asked for it.
                self.forensics.forwarded(signal);
            }
        }
        let remapped_to_success = code == 0 && exit_code(termination) != 0;
        self.forensics.main_ended(code, remapped_to_success);
        self.child = None;
        self.outcome = Some(code);
        self.stopping();
        self.kill_after.disarm();
        if let Some(held) = self.stop_delay.cancel() {
            if stop_delay_defeated(termination) {
                warn!(
                    "--stop-delay held nothing back: the child got a SIGTERM directly and ended of it (under systemd, set KillMode=mixed)"
                );
            } else {
                info!("the child ended during --stop-delay: the held {held} is not forwarded");
            }
        }
    }

    /// Sends a signal to the forward target.
    fn forward(&mut self, signal: Signal) {
        if signal == Signal::KILL {
            self.forensics
                .sending_sigkill(match self.config.forward_to {
                    ForwardTarget::Child => KillTarget::MainChild,
                    ForwardTarget::Group => KillTarget::Group,
                    ForwardTarget::All => KillTarget::Everyone,
                });
        }
        let result = match self.config.forward_to {
            // The pid of an exited child may be reused: never signal it.
            ForwardTarget::Child => self.child.map(|pid| sys::send_signal(pid.as_raw(), signal)),
            ForwardTarget::Group => self.group.map(|pgid| self.signal_child_group(pgid, signal)),
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

    /// `signal` to the main child's process group. While the main child has
    /// not been reaped, its pid, and with it the group's number, cannot be
    /// reused, and as PID 1 everything in the namespace is rinit's: plain
    /// `kill(-group)`. Not as PID 1 and once the child is gone, the number
    /// may come back as an unrelated process's new group (`setsid`): then
    /// only the group's members that rinit can list among its descendants
    /// are signalled, each through a pidfd.
    fn signal_group(&self, group: Pid, signal: Signal) -> Result<(), Errno> {
        if self.child.is_some() || self.is_pid1 {
            return sys::send_signal(-group.as_raw(), signal);
        }
        let Some(descendants) = self.descendants() else {
            // No /proc: a process whose pid is the group's number can only
            // be a newcomer (the leader is gone), and the group is not ours.
            if sys::exists(group.as_raw()) {
                return Err(Errno::ESRCH);
            }
            return sys::send_signal(-group.as_raw(), signal);
        };
        let members: Vec<_> = descendants
            .into_iter()
            .filter(|e| e.stat.group == group.as_raw())
            .collect();
        match procs::signal_listed(&members, &[signal]) {
            0 => Err(Errno::ESRCH),
            _ => Ok(()),
        }
    }

    /// As PID 1, whether processes that are not rinit's children are still
    /// in the namespace: ones that entered it from outside (`docker exec`)
    /// and their descendants. (rinit's children and all below them are
    /// `waitpid`'s to report.) They are watched through pidfds, so their
    /// exit wakes the loop. While rinit's own `children_left`, the answer
    /// cannot end the drain: then /proc is listed only for newcomers, the
    /// first time and at most every `LOOK_FOR_NEWCOMERS_EVERY`.
    fn outsiders_left(&mut self, now: Instant, children_left: bool) -> bool {
        if !self.is_pid1 {
            return false;
        }
        let looked_lately = self
            .looked_for_outsiders
            .is_some_and(|at| now < at + LOOK_FOR_NEWCOMERS_EVERY);
        if children_left && looked_lately {
            // The answer does not matter now: the drain waits for rinit's
            // own children anyway.
            return true;
        }
        self.looked_for_outsiders = Some(now);
        self.recheck = None;
        if !self.entered.is_empty() {
            return true;
        }
        if !sys::anyone_else_left() {
            return false;
        }
        match procs::outsiders(self.own_pid) {
            Some(newcomers) => {
                self.welcome(&newcomers, now);
                !newcomers.is_empty()
            }
            None => {
                // Someone is there, but without /proc rinit cannot watch them.
                self.recheck = Some(now + RECHECK_WITHOUT_PROC);
                true
            }
        }
    }

    /// Processes just found to have entered from outside: they missed the
    /// drain's `kill(-1)`, so they get its current signal, and are watched
    /// from now on.
    fn welcome(&mut self, newcomers: &[procs::Entry], now: Instant) {
        let late: &[Signal] = match self.drain.current_signal() {
            None => &[],
            Some(Signal::KILL) => &[Signal::KILL],
            Some(signal) => &[signal, Signal::CONT],
        };
        for entry in newcomers {
            procs::signal_listed(std::slice::from_ref(entry), late);
            if !self.entered.add(entry) {
                self.recheck = Some(now + RECHECK_WITHOUT_PROC);
            }
        }
        if !newcomers.is_empty() {
            debug!(
                "{} processes entered the namespace from outside: waiting for them too",
                newcomers.len()
            );
        }
    }

    /// rinit's living descendants, from /proc (`None` without a usable one):
    /// who is left, asked the same way wherever it is asked.
    fn descendants(&self) -> Option<Vec<procs::Entry>> {
        procs::snapshot().map(|table| procs::descendants_of(self.own_pid, &table))
    }

    /// `signal` to the main child's group, and to the main child itself if
    /// it has moved to another group (`setpgid`), where the group no longer
    /// reaches it. Asking for the child's group on every signal would cost
    /// each forward a system call, so the move is noticed when it empties
    /// the old group (`kill` fails with ESRCH); from then on the child is
    /// asked every time. A child that leaves members behind in its old group
    /// is not noticed: no kernel event reports the move.
    fn signal_child_group(&mut self, group: Pid, signal: Signal) -> Result<(), Errno> {
        let sent = self.signal_group(group, signal);
        if sent != Err(Errno::ESRCH) && !self.child_left_group {
            return sent;
        }
        match self.child_outside(group) {
            Some(child) => sys::send_signal(child.as_raw(), signal),
            None => sent,
        }
    }

    /// The main child, if it is alive and no longer in `group`; says so
    /// the first time.
    fn child_outside(&mut self, group: Pid) -> Option<Pid> {
        let child = self.child?;
        let now = sys::process_group(child.as_raw()).filter(|&now| now != group.as_raw())?;
        if !self.child_left_group {
            self.child_left_group = true;
            warn!(
                "the child (pid {child}) left its process group {group} for {now}: signals go to the child itself from now on"
            );
        }
        Some(child)
    }

    /// The drain: `signal` to every remaining process, then SIGCONT so that a
    /// stopped process can act on it. Returns false if rinit could not find
    /// the processes to signal.
    fn signal_remaining(&self, signal: Signal) -> bool {
        // As PID 1 the count is only for the log: kill(-1) needs no list, and
        // listing /proc would delay the signal (by ~90 ms for 1,000 processes).
        let counted = if self.is_pid1 && log::log_enabled!(log::Level::Info) {
            procs::snapshot().map(|table| {
                table
                    .iter()
                    .filter(|e| e.pid != self.own_pid && e.stat.is_alive())
                    .count()
            })
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
        match self.descendants() {
            Some(descendants) => {
                let reached = procs::signal_listed(&descendants, &[signal]);
                debug!(
                    "sent {signal} to {reached} of {} descendants",
                    descendants.len()
                );
                Reach::Descendants(descendants.len())
            }
            None => {
                // Without a usable /proc, the child's group is all rinit can name.
                if let Some(pgid) = self.group {
                    let _ = self.signal_group(pgid, signal);
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
