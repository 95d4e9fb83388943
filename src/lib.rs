//! rinit: a minimal PID 1 for containers.
//!
//! The modules, each with one job:
//! - `cli`: the command line and environment, into a `Config`;
//! - `personality`: the defaults of the peer rinit may be standing in for;
//! - `signals`: signal numbers, names and sets;
//! - `policy`: what to do with each received signal;
//! - `shutdown`: the drain and `--kill-after` state machines;
//! - `exit_status`: the exit code that mirrors the child;
//! - `forensics`: saying why things died (crashes, OOM kills, SIGKILLs,
//!   the termination message);
//! - `spawn`: starting the child exactly as it would start without rinit;
//! - `reap`: collecting exited children;
//! - `supervisor`: the signalfd loop that ties them together;
//! - `sys`: the thin layer of system calls;
//! - `logging`: rinit's own messages, on stderr.

pub mod cli;
pub mod exit_status;
pub mod forensics;
pub mod logging;
pub mod personality;
pub mod policy;
pub mod reap;
pub mod shutdown;
pub mod signals;
pub mod spawn;
pub mod supervisor;
pub mod sys;

use cli::{Config, Invocation};
use log::{debug, error, info, warn};
use signals::SignalSet;
use spawn::{ChildSpec, SpawnError};
use std::ffi::OsString;
use std::io::Write;

/// Exit code for a failure of rinit itself (not of the command).
pub const EXIT_FAILURE: i32 = 1;

/// Runs rinit with these arguments (`argv[0]` first); returns the exit code.
pub fn run(argv: Vec<OsString>) -> i32 {
    // First thing: `-p` must know whether the parent died before it was armed.
    let parent = nix::unistd::getppid();
    let config = match cli::parse(&argv, &|name| std::env::var_os(name)) {
        Ok(Invocation::Run(config)) => *config,
        Ok(Invocation::Help(text)) => return print_stdout(&text),
        Ok(Invocation::Version(line)) => return print_stdout(&(line + "\n")),
        Ok(Invocation::License) => return print_stdout(include_str!("../LICENSE")),
        Err(usage) => {
            // Not eprintln!: it panics when stderr cannot be written (a full
            // disk, a pipe nobody reads), and a panic of PID 1 ends in SIGSEGV.
            let _ = writeln!(std::io::stderr(), "{}: {}", usage.program, usage.message);
            return usage.exit_code;
        }
    };
    logging::init(
        config.personality.name(),
        config.verbosity,
        config.log_filter.as_deref(),
        config.log_format,
    );
    let code = supervise(config, parent);
    logging::flush();
    code
}

/// Prints help, version or licence; a closed stdout is not an error worth a
/// panic.
fn print_stdout(text: &str) -> i32 {
    let mut out = std::io::stdout();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    0
}

/// Sets rinit up as an init, starts the child and runs the signal loop.
fn supervise(config: Config, parent: nix::unistd::Pid) -> i32 {
    let own_pid = sys::own_pid();
    // Block first, so no signal can arrive between now and the loop without
    // being queued for it (an unhandled signal to PID 1 would be lost).
    let inherited_mask = match sys::change_signal_mask(libc::SIG_BLOCK, SignalSet::blockable()) {
        Ok(mask) => mask,
        Err(e) => return fail(&format!("cannot block signals: {e}")),
    };
    let signals = match sys::SignalReader::new(SignalSet::blockable()) {
        Ok(reader) => reader,
        Err(e) => return fail(&format!("cannot create a signalfd: {e}")),
    };
    if own_pid != 1 || config.subreaper {
        match sys::set_child_subreaper() {
            Ok(()) => debug!("registered as child subreaper (pid {own_pid})"),
            Err(e) if config.subreaper => {
                return fail(&format!("cannot become a child subreaper: {e}"));
            }
            Err(e) => warn!("cannot become a child subreaper, orphans will not be reaped: {e}"),
        }
    }
    let mut parent_died_early = None;
    if let Some(signal) = config.pdeathsig {
        match sys::set_parent_death_signal(signal, parent) {
            Ok(true) => parent_died_early = Some(signal),
            Ok(false) => {}
            Err(e) => return fail(&format!("cannot set the parent death signal: {e}")),
        }
    }
    let child = if config.pause {
        None
    } else {
        match start_child(&config, own_pid, inherited_mask) {
            Ok(pid) => Some(pid),
            Err(e) => {
                let line = e.peer_line(config.personality);
                match &line {
                    // Under a peer's name, the peer's exact line: scripts grep for it.
                    Some(line) => {
                        let _ = writeln!(std::io::stderr(), "{line}");
                    }
                    None => error!("{e}"),
                }
                if let Some(path) = &config.termination_log {
                    forensics::write_termination_log(path, &[line.unwrap_or(e.to_string())]);
                }
                let (not_found, not_executable) = config.personality.exec_failure_exit_codes();
                return match e {
                    e if e.is_not_found() => not_found,
                    e if e.is_exec_failure() => not_executable,
                    _ => EXIT_FAILURE,
                };
            }
        }
    };
    // The child keeps the caller's working directory; rinit lets go of it so
    // that it pins no mount.
    match std::env::set_current_dir("/") {
        Ok(()) => debug!("left the working directory for /"),
        Err(e) => debug!("cannot change directory to /: {e}"),
    }
    let mut supervisor = supervisor::Supervisor::new(config, signals, child);
    if let Some(signal) = parent_died_early {
        info!("the parent died before {signal} could be armed: acting on it now");
        supervisor.receive_first(policy::Received { signal, sender: 0 });
    }
    match supervisor.run() {
        Ok(code) => code,
        Err(e) => fail(&format!("cannot read signals: {e}")),
    }
}

fn start_child(
    config: &Config,
    own_pid: libc::pid_t,
    mask: SignalSet,
) -> Result<nix::unistd::Pid, SpawnError> {
    let take_terminal = sys::owns_terminal_foreground();
    let spec = ChildSpec::new(
        &config.command,
        std::env::vars_os().collect(),
        own_pid,
        take_terminal,
        config.personality.child_mask(mask),
    )?;
    let pid = spec.spawn()?;
    debug!(
        "started {:?} as pid {pid}{}",
        config.command[0],
        if take_terminal {
            ", in the terminal's foreground"
        } else {
            ""
        }
    );
    Ok(pid)
}

fn fail(message: &str) -> i32 {
    error!("{message}");
    EXIT_FAILURE
}
