//! The command line and the environment, turned into a `Config`.
//!
//! `OPTIONS` is the one definition of every option: its letters, long name,
//! value, variable and help line. The clap command is built from it (clap
//! lexes and checks the command line and writes `--help`), the variable layer
//! reads the same table, and a test checks the README's option table against
//! it. Adding an option is a row in `OPTIONS`, a field in `Layer` and in
//! `Config`, and the line in `Layer::set_value` or `Layer::set_flag` that
//! says what it means. A command line with no option at all (`rinit -- CMD`)
//! does not need clap and skips it (see `read_command_line`).
//!
//! The variables are read here rather than by clap's `env` feature: the
//! peers' variables rank between `RINIT_*` and the defaults, an empty
//! `RINIT_*` is an error while a `TINI_*` counts when merely set, and a list
//! variable holds several items. None of that is clap's model.
//!
//! Where a setting comes from, strongest first: the command line, then the
//! `RINIT_*` variable, then the peer's variable (`TINI_*`, `DUMB_INIT_*`),
//! then the default of the name rinit was run as (see `personality`).

use crate::env_files::EnvSources;
use crate::exit_status::parse_exit_code;
use crate::forensics::TERMINATION_LOG;
use crate::logging::LogFormat;
use crate::personality::Personality;
use crate::policy::{ForwardTarget, Rewrites};
use crate::probe::Target;
use crate::signals::Signal;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

/// Everything rinit needs to know to run. The fields the fuzz checks look
/// at (fuzz/checks.rs) are `pub`; the others are the crate's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub(crate) personality: Personality,
    /// The command and its arguments; empty in pause mode.
    pub command: Vec<OsString>,
    pub forward_to: ForwardTarget,
    pub subreaper: bool,
    pub pdeathsig: Option<Signal>,
    pub(crate) warn_on_reap: bool,
    pub(crate) success_codes: BTreeSet<u8>,
    pub(crate) rewrites: Rewrites,
    pub pause: bool,
    pub grace: Duration,
    pub drain_signal: Signal,
    pub kill_after: Option<Duration>,
    /// `--stop-delay`: how long the first SIGTERM is held; `None` (or zero)
    /// holds nothing.
    pub(crate) stop_delay: Option<Duration>,
    /// `--stop-success`: exit 0 when the child ends of a stop request rinit
    /// forwarded.
    pub(crate) stop_success: bool,
    /// 0 errors, 1 warnings (default), 2 info, 3 debug, 4 trace.
    pub verbosity: u8,
    /// `RINIT_LOG`: an `env_logger` filter that overrides `verbosity`.
    pub(crate) log_filter: Option<String>,
    pub(crate) log_format: LogFormat,
    /// Where the reason of a failed exit goes, if the file is there and
    /// empty (Kubernetes' termination message); `None`: nowhere.
    pub(crate) termination_log: Option<PathBuf>,
    /// `--env-file` and `--env-from-files`: what the command's environment
    /// gets from files (see `env_files`).
    pub(crate) env_sources: EnvSources,
    /// `--probe`: check these and exit, running no command.
    pub(crate) probes: Vec<Target>,
    pub(crate) probe_timeout: Duration,
    /// `--wait-for`: the command starts once all of these pass.
    pub(crate) wait_for: Vec<Target>,
    pub(crate) wait_timeout: Duration,
    /// `--ready-when`: READY=1 goes to `NOTIFY_SOCKET` once this passes.
    pub(crate) ready_when: Option<Target>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(Box<Config>),
    Help(String),
    /// The version line, and whether it goes to stderr (dumb-init's way)
    /// rather than stdout.
    Version {
        line: String,
        to_stderr: bool,
    },
    License,
}

/// A malformed command line or variable: the message names the culprit.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    /// What rinit calls itself, by the name it was run as.
    pub(crate) program: &'static str,
    /// One line: control characters in it are escaped.
    pub message: String,
    pub exit_code: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opt {
    Help,
    Version,
    License,
    Verbose,
    Group,
    SingleChild,
    ForwardTo,
    Subreaper,
    Pdeathsig,
    WarnOnReap,
    RemapExit,
    Rewrite,
    Pause,
    Grace,
    DrainSignal,
    KillAfter,
    StopDelay,
    StopSuccess,
    TerminationLog,
    LogFormat,
    EnvFile,
    EnvFromFiles,
    Probe,
    ProbeTimeout,
    WaitFor,
    WaitTimeout,
    ReadyWhen,
}

/// What an option takes on the command line. Its variable, if it has one,
/// takes the same in text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// A flag; its variable is a boolean.
    Nothing,
    /// A flag counted on the command line (`-vvv`); its variable is a number.
    Count,
    /// One value (named for `--help`); given twice, the last one counts.
    Value(&'static str),
    /// A value that may be given again, adding to a list; its variable holds
    /// the whole list, separated by commas or white space.
    List(&'static str),
}

struct Spec {
    opt: Opt,
    short: Option<char>,
    /// Further letters for the same option (catatonit's `-L` beside tini's
    /// `-l`).
    more_shorts: &'static [char],
    long: &'static str,
    takes: Takes,
    env: Option<&'static str>,
    help: &'static str,
}

/// Every option, in the order of `--help`. The flags of tini (`-s -p -v -w
/// -g -e -l`), dumb-init (`-c -r -v -V`) and catatonit (`-g -P -L -V`) do not
/// clash, so all of them live here under every name rinit runs as.
const OPTIONS: &[Spec] = &[
    Spec {
        opt: Opt::Group,
        short: Some('g'),
        more_shorts: &[],
        long: "group",
        takes: Takes::Nothing,
        env: None,
        help: "forward signals to the child's process group (same as --forward-to group)",
    },
    Spec {
        opt: Opt::SingleChild,
        short: Some('c'),
        more_shorts: &[],
        long: "single-child",
        takes: Takes::Nothing,
        env: None,
        help: "forward signals to the child alone (same as --forward-to child)",
    },
    Spec {
        opt: Opt::ForwardTo,
        short: None,
        more_shorts: &[],
        long: "forward-to",
        takes: Takes::Value("TARGET"),
        env: Some("RINIT_FORWARD_TO"),
        help: "child, group or all: who receives forwarded signals; all reaches every process in the container as PID 1, rinit's own descendants otherwise",
    },
    Spec {
        opt: Opt::Grace,
        short: None,
        more_shorts: &[],
        long: "grace",
        takes: Takes::Value("DURATION"),
        env: Some("RINIT_GRACE"),
        help: "after the child exits, how long the others get to exit before SIGKILL",
    },
    Spec {
        opt: Opt::DrainSignal,
        short: None,
        more_shorts: &[],
        long: "drain-signal",
        takes: Takes::Value("SIG"),
        env: Some("RINIT_DRAIN_SIGNAL"),
        help: "signal sent to the others when the child exits",
    },
    Spec {
        opt: Opt::KillAfter,
        short: None,
        more_shorts: &[],
        long: "kill-after",
        takes: Takes::Value("DURATION"),
        env: Some("RINIT_KILL_AFTER"),
        help: "SIGKILL the target if the child still runs this long after a SIGTERM/SIGINT from outside was forwarded (as -r rewrote it); 0: off",
    },
    Spec {
        opt: Opt::StopDelay,
        short: None,
        more_shorts: &[],
        long: "stop-delay",
        takes: Takes::Value("DURATION"),
        env: Some("RINIT_STOP_DELAY"),
        help: "hold the first SIGTERM this long before forwarding it (a 2nd SIGTERM or a SIGINT ends the hold); 0: off",
    },
    Spec {
        opt: Opt::Rewrite,
        short: Some('r'),
        more_shorts: &[],
        long: "rewrite",
        takes: Takes::List("FROM:TO"),
        env: Some("RINIT_REWRITE"),
        help: "forward signal FROM as TO; TO 0 drops it (repeatable)",
    },
    Spec {
        opt: Opt::RemapExit,
        short: Some('e'),
        more_shorts: &[],
        long: "remap-exit",
        takes: Takes::List("CODE"),
        env: Some("RINIT_REMAP_EXIT"),
        help: "exit 0 when the child's exit code (or 128+N) is CODE (repeatable)",
    },
    Spec {
        opt: Opt::StopSuccess,
        short: None,
        more_shorts: &[],
        long: "stop-success",
        takes: Takes::Nothing,
        env: Some("RINIT_STOP_SUCCESS"),
        help: "exit 0 when the child dies of a SIGTERM/SIGINT rinit forwarded, or exits 128+N for it",
    },
    Spec {
        opt: Opt::Subreaper,
        short: Some('s'),
        more_shorts: &[],
        long: "subreaper",
        takes: Takes::Nothing,
        env: Some("RINIT_SUBREAPER"),
        help: "register as child subreaper (automatic when not PID 1)",
    },
    Spec {
        opt: Opt::Pdeathsig,
        short: Some('p'),
        more_shorts: &[],
        long: "pdeathsig",
        takes: Takes::Value("SIG"),
        env: Some("RINIT_PDEATHSIG"),
        help: "signal rinit receives (and forwards) when its parent dies",
    },
    Spec {
        opt: Opt::WarnOnReap,
        short: Some('w'),
        more_shorts: &[],
        long: "warn-on-reap",
        takes: Takes::Nothing,
        env: Some("RINIT_WARN_ON_REAP"),
        help: "warn about every reaped process that is not the child",
    },
    Spec {
        opt: Opt::Pause,
        short: Some('P'),
        more_shorts: &[],
        long: "pause",
        takes: Takes::Nothing,
        env: Some("RINIT_PAUSE"),
        help: "run no command: reap until SIGTERM or SIGINT, then exit 0",
    },
    Spec {
        opt: Opt::TerminationLog,
        short: None,
        more_shorts: &[],
        long: "termination-log",
        takes: Takes::Value("PATH"),
        env: Some("RINIT_TERMINATION_LOG"),
        help: "on a failed exit, write why to PATH if it is an empty regular file (never procfs, sysfs or cgroupfs); off: never",
    },
    Spec {
        opt: Opt::LogFormat,
        short: None,
        more_shorts: &[],
        long: "log-format",
        takes: Takes::Value("FORMAT"),
        env: Some("RINIT_LOG_FORMAT"),
        help: "text or json: json writes each log line as one JSON object",
    },
    Spec {
        opt: Opt::Probe,
        short: None,
        more_shorts: &[],
        long: "probe",
        takes: Takes::List("TARGET"),
        // No variable: one set in an image's environment would turn the
        // app's own rinit into a probe.
        env: None,
        help: "run no command: check TARGET once, exit 0 if it passes, 1 if not (HEALTHCHECK); repeatable",
    },
    Spec {
        opt: Opt::ProbeTimeout,
        short: None,
        more_shorts: &[],
        long: "probe-timeout",
        takes: Takes::Value("DURATION"),
        env: Some("RINIT_PROBE_TIMEOUT"),
        help: "how long one check of the targets may take [800ms]",
    },
    Spec {
        opt: Opt::WaitFor,
        short: None,
        more_shorts: &[],
        long: "wait-for",
        takes: Takes::List("TARGET"),
        env: Some("RINIT_WAIT_FOR"),
        help: "start the command only once TARGET passes; repeatable",
    },
    Spec {
        opt: Opt::WaitTimeout,
        short: None,
        more_shorts: &[],
        long: "wait-timeout",
        takes: Takes::Value("DURATION"),
        env: Some("RINIT_WAIT_TIMEOUT"),
        help: "how long --wait-for waits before giving up with exit 1 [60s]",
    },
    Spec {
        opt: Opt::ReadyWhen,
        short: None,
        more_shorts: &[],
        long: "ready-when",
        takes: Takes::Value("TARGET"),
        env: Some("RINIT_READY_WHEN"),
        help: "send READY=1 to $NOTIFY_SOCKET once TARGET passes (systemd, podman --sdnotify)",
    },
    Spec {
        opt: Opt::EnvFile,
        short: None,
        more_shorts: &[],
        long: "env-file",
        takes: Takes::List("PATH"),
        env: Some("RINIT_ENV_FILE"),
        help: "add the variables of this file (KEY=VALUE lines) to the command's environment; the environment wins",
    },
    Spec {
        opt: Opt::EnvFromFiles,
        short: None,
        more_shorts: &[],
        long: "env-from-files",
        takes: Takes::Nothing,
        env: Some("RINIT_ENV_FROM_FILES"),
        help: "set NAME to the content of the file that NAME_FILE or FILE__NAME names (secrets)",
    },
    Spec {
        opt: Opt::Verbose,
        short: Some('v'),
        more_shorts: &[],
        long: "verbose",
        takes: Takes::Count,
        env: Some("RINIT_VERBOSITY"),
        help: "log more to stderr: -v info, -vv debug, -vvv trace (variable: 0-4)",
    },
    Spec {
        opt: Opt::Help,
        short: Some('h'),
        more_shorts: &[],
        long: "help",
        takes: Takes::Nothing,
        env: None,
        help: "print this help",
    },
    Spec {
        opt: Opt::Version,
        short: Some('V'),
        more_shorts: &[],
        long: "version",
        takes: Takes::Nothing,
        env: None,
        help: "print the version",
    },
    Spec {
        opt: Opt::License,
        short: Some('l'),
        more_shorts: &['L'],
        long: "license",
        takes: Takes::Nothing,
        env: None,
        help: "print the licence",
    },
];

/// `--probe-timeout`'s default: inside Kubernetes' default probe time-out
/// (1 s) with room for starting rinit, so that rinit's own line saying
/// what failed is what the probe reports, not the engine's "timed out".
/// Docker's default (30 s) is far above it.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);

/// `--wait-timeout`'s default: long enough for a database to start, short
/// enough that a typo in a target fails the container within a minute.
const WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Where systemd and podman name the socket that takes READY=1.
pub(crate) const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// The one variable with no option: it takes an `env_logger` filter.
const LOG_VARIABLE: &str = "RINIT_LOG";

/// The clap id of the command and its arguments.
const COMMAND: &str = "command";

impl Spec {
    /// This option as clap sees it under `personality`'s name; its id is its
    /// long name.
    fn arg(&self, personality: Personality) -> Arg {
        let mut help = self.help.to_owned();
        if let Some(default) = default_shown(self.opt, personality) {
            help.push_str(&format!(" [default: {default}]"));
        }
        if let Some(var) = self.env {
            help.push_str(&format!(" [env {var}]"));
        }
        let arg = Arg::new(self.long)
            .long(self.long)
            .short(self.short)
            .visible_short_aliases(self.more_shorts.iter().copied())
            .help(help);
        match self.takes {
            Takes::Nothing => arg.action(ArgAction::SetTrue),
            Takes::Count => arg.action(ArgAction::Count),
            Takes::Value(name) | Takes::List(name) => arg
                .value_name(name)
                .action(if matches!(self.takes, Takes::List(_)) {
                    ArgAction::Append
                } else {
                    ArgAction::Set
                })
                // Raw bytes: rinit checks the value itself, naming the option.
                .value_parser(value_parser!(OsString))
                // As with getopt, an option's value is the next word,
                // whatever it looks like (`-e -1` is an error about -1).
                .allow_hyphen_values(true),
        }
    }

    /// How messages name the option: `-p/--pdeathsig`, `--grace`.
    fn name(&self) -> String {
        match self.short {
            Some(letter) => format!("-{letter}/--{}", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// The default `--help` shows for an option under `personality`'s name:
/// the one that applies there, not rinit's own (see `personality`; a unit
/// test holds the two together).
fn default_shown(opt: Opt, personality: Personality) -> Option<&'static str> {
    let rinit = personality == Personality::Rinit;
    let groups = personality.default_forward_target() == ForwardTarget::Group;
    Some(match opt {
        Opt::Group if groups => "yes",
        Opt::SingleChild if !groups => "yes",
        Opt::ForwardTo if groups => "group",
        Opt::ForwardTo => "child",
        Opt::Grace if rinit => "5s",
        Opt::Grace => "0: exit at once, as the peer does",
        Opt::DrainSignal => "SIGTERM",
        Opt::KillAfter | Opt::StopDelay => "off",
        Opt::TerminationLog => TERMINATION_LOG,
        Opt::LogFormat => "text",
        _ => return None,
    })
}

/// The header and exit codes of `--help` under `personality`'s name. Under
/// a peer's name the header must not pass rinit's version off as the
/// peer's; the codes are those `exit_status` decides there (a unit test
/// holds the two together).
fn help_header_and_codes(personality: Personality) -> (&'static str, &'static str) {
    macro_rules! run_as {
        ($name:literal) => {
            concat!(
                $name,
                ": rinit ",
                env!("CARGO_PKG_VERSION"),
                ", a minimal init for containers, run as ",
                $name,
                " (with its defaults and exit codes)"
            )
        };
    }
    match personality {
        Personality::Rinit => (
            concat!(
                "rinit ",
                env!("CARGO_PKG_VERSION"),
                ": a minimal init for containers"
            ),
            "127 command not found; 126 not executable;\n2 bad usage",
        ),
        Personality::Tini => (
            run_as!("tini"),
            "127 command not found; 126 not executable; 1 other exec errors;\n1 bad usage",
        ),
        Personality::DumbInit => (
            run_as!("dumb-init"),
            "2 the command cannot be run;\n1 bad usage",
        ),
        Personality::Catatonit => (
            run_as!("catatonit"),
            "1 the command cannot be run;\n1 bad usage",
        ),
    }
}

/// The command line's definition under the name rinit runs as, built from
/// `OPTIONS`.
fn command(personality: Personality) -> Command {
    let name = personality.name();
    let (header, codes) = help_header_and_codes(personality);
    let command = Command::new(name)
        .version(env!("CARGO_PKG_VERSION"))
        .override_usage(format!(
            "{name} [OPTIONS] [--] COMMAND [ARGS...]\n       {name} --pause [OPTIONS]"
        ))
        .about(if personality == Personality::Rinit {
            "Runs COMMAND as its only child, forwards signals to it, reaps every zombie,\n\
             and when COMMAND exits, stops the processes left over and exits with\n\
             COMMAND's status (128+N if signal N killed it)."
        } else {
            "Runs COMMAND as its only child, forwards signals to it, reaps every zombie,\n\
             and when COMMAND exits, exits with its status (128+N if signal N killed it)\n\
             as the peer does; a non-zero --grace stops the processes left over first."
        })
        .after_help(format!(
            "DURATION: 500ms, 5s, 2m, or a number of seconds. SIG: 15, TERM, SIGTERM, RTMIN+3.\n\
             Booleans in variables: 1/0, true/false, yes/no. RINIT_LOG takes an env_logger filter.\n\
             Exit codes: the child's (128+N if signal N killed it); {codes}; 1 any other failure."
        ))
        .help_template(format!(
            "{header}\n\nusage: {{usage}}\n\n{{about}}\n\nOptions:\n{{options}}{{after-help}}"
        ))
        // -h, -V and -l are rows of OPTIONS: what they print depends on the
        // name rinit runs as, and they must not cut the parse short.
        .disable_help_flag(true)
        .disable_version_flag(true)
        // getopt's rule: an option given again replaces its earlier value.
        .args_override_self(true)
        // Options end at the first word that is not one; that word and all
        // after it, option-like or not UTF-8, are the command.
        .arg(
            Arg::new(COMMAND)
                .value_name("COMMAND")
                .num_args(1..)
                .trailing_var_arg(true)
                .value_parser(value_parser!(OsString))
                .action(ArgAction::Append),
        );
    OPTIONS
        .iter()
        .fold(command, |command, spec| command.arg(spec.arg(personality)))
}

/// One layer of settings: the command line, or one family of variables.
#[derive(Debug, Default, PartialEq)]
struct Layer {
    forward_to: Option<ForwardTarget>,
    subreaper: Option<bool>,
    pdeathsig: Option<Signal>,
    warn_on_reap: Option<bool>,
    success_codes: Option<Vec<u8>>,
    rewrites: Option<Vec<(Signal, Option<Signal>)>>,
    pause: Option<bool>,
    grace: Option<Duration>,
    drain_signal: Option<Signal>,
    kill_after: Option<Duration>,
    stop_delay: Option<Duration>,
    stop_success: Option<bool>,
    verbosity: Option<u8>,
    /// `Some(None)`: turned off.
    termination_log: Option<Option<PathBuf>>,
    log_format: Option<LogFormat>,
    env_files: Option<Vec<PathBuf>>,
    env_from_files: Option<bool>,
    probes: Option<Vec<Target>>,
    probe_timeout: Option<Duration>,
    wait_for: Option<Vec<Target>>,
    wait_timeout: Option<Duration>,
    ready_when: Option<Target>,
}

impl Layer {
    /// Fills what `self` leaves unset from `weaker`.
    fn over(self, weaker: Layer) -> Layer {
        Layer {
            forward_to: self.forward_to.or(weaker.forward_to),
            subreaper: self.subreaper.or(weaker.subreaper),
            pdeathsig: self.pdeathsig.or(weaker.pdeathsig),
            warn_on_reap: self.warn_on_reap.or(weaker.warn_on_reap),
            success_codes: self.success_codes.or(weaker.success_codes),
            rewrites: self.rewrites.or(weaker.rewrites),
            pause: self.pause.or(weaker.pause),
            grace: self.grace.or(weaker.grace),
            drain_signal: self.drain_signal.or(weaker.drain_signal),
            kill_after: self.kill_after.or(weaker.kill_after),
            stop_delay: self.stop_delay.or(weaker.stop_delay),
            stop_success: self.stop_success.or(weaker.stop_success),
            verbosity: self.verbosity.or(weaker.verbosity),
            termination_log: self.termination_log.or(weaker.termination_log),
            log_format: self.log_format.or(weaker.log_format),
            env_files: self.env_files.or(weaker.env_files),
            env_from_files: self.env_from_files.or(weaker.env_from_files),
            probes: self.probes.or(weaker.probes),
            probe_timeout: self.probe_timeout.or(weaker.probe_timeout),
            wait_for: self.wait_for.or(weaker.wait_for),
            wait_timeout: self.wait_timeout.or(weaker.wait_timeout),
            ready_when: self.ready_when.or(weaker.ready_when),
        }
    }

    /// Records one value-taking option or variable. List options append, so
    /// a repeated flag accumulates.
    fn set_value(&mut self, opt: Opt, text: &str) -> Result<(), String> {
        match opt {
            Opt::ForwardTo => self.forward_to = Some(ForwardTarget::parse(text)?),
            Opt::Grace => self.grace = Some(parse_duration(text)?),
            Opt::KillAfter => self.kill_after = Some(parse_duration(text)?),
            Opt::StopDelay => self.stop_delay = Some(parse_duration(text)?),
            Opt::TerminationLog => self.termination_log = Some(parse_termination_log(text)?),
            Opt::LogFormat => self.log_format = Some(LogFormat::parse(text)?),
            Opt::DrainSignal => self.drain_signal = Some(parse_signal_but_sigchld(text)?),
            Opt::Pdeathsig => self.pdeathsig = Some(parse_signal_but_sigchld(text)?),
            Opt::Rewrite => self
                .rewrites
                .get_or_insert_with(Vec::new)
                .push(Rewrites::parse_rule(text)?),
            Opt::Probe => self
                .probes
                .get_or_insert_with(Vec::new)
                .push(parse_target(text)?),
            Opt::WaitFor => self
                .wait_for
                .get_or_insert_with(Vec::new)
                .push(parse_target(text)?),
            Opt::ReadyWhen => self.ready_when = Some(parse_target(text)?),
            Opt::ProbeTimeout => self.probe_timeout = Some(parse_positive_duration(text)?),
            Opt::WaitTimeout => self.wait_timeout = Some(parse_positive_duration(text)?),
            Opt::EnvFile => self
                .env_files
                .get_or_insert_with(Vec::new)
                .push(parse_env_file_path(text)?),
            Opt::RemapExit => self
                .success_codes
                .get_or_insert_with(Vec::new)
                .push(parse_exit_code(text)?),
            _ => unreachable!("{opt:?} takes no value"),
        }
        Ok(())
    }

    fn set_flag(&mut self, opt: Opt, on: bool) {
        match opt {
            Opt::Group => self.forward_to = Some(ForwardTarget::Group),
            Opt::SingleChild => self.forward_to = Some(ForwardTarget::Child),
            Opt::Subreaper => self.subreaper = Some(on),
            Opt::WarnOnReap => self.warn_on_reap = Some(on),
            Opt::Pause => self.pause = Some(on),
            Opt::StopSuccess => self.stop_success = Some(on),
            Opt::EnvFromFiles => self.env_from_files = Some(on),
            // Answered before any layer matters.
            Opt::Help | Opt::Version | Opt::License => {}
            _ => unreachable!("{opt:?} is not a plain flag"),
        }
    }

    /// The `-v` count, or the level of its variable: 0 errors ... 4 trace.
    fn set_verbosity(&mut self, level: u8) {
        // Trace (4) is the most there is; more changes nothing.
        self.verbosity = Some(level.min(4));
    }
}

/// Parses `argv` (with `argv[0]`) and the environment, given as a lookup.
pub fn parse(
    argv: &[OsString],
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Invocation, UsageError> {
    let argv0 = argv.first().map(|a| a.as_bytes()).unwrap_or(b"rinit");
    let personality = Personality::from_argv0(argv0);
    let fail = |message: String| UsageError {
        program: personality.name(),
        message: crate::logging::printable(message.as_bytes()),
        exit_code: crate::exit_status::usage_exit_code(personality),
    };

    let (cli, command) = match read_command_line(personality, argv).map_err(fail)? {
        CommandLine::Run(cli, command) => (cli, command),
        CommandLine::Print(invocation) => return Ok(invocation),
    };

    let rinit_env = rinit_variables(env).map_err(fail)?;
    let peer_env = peer_variables(env).map_err(fail)?;
    // Which of the two asked for pause mode, for the message below.
    let pause_by_variable = cli.pause.is_none();
    let merged = cli.over(rinit_env).over(peer_env);

    let pause = merged.pause.unwrap_or(false);
    let probes = merged.probes.unwrap_or_default();
    if !probes.is_empty() && (pause || !command.is_empty()) {
        return Err(fail(
            "--probe checks its targets and exits: it runs no command and cannot --pause"
                .to_owned(),
        ));
    }
    if merged.ready_when.is_some() && env(NOTIFY_SOCKET).is_none_or(|s| s.is_empty()) {
        return Err(fail(format!(
            "--ready-when has nowhere to send READY=1: {NOTIFY_SOCKET} is not set (systemd and podman --sdnotify=container set it)"
        )));
    }
    if pause && !command.is_empty() {
        return Err(fail(
            if pause_by_variable {
                "RINIT_PAUSE asks for no command, but one was given (unset RINIT_PAUSE to run it)"
            } else {
                "--pause runs no command, but one was given"
            }
            .to_owned(),
        ));
    }
    if !pause && probes.is_empty() && command.is_empty() {
        return Err(fail(format!(
            "no command given (usage: {} [OPTIONS] [--] COMMAND [ARGS...]; try --help)",
            personality.name()
        )));
    }
    if command.first().is_some_and(|c| c.is_empty()) {
        return Err(fail("the command is an empty string".to_owned()));
    }
    let forward_to = merged
        .forward_to
        .unwrap_or(personality.default_forward_target());
    let mut rewrites = Rewrites::default();
    for &(from, to) in personality.default_rewrites(forward_to) {
        rewrites.set(from, to);
    }
    for (from, to) in merged.rewrites.unwrap_or_default() {
        rewrites.set(from, to);
    }
    Ok(Invocation::Run(Box::new(Config {
        personality,
        command,
        forward_to,
        subreaper: merged.subreaper.unwrap_or(false),
        pdeathsig: merged.pdeathsig,
        warn_on_reap: merged.warn_on_reap.unwrap_or(false),
        success_codes: merged
            .success_codes
            .unwrap_or_default()
            .into_iter()
            .collect(),
        rewrites,
        pause,
        grace: merged.grace.unwrap_or(personality.default_grace()),
        drain_signal: merged.drain_signal.unwrap_or(Signal::TERM),
        // Zero is off, as for --stop-delay and `timeout -k 0`: a SIGKILL
        // together with the SIGTERM is never what anyone asks for.
        kill_after: merged.kill_after.filter(|delay| !delay.is_zero()),
        stop_delay: merged.stop_delay.filter(|delay| !delay.is_zero()),
        stop_success: merged.stop_success.unwrap_or(false),
        verbosity: merged.verbosity.unwrap_or(1),
        log_filter: log_filter(env).map_err(fail)?,
        log_format: merged.log_format.unwrap_or_default(),
        termination_log: merged
            .termination_log
            .unwrap_or_else(|| Some(PathBuf::from(TERMINATION_LOG))),
        env_sources: EnvSources {
            files: merged.env_files.unwrap_or_default(),
            from_files: merged.env_from_files.unwrap_or(false),
        },
        probes,
        probe_timeout: merged.probe_timeout.unwrap_or(PROBE_TIMEOUT),
        wait_for: merged.wait_for.unwrap_or_default(),
        wait_timeout: merged.wait_timeout.unwrap_or(WAIT_TIMEOUT),
        ready_when: merged.ready_when,
    })))
}

/// What the command line says: the settings and the command, or something
/// to print instead of running.
#[derive(Debug, PartialEq)]
enum CommandLine {
    Run(Box<Layer>, Vec<OsString>),
    Print(Invocation),
}

/// Reads the command line (`argv[0]` first) with clap, except when there is
/// no option at all to read: `rinit -- CMD` or `rinit CMD`, which is how
/// Docker and Podman start their init. Building clap's definition and
/// matches costs about as much start-up time (150 us, mostly the allocator
/// mapping and unmapping memory) as all the rest of rinit before the child
/// starts; a test checks that both ways agree.
fn read_command_line(personality: Personality, argv: &[OsString]) -> Result<CommandLine, String> {
    let words = argv.get(1..).unwrap_or_default();
    match words.split_first() {
        Some((first, command)) if first == "--" => {
            Ok(CommandLine::Run(Box::default(), command.to_vec()))
        }
        Some((first, _)) if !first.as_bytes().starts_with(b"-") => {
            Ok(CommandLine::Run(Box::default(), words.to_vec()))
        }
        _ => read_with_clap(personality, argv),
    }
}

fn read_with_clap(personality: Personality, argv: &[OsString]) -> Result<CommandLine, String> {
    let mut definition = command(personality);
    let matches = definition
        .try_get_matches_from_mut(argv)
        .map_err(|e| describe(&e, argv))
        .map_err(|e| single_dash_long_option(argv).unwrap_or(e))?;
    let layer =
        command_line_layer(&matches).map_err(|e| single_dash_long_option(argv).unwrap_or(e))?;
    if matches.get_flag("help") {
        let help = definition.render_help().to_string();
        return Ok(CommandLine::Print(Invocation::Help(help)));
    }
    if matches.get_flag("version") {
        return Ok(CommandLine::Print(Invocation::Version {
            line: personality.version_line(),
            to_stderr: personality.version_on_stderr(),
        }));
    }
    if matches.get_flag("license") {
        return Ok(CommandLine::Print(Invocation::License));
    }
    let command = matches
        .get_many::<OsString>(COMMAND)
        .map(|words| words.cloned().collect())
        .unwrap_or_default();
    Ok(CommandLine::Run(Box::new(layer), command))
}

/// The options clap found, applied in the order they were given, so that
/// the last of `-g`, `-c` and `--forward-to` wins, as it always has.
fn command_line_layer(matches: &ArgMatches) -> Result<Layer, String> {
    let mut layer = Layer::default();
    let mut given: Vec<(usize, &Spec, Option<&OsStr>)> = Vec::new();
    for spec in OPTIONS {
        if matches.value_source(spec.long) != Some(ValueSource::CommandLine) {
            continue;
        }
        match spec.takes {
            Takes::Nothing => given.push((matches.index_of(spec.long).unwrap_or(0), spec, None)),
            Takes::Count => {
                let count = matches.get_count(spec.long);
                layer.set_verbosity(count.saturating_add(1));
            }
            Takes::Value(_) | Takes::List(_) => {
                let indices = matches.indices_of(spec.long).into_iter().flatten();
                let values = matches.get_raw(spec.long).into_iter().flatten();
                given.extend(
                    indices
                        .zip(values)
                        .map(|(at, value)| (at, spec, Some(value))),
                );
            }
        }
    }
    given.sort_by_key(|&(at, ..)| at);
    for (_, spec, value) in given {
        let Some(raw) = value else {
            layer.set_flag(spec.opt, true);
            continue;
        };
        let name = spec.name();
        let text = raw
            .to_str()
            .ok_or_else(|| format!("{name}: the value is not valid UTF-8"))?;
        layer
            .set_value(spec.opt, text)
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(layer)
}

/// A long option typed with one dash (`-pause`, `-grace 5s`), which getopt's
/// rules read as a cluster of short options (`-p ause`, `-g -r ace`): when
/// the command line is wrong, that is the likely reason, and the message
/// says so rather than complain about `ause`. Only the options before the
/// command are looked at.
fn single_dash_long_option(argv: &[OsString]) -> Option<String> {
    // Whether the word before takes the next one as its value: the letter
    // of an option with a value, alone (`-p KILL`), or a long option
    // without `=` (`--grace 5s`; a long flag there makes this skip one word
    // of the command, which only ever costs the hint).
    let takes_value = |letter: u8| {
        OPTIONS.iter().any(|spec| {
            spec.short == Some(char::from(letter))
                && matches!(spec.takes, Takes::Value(_) | Takes::List(_))
        })
    };
    let mut value_next = false;
    for word in argv.iter().skip(1).map(|w| w.as_bytes()) {
        let after_value = std::mem::replace(
            &mut value_next,
            matches!(word, [b'-', letter] if takes_value(*letter))
                || (word.starts_with(b"--") && !word.contains(&b'=')),
        );
        let Some(body) = word.strip_prefix(b"-") else {
            if after_value {
                continue;
            }
            return None;
        };
        if body.is_empty() || body == b"-" {
            return None;
        }
        let name = body.split(|&b| b == b'=').next().unwrap_or_default();
        if name.len() >= 3 && !name.starts_with(b"-") {
            let typed = format!("--{}", String::from_utf8_lossy(name));
            if let Some(long) = closest_long_option(&typed) {
                return Some(format!(
                    "unknown option '{}'; did you mean '--{long}'? (long options take two dashes)",
                    crate::logging::printable(word)
                ));
            }
        }
    }
    None
}

/// The long option a mistyped `--word` most likely meant: the one at the
/// fewest single-character edits, if there are at most two and fewer than a
/// third of the name's length (`--gracee` → `grace`, `--bogus` → nothing).
/// rinit's own rule over strsim's Levenshtein distance, not clap's
/// `suggestions` feature: that one cost 8 KB of the static binary for the
/// same answer.
fn closest_long_option(typed: &str) -> Option<&'static str> {
    let word = typed.strip_prefix("--")?.split('=').next()?;
    OPTIONS
        .iter()
        .map(|spec| (strsim::levenshtein(word, spec.long), spec.long))
        .filter(|&(distance, long)| distance <= 2 && distance * 3 < long.len())
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, long)| long)
}

/// clap's error in one line that names the option, in rinit's words. clap's
/// own rendering spans several lines and ends with a usage block. `argv` is
/// what clap read: an unknown option is quoted from it, byte for byte (clap
/// has made bytes that are not UTF-8 into U+FFFD).
fn describe(error: &clap::Error, argv: &[OsString]) -> String {
    let context = |kind| match error.get(kind) {
        Some(ContextValue::String(text)) => Some(text.as_str()),
        _ => None,
    };
    let culprit = context(ContextKind::InvalidArg).unwrap_or_default();
    // clap names a known option as `--grace <DURATION>`.
    // A counted flag shows as `--verbose...`.
    let culprit_name = culprit.split(' ').next().unwrap_or_default();
    let culprit_name = culprit_name.strip_suffix("...").unwrap_or(culprit_name);
    let known = OPTIONS.iter().find(|spec| {
        culprit_name == format!("--{}", spec.long)
            || spec
                .short
                .is_some_and(|letter| culprit == format!("-{letter}"))
    });
    let option = known.map_or_else(|| format!("'{culprit}'"), Spec::name);
    match error.kind() {
        // `-v=3`: after a flag, clap reads `=` as one more short option.
        ErrorKind::UnknownArgument if culprit == "-=" => {
            let word = argv
                .iter()
                .skip(1)
                .map(|w| w.as_bytes())
                .find(|w| w.starts_with(b"-") && !w.starts_with(b"--") && w.contains(&b'='));
            let Some(word) = word else {
                return "unknown option '-='".to_owned();
            };
            let typed = crate::logging::printable(word);
            let letter = word.split(|&b| b == b'=').next().and_then(|l| l.last());
            let flag = OPTIONS.iter().find(|spec| {
                letter.is_some_and(|&l| spec.short.is_some_and(|c| c as u32 == u32::from(l)))
            });
            match flag {
                Some(spec) => format!(
                    "option {} takes no value ('{typed}'){}",
                    spec.name(),
                    no_value_hint(spec)
                ),
                None => format!("unknown option '{typed}'"),
            }
        }
        ErrorKind::UnknownArgument => {
            let typed = argv
                .iter()
                .skip(1)
                .find(|word| {
                    let word = word.to_string_lossy();
                    word == culprit
                        || (culprit.starts_with("--")
                            && word
                                .strip_prefix(culprit)
                                .is_some_and(|v| v.starts_with('=')))
                })
                .map_or_else(
                    || culprit.to_owned(),
                    |word| crate::logging::printable(word.as_bytes()),
                );
            if culprit == "--" {
                return format!(
                    "'{typed}' names no option (a long option is --NAME or --NAME=VALUE)"
                );
            }
            let mut message = format!("unknown option '{typed}'");
            if let Some(long) = closest_long_option(culprit) {
                message.push_str(&format!("; did you mean '--{long}'?"));
            }
            message
        }
        ErrorKind::InvalidValue | ErrorKind::NoEquals
            if context(ContextKind::InvalidValue) == Some("") =>
        {
            format!("option {option} needs a value")
        }
        ErrorKind::TooManyValues => format!(
            "option {option} takes no value{}",
            known.map(no_value_hint).unwrap_or_default()
        ),
        kind => {
            let what = kind.as_str().unwrap_or("malformed command line");
            match known {
                Some(spec) => format!("{}: {what}", spec.name()),
                None => what.to_owned(),
            }
        }
    }
}

/// What to do instead of giving a flag a value.
fn no_value_hint(spec: &Spec) -> String {
    match (spec.takes, spec.env) {
        (Takes::Count, Some(var)) => {
            format!("; repeat it for more (-vv debug, -vvv trace), or set {var}=N")
        }
        _ => String::new(),
    }
}

/// The `RINIT_*` variables, read as `OPTIONS` says.
fn rinit_variables(env: &dyn Fn(&str) -> Option<OsString>) -> Result<Layer, String> {
    let mut layer = Layer::default();
    for spec in OPTIONS {
        let Some(var) = spec.env else { continue };
        let Some(raw) = env(var) else { continue };
        let text = raw
            .to_str()
            .ok_or_else(|| format!("{var}: the value is not valid UTF-8"))?;
        if text.is_empty() {
            return Err(format!("{var} is set but empty; unset it or give a value"));
        }
        let result = match spec.takes {
            Takes::Nothing => parse_bool(text).map(|on| layer.set_flag(spec.opt, on)),
            Takes::Count => parse_verbosity(text).map(|level| layer.set_verbosity(level)),
            Takes::Value(_) => layer.set_value(spec.opt, text),
            // Commas or white space separate the items.
            Takes::List(_) => {
                let mut items = text
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|item| !item.is_empty())
                    .peekable();
                if items.peek().is_none() {
                    return Err(format!("{var} holds separators but no item"));
                }
                items.try_for_each(|item| layer.set_value(spec.opt, item))
            }
        };
        result.map_err(|e| format!("{var}: {e}"))?;
    }
    Ok(layer)
}

/// The peers' variables, read exactly as the peers read them: none of them
/// can make rinit refuse to start, since none stops the peer (templated
/// compose files and Helm values often leave them empty). Only `RINIT_*` are
/// strict. catatonit's `CATATONIT_LOG`, which makes catatonit refuse to
/// start ("reserved for future use"), is not read: that refusal is a quirk,
/// not a setting.
fn peer_variables(env: &dyn Fn(&str) -> Option<OsString>) -> Result<Layer, String> {
    let mut layer = Layer::default();
    // tini checks only that these are set, whatever their value.
    if env("TINI_SUBREAPER").is_some() {
        layer.subreaper = Some(true);
    }
    if env("TINI_KILL_PROCESS_GROUP").is_some() {
        layer.forward_to = Some(ForwardTarget::Group);
    }
    if let Some(raw) = env("TINI_VERBOSITY") {
        layer.set_verbosity(tini_verbosity(raw.as_bytes()));
    }
    if env("DUMB_INIT_SETSID").is_some_and(|v| v == "0") {
        layer.forward_to.get_or_insert(ForwardTarget::Child);
    }
    if env("DUMB_INIT_DEBUG").is_some_and(|v| v == "1") {
        layer.verbosity.get_or_insert(3);
    }
    // catatonit checks only that it is set.
    if env("CATATONIT_DEBUG").is_some() {
        layer.verbosity.get_or_insert(3);
    }
    Ok(layer)
}

/// `RINIT_LOG`, checked here so that a bad filter is a usage error naming
/// the variable rather than a warning from the logger, or worse, a filter
/// that quietly means something else: env_filter takes `=` or `=debug` as a
/// directive for every module, so a typo would turn on trace or debug output.
fn log_filter(env: &dyn Fn(&str) -> Option<OsString>) -> Result<Option<String>, String> {
    let Some(raw) = env(LOG_VARIABLE) else {
        return Ok(None);
    };
    let text = raw
        .to_str()
        .ok_or_else(|| format!("{LOG_VARIABLE}: the value is not valid UTF-8"))?;
    if text.is_empty() {
        return Err(format!(
            "{LOG_VARIABLE} is set but empty; unset it or give a value"
        ));
    }
    // Directives come before an optional `/filter`, separated by commas.
    let directives = text.split('/').next().unwrap_or_default();
    for directive in directives.split(',').map(str::trim) {
        if !is_log_directive(directive) {
            return Err(format!(
                "{LOG_VARIABLE}: '{directive}' is not LEVEL, MODULE or MODULE=LEVEL (e.g. rinit=debug; levels: off, error, warn, info, debug, trace)"
            ));
        }
    }
    env_filter::Builder::new()
        .try_parse(text)
        .map_err(|e| format!("{LOG_VARIABLE}: {e}"))?;
    Ok(Some(text.to_owned()))
}

/// One `RINIT_LOG` directive: a level, a module path (`rinit`,
/// `rinit::spawn`), or both as `MODULE=LEVEL`. env_filter checks the levels,
/// but takes any other text as a module name (`bogus!` would quietly match
/// nothing) and `=` or `=debug` as a level for every module; rinit refuses
/// those, so that a typo is an error rather than a silently different log.
/// A bare level passes as a module name here (both are plain words).
fn is_log_directive(directive: &str) -> bool {
    let (module, level) = match directive.split_once('=') {
        Some((module, level)) => (module.trim(), level.trim()),
        None => (directive, "any"),
    };
    // Names separated by `::`: split at each `:`, every second part must be
    // the empty one between two colons. (Splitting at a character, not at a
    // string, keeps a string-search routine out of the binary.)
    let mut parts = 0;
    let names = module.split(':').all(|part| {
        parts += 1;
        let is_name =
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if parts % 2 == 1 {
            is_name
        } else {
            part.is_empty()
        }
    });
    names && parts % 2 == 1 && !level.is_empty()
}

/// `RINIT_VERBOSITY`: a number of any size; above 4 (trace, the most there
/// is) counts as 4, as any number of `-v` flags does.
fn parse_verbosity(text: &str) -> Result<u8, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a verbosity level (0-4)"));
    }
    let digits = text.trim_start_matches('0');
    Ok(match digits.parse::<u8>() {
        Ok(level) => level.min(4),
        // Empty (all zeros) is 0; too long for a u8 is more than 4.
        Err(_) if digits.is_empty() => 0,
        Err(_) => 4,
    })
}

/// `TINI_VERBOSITY` as tini reads it: `verbosity = atoi(value)` into an
/// `unsigned int`, compared with 0 to 3 (so a negative number is huge and
/// turns everything on). glibc's `atoi` is `(int) strtol(value, NULL, 10)`:
/// leading white space, an optional sign, then digits up to the first other
/// byte; nothing is an error (`''`, `x` are 0, `3x` is 3), an overflow
/// saturates to a `long` and is then cut to its low 32 bits. tini's levels
/// are rinit's (0 quiet but fatal errors, 1 warnings ... 4 trace).
fn tini_verbosity(value: &[u8]) -> u8 {
    let start = value
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .unwrap_or(value.len());
    let mut rest = &value[start..];
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = &rest[1..];
    }
    // strtol's value, saturated at LONG_MIN and LONG_MAX (64-bit `long`).
    let mut long: i64 = 0;
    for &b in rest.iter().take_while(|b| b.is_ascii_digit()) {
        let digit = i64::from(b - b'0');
        long = if negative {
            long.saturating_mul(10).saturating_sub(digit)
        } else {
            long.saturating_mul(10).saturating_add(digit)
        };
    }
    // `(int)` keeps the low 32 bits; tini stores it in an `unsigned int`.
    let level = long as i32 as u32;
    level.min(4) as u8
}
/// `1/0/true/false/yes/no`, in any case.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(format!(
            "'{text}' is not a boolean (1/0, true/false, yes/no)"
        )),
    }
}

/// A drain or parent-death signal: any signal but SIGCHLD. rinit keeps
/// SIGCHLD for itself: as a drain signal it would stop nobody, and as a
/// parent-death signal it would be taken for a child's exit, never forwarded.
fn parse_signal_but_sigchld(text: &str) -> Result<Signal, String> {
    let signal = Signal::parse(text)?;
    if signal == Signal::CHLD {
        return Err("SIGCHLD is rinit's own".to_owned());
    }
    Ok(signal)
}

/// `--termination-log`: an absolute path, or `off`. A relative path would
/// be resolved from `/`, where rinit moves, not from where it was started.
fn parse_termination_log(text: &str) -> Result<Option<PathBuf>, String> {
    match text {
        "off" => Ok(None),
        path if path.starts_with('/') => Ok(Some(PathBuf::from(path))),
        _ => Err(format!("'{text}' is neither an absolute path nor off")),
    }
}

/// A probe target; the message quotes it.
fn parse_target(text: &str) -> Result<Target, String> {
    Target::parse(text).map_err(|e| format!("{text:?}: {e}"))
}

/// A time-out: a duration, and not zero (a check that may take no time at
/// all could never pass).
fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err(format!("{text:?}: a time-out must be longer than zero")),
        d => Ok(d),
    }
}

/// `--env-file`: any path, relative ones from where rinit was started (the
/// files are read before rinit moves to `/`).
fn parse_env_file_path(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("an empty path names no file".to_owned());
    }
    Ok(PathBuf::from(text))
}

/// `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds. At most a day:
/// anything longer is a typo, and no container runtime waits that long.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const MAX: Duration = Duration::from_secs(24 * 3600);
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(format!("'{text}' is not a duration (e.g. 500ms, 5s, 2m)"));
    }
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("'{text}' is not a duration (e.g. 500ms, 5s, 2m)")),
    };
    let too_long = || format!("'{text}' is longer than the maximum of 24h");
    let millis = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(millis_per_unit))
        .ok_or_else(too_long)?;
    let duration = Duration::from_millis(millis);
    if duration > MAX {
        return Err(too_long());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn hup() -> Signal {
        Signal::parse("HUP").unwrap()
    }

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn run_with(list: &[&str], vars: &[(&str, &str)]) -> Result<Config, UsageError> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        match parse(&args(list), &|name| vars.get(name).cloned())? {
            Invocation::Run(config) => Ok(*config),
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn run(list: &[&str]) -> Config {
        run_with(list, &[]).unwrap()
    }

    fn error(list: &[&str], vars: &[(&str, &str)]) -> UsageError {
        run_with(list, vars).unwrap_err()
    }

    #[test]
    fn command_with_and_without_double_dash() {
        assert_eq!(
            run(&["rinit", "--", "sh", "-c", "exit 3"]).command,
            args(&["sh", "-c", "exit 3"])
        );
        assert_eq!(
            run(&["rinit", "sh", "-c", "exit 3"]).command,
            args(&["sh", "-c", "exit 3"])
        );
        assert_eq!(
            run(&["rinit", "-v", "ls", "-v"]).command,
            args(&["ls", "-v"])
        );
        assert_eq!(run(&["rinit", "--", "--", "x"]).command, args(&["--", "x"]));
        assert_eq!(run(&["rinit", "-", "x"]).command, args(&["-", "x"]));
    }

    #[test]
    fn defaults() {
        let config = run(&["rinit", "app"]);
        assert_eq!(config.forward_to, ForwardTarget::Group);
        assert_eq!(config.grace, Duration::from_secs(5));
        assert_eq!(config.drain_signal, Signal::TERM);
        assert_eq!(config.kill_after, None);
        assert_eq!(config.stop_delay, None);
        assert!(!config.stop_success);
        assert_eq!(config.verbosity, 1);
        assert!(!config.subreaper && !config.pause && !config.warn_on_reap);
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(
            config.termination_log,
            Some(PathBuf::from("/dev/termination-log"))
        );
    }

    #[test]
    fn termination_log_and_log_format() {
        let config = run(&[
            "rinit",
            "--termination-log",
            "off",
            "--log-format=json",
            "x",
        ]);
        assert_eq!(config.termination_log, None);
        assert_eq!(config.log_format, LogFormat::Json);
        let config = run_with(
            &["rinit", "--termination-log", "/a/b", "x"],
            &[("RINIT_TERMINATION_LOG", "off")],
        )
        .unwrap();
        assert_eq!(config.termination_log, Some(PathBuf::from("/a/b")));
        assert_eq!(
            run_with(&["tini", "x"], &[("RINIT_TERMINATION_LOG", "off")])
                .unwrap()
                .termination_log,
            None
        );
        for (list, vars) in [
            (
                &["rinit", "--termination-log", "rel/path", "x"][..],
                &[][..],
            ),
            (&["rinit", "--termination-log=", "x"][..], &[][..]),
            (&["rinit", "--log-format", "yaml", "x"][..], &[][..]),
            (&["rinit", "x"][..], &[("RINIT_TERMINATION_LOG", "")][..]),
            (&["rinit", "x"][..], &[("RINIT_LOG_FORMAT", "")][..]),
            (&["rinit", "x"][..], &[("RINIT_LOG_FORMAT", "JSON")][..]),
        ] {
            let e = error(list, vars);
            assert_eq!(e.exit_code, 2, "{list:?} {vars:?}");
        }
    }

    #[test]
    fn non_utf8_arguments_are_kept() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'a', 0xff, b'b']);
        let argv = vec![OsString::from("rinit"), OsString::from("echo"), odd.clone()];
        let Ok(Invocation::Run(config)) = parse(&argv, &|_| None) else {
            panic!()
        };
        assert_eq!(config.command[1], odd);
    }

    #[test]
    fn targets() {
        assert_eq!(run(&["rinit", "-c", "x"]).forward_to, ForwardTarget::Child);
        assert_eq!(
            run(&["rinit", "-c", "-g", "x"]).forward_to,
            ForwardTarget::Group
        );
        assert_eq!(
            run(&["rinit", "--single-child", "x"]).forward_to,
            ForwardTarget::Child
        );
        assert_eq!(
            run(&["rinit", "--forward-to", "all", "x"]).forward_to,
            ForwardTarget::All
        );
        assert_eq!(
            run(&["rinit", "--forward-to=child", "x"]).forward_to,
            ForwardTarget::Child
        );
    }

    #[test]
    fn short_clusters_and_attached_values() {
        let config = run(&["rinit", "-vvsw", "-pSIGUSR1", "-e143", "-e", "3", "x"]);
        assert_eq!(config.verbosity, 3);
        assert!(config.subreaper && config.warn_on_reap);
        assert_eq!(config.pdeathsig, Signal::parse("USR1").ok());
        assert_eq!(config.success_codes, [3, 143].into_iter().collect());
        let config = run(&["rinit", "-sp", "HUP", "x"]);
        assert_eq!(config.pdeathsig, Some(hup()));
        // As with getopt, a value option swallows the rest of its word.
        assert!(
            error(&["rinit", "-ps", "x"], &[])
                .message
                .contains("-p/--pdeathsig: unknown signal 's'")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86400)));
        for bad in [
            "",
            "abc",
            "-1",
            "5x",
            "5 s",
            "1.5s",
            "s",
            "25h",
            "99999999999999999999",
            "18446744073709551615ms0",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bad_values_name_the_option() {
        for (list, needle) in [
            (&["rinit", "--grace", "abc", "x"][..], "--grace"),
            (&["rinit", "--grace", "-1", "x"][..], "--grace"),
            (&["rinit", "--grace=", "x"][..], "--grace"),
            (
                &["rinit", "--drain-signal", "NOPE", "x"][..],
                "--drain-signal",
            ),
            (&["rinit", "--kill-after", "1y", "x"][..], "--kill-after"),
            (&["rinit", "--stop-delay", "1.5s", "x"][..], "--stop-delay"),
            (&["rinit", "--stop-delay", "25h", "x"][..], "--stop-delay"),
            (&["rinit", "--stop-delay"][..], "--stop-delay"),
            (&["rinit", "--stop-success=1", "x"][..], "--stop-success"),
            (&["rinit", "-p", "99", "x"][..], "--pdeathsig"),
            (&["rinit", "-r", "TERM", "x"][..], "--rewrite"),
            (&["rinit", "-e", "256", "x"][..], "--remap-exit"),
            (
                &["rinit", "--forward-to", "everyone", "x"][..],
                "--forward-to",
            ),
            (&["rinit", "--grace"][..], "--grace"),
            (&["rinit", "--bogus", "x"][..], "--bogus"),
            (&["rinit", "-Z", "x"][..], "-Z"),
            (&["rinit", "--pause=1"][..], "--pause"),
        ] {
            let e = error(list, &[]);
            assert!(e.message.contains(needle), "{list:?}: {}", e.message);
            assert_eq!(e.exit_code, 2);
        }
    }

    #[test]
    fn missing_or_extra_command() {
        assert!(error(&["rinit"], &[]).message.contains("no command"));
        assert!(error(&["rinit", "--"], &[]).message.contains("no command"));
        assert!(
            error(&["rinit", "-P", "x"], &[])
                .message
                .contains("--pause")
        );
        assert!(error(&["rinit", ""], &[]).message.contains("empty"));
        assert!(run(&["rinit", "-P"]).pause);
    }

    #[test]
    fn help_version_license() {
        let parse_plain = |list: &[&str]| parse(&args(list), &|_| None).unwrap();
        assert!(matches!(parse_plain(&["rinit", "-h"]), Invocation::Help(_)));
        assert!(matches!(
            parse_plain(&["rinit", "-vh", "x"]),
            Invocation::Help(_)
        ));
        let rinit_version = format!("rinit version {}", env!("CARGO_PKG_VERSION"));
        for name in ["rinit", "docker-init"] {
            assert!(
                matches!(parse_plain(&[name, "-V"]), Invocation::Version { line, to_stderr: false } if line.starts_with(&rinit_version))
            );
        }
        assert!(
            matches!(parse_plain(&["tini", "--version"]), Invocation::Version { line, to_stderr: false } if line.starts_with("tini version "))
        );
        assert_eq!(parse_plain(&["rinit", "-L"]), Invocation::License);
        assert_eq!(parse_plain(&["rinit", "-l"]), Invocation::License);
        assert!(
            command(Personality::Rinit)
                .render_help()
                .to_string()
                .contains("RINIT_GRACE")
        );
    }

    #[test]
    fn environment_fills_in_and_the_command_line_wins() {
        let vars = [
            ("RINIT_GRACE", "2s"),
            ("RINIT_FORWARD_TO", "all"),
            ("RINIT_SUBREAPER", "yes"),
            ("RINIT_REMAP_EXIT", "143, 1"),
            ("RINIT_REWRITE", "TERM:QUIT,HUP:0"),
            ("RINIT_KILL_AFTER", "500ms"),
            ("RINIT_DRAIN_SIGNAL", "INT"),
            ("RINIT_WARN_ON_REAP", "TRUE"),
            ("RINIT_PDEATHSIG", "9"),
            ("RINIT_VERBOSITY", "3"),
            ("RINIT_STOP_DELAY", "10s"),
            ("RINIT_STOP_SUCCESS", "1"),
            ("RINIT_TERMINATION_LOG", "/tmp/why"),
            ("RINIT_LOG_FORMAT", "json"),
        ];
        let config = run_with(&["rinit", "x"], &vars).unwrap();
        assert_eq!(config.termination_log, Some(PathBuf::from("/tmp/why")));
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.grace, Duration::from_secs(2));
        assert_eq!(config.forward_to, ForwardTarget::All);
        assert!(config.subreaper && config.warn_on_reap);
        assert_eq!(config.success_codes, [1, 143].into_iter().collect());
        assert_eq!(
            config.rewrites.apply(Signal::TERM),
            Signal::parse("QUIT").ok()
        );
        assert_eq!(config.rewrites.apply(hup()), None);
        assert_eq!(config.kill_after, Some(Duration::from_millis(500)));
        assert_eq!(config.drain_signal, Signal::INT);
        assert_eq!(config.pdeathsig, Some(Signal::KILL));
        assert_eq!(config.verbosity, 3);
        assert_eq!(config.stop_delay, Some(Duration::from_secs(10)));
        assert!(config.stop_success);

        let config = run_with(
            &[
                "rinit", "--grace", "1s", "-c", "-e", "7", "-r", "TERM:INT", "x",
            ],
            &vars,
        )
        .unwrap();
        assert_eq!(config.grace, Duration::from_secs(1));
        assert_eq!(config.forward_to, ForwardTarget::Child);
        assert_eq!(config.success_codes, [7].into_iter().collect());
        assert_eq!(config.rewrites.apply(Signal::TERM), Some(Signal::INT));
        assert_eq!(config.rewrites.apply(hup()), Some(hup()));
        assert!(
            !run_with(&["rinit", "x"], &[("RINIT_SUBREAPER", "0")])
                .unwrap()
                .subreaper
        );
        assert!(
            run_with(&["rinit", "-s", "x"], &[("RINIT_SUBREAPER", "no")])
                .unwrap()
                .subreaper
        );
        assert!(run_with(&["rinit"], &[("RINIT_PAUSE", "1")]).unwrap().pause);
    }

    #[test]
    fn bad_variables_name_the_variable() {
        for (var, value) in [
            ("RINIT_GRACE", "abc"),
            ("RINIT_GRACE", ""),
            ("RINIT_SUBREAPER", "maybe"),
            ("RINIT_SUBREAPER", ""),
            ("RINIT_REWRITE", "TERM"),
            ("RINIT_REMAP_EXIT", "x"),
            ("RINIT_DRAIN_SIGNAL", "NOPE"),
            ("RINIT_FORWARD_TO", "x"),
            ("RINIT_VERBOSITY", "loud"),
            ("RINIT_STOP_DELAY", "soon"),
            ("RINIT_STOP_DELAY", "-1s"),
            ("RINIT_STOP_SUCCESS", "maybe"),
            ("RINIT_STOP_SUCCESS", ""),
            ("RINIT_TERMINATION_LOG", "relative"),
            ("RINIT_LOG_FORMAT", "xml"),
            ("RINIT_VERBOSITY", ""),
            ("RINIT_VERBOSITY", "-1"),
            ("RINIT_VERBOSITY", "3x"),
            ("RINIT_KILL_AFTER", ""),
        ] {
            let e = error(&["rinit", "x"], &[(var, value)]);
            assert!(e.message.contains(var), "{var}={value}: {}", e.message);
            assert_eq!(e.exit_code, 2);
        }
    }

    #[test]
    fn tini_verbosity_is_read_as_tini_reads_it() {
        for (value, level) in [
            ("", 0),
            ("x", 0),
            ("0", 0),
            ("1", 1),
            ("3x", 3),
            ("  +2", 2),
            ("\t\n 3", 3),
            ("- 3", 0),
            ("4", 4),
            ("256", 4),
            // Negative: huge as tini's unsigned int, so trace.
            ("-1", 4),
            ("-0", 0),
            // strtol's value cut to 32 bits: 2^32 + 2 is 2.
            ("4294967298", 2),
            ("4294967296", 0),
            // Saturated at LONG_MAX, whose low 32 bits are all ones.
            ("99999999999999999999999", 4),
            // LONG_MIN's low 32 bits are zero.
            ("-99999999999999999999999", 0),
        ] {
            assert_eq!(tini_verbosity(value.as_bytes()), level, "{value:?}");
        }
        assert_eq!(tini_verbosity(b"\xff3"), 0);
        assert_eq!(tini_verbosity(b"3\xff"), 3);
    }

    #[test]
    fn peer_variables_never_stop_rinit() {
        use std::os::unix::ffi::OsStringExt;
        for name in ["rinit", "tini", "dumb-init", "catatonit"] {
            for var in [
                "TINI_VERBOSITY",
                "TINI_SUBREAPER",
                "TINI_KILL_PROCESS_GROUP",
                "DUMB_INIT_DEBUG",
                "DUMB_INIT_SETSID",
                "CATATONIT_DEBUG",
            ] {
                for value in [&b""[..], b"x", b"-1", b"256", b"3x", b"\xff\xfe"] {
                    let value = OsString::from_vec(value.to_vec());
                    let result = parse(&args(&[name, "x"]), &|n| (n == var).then(|| value.clone()));
                    assert!(result.is_ok(), "{name} {var}={value:?}: {result:?}");
                }
            }
        }
        assert_eq!(
            run_with(&["x", "x"], &[("TINI_VERBOSITY", "")])
                .unwrap()
                .verbosity,
            0
        );
    }

    #[test]
    fn rinit_verbosity_above_4_is_4() {
        for (value, level) in [
            ("0", 0),
            ("4", 4),
            ("5", 4),
            ("255", 4),
            ("256", 4),
            ("0003", 3),
        ] {
            assert_eq!(parse_verbosity(value), Ok(level), "{value}");
        }
        let huge = "9".repeat(100);
        assert_eq!(parse_verbosity(&huge), Ok(4));
        for bad in ["", "-1", "+1", "3x", " 3", "loud"] {
            assert!(parse_verbosity(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unclear_command_lines_get_a_clear_message() {
        let message = |list: &[&str]| error(list, &[]).message;
        assert_eq!(
            message(&["rinit", "--verbose=3", "x"]),
            "option -v/--verbose takes no value; repeat it for more (-vv debug, -vvv trace), or set RINIT_VERBOSITY=N"
        );
        assert!(
            message(&["rinit", "-v=3", "x"])
                .starts_with("option -v/--verbose takes no value ('-v=3')")
        );
        assert_eq!(
            message(&["rinit", "-gc=1", "x"]),
            "option -c/--single-child takes no value ('-gc=1')"
        );
        assert_eq!(
            message(&["rinit", "--=x", "y"]),
            "'--=x' names no option (a long option is --NAME or --NAME=VALUE)"
        );
        for (list, long) in [
            (&["rinit", "-pause"][..], "pause"),
            (&["rinit", "-grace", "5s", "x"], "grace"),
            (&["rinit", "-p", "KILL", "-subreaper", "x"], "subreaper"),
            (
                &["rinit", "--grace", "5s", "-forward-to=all", "x"],
                "forward-to",
            ),
        ] {
            let text = message(list);
            assert!(
                text.contains(&format!("did you mean '--{long}'?")),
                "{list:?}: {text}"
            );
        }
        // A one-dash word in the command is the command's business.
        assert!(!message(&["rinit", "-Z", "ls", "-pause"]).contains("did you mean"));
        // Clusters that parse stay what they are.
        assert_eq!(run(&["rinit", "-gvv", "x"]).verbosity, 3);
        let e = error(&["rinit", "x"], &[("RINIT_PAUSE", "1")]);
        assert!(
            e.message.starts_with("RINIT_PAUSE asks for no command"),
            "{}",
            e.message
        );
        let e = error(&["rinit", "-P", "x"], &[]);
        assert!(
            e.message.starts_with("--pause runs no command"),
            "{}",
            e.message
        );
    }

    #[test]
    fn help_lists_the_exit_codes_exit_status_decides() {
        use crate::exit_status::{exec_failure_exit_code, usage_exit_code};
        use nix::errno::Errno;
        for personality in [
            Personality::Rinit,
            Personality::Tini,
            Personality::DumbInit,
            Personality::Catatonit,
        ] {
            let (header, codes) = help_header_and_codes(personality);
            assert!(header.starts_with(personality.name()), "{header}");
            let code = |errno| exec_failure_exit_code(personality, errno);
            let (not_found, denied, other) =
                (code(Errno::ENOENT), code(Errno::EACCES), code(Errno::E2BIG));
            let expected = if not_found == denied && denied == other {
                format!("{not_found} the command cannot be run;")
            } else if denied == other {
                format!("{not_found} command not found; {denied} not executable;")
            } else {
                format!(
                    "{not_found} command not found; {denied} not executable; {other} other exec errors;"
                )
            };
            assert!(codes.starts_with(&expected), "{personality:?}: {codes}");
            let usage = format!("\n{} bad usage", usage_exit_code(personality));
            assert!(codes.ends_with(&usage), "{personality:?}: {codes}");
            // The defaults shown are the ones that apply.
            let grace = personality.default_grace();
            let shown = default_shown(Opt::Grace, personality).unwrap();
            assert_eq!(shown.starts_with("0:"), grace.is_zero(), "{personality:?}");
            assert!(grace.is_zero() || shown == format!("{grace:?}"));
            let target = format!("{:?}", personality.default_forward_target());
            assert!(
                target.eq_ignore_ascii_case(default_shown(Opt::ForwardTo, personality).unwrap())
            );
        }
    }

    #[test]
    fn help_speaks_for_the_name_rinit_runs_as() {
        let help = |name: &str| match parse(&args(&[name, "--help"]), &|_| None).unwrap() {
            Invocation::Help(text) => text,
            other => panic!("{other:?}"),
        };
        let rinit = help("rinit");
        assert!(rinit.contains("[default: 5s]") && rinit.contains("126 not executable"));
        let tini = help("tini");
        assert!(!tini.starts_with("tini 0."), "{tini}");
        assert!(tini.contains("1 other exec errors") && tini.contains("1 bad usage"));
        assert!(tini.contains("[default: child]") && !tini.contains("[default: 5s]"));
        assert!(help("catatonit").contains("1 the command cannot be run"));
        assert!(help("dumb-init").contains("2 the command cannot be run"));
    }

    #[test]
    fn kill_after_zero_is_off() {
        assert_eq!(run(&["rinit", "--kill-after", "0", "x"]).kill_after, None);
        assert_eq!(run(&["rinit", "--kill-after=0ms", "x"]).kill_after, None);
        let vars = [("RINIT_KILL_AFTER", "0s")];
        assert_eq!(run_with(&["rinit", "x"], &vars).unwrap().kill_after, None);
        // Zero on the command line turns off the variable's delay.
        let vars = [("RINIT_KILL_AFTER", "5s")];
        assert_eq!(
            run_with(&["rinit", "--kill-after", "0", "x"], &vars)
                .unwrap()
                .kill_after,
            None
        );
    }

    #[test]
    fn peer_variables_keep_their_meaning() {
        assert_eq!(
            run_with(&["tini", "x"], &[("TINI_KILL_PROCESS_GROUP", "")])
                .unwrap()
                .forward_to,
            ForwardTarget::Group
        );
        assert!(
            run_with(&["tini", "x"], &[("TINI_SUBREAPER", "")])
                .unwrap()
                .subreaper
        );
        assert_eq!(
            run_with(&["x", "x"], &[("TINI_VERBOSITY", "3")])
                .unwrap()
                .verbosity,
            3
        );
        assert_eq!(
            run_with(&["dumb-init", "x"], &[("DUMB_INIT_SETSID", "0")])
                .unwrap()
                .forward_to,
            ForwardTarget::Child
        );
        assert_eq!(
            run_with(&["dumb-init", "x"], &[("DUMB_INIT_SETSID", "1")])
                .unwrap()
                .forward_to,
            ForwardTarget::Group
        );
        assert_eq!(
            run_with(&["x", "x"], &[("DUMB_INIT_DEBUG", "1")])
                .unwrap()
                .verbosity,
            3
        );
        // RINIT_* beats the peer's variable, the command line beats both.
        assert_eq!(
            run_with(
                &["x", "x"],
                &[
                    ("TINI_KILL_PROCESS_GROUP", "1"),
                    ("RINIT_FORWARD_TO", "all")
                ]
            )
            .unwrap()
            .forward_to,
            ForwardTarget::All
        );
        assert_eq!(
            run_with(&["x", "-c", "x"], &[("TINI_KILL_PROCESS_GROUP", "1")])
                .unwrap()
                .forward_to,
            ForwardTarget::Child
        );
    }

    #[test]
    fn personalities_change_defaults_only() {
        let tini = run(&["/usr/bin/tini", "--", "x"]);
        assert_eq!(tini.forward_to, ForwardTarget::Child);
        // Docker's name for its init is rinit's own.
        let docker_init = run(&["/sbin/docker-init", "--", "x"]);
        assert_eq!(docker_init.forward_to, ForwardTarget::Group);
        assert_eq!(docker_init.grace, Duration::from_secs(5));
        assert_eq!(docker_init.rewrites.apply(Signal::TTIN), Some(Signal::TTIN));
        assert_eq!(tini.grace, Duration::ZERO);
        assert_eq!(tini.rewrites.apply(Signal::TTIN), None);
        assert_eq!(tini.rewrites.apply(Signal::TSTP), Some(Signal::TSTP));
        assert_eq!(run(&["dumb-init", "x"]).forward_to, ForwardTarget::Group);
        assert_eq!(
            run(&["dumb-init", "x"]).rewrites.apply(Signal::TSTP),
            Some(Signal::STOP)
        );
        assert_eq!(run(&["catatonit", "x"]).rewrites.apply(Signal::TSTP), None);
        assert_eq!(
            run(&["catatonit", "-r", "TSTP:TSTP", "x"])
                .rewrites
                .apply(Signal::TSTP),
            Some(Signal::TSTP)
        );
        assert_eq!(
            run(&["catatonit", "--grace", "3s", "x"]).grace,
            Duration::from_secs(3)
        );
        assert_eq!(error(&["tini", "--grace", "x", "y"], &[]).exit_code, 1);
        assert_eq!(error(&["tini-static", "--bogus"], &[]).program, "tini");
        let docker_init = error(&["/sbin/docker-init", "--bogus"], &[]);
        assert_eq!((docker_init.program, docker_init.exit_code), ("rinit", 2));
        assert_eq!(error(&["rinit", "--bogus"], &[]).program, "rinit");
        assert_eq!(error(&["catatonit"], &[]).exit_code, 1);
    }

    #[test]
    fn stop_options_under_every_name_by_flag_and_variable() {
        let ten = Some(Duration::from_secs(10));
        for name in ["rinit", "tini", "docker-init", "dumb-init", "catatonit"] {
            let config = run(&[name, "--stop-delay", "10s", "--stop-success", "--", "x"]);
            assert_eq!(
                (config.stop_delay, config.stop_success),
                (ten, true),
                "{name}"
            );
            // `NAME -- CMD` skips clap: the variables still count.
            let vars = [("RINIT_STOP_DELAY", "10"), ("RINIT_STOP_SUCCESS", "yes")];
            let config = run_with(&[name, "--", "x"], &vars).unwrap();
            assert_eq!(
                (config.stop_delay, config.stop_success),
                (ten, true),
                "{name}"
            );
            // The command line beats the variable.
            let config = run_with(&[name, "--stop-delay=1s", "x"], &vars).unwrap();
            assert_eq!(config.stop_delay, Some(Duration::from_secs(1)), "{name}");
            let off = [("RINIT_STOP_SUCCESS", "0")];
            assert!(!run_with(&[name, "x"], &off).unwrap().stop_success);
        }
        // Zero holds nothing: the same as not giving the option.
        assert_eq!(run(&["rinit", "--stop-delay", "0", "x"]).stop_delay, None);
    }

    #[test]
    fn any_number_of_verbose_flags_tops_out_at_trace() {
        let many = format!("-{}", "v".repeat(300));
        assert_eq!(run(&["rinit", &many, "x"]).verbosity, 4);
    }

    #[test]
    fn rinit_log_is_checked_up_front() {
        let ok = run_with(&["rinit", "x"], &[("RINIT_LOG", "rinit=debug")]).unwrap();
        assert_eq!(ok.log_filter.as_deref(), Some("rinit=debug"));
        for bad in [
            "",
            "garbage===",
            "rinit=loud",
            "bogus!",
            "rinit=debug,x y",
            "info,",
            "a:b",
            "a:::b",
            "a::",
            "::a",
        ] {
            let e = error(&["rinit", "x"], &[("RINIT_LOG", bad)]);
            assert!(e.message.contains("RINIT_LOG"), "{bad:?}: {}", e.message);
        }
    }

    #[test]
    fn rinit_log_rejects_an_empty_side_of_equals() {
        // env_filter reads these as a level for every module: `=` would turn
        // on trace output, `=debug` debug output.
        for bad in ["=", "=debug", "rinit=", "info,=trace", " = "] {
            let e = error(&["rinit", "x"], &[("RINIT_LOG", bad)]);
            assert!(e.message.contains("RINIT_LOG"), "{bad:?}: {}", e.message);
        }
        for good in [
            "debug",
            "rinit=debug,info",
            "rinit",
            "rinit::spawn=trace",
            "a::b::c",
            "OFF",
            " rinit = info ",
            "info/exec",
        ] {
            assert!(
                run_with(&["rinit", "x"], &[("RINIT_LOG", good)]).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn suggestions_are_close_and_only_close() {
        assert_eq!(closest_long_option("--gracee"), Some("grace"));
        assert_eq!(closest_long_option("--forwrd-to=all"), Some("forward-to"));
        assert_eq!(closest_long_option("--kil-after"), Some("kill-after"));
        assert_eq!(closest_long_option("--bogus"), None);
        assert_eq!(closest_long_option("--x"), None);
        assert_eq!(closest_long_option("-g"), None);
    }

    #[test]
    fn a_mistyped_long_option_gets_a_suggestion() {
        let e = error(&["rinit", "--gracee", "1s", "x"], &[]);
        assert_eq!(
            e.message,
            "unknown option '--gracee'; did you mean '--grace'?"
        );
        let e = error(&["tini", "--subreaperr", "x"], &[]);
        assert!(e.message.contains("'--subreaper'"), "{}", e.message);
        assert_eq!(e.exit_code, 1);
    }

    #[test]
    fn every_usage_error_is_one_line() {
        let cases: &[&[&str]] = &[
            &["rinit"],
            &["rinit", "--"],
            &["rinit", "--bo\ngus", "x"],
            &["rinit", "--grace", "1\n2", "x"],
            &["rinit", "-r", "TERM:\u{1b}[31m", "x"],
            &["rinit", "--forward-to", "a\rb", "x"],
            &["rinit", "--pause=\n"],
        ];
        for list in cases {
            let e = error(list, &[]);
            assert!(
                !e.message.contains(|c: char| c.is_control()),
                "{list:?}: {:?}",
                e.message
            );
        }
        let e = error(&["rinit", "--grace", "1\n2", "x"], &[]);
        assert!(e.message.contains("'1\\n2'"), "{}", e.message);
        let e = error(&["rinit", "x"], &[("RINIT_FORWARD_TO", "a\nb")]);
        assert!(
            e.message.contains("RINIT_FORWARD_TO: 'a\\nb'"),
            "{}",
            e.message
        );
        // An unknown option is quoted as typed, bytes that are not UTF-8
        // included.
        use std::os::unix::ffi::OsStringExt;
        let argv = [
            OsString::from("rinit"),
            OsString::from_vec(b"--\xff\n".to_vec()),
            OsString::from("x"),
        ];
        let e = parse(&argv, &|_| None).unwrap_err();
        assert_eq!(e.message, "unknown option '--\\xff\\n'");
    }

    #[test]
    fn the_last_of_group_child_and_forward_to_wins() {
        for (list, target) in [
            (
                &["rinit", "--forward-to", "all", "-c", "x"][..],
                ForwardTarget::Child,
            ),
            (
                &["rinit", "-c", "--forward-to=all", "x"][..],
                ForwardTarget::All,
            ),
            (&["rinit", "-gc", "x"][..], ForwardTarget::Child),
            (&["rinit", "-c", "-g", "-c", "x"][..], ForwardTarget::Child),
            (
                &["rinit", "--forward-to", "all", "--forward-to", "child", "x"][..],
                ForwardTarget::Child,
            ),
        ] {
            assert_eq!(run(list).forward_to, target, "{list:?}");
        }
        // A value option given twice keeps the last value; a list keeps all.
        assert_eq!(
            run(&["rinit", "--grace=1s", "--grace", "2s", "x"]).grace,
            Duration::from_secs(2)
        );
        assert_eq!(
            run(&["rinit", "-e1", "-e", "2", "--remap-exit=3", "x"]).success_codes,
            [1, 2, 3].into_iter().collect()
        );
    }

    #[test]
    fn peers_flags_live_together() {
        let config = run(&[
            "rinit", "-s", "-p", "KILL", "-v", "-w", "-g", "-e", "3", "-c", "-r", "HUP:0", "x",
        ]);
        assert!(config.subreaper && config.warn_on_reap);
        assert_eq!(config.forward_to, ForwardTarget::Child);
        assert_eq!(config.pdeathsig, Some(Signal::KILL));
        assert_eq!(config.verbosity, 2);
        assert!(run(&["catatonit", "-g", "-P"]).pause);
        let parse_plain = |list: &[&str]| parse(&args(list), &|_| None).unwrap();
        assert_eq!(parse_plain(&["catatonit", "-L"]), Invocation::License);
        assert!(matches!(
            parse_plain(&["dumb-init", "-V"]),
            Invocation::Version {
                to_stderr: true,
                ..
            }
        ));
    }

    /// The README's option table (Usage) and variable table must name every
    /// option and variable of the definition, and nothing else.
    #[test]
    fn the_readme_documents_the_definition() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        // The backquoted names in the first `columns` cells of the table
        // whose header starts with `header`: `-g`, `--grace DURATION`,
        // `RINIT_FORWARD_TO=group`.
        let names_in_table = |header: &str, columns: usize| -> BTreeSet<String> {
            let rows: Vec<&str> = readme
                .lines()
                .skip_while(|line| !line.starts_with(header))
                .skip(2)
                .take_while(|line| line.starts_with('|'))
                .collect();
            assert!(
                !rows.is_empty(),
                "no table starting {header:?} in README.md"
            );
            rows.iter()
                .flat_map(|row| row.split('|').skip(1).take(columns))
                .flat_map(|cell| cell.split('`').skip(1).step_by(2))
                .map(|quoted| quoted.split([' ', '=']).next().unwrap().to_owned())
                .collect()
        };
        let definition = command(Personality::Rinit);
        let mut options = BTreeSet::new();
        let mut variables = BTreeSet::from([LOG_VARIABLE.to_owned()]);
        for arg in definition.get_arguments().filter(|a| !a.is_positional()) {
            let shorts = arg.get_short().into_iter();
            let shorts = shorts.chain(arg.get_visible_short_aliases().unwrap_or_default());
            options.extend(shorts.map(|letter| format!("-{letter}")));
            options.extend(arg.get_long().map(|long| format!("--{long}")));
            let spec = OPTIONS
                .iter()
                .find(|s| s.long == arg.get_id().as_str())
                .unwrap();
            variables.extend(spec.env.map(str::to_owned));
        }
        let defined: BTreeSet<String> = options.union(&variables).cloned().collect();
        let compare = |table: &str, documented: BTreeSet<String>, defined: &BTreeSet<String>| {
            let missing: Vec<_> = defined.difference(&documented).collect();
            let unknown: Vec<_> = documented.difference(defined).collect();
            assert!(
                missing.is_empty() && unknown.is_empty(),
                "README.md's {table} table lacks {missing:?} and names {unknown:?}, which do not exist"
            );
        };
        compare(
            "option",
            names_in_table("| Option | Variable |", 2),
            &defined,
        );
        compare(
            "variable",
            names_in_table("| Variable | Option |", 1),
            &variables,
        );
    }

    #[test]
    fn a_command_line_without_options_reads_the_same_without_clap() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'a', 0xff]);
        let mut cases: Vec<Vec<OsString>> = [
            &["rinit", "--", "sh", "-c", "exit 3"][..],
            &["rinit", "sh", "-c", "exit 3"],
            &["rinit", "--", "--", "-v"],
            &["rinit", "--", "-v", "--grace"],
            &["rinit", "ls", "--help", "-V"],
            &["docker-init", "--", "x"],
            &["rinit", ""],
            &["rinit", "--", ""],
            &["rinit", "--"],
            &["rinit", "x=1", "-"],
        ]
        .iter()
        .map(|list| args(list))
        .collect();
        cases.push(vec!["rinit".into(), odd.clone(), "-x".into()]);
        cases.push(vec!["rinit".into(), "--".into(), odd]);
        for argv in cases {
            let personality = Personality::from_argv0(argv[0].as_bytes());
            assert_eq!(
                read_command_line(personality, &argv),
                read_with_clap(personality, &argv),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn a_list_variable_needs_an_item() {
        for (var, value) in [("RINIT_REWRITE", ","), ("RINIT_REMAP_EXIT", " , ")] {
            let e = error(&["rinit", "x"], &[(var, value)]);
            assert!(e.message.contains(var), "{}", e.message);
        }
    }

    #[test]
    fn booleans() {
        for t in ["1", "true", "yes", "YES", "True"] {
            assert_eq!(parse_bool(t), Ok(true));
        }
        for f in ["0", "false", "no", "NO"] {
            assert_eq!(parse_bool(f), Ok(false));
        }
        for bad in ["", "2", "on", "y"] {
            assert!(parse_bool(bad).is_err());
        }
    }
}
