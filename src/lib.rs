//! rinit: a minimal PID 1 for containers.
//!
//! The modules, each with one job:
//! - `cli`: the command line and environment, into a `Config`;
//! - `personality`: the defaults of the peer rinit may be standing in for;
//! - `signals`: signal numbers, names and sets, and a received signal;
//! - `policy`: what to do with each received signal, and with a stop of the
//!   child (Ctrl-Z) or a SIGCONT;
//! - `shutdown`: the drain, `--stop-delay` and `--kill-after` state machines;
//! - `exit_status`: every exit code rinit can return: the child's
//!   (`--remap-exit`, `--stop-success`), and usage errors, a command that
//!   cannot be started, and rinit's own failures;
//! - `forensics`: saying why things died (crashes, OOM kills, SIGKILLs,
//!   the termination message);
//! - `spawn`: starting the child exactly as it would start without rinit;
//! - `reap`: collecting exited children, and noticing the child stop;
//! - `supervisor`: the signalfd loop that ties them together;
//! - `procs`: the process table from /proc, and signals pinned with pidfds;
//! - `sys`: the thin layer of system calls, which uses only `signals`;
//! - `logging`: rinit's own messages, on stderr.
//!
//! `signals`, `policy`, `shutdown`, `exit_status` and `personality` are
//! pure, as are `forensics`' decisions and wording: they take time and
//! state as input and make no system call.

mod cli;
mod exit_status;
mod forensics;
mod logging;
mod personality;
mod policy;
mod procs;
mod reap;
mod shutdown;
mod signals;
mod spawn;
mod supervisor;
mod sys;

// The library's whole surface: `run` for the binary, and the parsers the
// fuzz targets (fuzz/checks.rs, replayed by tests/fuzz_corpus.rs) check.
// Everything else is the crate's own; `unreachable_pub` keeps it that way.
pub use cli::{Config, Invocation, UsageError, parse, parse_bool, parse_duration};
pub use exit_status::{parse_exit_code, usage_exit_code};
pub use personality::Personality;
pub use policy::{ForwardTarget, Rewrites};
pub use signals::{MAX_SIGNAL, RTMIN, Signal};

use log::{debug, error, info, warn};
use logging::io_error;
use signals::SignalSet;
use spawn::{ChildSpec, SpawnError};
use std::ffi::{CString, OsString};
use std::io::Write;

/// Runs rinit with these arguments (`argv[0]` first) and this environment
/// (the C runtime's `envp`, entry by entry); returns the exit code.
pub fn run(argv: Vec<OsString>, env: Vec<CString>) -> i32 {
    // First thing: `-p` must know whether the parent died before it was armed.
    let parent = nix::unistd::getppid();
    // rinit's own variables come from the same list the child gets, read as
    // the C library's getenv (and std::env::var_os) would read it: one
    // source, so what configures rinit is what the child sees.
    let lookup = |name: &str| spawn::lookup(&env, name).map(ToOwned::to_owned);
    let config = match cli::parse(&argv, &lookup) {
        Ok(Invocation::Run(config)) => *config,
        Ok(Invocation::Help(text)) => return print_stdout(&text),
        Ok(Invocation::Version { line, to_stderr }) => {
            if to_stderr {
                let _ = writeln!(std::io::stderr(), "{line}");
                return exit_status::SUCCESS;
            }
            return print_stdout(&(line + "\n"));
        }
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
    let code = supervise(config, env, parent);
    logging::flush();
    code
}

/// Prints help, version or licence; a closed stdout is not an error worth a
/// panic.
fn print_stdout(text: &str) -> i32 {
    let mut out = std::io::stdout();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    exit_status::SUCCESS
}

/// Sets rinit up as an init, starts the child and runs the signal loop.
fn supervise(config: Config, env: Vec<CString>, parent: nix::unistd::Pid) -> i32 {
    let own_pid = sys::own_pid();
    // Block first, so no signal can arrive between now and the loop without
    // being queued for it (an unhandled signal to PID 1 would be lost).
    let inherited_mask = match sys::change_signal_mask(libc::SIG_BLOCK, SignalSet::blockable()) {
        Ok(mask) => mask,
        Err(e) => return fail(&format!("cannot block signals: {}", io_error(&e))),
    };
    // The signalfd is the one descriptor rinit needs (starting the child
    // needs none, see `spawn`). It is made before the child, so that running
    // out of descriptors stops rinit before there is a child to abandon.
    let signals = match sys::SignalReader::new(SignalSet::blockable()) {
        Ok(reader) => reader,
        Err(e) => return fail(&format!("cannot create a signalfd: {}", io_error(&e))),
    };
    // PID 1 of a namespace adopts every orphan already: `-s` asks for
    // nothing more there, so a sandbox refusing the call cannot matter.
    // Otherwise a refusal (AWS Lambda, qemu-user) is one warning if rinit
    // chose to be a subreaper, and fatal if the user asked for it: running
    // without what was asked would leave zombies nobody reaps.
    if own_pid != 1 {
        match sys::set_child_subreaper() {
            Ok(()) => debug!("registered as child subreaper (pid {own_pid})"),
            Err(e) if config.subreaper => {
                return fail(&format!(
                    "cannot honour -s/--subreaper, the system refuses it: {}",
                    io_error(&e)
                ));
            }
            Err(e) => warn!(
                "cannot become a child subreaper, orphans will not be reaped: {}",
                io_error(&e)
            ),
        }
    } else if config.subreaper {
        debug!("as PID 1 every orphan comes to rinit: no need to register as a child subreaper");
    }
    // A refused `-p` is fatal, as a refused `-s`: the user asked that rinit
    // and the app never outlive the parent, and carrying on without it
    // would leave them running unseen once the parent is gone.
    let mut parent_died_early = None;
    if let Some(signal) = config.pdeathsig {
        match sys::set_parent_death_signal(signal, parent) {
            Ok(true) => parent_died_early = Some(signal),
            Ok(false) => {}
            Err(e) => {
                return fail(&format!(
                    "cannot honour -p/--pdeathsig, the system refuses a parent death signal: {}",
                    io_error(&e)
                ));
            }
        }
    }
    let child = if config.pause {
        None
    } else {
        match start_child(&config, env, own_pid, inherited_mask) {
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
                return exit_status::start_failure_exit_code(config.personality, &e);
            }
        }
    };
    // The child keeps the caller's working directory; rinit lets go of it so
    // that it pins no mount.
    match std::env::set_current_dir("/") {
        Ok(()) => debug!("left the working directory for /"),
        Err(e) => debug!("cannot change directory to /: {}", io_error(&e)),
    }
    let mut supervisor = supervisor::Supervisor::new(config, signals, child);
    if let Some(signal) = parent_died_early {
        info!("the parent died before {signal} could be armed: acting on it now");
        supervisor.receive_first(signals::Received { signal, sender: 0 });
    }
    match supervisor.run() {
        Ok(code) => code,
        Err(e) => fail(&format!("cannot read signals: {}", io_error(&e))),
    }
}

fn start_child(
    config: &Config,
    env: Vec<CString>,
    own_pid: libc::pid_t,
    mask: SignalSet,
) -> Result<nix::unistd::Pid, SpawnError> {
    let take_terminal = sys::owns_terminal_foreground();
    let spec = ChildSpec::new(
        &config.command,
        env,
        own_pid,
        take_terminal,
        config.personality.child_mask(mask),
    )?
    .run_scripts_with_sh(config.personality.runs_scripts_with_sh());
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
    exit_status::FAILURE
}
