//! The thin layer of system calls under rinit's decisions.
//!
//! Signal masks and the signalfd use the kernel's 64-bit set directly (see
//! `signals::SignalSet`): the C library's `sigset_t` helpers refuse the
//! signals the library reserves for itself, and nix's `Signal` cannot name
//! real-time signals. Everything else goes through nix where it can.

use crate::policy::Received;
use crate::signals::{Signal, SignalSet};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Instant;

/// The kernel's `sizeof(sigset_t)`: 64 signals, 8 bytes.
const KERNEL_SIGSET_SIZE: libc::size_t = 8;

fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// `rt_sigprocmask(how, set)`, returning the previous mask. Async-signal-safe,
/// so the forked child may call it before exec.
pub fn change_signal_mask(how: libc::c_int, set: SignalSet) -> io::Result<SignalSet> {
    let new = set.bits();
    let mut old: u64 = 0;
    // SAFETY: both pointers are to live u64s, exactly the 8-byte set the
    // kernel reads and writes when given KERNEL_SIGSET_SIZE.
    check(unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            how,
            &new as *const u64,
            &mut old as *mut u64,
            KERNEL_SIGSET_SIZE,
        )
    })?;
    Ok(SignalSet::from_bits(old))
}

/// A signalfd for the blocked signals, read in batches.
pub struct SignalReader {
    fd: OwnedFd,
    /// Kept between reads: zeroing 8 KiB on every wake-up cost more than
    /// everything else rinit does to forward a signal.
    buf: Box<[u8; SIGINFO_SIZE * BATCH]>,
}

/// The kernel's `struct signalfd_siginfo` is 128 bytes; the fields rinit
/// needs sit at fixed offsets (see signalfd(2)).
const SIGINFO_SIZE: usize = 128;
const BATCH: usize = 64;

impl SignalReader {
    pub fn new(set: SignalSet) -> io::Result<SignalReader> {
        let bits = set.bits();
        // SAFETY: `bits` is the 8-byte kernel set; -1 asks for a new fd.
        let raw = check(unsafe {
            libc::syscall(
                libc::SYS_signalfd4,
                -1,
                &bits as *const u64,
                KERNEL_SIGSET_SIZE,
                libc::SFD_CLOEXEC,
            )
        })? as libc::c_int;
        // SAFETY: the kernel just returned this descriptor and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(SignalReader {
            fd: keep_off_stdio(fd)?,
            buf: Box::new([0; SIGINFO_SIZE * BATCH]),
        })
    }

    /// Blocks until at least one signal is pending or `deadline` passes, and
    /// returns every signal that was pending (none on time-out). Without a
    /// deadline it sleeps in `read` and costs nothing while idle.
    pub fn wait(&mut self, deadline: Option<Instant>, out: &mut Vec<Received>) -> io::Result<()> {
        out.clear();
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            // Round up, so a wake-up never comes before the deadline.
            let millis = left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
            let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
            match poll(
                &mut fds,
                PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX),
            ) {
                Ok(0) => return Ok(()),
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let n = loop {
            match nix::unistd::read(&self.fd, &mut self.buf[..]) {
                Ok(n) => break n,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        };
        out.extend(
            self.buf[..n]
                .chunks_exact(SIGINFO_SIZE)
                .filter_map(parse_siginfo),
        );
        Ok(())
    }
}

fn parse_siginfo(raw: &[u8]) -> Option<Received> {
    let field = |at: usize| u32::from_ne_bytes(raw[at..at + 4].try_into().unwrap());
    let signal = Signal::from_number(field(0) as i32)?; // ssi_signo
    let sender = field(12) as i32; // ssi_pid
    Some(Received { signal, sender })
}

/// Moves a descriptor of rinit's own to 3 or above, so that if rinit was
/// started with stdin, stdout or stderr closed, its log lines cannot land in
/// its own descriptors and the child still finds those slots closed.
fn keep_off_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // F_DUPFD fails with EINVAL, not EMFILE, when the limit on descriptors
    // is 3 or less: report what it means.
    let moved =
        nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(3)).map_err(|e| match e {
            Errno::EINVAL => Errno::EMFILE,
            e => e,
        })?;
    // SAFETY: fcntl returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(moved) })
}

/// `waitpid(pid, WNOHANG or 0)`, with the raw status: `Ok(None)` when
/// WNOHANG finds children but none has ended. Raw because nix's `waitpid`
/// cannot represent a death by a real-time signal: it reaps the process and
/// then returns EINVAL, and the status is gone (see
/// `Termination::from_wait_status`).
pub fn wait_for(pid: libc::pid_t, block: bool) -> Result<Option<(libc::pid_t, i32)>, Errno> {
    let flags = if block { 0 } else { libc::WNOHANG };
    let mut status = 0;
    // SAFETY: status is a live c_int the kernel writes the status into.
    match Errno::result(unsafe { libc::waitpid(pid, &mut status, flags) })? {
        0 => Ok(None),
        pid => Ok(Some((pid, status))),
    }
}

/// The next child that has ended, without reaping it (`waitid` with
/// WNOWAIT): `Ok(None)` when children remain but none has ended. While it
/// is a zombie, its /proc entry still names it (see `process_name`); the
/// status comes in `waitpid`'s raw encoding. The caller then reaps it with
/// `wait_for(pid, false)`.
pub fn peek_ended() -> Result<Option<(libc::pid_t, i32)>, Errno> {
    // SAFETY: an all-zero siginfo_t is a valid value (plain integers and unions of them).
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: info is a live siginfo_t the kernel fills in.
    Errno::result(unsafe { libc::waitid(libc::P_ALL, 0, &mut info, flags) })?;
    // SAFETY: after a successful waitid for WEXITED, si_pid and si_status are
    // the fields the kernel set; a pid of 0 (as zeroed) means none has ended.
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    if pid == 0 {
        return Ok(None);
    }
    let raw = match info.si_code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_DUMPED => status | 0x80,
        _ => status,
    };
    Ok(Some((pid, raw)))
}

/// A process's name (`/proc/PID/comm`, at most 15 bytes), `None` once it
/// is reaped or when /proc belongs to another PID namespace.
pub fn process_name(pid: libc::pid_t) -> Option<String> {
    if !proc_is_ours() {
        return None;
    }
    let comm = std::fs::read(format!("/proc/{pid}/comm")).ok()?;
    let comm = comm.strip_suffix(b"\n").unwrap_or(&comm);
    Some(String::from_utf8_lossy(comm).into_owned())
}

/// Whether /proc shows rinit's own PID namespace (its numbers then name
/// the right processes). Checked once: rinit does not remount it.
fn proc_is_ours() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    // 0: not checked yet, 1: ours, 2: not ours.
    static OURS: AtomicU8 = AtomicU8::new(0);
    match OURS.load(Ordering::Relaxed) {
        0 => {
            let ours = std::fs::read_link("/proc/self")
                .ok()
                .and_then(|own| own.to_str()?.parse::<libc::pid_t>().ok())
                == Some(own_pid());
            OURS.store(if ours { 1 } else { 2 }, Ordering::Relaxed);
            ours
        }
        state => state == 1,
    }
}

/// Writes `bytes` to `path` if it is an existing, writable, empty regular
/// file; `Ok(false)` if it is not empty or not a regular file. Never creates
/// the file, and never blocks on a FIFO (O_NONBLOCK).
pub fn write_if_empty(path: &std::path::Path, bytes: &[u8]) -> io::Result<bool> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() || meta.len() != 0 {
        return Ok(false);
    }
    file.write_all(bytes)?;
    Ok(true)
}

/// `kill(pid, signal)` for any signal, real-time ones included.
pub fn send_signal(pid: libc::pid_t, signal: Signal) -> Result<(), Errno> {
    // SAFETY: kill takes plain integers and touches no memory of ours.
    Errno::result(unsafe { libc::kill(pid, signal.number()) }).map(drop)
}

pub fn own_pid() -> libc::pid_t {
    nix::unistd::getpid().as_raw()
}

pub fn set_child_subreaper() -> io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(Into::into)
}

/// Asks for `signal` when the parent dies. Returns whether `parent`, the
/// parent rinit started with, was already gone by then: the kernel will never send the signal, and the
/// caller must act on it itself (sending it to rinit would not do: a signal
/// rinit raises on itself is not forwarded).
pub fn set_parent_death_signal(signal: Signal, parent: nix::unistd::Pid) -> io::Result<bool> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and reads no memory.
    check(
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal.number() as libc::c_ulong) }
            as libc::c_long,
    )?;
    Ok(nix::unistd::getppid() != parent)
}

/// The process group of `pid`, `None` once it is gone.
pub fn process_group(pid: libc::pid_t) -> Option<libc::pid_t> {
    nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid)))
        .ok()
        .map(|group| group.as_raw())
}

/// Whether rinit's process group owns the terminal on stdin, in which case
/// the child's group should own it instead.
pub fn owns_terminal_foreground() -> bool {
    let stdin = std::io::stdin();
    nix::unistd::tcgetpgrp(stdin.as_fd()).is_ok_and(|group| group == nix::unistd::getpgrp())
}

pub fn stdin_fd() -> BorrowedFd<'static> {
    // SAFETY: descriptor 0 is only borrowed for tcsetpgrp in the child; if it
    // is closed the call fails harmlessly.
    unsafe { BorrowedFd::borrow_raw(0) }
}

/// Every live process below `root` in the process tree, read from /proc.
/// `Ok(None)` when /proc is missing or belongs to another PID namespace (its
/// numbers would then name the wrong processes).
pub fn live_descendants(root: libc::pid_t) -> Option<Vec<libc::pid_t>> {
    let own = std::fs::read_link("/proc/self").ok()?;
    if own.to_str()?.parse::<libc::pid_t>().ok()? != own_pid() {
        return None;
    }
    let mut table = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // A process may vanish between listing and reading: skip it.
        if let Ok(stat) = std::fs::read(format!("/proc/{pid}/stat")) {
            if let Some(stat) = parse_stat(&stat) {
                table.push(ProcEntry {
                    pid,
                    parent: stat.parent,
                    live: stat.is_alive(),
                });
            }
        }
    }
    Some(descendants_of(root, &table))
}

#[derive(Clone, Copy, Debug)]
pub struct ProcEntry {
    pub pid: libc::pid_t,
    pub parent: libc::pid_t,
    pub live: bool,
}

/// The fields of `/proc/PID/stat` that rinit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub state: u8,
    pub parent: libc::pid_t,
    pub threads: u32,
}

impl Stat {
    /// A zombie whose thread count is above one is a process whose main
    /// thread has exited (`pthread_exit` in `main`) while other threads run:
    /// /proc shows it as `Z`, but it is alive, holds its resources, and must
    /// be signalled like any other process.
    pub fn is_alive(&self) -> bool {
        !matches!(self.state, b'Z' | b'X') || self.threads > 1
    }
}

/// Parses `/proc/PID/stat`. The command name in parentheses may itself hold
/// spaces and parentheses, so the fields are counted from the last `)`.
pub fn parse_stat(stat: &[u8]) -> Option<Stat> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let fields: Vec<&[u8]> = stat[close + 1..]
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .collect();
    let number = |at: usize| std::str::from_utf8(fields.get(at)?).ok()?.parse().ok();
    Some(Stat {
        state: *fields.first()?.first()?,
        parent: number(1)?,
        // Field 20 of the file; the state is field 3.
        threads: number(17)? as u32,
    })
}

/// Live processes whose chain of parents leads to `root` (zombies are
/// followed, since their children are still below root, but not listed).
pub fn descendants_of(root: libc::pid_t, table: &[ProcEntry]) -> Vec<libc::pid_t> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for entry in table.iter().filter(|e| e.parent == parent && e.pid != root) {
            frontier.push(entry.pid);
            if entry.live {
                found.push(entry.pid);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line with the given name, state, parent and thread count, the
    /// other fields as the kernel prints them for a small process.
    fn stat_line(name: &str, state: char, parent: i32, threads: u32) -> Vec<u8> {
        format!(
            "42 ({name}) {state} {parent} 42 42 0 -1 4194560 125 0 0 0 0 0 0 0 20 0 {threads} 0 95928 0 0"
        )
        .into_bytes()
    }

    #[test]
    fn stat_lines_with_awkward_names() {
        let stat = |state, parent, threads| {
            Some(Stat {
                state,
                parent,
                threads,
            })
        };
        assert_eq!(parse_stat(&stat_line("sleep", 'S', 1, 1)), stat(b'S', 1, 1));
        assert_eq!(
            parse_stat(&stat_line("a) b) (c", 'Z', 3, 1)),
            stat(b'Z', 3, 1)
        );
        assert_eq!(
            parse_stat(&stat_line("x y", 'R', 12345, 9)),
            stat(b'R', 12345, 9)
        );
        assert_eq!(parse_stat(b"garbage"), None);
        assert_eq!(parse_stat(b"1 (x) S"), None);
        assert_eq!(parse_stat(b"1 (x) S 1 42 42 0"), None);
    }

    #[test]
    fn a_zombie_leader_with_running_threads_is_alive() {
        let alive = |line: Vec<u8>| parse_stat(&line).unwrap().is_alive();
        assert!(alive(stat_line("app", 'S', 1, 1)));
        assert!(alive(stat_line("app", 'Z', 1, 2)));
        assert!(!alive(stat_line("app", 'Z', 1, 1)));
        assert!(!alive(stat_line("app", 'X', 1, 1)));
    }

    #[test]
    fn descendants_follow_the_tree_but_skip_the_dead() {
        let e = |pid, parent, live| ProcEntry { pid, parent, live };
        let table = [
            e(1, 0, true),
            e(10, 1, true),
            e(11, 10, true),
            e(12, 11, false),
            e(13, 12, true),
            e(20, 99, true),
            e(99, 0, true),
        ];
        let mut got = descendants_of(1, &table);
        got.sort();
        assert_eq!(got, vec![10, 11, 13]);
        assert_eq!(descendants_of(10, &table).len(), 2);
        assert!(descendants_of(13, &table).is_empty());
    }

    #[test]
    fn siginfo_fields_come_from_their_offsets() {
        let mut raw = [0u8; SIGINFO_SIZE];
        raw[0..4].copy_from_slice(&15u32.to_ne_bytes());
        raw[12..16].copy_from_slice(&4321u32.to_ne_bytes());
        assert_eq!(
            parse_siginfo(&raw),
            Some(Received {
                signal: Signal::TERM,
                sender: 4321
            })
        );
        raw[0..4].copy_from_slice(&0u32.to_ne_bytes());
        assert_eq!(parse_siginfo(&raw), None);
    }
}
