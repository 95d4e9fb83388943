//! The harness (harness/, crate rinit-harness) runs programs as PID 1 of a
//! fresh PID namespace, waits on their output lines and reads /proc; the
//! benchmark uses it too. This adds what only a test of this package knows:
//! where cargo put rinit and the workload program.
#![allow(dead_code, unused_imports)] // each test file uses its own part of this

pub(crate) mod podman;
pub(crate) mod terminal;
pub(crate) use podman::*;
pub(crate) use terminal::Terminal;

pub(crate) use rinit_harness::*;
use std::path::PathBuf;
use std::process::Command;

pub(crate) fn rinit() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rinit"))
}

/// The multi-call workload program (`examples/testkit.rs`), built first if
/// need be: `cargo test --test NAME` builds rinit and that test file but no
/// example, so each test binary asks cargo, once, to bring testkit up to
/// date (a no-op when it is). An exclusive lock on the target directory
/// keeps test binaries run side by side from racing for the file. This is
/// the one place that knows how the workload is built.
pub(crate) fn testkit() -> String {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let path = BUILT.get_or_init(build_testkit);
    path.to_string_lossy().into_owned()
}

fn build_testkit() -> PathBuf {
    use std::os::fd::AsRawFd;
    // rinit is TARGET_DIR[/TRIPLE]/PROFILE/rinit.
    let profile_dir = rinit().parent().unwrap().to_path_buf();
    let path = profile_dir.join("examples/testkit");
    let profile = profile_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let above = profile_dir.parent().unwrap();
    // The target directory holds cargo's `.rustc_info.json`; a directory
    // without it is a `--target TRIPLE` one.
    let (target_dir, triple) = if above.join(".rustc_info.json").exists() {
        (above.to_path_buf(), None)
    } else {
        let triple = above.file_name().unwrap().to_string_lossy().into_owned();
        (above.parent().unwrap().to_path_buf(), Some(triple))
    };
    let lock = std::fs::File::create(target_dir.join(".testkit-build.lock"))
        .unwrap_or_else(|e| panic!("{}: {e}", target_dir.display()));
    // SAFETY: flock on a descriptor this function owns; it blocks until the
    // lock is ours and is released when `lock` is closed.
    let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "flock: {}", std::io::Error::last_os_error());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", "testkit"])
        .env("CARGO_TARGET_DIR", &target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    if let Some(triple) = triple {
        cmd.args(["--target", &triple]);
    }
    let status = cmd.status();
    match status {
        Ok(status) if status.success() => {}
        // Without cargo at all (a copied test binary), a testkit already
        // built beside rinit is the best there is; a failed build is not.
        Err(_) if path.exists() => {}
        outcome => panic!("`{cmd:?}` failed ({outcome:?}): testkit cannot be built"),
    }
    assert!(path.exists(), "{cmd:?} did not write {}", path.display());
    path
}

/// rinit as PID 1 with these arguments.
pub(crate) fn rinit_pid1(args: &[&str]) -> Command {
    as_pid1(&rinit().to_string_lossy(), args)
}

/// rinit as a plain child of the test (not PID 1), without init variables.
pub(crate) fn rinit_direct(args: &[&str]) -> Command {
    direct(&rinit().to_string_lossy(), args, &[])
}

/// `command...` as uid and gid 65534 (nobody) with no groups, through
/// `setpriv`: as PID 1, or as a plain child of the test. (Give it copies
/// in a `Scratch`: nobody may not reach the build directory.)
pub(crate) fn as_nobody(pid1: bool, command: &[&str]) -> Command {
    let mut args = vec!["--reuid=65534", "--regid=65534", "--clear-groups", "--"];
    args.extend(command);
    if pid1 {
        as_pid1("setpriv", &args)
    } else {
        direct("setpriv", &args, &[])
    }
}

/// `rinit OPTS -- PROGRAM ARGS...`: rinit's options, then the workload.
fn with_testkit<'a>(opts: &[&'a str], program: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = opts.to_vec();
    all.extend(["--", program]);
    all.extend(args);
    all
}

/// rinit as PID 1 with options `opts`, running `testkit ARGS...`.
pub(crate) fn pid1_testkit(opts: &[&str], args: &[&str]) -> Command {
    rinit_pid1(&with_testkit(opts, &testkit(), args))
}

/// rinit as PID 1 with options `opts`, running the shell `script`, whose
/// `$0` is testkit.
pub(crate) fn pid1_sh(opts: &[&str], script: &str) -> Command {
    let tk = testkit();
    rinit_pid1(&with_testkit(opts, "sh", &["-c", script, &tk]))
}

/// The same with rinit not PID 1 (so a subreaper).
pub(crate) fn direct_sh(opts: &[&str], script: &str) -> Command {
    let tk = testkit();
    rinit_direct(&with_testkit(opts, "sh", &["-c", script, &tk]))
}

/// rinit not PID 1 (so a subreaper) with options `opts`, running `testkit
/// ARGS...`.
pub(crate) fn direct_testkit(opts: &[&str], args: &[&str]) -> Command {
    rinit_direct(&with_testkit(opts, &testkit(), args))
}

/// rinit under the peers' names, the one way a test gets it: symlinks in a
/// private directory (the name rinit is run under picks its personality),
/// removed when dropped.
pub(crate) struct Names(Scratch);

impl Names {
    pub(crate) fn new() -> Names {
        // One directory per call: tests of one file run side by side.
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let scratch = Scratch::new(&format!("names-{n}"));
        for name in [
            "tini",
            "tini-static",
            "docker-init",
            "dumb-init",
            "catatonit",
        ] {
            std::os::unix::fs::symlink(rinit(), scratch.path(name)).unwrap();
        }
        Names(scratch)
    }

    /// rinit under `name`: a peer's, or `rinit` for its own binary.
    pub(crate) fn of(&self, name: &str) -> String {
        if name == "rinit" {
            rinit().to_string_lossy().into_owned()
        } else {
            self.0.file(name)
        }
    }

    /// The real peer and rinit under its name, each with a label for
    /// messages.
    pub(crate) fn both(&self, name: &str) -> [(String, String); 2] {
        [
            (format!("real {name}"), real_peer(name)),
            (format!("rinit as {name}"), self.of(name)),
        ]
    }

    /// The directory, for a test's other files.
    pub(crate) fn scratch(&self) -> &Scratch {
        &self.0
    }
}

/// The real peer installed under `name`. A missing peer fails the test:
/// these claims are about it. (`docker-init` is no peer: under that name
/// rinit is itself, whatever init Docker would otherwise bundle.)
pub(crate) fn real_peer(name: &str) -> String {
    let path = format!("/usr/bin/{name}");
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: scripts/setup installs the peers these tests compare with"
    );
    path
}

/// The first real-time signal as a process sees it (glibc keeps the two
/// below for itself). Tests send real-time markers: a process dequeues
/// pending signals lowest number first, so by the time it reports a marker
/// it has reported any standard signal that reached it before. That is how
/// a test shows a signal did *not* arrive.
pub(crate) const SIGRTMIN: i32 = 34;

/// The marker the tests send: above every standard signal.
pub(crate) const MARKER: i32 = SIGRTMIN + 6;

/// The signals the kernel sends for a fault (SIGSEGV...), which rinit
/// forwards when they are sent with `kill`, in numeric order.
pub(crate) const FAULT_SIGNALS: [i32; 7] = [
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGABRT,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGSEGV,
    libc::SIGSYS,
];

/// The job-control signals a terminal sends: SIGTSTP, SIGTTIN, SIGTTOU.
pub(crate) const JOB_CONTROL: [i32; 3] = [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU];

/// Options before the command, and variables, as test tables list them.
pub(crate) type Opts = &'static [&'static str];
pub(crate) type Vars = &'static [(&'static str, &'static str)];

/// The variables the README gives for tini's behaviour under Docker's name,
/// `docker-init`, which is rinit's own.
pub(crate) const TINI_BACK: Vars = &[
    ("RINIT_FORWARD_TO", "child"),
    ("RINIT_GRACE", "0"),
    ("RINIT_REWRITE", "TTIN:0,TTOU:0"),
];

/// The real peer under `name`, where it is installed (`None` for rinit's
/// own names).
pub(crate) fn peer_binary(name: &str) -> Option<String> {
    let path = format!("/usr/bin/{name}");
    std::path::Path::new(&path).exists().then_some(path)
}

/// How many times `needle` occurs in `haystack`.
pub(crate) fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Starts `testkit sigecho` under `program` as PID 1, sends `signals` to
/// the init, then a real-time marker; returns what the child reported
/// before the marker, in numeric order.
pub(crate) fn forwarded(
    program: &str,
    opts: &[&str],
    vars: &[(&str, &str)],
    signals: &[i32],
) -> Vec<i32> {
    let marker = MARKER;
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", &tk, "sigecho"]);
    let mut running = Running::start(pid1(program, &args, vars));
    running.expect("ready");
    for &signal in signals {
        running.signal(signal);
    }
    running.signal(marker);
    running.expect(&format!("signal {marker}"));
    let mut seen = signals_in(&running.seen);
    assert_eq!(seen.pop(), Some(MARKER), "the marker comes last");
    let done = running.finish();
    assert_eq!(done.code, 0, "{opts:?} {vars:?}: {done:?}");
    seen.sort();
    seen
}

/// Not as PID 1, what the others get when the main child exits is visible:
/// they outlive the init. The child shell starts a background `testkit
/// sigecho` (its pid on a `gc PID` line) and exits 7 on SIGWINCH. Returns
/// the signals the grandchild reported (in numeric order) up to a real-time marker the test
/// sends it after the init has exited; that it reports the marker at all shows
/// nobody killed it.
pub(crate) fn others_after_the_main_child_not_pid1(
    program: &str,
    opts: &[&str],
    vars: &[(&str, &str)],
) -> Vec<i32> {
    const SCRIPT: &str = r#"trap 'exit 7' WINCH
"$1" sigecho < "$2" &
echo "gc $!"
wait"#;
    let scratch = Scratch::new("others-after-main");
    let (fifo_text, holder) = scratch.held_fifo("fifo");
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", SCRIPT, "sh", &tk, &fifo_text]);
    let mut running = Running::start(direct(program, &args, vars));
    let gc: i32 = running
        .expect_line("naming the grandchild", |l| l.starts_with("gc "))
        .trim_start_matches("gc ")
        .parse()
        .unwrap();
    // The shell's line and the grandchild's may come in either order.
    if !running.seen.iter().any(|l| l == "ready") {
        running.expect("ready");
    }
    send(running.outer_pid(), libc::SIGWINCH);
    let code = running.wait_for_exit();
    assert_eq!(code, 7, "{program} {opts:?} {vars:?}");
    let marker = SIGRTMIN + 2;
    send(gc, marker);
    running.expect(&format!("signal {marker}"));
    // Standard signals pending together come out lowest first, whatever
    // order they were sent in: compare them as a set (the marker, highest,
    // stays last).
    let mut seen = signals_in(&running.seen);
    seen.sort_unstable();
    drop(holder); // the grandchild reads end of file and exits
    let done = running.finish();
    assert!(done.stdout.contains(&"stdin closed".to_owned()), "{done:?}");
    seen
}

/// The child shell's background job (the grandchild, in its process group)
/// is `testkit sigecho`. The test sends SIGWINCH to the init; the shell
/// traps it and sends the grandchild the marker. Returns whether the
/// grandchild got SIGWINCH from the init too, that is whether the init
/// signalled the child's process group rather than the child alone.
pub(crate) fn group_gets_forwarded_signal(
    program: &str,
    opts: &[&str],
    vars: &[(&str, &str)],
) -> bool {
    const SCRIPT: &str = r#"trap 'echo child got WINCH; kill -40 $gc' WINCH
exec 3<&0
"$1" sigecho <&3 &
gc=$!
echo trap armed
# The trap cuts `wait` short: wait again until the grandchild is reaped.
while kill -0 $gc 2>/dev/null; do wait $gc; done
exit 0"#;
    let tk = testkit();
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", SCRIPT, "sh", &tk]);
    let mut running = Running::start(pid1(program, &args, vars));
    // Both lines, in either order: the grandchild's, and the shell's once
    // it knows the grandchild's pid.
    running.expect_line("ready or armed", |l| l == "ready" || l == "trap armed");
    running.expect_line("ready or armed", |l| l == "ready" || l == "trap armed");
    running.signal(libc::SIGWINCH);
    running.expect(&format!("signal {MARKER}"));
    let seen = running.seen.clone();
    let context = format!("{program} {opts:?} {vars:?}");
    assert!(
        seen.iter().any(|l| l == "child got WINCH"),
        "{context}: the child never got SIGWINCH: {seen:?}"
    );
    let done = running.finish();
    assert_eq!(done.code, 0, "{context}: {done:?}");
    signals_in(&seen).contains(&libc::SIGWINCH)
}

/// Waits until a pause-mode init (no child) runs and has blocked the
/// signals its loop reads: a SIGTERM sent earlier would be dropped by the
/// kernel. unshare's child blocks SIGTERM and SIGINT too before it execs
/// the init, so the check also waits for the init's own executable.
pub(crate) fn pause_ready(running: &Running, program: &str) -> i32 {
    let wanted = (1u64 << (libc::SIGTERM - 1)) | (1u64 << (libc::SIGINT - 1));
    let exe = std::fs::canonicalize(program).unwrap();
    let mut init = 0;
    wait_until("the init blocking TERM and INT", || {
        init = children(running.outer_pid()).first().copied().unwrap_or(0);
        let running_it = std::fs::read_link(format!("/proc/{init}/exe")).ok() == Some(exe.clone());
        running_it && status_mask(init, "SigBlk").unwrap_or(0) & wanted == wanted
    });
    init
}

/// The child's blocked signals (`SigBlk`, from `testkit status`).
pub(crate) fn child_blocked_mask(program: &str, as_pid1: bool) -> u64 {
    let tk = testkit();
    let args = ["--", tk.as_str(), "status"];
    let done = if as_pid1 {
        run(pid1(program, &args, &[]))
    } else {
        run(direct(program, &args, &[]))
    };
    assert_eq!(done.code, 0, "{program}: {done:?}");
    let line = done
        .stdout
        .iter()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .unwrap_or_else(|| panic!("{program}: {done:?}"));
    u64::from_str_radix(line.trim(), 16).unwrap()
}

/// A cgroup v1 group of one controller (`memory`, `pids`) below the test's
/// own, removed when dropped. Processes join it through `command`. These
/// machines have both controllers on v1 (the hybrid layout).
pub(crate) struct V1Group {
    pub(crate) dir: PathBuf,
}

impl V1Group {
    fn new(controller: &str, name: &str) -> V1Group {
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let own = own
            .lines()
            .find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
                controllers
                    .split(',')
                    .any(|c| c == controller)
                    .then_some(path)
            })
            .unwrap_or_else(|| panic!("these tests need the cgroup v1 {controller} controller"));
        let dir = std::path::Path::new("/sys/fs/cgroup")
            .join(controller)
            .join(own.trim_start_matches('/'))
            .join(format!("rinit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).unwrap();
        V1Group { dir }
    }

    /// A memory group limited to `bytes`, with no swap.
    pub(crate) fn memory(name: &str, bytes: u64) -> V1Group {
        let group = V1Group::new("memory", name);
        // The swap limit counts memory and swap together: set it after.
        group.write("memory.limit_in_bytes", &bytes.to_string());
        let swap = group.dir.join("memory.memsw.limit_in_bytes");
        if swap.exists() {
            std::fs::write(swap, bytes.to_string()).unwrap();
        }
        group
    }

    /// A pids group limited to `max` processes.
    pub(crate) fn pids(name: &str, max: u64) -> V1Group {
        let group = V1Group::new("pids", name);
        group.write("pids.max", &max.to_string());
        group
    }

    pub(crate) fn write(&self, file: &str, value: &str) {
        std::fs::write(self.dir.join(file), value).unwrap();
    }

    /// `KEY VALUE` from a flat keyed file (`memory.oom_control`, `pids.events`).
    pub(crate) fn keyed(&self, file: &str, key: &str) -> u64 {
        let text = std::fs::read_to_string(self.dir.join(file)).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {key} in {file}: {text}"))
            .trim()
            .parse()
            .unwrap()
    }

    pub(crate) fn oom_kills(&self) -> u64 {
        self.keyed("memory.oom_control", "oom_kill")
    }

    /// `program args` run in this group.
    pub(crate) fn command(&self, program: &str, args: &[&str]) -> Command {
        self.command_in(&[], program, args)
    }

    /// `program args` run in this group and in `others` too (a process is in
    /// one group of each controller).
    pub(crate) fn command_in(&self, others: &[&V1Group], program: &str, args: &[&str]) -> Command {
        let mut cmd = hermetic("sh");
        cmd.args([
            "-c",
            r#"for g in $0; do echo $$ >"$g/cgroup.procs" || exit 125; done; exec "$@""#,
        ]);
        let dirs: Vec<String> = std::iter::once(self)
            .chain(others.iter().copied())
            .map(|g| g.dir.to_str().unwrap().to_owned())
            .collect();
        cmd.arg(dirs.join(" ")).arg(program).args(args);
        cmd
    }

    /// rinit as PID 1 in this group (and in `others`).
    pub(crate) fn pid1(&self, args: &[&str]) -> Command {
        self.pid1_in(&[], args)
    }

    pub(crate) fn pid1_in(&self, others: &[&V1Group], args: &[&str]) -> Command {
        let rinit = rinit();
        let mut all = vec!["--pid", "--fork", "--mount-proc", "--kill-child"];
        all.push(rinit.to_str().unwrap());
        all.extend_from_slice(args);
        self.command_in(others, "unshare", &all)
    }
}

impl Drop for V1Group {
    fn drop(&mut self) {
        // Clean-up, not synchronisation: the processes a PID namespace's
        // end killed may take a moment to leave the group.
        for _ in 0..500 {
            match std::fs::remove_dir(&self.dir) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                Err(e) => return eprintln!("cannot remove {}: {e}", self.dir.display()),
                Ok(()) => return,
            }
        }
        eprintln!("{} is still busy: left behind", self.dir.display());
    }
}
