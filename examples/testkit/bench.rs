//! Workloads of the benchmark (bench/, `scripts/bench`), built in the
//! `measure` profile there. Each runs as the child of the init under test,
//! inside its PID namespace (so `/proc/1` is the init), measures what only
//! it can see, and reports `key value` lines on stdout for the benchmark to
//! check. A failure panics (exit 101): the benchmark then rejects the run.
//! (The idle figure's child is `testkit sigecho`.)
//!
//! testkit bench-pingpong COUNT WARMUP [fifo]  send SIGUSR1 to PID 1 and
//!                            wait for it to come back, COUNT times after
//!                            WARMUP rounds; with `fifo`, PID 1 and we run
//!                            under SCHED_FIFO meanwhile, so that every
//!                            signal finds PID 1 asleep (a diagnostic, see
//!                            docs/performance.md, not a figure)
//! testkit bench-orphans COUNT WAVE  leave COUNT orphaned zombies to PID 1, at
//!                            most WAVE at once, and time their reaping
//! testkit bench-fleet COUNT MODE PATH  start COUNT processes (MODE `group`
//!                            keeps them in this process group, `own` gives
//!                            each its own) that count themselves in the
//!                            8-byte file PATH and exit on SIGTERM; print
//!                            "ready"; exit 0 on SIGTERM

use super::fork;
use super::{leave, say};
use libc::SIGCHLD;
use nix::errno::Errno;
use nix::sched::{CloneFlags, CpuSet, clone, sched_getaffinity, sched_setaffinity};
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::{ForkResult, Pid, pipe, setpgid};
use rinit_harness::{pidfd, pids, poll_fd, proc_state, status_number};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

pub(crate) fn run(mode: &str, args: &[String]) {
    let number = |i: usize| -> usize {
        let n = args.get(i).and_then(|a| a.parse().ok()).filter(|&n| n > 0);
        n.unwrap_or_else(|| panic!("{mode}: argument {} must be a number above 0", i + 1))
    };
    match mode {
        "bench-pingpong" => match args.get(2).map(String::as_str) {
            None => pingpong(number(0), number(1), false),
            Some("fifo") => pingpong(number(0), number(1), true),
            Some(other) => panic!("bench-pingpong: {other:?} is not `fifo`"),
        },
        "bench-orphans" => orphans(number(0), number(1)),
        "bench-fleet" => match args.get(1).map(String::as_str) {
            Some("own") => fleet(number(0), true, &args[2]),
            Some("group") => fleet(number(0), false, &args[2]),
            other => panic!("bench-fleet: mode {other:?} is neither `group` nor `own`"),
        },
        _ => panic!("unknown mode {mode:?}"),
    }
}

fn tell(key: &str, value: impl std::fmt::Display) {
    say(&format!("{key} {value}"));
}

/// PID 1's CPU time so far, in ns: the first field of /proc/1/schedstat
/// (time spent running, user and kernel, by the scheduler's own clock).
fn init_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/1/schedstat").expect("/proc/1/schedstat");
    let first = text.split_whitespace().next().and_then(|f| f.parse().ok());
    first.unwrap_or_else(|| panic!("unexpected /proc/1/schedstat: {text:?}"))
}

fn nanos(since: Instant) -> u64 {
    since.elapsed().as_nanos() as u64
}

/// Blocks `signal` (children forked later inherit the mask), to wait for it.
fn blocked(signal: Signal) -> SigSet {
    let set = SigSet::from(signal);
    set.thread_block().expect("block the signal");
    set
}

fn pipe_files() -> (File, File) {
    let (read, write) = pipe().expect("pipe");
    (read.into(), write.into())
}

/// The signal round trip: SIGUSR1 to PID 1, which forwards it to us (or to
/// our process group, which is us alone). PID 1 and we share one CPU, so
/// that every round trip costs the same two context switches, whatever CPU
/// the scheduler would otherwise have woken each side on (cross-CPU
/// wake-ups made the figures swing by half from run to run).
///
/// With `fifo`, the kernel's fair scheduler does not decide, round by
/// round, whether the woken child preempts PID 1 right after its `kill`
/// (PID 1 then finds the next signal waiting, and never sleeps) or PID 1
/// goes back to sleep first: at one real-time priority neither preempts
/// the other, so every init sleeps once per signal, as it does when real
/// signals come one at a time.
fn pingpong(count: usize, warmup: usize, fifo: bool) {
    let pinning = Pinning::new(true);
    if fifo {
        set_policy(libc::SCHED_FIFO, 1);
    }
    let set = blocked(Signal::SIGUSR1);
    let timeout = libc::timespec {
        tv_sec: 5,
        tv_nsec: 0,
    };
    let round_trip = |i: usize| {
        kill(Pid::from_raw(1), Signal::SIGUSR1).expect("kill(1, SIGUSR1)");
        // nix has no sigtimedwait.
        // SAFETY: a valid set and timeout; the siginfo is not wanted.
        while unsafe { libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &timeout) }
            != libc::SIGUSR1
        {
            let e = Errno::last();
            assert_eq!(e, Errno::EINTR, "signal {i} not back from PID 1 within 5 s");
        }
    };
    (0..warmup).for_each(round_trip);
    let mut latencies = Vec::with_capacity(count);
    let (cpu_before, start) = (init_cpu_ns(), Instant::now());
    for i in 0..count {
        let t = Instant::now();
        round_trip(i);
        latencies.push(nanos(t));
    }
    let (wall, cpu) = (nanos(start), init_cpu_ns() - cpu_before);
    if fifo {
        set_policy(libc::SCHED_OTHER, 0);
    }
    pinning.restore();
    latencies.sort_unstable();
    tell("roundtrips", count);
    tell("latency_median_ns", latencies[count / 2]);
    tell("latency_p99_ns", latencies[count * 99 / 100]);
    tell("wall_ns", wall);
    tell("init_cpu_ns", cpu);
}

/// PID 1's and our scheduling policy (nix has no sched_setscheduler).
fn set_policy(policy: libc::c_int, priority: libc::c_int) {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    for pid in [1, 0] {
        // SAFETY: a plain pid, policy and a live sched_param.
        let r = unsafe { libc::sched_setscheduler(pid, policy, &param) };
        assert_eq!(r, 0, "sched_setscheduler({pid}): {}", Errno::last());
    }
}

/// Whether `pid` still exists (as a zombie here: nothing else is running).
/// Nothing forks while this is asked, so a freed pid cannot have been reused.
fn exists(pid: Pid) -> bool {
    kill(pid, None) != Err(Errno::ESRCH)
}

/// Blocks until the process of this pidfd has been reaped (it hangs up);
/// `None` stands for a process already gone.
fn wait_reaped(pidfd: Option<OwnedFd>) {
    if let Some(fd) = pidfd {
        let reaped = poll_fd(fd.as_fd(), 0, Duration::from_secs(60));
        assert!(reaped, "an orphan was still a zombie after 60 s");
    }
}

fn pid_of(bytes: &[u8]) -> Pid {
    Pid::from_raw(i32::from_ne_bytes(bytes.try_into().expect("4 bytes")))
}

/// Creates `count` zombies and hands them to PID 1 in waves of at most
/// `max_wave` (the pid space is finite: pid_max is 32768 on many machines).
///
/// Each wave: a "middle" process forks the wave's children, which exit at
/// once; it waits (without reaping) until every one of them is a zombie,
/// sends us their pids, then exits when we close its pipe, and the kernel
/// re-parents all of them to PID 1 in one go. PID 1 gets coalesced SIGCHLDs
/// and must reap them all. We time from the middle's exit (as its parent
/// sees it) until the last pid is gone, and take PID 1's CPU time from just
/// before our word to just after that.
///
/// The middle's exit re-parents the orphans while holding the kernel's
/// tasklist lock, and signals PID 1 from inside it. A PID 1 running on
/// another CPU would wake at once and spin on that lock in wait4 until the
/// hand-over is done, and its CPU time would count the spinning (more for
/// the inits that wake up faster). So the middle exits on PID 1's CPU, and
/// PID 1 can only run once the lock is free; we poll from the other CPU.
fn orphans(count: usize, max_wave: usize) {
    let waves = count.div_ceil(max_wave);
    let wave_size = |i: usize| count / waves + usize::from(i < count % waves);
    let pinning = Pinning::new(false);
    let (mut reaped, mut reap_wall_ns, mut init_cpu) = (0, 0, 0);
    for wave in 0..waves {
        let size = wave_size(wave);
        let (mut ready_r, ready_w) = pipe_files();
        let (go_r, go_w) = pipe_files();
        let middle = match fork() {
            ForkResult::Child => {
                drop((ready_r, go_w));
                make_zombies(size, ready_w, go_r)
            }
            ForkResult::Parent { child } => child,
        };
        drop((ready_w, go_r));
        let mut bytes = vec![0u8; size * 4];
        if ready_r.read_exact(&mut bytes).is_err() {
            let status = waitpid(middle, None);
            panic!("the middle process failed to create {size} zombies: {status:?}");
        }
        let pids: Vec<Pid> = bytes.chunks(4).map(pid_of).collect();
        let last = pidfd(pids[size - 1].as_raw());
        assert!(last.is_some(), "a zombie vanished before its orphaning");
        pinning.pin_to_init_cpu(middle);
        let cpu_before = init_cpu_ns();
        drop(go_w); // the word
        let status = waitpid(middle, None).expect("waitpid");
        let t0 = Instant::now();
        assert_eq!(status, WaitStatus::Exited(middle, 0), "the middle process");
        // The inits reap in the order the orphans were adopted, so the last
        // one created is normally the last one gone; then check all of them.
        wait_reaped(last);
        for &pid in pids.iter().filter(|&&pid| exists(pid)) {
            wait_reaped(pidfd(pid.as_raw()));
        }
        reap_wall_ns += nanos(t0);
        init_cpu += init_cpu_ns() - cpu_before;
        reaped += pids.iter().filter(|&&pid| !exists(pid)).count();
    }
    pinning.restore();
    let zombies = pids().into_iter().filter(|&p| proc_state(p) == Some('Z'));
    tell("orphans", count);
    tell("pinned", u8::from(pinning.init_cpu.is_some()));
    tell("waves", waves);
    tell("max_at_once", wave_size(0));
    tell("reaped", reaped);
    tell("zombies_left", zombies.count());
    tell("reap_wall_ns", reap_wall_ns);
    tell("init_cpu_ns", init_cpu);
    tell("init_hwm_kb", status_number(1, "VmHWM").expect("VmHWM"));
}

/// The middle process: `size` children that exit at once, as cheaply as
/// Linux allows (they share our memory, so no page tables are copied, and
/// CLONE_VFORK suspends us until each has left, so one stack serves all);
/// once every one is a zombie, their pids to `ready`; exit at EOF on `go`.
fn make_zombies(size: usize, mut ready: File, mut go: File) -> ! {
    let mut stack = vec![0u8; 64 * 1024];
    let mut pids = Vec::with_capacity(size * 4);
    let flags = CloneFlags::CLONE_VM | CloneFlags::CLONE_VFORK;
    for _ in 0..size {
        // SAFETY: the child runs only `leave` on its own stack, and we do
        // not touch that stack until it has exited.
        let child = unsafe { clone(Box::new(|| leave(0)), &mut stack, flags, Some(SIGCHLD)) };
        let Ok(child) = child else { leave(2) };
        pids.extend(child.as_raw().to_ne_bytes());
    }
    let (exited, no_reaping) = (WaitPidFlag::WEXITED, WaitPidFlag::WNOWAIT);
    for pid in pids.chunks(4).map(pid_of) {
        if waitid(Id::Pid(pid), exited | no_reaping).is_err() {
            leave(4);
        }
    }
    let sent = ready.write_all(&pids).is_ok();
    let _ = go.read(&mut [0]);
    leave(if sent { 0 } else { 3 })
}

/// PID 1's CPU while pinned (`None` if not), and its affinity before.
struct Pinning {
    init_cpu: Option<CpuSet>,
    init_before: CpuSet,
}

fn only(cpu: usize) -> CpuSet {
    let mut set = CpuSet::new();
    set.set(cpu).expect("a CPU number in range");
    set
}

fn pin(pid: i32, set: &CpuSet) {
    let pid = Pid::from_raw(pid);
    sched_setaffinity(pid, set).unwrap_or_else(|e| panic!("sched_setaffinity({pid}): {e}"));
}

impl Pinning {
    /// PID 1 on the first CPU we may use, and we on the same one
    /// (`together`) or on another one (if there are two).
    fn new(together: bool) -> Pinning {
        let affinity = |pid| sched_getaffinity(Pid::from_raw(pid)).expect("sched_getaffinity");
        let (own, init_before) = (affinity(0), affinity(1));
        let cpus: Vec<usize> = (0..CpuSet::count())
            .filter(|&c| own.is_set(c) == Ok(true))
            .collect();
        let init_cpu = (together || cpus.len() >= 2).then(|| only(cpus[0]));
        if let Some(set) = &init_cpu {
            pin(1, set);
            pin(0, &only(cpus[usize::from(!together)]));
        }
        Pinning {
            init_cpu,
            init_before,
        }
    }

    fn pin_to_init_cpu(&self, pid: Pid) {
        if let Some(set) = &self.init_cpu {
            pin(pid.as_raw(), set);
        }
    }

    fn restore(&self) {
        if self.init_cpu.is_some() {
            pin(1, &self.init_before);
        }
    }
}

/// Processes that exit promptly on SIGTERM, for the drain figure. PATH is a
/// file of at least 8 bytes that every member maps: on SIGTERM each adds one
/// to the counter at its start (an atomic add in shared memory, no system
/// call to contend on), then exits. The benchmark reads how many got to exit
/// on their own rather than being killed.
fn fleet(count: usize, own_group: bool, path: &str) {
    use std::os::fd::AsRawFd;
    use std::sync::atomic::{AtomicU64, Ordering};
    let file = File::options().read(true).write(true).open(path);
    let file = file.unwrap_or_else(|e| panic!("{path}: {e}"));
    let (rw, shared) = (libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED);
    // (nix's mmap needs a feature of its own for this one call.)
    // SAFETY: maps the file's first 8 bytes, shared with every member.
    let counter = unsafe { libc::mmap(std::ptr::null_mut(), 8, rw, shared, file.as_raw_fd(), 0) };
    assert_ne!(counter, libc::MAP_FAILED, "mmap {path}: {}", Errno::last());
    // SAFETY: the mapping is 8-byte aligned (page aligned) and lives until exit.
    let counter = unsafe { &*counter.cast::<AtomicU64>() };
    // Blocked before forking, so every member has it blocked from birth and
    // a SIGTERM sent at any time after "ready" is waited for, never lost.
    let set = blocked(Signal::SIGTERM);
    let (mut ready_r, mut ready_w) = pipe_files();
    for _ in 0..count {
        if let ForkResult::Child = fork() {
            if own_group && setpgid(Pid::from_raw(0), Pid::from_raw(0)).is_err() {
                leave(5);
            }
            let _ = ready_w.write_all(b"r");
            while set.wait().is_err() {}
            counter.fetch_add(1, Ordering::SeqCst);
            leave(0);
        }
    }
    drop(ready_w);
    let started = ready_r.read_exact(&mut vec![0; count]);
    assert!(started.is_ok(), "not all {count} fleet members started");
    say("ready");
    while set.wait().is_err() {}
    std::process::exit(0);
}
