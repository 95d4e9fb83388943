//! Starting the child exactly as it would start without rinit.
//!
//! rinit clones and execs by hand instead of using `std::process::Command`:
//! - the child must get back the signal mask rinit inherited (rinit blocks
//!   everything for its signalfd, and a blocked mask survives exec);
//! - the command is looked up in PATH like `execvp`, but a file without a
//!   `#!` line is reported as "exec format error" (126) instead of being
//!   handed to `/bin/sh`, as glibc's `execvp` would and musl's would not: the
//!   same binary behaves the same on every C library, like the kernel and
//!   container runtimes do. Under a peer's name it is handed to `/bin/sh`,
//!   as the peers (all built on glibc's `execvp`) do (`run_scripts_with_sh`);
//! - starting the child needs no file descriptor, so that rinit starts with
//!   a single free one (for its signalfd): the child is made with
//!   `clone(CLONE_VM | CLONE_VFORK)`, as `posix_spawn` makes it, and an exec
//!   failure (the errno and the path that failed, for a precise message) is
//!   written into memory rinit reads once the child has exec'd or exited
//!   (and no page tables are copied). When two descriptors are free, a
//!   close-on-exec pipe carries the same report, as in musl's
//!   `posix_spawn`, for emulators that turn this clone into a plain fork
//!   (qemu-user, in foreign-architecture containers): there, with
//!   `ulimit -n` 4 or 5, an exec failure is seen only as the child's exit
//!   127.
//!
//! Between clone and exec the child neither allocates nor takes a lock: it
//! runs in rinit's memory, and only async-signal-safe calls are sound
//! there. (rinit's second thread, the log writer, is not started before the
//! child, so that it takes no process slot the child needs, see `logging`;
//! the child must not rely on that.) It writes nothing of rinit's but the
//! buffers made for it before the clone.
//! It does not even call the C library's `getpid`, which some versions
//! answer from a cache of the parent's pid (see `sys::kernel_getpid`).

use crate::personality::Personality;
use crate::signals::SignalSet;
use crate::sys;
use crate::text::printable;
use nix::errno::Errno;
use nix::sched::{CloneCb, CloneFlags, clone};
use nix::unistd::Pid;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the child looks for a command when PATH is unset: the list most
/// container images expect (the one Docker puts in a default environment).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Everything the child needs, prepared before the clone (the child may
/// not allocate).
pub(crate) struct ChildSpec {
    /// Paths to try, in order (one if the command holds a `/`).
    candidates: Candidates,
    argv: Vec<CString>,
    env: Vec<EnvEntry>,
    /// `LISTEN_PID=<rinit's pid>` sits at this index and must name the child.
    listen_pid_at: Option<usize>,
    /// Make the child's group the terminal's foreground group.
    take_terminal: bool,
    /// The mask to restore in the child: the one rinit inherited.
    mask: SignalSet,
    /// A file without a `#!` line (ENOEXEC) runs as `/bin/sh FILE ARGS...`.
    scripts_with_sh: bool,
}

/// One entry of an environment, `NAME=VALUE` as a C string: borrowed from
/// the C runtime's `envp` for the environment rinit was given (its strings
/// live as long as the process), owned for what `--env-file` and
/// `--env-from-files` add or replace.
pub type EnvEntry = std::borrow::Cow<'static, CStr>;

/// What glibc's `execvp` runs a file without a `#!` line with.
const SH: &CStr = c"/bin/sh";

#[derive(Debug)]
pub(crate) enum SpawnError {
    /// A NUL byte in the command or an argument (the environment comes as
    /// C strings already).
    Nul(String),
    Fork(Errno),
    /// Setting the child up before exec failed: its own process group, or
    /// (which a valid mask never makes fail) its signal mask.
    Setup(Errno),
    Exec {
        program: OsString,
        path: OsString,
        errno: Errno,
        /// What the errno meant for this path, found out when the exec
        /// failed: the message is worded later, and makes no system call.
        cause: ExecCause,
        /// The process that tried to exec (tini's message names it).
        child: Pid,
    },
}

/// What an exec failure means beyond its errno, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExecCause {
    /// ENOENT after a PATH search: no entry holds the command.
    NotInPath,
    /// ENOENT for a symbolic link that exists: its target does not.
    DanglingLink,
    /// EACCES for a directory.
    Directory,
    /// The errno says it all; for EMFILE, the limit on open descriptors.
    Errno { open_file_limit: Option<u64> },
}

impl ExecCause {
    /// Finds out, right after the failure, what `errno` means for `path`
    /// (`searched`: the command was looked up in PATH).
    fn of(errno: Errno, searched: bool, path: &Path) -> ExecCause {
        match errno {
            Errno::ENOENT if path.is_symlink() => ExecCause::DanglingLink,
            Errno::ENOENT if searched => ExecCause::NotInPath,
            Errno::EACCES if path.is_dir() => ExecCause::Directory,
            Errno::EMFILE => ExecCause::Errno {
                open_file_limit: sys::open_file_limit(),
            },
            _ => ExecCause::Errno {
                open_file_limit: None,
            },
        }
    }
}

impl SpawnError {
    /// The errno of a failed exec; `None` when rinit failed before it
    /// (a NUL byte, the fork, the child's set-up).
    pub(crate) fn exec_errno(&self) -> Option<Errno> {
        match self {
            SpawnError::Exec { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// An exec failure as the peer rinit stands in for words it, if it is
    /// one: the command as given (with control characters escaped, which
    /// leaves an ordinary name as the peer prints it), and the text for the
    /// error.
    pub(crate) fn peer_line(&self, personality: Personality) -> Option<String> {
        match self {
            SpawnError::Exec {
                program,
                errno,
                child,
                ..
            } => personality.exec_failure_line(
                &printable(program.as_bytes()),
                *errno,
                child.as_raw(),
            ),
            _ => None,
        }
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::Nul(what) => write!(f, "{what} contains a NUL byte"),
            SpawnError::Fork(e) => write!(f, "cannot fork the child: {}", errno_text(*e)),
            SpawnError::Setup(e) => write!(
                f,
                "cannot put the child in its own process group: {}",
                errno_text(*e)
            ),
            SpawnError::Exec {
                program,
                path,
                errno,
                cause,
                ..
            } => {
                let detail = match cause {
                    ExecCause::DanglingLink => "dangling symbolic link".to_owned(),
                    ExecCause::NotInPath => "command not found in PATH".to_owned(),
                    ExecCause::Directory => "is a directory".to_owned(),
                    ExecCause::Errno { .. } if *errno == Errno::ENOEXEC => format!(
                        "{}: not a binary for this machine, or a script without a '#!' line",
                        errno_text(*errno)
                    ),
                    ExecCause::Errno { open_file_limit } => {
                        crate::text::os_error(*errno, *open_file_limit)
                    }
                };
                // The name as typed, which may hold anything: escaped.
                let shown = printable(program.as_bytes());
                if *cause == ExecCause::NotInPath || path.as_bytes() == program.as_bytes() {
                    write!(f, "cannot run '{shown}': {detail}")
                } else {
                    let path = printable(path.as_bytes());
                    write!(f, "cannot run '{shown}' ({path}): {detail}")
                }
            }
        }
    }
}

/// A fork or set-up failure, which is never for want of descriptors: no
/// limit to name.
fn errno_text(errno: Errno) -> String {
    crate::text::os_error(errno, None)
}

impl ChildSpec {
    /// Prepares the command; `env` is the environment to pass on, entry by
    /// entry as rinit got it (PATH is looked up in it).
    pub(crate) fn new(
        command: &[OsString],
        env: Vec<EnvEntry>,
        own_pid: libc::pid_t,
        take_terminal: bool,
        mask: SignalSet,
    ) -> Result<ChildSpec, SpawnError> {
        let program = &command[0];
        let candidates = search_candidates(program, lookup(&env, "PATH"))
            .ok_or_else(|| SpawnError::Nul("the command".to_owned()))?;
        // From a slice, `CString::new` allocates once, with room for the NUL.
        let argv = command
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<_, _>>()
            .map_err(|_| SpawnError::Nul("an argument".to_owned()))?;
        let listen_pid_at = listen_pid_index(&env, own_pid);
        Ok(ChildSpec {
            candidates,
            argv,
            env,
            listen_pid_at,
            take_terminal,
            mask,
            scripts_with_sh: false,
        })
    }

    /// Runs a file without a `#!` line as `/bin/sh FILE ARGS...`, as glibc's
    /// `execvp` does (and with it tini, dumb-init and catatonit).
    pub(crate) fn run_scripts_with_sh(mut self, on: bool) -> ChildSpec {
        self.scripts_with_sh = on;
        self
    }

    /// Starts the child; returns once its exec has succeeded or failed.
    pub(crate) fn spawn(self) -> Result<Pid, SpawnError> {
        let (child, failure) = self.clone_and_exec(report_pipe())?;
        let Some((errno, index)) = failure else {
            return Ok(child); // the exec succeeded
        };
        // The child failed and has exited: collect it so no zombie stays.
        let _ = sys::wait_for(child.as_raw(), true);
        Err(self.failure(errno, index, child))
    }

    /// Clones the child, which sets itself up and execs, and waits for its
    /// exec (CLONE_VFORK); returns it with its failure report, if any.
    fn clone_and_exec(
        &self,
        pipe: Option<(OwnedFd, OwnedFd)>,
    ) -> Result<(Pid, Option<(Errno, u32)>), SpawnError> {
        // Everything the child writes is made here, before the clone.
        let argv = null_terminated(&self.argv);
        let mut envp = Vec::with_capacity(self.env.len() + 1);
        let mut sh_argv = Vec::with_capacity(self.argv.len() + 2);
        let mut listen_pid = [0u8; LISTEN_PID_ENTRY_LEN];
        let report = AtomicU64::new(NO_REPORT);
        let mut stack = vec![0u8; CHILD_STACK_SIZE];
        let report_pipe = pipe.as_ref().map(|(_, write)| write);
        let child_main: CloneCb = Box::new(|| {
            let (errno, index) = match self.set_up(&mut envp, &mut listen_pid) {
                Ok(()) => self.exec(&argv, &envp, &mut sh_argv),
                Err(e) => (e, SETUP_FAILED),
            };
            let encoded = encode_report(errno, index);
            // Release: rinit reads it after the child has exited.
            report.store(encoded, Ordering::Release);
            if let Some(write) = report_pipe {
                let _ = nix::unistd::write(write, &encoded.to_ne_bytes());
            }
            // SAFETY: _exit ends the child at once; nothing of rinit's (its
            // atexit handlers, its buffers) runs in it. (nix has no _exit.)
            unsafe { libc::_exit(127) }
        });
        // CLONE_VFORK suspends this thread until the child has exec'd or
        // exited, so rinit and the child never run on the memory they share
        // at the same time; the exit signal SIGCHLD makes the child an
        // ordinary one for waitpid.
        let flags = CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK;
        // SAFETY: the child runs `child_main` on `stack`, which outlives it
        // (this thread waits here until the child is gone from its memory)
        // and is far larger than the few syscall wrappers it calls need; it
        // neither allocates nor locks (see the module notes), and ends in
        // execve or _exit, never returning into rinit's frames.
        let child = unsafe { clone(child_main, &mut stack, flags, Some(libc::SIGCHLD)) }
            .map_err(SpawnError::Fork)?;
        let failure = match pipe {
            // The pipe closes on a successful exec: nothing to read.
            Some((read, write)) => {
                drop(write);
                read_report(&read)
            }
            None => decode_report(report.load(Ordering::Acquire)),
        };
        Ok((child, failure))
    }

    /// The error for the child's failure report.
    fn failure(mut self, errno: Errno, index: u32, child: Pid) -> SpawnError {
        if index == SETUP_FAILED {
            return SpawnError::Setup(errno);
        }
        let path = self
            .candidates
            .get(index as usize)
            .map(|c| OsStr::from_bytes(c.to_bytes()).to_owned())
            .unwrap_or_default();
        let program = OsString::from_vec(self.argv.swap_remove(0).into_bytes());
        let searched = !program.as_bytes().contains(&b'/');
        SpawnError::Exec {
            cause: ExecCause::of(errno, searched, Path::new(&path)),
            program,
            path,
            errno,
            child,
        }
    }

    /// Runs in the child, before exec: its own process group (and the
    /// terminal's foreground, if asked), its environment with `LISTEN_PID`
    /// naming it, and the signal mask rinit inherited.
    fn set_up(
        &self,
        envp: &mut Vec<*const libc::c_char>,
        listen_pid: &mut [u8; LISTEN_PID_ENTRY_LEN],
    ) -> Result<(), Errno> {
        nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
        let pid = sys::kernel_getpid();
        if self.take_terminal {
            // SIGTTOU is still blocked here, so a background group may do this.
            if let Some(stdin) = sys::stdin_fd() {
                let _ = nix::unistd::tcsetpgrp(stdin, Pid::from_raw(pid));
            }
        }
        if self.listen_pid_at.is_some() {
            write_listen_pid(listen_pid, pid as u32);
        }
        // Within the capacity reserved before the clone: no allocation.
        envp.extend(self.env.iter().enumerate().map(|(at, entry)| {
            if Some(at) == self.listen_pid_at {
                listen_pid.as_ptr().cast()
            } else {
                entry.as_ptr()
            }
        }));
        envp.push(std::ptr::null());
        sys::change_signal_mask(libc::SIG_SETMASK, self.mask).map(drop)
    }

    /// Runs in the child: execs each candidate in turn. Returns only on
    /// failure, with the errno and the index of the candidate that decided
    /// it.
    fn exec(
        &self,
        argv: &[*const libc::c_char],
        envp: &[*const libc::c_char],
        sh_argv: &mut Vec<*const libc::c_char>,
    ) -> (Errno, u32) {
        // As execvp: a file found but not executable is reported only if no
        // later PATH entry runs; otherwise the last "not here" is reported.
        let mut denied = None;
        let mut last = (Errno::ENOENT, 0);
        for (index, path) in self.candidates.iter() {
            // SAFETY: path, argv and envp are NUL-terminated strings and
            // null-terminated arrays that outlive the call.
            unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
            let errno = Errno::last();
            if errno == Errno::ENOEXEC && self.scripts_with_sh {
                // Within the capacity reserved before the clone: no allocation.
                sh_argv.push(SH.as_ptr());
                sh_argv.push(path.as_ptr());
                sh_argv.extend_from_slice(&argv[1..]); // ends with argv's null
                // SAFETY: as above; sh_argv is null-terminated.
                unsafe { libc::execve(SH.as_ptr(), sh_argv.as_ptr(), envp.as_ptr()) };
                sh_argv.clear();
            }
            match search_continues_after(errno) {
                SearchStep::Next => last = (errno, index as u32),
                SearchStep::NextRemembering => {
                    denied.get_or_insert((errno, index as u32));
                }
                SearchStep::Stop => return (errno, index as u32),
            }
        }
        denied.unwrap_or(last)
    }
}

/// The pipe that carries the child's failure report where the clone turns
/// into a plain fork (qemu-user, a foreign-architecture container): there
/// CLONE_VFORK and CLONE_VM are dropped, the report in memory would never
/// reach rinit, and rinit would not even wait for the exec. Close-on-exec,
/// as in musl's posix_spawn; only taken if two descriptors are free, since
/// rinit must start with one (see the module notes). Never on descriptors
/// 0-2 (`sys::hold_closed_stdio` keeps them taken; should that have failed,
/// a line written to stderr would read as a report).
fn report_pipe() -> Option<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .ok()
        .filter(|(read, write)| read.as_raw_fd() > 2 && write.as_raw_fd() > 2)
}

/// `LISTEN_PID=`, the ten digits of the largest pid, and the NUL.
const LISTEN_PID_ENTRY_LEN: usize = "LISTEN_PID=".len() + 10 + 1;

/// Writes `LISTEN_PID=<pid>` and its NUL into `buf` without allocating (it
/// runs in the child, between clone and exec).
fn write_listen_pid(buf: &mut [u8; LISTEN_PID_ENTRY_LEN], pid: u32) {
    const KEY: &[u8] = b"LISTEN_PID=";
    buf[..KEY.len()].copy_from_slice(KEY);
    let mut digits = [0u8; 10];
    let mut n = pid;
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let end = KEY.len() + digits.len() - start;
    buf[KEY.len()..end].copy_from_slice(&digits[start..]);
    buf[end] = 0;
}

/// In a failure report, instead of a candidate index: setup failed.
const SETUP_FAILED: u32 = u32::MAX;

/// The child's stack. Its calls are a handful of syscall wrappers, a few
/// hundred bytes deep even unoptimised; only the pages it touches are ever
/// backed by memory, and it is freed once the child has exec'd.
const CHILD_STACK_SIZE: usize = 64 * 1024;

/// What the report holds while the child has not failed (an errno is
/// positive, so no failure encodes to it).
const NO_REPORT: u64 = u64::MAX;

/// An exec failure as the child reports it: the errno in the high half, the
/// index of the candidate (or `SETUP_FAILED`) in the low half.
fn encode_report(errno: Errno, index: u32) -> u64 {
    (u64::from(errno as i32 as u32) << 32) | u64::from(index)
}

/// Reads the report from the pipe: nothing when the child's exec closed it.
fn read_report(pipe: &OwnedFd) -> Option<(Errno, u32)> {
    let mut report = [0u8; 8];
    let mut got = 0;
    while got < report.len() {
        match nix::unistd::read(pipe, &mut report[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::EINTR) => {}
            Err(_) => break,
        }
    }
    (got == report.len())
        .then(|| decode_report(u64::from_ne_bytes(report)))
        .flatten()
}

fn decode_report(report: u64) -> Option<(Errno, u32)> {
    (report != NO_REPORT).then(|| (Errno::from_raw((report >> 32) as i32), report as u32))
}

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// The paths the child tries, in order, each with its NUL, one after the
/// other in a single buffer: a long PATH costs two allocations, not one
/// per entry.
#[derive(Debug, Default)]
struct Candidates {
    bytes: Vec<u8>,
    /// Where each path starts in `bytes`.
    starts: Vec<usize>,
}

impl Candidates {
    /// Adds the path made of `parts`.
    fn push(&mut self, parts: &[&[u8]]) {
        self.starts.push(self.bytes.len());
        for part in parts {
            self.bytes.extend_from_slice(part);
        }
        self.bytes.push(0);
    }

    /// The path at `index`, if there is one.
    fn get(&self, index: usize) -> Option<&CStr> {
        let start = *self.starts.get(index)?;
        CStr::from_bytes_until_nul(self.bytes.get(start..)?).ok()
    }

    /// Each path with its index (which the failure report gives back).
    /// Allocates nothing: it runs in the child too.
    fn iter(&self) -> impl Iterator<Item = (usize, &CStr)> {
        (0..self.starts.len()).filter_map(|index| Some((index, self.get(index)?)))
    }
}

/// `execvp`'s search: a name with a `/` is used as is; otherwise each PATH
/// entry in turn, an empty entry meaning the current directory. `None` if
/// the name holds a NUL byte (no C string can).
fn search_candidates(program: &OsStr, path: Option<&OsStr>) -> Option<Candidates> {
    let program = program.as_bytes();
    if program.contains(&0) {
        return None;
    }
    let mut candidates = Candidates::default();
    if program.contains(&b'/') {
        candidates.push(&[program]);
        return Some(candidates);
    }
    let path = path.map_or(DEFAULT_PATH.as_bytes(), |p| p.as_bytes());
    let entries = path.split(|&b| b == b':');
    let count = entries.clone().count();
    // Room for every entry (or `.`), a slash, the name and a NUL.
    candidates
        .bytes
        .reserve(path.len() + count * (program.len() + 3));
    candidates.starts.reserve(count);
    for dir in entries {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let slash: &[u8] = if dir.last() == Some(&b'/') { b"" } else { b"/" };
        candidates.push(&[dir, slash, program]);
    }
    Some(candidates)
}

#[derive(Debug, PartialEq, Eq)]
enum SearchStep {
    /// Not here: try the next PATH entry.
    Next,
    /// Here but not executable: try on, and report this if nothing else runs.
    NextRemembering,
    /// A real failure of an existing file: report it now.
    Stop,
}

/// How `execvp` reacts to each exec failure during its PATH search.
fn search_continues_after(errno: Errno) -> SearchStep {
    match errno {
        Errno::ENOENT | Errno::ENOTDIR | Errno::ESTALE | Errno::ENODEV | Errno::ETIMEDOUT => {
            SearchStep::Next
        }
        Errno::EACCES => SearchStep::NextRemembering,
        _ => SearchStep::Stop,
    }
}

/// The value of `name` in an environment given entry by entry, as the C
/// library's `getenv` finds it: the first entry that starts with `name=`.
/// An entry without `=` names no variable.
pub(crate) fn lookup<'a>(
    env: impl IntoIterator<Item = &'a EnvEntry>,
    name: &str,
) -> Option<&'a OsStr> {
    let value = env
        .into_iter()
        .find_map(|entry| value_in(entry, name.as_bytes()))?;
    Some(OsStr::from_bytes(value))
}

/// Where `lookup` finds `name`: the index of its entry.
pub(crate) fn position(env: &[EnvEntry], name: &[u8]) -> Option<usize> {
    env.iter().position(|entry| value_in(entry, name).is_some())
}

/// The value of `entry` if it is `name=VALUE`.
fn value_in<'a>(entry: &'a EnvEntry, name: &[u8]) -> Option<&'a [u8]> {
    entry.to_bytes().strip_prefix(name)?.strip_prefix(b"=")
}

/// The entries of an environment that can configure rinit: its own
/// variables and the peers' all start with one of `PREFIXES`. The command
/// line's parser asks for a few dozen names; one pass over the environment
/// here spares it a pass per name (most containers set none of them, and
/// then no name costs more than a glance at this empty list).
pub(crate) struct Ours<'a> {
    env: &'a [EnvEntry],
    entries: Vec<&'a EnvEntry>,
}

impl<'a> Ours<'a> {
    const PREFIXES: [&'static [u8]; 4] = [b"RINIT_", b"TINI_", b"DUMB_INIT_", b"CATATONIT_"];

    pub(crate) fn of(env: &'a [EnvEntry]) -> Ours<'a> {
        let ours = |entry: &&EnvEntry| Self::is_ours(entry.to_bytes());
        Ours {
            env,
            entries: env.iter().filter(ours).collect(),
        }
    }

    fn is_ours(name: &[u8]) -> bool {
        Self::PREFIXES.iter().any(|p| name.starts_with(p))
    }

    /// `lookup(env, name)`, from the entries kept here when `name` is one
    /// of ours (the same answer: they keep their order).
    pub(crate) fn lookup(&self, name: &str) -> Option<&'a OsStr> {
        if Self::is_ours(name.as_bytes()) {
            lookup(self.entries.iter().copied(), name)
        } else {
            lookup(self.env, name)
        }
    }
}

/// systemd socket activation: `LISTEN_PID` names the process the sockets are
/// for. If it names rinit, it is really meant for the child. Only the entry
/// `getenv` would find is looked at, as sd_listen_fds does.
fn listen_pid_index(env: &[EnvEntry], own_pid: libc::pid_t) -> Option<usize> {
    let at = position(env, b"LISTEN_PID")?;
    let value = value_in(&env[at], b"LISTEN_PID")?;
    let names_rinit = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) == Some(own_pid);
    names_rinit.then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    /// The candidates' paths, in order.
    fn search(program: &str, path: Option<&str>) -> Vec<String> {
        let found = search_candidates(&os(program), path.map(os).as_deref()).unwrap();
        let paths: Vec<String> = found
            .iter()
            .map(|(_, c)| c.to_str().unwrap().to_owned())
            .collect();
        // Indexes count from 0 up, as the failure report expects.
        assert!(found.iter().map(|(i, _)| i).eq(0..paths.len()));
        paths
    }

    #[test]
    fn search_uses_path_like_execvp() {
        assert_eq!(search("ls", Some("/a:/b/")), ["/a/ls", "/b/ls"]);
        assert_eq!(search("ls", Some(":/a")), ["./ls", "/a/ls"]);
        assert_eq!(search("ls", Some("/a::")), ["/a/ls", "./ls", "./ls"]);
        assert_eq!(search("./x", Some("/a")), ["./x"]);
        assert_eq!(search("/bin/x", None), ["/bin/x"]);
        assert_eq!(search("ls", None).len(), DEFAULT_PATH.split(':').count());
        assert!(search_candidates(&os("l\0s"), None).is_none());
        let found = search_candidates(&os("ls"), Some(&os("/a"))).unwrap();
        assert!(found.get(1).is_none());
    }

    #[test]
    fn search_steps() {
        assert_eq!(search_continues_after(Errno::ENOENT), SearchStep::Next);
        assert_eq!(
            search_continues_after(Errno::EACCES),
            SearchStep::NextRemembering
        );
        assert_eq!(search_continues_after(Errno::ENOEXEC), SearchStep::Stop);
        assert_eq!(search_continues_after(Errno::E2BIG), SearchStep::Stop);
    }

    #[test]
    fn reports_round_trip() {
        assert_eq!(decode_report(NO_REPORT), None);
        for (errno, index) in [
            (Errno::ENOENT, 0),
            (Errno::EACCES, 7),
            (Errno::E2BIG, u32::MAX - 1),
            (Errno::EPERM, SETUP_FAILED),
        ] {
            assert_eq!(
                decode_report(encode_report(errno, index)),
                Some((errno, index))
            );
        }
    }

    #[test]
    fn listen_pid_entry_is_written_in_place() {
        for pid in [0, 7, 42, 1_000_000, 4_194_304, u32::MAX] {
            let mut buf = [0xffu8; LISTEN_PID_ENTRY_LEN];
            write_listen_pid(&mut buf, pid);
            let entry = std::ffi::CStr::from_bytes_until_nul(&buf).unwrap();
            assert_eq!(entry.to_bytes(), format!("LISTEN_PID={pid}").as_bytes());
        }
    }

    fn env(entries: &[&[u8]]) -> Vec<EnvEntry> {
        entries
            .iter()
            .map(|e| EnvEntry::Owned(CString::new(*e).unwrap()))
            .collect()
    }

    #[test]
    fn listen_pid_is_rewritten_only_when_it_names_rinit() {
        let list = env(&[b"A=1", b"LISTEN_PID=7"]);
        assert_eq!(listen_pid_index(&list, 7), Some(1));
        assert_eq!(listen_pid_index(&list, 8), None);
        // The first entry is the one the child's getenv sees.
        let list = env(&[b"LISTEN_PID=8", b"LISTEN_PID=7"]);
        assert_eq!(listen_pid_index(&list, 7), None);
        assert_eq!(listen_pid_index(&env(&[b"LISTEN_PID", b"x"]), 7), None);
    }

    #[test]
    fn our_variables_are_found_as_a_full_lookup_finds_them() {
        let list = env(&[
            b"RINIT_GRACE",
            b"PATH=/bin",
            b"RINIT_GRACE=1s",
            b"TINI_SUBREAPER=",
            b"RINIT_GRACE=2s",
            b"DUMB_INIT_SETSID=0",
            b"RINIT_GRACEX=no",
            b"CATATONIT_DEBUG=1",
        ]);
        let ours = Ours::of(&list);
        for name in [
            "RINIT_GRACE",
            "RINIT_GRAC",
            "TINI_SUBREAPER",
            "DUMB_INIT_SETSID",
            "CATATONIT_DEBUG",
            "RINIT_PAUSE",
            "PATH",
            "NOPE",
        ] {
            assert_eq!(ours.lookup(name), lookup(&list, name), "{name}");
        }
        assert_eq!(ours.entries.len(), 7);
    }

    #[test]
    fn lookup_finds_what_getenv_finds() {
        let list = env(&[
            b"PATHX=no",
            b"PATH",
            b"",
            b"=PATH=no",
            b"PATH=/first",
            b"PATH=/second",
            b"ODD=\xff",
            b"EMPTY=",
        ]);
        assert_eq!(lookup(&list, "PATH"), Some(OsStr::new("/first")));
        assert_eq!(lookup(&list, "EMPTY"), Some(OsStr::new("")));
        assert_eq!(lookup(&list, "PAT"), None);
        assert_eq!(lookup(&list, "NOPE"), None);
        assert_eq!(
            lookup(&list, "ODD").map(OsStr::as_bytes),
            Some(&b"\xff"[..])
        );
    }

    #[test]
    fn messages_name_the_command_and_the_cause() {
        let plain = ExecCause::Errno {
            open_file_limit: None,
        };
        let exec = |program: &str, path: &str, errno, cause| SpawnError::Exec {
            program: os(program),
            path: os(path),
            errno,
            cause,
            child: Pid::from_raw(2),
        };
        assert_eq!(
            exec("nope", "/usr/bin/nope", Errno::ENOENT, ExecCause::NotInPath).to_string(),
            "cannot run 'nope': command not found in PATH"
        );
        assert_eq!(
            exec("/d", "/d", Errno::EACCES, ExecCause::Directory).to_string(),
            "cannot run '/d': is a directory"
        );
        assert_eq!(
            exec("./l", "./l", Errno::ENOENT, ExecCause::DanglingLink).to_string(),
            "cannot run './l': dangling symbolic link"
        );
        assert!(
            exec("./s", "./s", Errno::ENOEXEC, plain)
                .to_string()
                .contains("#!")
        );
        let out_of_descriptors = ExecCause::Errno {
            open_file_limit: Some(3),
        };
        assert_eq!(
            exec("./x", "./x", Errno::EMFILE, out_of_descriptors).to_string(),
            "cannot run './x': Too many open files (os error 24); the open-file limit is 3"
        );
        // Control characters in a name cannot split the line or reach the
        // terminal, in rinit's message or in a peer's.
        assert_eq!(
            exec(
                "a\nb\x1b[2J",
                "/bin/a\nb\x1b[2J",
                Errno::ENOENT,
                ExecCause::NotInPath
            )
            .to_string(),
            "cannot run 'a\\nb\\u{1b}[2J': command not found in PATH"
        );
        assert_eq!(
            exec("./a\rb", "./a\rb", Errno::EACCES, plain).to_string(),
            "cannot run './a\\rb': Permission denied (os error 13)"
        );
        assert_eq!(
            exec("x\ty", "/usr/bin/x\ty", Errno::EACCES, plain).to_string(),
            "cannot run 'x\\ty' (/usr/bin/x\\ty): Permission denied (os error 13)"
        );
        let odd = SpawnError::Exec {
            program: OsString::from_vec(b"x\n\xff".to_vec()),
            path: os("x"),
            errno: Errno::ENOENT,
            cause: plain,
            child: Pid::from_raw(9),
        };
        assert_eq!(
            odd.peer_line(Personality::Tini).unwrap(),
            "[FATAL tini (9)] exec x\\n\\xff failed: No such file or directory"
        );
        assert_eq!(
            exec("/bin/ok", "/bin/ok", Errno::ENOENT, plain)
                .peer_line(Personality::DumbInit)
                .unwrap(),
            "[dumb-init] /bin/ok: No such file or directory"
        );
    }

    /// The file system is asked when the exec fails, not when the message
    /// is worded.
    #[test]
    fn the_cause_is_found_from_the_path_that_failed() {
        let missing = Path::new("/nonexistent-rinit-test/x");
        assert_eq!(
            ExecCause::of(Errno::ENOENT, true, missing),
            ExecCause::NotInPath
        );
        assert_eq!(
            ExecCause::of(Errno::ENOENT, false, missing),
            ExecCause::Errno {
                open_file_limit: None
            }
        );
        assert_eq!(
            ExecCause::of(Errno::EACCES, false, Path::new("/")),
            ExecCause::Directory
        );
        let link = std::env::temp_dir().join(format!("rinit-dangling-{}", std::process::id()));
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(missing, &link).unwrap();
        let cause = ExecCause::of(Errno::ENOENT, true, &link);
        std::fs::remove_file(&link).unwrap();
        assert_eq!(cause, ExecCause::DanglingLink);
        assert!(matches!(
            ExecCause::of(Errno::EMFILE, false, missing),
            ExecCause::Errno {
                open_file_limit: Some(_)
            }
        ));
    }
}
