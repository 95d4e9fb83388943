//! The seven figures. Each round runs every init once, in an order rotated
//! from round to round, so that drift (a warming cache, a busy neighbour)
//! lands on all of them alike. Every run is checked before its numbers
//! count; a run that does not check out panics, which ends the benchmark.

use crate::cgroup::{WatchedGroup, watching};
use crate::{Init, Plan};
use rinit_harness::{Running, Scratch, run_timed, status_number};
use std::path::Path;
use std::time::{Duration, Instant};

/// Signals per ping-pong run, after the warm-up round trips.
const SIGNALS: usize = 20_000;
const WARMUP: usize = 200;
/// Orphans of the row that hands them all over at once.
const BURST: usize = 10_000;
/// Processes in the drain's fleet.
const FLEET: usize = 1_000;

/// 1234567 -> "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Which figure a row shows: the targets and the chart look rows up by it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Startup,
    Memory,
    Size,
    Wakeups,
    SignalRtt,
    SignalCpu,
    ReapCpu,
    ReapWall,
    ReapPeak,
    Drain,
    Graceful,
}

impl Kind {
    /// The row's label: the figure's number (the README describes the
    /// figures by number) and what it is; `#` stands for the row's detail.
    fn text(self) -> &'static str {
        use Kind::*;
        match self {
            Startup => "1. Start-up overhead of `INIT -- true` over plain `true` (# ms)",
            Memory => "2. Resident memory as PID 1 with a sleeping child (VmHWM)",
            Size => "3. Binary size",
            Wakeups => "4. Idle wake-ups of the init in # s (context switches)",
            SignalRtt => "5. Signal round trip child → PID 1 → child (median)",
            SignalCpu => "5. Init CPU per forwarded signal",
            ReapCpu => "6. Init CPU per reaped orphan, #",
            ReapWall => "6. Time until no zombie is left, #",
            ReapPeak => "6. Init peak memory (VmHWM) after reaping #",
            Drain => "7. Drain: SIGTERM to exit, #",
            Graceful => {
                "7. … of which exited on SIGTERM (the rest were SIGKILLed by the kernel), of #"
            }
        }
    }

    /// The figure's number: the table is in its order.
    pub fn figure(self) -> u8 {
        self.text().as_bytes()[0] - b'0'
    }

    /// The unit (none for counts, which get no ratio to rinit) and decimals.
    pub fn unit(self) -> (&'static str, usize) {
        use Kind::*;
        match self {
            Startup => ("ms", 3),
            Memory | ReapPeak => ("KiB", 0),
            Size => ("bytes", 0),
            Wakeups | Graceful => ("", 0),
            SignalRtt => ("µs", 1),
            SignalCpu | ReapCpu => ("µs", 2),
            ReapWall | Drain => ("ms", 1),
        }
    }
}

/// How a reaping row's orphans were handed over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Orphans {
    pub count: usize,
    pub wave: usize,
    /// The all-at-once row, beside the rows handed over in waves.
    pub burst: bool,
}

impl Orphans {
    pub fn detail(&self) -> String {
        let (n, wave) = (thousands(self.count), thousands(self.wave));
        match self.burst {
            true => format!("N = {n} all at once"),
            false if self.wave < self.count => format!("N = {n}, {wave} at a time"),
            false => format!("N = {n}"),
        }
    }
}

/// Every contender's measurements of one value, in the order of the inits.
type Samples = Vec<Vec<f64>>;
/// The numbers a workload must report.
type Check<'a> = &'a [(&'a str, usize)];
/// The numbers wanted from a workload's report, and what to divide each by.
type Keys<'a> = &'a [(&'a str, f64)];

/// One row of the table.
#[derive(Debug)]
pub struct Row {
    pub kind: Kind,
    /// What sets this row apart from others of its kind (`N = 1,000`...).
    pub detail: String,
    pub orphans: Option<Orphans>,
    pub samples: Samples,
}

impl Row {
    pub fn label(&self) -> String {
        let text = self.kind.text().replace('#', &self.detail);
        match self.kind.unit().0 {
            "" => text,
            unit => format!("{text}, {unit}"),
        }
    }

    pub fn spreads(&self) -> Vec<Spread> {
        self.samples.iter().map(|s| Spread::of(s)).collect()
    }

    pub fn medians(&self) -> Vec<f64> {
        self.samples.iter().map(|s| median(s)).collect()
    }
}

#[derive(Debug, Default)]
pub struct Results {
    /// In the order of the table.
    pub rows: Vec<Row>,
    /// What the medians stand on ("300 start-up runs"...).
    pub method: Vec<String>,
}

impl Results {
    fn add(&mut self, kind: Kind, detail: impl ToString, samples: Samples) -> &mut Row {
        let (detail, orphans) = (detail.to_string(), None);
        self.rows.push(Row {
            kind,
            detail,
            orphans,
            samples,
        });
        self.rows.last_mut().unwrap()
    }
}

/// The median of some measurements, and their first and third quartiles.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub median: f64,
    pub p25: f64,
    pub p75: f64,
}

impl Spread {
    /// The quartiles are NaN for fewer than three values, where they mean nothing.
    pub fn of(values: &[f64]) -> Spread {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        // Between the two nearest ranks, in proportion.
        let at = |q: f64| {
            let pos = q * (v.len() as f64 - 1.0);
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            let low = v.get(lo).copied().unwrap_or(f64::NAN);
            low + (v.get(hi).unwrap_or(&low) - low) * (pos - lo as f64)
        };
        let quartile = |q| if v.len() < 3 { f64::NAN } else { at(q) };
        let (p25, p75) = (quartile(0.25), quartile(0.75));
        Spread {
            median: at(0.5),
            p25,
            p75,
        }
    }

    /// The spread of the middle half: p75 - p25.
    pub fn iqr(&self) -> f64 {
        self.p75 - self.p25
    }
}

pub fn median(values: &[f64]) -> f64 {
    Spread::of(values).median
}

/// Small reaping runs last milliseconds, and a stray interrupt weighs more
/// in them: they get more rounds (4x up to 1,000 orphans, 2x up to 10,000).
pub fn reap_rounds(rounds: usize, count: usize) -> usize {
    match count {
        0..=1_000 => rounds * 4,
        1_001..=10_000 => rounds * 2,
        _ => rounds,
    }
}

/// `0..n` starting at `round % n`: each round a different init goes first.
fn rotation(n: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| (i + round) % n)
}

/// Runs `once(i)` for each of `n` contenders in every round, in rotation,
/// and collects each of the values it returns: `[value][contender]`.
fn interleave(n: usize, rounds: usize, mut once: impl FnMut(usize) -> Vec<f64>) -> Vec<Samples> {
    let mut out = Vec::new();
    for i in (0..rounds).flat_map(|round| rotation(n, round)) {
        for (k, value) in once(i).into_iter().enumerate() {
            if out.len() <= k {
                out.push(vec![Vec::new(); n]);
            }
            out[k][i].push(value);
        }
    }
    out
}

/// The number on a workload's `KEY VALUE` line.
fn field(lines: &[String], key: &str) -> f64 {
    let number = |line: &String| line.strip_prefix(key)?.strip_prefix(' ')?.parse().ok();
    let value = lines.iter().find_map(number);
    value.unwrap_or_else(|| panic!("the workload reported no number for {key:?}: {lines:?}"))
}

macro_rules! progress {
    ($($what:tt)*) => { eprintln!("rinit-bench: {}", format_args!($($what)*)) };
}

/// A process's context switches so far: each is a wake-up.
fn context_switches(pid: i32) -> u64 {
    let count = |name| status_number(pid, name).expect("context switch counts");
    count("voluntary_ctxt_switches") + count("nonvoluntary_ctxt_switches")
}

/// `program args...` as PID 1, with none of the caller's settings for the
/// inits (`as_pid1` removes them).
fn pid1(program: &Path, args: &[&str]) -> std::process::Command {
    rinit_harness::as_pid1(&program.to_string_lossy(), args)
}

pub struct Bench<'a> {
    pub inits: &'a [Init],
    pub testkit: &'a str,
    pub plan: &'a Plan,
}

impl Bench<'_> {
    /// `INIT -- testkit WORKLOAD...` as PID 1.
    fn as_pid1(&self, init: &Init, workload: &[&str]) -> Running {
        let args = [&["--", self.testkit], workload].concat();
        Running::start(pid1(&init.path, &args))
    }

    /// Runs a workload under each init in turn, `rounds` times: every run
    /// must exit 0 and report the numbers `want`. Collects the numbers it
    /// reported for `keys`, each divided by its divisor.
    fn workload(&self, rounds: usize, args: &[&str], want: Check, keys: Keys) -> Vec<Samples> {
        interleave(self.inits.len(), rounds, |i| {
            let limit = Duration::from_secs(300);
            let mut running = self.as_pid1(&self.inits[i], args).with_safety_net(limit);
            running.close_stdin();
            let done = running.finish();
            let what = format!("{} -- testkit {}", self.inits[i].name, args.join(" "));
            assert_eq!(done.code, 0, "{what}: the exit code; {done:?}");
            let value = |key| field(&done.stdout, key);
            let got: Vec<_> = want.iter().map(|&(k, _)| (k, value(k) as usize)).collect();
            assert_eq!(got, want, "{what}: the numbers reported");
            keys.iter().map(|&(key, by)| value(key) / by).collect()
        })
    }

    pub fn run_all(&self) -> Results {
        let mut results = Results::default();
        let sizes = self.inits.iter().map(|i| vec![i.bytes as f64]);
        results.add(Kind::Size, "", sizes.collect());
        for figure in crate::FIGURES.into_iter().filter(|f| self.plan.runs(f)) {
            match figure {
                "startup" => self.startup(&mut results),
                "idle" => self.idle(&mut results),
                "signals" => self.signals(&mut results),
                "reaping" => self.reaping(&mut results),
                "drain" => self.drain(&mut results),
                other => unreachable!("{other}: not a figure"),
            }
        }
        results.rows.sort_by_key(|row| row.kind.figure());
        results
    }

    /// Figure 1: wall time of `unshare ... INIT -- true` and of
    /// `unshare ... true`, many times, interleaved; the overhead is the
    /// difference of the medians. Run k of every init stays at index k, in
    /// the same round as run k of rinit: the paired ratios pair them.
    fn startup(&self, results: &mut Results) {
        let runs = self.plan.rounds(30, 10) * if self.plan.quick { 5 } else { 10 };
        progress!("start-up: {runs} runs of each");
        // The last contender is plain `true`.
        let mut wall = interleave(self.inits.len() + 1, runs, |i| {
            let (name, cmd) = match self.inits.get(i) {
                Some(init) => (&*init.name, pid1(&init.path, &["--", "true"])),
                None => ("plain", pid1(Path::new("true"), &[])),
            };
            let (code, took) = run_timed(cmd, Duration::from_secs(10));
            assert_eq!(code, 0, "start-up: {name} -- true: the exit code");
            vec![took.as_secs_f64() * 1e3]
        })
        .remove(0);
        let plain = median(&wall.pop().unwrap());
        // Every run less the same amount: each median and spread moves alike.
        let overhead = wall.iter().map(|s| s.iter().map(|t| t - plain).collect());
        results.add(Kind::Startup, format!("{plain:.2}"), overhead.collect());
        results.method.push(format!("{runs} start-up runs"));
    }

    /// Figures 2 and 4: every init at once, each with an idle child; count
    /// each init's context switches over the window and read its VmHWM.
    fn idle(&self, results: &mut Results) {
        let (rounds, seconds) = (self.plan.rounds(3, 1), self.plan.idle_seconds());
        progress!("idle and memory: {rounds} rounds of {seconds} s, all inits side by side");
        let n = self.inits.len();
        let (mut wakeups, mut memory) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let limit = Duration::from_secs(seconds + 60);
        // In a memory cgroup with a limit, so that rinit's OOM watch is on.
        let group = WatchedGroup::new();
        for round in 0..rounds {
            let start = |i: usize| {
                // sigecho sleeps in sigwaitinfo until stdin closes.
                let init = &self.inits[i];
                let cmd = pid1(&init.path, &["--", self.testkit, "sigecho"]);
                let cmd = match &group {
                    Some(group) => group.wrap(&cmd),
                    None => cmd,
                };
                let mut running = Running::start(cmd).with_safety_net(limit);
                running.expect("ready");
                let pid = running.rinit_pid();
                if init.name == "rinit" && group.is_some() {
                    assert!(watching(pid as u32), "idle: rinit's OOM watch is not on");
                }
                (i, running, pid, context_switches(pid))
            };
            let runs: Vec<_> = rotation(n, round).map(start).collect();
            std::thread::sleep(Duration::from_secs(seconds)); // the measurement window itself
            for (i, _, pid, before) in &runs {
                wakeups[*i].push((context_switches(*pid) - before) as f64);
                memory[*i].push(status_number(*pid, "VmHWM").expect("VmHWM") as f64);
            }
            for (i, running, ..) in runs {
                let (done, name) = (running.finish(), &self.inits[i].name);
                assert_eq!(done.code, 0, "idle: {name}: the exit code; {done:?}");
            }
        }
        results.add(Kind::Memory, "", memory);
        results.add(Kind::Wakeups, seconds, wakeups);
        results.method.push(match group {
            Some(_) => format!("{rounds} idle windows, in a memory cgroup with a limit (rinit's OOM watch on)"),
            None => format!("{rounds} idle windows (no cgroup v1 memory controller: rinit's OOM watch not tested here)"),
        });
    }

    /// Figure 5: the ping-pong child; the workload measures the round trip
    /// and PID 1's CPU time (schedstat) across all its round trips. A run
    /// takes a fraction of a second, and the per-signal cost moves by 5-15%
    /// between rounds: 21 rounds (9 quick) make the interval of the paired
    /// ratio narrow enough to tell a few percent apart.
    fn signals(&self, results: &mut Results) {
        let rounds = self.plan.rounds(21, 9);
        progress!("signal forwarding: {rounds} rounds of {SIGNALS} round trips");
        let (count, warmup) = (SIGNALS.to_string(), WARMUP.to_string());
        let mut args = vec!["bench-pingpong", &count, &warmup];
        if self.plan.signals_under_fifo {
            args.push("fifo");
        }
        let cpu = ("init_cpu_ns", 1e3 * SIGNALS as f64);
        let keys = [("latency_median_ns", 1e3), cpu];
        let values = self.workload(rounds, &args, &[("roundtrips", SIGNALS)], &keys);
        let [rtt, cpu] = values.try_into().unwrap();
        results.add(Kind::SignalRtt, "", rtt);
        results.add(Kind::SignalCpu, "", cpu);
        let signals = thousands(SIGNALS);
        let fifo = if self.plan.signals_under_fifo {
            " under SCHED_FIFO"
        } else {
            ""
        };
        let method = format!("{rounds} ping-pong runs of {signals} signals{fifo}");
        results.method.push(method);
    }

    /// Figure 6: N orphaned zombies handed to PID 1, `max_zombies` at a
    /// time, then one burst all at once; every one must be gone at the end.
    /// In a full run, at least 8 rounds for every row: 7 is the fewest that give the
    /// best peer's 98.3% interval of the paired ratio (a run of 100,000
    /// orphans takes seconds).
    fn reaping(&self, results: &mut Results) {
        let (base, max) = (self.plan.rounds(8, 3), self.plan.max_zombies);
        let counts = if self.plan.quick { 2 } else { 3 };
        let counts = [1_000, 10_000, 100_000].into_iter().take(counts);
        let waves = counts.map(|count| (count, max.min(count), false));
        let mut runs = Vec::new();
        for (count, wave, burst) in waves.chain([(BURST, BURST, true)]) {
            let rounds = reap_rounds(base, count);
            progress!("reaping: {rounds} rounds of {count} orphans, {wave} at a time");
            let args = ["bench-orphans", &count.to_string(), &wave.to_string()];
            let want = [
                ("orphans", count),
                ("max_at_once", wave),
                ("reaped", count),
                ("zombies_left", 0),
            ];
            let cpu = ("init_cpu_ns", 1e3 * count as f64);
            let keys = [cpu, ("reap_wall_ns", 1e6), ("init_hwm_kb", 1.0)];
            let values = self.workload(rounds, &args, &want, &keys);
            runs.push((Orphans { count, wave, burst }, values));
        }
        // The table groups these rows by figure, then by N.
        let kinds = [Kind::ReapCpu, Kind::ReapWall, Kind::ReapPeak];
        for (k, kind) in kinds.into_iter().enumerate() {
            for (orphans, values) in &runs {
                let row = results.add(kind, orphans.detail(), values[k].clone());
                row.orphans = Some(*orphans);
            }
        }
        let (small, medium) = (reap_rounds(base, 1_000), reap_rounds(base, 10_000));
        let rounds = format!("{small}/{medium}/{base} reaping runs for N up to 1,000/10,000/more");
        let max = thousands(max);
        let how = format!("orphans handed over {max} at a time, plus one all-at-once row");
        results.method.push(format!("{rounds} ({how})"));
    }

    /// Figure 7: SIGTERM from outside (as `docker stop` sends it) to an init
    /// whose child leads a fleet of processes that exit on SIGTERM; time to
    /// the namespace being gone, and how many fleet members exited on their
    /// own (rinit must let every one of them do so).
    fn drain(&self, results: &mut Results) {
        let (rounds, fleet) = (self.plan.rounds(9, 3), thousands(FLEET));
        let scratch = Scratch::in_memory("bench"); // the counter files only ever live in memory
        let own = ("own", "each in its own process group");
        for (mode, groups) in [own, ("group", "in the child's process group")] {
            progress!("drain: {rounds} rounds, {FLEET} processes ({mode} process groups)");
            let mut run = 0;
            let values = interleave(self.inits.len(), rounds, |i| {
                run += 1;
                let file = scratch.path(&format!("{mode}-{run}"));
                let (took, exited) = self.drain_once(&self.inits[i], mode, &file);
                if exited < FLEET && self.inits[i].name == "rinit" {
                    panic!("drain: rinit let only {exited} of {FLEET} processes exit on SIGTERM");
                }
                vec![took.as_secs_f64() * 1e3, exited as f64]
            });
            let [ms, graceful] = values.try_into().unwrap();
            results.add(Kind::Drain, format!("{fleet} processes {groups}"), ms);
            results.add(Kind::Graceful, &fleet, graceful);
        }
        results.method.push(format!("{rounds} drain runs per row"));
    }

    /// One drain: how long from SIGTERM to the end, and how many exited.
    fn drain_once(&self, init: &Init, mode: &str, file: &Path) -> (Duration, usize) {
        std::fs::write(file, [0u8; 8]).expect("the counter file");
        let (count, path) = (FLEET.to_string(), file.to_string_lossy());
        let mut running = self.as_pid1(init, &["bench-fleet", &count, mode, &path]);
        running.expect("ready");
        let start = Instant::now();
        running.signal(libc::SIGTERM);
        let (done, name) = (running.finish(), &init.name);
        assert_eq!(done.code, 0, "drain: {name}: the exit code; {done:?}");
        let counter = std::fs::read(file).expect("the counter file");
        let counter = counter.get(..8).and_then(|c| c.try_into().ok());
        let exited = u64::from_ne_bytes(counter.expect("a counter of 8 bytes"));
        (done.ended - start, exited as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_spreads() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(Spread::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).iqr(), 2.0);
        assert!(Spread::of(&[1.0, 2.0]).iqr().is_nan());
    }

    #[test]
    fn rounds_rotate_and_collect_each_value() {
        let mut order = Vec::new();
        let values = interleave(2, 2, |i| {
            order.push(i);
            vec![i as f64, 10.0 * i as f64]
        });
        assert_eq!(order, [0, 1, 1, 0]);
        assert_eq!(
            values,
            [[[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [10.0, 10.0]]]
        );
    }

    #[test]
    fn reports_parse_into_numbers() {
        let lines = ["reaped 1000".to_owned(), "reaped_more 3".to_owned()];
        assert_eq!(field(&lines, "reaped"), 1000.0);
        assert!(std::panic::catch_unwind(|| field(&lines, "missing")).is_err());
    }

    #[test]
    fn rows_are_labelled_from_the_table_of_figures() {
        let rows = [
            (1_000, 1_000, false),
            (100_000, 1_000, false),
            (10_000, 10_000, true),
        ];
        let details = rows.map(|(count, wave, burst)| Orphans { count, wave, burst }.detail());
        let want = [
            "N = 1,000",
            "N = 100,000, 1,000 at a time",
            "N = 10,000 all at once",
        ];
        assert_eq!(details, want);
        let mut results = Results::default();
        results.add(Kind::ReapPeak, &details[2], vec![]);
        results.add(Kind::Wakeups, 10, vec![]);
        let labels: Vec<_> = results.rows.iter().map(Row::label).collect();
        let want = [
            "6. Init peak memory (VmHWM) after reaping N = 10,000 all at once, KiB",
            "4. Idle wake-ups of the init in 10 s (context switches)",
        ];
        assert_eq!(labels, want);
    }
}
