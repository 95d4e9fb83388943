//! Running an init as PID 1 of a fresh PID namespace, the way every figure
//! does: `unshare --pid --fork --mount-proc --kill-child INIT -- WORKLOAD`.
//! A single watchdog thread kills a run that outlives its time limit
//! (`--kill-child` then takes the whole namespace down with `unshare`).

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The command for `program args...` as PID 1, with a clean environment:
/// no `RINIT_*`, `TINI_*` or `DUMB_INIT_*` setting of the caller may change
/// what an init does.
pub fn command(program: &OsStr, args: &[OsString]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        .arg(program)
        .args(args);
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if ["RINIT_", "TINI_", "DUMB_INIT_"]
            .iter()
            .any(|p| key_text.starts_with(p))
        {
            cmd.env_remove(&key);
        }
    }
    cmd
}

/// How a run ended.
#[derive(Debug)]
pub struct Ended {
    /// The exit code, or 128+N if `unshare` died of signal N.
    pub code: i32,
    pub timed_out: bool,
    pub wall: Duration,
    /// When the wait returned.
    pub at: Instant,
}

fn code_of(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Runs to completion with no input or output, timing it from just before
/// the spawn to just after the wait: the start-up figure.
pub fn run_silent(mut cmd: Command, limit: Duration) -> Result<Ended, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start unshare: {e}"))?;
    let guard = watchdog().arm(child.id() as i32, limit);
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    let at = Instant::now();
    let timed_out = guard.disarm();
    Ok(Ended {
        code: code_of(status),
        timed_out,
        wall: at - start,
        at,
    })
}

/// A run whose stdout is read line by line and whose stdin stays open until
/// `close_stdin` or `finish`.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    pub seen: Vec<String>,
    guard: Option<Guard>,
}

impl Session {
    pub fn start(mut cmd: Command, limit: Duration) -> Result<Session, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start unshare: {e}"))?;
        let guard = watchdog().arm(child.id() as i32, limit);
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (line_tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (err_tx, err_rx) = channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = err_tx.send(text);
        });
        Ok(Session {
            stdin: child.stdin.take(),
            child,
            lines,
            stderr: err_rx,
            seen: Vec::new(),
            guard: Some(guard),
        })
    }

    /// Waits for this exact stdout line (the run's time limit still applies).
    pub fn expect(&mut self, wanted: &str) -> Result<(), String> {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(3600)) {
                Ok(line) => {
                    let found = line == wanted;
                    self.seen.push(line);
                    if found {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    let stderr = self
                        .stderr
                        .recv_timeout(Duration::from_secs(5))
                        .unwrap_or_default();
                    return Err(format!(
                        "output ended before the line {wanted:?}; stdout {:?}; stderr {:?}",
                        self.seen,
                        stderr.trim()
                    ));
                }
            }
        }
    }

    /// The init's pid as seen from here: the only child of `unshare --fork`.
    pub fn init_pid(&self) -> Result<i32, String> {
        let me = self.child.id();
        std::fs::read_to_string(format!("/proc/{me}/task/{me}/children"))
            .ok()
            .and_then(|c| c.split_whitespace().next().and_then(|p| p.parse().ok()))
            .ok_or_else(|| format!("unshare ({me}) has no child"))
    }

    pub fn unshare_pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the end; returns how it ended, all stdout lines and stderr.
    pub fn finish(mut self) -> Result<(Ended, Vec<String>, String), String> {
        self.stdin = None;
        let start = Instant::now();
        let status = self.child.wait().map_err(|e| format!("wait: {e}"))?;
        let at = Instant::now();
        let timed_out = self.guard.take().is_some_and(Guard::disarm);
        // Whatever is still in the pipes (a process outside the namespace
        // cannot hold them: the namespace is gone once the init has exited).
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let stderr = self
            .stderr
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default();
        Ok((
            Ended {
                code: code_of(status),
                timed_out,
                wall: at - start,
                at,
            },
            std::mem::take(&mut self.seen),
            stderr,
        ))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // An abandoned session (a failed check) must not leave a namespace behind.
        if self.guard.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One thread that SIGKILLs armed pids whose deadline has passed.
pub struct Watchdog {
    state: Mutex<Vec<(u64, i32, Instant, bool)>>,
    wake: Condvar,
    next_id: Mutex<u64>,
}

pub struct Guard {
    id: u64,
}

impl Guard {
    /// Stops watching; returns whether the watchdog had to kill the run.
    pub fn disarm(self) -> bool {
        let dog = watchdog();
        let mut state = dog.state.lock().unwrap();
        let at = state.iter().position(|e| e.0 == self.id);
        at.map(|i| state.swap_remove(i).3).unwrap_or(false)
    }
}

fn watchdog() -> &'static Arc<Watchdog> {
    static DOG: OnceLock<Arc<Watchdog>> = OnceLock::new();
    DOG.get_or_init(|| {
        let dog = Arc::new(Watchdog {
            state: Mutex::new(Vec::new()),
            wake: Condvar::new(),
            next_id: Mutex::new(0),
        });
        let runner = Arc::clone(&dog);
        std::thread::spawn(move || runner.run());
        dog
    })
}

impl Watchdog {
    fn arm(&self, pid: i32, limit: Duration) -> Guard {
        let id = {
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            *next
        };
        self.state
            .lock()
            .unwrap()
            .push((id, pid, Instant::now() + limit, false));
        self.wake.notify_one();
        Guard { id }
    }

    fn run(&self) {
        let mut state = self.state.lock().unwrap();
        loop {
            let now = Instant::now();
            for entry in state.iter_mut().filter(|e| !e.3 && e.2 <= now) {
                // SAFETY: kill takes plain integers; the pid is a live child
                // of ours until its guard is disarmed, after the wait.
                unsafe { libc::kill(entry.1, libc::SIGKILL) };
                entry.3 = true;
            }
            let next = state.iter().filter(|e| !e.3).map(|e| e.2).min();
            state = match next {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    self.wake.wait_timeout(state, left).unwrap().0
                }
                None => self.wake.wait(state).unwrap(),
            };
        }
    }
}
