//! Workloads for rinit's tests: small, deterministic programs that report
//! what they see on stdout, one line per event, so tests can wait on lines
//! instead of sleeping. `cargo test` builds this example.
//!
//! testkit sigecho            print "signal N" for every signal received, in order;
//!                            exit 0 when stdin closes ("ready" once listening)
//! testkit status             print SigBlk/SigIgn, open fds and cwd, then exit
//! testkit orphans N          leave N orphaned zombies for PID 1 (zombies already
//!                            when the main process exits), print "orphaned N"
//! testkit writer PATH MS     on SIGTERM write PATH slowly over MS ms, then exit 0
//! testkit daemon PATH        double-fork and setsid; the daemon writes PATH on
//!                            SIGTERM and exits; prints "daemon PID"
//! testkit ignore-term        ignore SIGTERM and sleep forever ("ready")
//! testkit exit CODE          exit with CODE
//! testkit kill-self SIG      die by signal SIG (no core file)
//! testkit fz-dump-core SIG   die by signal SIG with a core dump (see below)
//! testkit block-all          block all 64 signals, even the C library's own,
//!                            print "ready", exit when stdin closes
//! testkit exec-env ENTRY... -- PROGRAM ARGS...
//!                            exec PROGRAM with exactly these environment
//!                            entries (any bytes, with or without `=`, empty)
//! testkit environ            print "environ HEX": the environment it was
//!                            started with, as the kernel holds it (each entry
//!                            NUL-terminated)
//!
//! Workloads of the never-hang suite (tests/never_hang.rs):
//! testkit orphan-then-die SIG   leave an orphan that dies by SIG, wait until
//!                            it is gone, then die by SIG too
//! testkit zombie-leader      fork a process whose main thread exits while
//!                            another thread runs on (/proc shows it as a
//!                            zombie); print "zombie-leader PID" once it is,
//!                            ignore SIGUSR1, exit 3 when stdin closes
//! testkit leave-group        move into another process group (that of a
//!                            helper it forks), then behave as sigecho
//! testkit setuid-hold        for a setuid-root copy: become root for good
//!                            (real, effective and saved uid), print
//!                            "root-helper PID", and wait forever
//!
//! Workload of the stop suite (tests/stop.rs):
//! testkit stop-app ACTION    as sigecho, but each line reads "signal N at
//!                            MICROS" (CLOCK_MONOTONIC, in microseconds);
//!                            on SIGTERM, SIGINT or SIGQUIT: `stay` carries
//!                            on, `die` dies by that signal, `exit` exits
//!                            with 128+N; exit 0 when stdin closes
//!
//! Workloads of the job-control suite (tests/job_control.rs):
//! testkit job CODE           a terminal job: print "job PID PARENT ready",
//!                            "continued" on every SIGCONT, "got LINE" for
//!                            every line read; exit CODE at end of input
//! testkit terminal CMD...    a terminal emulator: run CMD as the leader of
//!                            a new session whose controlling terminal is
//!                            stdin; reap everything (as PID 1 or a
//!                            subreaper), printing "reaped PID exited N" or
//!                            "reaped PID killed by N"; once no process is
//!                            left, exit with CMD's code
//!
//! The benchmark's workloads, `testkit bench-*`, are in testkit/bench.rs.

use rinit_harness::monotonic_micros;
use std::io::{Read, Write};
use std::time::Duration;

#[path = "testkit/bench.rs"]
mod bench;

/// Leaves at once: no exit handlers, no buffers flushed (a forked or
/// cloned process shares them with its parent). nix has no `_exit`.
fn leave(code: i32) -> ! {
    // SAFETY: _exit takes a plain integer and touches no memory of ours.
    unsafe { libc::_exit(code) }
}

/// fork(2), which must succeed.
fn fork() -> nix::unistd::ForkResult {
    // SAFETY: every mode forks while it has a single thread, so the child
    // may do anything the parent could.
    unsafe { nix::unistd::fork() }.expect("fork")
}

/// Sets `signal` to be ignored. (nix's `signal` is as unsafe as libc's:
/// it cannot tell a handler from SIG_IGN.)
fn ignore(signal: nix::sys::signal::Signal) {
    use nix::sys::signal::SigHandler;
    // SAFETY: SIG_IGN runs no code of ours.
    unsafe { nix::sys::signal::signal(signal, SigHandler::SigIgn) }.expect("SIG_IGN");
}

/// kill(2) of this process with any signal number, real-time and the C
/// library's own 32 and 33 included, which nix's `Signal` cannot name.
fn kill_self(sig: i32) {
    // SAFETY: kill takes plain integers.
    unsafe { libc::kill(libc::getpid(), sig) };
}

/// rt_sigprocmask(2) with the kernel's own 64-bit mask: unlike the C
/// library's (and so nix's), it blocks or unblocks signals 32 and 33 too.
fn raw_sigprocmask(how: libc::c_int, mask: u64) {
    // SAFETY: the kernel reads 8 bytes from a live u64; no old mask wanted.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            how,
            &mask as *const u64,
            std::ptr::null_mut::<u64>(),
            8,
        )
    };
    assert_eq!(ret, 0, "rt_sigprocmask");
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn main() {
    // Before the arguments are read as UTF-8: this mode's are any bytes.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if raw.first().is_some_and(|mode| mode == "exec-env") {
        exec_env(&raw[1..]);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let number = |i: usize| -> usize {
        let n = args.get(i).and_then(|a| a.parse().ok());
        n.unwrap_or_else(|| panic!("{}: argument {i} must be a number", arg(0)))
    };
    match arg(0).as_str() {
        "sigecho" => sigecho(),
        "status" => status(),
        "orphans" => orphans(arg(1).parse().expect("count")),
        "writer" => writer(&arg(1), arg(2).parse().expect("milliseconds")),
        "daemon" => daemon(&arg(1)),
        "ignore-term" => ignore_term(),
        "exit" => std::process::exit(arg(1).parse().expect("code")),
        "kill-self" => die_by(arg(1).parse().expect("signal number")),
        "orphan-then-die" => orphan_then_die(arg(1).parse().expect("signal number")),
        "zombie-leader" => zombie_leader(),
        "leave-group" => leave_group(),
        "setuid-hold" => setuid_hold(),
        "job" => job(arg(1).parse().expect("code")),
        "terminal" => terminal(&args[1..]),
        "hk-orphan-storm" => orphan_storm(number(1), number(2)),
        "hk-group" => group_of_workers(number(1)),
        "fz-dump-core" => dump_core(arg(1).parse().expect("signal number")),
        mode if mode.starts_with("bench-") => bench::run(mode, &args[1..]),
        "block-all" => block_all(),
        "environ" => {
            let environ = std::fs::read("/proc/self/environ").expect("environ");
            let hex: String = environ.iter().map(|b| format!("{b:02x}")).collect();
            say(&format!("environ {hex}"));
        }
        "stop-app" => stop_app(&arg(1)),
        other => {
            eprintln!("testkit: unknown mode {other:?}");
            std::process::exit(64);
        }
    }
}

/// Waits for signals synchronously, so real-time signals come out in the
/// order the kernel queued them.
fn sigecho() {
    echo_signals(|n| say(&format!("signal {n}")));
}

/// Blocks every signal the C library lets us block (all but 32 and 33,
/// which glibc keeps for itself), prints "ready", and hands each signal to
/// `on_signal` as sigwaitinfo returns it; exits 0 ("stdin closed") when
/// stdin closes.
fn echo_signals(mut on_signal: impl FnMut(i32)) -> ! {
    let set = nix::sys::signal::SigSet::all();
    set.thread_block().expect("block");
    std::thread::spawn(|| {
        let mut sink = [0u8; 256];
        while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
        say("stdin closed");
        std::process::exit(0);
    });
    say("ready");
    loop {
        // nix's sigwait returns a `Signal`, which cannot be a real-time one.
        // SAFETY: a valid set; no siginfo wanted.
        let n = unsafe { libc::sigwaitinfo(set.as_ref(), std::ptr::null_mut()) };
        if n > 0 {
            on_signal(n);
        }
    }
}

fn status() {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    for line in status
        .lines()
        .filter(|l| l.starts_with("SigBlk") || l.starts_with("SigIgn"))
    {
        say(line);
    }
    let dir = std::fs::read_dir("/proc/self/fd").expect("fd dir");
    let mut fds: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort();
    // One of them is the directory being read: drop the descriptor that
    // points at /proc/self/fd itself.
    fds.retain(|fd| {
        std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .map(|p| !p.to_string_lossy().contains("/fd"))
            .unwrap_or(false)
    });
    say(&format!("fds {fds:?}"));
    say(&format!(
        "cwd {}",
        std::env::current_dir().unwrap().display()
    ));
    say(&format!(
        "pgrp-leader {}",
        nix::unistd::getpgrp() == nix::unistd::getpid()
    ));
    let foreground =
        nix::unistd::tcgetpgrp(std::io::stdin()).is_ok_and(|g| g == nix::unistd::getpgrp());
    say(&format!("tty-foreground {foreground}"));
}

fn orphans(count: usize) {
    use nix::unistd::ForkResult;
    match fork() {
        ForkResult::Child => {
            let mut orphans = Vec::with_capacity(count);
            for _ in 0..count {
                match fork() {
                    ForkResult::Child => leave(0),
                    ForkResult::Parent { child } => orphans.push(child),
                }
            }
            // Leave only once they are all zombies (WNOWAIT leaves them
            // unreaped), so that they are there to reap before the main
            // process can end: an init that exits with its main child
            // still collects all of them.
            for pid in orphans {
                let flags =
                    nix::sys::wait::WaitPidFlag::WEXITED | nix::sys::wait::WaitPidFlag::WNOWAIT;
                let _ = nix::sys::wait::waitid(nix::sys::wait::Id::Pid(pid), flags);
            }
            leave(0)
        }
        ForkResult::Parent { child } => {
            let status = nix::sys::wait::waitpid(child, None).expect("wait");
            assert!(
                matches!(status, nix::sys::wait::WaitStatus::Exited(_, 0)),
                "{status:?}"
            );
            say(&format!("orphaned {count}"));
        }
    }
}

fn wait_for_term() {
    let mut set = nix::sys::signal::SigSet::empty();
    set.add(nix::sys::signal::Signal::SIGTERM);
    set.thread_block().expect("block");
    say("ready");
    set.wait().expect("sigwait");
}

fn writer(path: &str, millis: u64) {
    wait_for_term();
    let mut file = std::fs::File::create(path).expect("create");
    let chunks = 10;
    for i in 0..chunks {
        std::thread::sleep(Duration::from_millis(millis / chunks));
        writeln!(file, "chunk {i}").expect("write");
    }
    writeln!(file, "complete").expect("write");
    file.sync_all().expect("sync");
    std::process::exit(0);
}

fn daemon(path: &str) {
    use nix::unistd::{ForkResult, setsid};
    // The daemon reports readiness through this pipe, so the caller returns
    // only once the daemon is really listening for SIGTERM.
    let (ready_read, ready_write) = nix::unistd::pipe().expect("pipe");
    match fork() {
        ForkResult::Parent { child } => {
            drop(ready_write);
            nix::sys::wait::waitpid(child, None).expect("wait");
            let mut byte = [0u8; 1];
            let _ = nix::unistd::read(&ready_read, &mut byte);
            return;
        }
        ForkResult::Child => drop(ready_read),
    }
    setsid().expect("setsid");
    if let ForkResult::Parent { .. } = fork() {
        leave(0)
    }
    let mut set = nix::sys::signal::SigSet::empty();
    set.add(nix::sys::signal::Signal::SIGTERM);
    set.thread_block().expect("block");
    say(&format!("daemon {}", std::process::id()));
    nix::unistd::write(&ready_write, b"r").expect("report readiness");
    drop(ready_write);
    set.wait().expect("sigwait");
    std::fs::write(path, "daemon got SIGTERM\n").expect("write");
    std::process::exit(0);
}

fn ignore_term() {
    ignore(nix::sys::signal::Signal::SIGTERM);
    say("ready");
    loop {
        nix::unistd::pause();
    }
}

// ---- Workloads of the stress and fault suite (tests/stress.rs, tests/faults.rs).
//
// testkit hk-orphan-storm TOTAL SPAWNERS
//     print "ready", wait for a line on stdin, then SPAWNERS processes create
//     TOTAL orphans for PID 1 (some exit at once, some leave children of
//     their own behind, some linger while others are created); print
//     "a tenth created" about a tenth of the way through, and
//     "orphans gone TOTAL retries R" once every one of them has exited, then
//     exit 42 when stdin closes
// testkit hk-group N  fork N workers into the own process group, print
//     "workers N", and wait forever

/// fork(), retrying while the system is momentarily out of processes.
/// Returns the pid (0 in the child) and adds the retries to `retries`.
fn fork_retrying(retries: &mut u64) -> libc::pid_t {
    use nix::unistd::ForkResult;
    loop {
        // SAFETY: the callers are single-threaded; children only make
        // system calls and leave.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Child) => return 0,
            Ok(ForkResult::Parent { child }) => return child.as_raw(),
            Err(nix::errno::Errno::EAGAIN) if *retries <= 1_000_000 => {}
            Err(_) => leave(70),
        }
        *retries += 1;
        let _ = nix::sched::sched_yield();
    }
}

fn orphan_storm(total: usize, spawners: usize) {
    use nix::sys::wait::{WaitStatus, waitpid};
    use nix::unistd::{Pid, pipe};
    // Lingering orphans read `hold` until the main process closes its end;
    // every orphan holds `done` open until it exits.
    let (hold_r, hold_w) = pipe().expect("pipe");
    let (done_r, done_w) = pipe().expect("pipe");
    say("ready");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    let mut retries = 0u64;
    let mut spawner_pids = Vec::new();
    for s in 0..spawners {
        let pid = fork_retrying(&mut retries);
        if pid == 0 {
            drop((hold_w, done_r));
            let mut mine = 0u64;
            let tenth = total / spawners / 10;
            for (n, i) in (s..total).step_by(spawners).enumerate() {
                if s == 0 && n == tenth {
                    say("a tenth created");
                }
                if fork_retrying(&mut mine) == 0 {
                    if fork_retrying(&mut mine) == 0 {
                        be_orphan(i, &hold_r, &mut mine);
                    }
                    // The orphan's parent leaves at once.
                    leave(0)
                }
                let _ = nix::sys::wait::wait();
            }
            // Report this spawner's fork retries in the exit code (capped).
            leave(mine.min(60) as i32)
        }
        spawner_pids.push(pid);
    }
    // The main process keeps only the read end of `done`.
    drop(done_w);
    for pid in spawner_pids {
        let code = match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, code)) => code,
            other => panic!("spawner {pid}: {other:?}"),
        };
        assert_ne!(code, 70, "a spawner could not fork");
        retries += code as u64;
    }
    // Release the lingering orphans, then wait until every orphan is gone.
    drop(hold_w);
    let mut sink = [0u8; 16];
    while nix::unistd::read(&done_r, &mut sink).is_ok_and(|n| n > 0) {}
    say(&format!("orphans gone {total} retries {retries}"));
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    std::process::exit(42);
}

/// One orphan: what it does depends on its number.
fn be_orphan(i: usize, hold_r: &std::os::fd::OwnedFd, retries: &mut u64) -> ! {
    // Orphans numbered 6 and 7 (mod 10) leave a child behind, which becomes
    // PID 1's in turn; those numbered 8 leave a child that leaves a child.
    let generations = match i % 10 {
        6 | 7 => 1,
        8 => 2,
        _ => 0,
    };
    for _ in 0..generations {
        if fork_retrying(retries) != 0 {
            break;
        }
    }
    // One in a hundred lingers until the storm is over.
    if i % 100 == 9 {
        let mut byte = [0u8; 1];
        while nix::unistd::read(hold_r, &mut byte).is_ok_and(|n| n > 0) {}
    }
    leave(0)
}

fn group_of_workers(count: usize) {
    let mut retries = 0;
    for _ in 0..count {
        if fork_retrying(&mut retries) == 0 {
            loop {
                nix::unistd::pause();
            }
        }
    }
    say(&format!("workers {count}"));
    loop {
        nix::unistd::pause();
    }
}

/// Blocks every signal with the raw system call (the C library refuses to
/// block its own, 32 and 33), so that signals sent to this process stay
/// pending where /proc/PID/status shows them.
fn block_all() {
    raw_sigprocmask(libc::SIG_BLOCK, !0);
    say("ready");
    let mut sink = [0u8; 64];
    while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
}

// ---- Workloads of the never-hang suite (tests/never_hang.rs).

/// Dies by `sig`, whatever it is (real-time signals and the C library's own
/// 32 and 33 included), without leaving a core file behind.
fn die_by(sig: i32) -> ! {
    use nix::sys::resource::{Resource, setrlimit};
    setrlimit(Resource::RLIMIT_CORE, 0, 0).expect("RLIMIT_CORE");
    // The kernel's own struct sigaction, all zero: SIG_DFL, no flags, an
    // empty mask (the C library's, and so nix's, refuses signals 32 and 33).
    let default_action = [0u64; 4];
    // SAFETY: the kernel reads a live buffer of the size it is given.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            default_action.as_ptr(),
            std::ptr::null_mut::<u64>(),
            8,
        )
    };
    raw_sigprocmask(libc::SIG_UNBLOCK, !0);
    kill_self(sig);
    // Signals whose default action is not to kill end up here.
    std::thread::sleep(Duration::from_secs(60));
    std::process::exit(99);
}

fn orphan_then_die(sig: i32) {
    use nix::unistd::ForkResult;
    // The orphan holds the write end of `gone` until it dies; the middle
    // process holds `orphaned` until it exits, which makes the orphan one.
    let (gone_read, gone_write) = nix::unistd::pipe().expect("pipe");
    let (orphaned_read, orphaned_write) = nix::unistd::pipe().expect("pipe");
    match fork() {
        ForkResult::Child => {
            drop(gone_read);
            if let ForkResult::Child = fork() {
                drop(orphaned_write);
                let mut byte = [0u8; 1];
                let _ = nix::unistd::read(&orphaned_read, &mut byte);
                die_by(sig);
            }
            leave(0)
        }
        ForkResult::Parent { child } => {
            drop((gone_write, orphaned_read, orphaned_write));
            nix::sys::wait::waitpid(child, None).expect("wait");
            let mut byte = [0u8; 1];
            let _ = nix::unistd::read(&gone_read, &mut byte);
            die_by(sig);
        }
    }
}

fn zombie_leader() {
    use nix::unistd::ForkResult;
    if let ForkResult::Child = fork() {
        std::thread::spawn(|| {
            // Wait until the kernel shows this process as a zombie: the main
            // thread has exited while this one runs.
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while !std::fs::read_to_string("/proc/self/stat")
                .is_ok_and(|stat| stat.rsplit(')').next().unwrap_or("").starts_with(" Z"))
            {
                assert!(std::time::Instant::now() < deadline, "never a zombie");
                std::thread::sleep(Duration::from_millis(1));
            }
            say(&format!("zombie-leader {}", std::process::id()));
            loop {
                nix::unistd::pause();
            }
        });
        // SAFETY: ends the main thread alone (SYS_exit, not exit_group),
        // without unwinding; the other thread keeps the process alive.
        unsafe { libc::syscall(libc::SYS_exit, 0) };
    }
    ignore(nix::sys::signal::Signal::SIGUSR1);
    let mut sink = [0u8; 64];
    while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
    std::process::exit(3);
}

fn leave_group() {
    use nix::unistd::{ForkResult, Pid, setpgid};
    let helper = match fork() {
        ForkResult::Child => {
            let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
            let mut sink = [0u8; 64];
            while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
            std::process::exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    // Both sides set the helper's group, so it exists whoever runs first.
    let _ = setpgid(helper, helper);
    setpgid(Pid::from_raw(0), helper).expect("join the helper's group");
    sigecho();
}

fn setuid_hold() {
    let root = nix::unistd::Uid::from_raw(0);
    nix::unistd::setresuid(root, root, root).expect("setresuid: is this copy setuid root?");
    say(&format!("root-helper {}", std::process::id()));
    // Let go of the caller's pipes: this process may outlive everything.
    let null = std::fs::File::open("/dev/null").expect("/dev/null");
    let _ = nix::unistd::dup2_stdin(&null);
    let _ = nix::unistd::dup2_stdout(&null);
    let _ = nix::unistd::dup2_stderr(&null);
    loop {
        nix::unistd::pause();
    }
}

/// Execs with a raw environment: Rust's `Command` (and Python's `os.execve`)
/// refuse entries without `=`, which a C program may well pass on.
fn exec_env(args: &[std::ffi::OsString]) -> ! {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let split = args.iter().position(|a| a == "--").expect("--");
    let cstrings = |list: &[std::ffi::OsString]| -> Vec<CString> {
        list.iter()
            .map(|a| CString::new(a.as_bytes()).expect("no NUL"))
            .collect()
    };
    let env = cstrings(&args[..split]);
    let argv = cstrings(&args[split + 1..]);
    // nix passes each entry as it is, with or without `=`.
    let Err(e) = nix::unistd::execve(&argv[0], &argv, &env);
    eprintln!("testkit: exec-env: {e}");
    std::process::exit(127);
}

// ---- Workload of the stop suite (tests/stop.rs).

/// An app that records when each signal arrives, and stops (or not) on the
/// signals apps stop on.
fn stop_app(action: &str) {
    if !["stay", "die", "exit"].contains(&action) {
        eprintln!("testkit: stop-app takes stay, die or exit, not {action:?}");
        std::process::exit(64);
    }
    echo_signals(|n| {
        say(&format!("signal {n} at {}", monotonic_micros()));
        if [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT].contains(&n) {
            match action {
                "die" => die_by(n),
                "exit" => std::process::exit(128 + n),
                _ => {}
            }
        }
    });
}

fn job(code: i32) {
    extern "C" fn continued(_: libc::c_int) {
        const LINE: &[u8] = b"continued\n";
        // SAFETY: write(2) is async-signal-safe; the buffer is static.
        unsafe { libc::write(1, LINE.as_ptr().cast(), LINE.len()) };
    }
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    // SA_RESTART: the read in progress goes on after the handler.
    let action = SigAction::new(
        SigHandler::Handler(continued),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only calls write(2), which is async-signal-safe.
    unsafe { sigaction(Signal::SIGCONT, &action) }.expect("sigaction");
    say(&format!(
        "job {} {} ready",
        std::process::id(),
        std::os::unix::process::parent_id()
    ));
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        say(&format!("got {line}"));
    }
    std::process::exit(code);
}

fn terminal(command: &[String]) {
    use std::os::unix::process::CommandExt;
    if std::process::id() != 1 {
        nix::sys::prctl::set_child_subreaper(true).expect("subreaper");
    }
    let mut cmd = std::process::Command::new(&command[0]);
    cmd.args(&command[1..]);
    // SAFETY: setsid and ioctl are async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let leader = cmd.spawn().expect("start the session leader").id() as i32;
    let mut code = None;
    use nix::sys::wait::WaitStatus;
    // Until ECHILD: nothing left.
    while let Ok(status) = nix::sys::wait::waitpid(None, None) {
        let (pid, how, exit) = match status {
            WaitStatus::Exited(pid, n) => (pid, format!("exited {n}"), n),
            WaitStatus::Signaled(pid, sig, _) => {
                (pid, format!("killed by {}", sig as i32), 128 + sig as i32)
            }
            _ => continue,
        };
        say(&format!("reaped {pid} {how}"));
        if pid.as_raw() == leader {
            code = Some(exit);
        }
    }
    std::process::exit(code.expect("the session leader was reaped"));
}

// ---- Workloads of the forensics suite (tests/forensics.rs).
//
// testkit fz-dump-core SIG   allow core dumps (RLIMIT_CORE 64 MiB, dumpable),
//                            then die by SIG, leaving a core file in the
//                            working directory (core_pattern permitting)

fn dump_core(sig: i32) -> ! {
    use nix::sys::resource::{Resource, setrlimit};
    use nix::sys::signal::{SigHandler, SigSet, Signal, signal};
    let sig = Signal::try_from(sig).expect("a fault signal");
    setrlimit(Resource::RLIMIT_CORE, 64 << 20, 64 << 20).expect("RLIMIT_CORE");
    nix::sys::prctl::set_dumpable(true).expect("PR_SET_DUMPABLE");
    // SAFETY: SIG_DFL runs no code of ours.
    unsafe { signal(sig, SigHandler::SigDfl) }.expect("SIG_DFL");
    let mut set = SigSet::empty();
    set.add(sig);
    set.thread_unblock().expect("unblock");
    nix::sys::signal::raise(sig).expect("raise");
    std::thread::sleep(Duration::from_secs(60));
    std::process::exit(99);
}
