//! The one way rinit's tests and its benchmark run an init: as PID 1 of a
//! fresh PID namespace (`unshare --pid --fork --mount-proc`, plus a user
//! namespace when not root), the way a container runtime starts it. Callers
//! wait on the lines their workloads print (the `testkit` program), never on
//! sleeps; every limit here is only a safety net against a hung run, and
//! passing it fails the caller with a panic that says what was seen.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long anything may take before the run is declared hung.
pub const SAFETY_NET: Duration = Duration::from_secs(60);

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `Command::new(program)` without the variables rinit and its peers read
/// (`RINIT_*`, `TINI_*`, `DUMB_INIT_*`, `CATATONIT_*`, `LISTEN_PID`, and
/// `NOTIFY_SOCKET`, which a test run under systemd inherits): a
/// developer's `RINIT_VERBOSITY` must not change what a test sees. Every
/// command that runs an init, directly or through a wrapper, starts here;
/// a caller sets its own variables afterwards.
pub fn hermetic(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    scrub_init_env(&mut cmd);
    cmd
}

/// Removes those variables from `cmd`: `hermetic`'s rule, for a command
/// built some other way.
pub fn scrub_init_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if ["RINIT_", "TINI_", "DUMB_INIT_", "CATATONIT_"]
            .iter()
            .any(|prefix| text.starts_with(prefix))
            || text == "LISTEN_PID"
            || text == "NOTIFY_SOCKET"
        {
            cmd.env_remove(&name);
        }
    }
}

/// A command that runs `program args...` inside the PID namespace of
/// process `pid`, as `docker exec` or `podman exec` would: nsenter forks it
/// there, so its parent (nsenter) is outside and the namespace's PID 1 is
/// not its parent.
pub fn in_pid_namespace_of(pid: i32, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.args(["--target", &pid.to_string(), "--pid", "--"])
        .arg(program);
    cmd
}

/// A command that runs `program args...` as PID 1 of a new PID namespace.
/// `--kill-child` makes sure nothing outlives a caller that gives up. The
/// init variables of whoever runs it are removed (`hermetic`).
pub fn as_pid1(program: &str, args: &[&str]) -> Command {
    let mut cmd = hermetic("unshare");
    if !is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"]);
    cmd.arg(program).args(args);
    cmd
}

/// `program args...` as PID 1 with exactly these init variables.
pub fn pid1(program: &str, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut cmd = as_pid1(program, args);
    cmd.envs(vars.iter().copied());
    cmd
}

/// The same, not as PID 1: the init runs as a plain child of the caller.
pub fn direct(program: &str, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut cmd = hermetic(program);
    cmd.args(args);
    cmd.envs(vars.iter().copied());
    cmd
}

/// The signal numbers a `testkit sigecho` reported (`signal N` lines), in
/// order.
pub fn signals_in(lines: &[String]) -> Vec<i32> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("signal ")?.parse().ok())
        .collect()
}

/// `kill(pid, signal)`, which must succeed. Plain numbers, as the tests
/// write them (real-time signals included, which nix's `Signal` lacks).
pub fn send(pid: i32, signal: i32) {
    // SAFETY: kill takes plain integers.
    let ret = unsafe { libc::kill(pid, signal) };
    let error = std::io::Error::last_os_error();
    assert_eq!(ret, 0, "kill({pid}, {signal}): {error}");
}

/// Waits for a state the kernel makes true and announces nowhere (a
/// process state, a blocked mask, a zombie gone): checked every
/// millisecond, no timing assumed; `SAFETY_NET` is only the limit.
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + SAFETY_NET;
    while !condition() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Every run of digits replaced by `N`: the peers print pids in their
/// lines.
pub fn without_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
}

/// Makes `cmd` start with these signals blocked (added to the mask) and
/// these ignored, as a parent may leave them: both survive exec, so the
/// init inherits them. Plain numbers: real-time signals too.
pub fn start_with_signals(cmd: &mut Command, blocked: &[i32], ignored: &[i32]) {
    use std::os::unix::process::CommandExt;
    let ignored = ignored.to_vec();
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set; sigaddset writes to it.
    let set = unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        for &signal in blocked {
            libc::sigaddset(set.as_mut_ptr(), signal);
        }
        set.assume_init()
    };
    // SAFETY: between fork and exec this makes only async-signal-safe calls
    // (pthread_sigmask, signal) on values prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            for &signal in &ignored {
                libc::signal(signal, libc::SIG_IGN);
            }
            Ok(())
        });
    }
}

/// The exit code, or 128+N for death by signal N.
fn code_of(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// A pidfd for `pid`: readable once the process has exited, hung up
/// (POLLHUP) once it has been reaped; `None` if there is no such process.
pub fn pidfd(pid: i32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes plain integers and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        assert_eq!(
            e.raw_os_error(),
            Some(libc::ESRCH),
            "pidfd_open({pid}): {e}"
        );
        return None;
    }
    // SAFETY: the descriptor was just opened and nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Waits at most `limit` for `fd` to report one of `events` (`POLLIN`...)
/// or a hang-up; false if the time ran out. With a pidfd and no events,
/// this waits for the process to be reaped.
pub fn poll_fd(fd: BorrowedFd, events: i16, limit: Duration) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut fds = [PollFd::new(fd, PollFlags::from_bits_truncate(events))];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => panic!("poll: {e}"),
        }
    }
}

/// Waits for `child` to exit, at most `limit` (`None` then). The exit is
/// the event: a pidfd becomes readable when its process exits.
fn wait_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    if let Some(status) = child.try_wait().expect("try_wait") {
        return Some(status);
    }
    // The child is not reaped yet, so its pid is still its own.
    let fd = pidfd(child.id() as i32).expect("a pidfd for an unreaped child");
    poll_fd(fd.as_fd(), libc::POLLIN, limit).then(|| child.wait().expect("wait"))
}

/// Runs `cmd` with no input or output and times it from just before the
/// spawn to just after the wait, with nothing else (no reader threads) in
/// between. Returns the exit code and the wall time.
pub fn run_timed(mut cmd: Command, limit: Duration) -> (i32, Duration) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    match wait_within(&mut child, limit) {
        Some(status) => (code_of(status), start.elapsed()),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} still running after {limit:?}");
        }
    }
}

/// What a finished run left behind.
#[derive(Debug)]
pub struct Finished {
    /// The exit code, or 128+N if unshare (and so the init) died of signal N.
    pub code: i32,
    pub stdout: Vec<String>,
    pub stderr: String,
    /// When the run was seen to end: its output closed.
    pub ended: Instant,
}

impl Finished {
    /// The one line on stderr; fails the test, showing the run, when there
    /// is none or more than one.
    pub fn only_stderr_line(&self) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr: {self:?}");
        lines[0]
    }

    /// Fails the test, showing the run, unless stderr holds `text`.
    pub fn assert_stderr_has(&self, text: &str) {
        assert!(
            self.stderr.contains(text),
            "expected {text:?} on stderr: {self:?}"
        );
    }
}

/// A running command whose output is read line by line. Dropping it kills
/// the command (and with `--kill-child`, its namespace).
pub struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    limit: Duration,
    /// Every stdout line received so far.
    pub seen: Vec<String>,
    /// Every stderr line received so far.
    pub seen_stderr: Vec<String>,
}

/// Moves the lines `from` sends into `into` until it closes; false if
/// `deadline` passed first.
fn collect_until_closed(
    from: &Receiver<String>,
    into: &mut Vec<String>,
    deadline: Instant,
) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match from.recv_timeout(left) {
            Ok(line) => into.push(line),
            Err(RecvTimeoutError::Disconnected) => return true,
            Err(RecvTimeoutError::Timeout) => return false,
        }
    }
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
            limit: SAFETY_NET,
            seen: Vec::new(),
            seen_stderr: Vec::new(),
        }
    }

    /// Replaces `SAFETY_NET` as the limit of each wait, for runs that may
    /// take longer (the benchmark's largest).
    pub fn with_safety_net(mut self, limit: Duration) -> Running {
        self.limit = limit;
        self
    }

    /// Waits for the next stdout line that satisfies `wanted`.
    pub fn expect_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.next_matching(false, what, wanted)
    }

    /// Waits for the next stderr line (the init's log) that satisfies `wanted`.
    pub fn expect_stderr_line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.next_matching(true, what, wanted)
    }

    fn next_matching(&mut self, stderr: bool, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + self.limit;
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
                    self.give_up(&format!("no line {what} within {:?}", self.limit))
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

    /// Waits until every one of these stdout lines has been seen, in any
    /// order (lines seen before count).
    pub fn expect_all(&mut self, lines: &[&str]) {
        for line in lines {
            if !self.seen.iter().any(|seen| seen == line) {
                self.expect(line);
            }
        }
    }

    /// Waits for the stdout line `<label> <number>` (a workload naming a pid
    /// or a signal) and returns the number.
    pub fn expect_number(&mut self, label: &str) -> i32 {
        let prefix = format!("{label} ");
        let line = self.expect_line(&format!("{prefix:?}<number>"), |l| {
            l.strip_prefix(&prefix)
                .is_some_and(|n| n.parse::<i32>().is_ok())
        });
        line[prefix.len()..].parse().unwrap()
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

    /// The init's pid (rinit's, in the tests) as seen from here: the only
    /// child of `unshare --fork`.
    pub fn rinit_pid(&self) -> i32 {
        let me = self.outer_pid();
        children(me)
            .first()
            .copied()
            .unwrap_or_else(|| panic!("unshare ({me}) has no child"))
    }

    /// The init's only child (its main child), which must be there.
    pub fn init_child(&self) -> i32 {
        let init = self.rinit_pid();
        match children(init)[..] {
            [child] => child,
            ref other => panic!("the init ({init}) has children {other:?}, not one"),
        }
    }

    /// Sends a signal to the init from outside its namespace, as a container
    /// runtime does.
    pub fn signal(&self, signal: i32) {
        send(self.rinit_pid(), signal);
    }

    /// Waits for the direct child (the init, or unshare) to exit, while what
    /// it leaves behind may still hold its output open; returns its exit
    /// code (128+N on signal N).
    pub fn wait_for_exit(&mut self) -> i32 {
        match wait_within(&mut self.child, self.limit) {
            Some(status) => code_of(status),
            None => self.give_up(&format!("still running after {:?}", self.limit)),
        }
    }

    /// Waits for the run to end and collects the rest of its output.
    pub fn finish(mut self) -> Finished {
        self.stdin = None;
        // stdout closes when the init and every process holding it have exited.
        let deadline = Instant::now() + self.limit;
        if !collect_until_closed(&self.lines, &mut self.seen, deadline) {
            self.give_up(&format!("output still open after {:?}", self.limit));
        }
        let ended = Instant::now();
        let status = self.child.wait().expect("wait");
        // The init has exited; a process it left behind may still hold stderr.
        if !collect_until_closed(&self.stderr, &mut self.seen_stderr, deadline) {
            panic!(
                "stderr still open after {:?}: {:?}",
                self.limit, self.seen_stderr
            );
        }
        let stderr = self.seen_stderr.iter().map(|l| format!("{l}\n")).collect();
        Finished {
            code: code_of(status),
            stdout: std::mem::take(&mut self.seen),
            stderr,
            ended,
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

impl Drop for Running {
    fn drop(&mut self) {
        // A run abandoned by a failed check must not leave a namespace
        // behind. Both calls do nothing once the run has been waited for.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to completion (stdin closed) and collects its output.
pub fn run(cmd: Command) -> Finished {
    let mut running = Running::start(cmd);
    running.close_stdin();
    running.finish()
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

/// One field of `/proc/PID/status` (`VmHWM`, `SigPnd`...), its value's first
/// word: a number of kB, a count, or a hexadecimal signal mask.
pub fn status_field(pid: i32, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == name).then(|| value.split_whitespace().next().unwrap_or("").to_owned())
    })
}

/// A numeric field of `/proc/PID/status`: kB for the `Vm` fields.
pub fn status_number(pid: i32, name: &str) -> Option<u64> {
    status_field(pid, name)?.parse().ok()
}

/// A signal mask of `/proc/PID/status` (`SigPnd`, `SigBlk`...): bit N-1 is
/// signal N.
pub fn status_mask(pid: i32, name: &str) -> Option<u64> {
    u64::from_str_radix(&status_field(pid, name)?, 16).ok()
}

/// The children of `pid`, from /proc.
pub fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Every process in this PID namespace, from /proc.
pub fn pids() -> Vec<i32> {
    let entries = std::fs::read_dir("/proc").expect("/proc").flatten();
    entries
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Live processes and zombies below `root`, as seen from outside the namespace.
pub fn descendants(root: i32) -> (Vec<i32>, Vec<i32>) {
    // A process may vanish between listing and reading: it is skipped.
    let table: Vec<(i32, i32, String)> = pids()
        .into_iter()
        .filter_map(|pid| {
            let fields = proc_stat(pid)?;
            Some((pid, fields[1].parse().unwrap_or(0), fields[0].clone()))
        })
        .collect();
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

/// A fresh directory for one run's files, removed when dropped. Any uid may
/// enter it (some tests run commands as an unprivileged user).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        Scratch::under(std::env::temp_dir(), name)
    }

    /// On tmpfs (/dev/shm) where there is one: its files only ever live in
    /// memory. (/dev/shm is often `nosuid`: not for setuid copies.)
    pub fn in_memory(name: &str) -> Scratch {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            Scratch::under(shm, name)
        } else {
            Scratch::new(name)
        }
    }

    fn under(base: PathBuf, name: &str) -> Scratch {
        use std::os::unix::fs::PermissionsExt;
        let dir = base.join(format!("rinit-{name}-{}", std::process::id()));
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

    /// Makes a named pipe `name` (for a tracer's report, say); returns its path.
    pub fn fifo(&self, name: &str) -> String {
        let path = self.file(name);
        nix::unistd::mkfifo(
            path.as_str(),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap_or_else(|e| panic!("mkfifo {path}: {e}"));
        path
    }

    /// A named pipe `name` that this process holds open for reading and
    /// writing (so opening it waits for no one): a process reading it gets
    /// end of input only once the returned file is dropped. Returns its path.
    pub fn held_fifo(&self, name: &str) -> (String, std::fs::File) {
        let path = self.fifo(name);
        let holder = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        (path, holder)
    }

    /// Writes `text` to `name` with this mode; returns its path.
    pub fn write(&self, name: &str, text: &str, mode: u32) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        self.file(name)
    }

    /// A copy of a binary that any uid can run (the build directory may not
    /// be reachable by them); returns its path.
    pub fn copy(&self, from: &std::path::Path, name: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let to = self.path(name);
        std::fs::copy(from, &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        self.file(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// CLOCK_MONOTONIC in microseconds: the clock `std::time::Instant` reads,
/// and the same in every PID namespace, so a test and the workload it runs
/// can compare their readings.
pub fn monotonic_micros() -> u128 {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).expect("clock_gettime");
    now.tv_sec() as u128 * 1_000_000 + now.tv_nsec() as u128 / 1_000
}

/// Runs a command to completion, stdin closed: its stdout, or, if it
/// fails, everything it said as the error.
pub fn output_of(mut cmd: Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_of_this_process() {
        let me = std::process::id() as i32;
        assert!(status_number(me, "VmHWM").is_some_and(|kb| kb > 0));
        assert!(status_mask(me, "SigBlk").is_some());
        assert_eq!(status_field(me, "NoSuchField"), None);
        // The main thread of this test program is running or asleep.
        assert!(
            matches!(proc_state(me), Some('R' | 'S')),
            "{:?}",
            proc_stat(me)
        );
        assert_eq!(
            proc_stat(me).unwrap()[1],
            std::os::unix::process::parent_id().to_string()
        );
    }

    #[test]
    fn timed_runs_report_their_exit_code() {
        let (code, took) = run_timed(Command::new("false"), SAFETY_NET);
        assert_eq!(code, 1);
        assert!(took < SAFETY_NET);
    }
}
