//! The command line and the environment, turned into a `Config`.
//!
//! `OPTIONS` is the one definition of every option, a row each: its long
//! name and letters, its variable, its help line, and what it does
//! (`Takes`: a switch, a level, a value or a list, each with the function
//! that parses its text into the `Config`). The clap command is built from
//! the rows (clap lexes and checks the command line and writes `--help`;
//! its multi-line errors are rewritten as one line, see `describe`), the
//! `RINIT_*` variables are read through the same rows, and a test checks
//! the README's option and variable tables against them.
//!
//! Adding an option is a row in `OPTIONS` and its field in `Config`, with
//! the field's default in `Config::defaults` (the compiler asks for it);
//! the default its row shows in `--help` is read back through the row and
//! held to that one by a unit test.
//! How it reads and what wins go in this file's unit `tests`; what it does
//! is tested through the binary as PID 1, in the `tests/` file of that
//! behaviour. Its lines go in the README's option and variable tables,
//! which `the_readme_documents_the_definition` holds to the rows. An option
//! that cancels others says so in its row: `overrides` is clap's
//! `overrides_with_all`, which keeps the last of `-g`, `-c` and
//! `--forward-to`.
//!
//! Where a setting comes from, weakest first, each written over the one
//! before: the defaults of the name rinit runs as (see `personality`), the
//! peers' variables (`TINI_*`, `DUMB_INIT_*`, `CATATONIT_DEBUG`, read as the
//! peers read them), the `RINIT_*` variables, the command line. A variable
//! whose option is on the command line is checked but does not count, so
//! that a list given there replaces the variable's rather than adding to
//! it. A mistake on the command line is reported before one in a variable.
//!
//! The variables are read here rather than by clap's `env` feature: the
//! peers' variables rank between `RINIT_*` and the defaults, an empty
//! `RINIT_*` is an error while a `TINI_*` counts when merely set, and a list
//! variable holds several items. None of that is clap's model.
//!
//! A command line with no option at all (`rinit -- CMD`) does not need clap
//! and skips it (see `read_command_line`).

use crate::env_files::EnvSources;
use crate::exit_status::parse_exit_code;
use crate::forensics::TERMINATION_LOG;
use crate::logging::LogFormat;
use crate::personality::Personality;
use crate::policy::{ForwardTarget, Rewrites};
use crate::probe::Target;
use crate::signals::Signal;
use Takes::{Level, List, Print, Switch, Value};
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

impl Config {
    /// Every setting as it is when nothing asks otherwise, under
    /// `personality`'s name. `rewrites` starts empty: the peer's own rules
    /// depend on where signals go, and are put under the user's once that is
    /// settled (see `settings`).
    fn defaults(personality: Personality) -> Config {
        Config {
            personality,
            command: Vec::new(),
            forward_to: personality.default_forward_target(),
            subreaper: false,
            pdeathsig: None,
            warn_on_reap: false,
            success_codes: BTreeSet::new(),
            rewrites: Rewrites::default(),
            pause: false,
            grace: personality.default_grace(),
            drain_signal: Signal::TERM,
            kill_after: None,
            stop_delay: None,
            stop_success: false,
            verbosity: 1,
            log_filter: None,
            log_format: LogFormat::default(),
            termination_log: Some(PathBuf::from(TERMINATION_LOG)),
            env_sources: EnvSources::default(),
            probes: Vec::new(),
            probe_timeout: PROBE_TIMEOUT,
            wait_for: Vec::new(),
            wait_timeout: WAIT_TIMEOUT,
            ready_when: None,
        }
    }
}

/// One option: how it is written, its variable, its help line, and what it
/// does (see the module doc).
#[derive(Clone, Copy)]
struct Opt {
    long: &'static str,
    short: Option<char>,
    /// A second letter for the same option (catatonit's `-L` beside tini's
    /// `-l`).
    alias: Option<char>,
    env: Option<&'static str>,
    help: &'static str,
    takes: Takes,
    /// The options this one cancels when it comes after them, and that
    /// cancel it when they do (clap's `overrides_with_all`).
    overrides: &'static [&'static str],
    /// The default `--help` shows under a name: the one that applies there,
    /// not rinit's own (a unit test holds the two together).
    shown_default: fn(Personality) -> Option<&'static str>,
}

/// Parses one value, or one item of a list, into the `Config`. The error
/// says what is wrong with the text; the caller names the option or
/// variable.
type Update = fn(&mut Config, &str) -> Result<(), String>;

/// What an option takes on the command line, and what it does with it. Its
/// variable, if it has one, takes the same in text.
#[derive(Clone, Copy)]
enum Takes {
    /// A flag that prints something instead of running; it sets nothing
    /// and has no variable.
    Print(fn(Personality) -> Invocation),
    /// A flag; its variable is a boolean.
    Switch(fn(&mut Config, bool)),
    /// A level: on the command line the flag counted from 1 up (`-vv` is
    /// 3), in its variable a number.
    Level(fn(&mut Config, u8)),
    /// One value (named for `--help`); given twice, the last one counts.
    Value(&'static str, Update),
    /// A value that may be given again, each time one more item of a list;
    /// its variable holds the whole list, separated by commas or white
    /// space.
    List(&'static str, Update),
}

impl Opt {
    const fn new(long: &'static str, takes: Takes) -> Opt {
        Opt {
            long,
            short: None,
            alias: None,
            env: None,
            help: "",
            takes,
            overrides: &[],
            shown_default: no_default,
        }
    }

    const fn short(self, letter: char) -> Opt {
        Opt {
            short: Some(letter),
            ..self
        }
    }

    const fn alias(self, letter: char) -> Opt {
        Opt {
            alias: Some(letter),
            ..self
        }
    }

    const fn env(self, var: &'static str) -> Opt {
        Opt {
            env: Some(var),
            ..self
        }
    }

    const fn help(self, help: &'static str) -> Opt {
        Opt { help, ..self }
    }

    const fn overrides(self, overrides: &'static [&'static str]) -> Opt {
        Opt { overrides, ..self }
    }

    const fn shows_default(self, shown_default: fn(Personality) -> Option<&'static str>) -> Opt {
        Opt {
            shown_default,
            ..self
        }
    }
}

fn no_default(_: Personality) -> Option<&'static str> {
    None
}

/// Whether signals go to the process group when nothing says otherwise.
fn groups(personality: Personality) -> bool {
    personality.default_forward_target() == ForwardTarget::Group
}

/// Zero is off, as for `timeout -k 0`: a SIGKILL together with the SIGTERM,
/// or a hold of no time, is never what anyone asks for.
fn unless_zero(delay: Duration) -> Option<Duration> {
    Some(delay).filter(|delay| !delay.is_zero())
}

/// Who receives forwarded signals: the last of these on the command line.
const FORWARDING: &[&str] = &["group", "single-child", "forward-to"];

/// Every option, in the order of `--help`. The flags of tini (`-s -p -v -w
/// -g -e -l`), dumb-init (`-c -r -v -V`) and catatonit (`-g -P -L -V`) do not
/// clash, so all of them live here under every name rinit runs as.
const OPTIONS: &[Opt] = &[
    Opt::new("group", Switch(|c, _| c.forward_to = ForwardTarget::Group))
        .short('g')
        .overrides(FORWARDING)
        .shows_default(|p| groups(p).then_some("yes"))
        .help("forward signals to the child's process group (same as --forward-to group)"),
    Opt::new("single-child", Switch(|c, _| c.forward_to = ForwardTarget::Child))
        .short('c')
        .overrides(FORWARDING)
        .shows_default(|p| (!groups(p)).then_some("yes"))
        .help("forward signals to the child alone (same as --forward-to child)"),
    Opt::new("forward-to", Value("TARGET", |c, v| ForwardTarget::parse(v).map(|t| c.forward_to = t)))
        .env("RINIT_FORWARD_TO")
        .overrides(FORWARDING)
        .shows_default(|p| Some(if groups(p) { "group" } else { "child" }))
        .help("child, group or all: who receives forwarded signals; all reaches every process in the container as PID 1, rinit's own descendants otherwise"),
    Opt::new("grace", Value("DURATION", |c, v| parse_duration(v).map(|d| c.grace = d)))
        .env("RINIT_GRACE")
        .shows_default(|p| Some(if p == Personality::Rinit { "5s" } else { "0: exit at once, as the peer does" }))
        .help("after the child exits, how long the others get to exit before SIGKILL"),
    Opt::new("drain-signal", Value("SIG", |c, v| parse_signal_but_sigchld(v).map(|s| c.drain_signal = s)))
        .env("RINIT_DRAIN_SIGNAL")
        .shows_default(|_| Some("SIGTERM"))
        .help("signal sent to the others when the child exits"),
    Opt::new("kill-after", Value("DURATION", |c, v| parse_duration(v).map(|d| c.kill_after = unless_zero(d))))
        .env("RINIT_KILL_AFTER")
        .shows_default(|_| Some("off"))
        .help("SIGKILL the target if the child still runs this long after a SIGTERM/SIGINT from outside was forwarded (as -r rewrote it); 0: off"),
    Opt::new("stop-delay", Value("DURATION", |c, v| parse_duration(v).map(|d| c.stop_delay = unless_zero(d))))
        .env("RINIT_STOP_DELAY")
        .shows_default(|_| Some("off"))
        .help("hold the first SIGTERM this long before forwarding it (a 2nd SIGTERM or a SIGINT ends the hold); 0: off"),
    Opt::new("rewrite", List("FROM:TO", |c, v| Rewrites::parse_rule(v).map(|(from, to)| c.rewrites.set(from, to))))
        .short('r')
        .env("RINIT_REWRITE")
        .help("forward signal FROM as TO; TO 0 drops it (repeatable)"),
    Opt::new("remap-exit", List("CODE", |c, v| parse_exit_code(v).map(|code| c.success_codes.extend([code]))))
        .short('e')
        .env("RINIT_REMAP_EXIT")
        .help("exit 0 when the child's exit code (or 128+N) is CODE (repeatable)"),
    Opt::new("stop-success", Switch(|c, on| c.stop_success = on))
        .env("RINIT_STOP_SUCCESS")
        .help("exit 0 when the child dies of a SIGTERM/SIGINT rinit forwarded, or exits 128+N for it"),
    Opt::new("subreaper", Switch(|c, on| c.subreaper = on))
        .short('s')
        .env("RINIT_SUBREAPER")
        .help("register as child subreaper (automatic when not PID 1)"),
    Opt::new("pdeathsig", Value("SIG", |c, v| parse_signal_but_sigchld(v).map(|s| c.pdeathsig = Some(s))))
        .short('p')
        .env("RINIT_PDEATHSIG")
        .help("signal rinit receives (and forwards) when its parent dies"),
    Opt::new("warn-on-reap", Switch(|c, on| c.warn_on_reap = on))
        .short('w')
        .env("RINIT_WARN_ON_REAP")
        .help("warn about every reaped process that is not the child"),
    Opt::new("pause", Switch(|c, on| c.pause = on))
        .short('P')
        .env("RINIT_PAUSE")
        .help("run no command: reap until SIGTERM or SIGINT, then exit 0"),
    Opt::new("termination-log", Value("PATH", |c, v| parse_termination_log(v).map(|path| c.termination_log = path)))
        .env("RINIT_TERMINATION_LOG")
        .shows_default(|_| Some(TERMINATION_LOG))
        .help("on a failed exit, write why to PATH if it is an empty regular file (never procfs, sysfs or cgroupfs); off: never"),
    Opt::new("log-format", Value("FORMAT", |c, v| LogFormat::parse(v).map(|f| c.log_format = f)))
        .env("RINIT_LOG_FORMAT")
        .shows_default(|_| Some("text"))
        .help("text or json: json writes each log line as one JSON object"),
    // No variable: one set in an image's environment would turn the app's
    // own rinit into a probe.
    Opt::new("probe", List("TARGET", |c, v| parse_target(v).map(|t| c.probes.push(t))))
        .help("run no command: check TARGET once, exit 0 if it passes, 1 if not (HEALTHCHECK); repeatable"),
    Opt::new("probe-timeout", Value("DURATION", |c, v| parse_positive_duration(v).map(|d| c.probe_timeout = d)))
        .env("RINIT_PROBE_TIMEOUT")
        .shows_default(|_| Some("800ms"))
        .help("how long one check of the targets may take"),
    Opt::new("wait-for", List("TARGET", |c, v| parse_target(v).map(|t| c.wait_for.push(t))))
        .env("RINIT_WAIT_FOR")
        .help("start the command only once TARGET passes; repeatable"),
    Opt::new("wait-timeout", Value("DURATION", |c, v| parse_positive_duration(v).map(|d| c.wait_timeout = d)))
        .env("RINIT_WAIT_TIMEOUT")
        .shows_default(|_| Some("60s"))
        .help("how long --wait-for waits before giving up with exit 1"),
    Opt::new("ready-when", Value("TARGET", |c, v| parse_target(v).map(|t| c.ready_when = Some(t))))
        .env("RINIT_READY_WHEN")
        .help("send READY=1 to $NOTIFY_SOCKET once TARGET passes (systemd, podman --sdnotify)"),
    Opt::new("env-file", List("PATH", |c, v| parse_env_file_path(v).map(|p| c.env_sources.files.push(p))))
        .env("RINIT_ENV_FILE")
        .help("add the variables of this file (KEY=VALUE lines) to the command's environment; the environment wins"),
    Opt::new("env-from-files", Switch(|c, on| c.env_sources.from_files = on))
        .env("RINIT_ENV_FROM_FILES")
        .help("set NAME to the content of the file that NAME_FILE or FILE__NAME names (secrets)"),
    // Trace (4) is the most there is; more changes nothing.
    Opt::new("verbose", Level(|c, level| c.verbosity = level.min(4)))
        .short('v')
        .env("RINIT_VERBOSITY")
        .help("log more to stderr: -v info, -vv debug, -vvv trace (variable: 0-4)"),
    Opt::new("help", Print(|p| Invocation::Help(command(p).render_help().to_string())))
        .short('h')
        .help("print this help"),
    Opt::new("version", Print(|p| Invocation::Version { line: p.version_line(), to_stderr: p.version_on_stderr() }))
        .short('V')
        .help("print the version"),
    Opt::new("license", Print(|_| Invocation::License))
        .short('l')
        .alias('L')
        .help("print the licence"),
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

impl Opt {
    /// This option as clap sees it under `personality`'s name; its id is its
    /// long name.
    fn arg(&self, personality: Personality) -> Arg {
        let mut help = self.help.to_owned();
        if let Some(default) = (self.shown_default)(personality) {
            help.push_str(&format!(" [default: {default}]"));
        }
        if let Some(var) = self.env {
            help.push_str(&format!(" [env {var}]"));
        }
        // An option given again replaces itself (`args_override_self`).
        let others = self.overrides.iter().filter(|&&id| id != self.long);
        let arg = Arg::new(self.long)
            .long(self.long)
            .short(self.short)
            .visible_short_aliases(self.alias)
            .overrides_with_all(others.copied())
            .help(help);
        match self.takes {
            Print(_) | Switch(_) => arg.action(ArgAction::SetTrue),
            Level(_) => arg.action(ArgAction::Count),
            Value(name, _) => with_value(arg, name, ArgAction::Set),
            List(name, _) => with_value(arg, name, ArgAction::Append),
        }
    }

    /// Whether `-letter` names this option (its letter or its alias).
    fn has_letter(&self, letter: char) -> bool {
        self.short == Some(letter) || self.alias == Some(letter)
    }

    /// How messages name the option: `-p/--pdeathsig`, `--grace`.
    fn name(&self) -> String {
        match self.short {
            Some(letter) => format!("-{letter}/--{}", self.long),
            None => format!("--{}", self.long),
        }
    }

    /// One value from the command line into `config`.
    fn take_value(&self, update: Update, raw: &OsStr, config: &mut Config) -> Result<(), String> {
        let name = self.name();
        let text = raw
            .to_str()
            .ok_or_else(|| format!("{name}: the value is not valid UTF-8"))?;
        update(config, text).map_err(|e| format!("{name}: {e}"))
    }

    /// The text of its variable `var` into `config`.
    fn read_variable(&self, var: &str, text: &str, config: &mut Config) -> Result<(), String> {
        let result = match self.takes {
            Print(_) => Ok(()),
            Switch(set) => parse_bool(text).map(|on| set(config, on)),
            Level(set) => parse_verbosity(text).map(|level| set(config, level)),
            Value(_, update) => update(config, text),
            // Commas or white space separate the items.
            List(_, update) => {
                let mut items = text
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|item| !item.is_empty())
                    .peekable();
                if items.peek().is_none() {
                    return Err(format!("{var} holds separators but no item"));
                }
                items.try_for_each(|item| update(config, item))
            }
        };
        result.map_err(|e| format!("{var}: {e}"))
    }
}

/// `arg` taking a value, named `name` in `--help`.
fn with_value(arg: Arg, name: &'static str, action: ArgAction) -> Arg {
    arg.value_name(name)
        .action(action)
        // Raw bytes: rinit checks the value itself, naming the option.
        .value_parser(value_parser!(OsString))
        // As with getopt, an option's value is the next word, whatever it
        // looks like (`-e -1` is an error about -1).
        .allow_hyphen_values(true)
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
        .fold(command, |command, opt| command.arg(opt.arg(personality)))
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
        message: crate::text::printable(message.as_bytes()),
        exit_code: crate::exit_status::usage_exit_code(personality),
    };
    let (matches, command) = match read_command_line(personality, argv).map_err(fail)? {
        CommandLine::Run(matches, command) => (*matches, command),
        CommandLine::Print(invocation) => return Ok(invocation),
    };
    let mut config = settings(personality, &matches, argv, env).map_err(fail)?;
    // Which asked for pause mode, for the message.
    let pause_by_variable = !on_command_line(&matches, "pause");
    check_what_runs(&config, &command, pause_by_variable, env).map_err(fail)?;
    config.command = command;
    config.log_filter = log_filter(env).map_err(fail)?;
    Ok(Invocation::Run(Box::new(config)))
}

/// The settings, from the weakest source to the strongest (see the module
/// doc).
fn settings(
    personality: Personality,
    matches: &ArgMatches,
    argv: &[OsString],
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Config, String> {
    let mut config = Config::defaults(personality);
    peer_variables(env, &mut config);
    let variables = rinit_variables(env, matches, &mut config);
    apply_command_line(matches, argv, &mut config)?;
    variables?;
    // The peer's rules for job-control signals depend on where signals go;
    // the user's own rules come over them.
    for &(from, to) in personality.default_rewrites(config.forward_to) {
        if !config.rewrites.has_rule(from) {
            config.rewrites.set(from, to);
        }
    }
    Ok(config)
}

/// That the settings and the command agree on what rinit runs: a command,
/// nothing (`--pause`), or probes.
fn check_what_runs(
    config: &Config,
    command: &[OsString],
    pause_by_variable: bool,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<(), String> {
    if !config.probes.is_empty() && (config.pause || !command.is_empty()) {
        return Err(
            "--probe checks its targets and exits: it runs no command and cannot --pause"
                .to_owned(),
        );
    }
    if config.ready_when.is_some() && env(NOTIFY_SOCKET).is_none_or(|s| s.is_empty()) {
        return Err(format!(
            "--ready-when has nowhere to send READY=1: {NOTIFY_SOCKET} is not set (systemd and podman --sdnotify=container set it)"
        ));
    }
    if config.pause && !command.is_empty() {
        return Err(if pause_by_variable {
            "RINIT_PAUSE asks for no command, but one was given (unset RINIT_PAUSE to run it)"
        } else {
            "--pause runs no command, but one was given"
        }
        .to_owned());
    }
    if !config.pause && config.probes.is_empty() && command.is_empty() {
        return Err(format!(
            "no command given (usage: {} [OPTIONS] [--] COMMAND [ARGS...]; try --help)",
            config.personality.name()
        ));
    }
    if command.first().is_some_and(|c| c.is_empty()) {
        return Err("the command is an empty string".to_owned());
    }
    Ok(())
}

/// What the command line says: its options (as clap found them) and the
/// command, or something to print instead of running.
#[derive(Debug, PartialEq)]
enum CommandLine {
    Run(Box<ArgMatches>, Vec<OsString>),
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
    let matches = command(personality)
        .try_get_matches_from(argv)
        .map_err(|e| describe(&e, argv))
        .map_err(|e| single_dash_long_option(argv).unwrap_or(e))?;
    let print = OPTIONS.iter().find_map(|opt| match opt.takes {
        Print(print) if matches.get_flag(opt.long) => Some(print),
        _ => None,
    });
    if let Some(print) = print {
        // A bad value is a mistake even beside --help.
        apply_command_line(&matches, argv, &mut Config::defaults(personality))?;
        return Ok(CommandLine::Print(print(personality)));
    }
    let command = matches
        .get_many::<OsString>(COMMAND)
        .map(|words| words.cloned().collect())
        .unwrap_or_default();
    Ok(CommandLine::Run(Box::new(matches), command))
}

/// Whether the option named `long` is on the command line (and not
/// cancelled by a later one). `matches` may be empty: clap was skipped.
fn on_command_line(matches: &ArgMatches, long: &str) -> bool {
    matches.try_contains_id(long).unwrap_or(false)
        && matches.value_source(long) == Some(ValueSource::CommandLine)
}

/// The options clap found, into `config`. clap has already cancelled what
/// a later option overrides and kept the last value of a value option, so
/// the order they were given in matters only for which mistake is
/// reported: the first on the command line.
fn apply_command_line(
    matches: &ArgMatches,
    argv: &[OsString],
    config: &mut Config,
) -> Result<(), String> {
    let mut mistakes = Vec::new();
    for opt in OPTIONS
        .iter()
        .filter(|opt| on_command_line(matches, opt.long))
    {
        match opt.takes {
            Print(_) => {}
            Switch(set) => set(config, true),
            Level(set) => set(config, matches.get_count(opt.long).saturating_add(1)),
            Value(_, update) | List(_, update) => {
                let indices = matches.indices_of(opt.long).into_iter().flatten();
                let values = matches.get_raw(opt.long).into_iter().flatten();
                for (at, raw) in indices.zip(values) {
                    if let Err(mistake) = opt.take_value(update, raw, config) {
                        mistakes.push((at, mistake));
                    }
                }
            }
        }
    }
    match mistakes.into_iter().min_by_key(|&(at, _)| at) {
        Some((_, mistake)) => Err(single_dash_long_option(argv).unwrap_or(mistake)),
        None => Ok(()),
    }
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
        OPTIONS.iter().any(|opt| {
            opt.has_letter(char::from(letter)) && matches!(opt.takes, Value(..) | List(..))
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
                    crate::text::printable(word)
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
        .map(|opt| (strsim::levenshtein(word, opt.long), opt.long))
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
    let mut letters = culprit.strip_prefix('-').unwrap_or_default().chars();
    let letter = letters.next().filter(|_| letters.next().is_none());
    let known = OPTIONS.iter().find(|opt| {
        culprit_name == format!("--{}", opt.long) || letter.is_some_and(|l| opt.has_letter(l))
    });
    let option = known.map_or_else(|| format!("'{culprit}'"), Opt::name);
    match error.kind() {
        // `-v=3`: after a flag, clap reads `=` as one more short option.
        ErrorKind::UnknownArgument if culprit == "-=" => flag_given_a_value(argv),
        ErrorKind::UnknownArgument => unknown_option(culprit, argv),
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
                Some(opt) => format!("{}: {what}", opt.name()),
                None => what.to_owned(),
            }
        }
    }
}

/// `-v=3` or `-gc=1`: the message names the flag before the `=`.
fn flag_given_a_value(argv: &[OsString]) -> String {
    let word = argv
        .iter()
        .skip(1)
        .map(|w| w.as_bytes())
        .find(|w| w.starts_with(b"-") && !w.starts_with(b"--") && w.contains(&b'='));
    let Some(word) = word else {
        return "unknown option '-='".to_owned();
    };
    let typed = crate::text::printable(word);
    let letter = word.split(|&b| b == b'=').next().and_then(|l| l.last());
    let flag = OPTIONS
        .iter()
        .find(|opt| letter.is_some_and(|&l| opt.has_letter(char::from(l))));
    match flag {
        Some(opt) => format!(
            "option {} takes no value ('{typed}'){}",
            opt.name(),
            no_value_hint(opt)
        ),
        None => format!("unknown option '{typed}'"),
    }
}

/// An unknown option, quoted as typed (`culprit` is clap's reading of it),
/// with the likeliest meant one.
fn unknown_option(culprit: &str, argv: &[OsString]) -> String {
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
            |word| crate::text::printable(word.as_bytes()),
        );
    if culprit == "--" {
        return format!("'{typed}' names no option (a long option is --NAME or --NAME=VALUE)");
    }
    let mut message = format!("unknown option '{typed}'");
    if let Some(long) = closest_long_option(culprit) {
        message.push_str(&format!("; did you mean '--{long}'?"));
    }
    message
}

/// What to do instead of giving a flag a value.
fn no_value_hint(opt: &Opt) -> String {
    match (opt.takes, opt.env) {
        (Level(_), Some(var)) => {
            format!("; repeat it for more (-vv debug, -vvv trace), or set {var}=N")
        }
        _ => String::new(),
    }
}

/// The `RINIT_*` variables, read through `OPTIONS`, into `config`. One
/// whose option is on the command line is checked all the same.
fn rinit_variables(
    env: &dyn Fn(&str) -> Option<OsString>,
    matches: &ArgMatches,
    config: &mut Config,
) -> Result<(), String> {
    for opt in OPTIONS {
        let Some(var) = opt.env else { continue };
        let Some(raw) = env(var) else { continue };
        let text = variable_text(var, &raw)?;
        let mut checked_only;
        let target = if on_command_line(matches, opt.long) {
            checked_only = Config::defaults(config.personality);
            &mut checked_only
        } else {
            &mut *config
        };
        opt.read_variable(var, text, target)?;
    }
    Ok(())
}

/// The value of a `RINIT_*` variable that is set: text, and not empty
/// (unlike the peers' variables, an empty one is a mistake).
fn variable_text<'a>(var: &str, raw: &'a OsStr) -> Result<&'a str, String> {
    let text = raw
        .to_str()
        .ok_or_else(|| format!("{var}: the value is not valid UTF-8"))?;
    if text.is_empty() {
        return Err(format!("{var} is set but empty; unset it or give a value"));
    }
    Ok(text)
}

/// The peers' variables, as the peers read them, weakest first: a later
/// row wins (`TINI_KILL_PROCESS_GROUP` over `DUMB_INIT_SETSID=0`,
/// `TINI_VERBOSITY` over the debug switches). tini and catatonit check
/// only that theirs are set. None of them can make rinit refuse to start,
/// since none stops the peer (templated compose files and Helm values
/// often leave them empty); only `RINIT_*` are strict. catatonit's
/// `CATATONIT_LOG`, which makes catatonit refuse to start ("reserved for
/// future use"), is not read: that refusal is a quirk, not a setting.
const PEER_VARIABLES: &[(&str, PeerVariable)] = &[
    ("DUMB_INIT_SETSID", |c, value| {
        if value == b"0" {
            c.forward_to = ForwardTarget::Child;
        }
    }),
    ("DUMB_INIT_DEBUG", |c, value| {
        if value == b"1" {
            c.verbosity = 3;
        }
    }),
    ("CATATONIT_DEBUG", |c, _| c.verbosity = 3),
    ("TINI_SUBREAPER", |c, _| c.subreaper = true),
    ("TINI_KILL_PROCESS_GROUP", |c, _| {
        c.forward_to = ForwardTarget::Group
    }),
    ("TINI_VERBOSITY", |c, value| {
        c.verbosity = tini_verbosity(value)
    }),
];

/// What a peer's variable does, given its value.
type PeerVariable = fn(&mut Config, &[u8]);

fn peer_variables(env: &dyn Fn(&str) -> Option<OsString>, config: &mut Config) {
    for (var, read) in PEER_VARIABLES {
        if let Some(value) = env(var) {
            read(config, value.as_bytes());
        }
    }
}

/// `RINIT_LOG`, checked here so that a bad filter is a usage error naming
/// the variable rather than a warning from the logger, or worse, a filter
/// that quietly means something else: env_filter takes `=` or `=debug` as a
/// directive for every module, so a typo would turn on trace or debug output.
fn log_filter(env: &dyn Fn(&str) -> Option<OsString>) -> Result<Option<String>, String> {
    let Some(raw) = env(LOG_VARIABLE) else {
        return Ok(None);
    };
    let text = variable_text(LOG_VARIABLE, &raw)?;
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

/// `RINIT_VERBOSITY`: a number of any size. Too large for a `u8` is the
/// most there is; the row tops every level out at trace, as it does any
/// number of `-v` flags.
fn parse_verbosity(text: &str) -> Result<u8, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a verbosity level (0-4)"));
    }
    Ok(text.parse().unwrap_or(u8::MAX))
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
        let cases: [(&[&str], ForwardTarget); 5] = [
            (&["-c"], ForwardTarget::Child),
            (&["-c", "-g"], ForwardTarget::Group),
            (&["--single-child"], ForwardTarget::Child),
            (&["--forward-to", "all"], ForwardTarget::All),
            (&["--forward-to=child"], ForwardTarget::Child),
        ];
        for (options, target) in cases {
            let argv: Vec<&str> = ["rinit"]
                .iter()
                .chain(options)
                .chain(&["x"])
                .copied()
                .collect();
            assert_eq!(run(&argv).forward_to, target, "{options:?}");
        }
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
            for &(var, _) in PEER_VARIABLES {
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
            (&"0".repeat(100), 0),
            (&"9".repeat(100), 4),
        ] {
            let vars = [("RINIT_VERBOSITY", value)];
            let config = run_with(&["rinit", "x"], &vars).unwrap();
            assert_eq!(config.verbosity, level, "{value}");
        }
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
        }
    }

    #[test]
    fn every_default_help_shows_is_the_one_that_applies() {
        for personality in [
            Personality::Rinit,
            Personality::Tini,
            Personality::DumbInit,
            Personality::Catatonit,
        ] {
            let defaults = Config::defaults(personality);
            for opt in OPTIONS {
                let Some(shown) = (opt.shown_default)(personality) else {
                    continue;
                };
                // Given as the option's value, the default shown changes
                // nothing. `off` and `0: ...` put a zero in words.
                let text = match shown.split(':').next().unwrap() {
                    "off" => "0",
                    text => text,
                };
                let mut config = defaults.clone();
                match opt.takes {
                    Switch(set) if shown == "yes" => set(&mut config, true),
                    Value(_, update) => update(&mut config, text).unwrap(),
                    _ => panic!("--{}: cannot read {shown:?}", opt.long),
                }
                assert_eq!(config, defaults, "{personality:?} --{}: {shown}", opt.long);
            }
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
        let with = |argv: &[&str], var: &str, value: &str| run_with(argv, &[(var, value)]).unwrap();
        let cases = [
            (
                &["tini", "x"][..],
                "TINI_KILL_PROCESS_GROUP",
                "",
                ForwardTarget::Group,
            ),
            (
                &["dumb-init", "x"],
                "DUMB_INIT_SETSID",
                "0",
                ForwardTarget::Child,
            ),
            (
                &["dumb-init", "x"],
                "DUMB_INIT_SETSID",
                "1",
                ForwardTarget::Group,
            ),
        ];
        for (argv, var, value, target) in cases {
            assert_eq!(with(argv, var, value).forward_to, target, "{var}={value}");
        }
        assert!(with(&["tini", "x"], "TINI_SUBREAPER", "").subreaper);
        assert_eq!(with(&["x", "x"], "TINI_VERBOSITY", "3").verbosity, 3);
        assert_eq!(with(&["x", "x"], "DUMB_INIT_DEBUG", "1").verbosity, 3);
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
    fn a_cancelled_option_is_as_if_not_given() {
        // As a value given twice keeps only the last (clap's override of
        // itself), `-c` cancels an earlier --forward-to, value and all.
        assert_eq!(
            run(&["rinit", "--forward-to", "bogus", "-c", "x"]).forward_to,
            ForwardTarget::Child
        );
        assert_eq!(
            run(&["rinit", "--grace", "abc", "--grace", "2s", "x"]).grace,
            Duration::from_secs(2)
        );
        // A cancelled option leaves its variable to count.
        let vars = [("RINIT_FORWARD_TO", "all")];
        let config = run_with(&["rinit", "--forward-to=child", "-g", "x"], &vars).unwrap();
        assert_eq!(config.forward_to, ForwardTarget::Group);
        let config = run_with(&["rinit", "-g", "--forward-to=child", "x"], &vars).unwrap();
        assert_eq!(config.forward_to, ForwardTarget::Child);
    }

    #[test]
    fn the_first_mistake_on_the_command_line_is_named() {
        let message = |list: &[&str]| error(list, &[]).message;
        let grace_first = message(&["rinit", "--grace", "abc", "-r", "TERM", "x"]);
        assert!(grace_first.starts_with("--grace:"), "{grace_first}");
        // An item of a list counts where it stands, not where its first is.
        let rewrite_first = message(&["rinit", "-r", "HUP:0", "-r", "TERM", "--grace", "abc", "x"]);
        assert!(
            rewrite_first.starts_with("-r/--rewrite:"),
            "{rewrite_first}"
        );
        let grace_first = message(&["rinit", "-r", "HUP:0", "--grace", "abc", "-r", "TERM", "x"]);
        assert!(grace_first.starts_with("--grace:"), "{grace_first}");
        // A mistake beside --help is still a mistake.
        assert!(message(&["rinit", "--grace", "abc", "--help"]).starts_with("--grace:"));
    }

    #[test]
    fn a_variable_is_checked_even_where_the_command_line_wins() {
        let vars = [("RINIT_GRACE", "abc")];
        let e = run_with(&["rinit", "--grace", "1s", "x"], &vars).unwrap_err();
        assert!(e.message.starts_with("RINIT_GRACE:"), "{}", e.message);
        // The command line's mistake comes first.
        let vars = [("RINIT_GRACE", "abc"), ("RINIT_FORWARD_TO", "x")];
        let e = run_with(&["rinit", "--drain-signal", "NOPE", "x"], &vars).unwrap_err();
        assert!(e.message.starts_with("--drain-signal:"), "{}", e.message);
        // A list on the command line replaces its variable's, of any name.
        let vars = [
            ("RINIT_WAIT_FOR", "tcp://db:5432"),
            ("RINIT_REWRITE", "HUP:0"),
        ];
        let config = run_with(
            &[
                "tini",
                "--wait-for",
                "tcp://cache:6379",
                "-r",
                "TTIN:TTIN",
                "x",
            ],
            &vars,
        )
        .unwrap();
        assert_eq!(config.wait_for.len(), 1);
        assert_eq!(config.rewrites.apply(hup()), Some(hup()));
        // Under the user's rules, the peer's own (tini drops SIGTTOU).
        assert_eq!(config.rewrites.apply(Signal::TTIN), Some(Signal::TTIN));
        assert_eq!(config.rewrites.apply(Signal::TTOU), None);
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
            let opt = OPTIONS
                .iter()
                .find(|s| s.long == arg.get_id().as_str())
                .unwrap();
            variables.extend(opt.env.map(str::to_owned));
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
            // The settings each way reads, and the command.
            let read = |line: Result<CommandLine, String>| match line.unwrap() {
                CommandLine::Run(matches, command) => {
                    (settings(personality, &matches, &argv, &|_| None), command)
                }
                CommandLine::Print(invocation) => panic!("{argv:?}: {invocation:?}"),
            };
            assert_eq!(
                read(read_command_line(personality, &argv)),
                read(read_with_clap(personality, &argv)),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn a_flag_given_a_value_is_named_by_either_of_its_letters() {
        for letter in ["-l=1", "-L=1"] {
            let message = error(&["catatonit", letter], &[]).message;
            assert!(
                message.starts_with("option -l/--license takes no value"),
                "{letter}: {message}"
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
