//! The process table: which processes are left and what they are called,
//! read from /proc, and signals that reach exactly the processes that were
//! listed.
//!
//! Listing /proc and then calling `kill(pid)` races with pid reuse: a
//! process listed may exit and its number go to an unrelated process before
//! the signal is sent. That matters wherever rinit shares a PID namespace
//! with processes that are not its own (not PID 1: a Pod with a shared
//! process namespace, a CI runner). So rinit opens a pidfd for each process
//! it is about to signal, checks that the pidfd names the process it listed
//! (the same start time, read after the pidfd was opened), and signals
//! through the pidfd: the signal reaches that process or nobody.
//!
//! Where pidfds cannot be had (a kernel before 5.3, or a sandbox that
//! refuses the calls: seccomp profiles of Docker before 20.10 answer EPERM,
//! gVisor ENOSYS), the start time is checked just before a plain `kill`.
//! A refusal is remembered for the life of the process: a sandbox does not
//! change its mind, and asking again for every process would only cost.

use crate::signals::Signal;
use crate::sys;
use log::debug;
use nix::errno::Errno;
use nix::fcntl::AT_FDCWD;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// The fields of `/proc/PID/stat` that rinit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) state: u8,
    pub(crate) parent: libc::pid_t,
    pub(crate) group: libc::pid_t,
    threads: u32,
    /// Clock ticks after boot: with the pid, names one process for good.
    start_time: u64,
}

impl Stat {
    /// A zombie whose thread count is above one is a process whose main
    /// thread has exited (`pthread_exit` in `main`) while other threads run:
    /// /proc shows it as `Z`, but it is alive, holds its resources, and must
    /// be signalled like any other process.
    pub(crate) fn is_alive(&self) -> bool {
        !matches!(self.state, b'Z' | b'X') || self.threads > 1
    }
}

/// Parses `/proc/PID/stat`. The command name in parentheses may itself hold
/// spaces and parentheses, so the fields are counted from the last `)`.
fn parse_stat(stat: &[u8]) -> Option<Stat> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    // Field 0 is the state, which is field 3 of proc(5).
    let mut fields = stat[close + 1..]
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    let state = *fields.next()?.first()?;
    let parent = fields.next()?;
    let group = fields.next()?;
    // The thread count (field 17 from the state) and the start time (19).
    let threads = fields.nth(14)?;
    let start_time = fields.nth(1)?;
    Some(Stat {
        state,
        parent: decimal(parent)?,
        group: decimal(group)?,
        threads: decimal(threads)?,
        start_time: decimal(start_time)?,
    })
}

/// A field of /proc (or a name in its listing) as a number.
fn decimal<T: std::str::FromStr>(field: &[u8]) -> Option<T> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// One process of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) pid: libc::pid_t,
    pub(crate) stat: Stat,
}

/// A process's name (`/proc/PID/comm`, at most 15 bytes), `None` once it
/// is reaped or when /proc belongs to another PID namespace.
pub(crate) fn process_name(pid: libc::pid_t) -> Option<String> {
    if !proc_is_ours() {
        return None;
    }
    let mut buf = [0; 64];
    let path = PidPath::new("/proc/", pid, "/comm");
    let comm = read_small(AT_FDCWD, &path, &mut buf).ok()?;
    let comm = comm.strip_suffix(b"\n").unwrap_or(comm);
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
                == Some(sys::own_pid());
            OURS.store(if ours { 1 } else { 2 }, Ordering::Relaxed);
            ours
        }
        state => state == 1,
    }
}

/// The largest `/proc/PID/stat` the kernel can write: 52 fields, most of
/// them numbers of up to 20 digits, and a name (about 1,100 bytes).
const STAT_MAX: usize = 2048;

fn read_stat(pid: libc::pid_t) -> Option<Stat> {
    let mut buf = [0; STAT_MAX];
    let path = PidPath::new("/proc/", pid, "/stat");
    parse_stat(read_small(AT_FDCWD, &path, &mut buf).ok()?)
}

/// `[/proc/]PID/FILE` without an allocation: /proc is listed and read a
/// thousand processes at a time (a drain, a fork refusal).
struct PidPath {
    bytes: [u8; 40],
    len: usize,
}

impl PidPath {
    fn new(prefix: &str, pid: libc::pid_t, file: &str) -> PidPath {
        use std::io::Write;
        let mut bytes = [0; 40];
        let mut at = &mut bytes[..];
        // Cannot fail: the longest, "/proc/-2147483648/comm", fits.
        let _ = write!(at, "{prefix}{pid}{file}");
        let len = 40 - at.len();
        PidPath { bytes, len }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A small /proc file (a stat line, a name) into `buf`, read to its end:
/// one `openat`, the reads, the close; nothing allocated. A file larger
/// than `buf` is an error (EFBIG), not a truncated answer.
fn read_small<'b>(dir: impl AsFd, path: &PidPath, buf: &'b mut [u8]) -> Result<&'b [u8], Errno> {
    use nix::fcntl::{OFlag, openat};
    use nix::sys::stat::Mode;
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let file = openat(dir, path.as_bytes(), flags, Mode::empty())?;
    let (mut filled, mut probe) = (0, [0; 1]);
    loop {
        // Once `buf` is full, one byte more says whether the file went on.
        let room = match buf.get_mut(filled..) {
            Some(room) if !room.is_empty() => room,
            _ => &mut probe[..],
        };
        match nix::unistd::read(&file, room) {
            Ok(0) => return Ok(&buf[..filled]),
            Ok(_) if filled == buf.len() => return Err(Errno::EFBIG),
            Ok(n) => filled += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Every process in /proc. `None` when /proc is missing or belongs to
/// another PID namespace (its numbers would then name the wrong processes),
/// or when a process could not be read for want of a file descriptor: a
/// table with holes would pass for a tree with fewer processes in it.
pub(crate) fn snapshot() -> Option<Vec<Entry>> {
    listing(|_| true)
}

/// `snapshot`, reading only the processes `wanted` lets through.
fn listing(mut wanted: impl FnMut(libc::pid_t) -> bool) -> Option<Vec<Entry>> {
    use nix::fcntl::OFlag;
    if !proc_is_ours() {
        return None;
    }
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let mut proc = nix::dir::Dir::open("/proc", flags, nix::sys::stat::Mode::empty()).ok()?;
    let at = proc.as_fd().try_clone_to_owned().ok()?;
    let mut table = Vec::new();
    let mut buf = [0; STAT_MAX];
    for entry in proc.iter() {
        // nix's iterator goes on after an error (one that lasts would never
        // end), and a skipped entry would be a hole in the table.
        let Some(pid) = decimal::<libc::pid_t>(entry.ok()?.file_name().to_bytes()) else {
            continue;
        };
        if !wanted(pid) {
            continue;
        }
        // A process may vanish between listing and reading: skip it.
        match read_small(&at, &PidPath::new("", pid, "/stat"), &mut buf) {
            Ok(raw) => {
                if let Some(stat) = parse_stat(raw) {
                    table.push(Entry { pid, stat });
                }
            }
            Err(Errno::EMFILE | Errno::ENFILE) => return None,
            Err(_) => {}
        }
    }
    Some(table)
}

/// As PID 1, `entered_from_outside` from a listing that skips rinit's own
/// children: they cannot have entered from outside, and the kernel names
/// them all in one file, so a namespace full of orphans (what a drain
/// meets) is looked at without a stat file read for each. Without that
/// file (a kernel built without it) every process is read.
pub(crate) fn outsiders(own_pid: libc::pid_t) -> Option<Vec<Entry>> {
    let children = own_children(own_pid);
    let table = listing(|pid| children.binary_search(&pid).is_err())?;
    Some(entered_from_outside(&table, own_pid))
}

/// The children of rinit's main thread (`/proc/PID/task/PID/children`),
/// sorted; empty if they cannot be read. rinit starts its child from its
/// main thread, and the kernel gives orphans to the main thread of the
/// namespace's reaper: both kinds are listed in that one file.
fn own_children(own_pid: libc::pid_t) -> Vec<libc::pid_t> {
    let path = format!("/proc/{own_pid}/task/{own_pid}/children");
    // Room for a hundred children; a drain of thousands grows it.
    let mut children: Vec<libc::pid_t> = match sys::read_whole(path.as_ref(), 1024) {
        Ok(list) => pids_in(&list).collect(),
        Err(_) => Vec::new(),
    };
    children.sort_unstable();
    children
}

/// The pids of a `children` file: numbers, each followed by a space.
fn pids_in(list: &[u8]) -> impl Iterator<Item = libc::pid_t> + '_ {
    list.split(|b| b.is_ascii_whitespace()).filter_map(decimal)
}

/// Live processes whose chain of parents leads to `root` (zombies are
/// followed, since their children are still below root, but not listed).
pub(crate) fn descendants_of(root: libc::pid_t, table: &[Entry]) -> Vec<Entry> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for entry in table
            .iter()
            .filter(|e| e.stat.parent == parent && e.pid != root)
        {
            frontier.push(entry.pid);
            if entry.stat.is_alive() {
                found.push(*entry);
            }
        }
    }
    found
}

/// The live processes rinit answers for, itself left out: as PID 1 (`own`
/// is 1) everyone else in the namespace, `docker exec`'d processes
/// included; otherwise its descendants.
pub(crate) fn in_reach(own: libc::pid_t, table: &[Entry]) -> Vec<Entry> {
    if own == 1 {
        table
            .iter()
            .filter(|e| e.pid != own && e.stat.is_alive())
            .copied()
            .collect()
    } else {
        descendants_of(own, table)
    }
}

/// As PID 1: live processes whose parent is outside the namespace (they
/// show parent 0), such as those started by `docker exec`, `podman exec`
/// or `kubectl exec`. They are not rinit's children, so `waitpid` does not
/// wait for them; their own children are theirs until they exit, and then
/// become rinit's.
fn entered_from_outside(table: &[Entry], own_pid: libc::pid_t) -> Vec<Entry> {
    table
        .iter()
        .filter(|e| e.stat.parent == 0 && e.pid != own_pid && e.stat.is_alive())
        .copied()
        .collect()
}

/// Whether `now`, read after a pidfd for the pid was opened, is the process
/// that was listed as `listed`: a pid reused in between has another start
/// time (start times tick 100 times a second, and a pid comes back only
/// after the whole pid space has been used, or by deliberate `ns_last_pid`).
fn is_same_process(listed: &Stat, now: &Stat) -> bool {
    listed.start_time == now.start_time
}

/// What `pin` found.
enum Pin {
    /// A pidfd for the process that was listed.
    Same(OwnedFd),
    /// The process is gone (its pid may already name another).
    Gone,
    /// No pidfd could be had: pidfds are refused (see `refused`), or no
    /// descriptor is left.
    Unavailable,
}

/// Whether an error from a pidfd call means the call itself is refused, not
/// that the process is gone. `pidfd_open` makes no permission check of its
/// own, so EPERM and EACCES there can only come from seccomp or a security
/// module; ENOSYS is an older kernel or a sandbox that hides the call.
fn is_refusal(e: Errno) -> bool {
    matches!(e, Errno::ENOSYS | Errno::EPERM | Errno::EACCES)
}

/// Set once a pidfd call has been refused: from then on rinit goes straight
/// to the checked `kill`.
static REFUSED: AtomicBool = AtomicBool::new(false);

fn refused() -> bool {
    REFUSED.load(Ordering::Relaxed)
}

fn remember_refusal(call: &str, e: Errno) {
    if !REFUSED.swap(true, Ordering::Relaxed) {
        debug!("{call} is refused ({e}): signals go through kill after a start-time check");
    }
}

/// A pidfd for `entry` if it still names the process that was listed. The
/// start time is read after the pidfd is opened: if the pid was reused
/// between the listing and `pidfd_open`, the pidfd names the newcomer, and
/// its start time tells.
fn pin(entry: &Entry) -> Pin {
    if refused() {
        return Pin::Unavailable;
    }
    match sys::pidfd_open(entry.pid) {
        Ok(fd) if is_still_listed(entry) => Pin::Same(fd),
        Ok(_) => Pin::Gone,
        Err(e) if is_refusal(e) => {
            remember_refusal("pidfd_open", e);
            Pin::Unavailable
        }
        Err(Errno::EMFILE | Errno::ENFILE) => Pin::Unavailable,
        Err(_) => Pin::Gone,
    }
}

/// Whether `entry`'s pid still names the process that was listed.
fn is_still_listed(entry: &Entry) -> bool {
    read_stat(entry.pid).is_some_and(|now| is_same_process(&entry.stat, &now))
}

/// `signals`, in order, to `entry` with plain `kill`, once its start time
/// has been checked: the narrow window plain `kill` always had.
fn kill_checked(entry: &Entry, signals: &[Signal]) -> bool {
    is_still_listed(entry)
        && signals
            .iter()
            .all(|&s| sys::send_signal(entry.pid, s).is_ok())
}

/// `signals`, in order, through a pidfd. A sandbox may allow `pidfd_open`
/// and refuse `pidfd_send_signal`: then the checked `kill` takes over, and
/// if `kill` gets through where the pidfd call did not, the refusal was the
/// sandbox's (an EPERM both give is a real lack of permission).
fn signal_pinned(fd: &OwnedFd, entry: &Entry, signals: &[Signal]) -> bool {
    for (at, &signal) in signals.iter().enumerate() {
        match sys::pidfd_send_signal(fd.as_fd(), signal) {
            Ok(()) => {}
            Err(e) if is_refusal(e) => {
                let sent = kill_checked(entry, &signals[at..]);
                if sent || e == Errno::ENOSYS {
                    remember_refusal("pidfd_send_signal", e);
                }
                return sent;
            }
            Err(_) => return false,
        }
    }
    true
}

/// Sends `signals`, in order, to each listed process that is still the one
/// that was listed. Returns how many it reached.
pub(crate) fn signal_listed(entries: &[Entry], signals: &[Signal]) -> usize {
    let mut reached = 0;
    for entry in entries {
        let sent = match pin(entry) {
            Pin::Same(fd) => signal_pinned(&fd, entry, signals),
            Pin::Gone => false,
            Pin::Unavailable => kill_checked(entry, signals),
        };
        reached += usize::from(sent);
    }
    reached
}

/// Processes rinit waits for without being their parent: a pidfd becomes
/// readable when its process exits, so the signal loop can wait on them
/// with the signalfd instead of polling.
#[derive(Default)]
pub(crate) struct Watch {
    watched: Vec<(libc::pid_t, OwnedFd)>,
}

impl Watch {
    /// Starts watching `entry`; false if it is already gone or cannot be
    /// watched (then the caller must check again later by other means).
    pub(crate) fn add(&mut self, entry: &Entry) -> bool {
        if self.watched.iter().any(|(pid, _)| *pid == entry.pid) {
            return true;
        }
        match pin(entry) {
            Pin::Same(fd) => {
                self.watched.push((entry.pid, fd));
                true
            }
            Pin::Gone => true, // nothing to wait for
            Pin::Unavailable => false,
        }
    }

    /// Forgets every process that has exited.
    pub(crate) fn prune(&mut self) {
        self.watched.retain(|(_, fd)| !sys::is_readable(fd.as_fd()));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }

    pub(crate) fn fds(&self) -> impl Iterator<Item = std::os::fd::BorrowedFd<'_>> {
        self.watched.iter().map(|(_, fd)| fd.as_fd())
    }
}

// ---- Who holds the process slots (fork refusals) ---------------------------

/// A process holding zombie children nobody has reaped: each holds a pid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Holder {
    pub(crate) pid: libc::pid_t,
    pub(crate) name: String,
    pub(crate) zombies: u64,
}

/// The parents of unreaped zombies among `among`, most zombies first, at
/// most `most` of them. (rinit reaps its own at once; it is never among
/// `among`.) Sorted lists, not searches per zombie: a fork refusal is when
/// there are tens of thousands of both.
fn holders(table: &[Entry], among: &[Entry], most: usize) -> Vec<(libc::pid_t, u64)> {
    let mut candidates: Vec<libc::pid_t> = among.iter().map(|e| e.pid).collect();
    candidates.sort_unstable();
    let mut parents: Vec<libc::pid_t> = table
        .iter()
        .filter(|e| !e.stat.is_alive() && candidates.binary_search(&e.stat.parent).is_ok())
        .map(|e| e.stat.parent)
        .collect();
    parents.sort_unstable();
    let mut counts: Vec<(libc::pid_t, u64)> = parents
        .chunk_by(|a, b| a == b)
        .map(|same| (same[0], same.len() as u64))
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.truncate(most);
    counts
}

/// Who holds the most process slots with zombies nobody reaps, named: as
/// PID 1 in the whole namespace, otherwise among rinit's descendants. Lists
/// /proc: for a fork refusal, once a burst, never while memory is short.
pub(crate) fn zombie_holders(own: libc::pid_t, most: usize) -> Vec<Holder> {
    let Some(table) = snapshot() else {
        return Vec::new();
    };
    holders(&table, &in_reach(own, &table), most)
        .into_iter()
        .map(|(pid, zombies)| Holder {
            pid,
            name: process_name(pid).unwrap_or_else(|| "?".to_owned()),
            zombies,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as the kernel prints it for a small process, with the given
    /// name, state, parent, group, thread count and start time.
    fn stat_line(name: &str, state: char, parent: i32, threads: u32, start: u64) -> Vec<u8> {
        format!(
            "42 ({name}) {state} {parent} 40 40 0 -1 4194560 125 0 0 0 0 0 0 0 20 0 {threads} 0 {start} 0 0"
        )
        .into_bytes()
    }

    fn stat(state: u8, parent: i32, threads: u32, start_time: u64) -> Stat {
        Stat {
            state,
            parent,
            group: 40,
            threads,
            start_time,
        }
    }

    #[test]
    fn stat_lines_with_awkward_names() {
        assert_eq!(
            parse_stat(&stat_line("sleep", 'S', 1, 1, 95928)),
            Some(stat(b'S', 1, 1, 95928))
        );
        assert_eq!(
            parse_stat(&stat_line("a) b) (c", 'Z', 3, 1, 7)),
            Some(stat(b'Z', 3, 1, 7))
        );
        assert_eq!(
            parse_stat(&stat_line("x y", 'R', 12345, 9, 1)),
            Some(stat(b'R', 12345, 9, 1))
        );
        assert_eq!(parse_stat(b"garbage"), None);
        assert_eq!(parse_stat(b"1 (x) S"), None);
        assert_eq!(parse_stat(b"1 (x) S 1 42 42 0"), None);
    }

    #[test]
    fn the_kernels_own_stat_line_parses_ending_in_a_newline() {
        let mut line = stat_line("sleep", 'S', 1, 3, 95928);
        line.extend_from_slice(b" 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        assert_eq!(parse_stat(&line), Some(stat(b'S', 1, 3, 95928)));
        let mut buf = [0; STAT_MAX];
        let own = read_small(AT_FDCWD, &PidPath::new("/proc/", 0, ""), &mut buf);
        assert_eq!(own, Err(Errno::ENOENT), "no process 0 in /proc");
        let own = PidPath::new("/proc/", std::process::id() as i32, "/stat");
        let stat = parse_stat(read_small(AT_FDCWD, &own, &mut buf).unwrap()).unwrap();
        assert_eq!(stat.parent, nix::unistd::getppid().as_raw());
        assert!(stat.is_alive());
    }

    #[test]
    fn a_pid_path_is_written_in_place() {
        let longest = PidPath::new("/proc/", libc::pid_t::MIN, "/comm");
        assert_eq!(longest.as_bytes(), b"/proc/-2147483648/comm");
        assert_eq!(PidPath::new("", 42, "/stat").as_bytes(), b"42/stat");
    }

    #[test]
    fn a_file_larger_than_the_buffer_is_an_error_not_a_short_answer() {
        let mut small = [0; 8];
        let own = PidPath::new("/proc/", std::process::id() as i32, "/stat");
        assert_eq!(read_small(AT_FDCWD, &own, &mut small), Err(Errno::EFBIG));
    }

    #[test]
    fn a_zombie_leader_with_running_threads_is_alive() {
        assert!(stat(b'S', 1, 1, 0).is_alive());
        assert!(stat(b'Z', 1, 2, 0).is_alive());
        assert!(!stat(b'Z', 1, 1, 0).is_alive());
        assert!(!stat(b'X', 1, 1, 0).is_alive());
    }

    fn entry(pid: i32, parent: i32, state: u8) -> Entry {
        Entry {
            pid,
            stat: stat(state, parent, 1, pid as u64),
        }
    }

    fn pids(entries: Vec<Entry>) -> Vec<i32> {
        let mut pids: Vec<i32> = entries.iter().map(|e| e.pid).collect();
        pids.sort();
        pids
    }

    #[test]
    fn descendants_follow_the_tree_but_skip_the_dead() {
        let table = [
            entry(1, 0, b'S'),
            entry(10, 1, b'S'),
            entry(11, 10, b'S'),
            entry(12, 11, b'Z'),
            entry(13, 12, b'S'),
            entry(20, 99, b'S'),
            entry(99, 0, b'S'),
        ];
        assert_eq!(pids(descendants_of(1, &table)), vec![10, 11, 13]);
        assert_eq!(descendants_of(10, &table).len(), 2);
        assert!(descendants_of(13, &table).is_empty());
        // As PID 1 rinit answers for everyone but itself, its descendants
        // otherwise.
        assert_eq!(pids(in_reach(1, &table)), vec![10, 11, 13, 20, 99]);
        assert_eq!(pids(in_reach(10, &table)), vec![11, 13]);
    }

    #[test]
    fn a_children_file_lists_pids() {
        assert_eq!(pids_in(b"12 7 301 ").collect::<Vec<_>>(), vec![12, 7, 301]);
        assert_eq!(pids_in(b"").count(), 0);
    }

    #[test]
    fn processes_entered_from_outside_have_parent_zero() {
        let table = [
            entry(1, 0, b'S'),
            entry(10, 1, b'S'),
            entry(30, 0, b'S'),
            entry(31, 30, b'S'),
            entry(40, 0, b'Z'),
        ];
        assert_eq!(pids(entered_from_outside(&table, 1)), vec![30]);
    }

    #[test]
    fn a_refused_call_is_not_a_gone_process() {
        for refused in [Errno::EPERM, Errno::EACCES, Errno::ENOSYS] {
            assert!(is_refusal(refused), "{refused}");
        }
        for answer in [Errno::ESRCH, Errno::EINVAL, Errno::EMFILE] {
            assert!(!is_refusal(answer), "{answer}");
        }
    }

    #[test]
    fn a_reused_pid_is_another_process() {
        let listed = stat(b'S', 1, 1, 500);
        assert!(is_same_process(&listed, &stat(b'R', 1, 3, 500)));
        assert!(!is_same_process(&listed, &stat(b'S', 1, 1, 501)));
    }

    #[test]
    fn zombie_holders_are_counted_most_first() {
        let entry = |pid, state, parent| Entry {
            pid,
            stat: stat(state, parent, 1, 100),
        };
        let mut table = vec![entry(1, b'S', 0), entry(5, b'S', 1), entry(6, b'S', 1)];
        table.extend((100..103).map(|pid| entry(pid, b'Z', 6)));
        table.push(entry(200, b'Z', 5));
        // rinit's own zombies are reaped at once: not held.
        table.push(entry(300, b'Z', 1));
        // A zombie leader with live threads is a running process.
        table.push(Entry {
            pid: 400,
            stat: stat(b'Z', 5, 3, 100),
        });
        let among = in_reach(1, &table);
        assert_eq!(holders(&table, &among, 3), [(6, 3), (5, 1)]);
        assert_eq!(holders(&table, &among, 1), [(6, 3)]);
        // Not among the processes looked at: not named.
        assert_eq!(holders(&table, &among[..1], 3), [(5, 1)]);
    }
}
