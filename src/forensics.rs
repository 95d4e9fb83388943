//! Saying why things died: the crash line, OOM kills, the SIGKILL list at
//! the end of the grace period, and the Kubernetes termination message.
//!
//! The person on call reads three places: the container's log, its exit
//! code, and in Kubernetes the termination message. rinit sees every death
//! in the container, so at its default level it says, in one line each:
//! - the main child died of a signal nobody asked for through rinit
//!   (`'app' (pid 7) was killed by SIGSEGV (core dumped) after 3.2s`);
//! - a process was killed by the kernel's OOM killer: the memory cgroup's
//!   `oom_kill` counter, read before the child starts and again after a
//!   process that died of SIGKILL was reaped, has risen, and rinit did not
//!   send a SIGKILL that explains the death itself; or, as it happens, the
//!   counter rose and nobody else told it (a worker its own parent reaped:
//!   "a process", see `watch`);
//! - the process limit refused forks, with who holds the slots;
//! - the main child outlived `--kill-after` and rinit SIGKILLed it;
//! - processes outlived the grace period and rinit SIGKILLed them.
//!
//! An ordinary exit, or a death by a signal rinit forwarded, says nothing.
//! The decisions and the wording are pure functions below; `Forensics`
//! holds what they need between events, reads counters through `cgroups`
//! when `watch` says to look, and goes through `sys` for process names and
//! the termination message.

use crate::cgroups;
use crate::exit_status::Termination;
use crate::procs;
use crate::signals::{Signal, SignalSet};
use crate::sys;
use crate::watch;
use log::{debug, warn};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The default place of the Kubernetes termination message.
pub(crate) const TERMINATION_LOG: &str = "/dev/termination-log";

/// Kubernetes shows at most this many bytes of the termination message.
const TERMINATION_LOG_MAX: usize = 4096;

/// How many processes the SIGKILL line names before it only counts.
const NAMED_VICTIMS: usize = 5;

/// How many parents of zombies the fork-refusal line names.
const NAMED_HOLDERS: usize = 3;

/// How many lines about other processes the termination message keeps
/// word for word; the rest are counted (bounded memory for the container's
/// whole life, and room for the main child's line in 4,096 bytes).
const KEPT_NOTES: usize = 8;

/// A process that died, as rinit knows it when it reaps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Death {
    pub(crate) pid: i32,
    /// `/proc/PID/comm` read before reaping, or the command's file name.
    pub(crate) name: String,
    pub(crate) termination: Termination,
}

/// Whether the OOM killer explains a death by SIGKILL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Oom {
    No,
    /// The counter rose by at least the number of processes that died of
    /// SIGKILL: each of them was OOM-killed.
    Yes {
        limit: Option<u64>,
    },
    /// The counter rose by `kills`, less than the `of` processes that died
    /// of SIGKILL: rinit cannot tell which.
    Maybe {
        kills: u64,
        of: usize,
        limit: Option<u64>,
    },
}

/// The signals whose default action dumps core (signal(7)): for them, "no
/// core dump" is worth saying (core dumps are off, or failed).
fn dumps_core(signal: Signal) -> bool {
    use libc::{
        SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT, SIGSEGV, SIGSYS, SIGTRAP, SIGXCPU, SIGXFSZ,
    };
    let core = [
        SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS,
    ];
    core.contains(&signal.number())
}

/// `3.2s`, `45ms`, `2m05s`, `3h07m`: short, and precise where it matters.
fn format_duration(d: Duration) -> String {
    // u64 milliseconds last 584 million years; u128 formatting costs 1 KB.
    let ms = d.as_millis() as u64;
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{}.{}s", ms / 1000, ms % 1000 / 100),
        60_000..3_600_000 => format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000),
        _ => format!("{}h{:02}m", ms / 3_600_000, ms % 3_600_000 / 60_000),
    }
}

/// `64 MiB`, `1.5 GiB`, `1000 bytes`.
fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut unit = 0;
    while unit + 1 < UNITS.len() && bytes >= 1024u64.pow(unit as u32 + 2) {
        unit += 1;
    }
    let size = 1024u64.pow(unit as u32 + 1);
    let (whole, tenth) = (bytes / size, bytes % size * 10 / size);
    if tenth == 0 {
        format!("{whole} {}", UNITS[unit])
    } else {
        format!("{whole}.{tenth} {}", UNITS[unit])
    }
}

fn limit_text(limit: Option<u64>) -> String {
    match limit {
        Some(bytes) => format!("memory limit {}", format_bytes(bytes)),
        None => "no memory limit".to_owned(),
    }
}

/// A process name as it may appear in a log line: control characters (a
/// process chooses its own name) are escaped so it cannot split the line.
fn printable_name(name: &str) -> String {
    crate::text::printable(name.as_bytes())
}

/// The one line that says how a process ended: `'app' (pid 7) was killed by
/// SIGSEGV (core dumped) after 3.2s`. `after` is the process's age when
/// rinit knows it (the main child's).
fn death_line(death: &Death, oom: Oom, after: Option<Duration>) -> String {
    let mut line = format!("'{}' (pid {})", printable_name(&death.name), death.pid);
    match (death.termination, oom) {
        (Termination::Exited(code), _) => line.push_str(&format!(" exited with status {code}")),
        (Termination::Killed { .. }, Oom::Yes { limit }) => line.push_str(&format!(
            " was killed by the OOM killer (SIGKILL, {})",
            limit_text(limit)
        )),
        (Termination::Killed { signal, .. }, Oom::Maybe { kills, of, limit }) => {
            line.push_str(&format!(
                " was killed by {}, maybe by the OOM killer ({kills} OOM kill{} for {of} processes killed by SIGKILL, {})",
                signal,
                if kills == 1 { "" } else { "s" },
                limit_text(limit)
            ))
        }
        (
            Termination::Killed {
                signal,
                core_dumped,
            },
            Oom::No,
        ) => {
            line.push_str(&format!(" was killed by {signal}"));
            if core_dumped {
                line.push_str(" (core dumped)");
            } else if dumps_core(signal) {
                line.push_str(" (no core dump)");
            }
        }
    }
    if let Some(after) = after {
        line.push_str(&format!(" after {}", format_duration(after)));
    }
    line
}

/// The line that says how the main child ended, `after` its start.
fn main_end_line(
    death: &Death,
    oom: Oom,
    unexplained: Option<UnreapedOom>,
    kill_after: Option<Duration>,
    after: Duration,
) -> String {
    let mut line = match kill_after {
        Some(delay) => kill_after_line(death, delay, Some(after)),
        None => death_line(death, oom, Some(after)),
    };
    if let Some((kills, limit)) = unexplained {
        line.push_str(&unreaped_oom_text(kills, limit));
    }
    line
}

/// What the main child's line adds when the OOM killer killed processes
/// rinit never reaped (a worker whose own parent reaped it).
fn unreaped_oom_text(kills: u64, limit: Option<u64>) -> String {
    format!(
        "; the OOM killer killed {kills} other process{} in the container meanwhile ({})",
        if kills == 1 { "" } else { "es" },
        limit_text(limit)
    )
}

/// The main child outlived `--kill-after` and died of the SIGKILL rinit
/// sent: a stop that took too long, not a crash and not an OOM kill.
fn kill_after_line(death: &Death, delay: Duration, after: Option<Duration>) -> String {
    let mut line = format!(
        "'{}' (pid {}) did not exit within --kill-after {}: sent SIGKILL",
        printable_name(&death.name),
        death.pid,
        format_duration(delay)
    );
    if let Some(after) = after {
        line.push_str(&format!(" after {}", format_duration(after)));
    }
    line
}

/// Who rinit itself has sent SIGKILL to. A death by SIGKILL there is
/// rinit's doing and never an OOM kill. Two flags whatever happens: bounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SentKill {
    main: bool,
    others: bool,
}

/// Where a SIGKILL of rinit's went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KillTarget {
    /// The main child alone (`--forward-to child`).
    MainChild,
    /// The main child's process group.
    Group,
    /// Every process rinit can reach (`--forward-to all`, the drain).
    Everyone,
}

impl SentKill {
    fn record(&mut self, target: KillTarget) {
        self.main = true;
        // Which group a process was in is not known when it is reaped, so
        // after a SIGKILL to a group any later death by SIGKILL may be
        // rinit's: an OOM kill then goes unnamed (it is still counted at the
        // main child's end), which beats naming rinit's kill as one.
        if target != KillTarget::MainChild {
            self.others = true;
        }
    }

    /// Whether rinit's own SIGKILL may explain a death by SIGKILL.
    fn explains(&self, is_main: bool) -> bool {
        if is_main { self.main } else { self.others }
    }
}

fn is_sigkill(death: &Death) -> bool {
    matches!(death.termination, Termination::Killed { signal, .. } if signal == Signal::KILL)
}

/// Whether the OOM killer may explain `death`: it died of SIGKILL, and not
/// of one rinit may have sent itself.
fn oom_candidate(death: &Death, is_main: bool, sent: SentKill) -> bool {
    is_sigkill(death) && !sent.explains(is_main)
}

/// Whether the main child's end deserves the crash line at the default
/// level: a death by a signal that rinit did not forward on request, unless
/// `-e` made its code a success. An OOM kill always does.
fn main_end_is_news(
    termination: Termination,
    forwarded: SignalSet,
    remapped_to_success: bool,
    oom: Oom,
) -> bool {
    match termination {
        Termination::Exited(_) => false,
        _ if oom != Oom::No => true,
        _ if remapped_to_success => false,
        Termination::Killed { signal, .. } => !forwarded.contains(signal),
    }
}

/// The `NAMED_VICTIMS` lowest pids, in order, without sorting the whole
/// list (a sort would link several KB of code for a list of five).
fn lowest_pids(victims: &[(i32, String)]) -> Vec<&(i32, String)> {
    let mut first: Vec<&(i32, String)> = Vec::with_capacity(NAMED_VICTIMS + 1);
    for victim in victims {
        let at = first.partition_point(|(pid, _)| *pid < victim.0);
        if at < NAMED_VICTIMS {
            first.insert(at, victim);
            first.truncate(NAMED_VICTIMS);
        }
    }
    first
}

/// The SIGKILL line's list: the first few by pid, then a count of the rest.
fn victims_text(victims: &[(i32, String)]) -> String {
    let mut text = String::new();
    for (pid, name) in lowest_pids(victims) {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(&format!("'{}' (pid {pid})", printable_name(name)));
    }
    if victims.len() > NAMED_VICTIMS {
        text.push_str(&format!(", and {} more", victims.len() - NAMED_VICTIMS));
    }
    text
}

/// The SIGKILL line's `pids` field: the pids the text names, no more (a
/// line of thousands would be split by Docker and CRI at 16 KiB); `count`
/// says how many there were.
fn victim_pids(victims: &[(i32, String)]) -> String {
    let pids: Vec<String> = lowest_pids(victims)
        .iter()
        .map(|(pid, _)| pid.to_string())
        .collect();
    pids.join(",")
}

/// `N processes outlived the 5s grace period: sending SIGKILL to ...`.
fn kill_line(victims: &[(i32, String)], grace: Duration) -> String {
    let grace = format_duration(grace);
    match victims.len() {
        0 => format!("processes outlived the {grace} grace period: sending SIGKILL"),
        1 => format!(
            "1 process outlived the {grace} grace period: sending SIGKILL to {}",
            victims_text(victims)
        ),
        n => format!(
            "{n} processes outlived the {grace} grace period: sending SIGKILL to {}",
            victims_text(victims)
        ),
    }
}

/// The live line about `kills` OOM kills of processes rinit did not reap
/// (or not yet): `a process was killed by the OOM killer (SIGKILL, memory
/// limit 32 MiB)`. Who it was cannot be known without listing /proc, which
/// rinit does not do while memory is short (see `watch`).
fn oom_line(kills: u64, limit: Option<u64>) -> String {
    let how = format!("the OOM killer (SIGKILL, {})", limit_text(limit));
    match kills {
        1 => format!("a process was killed by {how}"),
        n => format!("{n} processes were killed by {how}"),
    }
}

/// The line about forks the process limit refused, with who holds the
/// slots when zombies do (listed once a burst): `the process limit refused
/// 3 forks (20 of 20 pids in use); 15 are zombies nobody reaped: 'agent'
/// (pid 6) has 15 unreaped children`.
fn refusal_line(
    refused: u64,
    current: Option<u64>,
    limit: Option<u64>,
    holders: &[procs::Holder],
) -> String {
    let mut line = format!(
        "the process limit refused {refused} fork{}",
        if refused == 1 { "" } else { "s" }
    );
    match (current, limit) {
        (Some(current), Some(limit)) => {
            line.push_str(&format!(" ({current} of {limit} pids in use)"))
        }
        (Some(current), None) => line.push_str(&format!(" ({current} pids in use)")),
        (None, Some(limit)) => line.push_str(&format!(" (limit {limit} pids)")),
        (None, None) => {}
    }
    let zombies: u64 = holders.iter().map(|h| h.zombies).sum();
    if zombies > 0 {
        let list: Vec<String> = holders
            .iter()
            .map(|h| {
                format!(
                    "'{}' (pid {}) has {} unreaped child{}",
                    printable_name(&h.name),
                    h.pid,
                    h.zombies,
                    if h.zombies == 1 { "" } else { "ren" }
                )
            })
            .collect();
        line.push_str(&format!(
            "; {zombies} {} zombie{} nobody reaped: {}",
            if zombies == 1 { "is a" } else { "are" },
            if zombies == 1 { "" } else { "s" },
            list.join(", ")
        ));
    }
    line
}

/// Lines about other processes for the termination message: the first
/// `KEPT_NOTES` word for word, the rest counted; and the last fork-refusal
/// line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Notes {
    /// A line, whether it says "maybe", and how many processes it tells of.
    kept: Vec<(String, bool, u64)>,
    more_oom: u64,
    more_maybe: u64,
    /// The last fork-refusal line: one, however many there were.
    refusals: Option<String>,
}

impl Notes {
    fn push(&mut self, line: String, maybe: bool) {
        self.push_counted(line, maybe, 1);
    }

    fn push_counted(&mut self, line: String, maybe: bool, processes: u64) {
        if self.kept.len() < KEPT_NOTES {
            self.kept.push((line, maybe, processes));
        } else if maybe {
            self.more_maybe += processes;
        } else {
            self.more_oom += processes;
        }
    }
}

/// `and 42 more processes killed by the OOM killer`.
fn more_text(oom: u64, maybe: u64) -> String {
    let plural = |n: u64| if n == 1 { "process" } else { "processes" };
    let mut text = String::new();
    if oom > 0 {
        text.push_str(&format!(
            "and {oom} more {} killed by the OOM killer\n",
            plural(oom)
        ));
    }
    if maybe > 0 {
        text.push_str(&format!(
            "and {maybe} more {} killed by SIGKILL, maybe by the OOM killer\n",
            plural(maybe)
        ));
    }
    text
}

/// The longest `more_text` can be: two lines with 20-digit counts.
const MORE_TEXT_MAX: usize = 160;

/// The termination message within Kubernetes' 4,096 bytes: the main
/// child's line first (what `kubectl describe` must show), then whole lines
/// about other processes while they fit, then a count of the rest.
fn termination_message(main: &str, notes: &Notes) -> String {
    let mut text = String::with_capacity(TERMINATION_LOG_MAX);
    text.push_str(main);
    text.push('\n');
    if text.len() > TERMINATION_LOG_MAX - MORE_TEXT_MAX {
        // Only a start failure's line, which holds the command, is so long;
        // there are no other lines then.
        cut_to_fit(&mut text);
        return text;
    }
    let (mut oom, mut maybe) = (notes.more_oom, notes.more_maybe);
    let room = TERMINATION_LOG_MAX - MORE_TEXT_MAX;
    for (line, is_maybe, processes) in &notes.kept {
        if text.len() + line.len() < room {
            text.push_str(line);
            text.push('\n');
        } else if *is_maybe {
            maybe += processes;
        } else {
            oom += processes;
        }
    }
    if let Some(line) = notes
        .refusals
        .as_ref()
        .filter(|l| text.len() + l.len() < room)
    {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&more_text(oom, maybe));
    cut_to_fit(&mut text);
    text
}

/// Cuts `text` to `TERMINATION_LOG_MAX` bytes at a character boundary.
fn cut_to_fit(text: &mut String) {
    if text.len() > TERMINATION_LOG_MAX {
        let mut end = TERMINATION_LOG_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// What becomes of the termination log once it is open.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Write,
    /// The app wrote its own message: it is kept, silently.
    NotEmpty,
    /// Not a file to write a message into: why, for the one warning.
    Refuse(String),
}

/// The file systems whose files are the kernel's settings and state (by
/// `statfs` magic): each of their files looks like an empty regular file,
/// and writing one changes the system (`/proc/sys/kernel/hostname`).
fn kernel_file_system(fs_type: i64) -> Option<&'static str> {
    Some(match fs_type {
        0x9fa0 => "procfs",
        0x6265_6572 => "sysfs",
        0x0027_e0eb | 0x6367_7270 => "cgroupfs",
        0x6462_6720 => "debugfs",
        0x7472_6163 => "tracefs",
        0x7363_6673 => "securityfs",
        0x6265_6570 => "configfs",
        0xcafe_4a11 => "bpffs",
        0xde5e_81e4 => "efivarfs",
        _ => return None,
    })
}

/// Whether to write into the opened termination log: a regular file, on a
/// file system that is not the kernel's, and still empty.
fn judge_message_file(kind: sys::FileKind, len: u64, fs_type: i64) -> Verdict {
    if let Some(fs) = kernel_file_system(fs_type) {
        return Verdict::Refuse(format!(
            "it is on {fs}, whose files are the kernel's settings, not a message file"
        ));
    }
    if kind != sys::FileKind::Regular {
        return Verdict::Refuse(format!("it is a {}, not a regular file", kind.name()));
    }
    if len != 0 {
        return Verdict::NotEmpty;
    }
    Verdict::Write
}

/// An `open` error that means rinit refuses the file, rather than that it
/// is missing or not writable (which stays quiet: most containers have no
/// `/dev/termination-log`).
fn open_refusal(errno: Option<i32>) -> Option<&'static str> {
    match errno? {
        libc::ELOOP => Some("it is a symbolic link, which rinit does not follow there"),
        // O_NONBLOCK: a FIFO nobody reads, or a socket.
        libc::ENXIO => Some("it is a FIFO or a socket, not a regular file"),
        libc::EISDIR => Some("it is a directory, not a regular file"),
        _ => None,
    }
}

// ---- Attribution ------------------------------------------------------------

/// The `oom_kill` counter as last accounted for. A rise is attributed to
/// the processes reaped with SIGKILL; what is not attributed stays for the
/// next ones, since the counter rises when the kernel kills, which can be
/// before rinit reaps the victim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OomCount {
    accounted: u64,
}

impl OomCount {
    fn new(count: u64) -> OomCount {
        OomCount { accounted: count }
    }

    /// The counter reads `count` after `sigkilled` processes that died of
    /// SIGKILL were reaped: how many of them the OOM killer explains.
    fn attribute(&mut self, count: u64, sigkilled: usize) -> Attribution {
        if count < self.accounted {
            // Another cgroup's counter, or a reset: start again from here.
            self.accounted = count;
            return Attribution::None;
        }
        let rise = count - self.accounted;
        if rise == 0 || sigkilled == 0 {
            return Attribution::None;
        }
        let of = sigkilled as u64;
        if rise >= of {
            self.accounted += of;
            Attribution::All
        } else {
            self.accounted += rise;
            Attribution::Some(rise)
        }
    }

    /// The rise not attributed to anyone, now accounted for.
    fn take_rest(&mut self, count: u64) -> u64 {
        let rest = count.saturating_sub(self.accounted);
        self.accounted = self.accounted.max(count);
        rest
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Attribution {
    None,
    All,
    /// This many of them, rinit cannot tell which.
    Some(u64),
}

/// rinit's memory cgroup, and its OOM kill counter as accounted for.
#[derive(Debug)]
struct MemoryCgroup {
    cgroup: cgroups::Memory,
    count: OomCount,
    /// The counter at the last look: a kill counted since may have a child
    /// of rinit's for its victim, not reaped yet, which the reaper will
    /// name; it is told at the next look if nobody did.
    seen: u64,
}

/// rinit's pids cgroup, and the refusals already told.
#[derive(Debug)]
struct PidsCgroup {
    cgroup: cgroups::Pids,
    told: u64,
}

// ---- What the supervisor calls ---------------------------------------------

/// OOM kills of processes rinit did not reap, and the memory limit.
type UnreapedOom = (u64, Option<u64>);

/// rinit's memory and pids cgroups with their counters as they read
/// before the main child was started: only a rise from there is news. A
/// container's cgroup may be reused or shared (a pod's, a `docker run
/// --cgroup-parent`), so even as PID 1 rinit cannot assume it starts at 0.
#[derive(Debug)]
pub(crate) struct OomBaseline {
    memory: Option<MemoryCgroup>,
    pids: Option<PidsCgroup>,
    live: watch::Live,
}

impl OomBaseline {
    /// Reads the counters now and adds the cgroups' event sources to
    /// `signals` (see `watch`); to be called before the child can run, so
    /// that none of its OOM kills is taken for history, nor missed.
    pub(crate) fn take(signals: &mut sys::SignalReader) -> OomBaseline {
        let (memory, pids) = cgroups::find();
        let live = watch::open(memory.as_ref(), pids.as_ref(), signals);
        OomBaseline {
            memory: memory.map(|cgroup| MemoryCgroup {
                count: OomCount::new(cgroup.at_start),
                seen: cgroup.at_start,
                cgroup,
            }),
            pids: pids.map(|cgroup| PidsCgroup {
                told: cgroup.at_start,
                cgroup,
            }),
            live,
        }
    }
}

/// How the main child ended, as `main_ended` will tell it.
#[derive(Clone, Debug)]
struct MainEnd {
    death: Death,
    oom: Oom,
    /// OOM kills of processes rinit did not reap (grandchildren, say), and
    /// the memory limit, if there were any.
    unexplained: Option<UnreapedOom>,
    /// It died of the SIGKILL `--kill-after` sent after this delay.
    kill_after: Option<Duration>,
}

/// What a reaping pass brought, for attributing its deaths by SIGKILL.
#[derive(Clone, Copy, Debug)]
struct Pass {
    main_ended: bool,
    /// The main child died of a SIGKILL rinit did not send.
    main_is_candidate: bool,
    /// The main child ended other than with exit 0.
    main_failed: bool,
    /// Other processes that died of a SIGKILL rinit did not send.
    others_killed: usize,
    /// A burst of live events was cut short and is told now.
    owed: bool,
}

/// What the supervisor tells, and what it keeps between events.
#[derive(Debug)]
pub(crate) struct Forensics {
    started: Instant,
    main: Option<i32>,
    /// The command's file name: the main child's name if /proc cannot say.
    command_name: String,
    /// Signals rinit forwarded on request: a death by one of them is what
    /// the user asked for.
    forwarded: SignalSet,
    memory: Option<MemoryCgroup>,
    pids: Option<PidsCgroup>,
    /// When to look at the counters after a notification.
    burst: watch::Burst,
    /// An OOM kill was told as "a process" in the burst still open: it may
    /// yet turn out to be the main child's (its SIGCHLD came after the look).
    /// The main child ends once, so whether there was one is all that counts.
    told_unnamed: bool,
    /// An OOM kill was told in this burst: the memory is short, and /proc
    /// is not listed for the fork-refusal line.
    oom_in_burst: bool,
    /// Where rinit sent SIGKILL itself.
    sent_kill: SentKill,
    /// `--kill-after`'s delay, once it has fired.
    kill_after: Option<Duration>,
    main_end: Option<MainEnd>,
    /// Lines for the termination message: OOM kills of other processes.
    notes: Notes,
    termination_log: Option<PathBuf>,
    kill_reported: bool,
}

impl Forensics {
    /// `main`: the main child (none in pause mode), started just now;
    /// `baseline`: the OOM kill counter as it read before.
    pub(crate) fn new(
        main: Option<i32>,
        command: Option<&std::ffi::OsStr>,
        termination_log: Option<PathBuf>,
        baseline: OomBaseline,
    ) -> Forensics {
        let command_name = command
            .map(|c| {
                let c = c.to_string_lossy();
                c.rsplit('/').next().unwrap_or_default().to_owned()
            })
            .unwrap_or_default();
        // Said only now: a log line before the child is started would
        // start the log thread first.
        if let Some(memory) = &baseline.memory {
            debug!(
                "reading the OOM kill count of {} (cgroup {:?}, {} before the child started; notified: {})",
                memory.cgroup.dir.display(),
                memory.cgroup.version,
                memory.count.accounted,
                baseline.live.memory,
            );
        }
        if let Some(pids) = &baseline.pids {
            debug!(
                "reading the fork refusals of {} (cgroup {:?}, {} before the child started; notified: {})",
                pids.cgroup.dir.display(),
                pids.cgroup.version,
                pids.told,
                baseline.live.pids,
            );
        }
        Forensics {
            started: Instant::now(),
            main,
            command_name,
            forwarded: SignalSet::EMPTY,
            memory: baseline.memory,
            pids: baseline.pids,
            burst: watch::Burst::default(),
            told_unnamed: false,
            oom_in_burst: false,
            sent_kill: SentKill::default(),
            kill_after: None,
            main_end: None,
            notes: Notes::default(),
            termination_log,
            kill_reported: false,
        }
    }

    /// rinit is about to send SIGKILL to `target` (`--kill-after`, a
    /// rewrite rule, the drain): deaths by it are not OOM kills.
    pub(crate) fn sending_sigkill(&mut self, target: KillTarget) {
        self.sent_kill.record(target);
    }

    /// `--kill-after` fired: the SIGKILL that follows ends the main child
    /// because it outlived `delay`.
    pub(crate) fn kill_after_fired(&mut self, delay: Duration) {
        self.kill_after = Some(delay);
    }

    /// rinit forwarded `signal` because it received it.
    pub(crate) fn forwarded(&mut self, signal: Signal) {
        self.forwarded = self.forwarded.with(signal);
    }

    /// Whether names of processes killed by SIGKILL are worth reading before
    /// they are reaped (only an OOM kill makes them news): while a burst of
    /// cgroup events is open, or when a SIGCHLD said a child was killed by
    /// SIGKILL (`child_killed`). Otherwise each child costs one `waitpid`.
    pub(crate) fn wants_names(&self, child_killed: bool) -> bool {
        self.memory.is_some() && (child_killed || self.burst.is_open())
    }

    /// When the loop must wake to look at the counters (see `watch::Burst`).
    pub(crate) fn watch_deadline(&self) -> Option<Instant> {
        self.burst.deadline()
    }

    /// Once a pass of the loop: `event` if a cgroup event source reported
    /// something. Tells the OOM kills and fork refusals nobody told yet
    /// when a look is due.
    pub(crate) fn on_watch(&mut self, now: Instant, event: bool) {
        if event {
            self.burst.event(now);
        }
        if let Some(look) = self.burst.fire_if_due(now) {
            if look == watch::Look::First {
                self.oom_in_burst = false;
            }
            if !self.tell_untold(look == watch::Look::First, false) {
                self.burst.look_again_soon(now);
            }
        }
        // An unnamed kill may be the main child's only while its SIGCHLD can
        // still be on its way: once the burst is over, a main child that dies
        // of SIGKILL was killed by someone else.
        if !self.burst.is_open() {
            self.told_unnamed = false;
        }
    }

    /// Tells the OOM kills and fork refusals the counters show and nobody
    /// told. `holders`: worth listing /proc for who holds the process slots.
    /// Unless `last`, kills counted since the last look wait for the next
    /// (see `MemoryCgroup::seen`): returns false if some do.
    fn tell_untold(&mut self, holders: bool, last: bool) -> bool {
        let mut settled = true;
        if let Some(memory) = &mut self.memory {
            let count = memory.cgroup.oom_kills().unwrap_or(memory.seen);
            let stable = if last { count } else { count.min(memory.seen) };
            settled = count <= stable;
            memory.seen = count;
            let kills = memory.count.take_rest(stable);
            if kills > 0 {
                let line = oom_line(kills, memory.cgroup.limit);
                warn!(
                    oom = true,
                    oom_kills = kills,
                    memory_limit = memory.cgroup.limit;
                    "{line}"
                );
                self.notes.push_counted(line, false, kills);
                self.told_unnamed = true;
                self.oom_in_burst = true;
            }
        }
        self.tell_refusals(holders && !self.oom_in_burst);
        settled
    }

    /// Tells the fork refusals the counter shows and nobody told; `holders`:
    /// list /proc for who holds the process slots.
    fn tell_refusals(&mut self, holders: bool) {
        let Some(pids) = &mut self.pids else { return };
        let Some(refused) = pids.cgroup.refused() else {
            return;
        };
        let rise = refused.saturating_sub(pids.told);
        pids.told = pids.told.max(refused);
        if rise == 0 {
            return;
        }
        let current = pids.cgroup.current();
        // Listing /proc opens a file a process: never while memory is short.
        let holders = if holders {
            procs::zombie_holders(sys::own_pid(), NAMED_HOLDERS)
        } else {
            Vec::new()
        };
        let line = refusal_line(rise, current, pids.cgroup.limit, &holders);
        warn!(
            forks_refused = rise,
            pids_current = current,
            pids_limit = pids.cgroup.limit,
            zombies = holders.iter().map(|h| h.zombies).sum::<u64>();
            "{line}"
        );
        self.notes.refusals = Some(line);
    }

    /// After a reaping pass: `main` is the main child's end if it was
    /// reaped, `others` the other processes that died of a signal. Reads the
    /// OOM counter if one of them died of SIGKILL, and reports OOM kills of
    /// processes other than the main child.
    pub(crate) fn after_reap(
        &mut self,
        main: Option<(Termination, Option<String>)>,
        others: &[Death],
    ) {
        let main = main.map(|(termination, name)| Death {
            pid: self.main.unwrap_or(0),
            name: name.unwrap_or_else(|| self.command_name.clone()),
            termination,
        });
        let sent = self.sent_kill;
        let main_is_candidate = main.as_ref().is_some_and(|d| oom_candidate(d, true, sent));
        let candidates: Vec<&Death> = others
            .iter()
            .filter(|d| oom_candidate(d, false, sent))
            .collect();
        // A clean exit stays silent whatever happened meanwhile.
        let main_failed = main
            .as_ref()
            .is_some_and(|d| d.termination != Termination::Exited(0));
        // A burst the main child's end cut short is told now, as it would
        // have been (before the main child's line, whatever its status).
        let owed = main.is_some() && self.burst.close();
        let pass = Pass {
            main_ended: main.is_some(),
            main_is_candidate,
            main_failed,
            others_killed: candidates.len(),
            owed,
        };
        let (oom, unexplained) = self.attribute_oom_kills(pass);
        if oom != Oom::No {
            for death in candidates {
                self.tell_oom_kill(death, oom);
            }
        }
        let oom_now = oom != Oom::No || unexplained.is_some();
        self.tell_at_the_end(owed, main_failed, oom_now);
        if let Some(death) = main {
            let rinits_kill = is_sigkill(&death) && sent.explains(true);
            self.main_end = Some(MainEnd {
                oom: if main_is_candidate { oom } else { Oom::No },
                unexplained,
                kill_after: self.kill_after.filter(|_| rinits_kill),
                death,
            });
        }
    }

    /// What the counters show and nobody told, at the main child's end:
    /// the rest of a burst it cut short, or (if it failed) the fork
    /// refusals, which go just before its line (on cgroup v1 only now, as
    /// nothing notifies them). `oom_now`: an OOM kill is told with it.
    fn tell_at_the_end(&mut self, owed: bool, main_failed: bool, oom_now: bool) {
        if owed {
            self.tell_untold(main_failed, true);
        } else if main_failed {
            self.tell_refusals(!oom_now && !self.oom_in_burst);
        }
    }

    /// Whether this pass's deaths by SIGKILL were OOM kills, from the
    /// cgroup's counter, and (once the main child ended) the kills of
    /// processes rinit did not reap, if there were any. The counter is read
    /// only when it can matter: a death by SIGKILL, or a main child that
    /// failed.
    fn attribute_oom_kills(&mut self, pass: Pass) -> (Oom, Option<UnreapedOom>) {
        let sigkilled = pass.others_killed + usize::from(pass.main_is_candidate);
        let Some(memory) = self
            .memory
            .as_mut()
            .filter(|_| sigkilled > 0 || pass.main_failed)
        else {
            return (Oom::No, None);
        };
        let Some(count) = memory.cgroup.oom_kills() else {
            return (Oom::No, None);
        };
        let mut attribution = memory.count.attribute(count, sigkilled);
        if attribution == Attribution::None && pass.main_is_candidate && self.told_unnamed {
            // The live line told this kill as "a process" before the main
            // child's SIGCHLD came in: it was the main child.
            attribution = Attribution::All;
        }
        if attribution != Attribution::None && pass.others_killed > 0 {
            self.burst.victim_reaped(Instant::now());
        }
        let rest = if pass.main_ended && !pass.owed {
            memory.count.take_rest(count)
        } else {
            0
        };
        let limit = memory.cgroup.limit;
        let oom = match attribution {
            Attribution::All => Oom::Yes { limit },
            Attribution::Some(kills) => Oom::Maybe {
                kills,
                of: sigkilled,
                limit,
            },
            Attribution::None => Oom::No,
        };
        (oom, (rest > 0).then_some((rest, limit)))
    }

    /// The OOM kill of a process other than the main child, reaped by rinit.
    fn tell_oom_kill(&mut self, death: &Death, oom: Oom) {
        let line = death_line(death, oom, None);
        warn!(
            pid = death.pid,
            name = death.name.as_str(),
            signal = "SIGKILL",
            oom = true,
            memory_limit = limit_of(oom);
            "{line}"
        );
        self.notes.push(line, matches!(oom, Oom::Maybe { .. }));
    }

    /// The main child has ended (after `after_reap` saw it) and rinit will
    /// exit with `code`: the crash line if it is news, and the termination
    /// message if the exit is a failure.
    pub(crate) fn main_ended(&mut self, code: i32, remapped_to_success: bool) {
        let Some(MainEnd {
            death,
            oom,
            unexplained,
            kill_after,
        }) = self.main_end.take()
        else {
            return;
        };
        let news = main_end_is_news(death.termination, self.forwarded, remapped_to_success, oom);
        let tell = news || unexplained.is_some();
        let termination_log = self.termination_log.as_ref().filter(|_| code != 0);
        // The line is worded only for a reader: the usual end (a clean
        // exit, a forwarded stop) costs no formatting.
        if !tell && termination_log.is_none() {
            return;
        }
        let after = self.started.elapsed();
        let line = main_end_line(&death, oom, unexplained, kill_after, after);
        if tell {
            let (signal, core_dumped) = match death.termination {
                Termination::Killed {
                    signal,
                    core_dumped,
                } => (Some(signal.to_string()), core_dumped),
                Termination::Exited(_) => (None, false),
            };
            warn!(
                pid = death.pid,
                name = death.name.as_str(),
                signal = signal.as_deref(),
                core_dumped = core_dumped,
                oom = oom != Oom::No,
                memory_limit = limit_of(oom).or(unexplained.and_then(|(_, limit)| limit)),
                other_oom_kills = unexplained.map(|(kills, _)| kills),
                kill_after_ms = kill_after.map(|d| d.as_millis() as u64),
                exit_code = code,
                after_ms = after.as_millis() as u64;
                "{line}"
            );
        }
        if let Some(path) = termination_log {
            write_message(path, &termination_message(&line, &self.notes));
        }
    }

    /// The grace period ran out and rinit is about to SIGKILL what is left
    /// below it (`root`): says who, once.
    pub(crate) fn grace_ran_out(&mut self, root: i32, grace: Duration) {
        self.sent_kill.record(KillTarget::Everyone);
        if std::mem::replace(&mut self.kill_reported, true) {
            return;
        }
        let left = procs::snapshot().map(|table| procs::in_reach(root, &table));
        let victims: Vec<(i32, String)> = left
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                (
                    e.pid,
                    procs::process_name(e.pid).unwrap_or_else(|| "?".to_owned()),
                )
            })
            .collect();
        warn!(
            count = victims.len() as u64,
            pids = victim_pids(&victims).as_str(),
            signal = "SIGKILL";
            "{}",
            kill_line(&victims, grace)
        );
    }
}

/// Writes a termination message with `lines` alone; used before there is a
/// supervisor (the command could not be started).
pub(crate) fn write_termination_log(path: &Path, lines: &[String]) {
    write_message(
        path,
        &termination_message(&lines.join("\n"), &Notes::default()),
    );
}

/// Writes `message` to the termination log if the file is there, is a
/// regular file outside the kernel's file systems, and is still empty (an
/// app that wrote its own keeps it). A file rinit refuses gets one warning:
/// the user asked for it, and the message is lost.
fn write_message(path: &Path, message: &str) {
    let shown = crate::text::printable(path.as_os_str().as_encoded_bytes());
    let refuse = |why: &str| warn!("not writing the termination message to {shown}: {why}");
    let mut opened = match sys::open_for_message(path) {
        Ok(opened) => opened,
        Err(e) => match open_refusal(Some(e as i32)) {
            Some(why) => return refuse(why),
            None => return debug!("not writing the termination message to {shown}: {e}"),
        },
    };
    match judge_message_file(opened.kind, opened.len, opened.fs_type) {
        Verdict::Write => {}
        Verdict::NotEmpty => return debug!("{shown} is not empty: left as it is"),
        Verdict::Refuse(why) => return refuse(&why),
    }
    match std::io::Write::write_all(&mut opened.file, message.as_bytes()) {
        Ok(()) => debug!("wrote the termination message to {shown}"),
        Err(e) => debug!("cannot write the termination message to {shown}: {e}"),
    }
}

fn limit_of(oom: Oom) -> Option<u64> {
    match oom {
        Oom::Yes { limit } | Oom::Maybe { limit, .. } => limit,
        Oom::No => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn killed(signal: i32, core_dumped: bool) -> Termination {
        Termination::Killed {
            signal: Signal::from_number(signal).unwrap(),
            core_dumped,
        }
    }

    fn death(name: &str, pid: i32, termination: Termination) -> Death {
        Death {
            pid,
            name: name.to_owned(),
            termination,
        }
    }

    #[test]
    fn the_crash_line_says_what_how_and_when() {
        let secs = |ms| Some(Duration::from_millis(ms));
        assert_eq!(
            death_line(&death("python", 7, killed(11, true)), Oom::No, secs(3_240)),
            "'python' (pid 7) was killed by SIGSEGV (core dumped) after 3.2s"
        );
        assert_eq!(
            death_line(&death("python", 7, killed(11, false)), Oom::No, secs(40)),
            "'python' (pid 7) was killed by SIGSEGV (no core dump) after 40ms"
        );
        assert_eq!(
            death_line(&death("app", 9, killed(9, false)), Oom::No, secs(125_000)),
            "'app' (pid 9) was killed by SIGKILL after 2m05s"
        );
        assert_eq!(
            death_line(&death("app", 9, killed(40, false)), Oom::No, None),
            "'app' (pid 9) was killed by SIGRTMIN+6"
        );
        assert_eq!(
            death_line(
                &death("app", 9, Termination::Exited(3)),
                Oom::No,
                secs(7_200_000)
            ),
            "'app' (pid 9) exited with status 3 after 2h00m"
        );
        assert_eq!(
            death_line(
                &death("stress", 12, killed(9, false)),
                Oom::Yes {
                    limit: Some(64 << 20)
                },
                None
            ),
            "'stress' (pid 12) was killed by the OOM killer (SIGKILL, memory limit 64 MiB)"
        );
        assert_eq!(
            death_line(
                &death("a", 12, killed(9, false)),
                Oom::Maybe {
                    kills: 1,
                    of: 2,
                    limit: None
                },
                None
            ),
            "'a' (pid 12) was killed by SIGKILL, maybe by the OOM killer (1 OOM kill for 2 processes killed by SIGKILL, no memory limit)"
        );
    }

    #[test]
    fn names_cannot_split_the_line() {
        assert_eq!(
            death_line(&death("a\nb\u{1b}", 3, killed(6, true)), Oom::No, None),
            "'a\\nb\\u{1b}' (pid 3) was killed by SIGABRT (core dumped)"
        );
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(format_duration(Duration::ZERO), "0ms");
        assert_eq!(format_duration(Duration::from_millis(999)), "999ms");
        assert_eq!(format_duration(Duration::from_millis(1_000)), "1.0s");
        assert_eq!(format_duration(Duration::from_millis(59_999)), "59.9s");
        assert_eq!(format_duration(Duration::from_secs(60)), "1m00s");
        assert_eq!(format_duration(Duration::from_secs(3_661)), "1h01m");
        assert_eq!(format_bytes(1000), "1000 bytes");
        assert_eq!(format_bytes(1024), "1 KiB");
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(3 << 29), "1.5 GiB");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(5 << 40), "5 TiB");
    }

    #[test]
    fn only_unasked_deaths_of_the_main_child_are_news() {
        let term = Signal::TERM;
        let forwarded = SignalSet::EMPTY.with(term);
        let news = |t, remapped, oom| main_end_is_news(t, forwarded, remapped, oom);
        assert!(!news(Termination::Exited(0), false, Oom::No));
        assert!(!news(Termination::Exited(3), false, Oom::No));
        assert!(!news(killed(libc::SIGTERM, false), false, Oom::No));
        assert!(news(killed(libc::SIGINT, false), false, Oom::No));
        assert!(news(killed(libc::SIGSEGV, true), false, Oom::No));
        assert!(news(killed(libc::SIGKILL, false), false, Oom::No));
        // -e 139: the user calls it a success.
        assert!(!news(killed(libc::SIGSEGV, true), true, Oom::No));
        // An OOM kill is news even if SIGKILL had been forwarded.
        let with_kill = SignalSet::EMPTY.with(Signal::KILL);
        let oom = Oom::Yes { limit: None };
        assert!(main_end_is_news(killed(9, false), with_kill, true, oom));
        assert!(!main_end_is_news(
            killed(9, false),
            with_kill,
            false,
            Oom::No
        ));
    }

    #[test]
    fn the_kill_line_names_the_first_few_and_counts_the_rest() {
        let grace = Duration::from_secs(5);
        let many: Vec<(i32, String)> = (0..8).map(|i| (20 - i, format!("w{i}"))).collect();
        assert_eq!(
            kill_line(&many, grace),
            "8 processes outlived the 5.0s grace period: sending SIGKILL to 'w7' (pid 13), 'w6' (pid 14), 'w5' (pid 15), 'w4' (pid 16), 'w3' (pid 17), and 3 more"
        );
        assert_eq!(
            kill_line(&[(9, "sleep".to_owned())], Duration::ZERO),
            "1 process outlived the 0ms grace period: sending SIGKILL to 'sleep' (pid 9)"
        );
        assert_eq!(
            kill_line(&[], grace),
            "processes outlived the 5.0s grace period: sending SIGKILL"
        );
    }

    #[test]
    fn the_termination_message_fits_kubernetes() {
        assert_eq!(termination_message("a", &Notes::default()), "a\n");
        let long = "é".repeat(3000);
        let message = termination_message(&long, &Notes::default());
        assert!(message.len() <= TERMINATION_LOG_MAX);
        assert!(message.len() >= TERMINATION_LOG_MAX - 1);
        assert!(message.chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_main_reason_comes_first_and_the_rest_is_counted() {
        let mut notes = Notes::default();
        for pid in 0..50 {
            notes.push(
                format!("'tail' (pid {pid}) was killed by the OOM killer"),
                false,
            );
        }
        notes.push("'x' (pid 99) was killed by SIGKILL, maybe".into(), true);
        // Bounded whatever the container's life brings.
        assert_eq!(notes.kept.len(), KEPT_NOTES);
        assert_eq!((notes.more_oom, notes.more_maybe), (42, 1));
        let message = termination_message("'app' (pid 2) exited with status 1", &notes);
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines[0], "'app' (pid 2) exited with status 1");
        assert_eq!(lines[1], "'tail' (pid 0) was killed by the OOM killer");
        assert_eq!(lines.len(), 1 + KEPT_NOTES + 2, "{message}");
        assert_eq!(
            &lines[KEPT_NOTES + 1..],
            [
                "and 42 more processes killed by the OOM killer",
                "and 1 more process killed by SIGKILL, maybe by the OOM killer"
            ]
        );
        // Kept lines too long to fit whole are counted, never cut.
        let mut notes = Notes::default();
        for _ in 0..KEPT_NOTES {
            notes.push("x".repeat(1000), false);
        }
        let message = termination_message("main", &notes);
        assert!(message.len() <= TERMINATION_LOG_MAX, "{}", message.len());
        assert!(message.starts_with("main\n"));
        assert!(message.ends_with("\nand 5 more processes killed by the OOM killer\n"));
        assert!(more_text(u64::MAX, u64::MAX).len() <= MORE_TEXT_MAX);
    }

    #[test]
    fn the_drains_sigkill_line_and_field_name_the_same_few() {
        let many: Vec<(i32, String)> = (0..2500).map(|i| (3000 - i, "w".to_owned())).collect();
        assert_eq!(victim_pids(&many), "501,502,503,504,505");
        assert!(kill_line(&many, Duration::ZERO).ends_with(", and 2495 more"));
        assert_eq!(victim_pids(&[]), "");
    }

    #[test]
    fn rinits_own_sigkill_is_never_an_oom_kill() {
        let main = death("app", 2, killed(9, false));
        let other = death("worker", 9, killed(9, false));
        let segv = death("worker", 9, killed(11, false));
        let mut sent = SentKill::default();
        assert!(oom_candidate(&main, true, sent));
        assert!(oom_candidate(&other, false, sent));
        assert!(!oom_candidate(&segv, false, sent));
        sent.record(KillTarget::MainChild);
        assert!(!oom_candidate(&main, true, sent));
        assert!(oom_candidate(&other, false, sent));
        for target in [KillTarget::Group, KillTarget::Everyone] {
            let mut sent = SentKill::default();
            sent.record(target);
            assert!(!oom_candidate(&main, true, sent));
            assert!(!oom_candidate(&other, false, sent));
        }
    }

    #[test]
    fn a_kill_after_sigkill_is_worded_as_what_it_is() {
        assert_eq!(
            kill_after_line(
                &death("app", 2, killed(9, false)),
                Duration::from_millis(300),
                Some(Duration::from_millis(1_340))
            ),
            "'app' (pid 2) did not exit within --kill-after 300ms: sent SIGKILL after 1.3s"
        );
    }

    #[test]
    fn the_termination_log_is_only_a_regular_file_outside_the_kernels() {
        use sys::FileKind::*;
        const EXT4: i64 = 0xef53;
        const TMPFS: i64 = 0x0102_1994;
        assert_eq!(judge_message_file(Regular, 0, EXT4), Verdict::Write);
        assert_eq!(judge_message_file(Regular, 0, TMPFS), Verdict::Write);
        assert_eq!(judge_message_file(Regular, 3, EXT4), Verdict::NotEmpty);
        for (magic, name) in [
            (0x9fa0, "procfs"),
            (0x6265_6572, "sysfs"),
            (0x0027_e0eb, "cgroupfs"),
            (0x6367_7270, "cgroupfs"),
        ] {
            assert_eq!(
                judge_message_file(Regular, 0, magic),
                Verdict::Refuse(format!(
                    "it is on {name}, whose files are the kernel's settings, not a message file"
                ))
            );
        }
        assert_eq!(
            judge_message_file(Fifo, 0, TMPFS),
            Verdict::Refuse("it is a FIFO, not a regular file".into())
        );
        assert_eq!(
            judge_message_file(CharDevice, 0, TMPFS),
            Verdict::Refuse("it is a character device, not a regular file".into())
        );
        assert!(open_refusal(Some(libc::ELOOP)).is_some());
        assert!(open_refusal(Some(libc::ENXIO)).is_some());
        // Missing or read-only: quiet, as most containers have no such file.
        assert_eq!(open_refusal(Some(libc::ENOENT)), None);
        assert_eq!(open_refusal(Some(libc::EROFS)), None);
        assert_eq!(open_refusal(None), None);
    }

    #[test]
    fn a_rise_of_the_counter_is_attributed_to_the_sigkilled() {
        let mut count = OomCount::new(4);
        assert_eq!(count.attribute(4, 1), Attribution::None);
        assert_eq!(count.attribute(5, 1), Attribution::All);
        assert_eq!(count.attribute(5, 1), Attribution::None);
        // Two kills, one victim reaped yet: the other is kept for later.
        assert_eq!(count.attribute(7, 1), Attribution::All);
        assert_eq!(count.attribute(7, 1), Attribution::All);
        // One kill, two SIGKILLed: which one cannot be told.
        assert_eq!(count.attribute(8, 2), Attribution::Some(1));
        assert_eq!(count.attribute(8, 1), Attribution::None);
        // A rise with nothing reaped is not spent.
        assert_eq!(count.attribute(9, 0), Attribution::None);
        assert_eq!(count.attribute(9, 1), Attribution::All);
        // The counter went down: start again from there.
        assert_eq!(count.attribute(2, 1), Attribution::None);
        assert_eq!(count.attribute(3, 1), Attribution::All);
        // At the main child's end, what nobody explained is taken.
        assert_eq!(count.attribute(6, 1), Attribution::All);
        assert_eq!(count.take_rest(6), 2);
        assert_eq!(count.take_rest(6), 0);
        assert_eq!(count.attribute(6, 1), Attribution::None);
    }

    #[test]
    fn live_oom_and_fork_refusal_lines() {
        assert_eq!(
            oom_line(1, Some(32 << 20)),
            "a process was killed by the OOM killer (SIGKILL, memory limit 32 MiB)"
        );
        assert_eq!(
            oom_line(3, None),
            "3 processes were killed by the OOM killer (SIGKILL, no memory limit)"
        );
        let holder = |pid, name: &str, zombies| procs::Holder {
            pid,
            name: name.into(),
            zombies,
        };
        assert_eq!(
            refusal_line(1, Some(20), Some(20), &[]),
            "the process limit refused 1 fork (20 of 20 pids in use)"
        );
        assert_eq!(
            refusal_line(3, None, Some(20), &[]),
            "the process limit refused 3 forks (limit 20 pids)"
        );
        assert_eq!(
            refusal_line(2, Some(7), None, &[holder(9, "x", 1)]),
            "the process limit refused 2 forks (7 pids in use); 1 is a zombie nobody reaped: 'x' (pid 9) has 1 unreaped child"
        );
        assert_eq!(
            refusal_line(
                5,
                Some(20),
                Some(20),
                &[holder(6, "a\nb", 12), holder(8, "sh", 3)]
            ),
            "the process limit refused 5 forks (20 of 20 pids in use); 15 are zombies nobody reaped: 'a\\nb' (pid 6) has 12 unreaped children, 'sh' (pid 8) has 3 unreaped children"
        );
    }

    #[test]
    fn the_termination_message_counts_live_lines_by_their_kills() {
        let mut notes = Notes::default();
        notes.push_counted(oom_line(3, None), false, 3);
        notes.refusals = Some("the process limit refused 1 fork".into());
        let message = termination_message("main", &notes);
        assert_eq!(
            message,
            "main\n3 processes were killed by the OOM killer (SIGKILL, no memory limit)\nthe process limit refused 1 fork\n"
        );
        // Past what fits, a live line counts as the kills it tells of.
        let mut notes = Notes::default();
        for _ in 0..KEPT_NOTES {
            notes.push(format!("{:300}", "x"), false);
        }
        notes.push_counted(oom_line(4, None), false, 4);
        assert_eq!(notes.more_oom, 4);
        let long = "y".repeat(3000);
        let message = termination_message(&long, &notes);
        assert!(
            message.ends_with("and 9 more processes killed by the OOM killer\n"),
            "{message}"
        );
    }

    /// A kill counted since the last look waits for the next one (the
    /// reaper may yet name its victim); told then as "a process", it turns
    /// out to be the main child's when its SIGCHLD comes only after that.
    #[test]
    fn an_unnamed_kill_told_live_may_be_the_main_childs() {
        let (mut forensics, _, dir) = told_an_unnamed_kill("may");
        forensics.after_reap(Some((killed(libc::SIGKILL, false), None)), &[]);
        let oom = forensics.main_end.as_ref().map(|end| end.oom);
        assert_eq!(
            oom,
            Some(Oom::Yes {
                limit: Some(32 << 20)
            })
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn once_the_burst_is_over_a_sigkill_of_the_main_child_is_not_that_kill() {
        let (mut forensics, told, dir) = told_an_unnamed_kill("over");
        // The burst cools down with no further event: it is over.
        forensics.on_watch(told + watch::QUIET, false);
        assert_eq!(forensics.watch_deadline(), None);
        forensics.after_reap(Some((killed(libc::SIGKILL, false), None)), &[]);
        let oom = forensics.main_end.as_ref().map(|end| end.oom);
        assert_eq!(oom, Some(Oom::No));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A v2 group (files in a temporary directory) whose counter rises by
    /// one OOM kill rinit does not reap, told live as "a process". Returns
    /// the forensics, when the line was told, and the directory to remove.
    fn told_an_unnamed_kill(name: &str) -> (Forensics, Instant, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("rinit-unit-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let events = dir.join("memory.events");
        std::fs::write(&events, "oom 0\noom_kill 0\n").unwrap();
        std::fs::write(dir.join("memory.max"), "33554432\n").unwrap();
        let cgroup = cgroups::Memory::open(cgroups::Version::V2, dir.clone()).unwrap();
        let baseline = OomBaseline {
            memory: Some(MemoryCgroup {
                count: OomCount::new(0),
                seen: 0,
                cgroup,
            }),
            pids: None,
            live: watch::Live::default(),
        };
        let mut forensics = Forensics::new(Some(2), None, None, baseline);
        let t0 = Instant::now();
        forensics.on_watch(t0, true);
        std::fs::write(&events, "oom 1\noom_kill 1\n").unwrap();
        forensics.on_watch(t0 + watch::SETTLE, false);
        assert!(
            forensics.notes.kept.is_empty(),
            "told before the reaper could name it"
        );
        let again = t0 + watch::SETTLE + watch::RECOUNT;
        assert_eq!(forensics.watch_deadline(), Some(again));
        forensics.on_watch(again, false);
        assert_eq!(forensics.notes.kept.len(), 1, "{:?}", forensics.notes);
        (forensics, again, dir)
    }

    #[test]
    fn oom_kills_rinit_never_reaped_are_added_to_the_main_line() {
        let mut line = death_line(&death("app", 7, Termination::Exited(1)), Oom::No, None);
        line.push_str(&unreaped_oom_text(1, Some(32 << 20)));
        assert_eq!(
            line,
            "'app' (pid 7) exited with status 1; the OOM killer killed 1 other process in the container meanwhile (memory limit 32 MiB)"
        );
    }
}
