//! Runs rinit the way users run it: the built binary as PID 1 of a fresh PID
//! namespace (`unshare --pid --fork --mount-proc`, plus a user namespace when
//! not root). Tests wait on lines the workloads print, never on sleeps; the
//! timeouts here are only a safety net against a hung rinit.
#![allow(dead_code)] // each test file uses its own part of this

pub mod terminal;
#[allow(unused_imports)] // each test file uses its own part of this
pub use terminal::Terminal;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long anything may take before the test is declared hung.
pub const SAFETY_NET: Duration = Duration::from_secs(60);

pub fn rinit() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rinit"))
}

/// The multi-call workload program (`examples/testkit.rs`).
pub fn testkit() -> String {
    let path = rinit().parent().unwrap().join("examples/testkit");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A command that runs `program args...` as PID 1 of a new PID namespace.
/// `--kill-child` makes sure nothing outlives a test that gives up.
pub fn as_pid1(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("unshare");
    if !is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"]);
    cmd.arg(program).args(args);
    cmd
}

/// rinit as PID 1 with these arguments.
pub fn rinit_pid1(args: &[&str]) -> Command {
    as_pid1(&rinit().to_string_lossy(), args)
}

/// What a finished run left behind.
#[derive(Debug)]
pub struct Finished {
    /// The exit code, or 128+N if unshare (and so rinit) died of signal N.
    pub code: i32,
    pub stdout: Vec<String>,
    pub stderr: String,
}

/// A running rinit whose output is read line by line.
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stdout line received so far.
    pub seen: Vec<String>,
    /// Every stderr line received so far.
    pub seen_stderr: Vec<String>,
}

fn forward_lines(from: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Running {
    pub fn start(mut cmd: Command) -> Running {
        cmd.stderr(Stdio::piped());
        Running::start_with_stderr(cmd)
    }

    /// Like `start`, but stderr goes wherever `cmd` already sends it, and
    /// no stderr line is seen here.
    pub fn start_with_stderr(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("start unshare");
        let lines = forward_lines(child.stdout.take().unwrap());
        let stderr = match child.stderr.take() {
            Some(stderr) => forward_lines(stderr),
            None => channel().1,
        };
        let stdin = child.stdin.take();
        Running {
            child,
            stdin,
            lines,
            stderr,
            seen: Vec::new(),
            seen_stderr: Vec::new(),
        }
    }

    /// Waits for the next stdout line that satisfies `wanted`.
    pub fn expect_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.next_matching(false, what, wanted)
    }

    /// Waits for the next stderr line (rinit's log) that satisfies `wanted`.
    pub fn expect_stderr_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.next_matching(true, what, wanted)
    }

    fn next_matching(&mut self, stderr: bool, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SAFETY_NET;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (source, seen) = if stderr {
                (&self.stderr, &mut self.seen_stderr)
            } else {
                (&self.lines, &mut self.seen)
            };
            match source.recv_timeout(left) {
                Ok(line) => {
                    seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.give_up(&format!("no line {what} within {SAFETY_NET:?}"))
                }
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "output closed before a line {what}; stdout {:?}; stderr {:?}",
                    self.seen, self.seen_stderr
                ),
            }
        }
    }

    /// Waits for exactly this stdout line.
    pub fn expect(&mut self, exact: &str) -> String {
        self.expect_line(&format!("{exact:?}"), |l| l == exact)
    }

    pub fn write_stdin(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).expect("write stdin");
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The pid of `unshare` itself.
    pub fn outer_pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// rinit's pid as seen from here: the only child of `unshare --fork`.
    pub fn rinit_pid(&self) -> i32 {
        let me = self.child.id();
        let children =
            std::fs::read_to_string(format!("/proc/{me}/task/{me}/children")).unwrap_or_default();
        children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unshare ({me}) has no child"))
    }

    /// Sends a signal to rinit from outside its namespace, as a container
    /// runtime does.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill takes plain integers.
        let ret = unsafe { libc::kill(self.rinit_pid(), signal) };
        assert_eq!(ret, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Waits for the direct child (rinit, or unshare) to exit, while what it
    /// leaves behind may still hold its output open; returns its exit code
    /// (128+N on signal N). `try_wait` is polled: the exit is the event, the
    /// deadline only a safety net.
    pub fn wait_for_exit(&mut self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + SAFETY_NET;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            if Instant::now() >= deadline {
                self.give_up(&format!("still running after {SAFETY_NET:?}"));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Waits for the run to end and collects the rest of its output.
    pub fn finish(mut self) -> Finished {
        self.stdin = None;
        // stdout closes when rinit and every process holding it have exited.
        let deadline = Instant::now() + SAFETY_NET;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.give_up(&format!("output still open after {SAFETY_NET:?}"))
                }
            }
        }
        let status = self.child.wait().expect("wait");
        // rinit has exited; a process it left behind may still hold stderr.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => self.seen_stderr.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "stderr still open after {SAFETY_NET:?}: {:?}",
                        self.seen_stderr
                    )
                }
            }
        }
        let stderr = self.seen_stderr.iter().map(|l| format!("{l}\n")).collect();
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        Finished {
            code,
            stdout: self.seen,
            stderr,
        }
    }

    fn give_up(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!(
            "{why}; stdout {:?}; stderr {:?}",
            self.seen, self.seen_stderr
        );
    }
}

/// Runs a command to completion (stdin closed) and collects its output.
pub fn run(cmd: Command) -> Finished {
    let mut running = Running::start(cmd);
    running.close_stdin();
    running.finish()
}

/// The fields of `/proc/PID/stat` after the command name: `[0]` is the
/// state letter, `[1]` the parent, `[11]` and `[12]` user and system time.
/// The name, in parentheses, may itself hold spaces and parentheses.
pub fn proc_stat(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    Some(after_name.split_whitespace().map(str::to_owned).collect())
}

/// The state letter of a process (`S`, `T`, `Z`...), `None` once it is gone.
pub fn proc_state(pid: i32) -> Option<char> {
    proc_stat(pid)?.first()?.chars().next()
}

/// rinit logged no warning and no error (its lines read `rinit: LEVEL: ...`).
pub fn assert_no_complaints(done: &Finished) {
    let complaints: Vec<&str> = done
        .stderr
        .lines()
        .filter(|l| l.starts_with("rinit: warn") || l.starts_with("rinit: error"))
        .collect();
    assert!(complaints.is_empty(), "{complaints:?} in {done:?}");
}

/// Live processes and zombies below `root`, as seen from outside the namespace.
pub fn descendants(root: i32) -> (Vec<i32>, Vec<i32>) {
    let mut table = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // A process may vanish between listing and reading: skip it.
        let Some(fields) = proc_stat(pid) else {
            continue;
        };
        let state = fields[0].clone();
        let parent: i32 = fields[1].parse().unwrap_or(0);
        table.push((pid, parent, state));
    }
    let (mut live, mut zombies) = (Vec::new(), Vec::new());
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, _, state) in table.iter().filter(|(_, p, _)| *p == parent) {
            frontier.push(*pid);
            if state == "Z" {
                zombies.push(*pid)
            } else {
                live.push(*pid)
            }
        }
    }
    (live, zombies)
}

/// A fresh directory for one test's files, removed when dropped. Any uid may
/// enter it (some tests run commands as an unprivileged user).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Scratch {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("rinit-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The path of `name` in this directory, as a string for command lines.
    pub fn file(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The children of `pid`, from /proc.
pub fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}
