//! Workloads of the benchmark (bench/, `scripts/bench`), built in the
//! `measure` profile there. Each runs as the child of the init under test,
//! inside its PID namespace (so `/proc/1` is the init), measures what only
//! it can see, and reports `key value` lines on stdout for the benchmark to
//! check. A failure panics (exit 101): the benchmark then rejects the run.
//! (The idle figure's child is `testkit sigecho`.)
//!
//! testkit bench-pingpong COUNT WARMUP  send SIGUSR1 to PID 1 and wait for it
//!                            to come back, COUNT times after WARMUP rounds
//! testkit bench-orphans COUNT WAVE  leave COUNT orphaned zombies to PID 1, at
//!                            most WAVE at once, and time their reaping
//! testkit bench-fleet COUNT MODE PATH  start COUNT processes (MODE `group`
//!                            keeps them in this process group, `own` gives
//!                            each its own) that count themselves in the
//!                            8-byte file PATH and exit on SIGTERM; print
//!                            "ready"; exit 0 on SIGTERM

use super::say;
use std::mem::{MaybeUninit, zeroed};
use std::ptr;

pub(crate) fn run(mode: &str, args: &[String]) {
    let number = |i: usize| -> usize {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("{mode}: argument {} must be a number above 0", i + 1))
    };
    match mode {
        "bench-pingpong" => pingpong(number(0), number(1)),
        "bench-orphans" => orphans(number(0), number(1)),
        "bench-fleet" => match args.get(1).map(String::as_str) {
            Some("own") => fleet(number(0), true, &args[2]),
            Some("group") => fleet(number(0), false, &args[2]),
            other => panic!("bench-fleet: mode {other:?} is neither `group` nor `own`"),
        },
        _ => panic!("unknown mode {mode:?}"),
    }
}

fn os_error(what: &str) -> ! {
    panic!("{what}: {}", std::io::Error::last_os_error())
}

/// CLOCK_MONOTONIC in nanoseconds (a vDSO call, no system call).
fn now_ns() -> u64 {
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: clock_gettime fills the timespec it is given.
    let ts = unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, ts.as_mut_ptr());
        ts.assume_init()
    };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// PID 1's CPU time so far, in ns: the first field of /proc/1/schedstat
/// (time spent running, user and kernel, by the scheduler's own clock).
fn init_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/1/schedstat").expect("/proc/1/schedstat");
    let first = text.split_whitespace().next().and_then(|f| f.parse().ok());
    first.unwrap_or_else(|| panic!("unexpected /proc/1/schedstat: {text:?}"))
}

fn blocked(signal: libc::c_int) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before sigaddset and
    // sigprocmask read it; the old mask is not wanted.
    unsafe {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), signal);
        if libc::sigprocmask(libc::SIG_BLOCK, set.as_ptr(), ptr::null_mut()) != 0 {
            os_error("sigprocmask");
        }
        set.assume_init()
    }
}

fn pipe() -> (libc::c_int, libc::c_int) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        os_error("pipe2");
    }
    (fds[0], fds[1])
}

fn close(fd: libc::c_int) {
    // SAFETY: the descriptor is ours and not used afterwards.
    unsafe { libc::close(fd) };
}

/// Reads exactly one byte; false on end of file.
fn read_byte(fd: libc::c_int) -> bool {
    let mut byte = 0u8;
    loop {
        // SAFETY: reads at most one byte into a live u8.
        match unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) } {
            1 => return true,
            0 => return false,
            _ if errno() == libc::EINTR => continue,
            _ => os_error("read"),
        }
    }
}

fn write_byte(fd: libc::c_int, byte: u8) -> bool {
    // SAFETY: writes one byte from a live u8.
    unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) == 1 }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Waits for our child `pid`; returns its exit code, or -signal.
fn wait_child(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: waits for our own child.
    while unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        if errno() != libc::EINTR {
            os_error("waitpid");
        }
    }
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    }
}

/// The signal round trip: SIGUSR1 to PID 1, which forwards it to us (or to
/// our process group, which is us alone). PID 1 and we share one CPU, so
/// that every round trip costs the same two context switches, whatever CPU
/// the scheduler would otherwise have woken each side on (cross-CPU
/// wake-ups made the figures swing by half from run to run).
fn pingpong(count: usize, warmup: usize) {
    let pinning = Pinning::together();
    let set = blocked(libc::SIGUSR1);
    let timeout = libc::timespec {
        tv_sec: 5,
        tv_nsec: 0,
    };
    let round_trip = |i: usize| {
        // SAFETY: kill and sigtimedwait take plain values and valid pointers.
        unsafe {
            if libc::kill(1, libc::SIGUSR1) != 0 {
                os_error("kill(1, SIGUSR1)");
            }
            loop {
                let got = libc::sigtimedwait(&set, ptr::null_mut(), &timeout);
                if got == libc::SIGUSR1 {
                    break;
                }
                if got < 0 && errno() != libc::EINTR {
                    os_error(&format!(
                        "signal {i} did not come back from PID 1 within 5 s"
                    ));
                }
            }
        }
    };
    (0..warmup).for_each(&round_trip);
    let mut latencies = Vec::with_capacity(count);
    let cpu_before = init_cpu_ns();
    let start = now_ns();
    for i in 0..count {
        let t = now_ns();
        round_trip(i);
        latencies.push(now_ns() - t);
    }
    let wall = now_ns() - start;
    let cpu = init_cpu_ns() - cpu_before;
    pinning.restore();
    latencies.sort_unstable();
    say(&format!("roundtrips {count}"));
    say(&format!("latency_median_ns {}", latencies[count / 2]));
    say(&format!("latency_p99_ns {}", latencies[count * 99 / 100]));
    say(&format!("wall_ns {wall}"));
    say(&format!("init_cpu_ns {cpu}"));
}

/// A pidfd for `pid`, `None` if it is already reaped.
fn pidfd_open(pid: libc::pid_t) -> Option<libc::c_int> {
    // SAFETY: pidfd_open takes plain integers and returns a new descriptor.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    match fd {
        0.. => Some(fd as libc::c_int),
        _ if errno() == libc::ESRCH => None,
        _ => os_error(&format!("pidfd_open({pid})")),
    }
}

/// Blocks until the process behind `fd` has been reaped: a pidfd reports
/// POLLIN once the process has exited and POLLHUP once it is gone, and the
/// kernel wakes its pollers at that moment. `events = 0` asks for nothing
/// but POLLHUP, which poll always reports.
fn wait_reaped(fd: libc::c_int) {
    let mut pfd = libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        match unsafe { libc::poll(&mut pfd, 1, 60_000) } {
            0 => panic!("an orphan was still a zombie after 60 s"),
            n if n > 0 && pfd.revents & libc::POLLHUP != 0 => break,
            n if n < 0 && errno() != libc::EINTR => os_error("poll(pidfd)"),
            _ => {}
        }
    }
    close(fd);
}

/// Whether `pid` still exists (as a zombie here: nothing else is running).
/// Nothing forks while this is asked, so a freed pid cannot have been reused.
fn exists(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 || errno() != libc::ESRCH }
}

/// Creates `count` zombies and hands them to PID 1 in waves of at most
/// `max_wave` (the pid space is finite: pid_max is 32768 on many machines).
///
/// Each wave: a "middle" process forks the wave's children, which exit at
/// once; it waits (without reaping) until every one of them is a zombie,
/// then exits on our word, and the kernel re-parents all of them to PID 1 in
/// one go. PID 1 gets coalesced SIGCHLDs and must reap them all. We time from
/// the middle's exit (as its parent sees it) until the last pid is gone, and
/// take PID 1's CPU time from just before our word to just after that.
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
    let largest = wave_size(0);
    // SAFETY: a fresh shared anonymous mapping, shared with the middle process.
    let shared = unsafe {
        libc::mmap(
            ptr::null_mut(),
            largest * size_of::<libc::pid_t>(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if shared == libc::MAP_FAILED {
        os_error("mmap");
    }
    let pids = shared.cast::<libc::pid_t>();
    let pinning = Pinning::apart();
    let (mut reaped, mut reap_wall_ns, mut init_cpu, mut exit_ns, mut create_ns) = (0, 0, 0, 0, 0);
    for wave in 0..waves {
        let size = wave_size(wave);
        let (ready_r, ready_w) = pipe();
        let (go_r, go_w) = pipe();
        // SAFETY: single-threaded; the middle only makes system calls.
        let middle = unsafe { libc::fork() };
        if middle < 0 {
            os_error("fork");
        }
        if middle == 0 {
            close(ready_r);
            close(go_w);
            let mut stack = vec![0u8; 64 * 1024];
            // SAFETY: i < size <= largest, inside the mapping; waitid with
            // WNOWAIT waits for a child to exit without reaping it; _exit
            // leaves without the parent's exit handlers.
            unsafe {
                for i in 0..size {
                    let pid = spawn_exiting_child(&mut stack);
                    if pid < 0 {
                        libc::_exit(2);
                    }
                    *pids.add(i) = pid;
                }
                for i in 0..size {
                    let mut info = MaybeUninit::<libc::siginfo_t>::uninit();
                    let (id, flags) = (*pids.add(i) as libc::id_t, libc::WEXITED | libc::WNOWAIT);
                    if libc::waitid(libc::P_PID, id, info.as_mut_ptr(), flags) != 0 {
                        libc::_exit(4);
                    }
                }
                write_byte(ready_w, b'r');
                read_byte(go_r);
                libc::_exit(0);
            }
        }
        close(ready_w);
        close(go_r);
        let create_start = now_ns();
        if !read_byte(ready_r) {
            let code = wait_child(middle);
            panic!("the middle process failed to create {size} zombies (exit {code})");
        }
        close(ready_r);
        create_ns += now_ns() - create_start;
        // SAFETY: the middle wrote `size` pids before saying ready.
        let wave_pids: Vec<libc::pid_t> = (0..size).map(|i| unsafe { *pids.add(i) }).collect();
        let last = pidfd_open(wave_pids[size - 1]).expect("a zombie vanished before its orphaning");
        pinning.pin_to_init_cpu(middle);
        let cpu_before = init_cpu_ns();
        if !write_byte(go_w, b'g') {
            os_error("write to the middle process");
        }
        close(go_w);
        let released = now_ns();
        let code = wait_child(middle);
        let t0 = now_ns();
        exit_ns += t0 - released;
        assert_eq!(code, 0, "the middle process's exit code");
        // The inits reap in the order the orphans were adopted, so the last
        // one created is normally the last one gone; then check all of them.
        wait_reaped(last);
        for &pid in &wave_pids {
            if let Some(fd) = exists(pid).then(|| pidfd_open(pid)).flatten() {
                wait_reaped(fd);
            }
        }
        reap_wall_ns += now_ns() - t0;
        init_cpu += init_cpu_ns() - cpu_before;
        reaped += wave_pids.iter().filter(|&&pid| !exists(pid)).count();
    }
    pinning.restore();
    say(&format!("orphans {count}"));
    say(&format!("pinned {}", u8::from(pinning.active)));
    say(&format!("waves {waves}"));
    say(&format!("max_at_once {largest}"));
    say(&format!("reaped {reaped}"));
    say(&format!("zombies_left {}", count_zombies()));
    say(&format!("reap_wall_ns {reap_wall_ns}"));
    say(&format!("init_cpu_ns {init_cpu}"));
    say(&format!("middle_exit_ns {exit_ns}"));
    say(&format!("create_ns {create_ns}"));
    let hwm = std::fs::read_to_string("/proc/1/status").expect("/proc/1/status");
    let hwm = hwm.lines().find_map(|l| l.strip_prefix("VmHWM:"));
    say(&format!(
        "init_hwm_kb {}",
        hwm.expect("VmHWM").trim_end_matches("kB").trim()
    ));
}

/// Starts a child that exits at once, as cheaply as Linux allows: it shares
/// our memory (no page tables to copy) and runs on `stack`, and we are
/// suspended until it has left that memory (CLONE_VFORK), so one stack
/// serves every child in turn. Returns its pid, or -1.
fn spawn_exiting_child(stack: &mut [u8]) -> libc::pid_t {
    extern "C" fn exit_at_once(_: *mut libc::c_void) -> libc::c_int {
        // SAFETY: _exit touches nothing of the shared memory.
        unsafe { libc::_exit(0) }
    }
    // The stack grows down: pass its 16-byte aligned top.
    let top = (stack.as_mut_ptr() as usize + stack.len()) & !15;
    // SAFETY: the child runs only `exit_at_once` on its own stack, and the
    // parent does not touch that stack until the child has exited.
    unsafe {
        libc::clone(
            exit_at_once,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            ptr::null_mut(),
        )
    }
}

/// Zombies anywhere in this PID namespace, from /proc.
fn count_zombies() -> usize {
    let dir = std::fs::read_dir("/proc").expect("/proc");
    let is_pid = |e: &std::fs::DirEntry| {
        e.file_name()
            .to_str()
            .is_some_and(|n| n.parse::<u32>().is_ok())
    };
    let is_zombie = |e: &std::fs::DirEntry| {
        std::fs::read(e.path().join("stat")).is_ok_and(|stat| {
            let close = stat.iter().rposition(|&b| b == b')').unwrap_or(0);
            stat.get(close + 2) == Some(&b'Z')
        })
    };
    dir.flatten().filter(|e| is_pid(e) && is_zombie(e)).count()
}

/// PID 1's CPU and ours, and PID 1's affinity before, to put back.
struct Pinning {
    active: bool,
    init_cpu: libc::cpu_set_t,
    init_before: libc::cpu_set_t,
}

fn affinity(pid: libc::pid_t) -> libc::cpu_set_t {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the call fills it.
    unsafe {
        let mut set: libc::cpu_set_t = zeroed();
        if libc::sched_getaffinity(pid, size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            os_error(&format!("sched_getaffinity({pid})"));
        }
        set
    }
}

fn set_affinity(pid: libc::pid_t, set: &libc::cpu_set_t) {
    // SAFETY: a valid set of the size given.
    if unsafe { libc::sched_setaffinity(pid, size_of::<libc::cpu_set_t>(), set) } != 0 {
        os_error(&format!("sched_setaffinity({pid})"));
    }
}

/// The set holding CPU `cpu` alone.
fn only(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: a zeroed set is valid and empty; cpu < CPU_SETSIZE.
    unsafe {
        let mut set: libc::cpu_set_t = zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    }
}

impl Pinning {
    /// The CPUs we may run on.
    fn cpus() -> Vec<usize> {
        let own = affinity(0);
        // SAFETY: CPU_ISSET reads the set.
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &own) })
            .collect()
    }

    /// PID 1 and us on the same CPU.
    fn together() -> Pinning {
        let init_before = affinity(1);
        let one = only(*Pinning::cpus().first().expect("a CPU to run on"));
        set_affinity(1, &one);
        set_affinity(0, &one);
        Pinning {
            active: true,
            init_cpu: one,
            init_before,
        }
    }

    /// PID 1 on the first CPU we may use, ourselves on another one (if
    /// there are two).
    fn apart() -> Pinning {
        let (cpus, init_before) = (Pinning::cpus(), affinity(1));
        if cpus.len() < 2 {
            // SAFETY: a zeroed set is valid and empty (and never used).
            let init_cpu = unsafe { zeroed() };
            return Pinning {
                active: false,
                init_cpu,
                init_before,
            };
        }
        let init_cpu = only(cpus[0]);
        set_affinity(1, &init_cpu);
        set_affinity(0, &only(cpus[1]));
        Pinning {
            active: true,
            init_cpu,
            init_before,
        }
    }

    fn pin_to_init_cpu(&self, pid: libc::pid_t) {
        if self.active {
            set_affinity(pid, &self.init_cpu);
        }
    }

    fn restore(&self) {
        if self.active {
            set_affinity(1, &self.init_before);
        }
    }
}

/// Processes that exit promptly on SIGTERM, for the drain figure. PATH is a
/// file of at least 8 bytes that every member maps: on SIGTERM each adds one
/// to the counter at its start (an atomic add in shared memory, no system
/// call to contend on), then exits. The benchmark reads how many got to exit
/// on their own rather than being killed.
fn fleet(count: usize, own_group: bool, path: &str) {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    // SAFETY: maps the file's first 8 bytes, shared with every member.
    let counter = unsafe {
        libc::mmap(
            ptr::null_mut(),
            8,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            0,
        )
    };
    if counter == libc::MAP_FAILED {
        os_error(&format!("mmap {path}"));
    }
    drop(file);
    // SAFETY: the mapping is 8-byte aligned (page aligned) and lives until exit.
    let counter = unsafe { &*counter.cast::<std::sync::atomic::AtomicU64>() };
    // Blocked before forking, so every member has it blocked from birth and
    // a SIGTERM sent at any time after "ready" is waited for, never lost.
    let set = blocked(libc::SIGTERM);
    let (ready_r, ready_w) = pipe();
    for _ in 0..count {
        // SAFETY: single-threaded; the member only makes system calls.
        match unsafe { libc::fork() } {
            0 => {
                // SAFETY: plain system calls in the member.
                unsafe {
                    if own_group && libc::setpgid(0, 0) != 0 {
                        libc::_exit(5);
                    }
                    write_byte(ready_w, b'r');
                    let mut sig = 0;
                    while libc::sigwait(&set, &mut sig) != 0 {}
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    libc::_exit(0);
                }
            }
            pid if pid < 0 => os_error("fork"),
            _ => {}
        }
    }
    close(ready_w);
    for i in 0..count {
        assert!(
            read_byte(ready_r),
            "only {i} of {count} fleet members started"
        );
    }
    say("ready");
    let mut sig = 0;
    // SAFETY: a valid set and out-pointer.
    while unsafe { libc::sigwait(&set, &mut sig) } != 0 {}
    std::process::exit(0);
}
