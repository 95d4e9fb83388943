//! The results as a markdown table (with each peer's ratio to rinit and the
//! targets checked) and as an SVG bar chart of the per-unit costs, each with
//! the machine they were measured on.

use crate::figures::{ReapRow, Results, Spread};
use crate::{Init, Plan};
use std::fmt::Write;

/// What the figures were measured on, for the record.
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub date: String,
    /// The 1-minute load average before and after the run: the figures are
    /// only as quiet as the machine was.
    pub load: String,
}

/// The value of the first `name: value` line of a /proc file.
fn proc_value(file: &str, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

impl Machine {
    pub fn describe() -> Machine {
        let memory_kib = proc_value("/proc/meminfo", "MemTotal:")
            .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        Machine {
            cpu: proc_value("/proc/cpuinfo", "model name").unwrap_or("unknown CPU".into()),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or("?".to_owned(), |s| s.trim().to_owned()),
            date: format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}",
                rest / 3600,
                rest % 3600 / 60
            ),
            load: loadavg(),
        }
    }

    pub fn line(&self) -> String {
        format!(
            "{} UTC; {}, {} cores, {:.0} GiB, Linux {}",
            self.date, self.cpu, self.cores, self.memory_gib, self.kernel
        )
    }
}

/// The 1-minute load average.
pub fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().unwrap_or("?").to_owned()
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// well-known algorithm, written out from its description).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// "Flat": the per-orphan cost at the largest N within this factor of the smallest N's.
const FLAT_FACTOR: f64 = 1.25;
/// "Flat" memory: the peak at the largest N at most this many KiB above the smallest N's.
const FLAT_MEMORY_KB: f64 = 64.0;

struct Row {
    label: String,
    values: Vec<f64>,
    decimals: usize,
    /// Print peer/rinit after each peer's value.
    ratio: bool,
}

/// Reads one figure, per contender, off a reaping row.
type ReapFigure = fn(&ReapRow) -> Vec<f64>;

fn medians(spreads: &[Spread]) -> Vec<f64> {
    spreads.iter().map(|s| s.median).collect()
}

fn quartiles(spreads: &[Spread]) -> Vec<(f64, f64)> {
    spreads.iter().map(|s| (s.p25, s.p75)).collect()
}

fn row(label: String, values: Vec<f64>, decimals: usize, ratio: bool) -> Row {
    Row {
        label,
        values,
        decimals,
        ratio,
    }
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
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

fn number(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        return "n/a".into();
    }
    if decimals == 0 {
        return thousands(value.round().max(0.0) as u64);
    }
    format!("{value:.decimals$}")
}

fn rows(results: &Results) -> Vec<Row> {
    let mut rows = vec![
        row(
            format!(
                "1. Start-up overhead of `INIT -- true` over plain `true` ({:.2} ms), ms",
                results.true_ms
            ),
            results
                .startup_ms
                .iter()
                .map(|t| t - results.true_ms)
                .collect(),
            3,
            true,
        ),
        row(
            "2. Resident memory as PID 1 with a sleeping child (VmHWM), KiB".into(),
            results.memory_kb.clone(),
            0,
            true,
        ),
        row(
            "3. Binary size, bytes".into(),
            results.binaries.iter().map(|b| b.bytes as f64).collect(),
            0,
            true,
        ),
        row(
            format!(
                "4. Idle wake-ups of the init in {} s (context switches)",
                results.idle_seconds
            ),
            results.wakeups.clone(),
            0,
            false,
        ),
        row(
            "5. Signal round trip child → PID 1 → child (median), µs".into(),
            results.signal_rtt_us.clone(),
            1,
            true,
        ),
        row(
            "5. Init CPU per forwarded signal, µs".into(),
            medians(&results.signal_cpu),
            2,
            true,
        ),
    ];
    // Three figures per orphan count, each with its own unit and precision.
    let per_count: [(&str, &str, ReapFigure, usize); 3] = [
        (
            "Init CPU per reaped orphan, N =",
            "µs",
            |r| medians(&r.cpu_per_orphan_us),
            2,
        ),
        (
            "Time until no zombie is left, N =",
            "ms",
            |r| r.wall_ms.clone(),
            1,
        ),
        (
            "Init peak memory (VmHWM) after reaping N =",
            "KiB",
            |r| r.peak_kb.clone(),
            0,
        ),
    ];
    for (what, unit, figure, decimals) in per_count {
        for reap in &results.reap {
            rows.push(row(
                format!(
                    "6. {what} {}{}, {unit}",
                    thousands(reap.count as u64),
                    at_a_time(reap)
                ),
                figure(reap),
                decimals,
                true,
            ));
        }
    }
    for drain in &results.drain {
        let groups = if drain.own_groups {
            "each in its own process group"
        } else {
            "in the child's process group"
        };
        rows.push(row(
            format!(
                "7. Drain: SIGTERM to exit, {} processes {groups}, ms",
                thousands(drain.count as u64)
            ),
            drain.ms.clone(),
            1,
            true,
        ));
        rows.push(row(
            format!(
                "7. … of which exited on SIGTERM (the rest were SIGKILLed by the kernel), of {}",
                thousands(drain.count as u64)
            ),
            drain.graceful.clone(),
            0,
            false,
        ));
    }
    rows.retain(|r| !r.values.is_empty());
    rows
}

/// How the orphans were handed over: in waves, or all at once.
fn at_a_time(reap: &ReapRow) -> String {
    if reap.burst {
        " all at once".into()
    } else if reap.at_once < reap.count {
        format!(", {} at a time", thousands(reap.at_once as u64))
    } else {
        String::new()
    }
}

/// The best (lowest) value among the real peers, if any ran.
fn best_peer(values: &[f64], inits: &[Init]) -> Option<f64> {
    values
        .iter()
        .zip(inits)
        .filter(|(v, init)| init.peer && v.is_finite())
        .map(|(v, _)| *v)
        .reduce(f64::min)
}

/// Each target, met or not, with the numbers behind it.
fn targets(results: &Results, inits: &[Init]) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    // (what, rinit and peers, rinit's interquartile range, unit, decimals)
    let mut versus_peers = |what: String, values: &[f64], spread: f64, unit: &str, d: usize| {
        let Some(best) = best_peer(values, inits) else {
            return;
        };
        let spread = if spread.is_finite() {
            format!("; rinit's rounds spread {} {unit} (IQR)", number(spread, d))
        } else {
            String::new()
        };
        out.push((
            values[0] <= best,
            format!(
                "{what} at or below the best peer: rinit {} {unit}, best peer {} {unit} ({:+.1}%{spread})",
                number(values[0], d),
                number(best, d),
                (values[0] / best - 1.0) * 100.0
            ),
        ));
    };
    if !results.startup_ms.is_empty() {
        let overhead: Vec<f64> = results
            .startup_ms
            .iter()
            .map(|t| t - results.true_ms)
            .collect();
        versus_peers(
            "start-up overhead".into(),
            &overhead,
            results.startup_iqr_ms[0],
            "ms",
            3,
        );
    }
    if !results.memory_kb.is_empty() {
        versus_peers("memory".into(), &results.memory_kb, f64::NAN, "KiB", 0);
    }
    if let Some(rinit) = results.signal_cpu.first() {
        versus_peers(
            "CPU per forwarded signal".into(),
            &medians(&results.signal_cpu),
            rinit.iqr(),
            "µs",
            2,
        );
    }
    for reap in &results.reap {
        versus_peers(
            format!(
                "CPU per reaped orphan (N = {}{})",
                thousands(reap.count as u64),
                at_a_time(reap)
            ),
            &medians(&reap.cpu_per_orphan_us),
            reap.cpu_per_orphan_us[0].iqr(),
            "µs",
            2,
        );
    }
    if let Some(&wakeups) = results.wakeups.first() {
        out.push((
            wakeups == 0.0,
            format!(
                "no idle wake-ups: rinit {wakeups} in {} s",
                results.idle_seconds
            ),
        ));
    }
    if let Some(rinit) = results.binaries.first() {
        let size = rinit.bytes;
        if let Some(at) = inits.iter().position(|i| i.name == "tini-static") {
            let tini = results.binaries[at].bytes;
            // The budget: no larger than the binary Docker ships as docker-init.
            out.push((
                size <= tini,
                format!(
                    "no larger than tini-static: {} vs {} bytes",
                    thousands(size),
                    thousands(tini)
                ),
            ));
        }
    }
    let waves: Vec<_> = results.reap.iter().filter(|r| !r.burst).collect();
    if let (Some(first), Some(last)) = (waves.first(), waves.last())
        && first.count != last.count
    {
        let (a, b) = (
            first.cpu_per_orphan_us[0].median,
            last.cpu_per_orphan_us[0].median,
        );
        out.push((
            b <= a * FLAT_FACTOR,
            format!(
                "CPU per orphan flat from N = {} to {}: {a:.2} → {b:.2} µs (×{:.2}; flat means ≤ ×{FLAT_FACTOR})",
                thousands(first.count as u64),
                thousands(last.count as u64),
                b / a
            ),
        ));
        let (a, b) = (first.peak_kb[0], last.peak_kb[0]);
        out.push((
            b <= a + FLAT_MEMORY_KB,
            format!(
                "peak memory flat from N = {} to {}: {a:.0} → {b:.0} KiB (flat means ≤ +{FLAT_MEMORY_KB:.0} KiB)",
                thousands(first.count as u64),
                thousands(last.count as u64)
            ),
        ));
    }
    out
}

pub fn markdown(
    machine: &Machine,
    inits: &[Init],
    notes: &[String],
    plan: &Plan,
    results: &Results,
) -> String {
    let mut md = String::new();
    let mode = if plan.quick {
        "Quick run (`scripts/bench --quick`)"
    } else {
        "Full run (`scripts/bench`)"
    };
    let _ = writeln!(
        md,
        "Measured {} (1-minute load average {}).",
        machine.line(),
        machine.load
    );
    let _ = writeln!(
        md,
        "{mode}: medians of {} start-up runs, {} idle windows, {} ping-pong runs of {} signals, \
         {}/{}/{} reaping runs for N up to 1,000/10,000/more (orphans handed over {} at a time, \
         plus one all-at-once row), {} drain runs per row; contenders interleaved, their order \
         rotated each round.",
        results.samples.startup,
        results.samples.idle,
        results.samples.signal,
        thousands(plan.signal_count as u64),
        crate::figures::reap_rounds(results.samples.reap, 1_000),
        crate::figures::reap_rounds(results.samples.reap, 10_000),
        results.samples.reap,
        thousands(plan.max_zombies as u64),
        results.samples.drain,
    );
    let _ = writeln!(md);
    let _ = writeln!(md, "Contenders:");
    for (init, bin) in inits.iter().zip(&results.binaries) {
        let _ = writeln!(
            md,
            "- {}{}: `{}`, {}, {}{}",
            init.name,
            if init.peer || init.name == "rinit" {
                ""
            } else {
                " (extra build, not a peer)"
            },
            init.version,
            if bin.is_static { "static" } else { "dynamic" },
            if bin.stripped {
                "stripped"
            } else {
                "not stripped"
            },
            if bin.is_static {
                ""
            } else {
                " (its resident memory counts the shared C library pages it maps)"
            }
        );
    }
    for note in notes {
        let _ = writeln!(md, "- {note}");
    }
    let _ = writeln!(md);
    let _ = write!(md, "| Figure (median; lower is better) |");
    for init in inits {
        let _ = write!(md, " {} |", init.name);
    }
    let _ = writeln!(md);
    let _ = write!(md, "|---|");
    for _ in inits {
        let _ = write!(md, "---:|");
    }
    let _ = writeln!(md);
    for r in rows(results) {
        let _ = write!(md, "| {} |", r.label);
        for (i, &v) in r.values.iter().enumerate() {
            let base = r.values[0];
            if i > 0 && r.ratio && base > 0.0 && v.is_finite() {
                let _ = write!(md, " {} ({:.2}×) |", number(v, r.decimals), v / base);
            } else {
                let _ = write!(md, " {} |", number(v, r.decimals));
            }
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "(×) is the peer's figure divided by rinit's: above 1 means rinit does better."
    );
    let _ = writeln!(md);
    let _ = writeln!(md, "Targets for rinit:");
    for (met, text) in targets(results, inits) {
        let _ = writeln!(md, "- [{}] {text}", if met { "x" } else { " " });
    }
    md
}

const COLOURS: [&str; 6] = [
    "#d1495b", "#00798c", "#edae49", "#66a182", "#8d96a3", "#2e4057",
];

/// A step of 1, 2 or 5 times a power of ten giving about four grid lines.
fn grid_step(max: f64) -> f64 {
    let raw = (max / 4.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * power)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A group of bars: its label, one median per init, and each median's
/// quartiles (drawn as a whisker when known).
type Group = (String, Vec<f64>, Vec<(f64, f64)>);

/// One panel of grouped bars.
fn panel(svg: &mut String, x: f64, width: f64, title: &str, groups: &[Group], inits: usize) {
    let (top, height) = (70.0, 260.0);
    let max = groups
        .iter()
        .flat_map(|(_, v, q)| v.iter().copied().chain(q.iter().map(|q| q.1)))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let step = grid_step(max);
    let ceiling = (max / step).ceil().max(1.0) * step;
    let y_of = |v: f64| top + height - v / ceiling * height;
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="14" font-weight="bold" text-anchor="middle">{}</text>"#,
        x + width / 2.0,
        top - 22.0,
        escape(title)
    );
    let mut tick = 0.0;
    while tick <= ceiling + step / 2.0 {
        let y = y_of(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"##,
            x + width,
            x - 6.0,
            y + 4.0,
            trim_number(tick)
        );
        tick += step;
    }
    let group_width = width / groups.len() as f64;
    let bar = (group_width * 0.8) / inits as f64;
    for (g, (label, values, quartiles)) in groups.iter().enumerate() {
        let gx = x + g as f64 * group_width + group_width * 0.1;
        for (i, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let bx = gx + i as f64 * bar;
            let (cx, y) = (bx + bar * 0.45, y_of(v));
            let _ = writeln!(
                svg,
                r#"<rect x="{bx:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
                bar * 0.9,
                top + height - y,
                COLOURS[i % COLOURS.len()],
            );
            // The value sits above the bar, or above its whisker if taller.
            let mut label_y = y;
            if let Some(&(p25, p75)) = quartiles.get(i)
                && p25.is_finite()
                && p75.is_finite()
            {
                let (lo, hi) = (y_of(p25), y_of(p75));
                label_y = label_y.min(hi);
                let _ = writeln!(
                    svg,
                    r##"<path d="M{cx:.1} {lo:.1}V{hi:.1}M{:.1} {lo:.1}H{:.1}M{:.1} {hi:.1}H{:.1}" stroke="#222" stroke-width="1.2" fill="none"/>"##,
                    cx - 4.0,
                    cx + 4.0,
                    cx - 4.0,
                    cx + 4.0
                );
            }
            let _ = writeln!(
                svg,
                r#"<text x="{cx:.1}" y="{:.1}" font-size="10" text-anchor="middle">{v:.1}</text>"#,
                label_y - 3.0
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
            gx + group_width * 0.4,
            top + height + 18.0,
            escape(label)
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{x:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        top + height,
        x + width,
        top + height
    );
}

fn trim_number(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The chart of the per-unit costs: init CPU per forwarded signal, and per
/// reaped orphan at each N.
pub fn svg(machine: &Machine, inits: &[Init], results: &Results) -> String {
    let (width, height) = (960.0, 420.0);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, init) in inits.iter().enumerate() {
        let lx = 60.0 + i as f64 * 150.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="14" width="14" height="14" fill="{}"/><text x="{}" y="26" font-size="13">{}</text>"#,
            COLOURS[i % COLOURS.len()],
            lx + 20.0,
            escape(&init.name)
        );
    }
    panel(
        &mut svg,
        60.0,
        230.0,
        "Init CPU per forwarded signal (µs)",
        &[(
            "SIGUSR1 round trip".into(),
            medians(&results.signal_cpu),
            quartiles(&results.signal_cpu),
        )],
        inits.len(),
    );
    let groups: Vec<Group> = results
        .reap
        .iter()
        .map(|r| {
            let label = if r.burst {
                format!("{} at once", thousands(r.count as u64))
            } else {
                format!("N = {}", thousands(r.count as u64))
            };
            (
                label,
                medians(&r.cpu_per_orphan_us),
                quartiles(&r.cpu_per_orphan_us),
            )
        })
        .collect();
    if !groups.is_empty() {
        panel(
            &mut svg,
            380.0,
            550.0,
            "Init CPU per reaped orphan (µs)",
            &groups,
            inits.len(),
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" font-size="11" fill="#555" text-anchor="middle">medians, whiskers from the 25th to the 75th percentile of the rounds; lower is better; {}</text>"##,
        width / 2.0,
        height - 20.0,
        escape(&machine.line())
    );
    let _ = writeln!(svg, "</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(708_080), "708,080");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(number(4.256, 2), "4.26");
        assert_eq!(number(f64::NAN, 2), "n/a");
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn grid_steps_are_round() {
        assert_eq!(grid_step(8.0), 2.0);
        assert_eq!(grid_step(5.3), 2.0);
        assert_eq!(grid_step(40.0), 10.0);
        assert_eq!(grid_step(0.9), 0.5);
    }
}
