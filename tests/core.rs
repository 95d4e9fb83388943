//! The core contract (issue 2), through the built binary as PID 1.

mod common;
use common::*;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Standard and real-time signals a child can receive through rinit: all but
/// SIGKILL/SIGSTOP (uncatchable), SIGCHLD (rinit's own), and 32/33, which
/// glibc keeps for itself so the testkit workload cannot wait for them.
fn forwardable() -> Vec<i32> {
    (1..=64)
        .filter(|&n| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD, 32, 33].contains(&n))
        .collect()
}

#[test]
fn runs_as_pid1_and_the_child_is_pid_2() {
    let done = run(rinit_pid1(&["--", "sh", "-c", "echo pid $$; exit 3"]));
    assert_eq!(done.code, 3, "{done:?}");
    assert_eq!(done.stdout, vec!["pid 2"]);
    assert_eq!(done.stderr, "", "rinit is quiet by default");
}

#[test]
fn every_exit_code_is_mirrored() {
    let tk = testkit();
    for code in 0..=255 {
        let done = run(rinit_pid1(&["--", &tk, "exit", &code.to_string()]));
        assert_eq!(done.code, code, "{done:?}");
    }
}

#[test]
fn death_by_signal_becomes_128_plus_n() {
    let tk = testkit();
    for signal in [
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGKILL,
        libc::SIGINT,
        libc::SIGUSR1,
    ] {
        let done = run(rinit_pid1(&["--", &tk, "kill-self", &signal.to_string()]));
        assert_eq!(done.code, 128 + signal, "signal {signal}: {done:?}");
    }
}

/// Sends each signal to rinit from outside and waits for the child to report
/// it before sending the next (standard signals would coalesce otherwise).
fn assert_every_signal_arrives(mode: &[&str]) {
    let tk = testkit();
    let mut args = mode.to_vec();
    args.extend(["--", &tk, "sigecho"]);
    let mut running = Running::start(rinit_pid1(&args));
    running.expect("ready");
    for signal in forwardable() {
        running.signal(signal);
        running.expect(&format!("signal {signal}"));
    }
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 0, "{done:?}");
}

#[test]
fn every_forwardable_signal_reaches_the_child_in_group_mode() {
    assert_every_signal_arrives(&[]);
}

#[test]
fn every_forwardable_signal_reaches_the_child_in_single_child_mode() {
    assert_every_signal_arrives(&["-c"]);
}

/// A pipeline is a tree of processes in the shell's process group. The
/// drain here only sends SIGCONT and waits long: if the pipeline did not die
/// from the forwarded SIGTERM, nothing else would end it in time.
fn pipeline(mode: &[&str]) -> Running {
    let mut args = vec!["-v", "--drain-signal", "CONT", "--grace", "50s"];
    args.extend(mode);
    args.extend([
        "--",
        "sh",
        "-c",
        "sleep 1000 | sleep 1000 & echo started; wait",
    ]);
    let mut running = Running::start(rinit_pid1(&args));
    running.expect("started");
    running.signal(libc::SIGTERM);
    running
}

#[test]
fn one_sigterm_ends_a_whole_pipeline_in_group_mode() {
    let start = std::time::Instant::now();
    let done = pipeline(&[]).finish();
    assert_eq!(done.code, 143, "{done:?}");
    // Well within the 50 s grace: the SIGTERM ended the pipeline, not a
    // SIGKILL at the grace's end.
    let took = start.elapsed();
    assert!(
        took < std::time::Duration::from_secs(30),
        "{took:?}: {done:?}"
    );
}

#[test]
fn in_single_child_mode_the_pipeline_survives_the_forwarded_sigterm() {
    let running = pipeline(&["-c"]);
    let rinit = running.rinit_pid();
    let names = || {
        let (live, _) = descendants(rinit);
        let comm = |pid| std::fs::read_to_string(format!("/proc/{pid}/comm"));
        let names: Vec<String> = live
            .iter()
            .map(|&pid| comm(pid).unwrap_or_default())
            .collect();
        (live, names)
    };
    // The shell dies of the SIGTERM; the pipeline, which did not get it,
    // runs on.
    wait_until("the shell to die, leaving the pipeline", || {
        !names().1.iter().any(|n| n == "sh\n")
    });
    let (live, names) = names();
    assert_eq!(
        names,
        ["sleep\n", "sleep\n"],
        "the pipeline should still run"
    );
    for pid in live {
        // SAFETY: kill takes plain integers.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let done = running.finish();
    assert_eq!(done.code, 143, "{done:?}");
}

/// Leaves 1,000 orphans (zombies already when `orphaned 1000` is printed)
/// and waits until no zombie is left below rinit, with sh and cat still
/// running: rinit reaped them all while its child lives on.
fn assert_orphans_are_reaped(mut running: Running, rinit_pid: impl Fn(&Running) -> i32) {
    running.expect("orphaned 1000");
    let rinit = rinit_pid(&running);
    wait_until("rinit to reap the 1,000 orphans", || {
        descendants(rinit).1.is_empty()
    });
    let (live, _) = descendants(rinit);
    assert_eq!(live.len(), 2, "only sh and cat should be left: {live:?}");
    running.close_stdin();
    assert_eq!(running.finish().code, 0);
}

#[test]
fn a_thousand_orphans_are_reaped_as_pid1() {
    let script = format!("{} orphans 1000; cat", testkit());
    let running = Running::start(rinit_pid1(&["-vv", "--", "sh", "-c", &script]));
    assert_orphans_are_reaped(running, Running::rinit_pid);
}

#[test]
fn a_thousand_orphans_are_reaped_as_a_subreaper() {
    let script = format!("{} orphans 1000; cat", testkit());
    let mut cmd = hermetic(rinit());
    cmd.args(["-vv", "--", "sh", "-c", &script]);
    let running = Running::start(cmd);
    assert_orphans_are_reaped(running, Running::outer_pid);
}

/// Runs `testkit status` under `wrapper`, with an unusual signal mask,
/// ignored signals and an extra open descriptor, from a given directory.
fn status_under(wrapper: Command) -> Vec<String> {
    let mut cmd = wrapper;
    cmd.current_dir("/usr/share");
    start_with_signals(
        &mut cmd,
        &[libc::SIGUSR1, libc::SIGWINCH, 40],
        &[libc::SIGUSR2, libc::SIGPIPE, libc::SIGHUP],
    );
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            libc::dup2(fd, 7);
            libc::close(fd);
            Ok(())
        });
    }
    let done = run(cmd);
    assert_eq!(done.code, 0, "{done:?}");
    done.stdout
}

#[test]
fn the_child_inherits_mask_ignores_fds_and_cwd_as_without_rinit() {
    let tk = testkit();
    let without = status_under(as_pid1(&tk, &["status"]));
    let with = status_under(rinit_pid1(&["--", &tk, "status"]));
    assert_eq!(with[..4], without[..4], "mask, ignores, fds and cwd");
    // The baseline really carries what was set up, so the comparison means something.
    let bits = |signals: &[i32]| signals.iter().fold(0u64, |set, n| set | 1 << (n - 1));
    let blocked = format!(
        "SigBlk:\t{:016x}",
        bits(&[libc::SIGUSR1, libc::SIGWINCH, 40])
    );
    assert_eq!(with[0], blocked);
    let ignored = u64::from_str_radix(with[1].trim_start_matches("SigIgn:\t"), 16).unwrap();
    let expected = bits(&[libc::SIGUSR2, libc::SIGPIPE, libc::SIGHUP]);
    assert_eq!(ignored & expected, expected, "{with:?}");
    assert!(with[2].starts_with("fds [0, 1, 2, 7"), "{with:?}");
    assert_eq!(with[3], "cwd /usr/share");
    // Unlike a bare PID 1 under unshare, rinit's child leads its own group.
    assert_eq!(with[4], "pgrp-leader true");
}

#[test]
fn the_same_holds_when_rinit_is_not_pid1() {
    let tk = testkit();
    let mut direct = Command::new(&tk);
    direct.arg("status");
    let mut wrapped = hermetic(rinit());
    wrapped.args(["--", &tk, "status"]);
    let without = status_under(direct);
    let with = status_under(wrapped);
    assert_eq!(with[..2], without[..2], "signal mask and ignores");
    assert_eq!(with[2..4], without[2..4], "fds and cwd");
}

#[test]
fn rinit_leaves_the_working_directory_to_the_child() {
    let tk = testkit();
    let mut cmd = rinit_pid1(&["-vv", "--", &tk, "sigecho"]);
    cmd.current_dir("/usr/share");
    let mut running = Running::start(cmd);
    running.expect("ready");
    // rinit moves after the child has started.
    let rinit = running.rinit_pid();
    let cwd = |pid: i32| std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
    wait_until("rinit to move to /", || {
        cwd(rinit).is_some_and(|dir| dir == std::path::Path::new("/"))
    });
    running.close_stdin();
    assert_eq!(running.finish().code, 0);
}

#[test]
fn stdin_is_handed_to_the_child() {
    let mut running = Running::start(rinit_pid1(&["sh"]));
    running.write_stdin("echo from-stdin; exit 7\n");
    running.close_stdin();
    let done = running.finish();
    assert_eq!(done.code, 7, "{done:?}");
    assert_eq!(done.stdout, vec!["from-stdin"]);
}

#[test]
fn rinit_own_errors_have_documented_codes_and_one_line_messages() {
    let dir = std::env::temp_dir().join(format!("rinit-core-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_executable = dir.join("plain-file");
    std::fs::write(&not_executable, "data").unwrap();
    let not_executable = not_executable.to_string_lossy().into_owned();
    for (args, code, message) in [
        (
            vec!["--", "no-such-command-anywhere"],
            127,
            "cannot run 'no-such-command-anywhere': command not found in PATH",
        ),
        (
            vec!["--", "/no/such/path"],
            127,
            "No such file or directory",
        ),
        (vec!["--", &not_executable], 126, "Permission denied"),
        (vec!["--", "/usr"], 126, "is a directory"),
        (vec![], 2, "no command given"),
        (vec!["--"], 2, "no command given"),
        (vec!["--bogus", "x"], 2, "unknown option '--bogus'"),
    ] {
        let done = run(rinit_pid1(&args));
        assert_eq!(done.code, code, "{args:?}: {done:?}");
        let first = done.stderr.lines().next().unwrap_or_default();
        assert!(first.contains(message), "{args:?}: {:?}", done.stderr);
        assert!(first.starts_with("rinit: "), "{:?}", done.stderr);
        assert_eq!(
            done.stderr.lines().count(),
            1,
            "one line: {:?}",
            done.stderr
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_utf8_arguments_reach_the_child_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    let odd = std::ffi::OsStr::from_bytes(b"a\xff\xfeb");
    let mut cmd = rinit_pid1(&["--", "sh", "-c", "printf %s \"$1\" | od -An -tx1", "sh"]);
    cmd.arg(odd);
    let done = run(cmd);
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(
        done.stdout.join(" ").split_whitespace().collect::<Vec<_>>(),
        ["61", "ff", "fe", "62"]
    );
}

#[test]
fn help_and_version() {
    let help = run(rinit_pid1(&["--help"]));
    assert_eq!(help.code, 0);
    assert!(
        help.stdout.iter().any(|l| l.contains("--forward-to")),
        "{help:?}"
    );
    let version = run(rinit_pid1(&["-V"]));
    assert_eq!(version.code, 0);
    // The format dockerd parses for `docker info`: the commit after
    // ` - git.`, when the build knew one (build.rs).
    let expected = match env!("RINIT_COMMIT") {
        "" => format!("rinit version {}", env!("CARGO_PKG_VERSION")),
        commit => format!("rinit version {} - git.{commit}", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(version.stdout, vec![expected]);
}

#[test]
fn logs_go_to_stderr_never_stdout() {
    let done = run(rinit_pid1(&["-vvv", "--", "sh", "-c", "echo app-output"]));
    assert_eq!(done.stdout, vec!["app-output"]);
    // Every log line is on stderr, under rinit's documented prefix.
    let at = |done: &Finished, level: &str| {
        let prefix = format!("rinit: {level}: ");
        done.stderr
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .count()
    };
    assert!(at(&done, "debug") > 0, "{}", done.stderr);
    let filtered = {
        let mut cmd = rinit_pid1(&["--", "true"]);
        cmd.env("RINIT_LOG", "info");
        run(cmd)
    };
    assert!(at(&filtered, "info") > 0, "{filtered:?}");
    assert_eq!(at(&filtered, "debug"), 0, "{filtered:?}");
}

/// Input reaches the app, and Ctrl-C (SIGINT from the terminal to the
/// foreground group, which rinit gave to the app) ends it with 130.
#[test]
fn under_a_terminal_input_round_trips_and_ctrl_c_ends_the_app_with_130() {
    let mut terminal = Terminal::start(&["--", "cat"]);
    terminal.type_in("hello rinit\n");
    // The terminal echoes the line, then cat writes it back.
    terminal.wait_for("hello rinit\r\nhello rinit\r\n");
    terminal.type_in("\x03");
    assert_eq!(terminal.exit_code(), Some(130));
}

/// Ctrl-Z in an interactive shell under rinit stops the shell's foreground
/// job and gives the prompt back, as in any terminal: rinit neither stops
/// nor swallows the job-control signals.
#[test]
fn ctrl_z_in_an_interactive_shell_behaves_as_in_a_normal_terminal() {
    let mut terminal = Terminal::bash();
    // The quotes keep typed (echoed) text from matching what is printed.
    // The job prints once it runs, and by then it owns the terminal.
    terminal.type_in("sh -c 'echo job-''running; exec sleep 1000'\n");
    terminal.wait_for("job-running");
    terminal.type_in("\x1a");
    terminal.wait_for("Stopped");
    terminal.wait_for("prompt> ");
    // bash refuses the first `exit` while it still counts a stopped job; a
    // second one in a row always exits.
    terminal.type_in("kill -9 %1; wait; echo job-''gone; exit 5; exit 5\n");
    terminal.wait_for("job-gone");
    assert_eq!(terminal.exit_code(), Some(5));
}

/// rinit hands the terminal to its child only when rinit's own group held
/// it: a job started in the background does not steal it from the shell.
#[test]
fn the_child_gets_the_terminal_only_if_rinit_had_it() {
    let mut terminal = Terminal::bash();
    let status = format!("{} -- {} status", rinit().display(), testkit());
    terminal.type_in(&format!("{status}; echo fore''ground-done\n"));
    let foreground = terminal.wait_for("foreground-done");
    assert!(foreground.contains("tty-foreground true"), "{foreground:?}");
    terminal.type_in(&format!("{status} & wait; echo back''ground-done\n"));
    let background = terminal.wait_for("background-done");
    assert!(
        background.contains("tty-foreground false"),
        "{background:?}"
    );
    terminal.type_in("exit 0\n");
    assert_eq!(terminal.exit_code(), Some(0));
}

/// Signals 32 and 33, which the C library keeps for itself and the sigecho
/// workload therefore cannot wait for, are forwarded too: the child blocks
/// them and the kernel shows them pending in its /proc status.
#[test]
fn the_c_librarys_reserved_signals_are_forwarded_too() {
    // Also once rinit runs threads of its own (the log writer at -vv, the
    // --ready-when watch): glibc's thread creation unblocks 32 and 33 in
    // the thread that creates one, which would take them from the loop.
    let scratch = Scratch::new("reserved-signals");
    let notify = scratch.file("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&notify).unwrap();
    socket.set_read_timeout(Some(SAFETY_NET)).unwrap();
    // After each: the threads that option starts exist (the log writer
    // logs at -vv at once) or have done their work (READY=1 was sent).
    let threads_ready = |options: &[&str], rinit: i32| match options {
        ["-vv"] => wait_until("the log writer", || {
            std::fs::read_dir(format!("/proc/{rinit}/task")).is_ok_and(|t| t.count() >= 2)
        }),
        ["--ready-when", ..] => {
            let mut buf = [0u8; 64];
            let n = socket.recv(&mut buf).expect("READY=1");
            assert_eq!(&buf[..n], b"READY=1");
        }
        _ => {}
    };
    for options in [&[][..], &["-vv"], &["--ready-when", "file:/"]] {
        forward_reserved_signals(options, &notify, &threads_ready);
    }
}

fn forward_reserved_signals(options: &[&str], notify: &str, threads_ready: &dyn Fn(&[&str], i32)) {
    let tk = testkit();
    let mut args = options.to_vec();
    args.extend(["--", &tk, "block-all"]);
    let mut cmd = rinit_pid1(&args);
    cmd.env("NOTIFY_SOCKET", notify);
    let mut running = Running::start(cmd);
    running.expect("ready");
    let rinit = running.rinit_pid();
    let child = children(rinit)[0];
    threads_ready(options, rinit);
    // While glibc creates a thread, the new thread has 32 and 33 unblocked
    // until its first instruction blocks them again: a signal sent in that
    // instant is glibc's (a limit of glibc builds; the release is musl).
    // Wait until every thread of rinit's blocks them.
    let reserved = (1u64 << 31) | (1 << 32);
    wait_until("every thread of rinit's to block 32 and 33", || {
        let tasks = std::fs::read_dir(format!("/proc/{rinit}/task"));
        tasks.is_ok_and(|tasks| {
            tasks.flatten().all(|task| {
                let status =
                    std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("SigBlk:"))
                    .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
                    .is_some_and(|mask| mask & reserved == reserved)
            })
        })
    });
    running.signal(32);
    running.signal(33);
    let wanted = (1u64 << 31) | (1 << 32);
    let deadline = std::time::Instant::now() + SAFETY_NET;
    loop {
        // The pending set is kernel state with no event to wait on: read it
        // until both bits show (the deadline is only a safety net).
        let status = std::fs::read_to_string(format!("/proc/{child}/status")).unwrap();
        let pending = status
            .lines()
            .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
            .map(|l| u64::from_str_radix(l.split_whitespace().nth(1).unwrap(), 16).unwrap())
            .fold(0, |set, bits| set | bits);
        if pending & wanted == wanted {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{options:?}: pending {pending:#x}"
        );
        std::thread::yield_now();
    }
    running.close_stdin();
    assert_eq!(running.finish().code, 0, "{options:?}");
}

/// Ctrl-C typed at an interactive shell ends a program run under rinit as
/// it ends one run without it: the terminal sends SIGINT to the program's
/// process group, which holds the terminal, the program dies of it, and
/// rinit exits 130 without warning anyone about the user's own keystroke.
#[test]
fn ctrl_c_at_a_terminal_ends_the_app_without_a_warning() {
    let mut terminal = Terminal::session(&["bash", "--norc", "--noprofile", "-i"]);
    terminal.type_in("PS1='pro''mpt> '\n");
    terminal.wait_for("prompt> ");
    let rinit = rinit().to_string_lossy().into_owned();
    terminal.type_in(&format!("{rinit} -- {} job 7\n", testkit()));
    terminal.wait_for(" ready");
    terminal.type_in("\x03");
    let screen = terminal.wait_for("prompt> ");
    assert!(!screen.contains("rinit:"), "rinit spoke: {screen:?}");
    // The status the shell saw (the typed line is echoed as typed, so the
    // marker cannot match the echo).
    terminal.type_in("echo sta$?tus; exit\n");
    terminal.wait_for("sta130tus");
}
