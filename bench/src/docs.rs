//! The benchmark's figures in the documentation. A full run writes them
//! between marker comments: its whole report in docs/performance.md, and
//! the README's short table, derived from that report (so the two cannot
//! disagree). Every run (the quick one in CI too) then checks the written
//! figures against its own: binary sizes exactly, the rest within the noise
//! of a shared machine (`tolerance`). A figure in those blocks is never
//! edited by hand.

use crate::figures::thousands;
use crate::figures::{Kind, Results};
use crate::{Init, Plan};
use std::path::Path;

pub const PERFORMANCE: &str = "docs/performance.md";
pub const README: &str = "README.md";

/// The markers around a written block; the text between them is replaced
/// whole.
fn markers(which: &str) -> (String, String) {
    (
        format!("<!-- rinit-bench: {which} (written by scripts/bench, not by hand) -->"),
        format!("<!-- rinit-bench: end of {which} -->"),
    )
}

/// The text between the markers of `which` in `text`.
pub fn block<'a>(text: &'a str, which: &str) -> Result<&'a str, String> {
    let (begin, end) = markers(which);
    let start = text.find(&begin).ok_or(format!("no marker {begin:?}"))? + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or(format!("no marker {end:?}"))?;
    Ok(text[start..start + stop].trim_matches('\n'))
}

/// `text` with the block of `which` replaced by `new`.
pub fn replace_block(text: &str, which: &str, new: &str) -> Result<String, String> {
    let old = block(text, which)?;
    let at = old.as_ptr() as usize - text.as_ptr() as usize;
    let new = new.trim_matches('\n');
    Ok(format!("{}{new}{}", &text[..at], &text[at + old.len()..]))
}

/// The figures table of a report: the contenders' names, and each row's
/// label with its cells.
#[derive(Debug, PartialEq)]
pub struct Table {
    pub names: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
    /// The contenders listed as dynamically linked.
    pub dynamic: Vec<String>,
    /// The targets' lines, without their "- [x] " or "- [ ] ", and whether
    /// each is met.
    pub targets: Vec<(bool, String)>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split(" | ").map(|c| c.trim().to_owned()).collect()
}

/// The table of a report that `report::markdown` wrote.
pub fn parse(report: &str) -> Result<Table, String> {
    let mut lines = report.lines().skip_while(|l| !l.starts_with("| Figure"));
    let head = lines.next().ok_or("no figures table")?;
    let names = cells(head).split_off(1);
    let body = lines.skip(1).take_while(|l| l.starts_with('|'));
    let rows = body.map(|l| {
        let mut cells = cells(l);
        let label = cells.remove(0);
        (label, cells)
    });
    let dynamic = report.lines().filter_map(|l| {
        let (name, facts) = l.strip_prefix("- ")?.split_once(": ")?;
        facts.contains(", dynamic,").then(|| name.to_owned())
    });
    let targets = report.lines().filter_map(|l| {
        let met = |t: &str| (true, t.to_owned());
        let unmet = |t: &str| (false, t.to_owned());
        let target = l.strip_prefix("- [x] ").map(met);
        target.or_else(|| l.strip_prefix("- [ ] ").map(unmet))
    });
    Ok(Table {
        names,
        rows: rows.collect(),
        dynamic: dynamic.collect(),
        targets: targets.collect(),
    })
}

/// A cell's figure: "1,120 (1.93×)" is 1120.
pub fn value(cell: &str) -> Option<f64> {
    let number = cell.split_whitespace().next()?.replace(',', "");
    number.parse().ok()
}

impl Table {
    fn row(&self, starts: &str) -> Option<&(String, Vec<String>)> {
        self.rows
            .iter()
            .find(|(label, _)| label.starts_with(starts))
    }
}

/// The README's table, from the report's table: (the row of the report it comes from, the README's label).
const README_ROWS: [(&str, &str); 7] = [
    ("1. ", "Start-up overhead of `INIT -- true`, ms"),
    ("2. ", "Resident memory as PID 1, KiB"),
    ("3. ", "Static binary, bytes"),
    ("4. ", "Idle wake-ups in # s"),
    ("5. Init CPU", "Init CPU per forwarded signal, µs"),
    (
        "6. Init CPU per reaped orphan, N = 1,000,",
        "Init CPU per reaped orphan (1,000), µs",
    ),
    (
        "7. … of which",
        "Of 1,000 processes left at exit, how many exited on SIGTERM",
    ),
];

pub fn readme_block(table: &Table) -> Result<String, String> {
    let names: String = table.names.iter().map(|n| format!(" {n} |")).collect();
    let align = "---:|".repeat(table.names.len());
    let mut md = format!("| Figure (lower is better) |{names}\n|---|{align}\n");
    for (from, label) in README_ROWS {
        let (source, cells) = table
            .row(from)
            .ok_or(format!("no row {from:?} in the report"))?;
        let label = match label.contains('#') {
            // The idle window's length, from the report's label.
            true => {
                let seconds = source
                    .split(" in ")
                    .nth(1)
                    .and_then(|s| s.split(' ').next());
                label.replace('#', seconds.unwrap_or("?"))
            }
            false => label.to_owned(),
        };
        md += &format!("| {label} |");
        for (name, cell) in table.names.iter().zip(cells) {
            let figure = cell.split(" (").next().unwrap_or(cell);
            let dynamic = from == "3. " && table.dynamic.contains(name);
            md += &format!(" {figure}{} |", if dynamic { " (dynamic)" } else { "" });
        }
        md.push('\n');
    }
    md += "\n";
    md += &targets_sentence(&table.targets);
    Ok(md)
}

/// The sentence under the README's table: how many targets the run met,
/// and which it did not.
fn targets_sentence(targets: &[(bool, String)]) -> String {
    let met = targets.iter().filter(|(met, _)| *met).count();
    let unmet: Vec<&str> = targets
        .iter()
        .filter(|(met, _)| !met)
        .map(|(_, line)| target_name(line))
        .collect();
    let all = format!(
        "In this run rinit meets {met} of the {} targets in docs/performance.md (met: no peer\n\
         measurably cheaper, each compared with rinit round by round)",
        targets.len()
    );
    match unmet.is_empty() {
        true => format!("{all}."),
        false => format!("{all}; not met: {}.", unmet.join(", ")),
    }
}

/// What a target line is about: "CPU per forwarded signal" of "CPU per
/// forwarded signal at the best peer: ...".
pub(crate) fn target_name(line: &str) -> &str {
    let ends = [
        " below the best peer",
        " at the best peer",
        " above the best peer",
        ":",
    ];
    let end = ends.iter().filter_map(|e| line.find(e)).min();
    &line[..end.unwrap_or(line.len())]
}

/// How far a fresh run's figure may be from the written one and still be
/// the same within the noise of a shared 2-core machine, where a quick run
/// moves absolute figures by up to half again (docs/performance.md): sizes
/// not at all; idle wake-ups by half a wake-up per second; the counts of
/// processes that exited on SIGTERM by a tenth of the 1,000 (rinit's only:
/// how many a peer's processes manage before the kernel kills them is a
/// race, when the peer signals them at all); memory by a quarter; CPU
/// times by a factor of 2.5; wall-clock times, which the other jobs of a
/// busy machine stretch most (a quick run beside a loaded build measured
/// reaping 2.6 times slower), by a factor of 4.
fn agrees(kind: Kind, init: usize, written: f64, fresh: f64, seconds: (f64, f64)) -> bool {
    let (written_s, fresh_s) = seconds;
    match kind {
        Kind::Size => written == fresh,
        Kind::Wakeups => (written / written_s - fresh / fresh_s).abs() <= 0.5,
        Kind::Graceful => init > 0 || (written - fresh).abs() <= 100.0,
        Kind::Memory | Kind::ReapPeak => (fresh / written - 1.0).abs() <= 0.25,
        Kind::SignalCpu | Kind::ReapCpu => fresh <= written * 2.5 && fresh * 2.5 >= written,
        _ => fresh <= written * 4.0 && fresh * 4.0 >= written,
    }
}

/// The label a row is matched by: the start-up row's label carries the
/// plain run's time, the idle row's its window.
fn key(label: &str) -> String {
    match label.split_once(" (").filter(|_| label.starts_with("1. ")) {
        Some((head, _)) => head.to_owned(),
        None if label.starts_with("4. ") => label.split(" in ").next().unwrap().to_owned(),
        None => label.to_owned(),
    }
}

/// Every disagreement between the written figures (the report in
/// docs/performance.md, and the README's block) and this run's.
pub fn check(root: &Path, inits: &[Init], plan: &Plan, results: &Results) -> Vec<String> {
    let mut wrong = Vec::new();
    let read =
        |file: &str| std::fs::read_to_string(root.join(file)).map_err(|e| format!("{file}: {e}"));
    let (performance, readme) = match (read(PERFORMANCE), read(README)) {
        (Ok(p), Ok(r)) => (p, r),
        (p, r) => return [p.err(), r.err()].into_iter().flatten().collect(),
    };
    let table = block(&performance, "results").and_then(parse);
    let table = match table {
        Ok(table) => table,
        Err(e) => return vec![format!("{PERFORMANCE}: {e}")],
    };
    match (readme_block(&table), block(&readme, "performance")) {
        (Ok(derived), Ok(written)) if derived == written => {}
        (Ok(_), Ok(_)) => wrong.push(format!("{README}: the table is not {PERFORMANCE}'s")),
        (Err(e), _) | (_, Err(e)) => wrong.push(format!("{README}: {e}")),
    }
    let seconds = |label: &str| {
        let after = label.split(" in ").nth(1)?;
        after.split(' ').next()?.parse::<f64>().ok()
    };
    for (i, row) in results.rows.iter().enumerate() {
        let label = row.label();
        // Two rows may share a label (the drain's counts): match the nth
        // with the nth.
        let nth = results.rows[..i]
            .iter()
            .filter(|r| key(&r.label()) == key(&label))
            .count();
        let mut same = table.rows.iter().filter(|(l, _)| key(l) == key(&label));
        let Some((written_label, cells)) = same.nth(nth) else {
            wrong.push(format!("{PERFORMANCE} has no row {label:?}"));
            continue;
        };
        let written_s = seconds(written_label).unwrap_or(1.0);
        let fresh_s = plan.idle_seconds() as f64;
        for (i, (init, fresh)) in inits.iter().zip(row.medians()).enumerate() {
            let Some(column) = table.names.iter().position(|n| *n == init.name) else {
                continue; // an `--also` build, or a peer the docs were written without
            };
            let written = cells.get(column).and_then(|c| value(c));
            let seconds = (written_s, fresh_s);
            let ok = written.is_some_and(|w| agrees(row.kind, i, w, fresh, seconds));
            if !ok && (fresh.is_finite() || written.is_some()) {
                let written = cells.get(column).map_or("nothing", |c| c.as_str());
                let (unit, decimals) = row.kind.unit();
                let fresh = match decimals {
                    0 => thousands(fresh.round().max(0.0) as usize),
                    d => format!("{fresh:.d$}"),
                };
                let name = &init.name;
                wrong.push(format!(
                    "{label}, {name}: written {written}, measured {fresh} {unit}"
                ));
            }
        }
    }
    wrong
}

/// Rewrites the README's table from the report written in
/// docs/performance.md, measuring nothing (after a change to how it is
/// derived).
pub fn rewrite_readme(root: &Path) -> Result<(), String> {
    let performance = std::fs::read_to_string(root.join(PERFORMANCE));
    let performance = performance.map_err(|e| format!("{PERFORMANCE}: {e}"))?;
    let report = block(&performance, "results")?.to_owned();
    let text = readme_block(&parse(&report)?)?;
    let path = root.join(README);
    let old = std::fs::read_to_string(&path).map_err(|e| format!("{README}: {e}"))?;
    let new = replace_block(&old, "performance", &text)?;
    std::fs::write(&path, new).map_err(|e| format!("{README}: {e}"))
}

/// Writes this run's report into docs/performance.md and the table derived
/// from it into the README.
pub fn write(root: &Path, report: &str) -> Result<(), String> {
    let table = parse(report)?;
    for (file, which, text) in [
        (PERFORMANCE, "results", report.to_owned()),
        (README, "performance", readme_block(&table)?),
    ] {
        let path = root.join(file);
        let old = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        let new = replace_block(&old, which, &text).map_err(|e| format!("{file}: {e}"))?;
        std::fs::write(&path, new).map_err(|e| format!("{file}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository(file: &str) -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        std::fs::read_to_string(root.join(file)).unwrap()
    }

    /// The README's figures are docs/performance.md's, as the benchmark
    /// derives them: a hand edit of either shows here.
    #[test]
    fn the_readme_table_is_derived_from_the_written_report() {
        let table = parse(block(&repository(PERFORMANCE), "results").unwrap()).unwrap();
        assert!(table.rows.len() >= 7, "{table:?}");
        let readme = repository(README);
        assert_eq!(
            block(&readme, "performance").unwrap(),
            readme_block(&table).unwrap()
        );
    }

    #[test]
    fn blocks_are_replaced_whole() {
        let (begin, end) = markers("x");
        let text = format!("a\n{begin}\nold\nlines\n{end}\nb\n");
        let new = replace_block(&text, "x", "new\n").unwrap();
        assert_eq!(new, format!("a\n{begin}\nnew\n{end}\nb\n"));
        assert_eq!(block(&new, "x").unwrap(), "new");
        assert!(block("no markers", "x").is_err());
    }

    /// The table of paired ratios under the figures is not read as figures.
    #[test]
    fn only_the_figures_table_is_parsed() {
        let report = "- dumb-init: `v1`, dynamic, stripped\n\n\
            | Figure (median; lower is better) | rinit | dumb-init |\n|---|---:|---:|\n\
            | 5. Init CPU per forwarded signal, µs | 1.44 | 1.30 (0.90×) |\n\n\
            (×) is the peer's median divided by rinit's.\n\n\
            | Paired ratio, peer/rinit (above 1: rinit cheaper) | dumb-init |\n|---|---:|\n\
            | 5. Init CPU per forwarded signal, µs | 0.91 (0.87-0.93) |\n";
        let table = parse(report).unwrap();
        assert_eq!(table.names, ["rinit", "dumb-init"]);
        let label = "5. Init CPU per forwarded signal, µs";
        assert_eq!(
            table.rows,
            [(
                label.to_owned(),
                vec!["1.44".to_owned(), "1.30 (0.90×)".to_owned()]
            )]
        );
        assert_eq!(table.dynamic, ["dumb-init"]);
    }

    /// The sentence under the README's table counts the report's targets
    /// and names the ones not met.
    #[test]
    fn the_readme_sentence_counts_the_targets() {
        let target = |met: bool, line: &str| (met, line.to_owned());
        let targets = [
            target(
                true,
                "start-up overhead below the best peer round by round (x): y",
            ),
            target(
                false,
                "CPU per forwarded signal above the best peer, beyond (x): y",
            ),
            target(
                true,
                "CPU per reaped orphan (N = 1,000) at the best peer: no (x): y",
            ),
            target(false, "no idle wake-ups: rinit 1 in 10 s"),
        ];
        assert_eq!(
            targets_sentence(&targets),
            "In this run rinit meets 2 of the 4 targets in docs/performance.md (met: no peer\n\
             measurably cheaper, each compared with rinit round by round); not met: CPU per forwarded signal, no idle \
             wake-ups."
        );
        assert!(targets_sentence(&targets[..1]).ends_with("round by round)."));
        let table = Table {
            names: vec!["rinit".into(), "dumb-init".into()],
            rows: README_ROWS
                .map(|(from, _)| (format!("{from}x"), vec!["1".into(), "2".into()]))
                .to_vec(),
            dynamic: vec![],
            targets: targets.to_vec(),
        };
        let block = readme_block(&table).unwrap();
        assert!(block.ends_with(&targets_sentence(&targets)), "{block}");
    }

    #[test]
    fn figures_agree_within_the_noise_and_sizes_exactly() {
        let one = (1.0, 1.0);
        assert!(agrees(Kind::Size, 0, 704_432.0, 704_432.0, one));
        assert!(!agrees(Kind::Size, 0, 702_352.0, 704_432.0, one));
        assert!(!agrees(Kind::Size, 1, 708_080.0, 708_088.0, one));
        assert!(agrees(Kind::Wakeups, 1, 10.0, 2.0, (10.0, 2.0)));
        assert!(!agrees(Kind::Wakeups, 0, 0.0, 2.0, (10.0, 2.0)));
        assert!(agrees(Kind::Startup, 0, 0.350, 1.2, one));
        assert!(!agrees(Kind::Startup, 0, 0.350, 1.5, one));
        assert!(agrees(Kind::ReapCpu, 0, 2.5, 6.0, one));
        assert!(!agrees(Kind::ReapCpu, 0, 2.5, 7.0, one));
        assert!(!agrees(Kind::Graceful, 0, 1_000.0, 0.0, one));
        assert!(agrees(Kind::Graceful, 2, 43.0, 1_000.0, one));
        assert_eq!(value("1,120 (1.93×)"), Some(1120.0));
        assert_eq!(value("n/a"), None);
    }
}
