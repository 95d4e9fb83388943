//! The seven figures. Each round runs every init once, in an order rotated
//! from round to round, so that drift (a warming cache, a busy neighbour)
//! lands on all of them alike. Every run is checked before its numbers
//! count; a run that does not check out panics, which ends the benchmark.

use crate::{Init, Plan};
use rinit_harness::{Running, Scratch, run_timed, scrub_init_env, status_number};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Medians, one entry per init (in the order of `Bench::inits`).
#[derive(Debug, Default)]
pub struct Results {
    pub true_ms: f64,
    pub startup_ms: Vec<f64>,
    /// Interquartile range of the `INIT -- true` wall times, ms.
    pub startup_iqr_ms: Vec<f64>,
    pub memory_kb: Vec<f64>,
    pub binaries: Vec<Binary>,
    pub wakeups: Vec<f64>,
    pub idle_seconds: u64,
    pub signal_rtt_us: Vec<f64>,
    /// Each init's CPU per forwarded signal: median, p25, p75 and IQR.
    pub signal_cpu: Vec<Spread>,
    pub reap: Vec<ReapRow>,
    pub drain: Vec<DrainRow>,
    /// How many measurements each median stands on.
    pub samples: Samples,
}

#[derive(Debug, Default)]
pub struct Samples {
    pub startup: usize,
    pub idle: usize,
    pub signal: usize,
    pub reap: usize,
    pub drain: usize,
}

#[derive(Debug)]
pub struct Binary {
    pub bytes: u64,
    pub is_static: bool,
    pub stripped: bool,
}

/// The median of some measurements, and their first and third quartiles.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub median: f64,
    pub p25: f64,
    pub p75: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Spread {
        let (p25, p75) = quartiles(values);
        Spread {
            median: median(values),
            p25,
            p75,
        }
    }

    /// The spread of the middle half: p75 - p25 (NaN for under three values).
    pub fn iqr(&self) -> f64 {
        self.p75 - self.p25
    }
}

#[derive(Debug)]
pub struct ReapRow {
    pub count: usize,
    pub at_once: usize,
    /// The all-at-once row, beside the rows handed over in waves.
    pub burst: bool,
    pub cpu_per_orphan_us: Vec<Spread>,
    pub wall_ms: Vec<f64>,
    pub peak_kb: Vec<f64>,
}

#[derive(Debug)]
pub struct DrainRow {
    pub own_groups: bool,
    pub count: usize,
    pub ms: Vec<f64>,
    pub graceful: Vec<f64>,
}

pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The first and third quartiles, p25 and p75 (NaN for fewer than three
/// values, where they mean nothing).
pub fn quartiles(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.len() < 3 {
        return (f64::NAN, f64::NAN);
    }
    let at = |q: f64| {
        let pos = q * (v.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
    };
    (at(0.25), at(0.75))
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

/// The numbers of a workload's `key value` lines.
fn parse_report(lines: &[String]) -> HashMap<&str, f64> {
    let pairs = lines.iter().filter_map(|l| l.split_once(' '));
    pairs
        .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
        .collect()
}

fn field(report: &HashMap<&str, f64>, key: &str) -> f64 {
    *report
        .get(key)
        .unwrap_or_else(|| panic!("the workload reported no number for {key:?}: {report:?}"))
}

fn progress(text: &str) {
    eprintln!("rinit-bench: {text}");
}

/// A process's context switches so far: each is a wake-up.
fn context_switches(pid: i32) -> u64 {
    let count = |name| status_number(pid, name).expect("context switch counts");
    count("voluntary_ctxt_switches") + count("nonvoluntary_ctxt_switches")
}

pub struct Bench<'a> {
    pub inits: &'a [Init],
    pub testkit: &'a str,
    pub plan: &'a Plan,
}

/// `program args...` as PID 1, with none of the caller's settings for the inits.
fn pid1(program: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = rinit_harness::as_pid1(program, args);
    scrub_init_env(&mut cmd);
    cmd
}

impl Bench<'_> {
    /// `INIT -- testkit WORKLOAD...` as PID 1.
    fn as_pid1(&self, init: &Init, workload: &[&str]) -> Running {
        let mut args = vec!["--", self.testkit];
        args.extend(workload);
        Running::start(pid1(&init.path.to_string_lossy(), &args))
    }

    /// Runs a workload to its end, checks the exit code, returns its report.
    fn run_workload(&self, init: &Init, workload: &[&str], limit: Duration) -> Vec<String> {
        let mut running = self.as_pid1(init, workload).with_safety_net(limit);
        running.close_stdin();
        let done = running.finish();
        let what = format!("{} -- testkit {}", init.name, workload.join(" "));
        assert_eq!(done.code, 0, "{what}: the exit code; {done:?}");
        done.stdout
    }

    pub fn run_all(&self) -> Results {
        let mut results = Results::default();
        self.binaries(&mut results);
        type Figure<'b> = fn(&Bench<'b>, &mut Results);
        let figures: [(&str, Figure); 5] = [
            ("startup", Bench::startup),
            ("idle", Bench::idle),
            ("signals", Bench::signals),
            ("reaping", Bench::reaping),
            ("drain", Bench::drain),
        ];
        for (name, figure) in figures {
            let only = self.plan.only.as_ref();
            if only.is_none_or(|only| only.iter().any(|o| o == name)) {
                figure(self, &mut results);
            }
        }
        results
    }

    /// Figure 1: wall time of `unshare ... INIT -- true` and of
    /// `unshare ... true`, many times, interleaved; the overhead is the
    /// difference of the medians.
    fn startup(&self, results: &mut Results) {
        let plan = self.plan;
        progress(&format!(
            "start-up: {} rounds x {} runs of each",
            plan.startup_rounds, plan.startup_per_round
        ));
        let n = self.inits.len() + 1; // the last one is plain `true`
        let mut samples = vec![Vec::new(); n];
        for round in 0..plan.startup_rounds {
            for _ in 0..plan.startup_per_round {
                for i in rotation(n, round) {
                    let (name, cmd) = match self.inits.get(i) {
                        Some(init) => (
                            &*init.name,
                            pid1(&init.path.to_string_lossy(), &["--", "true"]),
                        ),
                        None => ("plain", pid1("true", &[])),
                    };
                    let (code, wall) = run_timed(cmd, Duration::from_secs(10));
                    assert_eq!(code, 0, "start-up: {name} -- true: the exit code");
                    samples[i].push(wall.as_secs_f64() * 1e3);
                }
            }
        }
        let inits = &samples[..n - 1];
        results.true_ms = median(&samples[n - 1]);
        results.startup_ms = inits.iter().map(|s| median(s)).collect();
        results.startup_iqr_ms = inits.iter().map(|s| Spread::of(s).iqr()).collect();
        results.samples.startup = samples[0].len();
    }

    /// Figures 2 and 4: every init at once, each with an idle child; count
    /// each init's context switches over the window and read its VmHWM.
    fn idle(&self, results: &mut Results) {
        let plan = self.plan;
        progress(&format!(
            "idle and memory: {} rounds of {} s, all inits side by side",
            plan.idle_rounds, plan.idle_seconds
        ));
        let n = self.inits.len();
        let (mut wakeups, mut memory) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let limit = Duration::from_secs(plan.idle_seconds + 60);
        for round in 0..plan.idle_rounds {
            let mut runs = Vec::new();
            for i in rotation(n, round) {
                // sigecho sleeps in sigwaitinfo until stdin closes.
                let mut running = self
                    .as_pid1(&self.inits[i], &["sigecho"])
                    .with_safety_net(limit);
                running.expect("ready");
                let pid = running.rinit_pid();
                runs.push((i, running, pid, context_switches(pid)));
            }
            // The measurement window itself.
            std::thread::sleep(Duration::from_secs(plan.idle_seconds));
            for (i, _, pid, before) in &runs {
                wakeups[*i].push((context_switches(*pid) - before) as f64);
                memory[*i].push(status_number(*pid, "VmHWM").expect("VmHWM") as f64);
            }
            for (i, running, _, _) in runs {
                let done = running.finish();
                assert_eq!(
                    done.code, 0,
                    "idle: {}: the exit code; {done:?}",
                    self.inits[i].name
                );
            }
        }
        results.wakeups = wakeups.iter().map(|s| median(s)).collect();
        results.memory_kb = memory.iter().map(|s| median(s)).collect();
        results.idle_seconds = plan.idle_seconds;
        results.samples.idle = plan.idle_rounds;
    }

    /// Figure 3: file sizes, and whether each is static and stripped.
    fn binaries(&self, results: &mut Results) {
        for init in self.inits {
            let path = init.path.display();
            let bytes = std::fs::read(&init.path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let (is_static, stripped) =
                elf_facts(&bytes).unwrap_or_else(|| panic!("{path} is not a 64-bit ELF file"));
            results.binaries.push(Binary {
                bytes: bytes.len() as u64,
                is_static,
                stripped,
            });
        }
    }

    /// Figure 5: the ping-pong child; the workload measures the round trip
    /// and PID 1's CPU time (schedstat) across all its round trips.
    fn signals(&self, results: &mut Results) {
        let plan = self.plan;
        progress(&format!(
            "signal forwarding: {} rounds of {} round trips",
            plan.signal_rounds, plan.signal_count
        ));
        let n = self.inits.len();
        let (mut rtt, mut cpu) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let (count, warmup) = (
            plan.signal_count.to_string(),
            plan.signal_warmup.to_string(),
        );
        for round in 0..plan.signal_rounds {
            for i in rotation(n, round) {
                let workload = ["bench-pingpong", &count, &warmup];
                let lines = self.run_workload(&self.inits[i], &workload, Duration::from_secs(120));
                let report = parse_report(&lines);
                let done = field(&report, "roundtrips");
                assert_eq!(
                    done as usize, plan.signal_count,
                    "signals: {}: signals that came back",
                    self.inits[i].name
                );
                rtt[i].push(field(&report, "latency_median_ns") / 1e3);
                cpu[i].push(field(&report, "init_cpu_ns") / 1e3 / done);
            }
        }
        results.signal_rtt_us = rtt.iter().map(|s| median(s)).collect();
        results.signal_cpu = cpu.iter().map(|s| Spread::of(s)).collect();
        results.samples.signal = plan.signal_rounds;
    }

    /// Figure 6: N orphaned zombies handed to PID 1, `max_zombies` at a
    /// time, then one burst all at once; every one must be gone at the end.
    fn reaping(&self, results: &mut Results) {
        let plan = self.plan;
        let n = self.inits.len();
        let waves = plan
            .reap_counts
            .iter()
            .map(|&c| (c, plan.max_zombies.min(c), false));
        for (count, wave, burst) in waves.chain([(plan.burst, plan.burst, true)]) {
            let rounds = reap_rounds(plan.reap_rounds, count);
            progress(&format!(
                "reaping: {rounds} rounds of {count} orphans, {wave} at a time"
            ));
            let (mut cpu, mut wall, mut peak) = (
                vec![Vec::new(); n],
                vec![Vec::new(); n],
                vec![Vec::new(); n],
            );
            let args = [count.to_string(), wave.to_string()];
            for round in 0..rounds {
                for i in rotation(n, round) {
                    let workload = ["bench-orphans", &args[0], &args[1]];
                    let lines =
                        self.run_workload(&self.inits[i], &workload, Duration::from_secs(300));
                    let report = parse_report(&lines);
                    let got = ["orphans", "max_at_once", "reaped", "zombies_left"]
                        .map(|key| field(&report, key) as usize);
                    assert_eq!(
                        got,
                        [count, wave, count, 0],
                        "reaping: {}: orphans made (at most at once), reaped, zombies left",
                        self.inits[i].name
                    );
                    cpu[i].push(field(&report, "init_cpu_ns") / 1e3 / count as f64);
                    wall[i].push(field(&report, "reap_wall_ns") / 1e6);
                    peak[i].push(field(&report, "init_hwm_kb"));
                }
            }
            results.reap.push(ReapRow {
                count,
                at_once: wave,
                burst,
                cpu_per_orphan_us: cpu.iter().map(|s| Spread::of(s)).collect(),
                wall_ms: wall.iter().map(|s| median(s)).collect(),
                peak_kb: peak.iter().map(|s| median(s)).collect(),
            });
        }
        results.samples.reap = plan.reap_rounds;
    }

    /// Figure 7: SIGTERM from outside (as `docker stop` sends it) to an init
    /// whose child leads a fleet of processes that exit on SIGTERM; time to
    /// the namespace being gone, and how many fleet members exited on their
    /// own (rinit must let every one of them do so).
    fn drain(&self, results: &mut Results) {
        let plan = self.plan;
        let n = self.inits.len();
        // The counter files only ever live in memory.
        let scratch = Scratch::in_memory("bench");
        for own_groups in [true, false] {
            let mode = if own_groups { "own" } else { "group" };
            progress(&format!(
                "drain: {} rounds, {} processes ({mode} process groups)",
                plan.drain_rounds, plan.drain_count
            ));
            let (mut ms, mut graceful) = (vec![Vec::new(); n], vec![Vec::new(); n]);
            for round in 0..plan.drain_rounds {
                for i in rotation(n, round) {
                    let file = scratch.path(&format!("{mode}-{round}-{i}"));
                    std::fs::write(&file, [0u8; 8]).expect("the counter file");
                    let (took, exited) = self.drain_once(&self.inits[i], mode, &file);
                    if self.inits[i].name == "rinit" {
                        assert_eq!(
                            exited, plan.drain_count,
                            "drain: rinit let only some of the processes exit on SIGTERM"
                        );
                    }
                    ms[i].push(took.as_secs_f64() * 1e3);
                    graceful[i].push(exited as f64);
                }
            }
            results.drain.push(DrainRow {
                own_groups,
                count: plan.drain_count,
                ms: ms.iter().map(|s| median(s)).collect(),
                graceful: graceful.iter().map(|s| median(s)).collect(),
            });
        }
        results.samples.drain = plan.drain_rounds;
    }

    /// One drain: how long from SIGTERM to the end, and how many exited.
    fn drain_once(&self, init: &Init, mode: &str, file: &Path) -> (Duration, usize) {
        let count = self.plan.drain_count.to_string();
        let workload = ["bench-fleet", &count, mode, &file.to_string_lossy()];
        let mut running = self.as_pid1(init, &workload);
        running.expect("ready");
        let start = Instant::now();
        running.signal(libc::SIGTERM);
        let done = running.finish();
        assert_eq!(
            done.code, 0,
            "drain: {}: the exit code; {done:?}",
            init.name
        );
        let counter = std::fs::read(file).expect("the counter file");
        let counter = counter.get(..8).expect("a counter file of 8 bytes");
        let exited = u64::from_ne_bytes(counter.try_into().expect("8 bytes"));
        (done.ended - start, exited as usize)
    }
}

/// Whether a 64-bit ELF file is static (no PT_INTERP program header) and
/// stripped (no SHT_SYMTAB section). `None` if it is not such a file.
pub fn elf_facts(bytes: &[u8]) -> Option<(bool, bool)> {
    if bytes.get(..5)? != b"\x7fELF\x02" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    let (phoff, shoff) = (u64_at(0x20)? as usize, u64_at(0x28)? as usize);
    let (phentsize, phnum) = (u16_at(0x36)? as usize, u16_at(0x38)? as usize);
    let (shentsize, shnum) = (u16_at(0x3a)? as usize, u16_at(0x3c)? as usize);
    const PT_INTERP: u32 = 3;
    const SHT_SYMTAB: u32 = 2;
    let mut is_static = true;
    for i in 0..phnum {
        is_static &= u32_at(phoff + i * phentsize)? != PT_INTERP;
    }
    let mut stripped = true;
    for i in 0..shnum {
        stripped &= u32_at(shoff + i * shentsize + 4)? != SHT_SYMTAB;
    }
    Some((is_static, stripped))
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
    fn rotation_starts_each_round_elsewhere() {
        assert_eq!(rotation(3, 0).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(rotation(3, 4).collect::<Vec<_>>(), [1, 2, 0]);
    }

    #[test]
    fn reports_parse_into_numbers() {
        let lines = ["reaped 1000".to_owned(), "zombies_left 0".to_owned()];
        let report = parse_report(&lines);
        assert_eq!(field(&report, "reaped"), 1000.0);
        assert!(std::panic::catch_unwind(|| field(&report, "missing")).is_err());
    }

    #[test]
    fn this_test_binary_is_a_dynamic_elf_with_symbols() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(elf_facts(&exe), Some((false, false)));
        assert_eq!(elf_facts(b"#!/bin/sh\n"), None);
    }
}
