//! rinit-bench: runs rinit and its peers (tini, dumb-init, catatonit) as
//! PID 1 on the same workloads (`testkit bench-*`, the tests' workload
//! program), interleaved round by round, checks every run and prints the
//! medians side by side with each peer's ratio to rinit. It runs them the
//! way the tests do, through the rinit-harness crate.
//!
//! It installs nothing: a peer that is not on PATH is skipped with a note.
//! Any run that does not check out (an exit code, a lost signal, a zombie
//! left behind, a time limit) stops the benchmark with a non-zero exit, so
//! no figure is ever printed from a broken run.

mod cgroup;
mod docs;
mod figures;
mod report;
mod stats;

use std::path::{Path, PathBuf};

use clap::Parser;

/// The figures `--only` can pick.
const FIGURES: [&str; 5] = ["startup", "idle", "signals", "reaping", "drain"];

/// One contender, with the facts about its file.
#[derive(Clone, Debug)]
pub struct Init {
    pub name: String,
    /// tini, dumb-init or catatonit: counts for "the best peer". rinit and
    /// `--also` builds do not.
    pub peer: bool,
    pub path: PathBuf,
    /// The first line it prints for `--version`, for the record.
    pub version: String,
    pub bytes: usize,
    pub is_static: bool,
    pub stripped: bool,
}

/// What to run, and how much of it: the command line, one field a flag.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "rinit-bench",
    about = "Benchmarks rinit against tini, dumb-init and catatonit as PID 1"
)]
pub struct Plan {
    /// A smoke run (fewer rounds, 2 s idle window, orphans up to 10,000)
    /// that still checks every result
    #[arg(long)]
    pub quick: bool,
    /// rinit's amd64 release binary (scripts/release amd64)
    #[arg(
        long,
        value_name = "PATH",
        default_value = "target/x86_64-unknown-linux-musl/release/rinit"
    )]
    rinit: PathBuf,
    /// The workload program [default: examples/testkit beside this program]
    #[arg(long, value_name = "PATH")]
    testkit: Option<PathBuf>,
    /// Also write DIR/results.md and DIR/per-unit.svg
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Rounds of every figure (overrides the mode's default)
    #[arg(long, value_name = "N", value_parser = above_zero::<usize>)]
    pub rounds: Option<usize>,
    /// The idle window, in seconds [default: 10, or 2 with --quick]
    #[arg(long = "idle-seconds", value_name = "S", value_parser = above_zero::<u64>)]
    idle_seconds_given: Option<u64>,
    /// Orphans handed to PID 1 at once for N = 1,000 to 100,000; a separate
    /// row always hands over 10,000 at once
    #[arg(long, value_name = "N", default_value = "1000", value_parser = above_zero::<usize>)]
    pub max_zombies: usize,
    /// Also run this init (say, a candidate build of rinit) beside the
    /// others; repeatable
    #[arg(long, value_name = "NAME=PATH", value_parser = name_and_path)]
    also: Vec<(String, PathBuf)>,
    /// Run only these figures, comma-separated, of: startup, idle (memory
    /// and wake-ups), signals, reaping, drain (sizes are always reported);
    /// for profiling, not for the README
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = FIGURES)]
    pub only: Option<Vec<String>>,
    /// A diagnostic: run the signal ping-pong with PID 1 and its child under
    /// SCHED_FIFO, so that every signal finds PID 1 asleep (see
    /// docs/performance.md); not for the README
    #[arg(long)]
    pub signals_under_fifo: bool,
    /// Write the results into ROOT's docs/performance.md and README.md,
    /// between their rinit-bench markers (a full run of every figure: not
    /// with --quick, --only or --also)
    #[arg(
        long,
        value_name = "ROOT",
        conflicts_with_all = ["quick", "only", "also", "signals_under_fifo"]
    )]
    write_docs: Option<PathBuf>,
    /// Exit 1 if the figures written there disagree with this run's: sizes
    /// exactly, the rest beyond the noise
    #[arg(long, value_name = "ROOT", conflicts_with = "signals_under_fifo")]
    check_docs: Option<PathBuf>,
    /// Measure nothing: rewrite the README's table from the report in
    /// ROOT's docs/performance.md, and exit
    #[arg(long, value_name = "ROOT")]
    readme_from_report: Option<PathBuf>,
}

/// A number above 0, for the counts and durations.
fn above_zero<N: std::str::FromStr + Default + PartialOrd>(text: &str) -> Result<N, String> {
    let n = text.parse().ok().filter(|n| *n > N::default());
    n.ok_or_else(|| "a number above 0".to_owned())
}

fn name_and_path(spec: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = spec.split_once('=').ok_or("NAME=PATH")?;
    Ok((name.to_owned(), PathBuf::from(path)))
}

impl Plan {
    /// A figure's rounds: `--rounds`, or its default for a full or quick run.
    pub fn rounds(&self, full: usize, quick: usize) -> usize {
        self.rounds.unwrap_or(if self.quick { quick } else { full })
    }

    /// The idle window: `--idle-seconds`, or 10 (2 for a quick run).
    pub fn idle_seconds(&self) -> u64 {
        let default = if self.quick { 2 } else { 10 };
        self.idle_seconds_given.unwrap_or(default)
    }

    pub fn runs(&self, figure: &str) -> bool {
        let only = self.only.as_ref();
        only.is_none_or(|only| only.iter().any(|o| o == figure))
    }

    /// `--testkit`, or `examples/testkit` beside this program.
    fn testkit(&self) -> Result<PathBuf, String> {
        match &self.testkit {
            Some(path) => Ok(path.clone()),
            None => std::env::current_exe()
                .map(|exe| exe.with_file_name("examples/testkit"))
                .map_err(|e| format!("cannot find this program: {e}")),
        }
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let mut candidates = std::env::split_paths(&path).map(|dir| dir.join(name));
    candidates.find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path);
    meta.is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A contender: its `--version` line, and its file read for the size figure.
fn init(name: &str, peer: bool, path: PathBuf) -> Result<Init, String> {
    let shown = path.display();
    if !is_executable(&path) {
        return Err(format!("{name}: {shown} is not executable"));
    }
    let version = std::process::Command::new(&path).arg("--version").output();
    let version = version.map_or("?".to_owned(), |out| {
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        text.lines().next().unwrap_or("?").trim().to_owned()
    });
    let file = std::fs::read(&path).map_err(|e| format!("{shown}: {e}"))?;
    let (is_static, stripped) =
        elf_facts(&file).ok_or(format!("{shown} is not a 64-bit ELF file"))?;
    let (name, bytes) = (name.to_owned(), file.len());
    Ok(Init {
        name,
        peer,
        path,
        version,
        bytes,
        is_static,
        stripped,
    })
}

/// Whether a 64-bit ELF file is static (no PT_INTERP program header) and
/// stripped (no SHT_SYMTAB section). `None` if it is not such a file.
pub fn elf_facts(bytes: &[u8]) -> Option<(bool, bool)> {
    if bytes.get(..5)? != b"\x7fELF\x02" {
        return None;
    }
    let int = |at: usize, len: usize| {
        let mut le = [0u8; 8];
        le[..len].copy_from_slice(bytes.get(at..at + len)?);
        Some(u64::from_le_bytes(le) as usize)
    };
    // A table (from the header: its offset, its entries' size and number)
    // has no entry of this type (at this offset in an entry).
    let none_of = |table: usize, size: usize, count: usize, field: usize, kind: usize| {
        let (at, size, count) = (int(table, 8)?, int(size, 2)?, int(count, 2)?);
        let mut types = (0..count).map(|i| int(at + i * size + field, 4));
        types.try_fold(true, |none, t| Some(none && t? != kind))
    };
    const PT_INTERP: usize = 3;
    const SHT_SYMTAB: usize = 2;
    let is_static = none_of(0x20, 0x36, 0x38, 0, PT_INTERP)?;
    Some((is_static, none_of(0x28, 0x3a, 0x3c, 4, SHT_SYMTAB)?))
}

/// rinit first, then each peer found on PATH, then the `--also` builds; the
/// notes name the peers missing.
fn discover(plan: &Plan) -> Result<(Vec<Init>, Vec<String>), String> {
    let (mut found, mut notes) = (vec![("rinit", false, plan.rinit.clone())], Vec::new());
    for names in [&["tini-static", "tini"][..], &["dumb-init"], &["catatonit"]] {
        let mut on_path = names.iter().map(|&name| (name, find_in_path(name)));
        match on_path.find_map(|(name, path)| Some((name, path?))) {
            Some((name, path)) => found.push((name, true, path)),
            None => notes.push(format!("{} not found on PATH: skipped", names.join(" or "))),
        }
    }
    found.extend(
        plan.also
            .iter()
            .map(|(name, path)| (&**name, false, path.clone())),
    );
    let inits = found
        .into_iter()
        .map(|(name, peer, path)| init(name, peer, path));
    Ok((inits.collect::<Result<_, _>>()?, notes))
}

fn main() {
    let plan = Plan::parse();
    if let Some(root) = &plan.readme_from_report {
        if let Err(e) = docs::rewrite_readme(root) {
            eprintln!("rinit-bench: {e}");
            std::process::exit(2);
        }
        eprintln!("rinit-bench: rewrote the table in {}", docs::README);
        std::process::exit(0);
    }
    // A run that fails a check panics, with what it saw; the harness kills
    // its namespace as the panic unwinds.
    match std::panic::catch_unwind(|| run(plan)) {
        Ok(Ok(())) => {}
        outcome => {
            if let Ok(Err(e)) = outcome {
                eprintln!("rinit-bench: {e}");
            }
            eprintln!("\nrinit-bench: BROKEN RUN, no results written");
            std::process::exit(1);
        }
    }
}

fn run(plan: Plan) -> Result<(), String> {
    let testkit = plan.testkit()?;
    let rinit = (&plan.rinit, "scripts/release amd64");
    let testkit = (&testkit, "cargo build --profile measure --example testkit");
    for (path, how) in [rinit, testkit] {
        if !is_executable(path) {
            let built = format!("`{how}` (scripts/bench does)");
            return Err(format!("{} is missing: {built}", path.display()));
        }
    }
    if find_in_path("unshare").is_none() {
        return Err("unshare (util-linux) is not on PATH".into());
    }
    let (inits, notes) = discover(&plan)?;
    let (machine, load) = (report::machine(), report::loadavg());
    eprintln!("rinit-bench: {machine}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if load.parse().is_ok_and(|l: f64| l > cores as f64 / 2.0) {
        let busy = format!("1-minute load average {load} on {cores} cores");
        eprintln!("rinit-bench: warning: the machine is busy ({busy}): expect noisy figures");
    }
    for init in &inits {
        let (name, path, version) = (&init.name, init.path.display(), &init.version);
        eprintln!("  {name:<12} {path} ({version})");
    }
    notes.iter().for_each(|note| eprintln!("  note: {note}"));
    let (testkit, plan) = (testkit.0.to_string_lossy(), &plan);
    let bench = figures::Bench {
        inits: &inits,
        testkit: &testkit,
        plan,
    };
    let results = bench.run_all();
    let load = format!("{load} before, {} after", report::loadavg());
    let table = report::markdown(&machine, &load, &inits, &notes, plan, &results);
    println!("{table}");
    if let Some(root) = &plan.check_docs {
        let wrong = docs::check(root, &inits, plan, &results);
        if !wrong.is_empty() {
            let list: String = wrong.iter().map(|w| format!("\n  {w}")).collect();
            let fix = "a full `scripts/bench` rewrites them";
            eprintln!("rinit-bench: the documented figures disagree with this run:{list}\n{fix}");
            std::process::exit(1);
        }
        eprintln!("rinit-bench: the documented figures agree with this run");
    }
    if let Some(root) = &plan.write_docs {
        docs::write(root, &table)?;
        let files = format!("{} and {}", docs::PERFORMANCE, docs::README);
        eprintln!("rinit-bench: wrote the results into {files}");
    }
    let Some(dir) = &plan.out else { return Ok(()) };
    let svg = report::svg(&machine, &inits, &results);
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text);
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| write("results.md", &table))
        .and_then(|()| write("per-unit.svg", &svg));
    let dir = dir.display();
    written.map_err(|e| format!("{dir}: {e}"))?;
    eprintln!("rinit-bench: wrote results.md and per-unit.svg in {dir}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_test_binary_is_a_dynamic_elf_with_symbols() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(super::elf_facts(&exe), Some((false, false)));
        assert_eq!(super::elf_facts(b"#!/bin/sh\n"), None);
    }
}
