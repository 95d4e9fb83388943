//! rinit: a minimal PID 1 for containers.
//!
//! This file reads in lifecycle order: parse, set up as init, start the
//! child, hand over to `supervisor` (the loop), exit; start here. The map
//! of the modules, one job each, is CONTRIBUTING.md's ("Map"); each
//! module's opening comment holds its depth.
//!
//! `signals`, `policy`, `shutdown`, `exit_status`, `personality` and `text`
//! are pure, as are `forensics`' decisions and wording: they take time and
//! state as input and make no system call.

mod cgroups;
mod cli;
mod env_files;
mod exit_status;
mod forensics;
mod logging;
mod personality;
mod policy;
mod probe;
mod procs;
mod readiness;
mod reap;
mod shutdown;
mod signals;
mod spawn;
mod supervisor;
mod sys;
mod text;
mod watch;

// The library's whole surface: `run` for the binary, and the parsers the
// fuzz targets (fuzz/checks.rs, replayed by tests/fuzz_corpus.rs) check.
// Everything else is the crate's own; `unreachable_pub` keeps it that way.
pub use cli::{Config, Invocation, UsageError, parse, parse_bool, parse_duration};
pub use env_files::{Variables, parse_env_file};
pub use exit_status::{parse_exit_code, usage_exit_code};
pub use personality::Personality;
pub use policy::{ForwardTarget, Rewrites};
pub use probe::Target;
pub use signals::{MAX_SIGNAL, RTMIN, Signal};
pub use spawn::EnvEntry;

use log::{debug, error, info, warn};
use signals::SignalSet;
use spawn::{ChildSpec, SpawnError};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Runs rinit with these arguments (`argv[0]` first) and this environment
/// (the C runtime's `envp`, entry by entry); returns the exit code.
pub fn run(argv: Vec<OsString>, env: Vec<EnvEntry>) -> i32 {
    // First thing: `-p` must know whether the parent died before it was armed.
    let parent = nix::unistd::getppid();
    // Before anything can open a descriptor: one of 0, 1, 2 left closed by
    // whoever started rinit is held by a close-on-exec placeholder, so that
    // nothing rinit opens (the exec-report pipe, a termination log, a pidfd)
    // takes that number and receives what was meant for stdin, stdout or
    // stderr; the child still finds it closed.
    let stdio = sys::hold_closed_stdio();
    logging::remember_stderr(stdio.stderr);
    // rinit's own variables come from the same list the child gets, read as
    // the C library's getenv (and std::env::var_os) would read it: one
    // source, so what configures rinit is what the child sees.
    let ours = spawn::Ours::of(&env);
    let lookup = |name: &str| ours.lookup(name).map(ToOwned::to_owned);
    let config = match cli::parse(&argv, &lookup) {
        Ok(Invocation::Run(config)) if !config.probes.is_empty() => return probe_once(&config),
        Ok(Invocation::Run(config)) => *config,
        Ok(Invocation::Help(text)) => return print_stdout(&text),
        Ok(Invocation::Version { line, to_stderr }) => return print_version(line, to_stderr),
        Ok(Invocation::License) => return print_stdout(include_str!("../LICENSE")),
        Err(usage) => {
            // Not eprintln!: it panics when stderr cannot be written (a full
            // disk, a pipe nobody reads), and a panic of PID 1 ends in SIGSEGV.
            logging::write_stderr(&format!("{}: {}\n", usage.program, usage.message));
            return usage.exit_code;
        }
    };
    logging::init(
        config.personality.name(),
        config.verbosity,
        config.log_filter.as_deref(),
        config.log_format,
    );
    let env = match command_environment(&config, env) {
        Ok(env) => env,
        Err(code) => {
            logging::flush();
            return code;
        }
    };
    let code = supervise(config, env, parent);
    logging::flush();
    code
}

/// `--probe`: checks every target once and says what failed, one line
/// each; no logger, no signal handling, nothing started. The engine may
/// kill it at any time: it leaves nothing behind but its own threads.
fn probe_once(config: &Config) -> i32 {
    let name = config.personality.name();
    let probe::Checked::Done(results) =
        probe::check_all(&config.probes, config.probe_timeout, None)
    else {
        return exit_status::FAILURE;
    };
    let mut stderr = std::io::stderr();
    let mut code = exit_status::SUCCESS;
    for (target, result) in config.probes.iter().zip(results) {
        if let Err(failure) = result {
            let _ = writeln!(stderr, "{name}: {target}: {failure}");
            code = exit_status::UNHEALTHY;
        }
    }
    code
}

/// The environment the command starts with: rinit's own, plus what
/// `--env-file` and `--env-from-files` ask for. A file that cannot be read
/// or parsed stops rinit before the command starts: an app started without
/// its password fails later and less clearly. Only names are logged, never
/// a value.
fn command_environment(config: &Config, env: Vec<EnvEntry>) -> Result<Vec<EnvEntry>, i32> {
    if config.env_sources.is_empty() {
        return Ok(env);
    }
    match env_files::apply(&config.env_sources, env, &env_files::read_bounded) {
        Ok(outcome) => {
            for (name, source) in outcome.set {
                debug!("set {name} for the command, from {source}");
            }
            for (variable, path) in outcome.too_large {
                warn!(
                    "{variable}: {} is larger than any variable can be: left as it is (--env-from-files)",
                    text::printable(path.as_bytes())
                );
            }
            Ok(outcome.env)
        }
        Err(e) => {
            error!("{e}; the command was not started");
            if let Some(path) = &config.termination_log {
                forensics::write_termination_log(path, &[e.to_string()]);
            }
            Err(exit_status::FAILURE)
        }
    }
}

/// `--version`: on stdout, or on stderr where the peer prints it there.
fn print_version(line: String, to_stderr: bool) -> i32 {
    if to_stderr {
        logging::write_stderr(&(line + "\n"));
        return exit_status::SUCCESS;
    }
    print_stdout(&(line + "\n"))
}

/// Prints help, version or licence; a closed stdout is not an error worth a
/// panic.
fn print_stdout(text: &str) -> i32 {
    let mut out = std::io::stdout();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    exit_status::SUCCESS
}

/// Sets rinit up as an init, starts the child and runs the signal loop.
fn supervise(config: Config, env: Vec<EnvEntry>, parent: nix::unistd::Pid) -> i32 {
    let own_pid = sys::own_pid();
    let (inherited_mask, mut signals) = match take_signals() {
        Ok(taken) => taken,
        Err(code) => return code,
    };
    let parent_died_early =
        match adopt_orphans(&config, own_pid).and_then(|()| arm_parent_death(&config, parent)) {
            Ok(died) => died,
            Err(code) => return code,
        };
    if !config.wait_for.is_empty() {
        // A wait may last a minute, and what it waits for must show while
        // it waits: the log writer starts now, before the child, the one
        // case where it may take a process slot the child would need.
        logging::release();
        if let Err(code) = gate(&config, &mut signals) {
            return code;
        }
    }
    let notifier = match notifier(&config, &env) {
        Ok(notifier) => notifier,
        Err(code) => return code,
    };
    // Before the child can run: none of its OOM kills is taken for history.
    let baseline = forensics::OomBaseline::take(&mut signals);
    let child = match start(&config, env, own_pid, inherited_mask) {
        Ok(child) => child,
        Err(code) => return code,
    };
    // The child keeps the caller's working directory; rinit lets go of it so
    // that it pins no mount.
    match std::env::set_current_dir("/") {
        Ok(()) => debug!("left the working directory for /"),
        Err(e) => debug!("cannot change directory to /: {}", os_error(e)),
    }
    if let (Some(target), Some(notifier)) = (&config.ready_when, &notifier) {
        readiness::watch(target.clone(), config.probe_timeout, notifier.clone());
    }
    let supervisor =
        supervisor::Supervisor::new(config, own_pid, signals, child, baseline, notifier);
    let first = parent_died_early.map(|signal| {
        info!("the parent died before {signal} could be armed: acting on it now");
        signals::Received { signal, sender: 0 }
    });
    match supervisor.run(first) {
        Ok(code) => code,
        Err(e) => fail(&format!("cannot read signals: {}", os_error(e))),
    }
}

/// Blocks every signal, and opens the signalfd that reads them; returns the
/// mask rinit inherited (the child's, see `spawn`). Blocking comes first, so
/// no signal can arrive between now and the loop without being queued for
/// it (an unhandled signal to PID 1 would be lost). The signalfd is the one
/// descriptor rinit needs (starting the child needs none). It is made
/// before the child, so that running out of descriptors stops rinit before
/// there is a child to abandon.
fn take_signals() -> Result<(SignalSet, sys::SignalReader), i32> {
    let inherited_mask = sys::change_signal_mask(libc::SIG_BLOCK, SignalSet::blockable())
        .map_err(|e| fail(&format!("cannot block signals: {}", os_error(e))))?;
    let signals = sys::SignalReader::new(SignalSet::blockable())
        .map_err(|e| fail(&format!("cannot create a signalfd: {}", os_error(e))))?;
    Ok((inherited_mask, signals))
}

/// `-s`: orphans come to rinit. PID 1 of a namespace adopts every orphan
/// already: `-s` asks for nothing more there, so a sandbox refusing the
/// call cannot matter. Otherwise a refusal (AWS Lambda, qemu-user) is one
/// warning if rinit chose to be a subreaper, and fatal (rinit's exit code
/// as the error) if the user asked for it: running without what was asked
/// would leave zombies nobody reaps.
fn adopt_orphans(config: &Config, own_pid: libc::pid_t) -> Result<(), i32> {
    if own_pid == 1 {
        if config.subreaper {
            debug!(
                "as PID 1 every orphan comes to rinit: no need to register as a child subreaper"
            );
        }
        return Ok(());
    }
    match sys::set_child_subreaper() {
        Ok(()) => debug!("registered as child subreaper (pid {own_pid})"),
        Err(e) if config.subreaper => {
            return Err(fail(&format!(
                "cannot honour -s/--subreaper, the system refuses it: {}",
                os_error(e)
            )));
        }
        Err(e) => warn!(
            "cannot become a child subreaper, orphans will not be reaped: {}",
            os_error(e)
        ),
    }
    Ok(())
}

/// `-p`: the signal to act on when the parent dies, if it died before it
/// could be armed. A refusal is fatal, as a refused `-s`: the user asked
/// that rinit and the app never outlive the parent, and carrying on
/// without it would leave them running unseen once the parent is gone.
fn arm_parent_death(config: &Config, parent: nix::unistd::Pid) -> Result<Option<Signal>, i32> {
    let Some(signal) = config.pdeathsig else {
        return Ok(None);
    };
    match sys::set_parent_death_signal(signal, parent) {
        Ok(died) => Ok(died.then_some(signal)),
        Err(e) => Err(fail(&format!(
            "cannot honour -p/--pdeathsig, the system refuses a parent death signal: {}",
            os_error(e)
        ))),
    }
}

/// `--ready-when`'s notifier. Read before the environment goes to the
/// child: `NOTIFY_SOCKET` is passed on untouched, for an app that notifies
/// by itself.
fn notifier(
    config: &Config,
    env: &[EnvEntry],
) -> Result<Option<std::sync::Arc<readiness::Notifier>>, i32> {
    if config.ready_when.is_none() {
        return Ok(None);
    }
    match spawn::lookup(env, cli::NOTIFY_SOCKET) {
        Some(socket) => match readiness::Notifier::new(socket) {
            Ok(notifier) => Ok(Some(std::sync::Arc::new(notifier))),
            Err(e) => Err(fail(&format!(
                "--ready-when: NOTIFY_SOCKET: {}",
                os_error(e)
            ))),
        },
        None => Ok(None),
    }
}

/// Starts the child (none with `--pause`), then lets the log writer take a
/// process slot. A command that cannot be started is said the way the peer
/// rinit stands in for says it, and ends rinit with its exit code.
fn start(
    config: &Config,
    env: Vec<EnvEntry>,
    own_pid: libc::pid_t,
    mask: SignalSet,
) -> Result<Option<nix::unistd::Pid>, i32> {
    if config.pause {
        logging::release();
        return Ok(None);
    }
    let started = start_child(config, env, own_pid, mask);
    // Only now may the log writer thread take a process slot.
    logging::release();
    let e = match started {
        Ok(pid) => return Ok(Some(pid)),
        Err(e) => e,
    };
    let line = e.peer_line(config.personality);
    match &line {
        // Under a peer's name, the peer's exact line: scripts grep for it.
        Some(line) => logging::write_stderr(&format!("{line}\n")),
        None => error!("{e}"),
    }
    if let Some(path) = &config.termination_log {
        forensics::write_termination_log(path, &[line.unwrap_or(e.to_string())]);
    }
    Err(exit_status::start_failure_exit_code(
        config.personality,
        e.exec_errno(),
    ))
}

/// `--wait-for`: the command starts only once every target passes. Gives
/// rinit's exit code when it must not start at all.
fn gate(config: &Config, signals: &mut sys::SignalReader) -> Result<(), i32> {
    let gate = readiness::wait_for(
        &config.wait_for,
        config.probe_timeout,
        config.wait_timeout,
        signals,
    )
    .map_err(|e| fail(&format!("cannot read signals: {}", os_error(e))))?;
    match gate {
        readiness::Gate::Open => Ok(()),
        readiness::Gate::Stopped(signal) => {
            info!("{signal} received while waiting for --wait-for: the command was not started");
            Err(exit_status::killed_by(signal))
        }
        readiness::Gate::TimedOut(failing) => {
            let list: Vec<String> = failing
                .iter()
                .map(|(target, failure)| format!("{target} ({failure})"))
                .collect();
            let message = format!(
                "--wait-for gave up after {:?}: {}; the command was not started",
                config.wait_timeout,
                list.join(", ")
            );
            error!("{message}");
            if let Some(path) = &config.termination_log {
                forensics::write_termination_log(path, &[message]);
            }
            Err(exit_status::FAILURE)
        }
    }
}

fn start_child(
    config: &Config,
    env: Vec<EnvEntry>,
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
        "started '{}' as pid {pid}{}",
        text::printable(config.command[0].as_bytes()),
        if take_terminal {
            ", in the terminal's foreground"
        } else {
            ""
        }
    );
    Ok(pid)
}

/// A system error in rinit's words (`text::os_error`), with the open-file
/// limit should it be what ran out.
fn os_error(error: impl Into<std::io::Error>) -> String {
    text::os_error(error, sys::open_file_limit())
}

fn fail(message: &str) -> i32 {
    error!("{message}");
    exit_status::FAILURE
}
