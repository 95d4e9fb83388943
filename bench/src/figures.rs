//! The seven figures. Each round runs every init once, in an order rotated
//! from round to round, so that drift (a warming cache, a busy neighbour)
//! lands on all of them alike. Every run is checked before its numbers count.

use crate::pid1::{self, Session};
use crate::{Init, Plan};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

/// Medians, one entry per init (in the order of `Bench::inits`).
#[derive(Debug, Default)]
pub struct Results {
    pub true_ms: f64,
    pub startup_ms: Vec<f64>,
    pub memory_kb: Vec<f64>,
    pub binaries: Vec<Binary>,
    pub wakeups: Vec<f64>,
    pub idle_seconds: u64,
    pub signal_rtt_us: Vec<f64>,
    pub signal_cpu_us: Vec<f64>,
    pub signal_cpu_iqr_us: Vec<f64>,
    /// p25 and p75 of the CPU per forwarded signal, for the chart.
    pub signal_cpu_quartiles: Vec<(f64, f64)>,
    /// Interquartile range of the `INIT -- true` wall times, ms.
    pub startup_iqr_ms: Vec<f64>,
    pub reap: Vec<ReapRow>,
    pub drain: Vec<DrainRow>,
    pub samples: Samples,
}

/// How many measurements each median stands on.
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

#[derive(Debug)]
pub struct ReapRow {
    pub count: usize,
    pub at_once: usize,
    /// The all-at-once row, beside the rows handed over in waves.
    pub burst: bool,
    /// Interquartile range of the CPU per orphan over the rounds, µs.
    pub cpu_iqr_us: Vec<f64>,
    pub cpu_quartiles: Vec<(f64, f64)>,
    pub cpu_per_orphan_us: Vec<f64>,
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

pub struct Bench<'a> {
    pub inits: &'a [Init],
    pub benchkit: &'a Path,
    pub plan: &'a Plan,
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

/// The spread of the middle half of the values: p75 - p25.
pub fn iqr(values: &[f64]) -> f64 {
    let (p25, p75) = quartiles(values);
    p75 - p25
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

/// `key value` lines from a workload.
fn parse_report(lines: &[String]) -> HashMap<String, String> {
    lines
        .iter()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn field(report: &HashMap<String, String>, key: &str) -> Result<f64, String> {
    report
        .get(key)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("the workload reported no number for {key:?}: {report:?}"))
}

fn progress(text: &str) {
    eprintln!("rinit-bench: {text}");
}

/// `/proc/PID/status` fields, as numbers (the `kB` unit dropped).
fn status_fields(pid: i32) -> Result<HashMap<String, u64>, String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter_map(|(k, v)| {
            let v = v.trim().trim_end_matches(" kB");
            v.parse().ok().map(|v| (k.to_owned(), v))
        })
        .collect())
}

fn context_switches(pid: i32) -> Result<u64, String> {
    let status = status_fields(pid)?;
    match (
        status.get("voluntary_ctxt_switches"),
        status.get("nonvoluntary_ctxt_switches"),
    ) {
        (Some(v), Some(n)) => Ok(v + n),
        _ => Err(format!("no context switch counts for pid {pid}")),
    }
}

impl Bench<'_> {
    fn as_pid1(&self, init: &Init, workload: &[&str]) -> std::process::Command {
        let mut args: Vec<OsString> = vec!["--".into(), self.benchkit.into()];
        args.extend(workload.iter().map(OsString::from));
        pid1::command(init.path.as_os_str(), &args)
    }

    /// Runs a workload to its end and checks the exit code.
    fn run_workload(
        &self,
        init: &Init,
        workload: &[&str],
        limit: Duration,
    ) -> Result<HashMap<String, String>, String> {
        let what = format!("{} -- benchkit {}", init.name, workload.join(" "));
        let mut session = Session::start(self.as_pid1(init, workload), limit)?;
        session.close_stdin();
        let (ended, lines, stderr) = session.finish()?;
        if ended.timed_out {
            return Err(format!(
                "{what}: still running after {limit:?}; stdout {lines:?}; stderr {stderr:?}"
            ));
        }
        if ended.code != 0 {
            return Err(format!(
                "{what}: exit code {} instead of 0; stdout {lines:?}; stderr {:?}",
                ended.code,
                stderr.trim()
            ));
        }
        Ok(parse_report(&lines))
    }

    pub fn run_all(&self) -> Result<Results, String> {
        let mut results = Results::default();
        self.binaries(&mut results)?;
        type Figure<'b> = fn(&Bench<'b>, &mut Results) -> Result<(), String>;
        let figures: [(&str, Figure); 5] = [
            ("startup", Bench::startup),
            ("idle", Bench::idle),
            ("signals", Bench::signals),
            ("reaping", Bench::reaping),
            ("drain", Bench::drain),
        ];
        for (name, figure) in figures {
            if self
                .plan
                .only
                .as_ref()
                .is_none_or(|only| only.iter().any(|o| o == name))
            {
                figure(self, &mut results)?;
            }
        }
        Ok(results)
    }

    /// Figure 1: wall time of `unshare ... INIT -- true` and of
    /// `unshare ... true`, many times, interleaved; the overhead is the
    /// difference of the medians.
    fn startup(&self, results: &mut Results) -> Result<(), String> {
        let plan = self.plan;
        progress(&format!(
            "start-up: {} rounds x {} runs of each",
            plan.startup_rounds, plan.startup_per_round
        ));
        let n = self.inits.len() + 1; // the last one is plain `true`
        let mut samples = vec![Vec::new(); n];
        let limit = Duration::from_secs(10);
        for round in 0..plan.startup_rounds {
            for _ in 0..plan.startup_per_round {
                for i in rotation(n, round) {
                    let cmd = match self.inits.get(i) {
                        Some(init) => {
                            pid1::command(init.path.as_os_str(), &["--".into(), "true".into()])
                        }
                        None => pid1::command("true".as_ref(), &[]),
                    };
                    let ended = pid1::run_silent(cmd, limit)?;
                    let name = self.inits.get(i).map_or("plain", |init| &init.name);
                    if ended.timed_out || ended.code != 0 {
                        return Err(format!(
                            "start-up: {name} -- true ended with code {} (timed out: {})",
                            ended.code, ended.timed_out
                        ));
                    }
                    samples[i].push(ended.wall.as_secs_f64() * 1e3);
                }
            }
        }
        results.true_ms = median(&samples[n - 1]);
        results.startup_ms = samples[..n - 1].iter().map(|s| median(s)).collect();
        results.startup_iqr_ms = samples[..n - 1].iter().map(|s| iqr(s)).collect();
        results.samples.startup = samples[0].len();
        Ok(())
    }

    /// Figures 2 and 4: every init at once, each with an idle child; count
    /// each init's context switches over the window and read its VmHWM.
    fn idle(&self, results: &mut Results) -> Result<(), String> {
        let plan = self.plan;
        progress(&format!(
            "idle and memory: {} rounds of {} s, all inits side by side",
            plan.idle_rounds, plan.idle_seconds
        ));
        let n = self.inits.len();
        let mut wakeups = vec![Vec::new(); n];
        let mut memory = vec![Vec::new(); n];
        let limit = Duration::from_secs(plan.idle_seconds + 60);
        for round in 0..plan.idle_rounds {
            let mut sessions: Vec<(usize, Session)> = Vec::new();
            for i in rotation(n, round) {
                let mut session = Session::start(self.as_pid1(&self.inits[i], &["idle"]), limit)?;
                session
                    .expect("ready")
                    .map_err(|e| format!("idle: {}: {e}", self.inits[i].name))?;
                sessions.push((i, session));
            }
            let pids: Vec<i32> = sessions
                .iter()
                .map(|(_, s)| s.init_pid())
                .collect::<Result<_, _>>()?;
            let before: Vec<u64> = pids
                .iter()
                .map(|&p| context_switches(p))
                .collect::<Result<_, _>>()?;
            std::thread::sleep(Duration::from_secs(plan.idle_seconds));
            for (k, (i, _)) in sessions.iter().enumerate() {
                let after = context_switches(pids[k])?;
                wakeups[*i].push((after - before[k]) as f64);
                let hwm = status_fields(pids[k])?
                    .get("VmHWM")
                    .copied()
                    .ok_or("no VmHWM")?;
                memory[*i].push(hwm as f64);
            }
            for (i, session) in sessions {
                let (ended, lines, stderr) = session.finish()?;
                if ended.timed_out || ended.code != 0 {
                    return Err(format!(
                        "idle: {} ended with code {} (timed out: {}); stdout {lines:?}; stderr {:?}",
                        self.inits[i].name,
                        ended.code,
                        ended.timed_out,
                        stderr.trim()
                    ));
                }
            }
        }
        results.wakeups = wakeups.iter().map(|s| median(s)).collect();
        results.memory_kb = memory.iter().map(|s| median(s)).collect();
        results.idle_seconds = plan.idle_seconds;
        results.samples.idle = plan.idle_rounds;
        Ok(())
    }

    /// Figure 3: file sizes, and whether each is static and stripped.
    fn binaries(&self, results: &mut Results) -> Result<(), String> {
        for init in self.inits {
            let bytes =
                std::fs::read(&init.path).map_err(|e| format!("{}: {e}", init.path.display()))?;
            let (is_static, stripped) = elf_facts(&bytes)
                .ok_or_else(|| format!("{} is not a 64-bit ELF file", init.path.display()))?;
            results.binaries.push(Binary {
                bytes: bytes.len() as u64,
                is_static,
                stripped,
            });
        }
        Ok(())
    }

    /// Figure 5: the ping-pong child; the workload measures the round trip
    /// and PID 1's CPU time (schedstat) across all its round trips.
    fn signals(&self, results: &mut Results) -> Result<(), String> {
        let plan = self.plan;
        progress(&format!(
            "signal forwarding: {} rounds of {} round trips",
            plan.signal_rounds, plan.signal_count
        ));
        let n = self.inits.len();
        let (mut rtt, mut cpu) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let count = plan.signal_count.to_string();
        let warmup = plan.signal_warmup.to_string();
        for round in 0..plan.signal_rounds {
            for i in rotation(n, round) {
                let report = self.run_workload(
                    &self.inits[i],
                    &["pingpong", &count, &warmup],
                    Duration::from_secs(120),
                )?;
                let done = field(&report, "roundtrips")? as usize;
                if done != plan.signal_count {
                    return Err(format!(
                        "signals: {}: {done} of {} signals came back",
                        self.inits[i].name, plan.signal_count
                    ));
                }
                rtt[i].push(field(&report, "latency_median_ns")? / 1e3);
                cpu[i].push(field(&report, "init_cpu_ns")? / 1e3 / done as f64);
            }
        }
        results.signal_rtt_us = rtt.iter().map(|s| median(s)).collect();
        results.signal_cpu_us = cpu.iter().map(|s| median(s)).collect();
        results.signal_cpu_iqr_us = cpu.iter().map(|s| iqr(s)).collect();
        results.signal_cpu_quartiles = cpu.iter().map(|s| quartiles(s)).collect();
        results.samples.signal = plan.signal_rounds;
        Ok(())
    }

    /// Figure 6: N orphaned zombies handed to PID 1, `max_zombies` at a
    /// time, then one burst all at once; every one must be gone at the end.
    fn reaping(&self, results: &mut Results) -> Result<(), String> {
        let plan = self.plan;
        let n = self.inits.len();
        let mut rows: Vec<(usize, usize, bool)> = plan
            .reap_counts
            .iter()
            .map(|&count| (count, plan.max_zombies.min(count), false))
            .collect();
        rows.push((plan.burst, plan.burst, true));
        for (count, wave, burst) in rows {
            progress(&format!(
                "reaping: {} rounds of {count} orphans, {wave} at a time",
                reap_rounds(plan.reap_rounds, count)
            ));
            let (mut cpu, mut wall, mut peak) = (
                vec![Vec::new(); n],
                vec![Vec::new(); n],
                vec![Vec::new(); n],
            );
            let args = [count.to_string(), wave.to_string()];
            let rounds = reap_rounds(plan.reap_rounds, count);
            for round in 0..rounds {
                for i in rotation(n, round) {
                    let name = &self.inits[i].name;
                    let report = self.run_workload(
                        &self.inits[i],
                        &["orphans", &args[0], &args[1]],
                        Duration::from_secs(300),
                    )?;
                    let reaped = field(&report, "reaped")? as usize;
                    let left = field(&report, "zombies_left")? as usize;
                    let made = field(&report, "orphans")? as usize;
                    let at_once = field(&report, "max_at_once")? as usize;
                    if made != count || reaped != count || left != 0 || at_once != wave {
                        return Err(format!(
                            "reaping: {name}: {made} orphans made ({at_once} at once), {reaped} \
                             reaped, {left} zombies left (wanted {count} ({wave}), {count}, 0)"
                        ));
                    }
                    cpu[i].push(field(&report, "init_cpu_ns")? / 1e3 / count as f64);
                    wall[i].push(field(&report, "reap_wall_ns")? / 1e6);
                    peak[i].push(field(&report, "init_hwm_kb")?);
                }
            }
            results.reap.push(ReapRow {
                count,
                at_once: wave,
                burst,
                cpu_iqr_us: cpu.iter().map(|s| iqr(s)).collect(),
                cpu_quartiles: cpu.iter().map(|s| quartiles(s)).collect(),
                cpu_per_orphan_us: cpu.iter().map(|s| median(s)).collect(),
                wall_ms: wall.iter().map(|s| median(s)).collect(),
                peak_kb: peak.iter().map(|s| median(s)).collect(),
            });
        }
        results.samples.reap = plan.reap_rounds;
        Ok(())
    }

    /// Figure 7: SIGTERM from outside (as `docker stop` sends it) to an init
    /// whose child leads a fleet of processes that exit on SIGTERM; time to
    /// the namespace being gone, and how many fleet members exited on their
    /// own (rinit must let every one of them do so).
    fn drain(&self, results: &mut Results) -> Result<(), String> {
        let plan = self.plan;
        let n = self.inits.len();
        // tmpfs where there is one: the counter file is only ever in memory.
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("rinit-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let outcome = (|| {
            for own_groups in [true, false] {
                let mode = if own_groups { "own" } else { "group" };
                progress(&format!(
                    "drain: {} rounds, {} processes ({mode} process groups)",
                    plan.drain_rounds, plan.drain_count
                ));
                let (mut ms, mut graceful) = (vec![Vec::new(); n], vec![Vec::new(); n]);
                for round in 0..plan.drain_rounds {
                    for i in rotation(n, round) {
                        let file = dir.join(format!("{mode}-{round}-{i}"));
                        std::fs::write(&file, [0u8; 8])
                            .map_err(|e| format!("{}: {e}", file.display()))?;
                        let (took, exited) = self.drain_once(&self.inits[i], mode, &file)?;
                        if self.inits[i].name == "rinit" && exited != plan.drain_count {
                            return Err(format!(
                                "drain: rinit let only {exited} of {} processes exit on SIGTERM",
                                plan.drain_count
                            ));
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
            Ok(())
        })();
        let _ = std::fs::remove_dir_all(&dir);
        results.samples.drain = plan.drain_rounds;
        outcome
    }

    fn drain_once(
        &self,
        init: &Init,
        mode: &str,
        file: &Path,
    ) -> Result<(Duration, usize), String> {
        let count = self.plan.drain_count.to_string();
        let file_text = file.to_string_lossy();
        let cmd = self.as_pid1(init, &["fleet", &count, mode, &file_text]);
        let mut session = Session::start(cmd, Duration::from_secs(60))?;
        session
            .expect("ready")
            .map_err(|e| format!("drain: {}: {e}", init.name))?;
        let target = session.init_pid()?;
        let start = Instant::now();
        // SAFETY: kill takes plain integers; the init is alive (its child just spoke).
        if unsafe { libc::kill(target, libc::SIGTERM) } != 0 {
            return Err(format!(
                "drain: kill {}: {}",
                init.name,
                std::io::Error::last_os_error()
            ));
        }
        let unshare = session.unshare_pid();
        let (ended, lines, stderr) = session.finish()?;
        if ended.timed_out || ended.code != 0 {
            return Err(format!(
                "drain: {} (unshare {unshare}) ended with code {} (timed out: {}); stdout {lines:?}; stderr {:?}",
                init.name,
                ended.code,
                ended.timed_out,
                stderr.trim()
            ));
        }
        let counter = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let exited = counter
            .get(..8)
            .map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes")))
            .ok_or_else(|| format!("{}: counter file truncated", file.display()))?
            as usize;
        Ok((ended.at - start, exited))
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
        if u32_at(phoff + i * phentsize)? == PT_INTERP {
            is_static = false;
        }
    }
    let mut stripped = true;
    for i in 0..shnum {
        if u32_at(shoff + i * shentsize + 4)? == SHT_SYMTAB {
            stripped = false;
        }
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
        assert_eq!(iqr(&[1.0, 2.0, 3.0, 4.0, 5.0]), 2.0);
        assert!(iqr(&[1.0, 2.0]).is_nan());
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
        assert_eq!(field(&report, "reaped"), Ok(1000.0));
        assert!(field(&report, "missing").is_err());
    }

    #[test]
    fn this_test_binary_is_a_dynamic_elf_with_symbols() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(elf_facts(&exe), Some((false, false)));
        assert_eq!(elf_facts(b"#!/bin/sh\n"), None);
    }
}
