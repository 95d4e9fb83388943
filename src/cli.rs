//! The command line and the environment, turned into a `Config`.
//!
//! A small getopt-style parser rather than clap: rinit's grammar is a dozen
//! options that stop at the first non-option word, and clap would add about
//! 190 KB to a static binary that otherwise weighs about 400 KB.
//!
//! Where a setting comes from, strongest first: the command line, then the
//! `RINIT_*` variable, then the peer's variable (`TINI_*`, `DUMB_INIT_*`),
//! then the default of the name rinit was run as (see `personality`).

use crate::exit_status::parse_exit_code;
use crate::personality::Personality;
use crate::policy::{ForwardTarget, Rewrites};
use crate::signals::Signal;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// Everything rinit needs to know to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub personality: Personality,
    /// The command and its arguments; empty in pause mode.
    pub command: Vec<OsString>,
    pub forward_to: ForwardTarget,
    pub subreaper: bool,
    pub pdeathsig: Option<Signal>,
    pub warn_on_reap: bool,
    pub success_codes: BTreeSet<u8>,
    pub rewrites: Rewrites,
    pub pause: bool,
    pub grace: Duration,
    pub drain_signal: Signal,
    pub kill_after: Option<Duration>,
    /// 0 errors, 1 warnings (default), 2 info, 3 debug, 4 trace.
    pub verbosity: u8,
    /// `RINIT_LOG`: an `env_logger` filter that overrides `verbosity`.
    pub log_filter: Option<String>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(Box<Config>),
    Help(String),
    Version(String),
    License,
}

/// A malformed command line or variable: the message names the culprit.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    /// What rinit calls itself, by the name it was run as.
    pub program: &'static str,
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
}

struct Spec {
    opt: Opt,
    shorts: &'static [u8],
    long: &'static str,
    value: Option<&'static str>,
    env: Option<&'static str>,
    help: &'static str,
}

const SPECS: &[Spec] = &[
    Spec {
        opt: Opt::Group,
        shorts: b"g",
        long: "group",
        value: None,
        env: None,
        help: "forward signals to the child's process group (default; same as --forward-to group)",
    },
    Spec {
        opt: Opt::SingleChild,
        shorts: b"c",
        long: "single-child",
        value: None,
        env: None,
        help: "forward signals to the child alone (same as --forward-to child)",
    },
    Spec {
        opt: Opt::ForwardTo,
        shorts: b"",
        long: "forward-to",
        value: Some("TARGET"),
        env: Some("RINIT_FORWARD_TO"),
        help: "child, group or all: who receives forwarded signals; all reaches every descendant",
    },
    Spec {
        opt: Opt::Grace,
        shorts: b"",
        long: "grace",
        value: Some("DURATION"),
        env: Some("RINIT_GRACE"),
        help: "after the child exits, how long the others get to exit before SIGKILL [5s]",
    },
    Spec {
        opt: Opt::DrainSignal,
        shorts: b"",
        long: "drain-signal",
        value: Some("SIG"),
        env: Some("RINIT_DRAIN_SIGNAL"),
        help: "signal sent to the others when the child exits [SIGTERM]",
    },
    Spec {
        opt: Opt::KillAfter,
        shorts: b"",
        long: "kill-after",
        value: Some("DURATION"),
        env: Some("RINIT_KILL_AFTER"),
        help: "SIGKILL the target if the child outlives a forwarded SIGTERM/SIGINT by this long [off]",
    },
    Spec {
        opt: Opt::Rewrite,
        shorts: b"r",
        long: "rewrite",
        value: Some("FROM:TO"),
        env: Some("RINIT_REWRITE"),
        help: "forward signal FROM as TO; TO 0 drops it (repeatable)",
    },
    Spec {
        opt: Opt::RemapExit,
        shorts: b"e",
        long: "remap-exit",
        value: Some("CODE"),
        env: Some("RINIT_REMAP_EXIT"),
        help: "exit 0 when the child's exit code (or 128+N) is CODE (repeatable)",
    },
    Spec {
        opt: Opt::Subreaper,
        shorts: b"s",
        long: "subreaper",
        value: None,
        env: Some("RINIT_SUBREAPER"),
        help: "register as child subreaper (automatic when not PID 1)",
    },
    Spec {
        opt: Opt::Pdeathsig,
        shorts: b"p",
        long: "pdeathsig",
        value: Some("SIG"),
        env: Some("RINIT_PDEATHSIG"),
        help: "signal rinit receives (and forwards) when its parent dies",
    },
    Spec {
        opt: Opt::WarnOnReap,
        shorts: b"w",
        long: "warn-on-reap",
        value: None,
        env: Some("RINIT_WARN_ON_REAP"),
        help: "warn about every reaped process that is not the child",
    },
    Spec {
        opt: Opt::Pause,
        shorts: b"P",
        long: "pause",
        value: None,
        env: Some("RINIT_PAUSE"),
        help: "run no command: reap until SIGTERM or SIGINT, then exit 0",
    },
    Spec {
        opt: Opt::Verbose,
        shorts: b"v",
        long: "verbose",
        value: None,
        env: None,
        help: "log more to stderr: -v info, -vv debug, -vvv trace",
    },
    Spec {
        opt: Opt::Help,
        shorts: b"h",
        long: "help",
        value: None,
        env: None,
        help: "print this help",
    },
    Spec {
        opt: Opt::Version,
        shorts: b"V",
        long: "version",
        value: None,
        env: None,
        help: "print the version",
    },
    Spec {
        opt: Opt::License,
        shorts: b"lL",
        long: "license",
        value: None,
        env: None,
        help: "print the licence",
    },
];

/// One layer of settings: the command line, or one family of variables.
#[derive(Default)]
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
    verbosity: Option<u8>,
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
            verbosity: self.verbosity.or(weaker.verbosity),
        }
    }

    /// Records one value-taking option or variable. List options append, so
    /// a repeated flag accumulates.
    fn set_value(&mut self, opt: Opt, text: &str) -> Result<(), String> {
        match opt {
            Opt::ForwardTo => self.forward_to = Some(ForwardTarget::parse(text)?),
            Opt::Grace => self.grace = Some(parse_duration(text)?),
            Opt::KillAfter => self.kill_after = Some(parse_duration(text)?),
            Opt::DrainSignal => self.drain_signal = Some(parse_signal_but_sigchld(text)?),
            Opt::Pdeathsig => self.pdeathsig = Some(parse_signal_but_sigchld(text)?),
            Opt::Rewrite => self
                .rewrites
                .get_or_insert_with(Vec::new)
                .push(Rewrites::parse_rule(text)?),
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
            _ => unreachable!("{opt:?} is not a plain flag"),
        }
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
        message,
        exit_code: personality.usage_exit_code(),
    };

    let (cli, command, early) = parse_args(argv.get(1..).unwrap_or(&[])).map_err(fail)?;
    match early {
        Some(Opt::Help) => return Ok(Invocation::Help(help_text(personality))),
        Some(Opt::Version) => return Ok(Invocation::Version(personality.version_line())),
        Some(Opt::License) => return Ok(Invocation::License),
        _ => {}
    }
    let rinit_env = rinit_variables(env).map_err(fail)?;
    let peer_env = peer_variables(env).map_err(fail)?;
    let merged = cli.over(rinit_env).over(peer_env);

    let pause = merged.pause.unwrap_or(false);
    if pause && !command.is_empty() {
        return Err(fail(
            "--pause runs no command, but one was given".to_owned(),
        ));
    }
    if !pause && command.is_empty() {
        return Err(fail(format!(
            "no command given\nusage: {} [OPTIONS] [--] COMMAND [ARGS...]  (try --help)",
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
        kill_after: merged.kill_after,
        verbosity: merged.verbosity.unwrap_or(1),
        log_filter: log_filter(env).map_err(fail)?,
    })))
}

/// Walks the options up to `--` or the first non-option word. Returns the
/// command-line layer, the command, and help/version/licence if asked for.
fn parse_args(args: &[OsString]) -> Result<(Layer, Vec<OsString>, Option<Opt>), String> {
    let mut layer = Layer::default();
    let mut verbose = 0u8;
    let mut early = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_bytes();
        i += 1;
        if arg == b"--" {
            break;
        }
        // Each option in this word, with its value if the word itself holds it.
        let mut found: Vec<(&Spec, Option<&[u8]>)> = Vec::new();
        if let Some(long) = arg.strip_prefix(b"--") {
            let (name, value) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (&long[..eq], Some(&long[eq + 1..])),
                None => (long, None),
            };
            let spec = SPECS
                .iter()
                .find(|s| s.long.as_bytes() == name)
                .ok_or_else(|| format!("unknown option '--{}'", String::from_utf8_lossy(name)))?;
            if spec.value.is_none() && value.is_some() {
                return Err(format!("option '--{}' takes no value", spec.long));
            }
            found.push((spec, value));
        } else if arg.len() > 1 && arg[0] == b'-' {
            // A cluster such as -vvs or -sp15: flags, then at most one option
            // taking a value, which is the rest of the word or the next word.
            for (at, &letter) in arg.iter().enumerate().skip(1) {
                let spec = find_short(letter)?;
                if spec.value.is_some() {
                    let rest = &arg[at + 1..];
                    found.push((spec, (!rest.is_empty()).then_some(rest)));
                    break;
                }
                found.push((spec, None));
            }
        } else {
            i -= 1;
            break;
        }
        for (spec, inline_value) in found {
            let name = option_name(spec);
            match spec.opt {
                Opt::Help | Opt::Version | Opt::License => {
                    early.get_or_insert(spec.opt);
                }
                Opt::Verbose => verbose = verbose.saturating_add(1),
                opt if spec.value.is_some() => {
                    let value = match inline_value {
                        Some(v) => v,
                        None => {
                            let v = args
                                .get(i)
                                .ok_or_else(|| format!("option '{name}' needs a value"))?;
                            i += 1;
                            v.as_bytes()
                        }
                    };
                    let text = std::str::from_utf8(value)
                        .map_err(|_| format!("{name}: the value is not valid UTF-8"))?;
                    layer
                        .set_value(opt, text)
                        .map_err(|e| format!("{name}: {e}"))?;
                }
                opt => layer.set_flag(opt, true),
            }
        }
    }
    if verbose > 0 {
        // Trace (4) is the most there is; more -v flags change nothing.
        layer.verbosity = Some(verbose.saturating_add(1).min(4));
    }
    Ok((layer, args[i..].to_vec(), early))
}

fn find_short(letter: u8) -> Result<&'static Spec, String> {
    SPECS
        .iter()
        .find(|s| s.shorts.contains(&letter))
        .ok_or_else(|| format!("unknown option '-{}'", char::from(letter).escape_default()))
}

fn option_name(spec: &Spec) -> String {
    match spec.shorts.first() {
        Some(&s) => format!("-{}/--{}", s as char, spec.long),
        None => format!("--{}", spec.long),
    }
}

fn rinit_variables(env: &dyn Fn(&str) -> Option<OsString>) -> Result<Layer, String> {
    let mut layer = Layer::default();
    for spec in SPECS {
        let Some(var) = spec.env else { continue };
        let Some(raw) = env(var) else { continue };
        let text = raw
            .to_str()
            .ok_or_else(|| format!("{var}: the value is not valid UTF-8"))?;
        if text.is_empty() {
            return Err(format!("{var} is set but empty; unset it or give a value"));
        }
        let result = match spec.value {
            None => parse_bool(text).map(|on| layer.set_flag(spec.opt, on)),
            // Lists come as one variable: commas or white space separate items.
            Some(_) if matches!(spec.opt, Opt::Rewrite | Opt::RemapExit) => {
                let mut items = text
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|item| !item.is_empty())
                    .peekable();
                if items.peek().is_none() {
                    return Err(format!("{var} holds separators but no item"));
                }
                items.try_for_each(|item| layer.set_value(spec.opt, item))
            }
            Some(_) => layer.set_value(spec.opt, text),
        };
        result.map_err(|e| format!("{var}: {e}"))?;
    }
    if let Some(raw) = env("RINIT_VERBOSITY") {
        layer.verbosity = Some(parse_verbosity(&raw).map_err(|e| format!("RINIT_VERBOSITY: {e}"))?);
    }
    Ok(layer)
}

/// The peers' variables, with the meaning the peers give them.
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
        layer.verbosity = Some(parse_verbosity(&raw).map_err(|e| format!("TINI_VERBOSITY: {e}"))?);
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
/// the variable rather than a warning from the logger.
fn log_filter(env: &dyn Fn(&str) -> Option<OsString>) -> Result<Option<String>, String> {
    let Some(raw) = env("RINIT_LOG") else {
        return Ok(None);
    };
    let text = raw
        .to_str()
        .ok_or("RINIT_LOG: the value is not valid UTF-8")?;
    if text.is_empty() {
        return Err("RINIT_LOG is set but empty; unset it or give a value".to_owned());
    }
    env_filter::Builder::new()
        .try_parse(text)
        .map_err(|e| format!("RINIT_LOG: {e}"))?;
    Ok(Some(text.to_owned()))
}

fn parse_verbosity(raw: &std::ffi::OsStr) -> Result<u8, String> {
    raw.to_str()
        .and_then(|t| t.parse::<u8>().ok())
        .map(|n| n.min(4))
        .ok_or_else(|| format!("'{}' is not a verbosity level (0-4)", raw.to_string_lossy()))
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

pub fn help_text(personality: Personality) -> String {
    let mut text = format!(
        "{} {}: a minimal init for containers (rinit)\n\n\
         usage: {} [OPTIONS] [--] COMMAND [ARGS...]\n       {} --pause [OPTIONS]\n\n\
         Runs COMMAND as its only child, forwards signals to it, reaps every zombie,\n\
         and when COMMAND exits, stops the processes left over and exits with\n\
         COMMAND's status (128+N if signal N killed it).\n\nOptions:\n",
        personality.name(),
        env!("CARGO_PKG_VERSION"),
        personality.name(),
        personality.name(),
    );
    for spec in SPECS {
        let mut flags: Vec<String> = spec
            .shorts
            .iter()
            .map(|&s| format!("-{}", s as char))
            .collect();
        flags.push(format!("--{}", spec.long));
        let mut left = flags.join(", ");
        if let Some(value) = spec.value {
            left = format!("{left} {value}");
        }
        text.push_str(&format!("  {left:<28} {}", spec.help));
        if let Some(var) = spec.env {
            text.push_str(&format!(" (env {var})"));
        }
        text.push('\n');
    }
    text.push_str(
        "\nDURATION: 500ms, 5s, 2m, or a number of seconds. SIG: 15, TERM, SIGTERM, RTMIN+3.\n\
         Booleans in variables: 1/0, true/false, yes/no. RINIT_LOG takes an env_logger filter.\n\
         Exit codes: the child's; 127 command not found; 126 not executable;\n\
         2 bad usage; 1 any other failure of rinit itself.\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
        assert_eq!(config.verbosity, 1);
        assert!(!config.subreaper && !config.pause && !config.warn_on_reap);
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
        assert_eq!(config.pdeathsig, Some(Signal::HUP));
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
        assert_eq!(
            parse_plain(&["rinit", "-V"]),
            Invocation::Version(format!("rinit {}", env!("CARGO_PKG_VERSION")))
        );
        assert!(
            matches!(parse_plain(&["docker-init", "--version"]), Invocation::Version(v) if v.starts_with("tini version "))
        );
        assert_eq!(parse_plain(&["rinit", "-L"]), Invocation::License);
        assert_eq!(parse_plain(&["rinit", "-l"]), Invocation::License);
        assert!(help_text(Personality::Rinit).contains("RINIT_GRACE"));
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
        ];
        let config = run_with(&["rinit", "x"], &vars).unwrap();
        assert_eq!(config.grace, Duration::from_secs(2));
        assert_eq!(config.forward_to, ForwardTarget::All);
        assert!(config.subreaper && config.warn_on_reap);
        assert_eq!(config.success_codes, [1, 143].into_iter().collect());
        assert_eq!(
            config.rewrites.apply(Signal::TERM),
            Signal::parse("QUIT").ok()
        );
        assert_eq!(config.rewrites.apply(Signal::HUP), None);
        assert_eq!(config.kill_after, Some(Duration::from_millis(500)));
        assert_eq!(config.drain_signal, Signal::INT);
        assert_eq!(config.pdeathsig, Some(Signal::KILL));
        assert_eq!(config.verbosity, 3);

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
        assert_eq!(config.rewrites.apply(Signal::HUP), Some(Signal::HUP));
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
            ("TINI_VERBOSITY", "x"),
        ] {
            let e = error(&["rinit", "x"], &[(var, value)]);
            assert!(e.message.contains(var), "{var}={value}: {}", e.message);
            assert_eq!(e.exit_code, 2);
        }
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
        let tini = run(&["/sbin/docker-init", "--", "x"]);
        assert_eq!(tini.forward_to, ForwardTarget::Child);
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
        assert_eq!(
            error(&["/sbin/docker-init", "--bogus"], &[]).program,
            "tini"
        );
        assert_eq!(error(&["rinit", "--bogus"], &[]).program, "rinit");
        assert_eq!(error(&["catatonit"], &[]).exit_code, 1);
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
        for bad in ["", "garbage===", "rinit=loud"] {
            let e = error(&["rinit", "x"], &[("RINIT_LOG", bad)]);
            assert!(e.message.contains("RINIT_LOG"), "{bad:?}: {}", e.message);
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
