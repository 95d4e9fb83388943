//! Workloads for rinit's tests: small, deterministic programs that report
//! what they see on stdout, one line per event, so tests can wait on lines
//! instead of sleeping. `cargo test` builds this example.
//!
//! testkit sigecho            print "signal N" for every signal received, in order;
//!                            exit 0 when stdin closes ("ready" once listening)
//! testkit status             print SigBlk/SigIgn, open fds and cwd, then exit
//! testkit orphans N          leave N orphaned zombies for PID 1, print "orphaned N"
//! testkit writer PATH MS     on SIGTERM write PATH slowly over MS ms, then exit 0
//! testkit daemon PATH        double-fork and setsid; the daemon writes PATH on
//!                            SIGTERM and exits; prints "daemon PID"
//! testkit ignore-term        ignore SIGTERM and sleep forever ("ready")
//! testkit exit CODE          exit with CODE
//! testkit kill-self SIG      die by signal SIG

use std::io::{Read, Write};
use std::time::Duration;

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(0).as_str() {
        "sigecho" => sigecho(),
        "status" => status(),
        "orphans" => orphans(arg(1).parse().expect("count")),
        "writer" => writer(&arg(1), arg(2).parse().expect("milliseconds")),
        "daemon" => daemon(&arg(1)),
        "ignore-term" => ignore_term(),
        "exit" => std::process::exit(arg(1).parse().expect("code")),
        "kill-self" => {
            let sig: i32 = arg(1).parse().expect("signal number");
            // SAFETY: plain syscalls on our own process.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
                libc::kill(libc::getpid(), sig);
            }
            std::thread::sleep(Duration::from_secs(60));
            std::process::exit(99);
        }
        other => {
            eprintln!("testkit: unknown mode {other:?}");
            std::process::exit(64);
        }
    }
}

/// Waits for signals synchronously, so real-time signals come out in the
/// order the kernel queued them.
fn sigecho() {
    // Every signal the C library lets us block (all but 32 and 33, which
    // glibc keeps for itself) goes to sigwaitinfo.
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigfillset initialises the set; pthread_sigmask reads it.
    let set = unsafe {
        libc::sigfillset(set.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut());
        set.assume_init()
    };
    std::thread::spawn(|| {
        let mut sink = [0u8; 256];
        while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
        say("stdin closed");
        std::process::exit(0);
    });
    say("ready");
    loop {
        let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::uninit();
        // SAFETY: valid set and out-pointer.
        let n = unsafe { libc::sigwaitinfo(&set, info.as_mut_ptr()) };
        if n > 0 {
            say(&format!("signal {n}"));
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
    use nix::unistd::{ForkResult, fork};
    // SAFETY: single-threaded; the children only fork and _exit.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            for _ in 0..count {
                // SAFETY: as above.
                match unsafe { fork() } {
                    Ok(ForkResult::Child) => unsafe { libc::_exit(0) },
                    Ok(ForkResult::Parent { .. }) => {}
                    Err(e) => {
                        eprintln!("testkit: fork: {e}");
                        unsafe { libc::_exit(1) }
                    }
                }
            }
            // SAFETY: leave without running the parent's exit handlers.
            unsafe { libc::_exit(0) }
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
    use nix::unistd::{ForkResult, fork, setsid};
    // The daemon reports readiness through this pipe, so the caller returns
    // only once the daemon is really listening for SIGTERM.
    let (ready_read, ready_write) = nix::unistd::pipe().expect("pipe");
    // SAFETY: single-threaded until exit.
    match unsafe { fork() }.expect("fork") {
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
    // SAFETY: as above.
    if let ForkResult::Parent { .. } = unsafe { fork() }.expect("fork") {
        unsafe { libc::_exit(0) }
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
    // SAFETY: setting a disposition; no handler code runs.
    unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    say("ready");
    loop {
        nix::unistd::pause();
    }
}
