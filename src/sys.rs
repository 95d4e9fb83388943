//! The thin layer of system calls under rinit's decisions.
//!
//! Signal masks and the signalfd use the kernel's 64-bit set directly (see
//! `signals::SignalSet`): the C library's `sigset_t` helpers refuse the
//! signals the library reserves for itself, and nix's `Signal` cannot name
//! real-time signals. Everything else goes through nix where it can.
//!
//! Every call returns nix's `Errno` on failure, the raw system calls and
//! std's thread start included: one error type, which callers word with
//! `text::os_error`.

use crate::signals::{Received, Signal, SignalSet};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The kernel's `sizeof(sigset_t)`: 64 signals, 8 bytes.
const KERNEL_SIGSET_SIZE: libc::size_t = 8;

/// Starts a thread of rinit's own (the log writer, a probe, the readiness
/// watch) that can never take a signal meant for the signal loop: it runs
/// with every signal blocked, whatever the caller's mask at that moment.
/// The new thread blocks them again itself, with the raw system call:
/// glibc's thread creation unblocks the two signals it keeps (32 and 33)
/// in every new thread, and its `sigprocmask` refuses to block them, so a
/// 32 or 33 sent to rinit would go to its handler in that thread instead of
/// being forwarded.
pub(crate) fn spawn_thread(
    name: &str,
    stack_size: usize,
    body: impl FnOnce() + Send + 'static,
) -> Result<(), Errno> {
    let previous = change_signal_mask(libc::SIG_BLOCK, SignalSet::blockable());
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(stack_size)
        .spawn(move || {
            let _ = change_signal_mask(libc::SIG_BLOCK, SignalSet::blockable());
            body();
        });
    if let Ok(previous) = previous {
        let _ = change_signal_mask(libc::SIG_SETMASK, previous);
    }
    // std reports the system's error: clone's EAGAIN, or mmap's ENOMEM
    // for the stack.
    spawned
        .map(drop)
        .map_err(|e| e.raw_os_error().map_or(Errno::EAGAIN, Errno::from_raw))
}

/// `rt_sigprocmask(how, set)`, returning the previous mask. Async-signal-safe,
/// so the child may call it between clone and exec (see `spawn`).
pub(crate) fn change_signal_mask(how: libc::c_int, set: SignalSet) -> Result<SignalSet, Errno> {
    let new = set.bits();
    let mut old: u64 = 0;
    // SAFETY: both pointers are to live u64s, exactly the 8-byte set the
    // kernel reads and writes when given KERNEL_SIGSET_SIZE.
    Errno::result(unsafe {
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

/// A signalfd for the blocked signals, read one record at a time.
///
/// A read asking for more records makes the kernel look for a second
/// signal under the signal lock, which nearly always finds none: standard
/// signals coalesce, so a batch saves nothing. One record, on the stack,
/// is also the least memory a wake-up touches.
pub(crate) struct SignalReader {
    fd: OwnedFd,
    /// The cgroup watch's sources (see `watch`), once added.
    sources: EventSources,
    /// A source reported something since the last `take_cgroup_event`.
    cgroup_event: bool,
    /// A SIGCHLD read since the last `take_child_killed` said its child was
    /// killed by SIGKILL (the OOM killer's signal).
    child_killed: bool,
}

/// Where the kernel tells of cgroup events (see `watch`).
#[derive(Debug, Default)]
pub(crate) struct EventSources {
    /// An inotify descriptor that raises SIGIO (`signal_driven`): its
    /// events arrive in the signalfd like any signal, and cost the loop
    /// nothing until then.
    pub(crate) signalled: Option<OwnedFd>,
    /// An eventfd (the v1 memory controller's usage threshold, see
    /// `watch::usage_eventfd`), which cannot raise a signal: it joins the
    /// wait's `poll`.
    pub(crate) polled: Option<OwnedFd>,
    /// A descriptor the polled one needs open (what it was registered on).
    pub(crate) kept: Option<OwnedFd>,
}

/// The kernel's `struct signalfd_siginfo` is 128 bytes; the fields rinit
/// needs sit at fixed offsets (see signalfd(2)).
const SIGINFO_SIZE: usize = 128;

/// Where the fields rinit reads sit in a signalfd record (the test checks
/// them against libc's `signalfd_siginfo`).
const SSI_SIGNO: usize = 0;
const SSI_CODE: usize = 8;
const SSI_PID: usize = 12;
const SSI_FD: usize = 20;
const SSI_STATUS: usize = 40;

/// The 32-bit field at `at` of a signalfd record.
fn ssi_field(raw: &[u8], at: usize) -> i32 {
    i32::from_ne_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]])
}

impl AsFd for SignalReader {
    /// For a wait elsewhere that a signal must end (`--wait-for`).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl SignalReader {
    pub(crate) fn new(set: SignalSet) -> Result<SignalReader, Errno> {
        let fd = match signalfd(set, libc::SFD_CLOEXEC) {
            Ok(fd) => fd,
            // A sandbox (or gVisor, or an emulator) that refuses the flags
            // may still take the call without them: close-on-exec is then
            // set the old way.
            Err(Errno::EINVAL | Errno::EPERM) => {
                let fd = signalfd(set, 0)?;
                nix::fcntl::fcntl(
                    &fd,
                    nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
                )?;
                fd
            }
            Err(e) => return Err(e),
        };
        Ok(SignalReader {
            fd: keep_off_stdio(fd)?,
            sources: EventSources::default(),
            cgroup_event: false,
            child_killed: false,
        })
    }

    /// Adds the cgroup watch's event sources to the wait.
    pub(crate) fn add_sources(&mut self, sources: EventSources) {
        self.sources = sources;
    }

    /// Whether a cgroup event source reported something since the last call.
    pub(crate) fn take_cgroup_event(&mut self) -> bool {
        std::mem::take(&mut self.cgroup_event)
    }

    /// Whether a SIGCHLD read since the last call told of a child killed by
    /// SIGKILL. SIGCHLDs coalesce, so this sees how the first of the
    /// children that ended since the last SIGCHLD was read ended.
    pub(crate) fn take_child_killed(&mut self) -> bool {
        std::mem::take(&mut self.child_killed)
    }

    /// Blocks until a signal is pending, one of `also` becomes readable (a
    /// watched process exited), or `deadline` passes, and returns the
    /// signal (`None` otherwise, or when it was the watch's own SIGIO).
    /// With neither a deadline nor anything else to watch it sleeps in
    /// `read` and costs nothing while idle.
    pub(crate) fn wait(
        &mut self,
        deadline: Option<Instant>,
        also: &[BorrowedFd<'_>],
    ) -> Result<Option<Received>, Errno> {
        let polled = self.sources.polled.is_some();
        if (deadline.is_some() || !also.is_empty() || polled) && !self.poll(deadline, also)? {
            return Ok(None);
        }
        let mut record = [0; SIGINFO_SIZE];
        loop {
            match nix::unistd::read(&self.fd, &mut record) {
                Ok(SIGINFO_SIZE) => return Ok(self.sort_out(&record)),
                // A signalfd hands out whole records: anything else is a
                // broken emulation, better reported than misread.
                Ok(_) => return Err(Errno::EIO),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits in `poll` for the signalfd, `also`, the watch's polled source
    /// and `deadline`; returns whether the signalfd has something to read
    /// (not on a time-out, a watched process's exit, a cgroup event alone,
    /// or EINTR after a stop: the caller looks again).
    fn poll(&mut self, deadline: Option<Instant>, also: &[BorrowedFd<'_>]) -> Result<bool, Errno> {
        let timeout = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                // Round up, so a wake-up never comes before the deadline.
                let millis = left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128);
                PollTimeout::try_from(millis as i32).unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        let polled = self.sources.polled.as_ref().map(AsFd::as_fd);
        let mut fds: Vec<PollFd<'_>> = std::iter::once(self.fd.as_fd())
            .chain(also.iter().copied())
            .chain(polled)
            .map(|fd| PollFd::new(fd, PollFlags::POLLIN))
            .collect();
        let ready = poll(&mut fds, timeout);
        let signalled = fds[0].any().unwrap_or(false);
        let cgroup_event = polled.is_some() && fds[fds.len() - 1].any().unwrap_or(false);
        drop(fds);
        if cgroup_event {
            if let Some(fd) = &self.sources.polled {
                drain(fd);
            }
            self.cgroup_event = true;
        }
        match ready {
            Ok(0) | Err(Errno::EINTR) => Ok(false),
            Ok(_) => Ok(signalled),
            Err(e) => Err(e),
        }
    }

    /// The signal record just read: the watch's own SIGIO is taken here
    /// and never forwarded; anything else is returned.
    fn sort_out(&mut self, raw: &[u8]) -> Option<Received> {
        if let Some(fd) = &self.sources.signalled {
            if is_from(raw, fd) {
                drain(fd);
                self.cgroup_event = true;
                return None;
            }
            // Someone's SIGIO, forwarded below. If it was pending when the
            // kernel raised the watch's, that one was merged into it: look,
            // or later events merged into the unread one would raise nothing.
            if signal_number(raw) == libc::SIGIO && has_events(fd) {
                drain(fd);
                self.cgroup_event = true;
            }
        }
        self.child_killed |= is_child_sigkilled(raw);
        parse_siginfo(raw)
    }
}

/// Empties a non-blocking inotify descriptor or eventfd into a fixed buffer,
/// so that the next wait sleeps: which file changed does not matter, and no
/// event list is built.
fn drain(fd: &OwnedFd) {
    let mut buf = [0u8; 512];
    loop {
        match nix::unistd::read(fd, &mut buf) {
            Ok(n) if n == buf.len() => {}
            Err(Errno::EINTR) => {}
            _ => return,
        }
    }
}

/// Whether a signalfd record is the SIGIO the kernel raised for `fd`
/// (`signal_driven`): a positive `si_code` (POLL_IN) comes from the kernel
/// alone, and `si_fd` names the descriptor. A SIGIO someone sends (SI_USER,
/// SI_QUEUE: zero or negative codes) is theirs, to forward. One case looks
/// like a sender's: when the kernel cannot allocate the signal's record, a
/// standard signal still arrives, as SI_USER from pid 0; it is the watch's
/// if its descriptor has events waiting.
fn is_from(raw: &[u8], fd: &OwnedFd) -> bool {
    if signal_number(raw) != libc::SIGIO {
        return false;
    }
    match ssi_field(raw, SSI_CODE) {
        code if code > 0 => ssi_field(raw, SSI_FD) == fd.as_raw_fd(),
        libc::SI_USER if ssi_field(raw, SSI_PID) == 0 => has_events(fd),
        _ => false,
    }
}

fn signal_number(raw: &[u8]) -> i32 {
    ssi_field(raw, SSI_SIGNO)
}

/// Whether an inotify descriptor has events to read (`FIONREAD`).
fn has_events(fd: &OwnedFd) -> bool {
    let mut pending: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int into the live `pending`; raw because
    // nix has no safe FIONREAD (its ioctl macros make unsafe functions too).
    let ok = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut pending) };
    ok == 0 && pending > 0
}

fn is_child_sigkilled(raw: &[u8]) -> bool {
    signal_number(raw) == libc::SIGCHLD
        && ssi_field(raw, SSI_CODE) == libc::CLD_KILLED
        && ssi_field(raw, SSI_STATUS) == libc::SIGKILL
}

/// A non-blocking inotify descriptor watching each of `paths` for
/// IN_MODIFY; `None` if none of them can be watched. Returns which could.
pub(crate) fn inotify_modified(paths: &[std::path::PathBuf]) -> Option<(OwnedFd, Vec<bool>)> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    if paths.is_empty() {
        return None;
    }
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).ok()?;
    let watched: Vec<bool> = paths
        .iter()
        .map(|path| inotify.add_watch(path, AddWatchFlags::IN_MODIFY).is_ok())
        .collect();
    // The watches belong to the inotify instance, not to its descriptor's
    // number: they stay when keep_off_stdio moves it.
    watched.contains(&true).then_some(())?;
    let fd = keep_off_stdio(OwnedFd::from(inotify)).ok()?;
    Some((fd, watched))
}

/// Linux's `F_SETSIG` (asm-generic/fcntl.h), which the libc crate lacks.
const F_SETSIG: libc::c_int = 10;

/// Makes the kernel raise `signal` at rinit whenever `fd` becomes readable
/// (O_ASYNC, F_SETOWN, F_SETSIG): with the signal blocked it lands in the
/// signalfd, with `si_fd` set, so the descriptor needs no place in a poll.
pub(crate) fn signal_driven(fd: &OwnedFd, signal: Signal) -> Result<(), Errno> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only;
    // raw because nix's fcntl has neither F_SETOWN nor F_SETSIG.
    unsafe {
        Errno::result(libc::fcntl(raw, libc::F_SETOWN, own_pid()))?;
        Errno::result(libc::fcntl(raw, F_SETSIG, signal.number()))?;
    }
    let flags = OFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_ASYNC))?;
    Ok(())
}

/// A non-blocking eventfd.
pub(crate) fn eventfd() -> Option<OwnedFd> {
    use nix::sys::eventfd::{EfdFlags, EventFd};
    let fd = EventFd::from_value_and_flags(0, EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK);
    keep_off_stdio(OwnedFd::from(fd.ok()?)).ok()
}

/// `signalfd4(-1, set, flags)`: a new signalfd for `set`.
fn signalfd(set: SignalSet, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    let bits = set.bits();
    // SAFETY: `bits` is the 8-byte kernel set; -1 asks for a new fd.
    let raw = Errno::result(unsafe {
        libc::syscall(
            libc::SYS_signalfd4,
            -1,
            &bits as *const u64,
            KERNEL_SIGSET_SIZE,
            flags,
        )
    })? as libc::c_int;
    // SAFETY: the kernel just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

fn parse_siginfo(raw: &[u8]) -> Option<Received> {
    let signal = Signal::from_number(signal_number(raw))?;
    let sender = ssi_field(raw, SSI_PID);
    Some(Received { signal, sender })
}

/// Moves a descriptor of rinit's own to 3 or above, so that if rinit was
/// started with stdin, stdout or stderr closed, its log lines cannot land in
/// its own descriptors and the child still finds those slots closed.
fn keep_off_stdio(fd: OwnedFd) -> Result<OwnedFd, Errno> {
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
/// WNOHANG finds children but none has ended.
pub(crate) fn wait_for(pid: libc::pid_t, block: bool) -> Result<Option<(libc::pid_t, i32)>, Errno> {
    waitpid_raw(pid, if block { 0 } else { libc::WNOHANG })
}

/// Takes the stop report of `pid` (`waitpid(pid, WNOHANG | WUNTRACED)`),
/// once `peek_changed` has shown it, so that it is not shown again.
pub(crate) fn take_stop_report(pid: libc::pid_t) -> Result<(), Errno> {
    waitpid_raw(pid, libc::WNOHANG | libc::WUNTRACED).map(drop)
}

/// `waitpid` with the raw status. Raw because nix's `waitpid` cannot
/// represent a death by a real-time signal: it reaps the process and then
/// returns EINVAL, and the status is gone (see
/// `Termination::from_wait_status`).
fn waitpid_raw(pid: libc::pid_t, flags: libc::c_int) -> Result<Option<(libc::pid_t, i32)>, Errno> {
    let mut status = 0;
    // SAFETY: status is a live c_int the kernel writes the status into.
    match Errno::result(unsafe { libc::waitpid(pid, &mut status, flags) })? {
        0 => Ok(None),
        pid => Ok(Some((pid, status))),
    }
}

/// Stops rinit with `signal` (SIGTSTP, SIGTTIN or SIGTTOU) the way the
/// kernel stops a job that gets it: the signal is sent to this thread while
/// blocked, then unblocked, so that its default action runs as the mask
/// changes. The kernel then applies its own rule atomically: in a process
/// group orphaned from its session (no shell is left to continue it) the
/// stop is discarded. Returns once rinit runs again, with whether it was
/// stopped: only SIGCONT ends a stop, and being blocked it is then pending
/// (sending the stop signal discarded any SIGCONT pending before it).
pub(crate) fn stop_like_a_job(signal: Signal) -> Result<bool, Errno> {
    let only = SignalSet::EMPTY.with(signal);
    let (pid, tid) = (own_pid(), nix::unistd::gettid().as_raw());
    // SAFETY: tgkill (which nix lacks) takes plain integers; the target is
    // this very thread.
    Errno::result(unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, signal.number()) })?;
    change_signal_mask(libc::SIG_UNBLOCK, only)?;
    change_signal_mask(libc::SIG_BLOCK, only)?;
    Ok(pending_signals()?.contains(Signal::CONT))
}

/// The signals pending for this thread or the whole process.
fn pending_signals() -> Result<SignalSet, Errno> {
    let mut set: u64 = 0;
    // SAFETY: the pointer is to a live u64, the 8-byte set the kernel writes
    // when given KERNEL_SIGSET_SIZE.
    Errno::result(unsafe {
        libc::syscall(
            libc::SYS_rt_sigpending,
            &mut set as *mut u64,
            KERNEL_SIGSET_SIZE,
        )
    })?;
    Ok(SignalSet::from_bits(set))
}

/// The next child that has ended or stopped, without reaping it (`waitid`
/// with WNOWAIT): `Ok(None)` when children remain but none has news. While
/// an ended child is a zombie, its /proc entry still names it (see
/// `procs::process_name`). The status comes in `waitpid`'s raw encoding (see
/// `exit_status`). The caller then reaps it with `wait_for(pid, false)`, or
/// takes a stop report with `take_stop_report`.
pub(crate) fn peek_changed() -> Result<Option<(libc::pid_t, i32)>, Errno> {
    let flags = libc::WEXITED | libc::WSTOPPED | libc::WNOHANG | libc::WNOWAIT;
    waitid_raw(libc::P_ALL, 0, flags)
}

/// Like `peek_changed`, for the one child `pid` (exits only).
pub(crate) fn peek_exited(pid: libc::pid_t) -> Result<Option<i32>, Errno> {
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    Ok(waitid_raw(libc::P_PID, pid as libc::id_t, flags)?.map(|(_, status)| status))
}

/// `waitid`, its answer as `waitpid`'s (pid, raw status); `Ok(None)` when
/// WNOHANG finds children but none has news. Raw for `waitpid_raw`'s
/// reason: nix's `WaitStatus` cannot hold a death by a real-time signal.
fn waitid_raw(
    idtype: libc::idtype_t,
    id: libc::id_t,
    flags: libc::c_int,
) -> Result<Option<(libc::pid_t, i32)>, Errno> {
    // SAFETY: an all-zero siginfo_t is a valid value (plain integers and unions of them).
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: info is a live siginfo_t the kernel fills in.
    Errno::result(unsafe { libc::waitid(idtype, id, &mut info, flags) })?;
    // SAFETY: after a successful waitid, si_pid and si_status are the fields
    // the kernel set; a pid of 0 (as zeroed) means none has news.
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    Ok((pid != 0).then(|| (pid, raw_wait_status(info.si_code, status))))
}

/// Collects any child that exited or stopped (`waitpid(-1, WNOHANG |
/// WUNTRACED)`): one call a child, and one that finds none.
pub(crate) fn reap_any() -> Result<Option<(libc::pid_t, i32)>, Errno> {
    waitpid_raw(-1, libc::WNOHANG | libc::WUNTRACED)
}

/// `waitid`'s code and status in `waitpid`'s encoding (see wait(2)).
fn raw_wait_status(code: libc::c_int, status: libc::c_int) -> i32 {
    match code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_DUMPED => status | 0x80,
        libc::CLD_STOPPED | libc::CLD_TRAPPED => (status & 0xff) << 8 | 0x7f,
        _ => status,
    }
}

/// What kind of file an open descriptor is, from `fstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    Regular,
    Directory,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

impl FileKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FileKind::Regular => "regular file",
            FileKind::Directory => "directory",
            FileKind::Fifo => "FIFO",
            FileKind::Socket => "socket",
            FileKind::CharDevice => "character device",
            FileKind::BlockDevice => "block device",
            FileKind::Other => "special file",
        }
    }
}

/// Opens `path` for reading, close-on-exec. Through `openat`: musl's `open`
/// follows an `O_CLOEXEC` open with an `fcntl` that sets the flag again
/// (for kernels before 2.6.23, which ignore it), one more system call per
/// file on the start-up path; `openat` passes the flag to the kernel alone.
pub(crate) fn open_read(path: &std::path::Path) -> Result<std::fs::File, Errno> {
    use nix::fcntl::{AT_FDCWD, OFlag};
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let fd = nix::fcntl::openat(AT_FDCWD, path, flags, nix::sys::stat::Mode::empty())?;
    Ok(std::fs::File::from(fd))
}

/// A small file of the kernel's, read until read() returns 0 (a short read
/// of /proc is not the end) straight into a buffer of `capacity` bytes,
/// which grows if the file is longer. Through `take`: for a `File` itself,
/// `read_to_end` first asks for the size (statx, lseek), and these files
/// report 0. For a file that fits: open, one read for the text, one that
/// finds the end, close.
pub(crate) fn read_whole(path: &std::path::Path, capacity: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = open_read(path)?;
    let mut bytes = Vec::with_capacity(capacity);
    file.take(u64::MAX).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A file opened to write a message into, with what `fstat` and `fstatfs`
/// say about it; the caller decides whether to write.
pub(crate) struct MessageFile {
    pub(crate) file: std::fs::File,
    pub(crate) kind: FileKind,
    pub(crate) len: u64,
    /// The `statfs` magic of its file system.
    pub(crate) fs_type: i64,
}

/// Opens an existing `path` for writing without following a final symbolic
/// link (ELOOP), without blocking (a FIFO nobody reads fails with ENXIO, one
/// that is read opens at once and is then seen in `kind`), and without
/// making it the controlling terminal. Never creates the file.
pub(crate) fn open_for_message(path: &std::path::Path) -> Result<MessageFile, Errno> {
    use nix::fcntl::OFlag;
    use nix::sys::stat::{Mode, SFlag};
    let flags = OFlag::O_WRONLY
        | OFlag::O_NONBLOCK
        | OFlag::O_NOCTTY
        | OFlag::O_NOFOLLOW
        | OFlag::O_CLOEXEC;
    let file = std::fs::File::from(nix::fcntl::open(path, flags, Mode::empty())?);
    let stat = nix::sys::stat::fstat(&file)?;
    let kind = match SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT {
        SFlag::S_IFREG => FileKind::Regular,
        SFlag::S_IFDIR => FileKind::Directory,
        SFlag::S_IFIFO => FileKind::Fifo,
        SFlag::S_IFSOCK => FileKind::Socket,
        SFlag::S_IFCHR => FileKind::CharDevice,
        SFlag::S_IFBLK => FileKind::BlockDevice,
        _ => FileKind::Other,
    };
    let fs_type = nix::sys::statfs::fstatfs(&file)?.filesystem_type().0;
    // The magic's C type differs between architectures (long, int, unsigned).
    #[allow(clippy::unnecessary_cast)]
    let fs_type = fs_type as i64;
    Ok(MessageFile {
        file,
        kind,
        // A size is never negative.
        len: u64::try_from(stat.st_size).unwrap_or(0),
        fs_type,
    })
}

/// `kill(pid, signal)` for any signal, real-time ones included.
pub(crate) fn send_signal(pid: libc::pid_t, signal: Signal) -> Result<(), Errno> {
    // SAFETY: kill takes plain integers and touches no memory of ours.
    Errno::result(unsafe { libc::kill(pid, signal.number()) }).map(drop)
}

pub(crate) fn own_pid() -> libc::pid_t {
    nix::unistd::getpid().as_raw()
}

/// getpid(2) from the kernel itself, never from a C library's cache: in a
/// child made with `CLONE_VM` (see `spawn`), glibc before 2.25 would answer
/// with the parent's pid.
pub(crate) fn kernel_getpid() -> libc::pid_t {
    // SAFETY: getpid takes no argument, touches no memory and cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) as libc::pid_t }
}

/// The soft limit on open descriptors (`ulimit -n`), for messages about
/// running out of them.
pub(crate) fn open_file_limit() -> Option<u64> {
    nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .ok()
        // rlim_t is 32 bits wide on some 32-bit targets.
        .map(|(soft, _)| {
            #[allow(clippy::unnecessary_cast)]
            let soft = soft as u64;
            soft
        })
}

pub(crate) fn set_child_subreaper() -> Result<(), Errno> {
    nix::sys::prctl::set_child_subreaper(true)
}

/// Asks for `signal` when the parent dies. Returns whether `parent`, the
/// parent rinit started with, was already gone by then: the kernel will
/// never send the signal, and the caller must act on it itself (sending it
/// to rinit would not do: a signal rinit raises on itself is not forwarded).
pub(crate) fn set_parent_death_signal(
    signal: Signal,
    parent: nix::unistd::Pid,
) -> Result<bool, Errno> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and reads no memory;
    // raw because the signal may be a real-time one, which nix's
    // `set_pdeathsig` (taking its `Signal`) cannot name.
    Errno::result(unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, signal.number() as libc::c_ulong)
    })?;
    Ok(nix::unistd::getppid() != parent)
}

/// The process group of `pid`, `None` once it is gone.
pub(crate) fn process_group(pid: libc::pid_t) -> Option<libc::pid_t> {
    nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid)))
        .ok()
        .map(|group| group.as_raw())
}

/// Whether rinit's process group owns the terminal on stdin, in which case
/// the child's group should own it instead.
pub(crate) fn owns_terminal_foreground() -> bool {
    terminal_foreground() == Some(own_process_group())
}

/// The process group in the foreground of the terminal on stdin; `None` if
/// stdin is not rinit's controlling terminal (or no longer is: the session
/// lost it).
pub(crate) fn terminal_foreground() -> Option<libc::pid_t> {
    nix::unistd::tcgetpgrp(stdin_fd()?)
        .ok()
        .map(|group| group.as_raw())
}

pub(crate) fn own_process_group() -> libc::pid_t {
    nix::unistd::getpgrp().as_raw()
}

/// Puts `group` in the foreground of the terminal on stdin. rinit keeps
/// SIGTTOU blocked, so it may do so even from the background.
pub(crate) fn give_terminal_to(group: libc::pid_t) -> Result<(), Errno> {
    let stdin = stdin_fd().ok_or(Errno::EBADF)?;
    nix::unistd::tcsetpgrp(stdin, nix::unistd::Pid::from_raw(group))
}

/// Whether descriptor 0 is open: it always is once `hold_closed_stdio` has
/// run, unless stdin was closed and no placeholder could be made for it.
static STDIN_OPEN: AtomicBool = AtomicBool::new(true);

/// Descriptor 0, for the terminal calls (here, and in the child before its
/// exec); `None` if it is closed.
pub(crate) fn stdin_fd() -> Option<BorrowedFd<'static>> {
    // SAFETY: descriptor 0 is open (STDIN_OPEN), and rinit never closes it.
    STDIN_OPEN
        .load(Ordering::Relaxed)
        .then(|| unsafe { BorrowedFd::borrow_raw(0) })
}

/// Whether `fd` is readable now (for a pidfd: its process has exited).
pub(crate) fn is_readable(fd: BorrowedFd<'_>) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(1))
}

/// Whether descriptor `fd` takes a write without blocking within `limit`.
pub(crate) fn writable_within(fd: libc::c_int, limit: std::time::Duration) -> bool {
    // SAFETY: the caller's descriptor is open (the logger's stderr: rinit
    // only logs when descriptor 2 was open at start, and never closes it),
    // and it is only borrowed for this poll.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let ms = u16::try_from(limit.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
    matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(1))
        && fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLOUT))
}

/// `pidfd_open(pid)`: a descriptor that names this process and no other,
/// whatever happens to its pid later (Linux 5.3).
pub(crate) fn pidfd_open(pid: libc::pid_t) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open (which nix lacks) takes plain integers and returns
    // a new descriptor.
    let fd = Errno::result(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })?;
    // SAFETY: the kernel just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

/// `pidfd_send_signal`: `signal` to the process the pidfd names, or ESRCH
/// once it has exited; never to a later process with the same pid (Linux 5.1).
pub(crate) fn pidfd_send_signal(pidfd: BorrowedFd<'_>, signal: Signal) -> Result<(), Errno> {
    // SAFETY: plain integers; a null siginfo means "as kill() would send
    // it". Raw: nix has no pidfd calls, and its `Signal` no real-time ones.
    Errno::result(unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal.number(),
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    })
    .map(drop)
}

/// Whether a process with this pid exists (a zombie counts).
pub(crate) fn exists(pid: libc::pid_t) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) != Err(Errno::ESRCH)
}

/// Whether any process other than rinit exists that rinit could signal: as
/// PID 1, `kill(-1, 0)` answers ESRCH once the namespace is empty. Zombies
/// count too (they still exist), so a "yes" needs a closer look.
pub(crate) fn anyone_else_left() -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(-1), None) != Err(Errno::ESRCH)
}

/// Which of descriptors 0, 1 and 2 were open when rinit started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StdioAtStart {
    pub(crate) stderr: bool,
}

/// Fills whichever of descriptors 0, 1 and 2 is closed with a close-on-exec
/// placeholder, so that no descriptor rinit (or a library under it) opens
/// later can take one of those numbers: a log line meant for stderr would
/// land in it, or a read of stdin come from it. The child still finds them
/// closed, since the placeholder goes at its exec.
///
/// The placeholder is an epoll instance: it needs no file system (FROM
/// scratch, no /dev/null), and a read or write on it fails (EINVAL) instead
/// of going anywhere. One is made and duplicated for the other slots. When
/// all three are open, as almost always, this costs one `poll`.
pub(crate) fn hold_closed_stdio() -> StdioAtStart {
    let closed = closed_stdio();
    let at_start = StdioAtStart {
        stderr: !closed.contains(&2),
    };
    if let Some((&lowest, others)) = closed.split_first() {
        // Stdin, if closed, is the lowest slot. Left closed (no placeholder
        // could be made), it must not be borrowed for the terminal calls.
        if !fill_closed_stdio(others) && lowest == 0 {
            STDIN_OPEN.store(false, Ordering::Relaxed);
        }
    }
    at_start
}

/// `hold_closed_stdio`'s placeholders: one for the lowest closed slot, and
/// a copy of it for each of `others`. Returns whether the lowest is held.
fn fill_closed_stdio(others: &[libc::c_int]) -> bool {
    use nix::fcntl::{FcntlArg, fcntl};
    use nix::sys::epoll::{Epoll, EpollCreateFlags};
    use std::os::fd::IntoRawFd;
    // A new descriptor takes the lowest free number: the closed slots fill
    // in order. If one cannot be made (out of memory or descriptors),
    // nothing else could be opened either: rinit goes on, and its logger
    // knows stderr was closed.
    let Ok(Epoll(first)) = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC) else {
        return false;
    };
    if first.as_raw_fd() > 2 {
        return false; // dropped, so closed again
    }
    for _ in others {
        match fcntl(&first, FcntlArg::F_DUPFD_CLOEXEC(0)) {
            Ok(fd) if fd <= 2 => {}
            Ok(fd) => {
                // Just made, and nothing else has it.
                let _ = nix::unistd::close(fd);
                break;
            }
            Err(_) => break,
        }
    }
    // The placeholders are never closed: they hold their numbers for good.
    let _ = first.into_raw_fd();
    true
}

/// Which of descriptors 0, 1 and 2 are closed.
fn closed_stdio() -> Vec<libc::c_int> {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: three valid pollfds for the duration of the call; a zero
    // timeout never blocks. Raw poll and fcntl: the descriptors may be
    // closed, and nix's take a BorrowedFd, which must be open.
    match unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } {
        0 => Vec::new(), // all three open
        // Cannot fail with three entries, but if it did: ask one by one.
        ready if ready < 0 => (0..3)
            // SAFETY: F_GETFD only reads the descriptor's flags.
            .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0)
            .collect(),
        _ => fds
            .iter()
            .filter(|p| p.revents & libc::POLLNVAL != 0)
            .map(|p| p.fd)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siginfo_offsets_are_libcs() {
        use libc::signalfd_siginfo as S;
        use std::mem::offset_of;
        assert_eq!(std::mem::size_of::<S>(), SIGINFO_SIZE);
        assert_eq!(
            [SSI_SIGNO, SSI_CODE, SSI_PID, SSI_FD, SSI_STATUS],
            [
                offset_of!(S, ssi_signo),
                offset_of!(S, ssi_code),
                offset_of!(S, ssi_pid),
                offset_of!(S, ssi_fd),
                offset_of!(S, ssi_status),
            ]
        );
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

    /// Close-on-exec and non-blocking, as every descriptor rinit keeps.
    fn assert_cloexec_nonblocking(fd: &OwnedFd) {
        use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
        let fd_flags = FdFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFD).unwrap());
        let fl_flags = OFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFL).unwrap());
        assert!(fd_flags.contains(FdFlag::FD_CLOEXEC), "{fd_flags:?}");
        assert!(fl_flags.contains(OFlag::O_NONBLOCK), "{fl_flags:?}");
    }

    /// The cgroup v2 events watch, on ordinary files: a write to a watched
    /// file is an event at once, a path that cannot be watched is told.
    #[test]
    fn inotify_modified_watches_the_paths_it_can() {
        let dir = rinit_harness::Scratch::new("inotify");
        let (file, missing) = (dir.path("memory.events"), dir.path("missing"));
        std::fs::write(&file, "").unwrap();
        assert!(inotify_modified(std::slice::from_ref(&missing)).is_none());
        let (fd, watched) = inotify_modified(&[missing, file.clone()]).unwrap();
        assert_eq!(watched, [false, true]);
        assert_cloexec_nonblocking(&fd);
        assert!(!has_events(&fd));
        std::fs::write(&file, "oom_kill 1\n").unwrap();
        assert!(has_events(&fd));
    }

    /// Only the flags: the watched file is never written, so the signal
    /// (fatal to this test process) never comes.
    #[test]
    fn signal_driven_adds_o_async_and_keeps_the_other_flags() {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};
        let dir = rinit_harness::Scratch::new("async");
        let file = dir.path("pids.events");
        std::fs::write(&file, "").unwrap();
        let (fd, _) = inotify_modified(&[file]).unwrap();
        signal_driven(&fd, Signal::IO).unwrap();
        let flags = OFlag::from_bits_retain(fcntl(&fd, FcntlArg::F_GETFL).unwrap());
        assert!(
            flags.contains(OFlag::O_ASYNC | OFlag::O_NONBLOCK),
            "{flags:?}"
        );
    }

    #[test]
    fn eventfd_is_cloexec_nonblocking_and_empty() {
        let fd = eventfd().unwrap();
        assert_cloexec_nonblocking(&fd);
        let mut count = [0u8; 8];
        assert_eq!(nix::unistd::read(&fd, &mut count), Err(Errno::EAGAIN));
    }
}
