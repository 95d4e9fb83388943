//! Stress: rinit as PID 1 under a storm of signals and a storm of orphans.
//!
//! Sizes: reduced by default so the suite stays fast; `RINIT_STRESS=full`
//! selects the sizes of the reliability claims (100,000 of each), and
//! `RINIT_STRESS=<number>` any other size. Each test prints the figures it
//! reached (`cargo test --test stress -- --nocapture` shows them).

mod common;
use common::*;

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The number of signals or orphans a storm uses.
fn storm_size() -> usize {
    match std::env::var("RINIT_STRESS").as_deref() {
        Ok("full") => 100_000,
        Ok(n) => n.parse().expect("RINIT_STRESS: 'full' or a number"),
        Err(_) => 10_000,
    }
}

/// Resident and peak memory of a process, in kB, from /proc/PID/status.
fn memory_kb(pid: i32) -> (u64, u64) {
    let field = |name| {
        status_number(pid, name).unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmRSS"), field("VmHWM"))
}

/// CPU time a process has used so far (user + system).
fn cpu_time(pid: i32) -> Duration {
    let fields = proc_stat(pid).expect("stat");
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf reads a constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// How much rinit's peak memory may exceed its resident size before the
/// storm: a few pages of slack for the stack and the allocator, nothing that
/// grows with the number of signals or processes.
const MEMORY_SLACK_KB: u64 = 256;

/// Growth allowed between a tenth of a storm and its end: none really,
/// beyond a page or two of noise.
const WARM_SLACK_KB: u64 = 16;

/// Sends a real-time signal with `sigqueue`, which unlike `kill` says when
/// the kernel's queue is full (EAGAIN) instead of merging the signal into a
/// pending one. Returns whether the signal was queued.
fn queue_signal(pid: i32, signal: i32) -> bool {
    // SAFETY: sigqueue takes plain values.
    let ret = unsafe {
        libc::sigqueue(
            pid,
            signal,
            libc::sigval {
                sival_ptr: std::ptr::null_mut(),
            },
        )
    };
    if ret == 0 {
        return true;
    }
    let err = std::io::Error::last_os_error();
    assert_eq!(err.raw_os_error(), Some(libc::EAGAIN), "sigqueue: {err}");
    false
}

fn send_signal(pid: i32, signal: i32) {
    // SAFETY: kill takes plain values.
    let ret = unsafe { libc::kill(pid, signal) };
    assert_eq!(ret, 0, "kill: {}", std::io::Error::last_os_error());
}

/// The real-time signals the storm queues: RTMIN..RTMAX-1. RTMAX marks the end.
const RT_FIRST: i32 = 34;
const RT_LAST: i32 = 63;
const SENTINEL: i32 = 64;

/// The standard signals of the storm, fault signals included. SIGCHLD is
/// rinit's own and must never reach the child.
const STANDARD: &[i32] = &[
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGABRT,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGUSR1,
    libc::SIGSEGV,
    libc::SIGUSR2,
    libc::SIGPIPE,
    libc::SIGALRM,
    libc::SIGTERM,
    libc::SIGSTKFLT,
    libc::SIGCHLD,
    libc::SIGCONT,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGURG,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGWINCH,
    libc::SIGIO,
    libc::SIGPWR,
    libc::SIGSYS,
];

/// SIGCONT and the stop signals: sending one discards the others pending.
const JOB_CONTROL: &[i32] = &[libc::SIGCONT, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU];

/// Real-time signals in flight (sent to rinit, not yet echoed by the child).
/// Queued signals count against one per-user limit (RLIMIT_SIGPENDING)
/// shared by rinit, the child and every other process of the user; once it
/// is reached, `kill` merges a real-time signal into a pending one. The
/// storm keeps well below it so that "queued" means queued.
fn in_flight_window() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid out-pointer.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_SIGPENDING, &mut limit) };
    assert_eq!(ret, 0);
    (limit.rlim_cur / 4).clamp(64, 4096)
}

#[derive(Default)]
struct Progress {
    echoed_rt: u64,
}

/// rinit's memory stayed flat through a storm: its peak (VmHWM, kB) at the
/// end is within the slack of what it used before (VmRSS, VmHWM), and
/// stopped growing after the first tenth (`warm`).
fn assert_memory_flat((rss_before, hwm_before): (u64, u64), hwm_warm: u64, hwm_after: u64) {
    assert!(
        hwm_after <= hwm_before.max(rss_before) + MEMORY_SLACK_KB,
        "memory grew: VmRSS {rss_before} kB, VmHWM {hwm_before} -> {hwm_after} kB"
    );
    assert!(
        hwm_after <= hwm_warm + WARM_SLACK_KB,
        "memory kept growing: VmHWM {hwm_warm} kB at a tenth of the storm, {hwm_after} kB at the end"
    );
}

#[test]
fn signal_storm_every_queued_realtime_signal_arrives_once() {
    let total = storm_size();
    let window = in_flight_window();
    let mut run = Running::start(rinit_pid1(&["--", &testkit(), "sigecho"]));
    run.expect("ready");
    let pid = run.rinit_pid();
    let (rss_before, hwm_before) = memory_kb(pid);
    let cpu_before = cpu_time(pid);
    let started = Instant::now();

    let progress = Arc::new((Mutex::new(Progress::default()), Condvar::new()));
    let sender = {
        let progress = Arc::clone(&progress);
        std::thread::spawn(move || {
            let mut sent: BTreeMap<i32, u64> = BTreeMap::new();
            let mut sent_rt = 0u64;
            let mut queue_full = 0u64;
            let mut last_job_control = None;
            for k in 0..total {
                if k % 8 == 7 {
                    let signal = STANDARD[(k / 8) % STANDARD.len()];
                    send_signal(pid, signal);
                    *sent.entry(signal).or_default() += 1;
                    if JOB_CONTROL.contains(&signal) {
                        last_job_control = Some(signal);
                    }
                    continue;
                }
                let signal = RT_FIRST + (k % (RT_LAST - RT_FIRST + 1) as usize) as i32;
                {
                    let (lock, cond) = &*progress;
                    let mut state = lock.lock().unwrap();
                    while sent_rt - state.echoed_rt >= window {
                        state = cond.wait_timeout(state, SAFETY_NET).unwrap().0;
                    }
                }
                while !queue_signal(pid, signal) {
                    queue_full += 1;
                    std::thread::yield_now();
                }
                sent_rt += 1;
                *sent.entry(signal).or_default() += 1;
            }
            assert!(queue_signal(pid, SENTINEL), "sentinel not queued");
            (sent, queue_full, last_job_control)
        })
    };

    let mut echoed: BTreeMap<i32, u64> = BTreeMap::new();
    let mut received = 0usize;
    // Memory once a tenth of the storm is through: from then on it must not
    // grow at all, whatever the number of signals.
    let mut warm = None;
    loop {
        let n = run.expect_number("signal");
        if n == SENTINEL {
            break;
        }
        *echoed.entry(n).or_default() += 1;
        received += 1;
        if received == total / 10 {
            warm = Some(memory_kb(pid));
        }
        if n >= RT_FIRST {
            let (lock, cond) = &*progress;
            lock.lock().unwrap().echoed_rt += 1;
            cond.notify_one();
        }
        // Keep the list of lines short: the counts are what matter.
        run.seen.clear();
    }
    let elapsed = started.elapsed();
    let (sent, queue_full, last_job_control) = sender.join().expect("sender");
    let cpu = cpu_time(pid) - cpu_before;
    let (rss_after, hwm_after) = memory_kb(pid);

    // Real-time signals queue: each one rinit received reached the child
    // exactly once.
    for n in RT_FIRST..=RT_LAST {
        assert_eq!(
            echoed.get(&n).copied().unwrap_or(0),
            sent.get(&n).copied().unwrap_or(0),
            "real-time signal {n}: echoed vs sent"
        );
    }
    // Standard signals coalesce: each kind arrives at most as often as it
    // was sent, and at least once, except that the kernel discards a
    // pending SIGCONT when a stop signal is sent and pending stop signals
    // when SIGCONT is (at rinit and again at the child): of those only the
    // last one sent is sure to arrive. SIGCHLD is never forwarded.
    for &n in STANDARD {
        let (s, e) = (sent[&n], echoed.get(&n).copied().unwrap_or(0));
        if n == libc::SIGCHLD {
            assert_eq!(e, 0, "SIGCHLD was forwarded");
        } else if JOB_CONTROL.contains(&n) && Some(n) != last_job_control {
            assert!(e <= s, "signal {n}: sent {s}, echoed {e}");
        } else {
            assert!(e >= 1 && e <= s, "signal {n}: sent {s}, echoed {e}");
        }
    }
    assert!(
        echoed
            .keys()
            .all(|n| *n >= RT_FIRST || STANDARD.contains(n)),
        "unexpected signals: {echoed:?}"
    );
    let (_, hwm_warm) = warm.expect("a tenth of the storm arrived");
    assert_memory_flat((rss_before, hwm_before), hwm_warm, hwm_after);

    // Still responsive and intact: the app exits normally through it.
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stderr.is_empty(), "rinit complained: {}", done.stderr);

    let rt_total: u64 = (RT_FIRST..=RT_LAST).map(|n| sent[&n]).sum();
    let std_sent: u64 = STANDARD.iter().map(|n| sent[n]).sum();
    let std_echoed: u64 = STANDARD
        .iter()
        .map(|n| echoed.get(n).copied().unwrap_or(0))
        .sum();
    println!(
        "signal storm: {total} signals in {elapsed:.2?} ({:.0}/s): {rt_total} real-time, all \
         forwarded exactly once (window {window}, queue-full retries {queue_full}); \
         {std_sent} standard, {std_echoed} arrived after coalescing; rinit CPU {cpu:.2?} \
         ({:.1} us/signal); VmRSS {rss_before} -> {rss_after} kB, VmHWM {hwm_before} -> \
         {hwm_warm} (a tenth in) -> {hwm_after} kB",
        total as f64 / elapsed.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / total as f64,
    );
}

#[test]
fn realtime_signals_keep_their_order() {
    // The kernel hands out pending real-time signals lowest number first, so
    // order is only defined between signals that were not pending together.
    // Each burst sends RTMIN..RTMAX-1 in ascending order (which that rule
    // preserves), and the next burst starts once the child saw the last one:
    // any reordering by rinit shows up as a burst out of order.
    let bursts = (storm_size() / 50).max(20);
    let mut run = Running::start(rinit_pid1(&["--", &testkit(), "sigecho"]));
    run.expect("ready");
    let pid = run.rinit_pid();
    let expected: Vec<i32> = (RT_FIRST..=RT_LAST).collect();
    for burst in 0..bursts {
        for &n in &expected {
            while !queue_signal(pid, n) {
                std::thread::yield_now();
            }
        }
        let mut got = Vec::with_capacity(expected.len());
        while got.len() < expected.len() {
            got.push(run.expect_number("signal"));
        }
        assert_eq!(got, expected, "burst {burst} arrived out of order");
        run.seen.clear();
    }
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    println!(
        "real-time order: {bursts} bursts of {} signals, all in order",
        expected.len()
    );
}

#[test]
fn orphan_storm_leaves_no_zombie_and_keeps_the_exit_status() {
    let total = storm_size();
    let mut run = Running::start(pid1_testkit(
        &["-v"],
        &["hk-orphan-storm", &total.to_string(), "4"],
    ));
    run.expect("ready");
    let pid = run.rinit_pid();
    let (rss_before, hwm_before) = memory_kb(pid);
    let cpu_before = cpu_time(pid);
    let started = Instant::now();
    run.write_stdin("go\n");
    run.expect("a tenth created");
    let (_, hwm_warm) = memory_kb(pid);
    let line = run.expect_line("'orphans gone'", |l| l.starts_with("orphans gone "));
    let elapsed = started.elapsed();
    // Every orphan has exited; rinit must have collected (or be collecting)
    // them all, leaving the main child as its only child.
    let mut left = (Vec::new(), Vec::new());
    wait_until("rinit to reap every orphan", || {
        left = descendants(pid);
        left.1.is_empty() && left.0.len() == 1
    });
    let cpu = cpu_time(pid) - cpu_before;
    let (rss_after, hwm_after) = memory_kb(pid);
    assert_memory_flat((rss_before, hwm_before), hwm_warm, hwm_after);

    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 42, "{done:?}");
    // Nothing was left to drain, and rinit had nothing to warn about.
    assert!(
        !done.stderr.contains("remaining processes"),
        "{}",
        done.stderr
    );
    assert_no_complaints(&done);
    // Re-parented to rinit: every orphan, plus the child each orphan numbered
    // 6 or 7 (mod 10) leaves behind, plus child and grandchild of those
    // numbered 8 (see `be_orphan` in examples/testkit.rs).
    let processes: usize = (0..total)
        .map(|i| match i % 10 {
            6 | 7 => 2,
            8 => 3,
            _ => 1,
        })
        .sum();
    println!(
        "orphan storm: {total} orphans (about {processes} processes re-parented to rinit) in \
         {elapsed:.2?}, {}; no zombie left; rinit CPU {cpu:.2?} ({:.1} us/process); \
         VmRSS {rss_before} -> {rss_after} kB, VmHWM {hwm_before} -> {hwm_warm} (a tenth in) -> \
         {hwm_after} kB; exit 42 as the child",
        &line["orphans gone ".len()..],
        cpu.as_secs_f64() * 1e6 / processes as f64,
    );
}
