//! The results as a markdown table (with each peer's ratio to rinit and the
//! targets checked) and as an SVG bar chart of the per-unit costs, each with
//! the machine they were measured on.

use crate::figures::{Kind, Orphans, Results, Row, Spread, thousands};
use crate::stats::{LEVEL, Paired, decimals, shared_level};
use crate::{Init, Plan};

/// "Flat": rinit's per-orphan cost grows from the smallest N to the largest
/// by at most this factor beyond the peers' median growth.
const FLAT_FACTOR: f64 = 1.25;
/// "Flat" memory: the peak at the largest N at most this many KiB above the smallest N's.
const FLAT_MEMORY_KB: f64 = 64.0;

/// The first `name: value` line of a /proc file, its value.
fn proc_value(file: &str, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

/// What the figures were measured on, for the record: when (UTC), the CPU,
/// cores, memory and kernel.
pub fn machine() -> String {
    use std::process::Command;
    let read = |file| std::fs::read_to_string(file).unwrap_or("?".into());
    let memory = proc_value("/proc/meminfo", "MemTotal").unwrap_or_default();
    let gib = memory.trim_end_matches("kB").trim().parse().unwrap_or(0.0) / 1024.0 / 1024.0;
    let date = Command::new("date").args(["-u", "+%F %H:%M"]).output();
    let date = String::from_utf8(date.map_or(Vec::new(), |d| d.stdout));
    let cpu = proc_value("/proc/cpuinfo", "model name").unwrap_or("unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let (date, kernel) = (date.unwrap_or_default(), read("/proc/sys/kernel/osrelease"));
    let (date, kernel) = (date.trim(), kernel.trim());
    format!("{date} UTC; {cpu}, {cores} cores, {gib:.0} GiB, Linux {kernel}")
}

/// The 1-minute load average: the figures are only as quiet as the machine was.
pub fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().unwrap_or("?").to_owned()
}

fn number(value: f64, decimals: usize) -> String {
    match (value.is_nan(), decimals) {
        (true, _) => "n/a".into(),
        (false, 0) => thousands(value.round().max(0.0) as usize),
        (false, _) => format!("{value:.decimals$}"),
    }
}

/// rinit's figure (its median) in the row of this kind and these orphans.
fn rinit(results: &Results, kind: Kind, orphans: Option<Orphans>) -> Option<f64> {
    let mut rows = results.rows.iter().filter(|r| r.kind == kind);
    Some(rows.find(|r| r.orphans == orphans)?.medians()[0])
}

/// The median, over the peers, of each one's CPU per orphan in the `last`
/// row over the `first`; `None` without a peer in both.
fn peers_growth(results: &Results, inits: &[Init], first: Orphans, last: Orphans) -> Option<f64> {
    let row = |o: Orphans| {
        let mut rows = results.rows.iter().filter(|r| r.kind == Kind::ReapCpu);
        rows.find(|r| r.orphans == Some(o)).map(Row::medians)
    };
    let (a, b) = (row(first)?, row(last)?);
    let growths: Vec<f64> = (0..inits.len())
        .filter(|&i| inits[i].peer && a[i] > 0.0 && b[i].is_finite())
        .map(|i| b[i] / a[i])
        .collect();
    (!growths.is_empty()).then(|| crate::figures::median(&growths))
}

/// Contender i against rinit, round by round: the start-up overhead, a
/// small difference beside each run's noise, by difference.
fn paired(row: &Row, i: usize, level: f64) -> Paired {
    let (samples, rinit) = (&row.samples[i], &row.samples[0]);
    match row.kind {
        Kind::Startup => Paired::by_difference(samples, rinit, level),
        _ => Paired::of(samples, rinit, level),
    }
}

/// Where rinit stands against the best peer. With rounds enough, the
/// interval of the paired ratio decides (the medians of interleaved rounds
/// can come from different rounds, and disagree with what each round saw);
/// with too few for one, the medians do.
/// Ordered from worst for rinit to best.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    /// Dearer: the interval lies wholly below 1, or (too few rounds)
    /// rinit's median is above the peer's.
    Above,
    /// The rounds cannot tell the two apart: the interval contains 1.
    Unresolved,
    /// Cheaper: the interval lies wholly above 1, or (too few rounds)
    /// rinit's median is at or below the peer's.
    Below,
}

impl Standing {
    fn of(rinit: f64, peer: f64, paired: &Paired) -> Standing {
        match paired.interval {
            Some(_) if paired.unresolved() => Standing::Unresolved,
            Some((lo, _)) if lo > 1.0 => Standing::Below,
            Some(_) => Standing::Above,
            None if rinit <= peer => Standing::Below,
            None => Standing::Above,
        }
    }

    fn met(self) -> bool {
        self != Standing::Above
    }
}

/// The peer rinit fares worst against (the best peer): among the peers the
/// rounds give an interval for, the worst standing (a peer cheaper beyond
/// the noise before one the rounds cannot tell apart), then the lowest
/// paired ratio; else the lowest median. `None` without a peer. The worst
/// of several comparisons is picked, so each interval is shared out among
/// them (`shared_level`). Returns the peer, its paired ratio and rinit's
/// standing against it.
fn best_peer(row: &Row, inits: &[Init], medians: &[f64]) -> Option<(usize, Paired, Standing)> {
    let peers: Vec<usize> = (0..inits.len())
        .filter(|&i| inits[i].peer && medians[i].is_finite())
        .collect();
    let level = shared_level(peers.len());
    let judged: Vec<(usize, Paired, Standing)> = peers
        .iter()
        .map(|&i| {
            let paired = paired(row, i, level);
            (i, paired, Standing::of(medians[0], medians[i], &paired))
        })
        .collect();
    let by_rounds = judged
        .iter()
        .filter(|(_, p, _)| p.interval.is_some())
        .min_by(|a, b| a.2.cmp(&b.2).then(a.1.ratio.total_cmp(&b.1.ratio)));
    let by_medians = || {
        judged
            .iter()
            .min_by(|a, b| medians[a.0].total_cmp(&medians[b.0]))
    };
    by_rounds.or_else(by_medians).copied()
}

/// Each target, met or not, with the numbers behind it.
fn targets(results: &Results, inits: &[Init], plan: &Plan) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for row in &results.rows {
        // rinit at or below the best peer.
        let what = match row.kind {
            Kind::Startup => "start-up overhead".to_owned(),
            Kind::Memory => "memory".to_owned(),
            Kind::SignalCpu => "CPU per forwarded signal".to_owned(),
            Kind::ReapCpu => format!("CPU per reaped orphan ({})", row.detail),
            _ => continue,
        };
        let (values, (unit, d)) = (row.medians(), row.kind.unit());
        let Some((best, paired, standing)) = best_peer(row, inits, &values) else {
            continue;
        };
        let ratio = format!("paired ratio {}", paired.text());
        let verdict = match standing {
            Standing::Below if paired.interval.is_some() => {
                format!("below the best peer round by round ({ratio})")
            }
            Standing::Below => format!("below the best peer by the medians ({ratio})"),
            Standing::Unresolved => {
                format!("at the best peer: no difference this run can resolve ({ratio})")
            }
            Standing::Above if paired.interval.is_some() => {
                format!("above the best peer, beyond what this run can resolve ({ratio})")
            }
            Standing::Above => format!("above the best peer by the medians ({ratio})"),
        };
        let (rinit, peer) = (number(values[0], d), number(values[best], d));
        let change = format!("{:+.1}%", (values[0] / values[best] - 1.0) * 100.0);
        let name = &inits[best].name;
        let figures = format!("rinit {rinit} {unit}, best peer {name} {peer} {unit} ({change})");
        out.push((standing.met(), format!("{what} {verdict}: {figures}")));
    }
    if let Some(wakeups) = rinit(results, Kind::Wakeups, None) {
        let seconds = plan.idle_seconds();
        let text = format!("no idle wake-ups: rinit {wakeups} in {seconds} s");
        out.push((wakeups == 0.0, text));
    }
    // The size budget: no larger than the binary Docker ships as docker-init.
    if let Some(tini) = inits.iter().find(|i| i.name == "tini-static") {
        let (size, tini) = (inits[0].bytes, tini.bytes);
        let (a, b) = (thousands(size), thousands(tini));
        let text = format!("no larger than tini-static: {a} vs {b} bytes");
        out.push((size <= tini, text));
    }
    let cpu = results.rows.iter().filter(|r| r.kind == Kind::ReapCpu);
    let waves: Vec<Orphans> = cpu.filter_map(|r| r.orphans.filter(|o| !o.burst)).collect();
    if let (Some(&first), Some(&last)) = (waves.first(), waves.last())
        && first.count != last.count
    {
        let (n, m) = (thousands(first.count), thousands(last.count));
        let [a, b] = [first, last].map(|o| rinit(results, Kind::ReapCpu, Some(o)).unwrap());
        // The rows ran minutes apart, and the kernel's own cost per orphan
        // moves with the machine: rinit's growth counts beyond the peers'
        // (which keep nothing per orphan either).
        let peers = peers_growth(results, inits, first, last);
        let beyond = (b / a) / peers.unwrap_or(1.0);
        let flat = match peers {
            Some(g) => format!(
                "(×{:.2}, the peers ×{g:.2}: ×{beyond:.2} beyond them; flat means ≤ ×{FLAT_FACTOR})",
                b / a
            ),
            None => format!("(×{:.2}; flat means ≤ ×{FLAT_FACTOR})", b / a),
        };
        let text = format!("CPU per orphan flat from N = {n} to {m}: {a:.2} → {b:.2} µs {flat}");
        out.push((beyond <= FLAT_FACTOR, text));
        let [a, b] = [first, last].map(|o| rinit(results, Kind::ReapPeak, Some(o)).unwrap());
        let flat = format!("(flat means ≤ +{FLAT_MEMORY_KB:.0} KiB)");
        let text = format!("peak memory flat from N = {n} to {m}: {a:.0} → {b:.0} KiB {flat}");
        out.push((b <= a + FLAT_MEMORY_KB, text));
    }
    out
}

pub fn markdown(
    machine: &str,
    load: &str,
    inits: &[Init],
    notes: &[String],
    plan: &Plan,
    results: &Results,
) -> String {
    let mode = match plan.quick {
        true => "Quick run (`scripts/bench --quick`)",
        false => "Full run (`scripts/bench`)",
    };
    let method = results.method.join(", ");
    let rotated = "contenders interleaved, their order rotated each round";
    let mut md = format!("Measured {machine} (1-minute load average {load}).\n");
    md += &format!("{mode}: medians of {method}; {rotated}.\n\nContenders:\n");
    for init in inits {
        let extra = (!init.peer && init.name != "rinit").then_some(" (extra build, not a peer)");
        let linked = if init.is_static { "static" } else { "dynamic" };
        let not = if init.stripped { "" } else { "not " };
        let shared = " (its resident memory counts the shared C library pages it maps)";
        let shared = if init.is_static { "" } else { shared };
        let (name, version, extra) = (&init.name, &init.version, extra.unwrap_or_default());
        md += &format!("- {name}{extra}: `{version}`, {linked}, {not}stripped{shared}\n");
    }
    notes.iter().for_each(|note| md += &format!("- {note}\n"));
    let names: String = inits.iter().map(|i| format!(" {} |", i.name)).collect();
    let align = "---:|".repeat(inits.len());
    md += &format!("\n| Figure (median; lower is better) |{names}\n|---|{align}\n");
    for row in &results.rows {
        let (values, (unit, decimals)) = (row.medians(), row.kind.unit());
        md += &format!("| {} |", row.label());
        for (i, &v) in values.iter().enumerate() {
            let value = number(v, decimals);
            // Counts (no unit) get no ratio.
            md += &match i > 0 && !unit.is_empty() && values[0] > 0.0 && v.is_finite() {
                true => format!(" {value} ({:.2}×) |", v / values[0]),
                false => format!(" {value} |"),
            };
        }
        md.push('\n');
    }
    md += "\n(×) is the peer's median divided by rinit's: above 1 means rinit does better.\n";
    md += &paired_table(inits, results);
    md += "\nTargets for rinit:\n";
    for (met, text) in targets(results, inits, plan) {
        md += &format!("- [{}] {text}\n", if met { "x" } else { " " });
    }
    md
}

/// Each peer against rinit round by round, for every row measured in
/// rounds with a unit: the median of the per-round ratios peer/rinit, and
/// its confidence interval.
fn paired_table(inits: &[Init], results: &Results) -> String {
    if inits.len() < 2 {
        return String::new();
    }
    let level = (LEVEL * 100.0).round();
    let targets_level = (shared_level(inits.len() - 1) * 1000.0).round() / 10.0;
    let rows = results.rows.iter().filter(|r| {
        let unpaired = r.kind.unit().0.is_empty() || r.kind == Kind::Size;
        !unpaired && r.samples.first().is_some_and(|s| !s.is_empty())
    });
    let names: String = inits[1..]
        .iter()
        .map(|i| format!(" {} |", i.name))
        .collect();
    let align = "---:|".repeat(inits.len() - 1);
    let mut md = "\nRound by round: each peer's figure divided by rinit's in the same round \
                  (the two ran side by side; for start-up, 1 plus their difference over \
                  rinit's median), the median of those ratios and, in brackets, its "
        .to_owned();
    md += &format!(
        "{level}% confidence interval (distribution-free; none under 6 rounds). \
         An interval that holds 1 is a difference this run cannot resolve. The targets \
         judge the best peer, the worst of the {} comparisons, at {targets_level}%: \
         a wider interval.\n\n",
        inits.len() - 1
    );
    md += &format!("| Paired ratio, peer/rinit (above 1: rinit cheaper) |{names}\n|---|{align}\n");
    for row in rows {
        md += &format!("| {} |", row.label());
        for i in 1..row.samples.len() {
            let paired = paired(row, i, LEVEL);
            let ratio = format!("{:.2}", paired.ratio);
            md += &match paired.interval {
                Some((lo, hi)) => format!(" {ratio} ({}-{}) |", decimals(lo), decimals(hi)),
                None => format!(" {ratio} |"),
            };
        }
        md.push('\n');
    }
    md
}

const COLOURS: [&str; 6] = [
    "#d1495b", "#00798c", "#edae49", "#66a182", "#8d96a3", "#2e4057",
];

/// The chart's frame, and the look of its texts by class.
const HEAD: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="960" height="420" viewBox="0 0 960 420">
<style>text { font: 12px sans-serif; text-anchor: middle } .key { font-size: 13px; text-anchor: start }
.title { font-size: 14px; font-weight: bold } .tick { font-size: 11px; text-anchor: end }
.value { font-size: 10px } .note { font-size: 11px; fill: #555 }</style>
<rect width="100%" height="100%" fill="white"/>"##;

/// A step of 1, 2 or 5 times a power of ten giving about four grid lines.
fn grid_step(max: f64) -> f64 {
    let raw = (max / 4.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    let mut steps = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power);
    steps.find(|&s| s >= raw).unwrap_or(10.0 * power)
}

fn text(x: f64, y: f64, class: &str, words: &str) -> String {
    let words = words.replace('&', "&amp;").replace('<', "&lt;");
    format!(r#"<text x="{x:.1}" y="{y:.1}" class="{class}">{words}</text>"#)
}

fn rect(x: f64, y: f64, width: f64, height: f64, fill: &str) -> String {
    let size = format!(r#"width="{width:.1}" height="{height:.1}""#);
    format!(r#"<rect x="{x:.1}" y="{y:.1}" {size} fill="{fill}"/>"#)
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, colour: &str) -> String {
    let ends = format!(r#"x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}""#);
    format!(r#"<line {ends} stroke="{colour}"/>"#)
}

fn colour(i: usize) -> &'static str {
    COLOURS[i % COLOURS.len()]
}

/// The chart of the per-unit costs: init CPU per forwarded signal, and per
/// reaped orphan at each N, in two panels of grouped bars (one bar per
/// init, with a whisker from its rounds' 25th to 75th percentile).
pub fn svg(machine: &str, inits: &[Init], results: &Results) -> String {
    let (top, bottom) = (70.0, 330.0);
    let mut svg = vec![HEAD.to_owned()];
    for (i, init) in inits.iter().enumerate() {
        let x = 60.0 + i as f64 * 150.0;
        let key = text(x + 20.0, 26.0, "key", &init.name);
        svg.push(rect(x, 14.0, 14.0, 14.0, colour(i)) + &key);
    }
    let groups = |kind| -> Vec<(String, Vec<Spread>)> {
        let rows = results.rows.iter().filter(|r: &&Row| r.kind == kind);
        let label = |row: &Row| match row.orphans {
            None => "SIGUSR1 round trip".into(),
            Some(o) if o.burst => format!("{} at once", thousands(o.count)),
            Some(o) => format!("N = {}", thousands(o.count)),
        };
        rows.map(|r| (label(r), r.spreads())).collect()
    };
    let signals = (
        "Init CPU per forwarded signal (µs)",
        groups(Kind::SignalCpu),
    );
    let orphans = ("Init CPU per reaped orphan (µs)", groups(Kind::ReapCpu));
    for (x, span, (title, groups)) in [(60.0, 230.0, signals), (380.0, 550.0, orphans)] {
        if groups.is_empty() {
            continue;
        }
        // f64::max passes over the NaN quartiles of short runs.
        let all = groups.iter().flat_map(|(_, spreads)| spreads);
        let max = all.flat_map(|s| [s.median, s.p75]).fold(0.0, f64::max);
        let step = grid_step(max);
        let ceiling = (max / step).ceil().max(1.0) * step;
        let y_of = |v: f64| bottom - v / ceiling * (bottom - top);
        svg.push(text(x + span / 2.0, top - 22.0, "title", title));
        let ticks = (0..).map(|k| k as f64 * step);
        for tick in ticks.take_while(|&t| t <= ceiling + step / 2.0) {
            let (y, label) = (y_of(tick), format!("{tick:.2}"));
            let label = label.trim_end_matches('0').trim_end_matches('.');
            svg.push(line(x, y, x + span, y, "#ddd") + &text(x - 6.0, y + 4.0, "tick", label));
        }
        let width = span / groups.len() as f64;
        let bar = width * 0.8 / inits.len() as f64;
        for (g, (label, spreads)) in groups.iter().enumerate() {
            let gx = x + g as f64 * width + width * 0.1;
            for (i, s) in spreads.iter().enumerate() {
                let (bx, y) = (gx + i as f64 * bar, y_of(s.median));
                svg.push(rect(bx, y, bar * 0.9, bottom - y, colour(i)));
                let (cx, lo, hi) = (bx + bar * 0.45, y_of(s.p25), y_of(s.p75));
                if s.iqr().is_finite() {
                    // A whisker: a vertical line and a short cap at each end.
                    let cap = |y: f64| format!("M{:.1} {y:.1}h8", cx - 4.0);
                    let d = format!("M{cx:.1} {lo:.1}V{hi:.1}{}{}", cap(lo), cap(hi));
                    let style = r##"stroke="#222" stroke-width="1.2" fill="none""##;
                    svg.push(format!(r#"<path d="{d}" {style}/>"#));
                }
                // The value sits above the bar, or above its whisker if taller.
                let value = format!("{:.1}", s.median);
                svg.push(text(cx, y.min(hi) - 3.0, "value", &value));
            }
            svg.push(text(gx + width * 0.4, bottom + 18.0, "", label));
        }
        svg.push(line(x, bottom, x + span, bottom, "#333"));
    }
    let note =
        "medians, whiskers from the 25th to the 75th percentile of the rounds; lower is better";
    svg.push(text(480.0, 400.0, "note", &format!("{note}; {machine}")));
    svg.push("</svg>\n".into());
    svg.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn contender(name: &str, peer: bool) -> Init {
        Init {
            name: name.into(),
            peer,
            path: name.into(),
            version: String::new(),
            bytes: 1,
            is_static: true,
            stripped: true,
        }
    }

    /// The target line of a CPU-per-signal row with these rounds, rinit's
    /// first. Whatever the verdict, the README's sentence must be able to
    /// name the target from the line (`docs::target_name`).
    fn signal_target(samples: Vec<Vec<f64>>) -> (bool, String) {
        let mut inits = vec![contender("rinit", false)];
        inits.extend(["tini", "dumb-init", "catatonit"].map(|n| contender(n, true)));
        inits.push(contender("candidate", false));
        let mut results = Results::default();
        results.rows.push(Row {
            kind: Kind::SignalCpu,
            detail: String::new(),
            orphans: None,
            samples,
        });
        let plan = Plan::parse_from(["rinit-bench"]);
        let (met, line) = targets(&results, &inits, &plan).remove(0);
        assert_eq!(crate::docs::target_name(&line), "CPU per forwarded signal");
        (met, line)
    }

    #[test]
    fn targets_compare_with_the_peer_rinit_fares_worst_against_round_by_round() {
        let rinit = vec![1.00, 1.10, 1.20, 1.30, 1.40, 1.50, 1.60];
        let times = |factors: [f64; 7]| -> Vec<f64> {
            rinit.iter().zip(factors).map(|(r, f)| r * f).collect()
        };
        // tini is cheaper by 1-5% in every round: beyond the noise.
        let tini = times([0.99, 0.98, 0.97, 0.96, 0.95, 0.99, 0.98]);
        // dumb-init has the lowest median, 12% below rinit's, but is dearer
        // than rinit in 4 rounds of 7: the rounds cannot tell them apart.
        let dumb = times([0.80, 1.02, 0.81, 1.01, 0.82, 1.03, 1.04]);
        // catatonit is dearer in every round.
        let (high, candidate) = (vec![9.0; 7], vec![0.1; 7]);
        // tini wins round by round, whatever dumb-init's median says; the
        // candidate (not a peer) is never the best peer.
        let all = vec![
            rinit.clone(),
            tini,
            dumb.clone(),
            high.clone(),
            candidate.clone(),
        ];
        let (met, line) = signal_target(all);
        assert!(!met, "{line}");
        assert_eq!(
            line,
            "CPU per forwarded signal above the best peer, beyond what this run can resolve \
             (paired ratio 0.98, 98.3% CI 0.95-0.99): rinit 1.30 µs, best peer tini 1.25 µs \
             (+4.2%)"
        );
        // Without tini's rounds: dumb-init, with the lowest median, cannot
        // be told apart from rinit round by round.
        let (met, line) = signal_target(vec![
            rinit.clone(),
            high.clone(),
            dumb,
            high.clone(),
            candidate.clone(),
        ]);
        assert!(met, "{line}");
        assert_eq!(
            line,
            "CPU per forwarded signal at the best peer: no difference this run can resolve \
             (paired ratio 1.01, 98.3% CI 0.80-1.04): rinit 1.30 µs, best peer dumb-init 1.15 µs \
             (+13.2%)"
        );
        // Dearer peers only: below round by round.
        let (met, line) = signal_target(vec![rinit, high.clone(), high.clone(), high, candidate]);
        assert!(met, "{line}");
        assert!(
            line.contains("below the best peer round by round"),
            "{line}"
        );
        // Too few rounds for an interval: the medians decide.
        let (met, line) = signal_target(vec![
            vec![1.0; 3],
            vec![1.1; 3],
            vec![0.9; 3],
            vec![1.2; 3],
            vec![0.1; 3],
        ]);
        assert!(!met, "{line}");
        assert!(
            line.starts_with("CPU per forwarded signal above the best peer by the medians"),
            "{line}"
        );
    }

    /// A peer cheaper in every round by a little outweighs one with the
    /// lowest paired ratio whose rounds cannot be told from rinit's.
    #[test]
    fn the_best_peer_is_the_worst_standing_then_the_lowest_ratio() {
        let mut erratic = vec![0.7; 4];
        erratic.extend([1.2; 3]);
        let rounds = |v: f64| vec![v; 7];
        let (met, line) = signal_target(vec![
            rounds(1.0),
            erratic,
            rounds(0.95),
            rounds(2.0),
            rounds(0.1),
        ]);
        assert!(!met, "{line}");
        assert!(line.contains("best peer dumb-init"), "{line}");
    }

    /// Against the worst of three peers, an interval at 95% would read a
    /// difference the rounds do not show one time in 13: 16 rounds of 21
    /// cheaper by 5% and 5 dearer is "above" at 95% but not at 98.3%.
    #[test]
    fn the_best_peers_interval_is_shared_out_among_the_peers() {
        let mut tini = vec![0.95; 16];
        tini.extend([1.05; 5]);
        let rounds = |v: f64| vec![v; 21];
        let (met, line) = signal_target(vec![
            rounds(1.0),
            tini,
            rounds(2.0),
            rounds(2.0),
            rounds(0.1),
        ]);
        assert!(met, "{line}");
        assert!(
            line.contains("at the best peer: no difference this run can resolve (paired ratio 0.95, 98.3% CI 0.95-1.05)"),
            "{line}"
        );
    }

    /// CPU per orphan is flat when rinit grows no more than the peers do
    /// from the smallest N to the largest (the machine moves all alike).
    #[test]
    fn flat_counts_growth_beyond_the_peers() {
        let inits = vec![
            contender("rinit", false),
            contender("tini", true),
            contender("dumb-init", true),
        ];
        let flat = |rinit: f64, peers: f64| {
            let mut results = Results::default();
            for count in [1_000, 100_000] {
                // 2 µs at the smallest N, grown by `g` at the largest.
                let cost = |g: f64| vec![if count == 1_000 { 2.0 } else { 2.0 * g }; 3];
                let orphans = Some(Orphans {
                    count,
                    wave: 1_000,
                    burst: false,
                });
                let row = |kind, samples| Row {
                    kind,
                    detail: String::new(),
                    orphans,
                    samples,
                };
                let cpu = vec![cost(rinit), cost(peers), cost(peers)];
                results.rows.push(row(Kind::ReapCpu, cpu));
                results
                    .rows
                    .push(row(Kind::ReapPeak, vec![vec![500.0; 3]; 3]));
            }
            let plan = Plan::parse_from(["rinit-bench"]);
            let out = targets(&results, &inits, &plan);
            out.into_iter()
                .find(|(_, t)| t.starts_with("CPU per orphan flat"))
                .unwrap()
        };
        let (met, line) = flat(1.34, 1.29);
        assert!(met, "{line}");
        assert!(
            line.contains("(×1.34, the peers ×1.29: ×1.04 beyond them"),
            "{line}"
        );
        let (met, line) = flat(1.34, 1.0);
        assert!(!met, "{line}");
    }

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
    fn standings_go_by_the_paired_interval_then_by_the_medians() {
        let paired = |interval| Paired {
            ratio: 1.0,
            interval,
            level: LEVEL,
        };
        let (below, above) = (paired(Some((1.02, 1.10))), paired(Some((0.90, 0.98))));
        let (holds_one, too_few) = (paired(Some((0.95, 1.03))), paired(None));
        // The interval decides, whatever the medians say.
        assert_eq!(Standing::of(1.0, 1.1, &above), Standing::Above);
        assert_eq!(Standing::of(1.1, 1.0, &below), Standing::Below);
        assert_eq!(Standing::of(1.1, 1.0, &holds_one), Standing::Unresolved);
        assert_eq!(Standing::of(1.0, 1.1, &holds_one), Standing::Unresolved);
        // Without one, the medians.
        assert_eq!(Standing::of(1.1, 1.1, &too_few), Standing::Below);
        assert_eq!(Standing::of(1.1, 1.0, &too_few), Standing::Above);
        assert!(Standing::Below.met() && Standing::Unresolved.met() && !Standing::Above.met());
        // An interval that ends at 1 still holds it.
        assert!(paired(Some((0.9, 1.0))).unresolved());
    }

    #[test]
    fn grid_steps_are_round() {
        assert_eq!(grid_step(8.0), 2.0);
        assert_eq!(grid_step(5.3), 2.0);
        assert_eq!(grid_step(40.0), 10.0);
        assert_eq!(grid_step(0.9), 0.5);
    }
}
