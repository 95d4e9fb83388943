//! rinit-bench: runs rinit and its peers (tini, dumb-init, catatonit) as
//! PID 1 on the same workloads, interleaved round by round, checks every run
//! and prints the medians side by side with each peer's ratio to rinit.
//!
//! It installs nothing: a peer that is not on PATH is skipped with a note.
//! Any run that does not check out (an exit code, a lost signal, a zombie
//! left behind, a time limit) stops the benchmark with a non-zero exit, so
//! no figure is ever printed from a broken run.

mod figures;
mod machine;
mod pid1;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: rinit-bench [--quick] [--rinit PATH] [--benchkit PATH] [--out DIR]
                   [--rounds N] [--idle-seconds S] [--max-zombies N]
                   [--also NAME=PATH]... [--only LIST]

  --quick           a smoke run (fewer rounds, 2 s idle window, orphans up to
                    10,000) that still checks every result
  --rinit PATH      rinit's static release build
                    [target/x86_64-unknown-linux-musl/release/rinit]
  --benchkit PATH   the workload program [benchkit beside this program]
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
        if quick {
            Plan {
                quick,
                startup_rounds: 10,
                startup_per_round: 5,
                idle_rounds: 1,
                idle_seconds: 2,
                signal_rounds: 3,
                signal_count: 20_000,
                signal_warmup: 200,
                reap_rounds: 2,
                reap_counts: vec![1_000, 10_000],
                max_zombies: 1_000,
                burst: 10_000,
                drain_rounds: 3,
                drain_count: 1_000,
                only: None,
            }
        } else {
            Plan {
                quick,
                startup_rounds: 30,
                startup_per_round: 10,
                idle_rounds: 3,
                idle_seconds: 10,
                signal_rounds: 9,
                signal_count: 20_000,
                signal_warmup: 200,
                reap_rounds: 5,
                reap_counts: vec![1_000, 10_000, 100_000],
                max_zombies: 1_000,
                burst: 10_000,
                drain_rounds: 9,
                drain_count: 1_000,
                only: None,
            }
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
    benchkit: PathBuf,
    out: Option<PathBuf>,
    also: Vec<(String, PathBuf)>,
}

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut quick = false;
    let mut rinit = PathBuf::from("target/x86_64-unknown-linux-musl/release/rinit");
    let mut benchkit = None;
    let mut out = None;
    let mut rounds = None;
    let mut idle_seconds = None;
    let mut max_zombies = None;
    let mut only = None;
    let mut also = Vec::new();
    let number = |name: &str, value: Option<String>| -> Result<usize, String> {
        value
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{name} needs a number above 0"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--rinit" => rinit = args.next().ok_or("--rinit needs a path")?.into(),
            "--benchkit" => benchkit = Some(args.next().ok_or("--benchkit needs a path")?.into()),
            "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a path")?)),
            "--rounds" => rounds = Some(number("--rounds", args.next())?),
            "--idle-seconds" => idle_seconds = Some(number("--idle-seconds", args.next())?),
            "--max-zombies" => max_zombies = Some(number("--max-zombies", args.next())?),
            "--also" => {
                let spec = args.next().ok_or("--also needs NAME=PATH")?;
                let (name, path) = spec.split_once('=').ok_or("--also needs NAME=PATH")?;
                also.push((name.to_owned(), PathBuf::from(path)));
            }
            "--only" => {
                let list = args.next().ok_or("--only needs a list")?;
                let names: Vec<String> = list.split(',').map(str::to_owned).collect();
                if let Some(bad) = names.iter().find(|n| !FIGURES.contains(&n.as_str())) {
                    return Err(format!(
                        "--only: unknown figure {bad:?} (known: {FIGURES:?})"
                    ));
                }
                only = Some(names);
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let mut plan = Plan::new(quick);
    if let Some(rounds) = rounds {
        plan.set_rounds(rounds);
    }
    if let Some(seconds) = idle_seconds {
        plan.idle_seconds = seconds as u64;
    }
    if let Some(max) = max_zombies {
        plan.max_zombies = max;
    }
    plan.only = only;
    let benchkit = match benchkit {
        Some(path) => path,
        None => std::env::current_exe()
            .map_err(|e| format!("cannot find this program: {e}"))?
            .with_file_name("benchkit"),
    };
    Ok(Options {
        plan,
        rinit,
        benchkit,
        out,
        also,
    })
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

/// The first line an init prints for `--version`, for the record.
fn version_of(path: &Path) -> String {
    let output = std::process::Command::new(path)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output();
    match output {
        Ok(out) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            text.lines().next().unwrap_or("?").trim().to_owned()
        }
        Err(_) => "?".to_owned(),
    }
}

/// rinit first, then each peer found on PATH; the notes name the missing.
fn discover(rinit: &Path) -> Result<(Vec<Init>, Vec<String>), String> {
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
    let mut inits = vec![Init {
        name: "rinit".into(),
        peer: false,
        version: version_of(&rinit),
        path: rinit,
    }];
    let mut notes = Vec::new();
    let peers: [&[&str]; 3] = [&["tini-static", "tini"], &["dumb-init"], &["catatonit"]];
    for names in peers {
        match names.iter().find_map(|n| find_in_path(n).map(|p| (n, p))) {
            Some((name, path)) => inits.push(Init {
                name: (*name).into(),
                peer: true,
                version: version_of(&path),
                path,
            }),
            None => notes.push(format!("{} not found on PATH: skipped", names.join(" or "))),
        }
    }
    Ok((inits, notes))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("rinit-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nrinit-bench: BROKEN RUN, no results written: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: Options) -> Result<(), String> {
    if !is_executable(&options.benchkit) {
        return Err(format!(
            "the workload program {} is missing (cargo build --release in bench/)",
            options.benchkit.display()
        ));
    }
    if find_in_path("unshare").is_none() {
        return Err("unshare (util-linux) is not on PATH".into());
    }
    let (mut inits, notes) = discover(&options.rinit)?;
    for (name, path) in &options.also {
        if !is_executable(path) {
            return Err(format!(
                "--also {name}: {} is not executable",
                path.display()
            ));
        }
        inits.push(Init {
            name: name.clone(),
            peer: false,
            version: version_of(path),
            path: path.clone(),
        });
    }
    let mut machine = machine::describe();
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
        benchkit: &options.benchkit,
        plan,
    };
    let results = bench.run_all()?;
    machine.load = format!("{} before, {} after", machine.load, machine::loadavg());
    let table = report::markdown(&machine, &inits, &notes, plan, &results);
    println!("{table}");
    if let Some(dir) = &options.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let md = dir.join("results.md");
        let svg = dir.join("per-unit.svg");
        std::fs::write(&md, &table).map_err(|e| format!("{}: {e}", md.display()))?;
        std::fs::write(&svg, report::svg(&machine, &inits, &results))
            .map_err(|e| format!("{}: {e}", svg.display()))?;
        eprintln!("rinit-bench: wrote {} and {}", md.display(), svg.display());
    }
    Ok(())
}
