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

mod figures;
mod report;

use std::path::{Path, PathBuf};

const USAGE: &str = "\
usage: rinit-bench [--quick] [--rinit PATH] [--testkit PATH] [--out DIR]
                   [--rounds N] [--idle-seconds S] [--max-zombies N]
                   [--also NAME=PATH]... [--only LIST]

  --quick           a smoke run (fewer rounds, 2 s idle window, orphans up to
                    10,000) that still checks every result
  --rinit PATH      rinit's static release build
                    [target/x86_64-unknown-linux-musl/release/rinit]
  --testkit PATH    the workload program [examples/testkit beside this program]
  --out DIR         also write DIR/results.md and DIR/per-unit.svg
  --rounds N        rounds of every figure (overrides the mode's default)
  --idle-seconds S  the idle window [10, or 2 with --quick]
  --max-zombies N   orphans handed to PID 1 at once for N = 1,000 to 100,000
                    [1000]; a separate row always hands over 10,000 at once
  --also NAME=PATH  also run this init (say, a candidate build of rinit)
                    beside the others; repeatable
  --only LIST       run only these figures, comma-separated, of: startup, idle
                    (memory and wake-ups), signals, reaping, drain (sizes are
                    always reported); for profiling, not for the README
";

/// The figures `--only` can pick.
const FIGURES: [&str; 5] = ["startup", "idle", "signals", "reaping", "drain"];

/// One contender.
#[derive(Clone, Debug)]
pub struct Init {
    pub name: String,
    /// tini, dumb-init or catatonit: counts for "the best peer". rinit and
    /// `--also` builds do not.
    pub peer: bool,
    pub path: PathBuf,
    pub version: String,
}

/// How much of everything to run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub quick: bool,
    pub startup_rounds: usize,
    pub startup_per_round: usize,
    pub idle_rounds: usize,
    pub idle_seconds: u64,
    pub signal_rounds: usize,
    pub signal_count: usize,
    pub signal_warmup: usize,
    pub reap_rounds: usize,
    /// Orphan counts, each handed over in waves of `max_zombies`.
    pub reap_counts: Vec<usize>,
    pub max_zombies: usize,
    /// One more row: this many orphans all at once (coalesced SIGCHLDs).
    pub burst: usize,
    pub drain_rounds: usize,
    pub drain_count: usize,
    /// Run only these figures (`--only`); all when `None`.
    pub only: Option<Vec<String>>,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        let (rounds, idle_rounds) = if quick { (3, 1) } else { (9, 3) };
        Plan {
            quick,
            startup_rounds: if quick { 10 } else { 30 },
            startup_per_round: if quick { 5 } else { 10 },
            idle_rounds,
            idle_seconds: if quick { 2 } else { 10 },
            signal_rounds: rounds,
            signal_count: 20_000,
            signal_warmup: 200,
            reap_rounds: if quick { 2 } else { 5 },
            reap_counts: if quick {
                vec![1_000, 10_000]
            } else {
                vec![1_000, 10_000, 100_000]
            },
            max_zombies: 1_000,
            burst: 10_000,
            drain_rounds: rounds,
            drain_count: 1_000,
            only: None,
        }
    }

    fn set_rounds(&mut self, rounds: usize) {
        self.startup_rounds = rounds;
        self.idle_rounds = rounds;
        self.signal_rounds = rounds;
        self.reap_rounds = rounds;
        self.drain_rounds = rounds;
    }
}

struct Options {
    plan: Plan,
    rinit: PathBuf,
    testkit: PathBuf,
    out: Option<PathBuf>,
    also: Vec<(String, PathBuf)>,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        plan: Plan::new(std::env::args().any(|a| a == "--quick")),
        rinit: PathBuf::from("target/x86_64-unknown-linux-musl/release/rinit"),
        testkit: std::env::current_exe()
            .map_err(|e| format!("cannot find this program: {e}"))?
            .with_file_name("examples/testkit"),
        out: None,
        also: Vec::new(),
    };
    let plan = &mut options.plan;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        let mut number = || -> Result<usize, String> {
            let n = value()?.parse().ok().filter(|&n| n > 0);
            n.ok_or(format!("{arg} needs a number above 0"))
        };
        match arg.as_str() {
            "--quick" => {}
            "--rinit" => options.rinit = value()?.into(),
            "--testkit" => options.testkit = value()?.into(),
            "--out" => options.out = Some(value()?.into()),
            "--rounds" => plan.set_rounds(number()?),
            "--idle-seconds" => plan.idle_seconds = number()? as u64,
            "--max-zombies" => plan.max_zombies = number()?,
            "--also" => {
                let spec = value()?;
                let (name, path) = spec.split_once('=').ok_or("--also needs NAME=PATH")?;
                options.also.push((name.to_owned(), PathBuf::from(path)));
            }
            "--only" => {
                let names: Vec<String> = value()?.split(',').map(str::to_owned).collect();
                if let Some(bad) = names.iter().find(|n| !FIGURES.contains(&n.as_str())) {
                    return Err(format!(
                        "--only: unknown figure {bad:?} (known: {FIGURES:?})"
                    ));
                }
                plan.only = Some(names);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A contender, with the first line it prints for `--version`, for the record.
fn init(name: &str, peer: bool, path: PathBuf) -> Init {
    let output = std::process::Command::new(&path)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output();
    let version = output.map_or("?".to_owned(), |out| {
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        text.lines().next().unwrap_or("?").trim().to_owned()
    });
    Init {
        name: name.to_owned(),
        peer,
        path,
        version,
    }
}

/// rinit first, then each peer found on PATH, then the `--also` builds; the
/// notes name the peers missing.
fn discover(options: &Options) -> Result<(Vec<Init>, Vec<String>), String> {
    let rinit = &options.rinit;
    if !is_executable(rinit) {
        return Err(format!(
            "rinit's static build {} is missing: build it with \
             `cargo build --release --target x86_64-unknown-linux-musl` (scripts/bench does)",
            rinit.display()
        ));
    }
    let rinit = rinit
        .canonicalize()
        .map_err(|e| format!("{}: {e}", rinit.display()))?;
    let mut inits = vec![init("rinit", false, rinit)];
    let mut notes = Vec::new();
    let peers: [&[&str]; 3] = [&["tini-static", "tini"], &["dumb-init"], &["catatonit"]];
    for names in peers {
        match names.iter().find_map(|n| Some((n, find_in_path(n)?))) {
            Some((name, path)) => inits.push(init(name, true, path)),
            None => notes.push(format!("{} not found on PATH: skipped", names.join(" or "))),
        }
    }
    for (name, path) in &options.also {
        if !is_executable(path) {
            return Err(format!(
                "--also {name}: {} is not executable",
                path.display()
            ));
        }
        inits.push(init(name, false, path.clone()));
    }
    Ok((inits, notes))
}

fn main() {
    let options = parse_options().unwrap_or_else(|e| {
        eprintln!("rinit-bench: {e}");
        std::process::exit(2);
    });
    // A run that fails a check panics, with what it saw; the harness kills
    // its namespace as the panic unwinds.
    match std::panic::catch_unwind(|| run(options)) {
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

fn run(options: Options) -> Result<(), String> {
    if !is_executable(&options.testkit) {
        return Err(format!(
            "the workload program {} is missing \
             (cargo build --profile measure --example testkit; scripts/bench does)",
            options.testkit.display()
        ));
    }
    if find_in_path("unshare").is_none() {
        return Err("unshare (util-linux) is not on PATH".into());
    }
    let (inits, notes) = discover(&options)?;
    let mut machine = report::Machine::describe();
    let plan = &options.plan;
    eprintln!("rinit-bench: {}", machine.line());
    if let Ok(load) = machine.load.parse::<f64>()
        && load > machine.cores as f64 / 2.0
    {
        eprintln!(
            "rinit-bench: warning: the machine is busy (1-minute load average {load} on {} cores): \
             expect noisy figures",
            machine.cores
        );
    }
    for init in &inits {
        eprintln!(
            "  {:<12} {} ({})",
            init.name,
            init.path.display(),
            init.version
        );
    }
    for note in &notes {
        eprintln!("  note: {note}");
    }
    let bench = figures::Bench {
        inits: &inits,
        testkit: &options.testkit.to_string_lossy(),
        plan,
    };
    let results = bench.run_all();
    machine.load = format!("{} before, {} after", machine.load, report::loadavg());
    let table = report::markdown(&machine, &inits, &notes, plan, &results);
    println!("{table}");
    if let Some(dir) = &options.out {
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        write(dir.join("results.md"), &table)?;
        write(
            dir.join("per-unit.svg"),
            &report::svg(&machine, &inits, &results),
        )?;
        eprintln!(
            "rinit-bench: wrote results.md and per-unit.svg in {}",
            dir.display()
        );
    }
    Ok(())
}
