//! Every claim the README and docs/ make about a peer's behaviour, checked
//! against the real peer (Debian's tini, tini-static, dumb-init and
//! catatonit, which `scripts/setup` installs) run beside rinit under the
//! same name, so that the comparison tables cannot drift from what the
//! binaries do. The tests are grouped by the table or paragraph they guard,
//! and each names it; where a table holds a value (an exit code, a line),
//! the test reads it from the document itself.
//!
//! Where a signal must *not* reach a process, the test sends a real-time
//! marker after it: a process dequeues pending signals lowest number first,
//! so by the time it reports the marker it has reported any standard signal
//! that reached it before.

mod common;
use common::*;
use std::process::Command;
use std::time::Duration;

// ---------------------------------------------------------------------------
// Helpers

fn with(opts: &[&str], rest: &[&str]) -> Vec<String> {
    opts.iter().chain(rest).map(|s| s.to_string()).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The only child of the init of a running PID-1 run.
fn child_of_init(running: &Running) -> i32 {
    let init = running.rinit_pid();
    let mut child = 0;
    wait_until("the init's child", || {
        child = children(init).first().copied().unwrap_or(0);
        child != 0
    });
    child
}

/// The body rows of the first table in `doc` (a path from the repository's
/// root) that follows a line starting with `after`, each as its cells.
fn doc_table(doc: &str, after: &str) -> Vec<Vec<String>> {
    let path = format!("{}/{doc}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip_while(|l| !l.starts_with(after))
        .skip_while(|l| !l.starts_with('|'))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cells = row.trim_matches('|').split(" | ");
            cells.map(|c| c.trim().to_owned()).collect()
        })
        .collect();
    assert!(!rows.is_empty(), "no table after {after:?} in {doc}");
    rows
}

/// The backquoted words of a cell: "`tini`, `docker-init`" -> [tini, docker-init].
fn quoted(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------
// docs/compatibility.md, "Running under a peer's name" (and the README's
// Compatibility bullets): one row per name, one test per column.

/// The row of the table for this name, as (column header, cell) pairs.
fn personality_rows() -> Vec<(Vec<String>, Vec<String>)> {
    let rows = doc_table("docs/compatibility.md", "| Name rinit runs as |");
    rows.into_iter()
        .filter(|row| !row[0].contains("rinit"))
        .map(|row| (quoted(&row[0]), row))
        .collect()
}

/// Columns "Usage error" and "Not found / not executable": the codes in
/// the table are the real peer's and rinit's under its name, and rinit's
/// own under its own names (`docker-init` included).
#[test]
fn personality_table_usage_error_and_exec_failure_codes() {
    let named = Names::new();
    let not_executable = named
        .scratch()
        .write("not-executable", "#!/bin/sh\necho hi\n", 0o644);
    let rows = doc_table("docs/compatibility.md", "| Name rinit runs as |");
    assert_eq!(
        rows.len(),
        4,
        "rinit, tini, dumb-init and catatonit rows: {rows:?}"
    );
    for row in rows {
        let usage: i32 = row[2].parse().unwrap();
        // "127 / 126", possibly followed by "; any other exec error ...".
        let codes = row[3].split(';').next().unwrap();
        let (missing, denied) = codes.split_once(" / ").unwrap();
        let (missing, denied): (i32, i32) = (missing.parse().unwrap(), denied.parse().unwrap());
        for name in quoted(&row[0]) {
            let programs = if row[0].contains("rinit") {
                vec![(format!("rinit as {name}"), named.of(&name))]
            } else {
                named.both(&name).to_vec()
            };
            for (who, program) in programs {
                let done = run(pid1(&program, &["--no-such-option", "--", "true"], &[]));
                assert_eq!(done.code, usage, "{who}, usage error: {done:?}");
                let done = run(pid1(&program, &["--", "/nonexistent/command"], &[]));
                assert_eq!(done.code, missing, "{who}, not found: {done:?}");
                let done = run(pid1(&program, &["--", &not_executable], &[]));
                assert_eq!(done.code, denied, "{who}, not executable: {done:?}");
            }
        }
    }
}

/// Column "`--version`": the real peer prints the part before ` - rinit`,
/// rinit under its name the whole line (on the stream the peer uses).
#[test]
fn personality_table_version_line() {
    let named = Names::new();
    for (names, row) in personality_rows() {
        let line = quoted(row.last().unwrap()).concat();
        let ours = line.replace("X.Y.Z", env!("CARGO_PKG_VERSION"));
        let (theirs, _) = line.split_once(" - rinit ").unwrap();
        for name in &names {
            let real = Command::new(real_peer(name))
                .arg("--version")
                .output()
                .unwrap();
            let named = hermetic(named.of(name)).arg("--version").output();
            let named = named.unwrap();
            for (who, out, expected) in [("real", real, theirs), ("rinit as", named, &ours)] {
                assert!(out.status.success(), "{who} {name} --version: {out:?}");
                // dumb-init prints its version on stderr, the others on stdout.
                let (text, other) = if name == "dumb-init" {
                    (out.stderr, out.stdout)
                } else {
                    (out.stdout, out.stderr)
                };
                let text = String::from_utf8_lossy(&text);
                assert_eq!(text.trim_end(), expected, "{who} {name}");
                assert!(other.is_empty(), "{who} {name}: {out:?}", out = other);
            }
        }
    }
}

/// Column "Signals go to", and the README's "signals to the child alone" /
/// "signals to the process group" for each name; also the tini table's
/// `-g` and `TINI_KILL_PROCESS_GROUP`, dumb-init's `-c` and
/// `DUMB_INIT_SETSID=0`, and catatonit's `-g`.
#[test]
fn personality_table_signals_go_to() {
    let named = Names::new();
    let cases: &[(&str, Opts, Vars, bool)] = &[
        ("tini", &[], &[], false),
        ("tini", &["-g"], &[], true),
        ("tini", &[], &[("TINI_KILL_PROCESS_GROUP", "1")], true),
        ("tini-static", &[], &[], false),
        ("dumb-init", &[], &[], true),
        ("dumb-init", &["-c"], &[], false),
        ("dumb-init", &[], &[("DUMB_INIT_SETSID", "0")], false),
        ("catatonit", &[], &[], false),
        ("catatonit", &["-g"], &[], true),
    ];
    for &(name, opts, vars, group) in cases {
        for (who, program) in named.both(name) {
            assert_eq!(
                group_gets_forwarded_signal(&program, opts, vars),
                group,
                "{who} {opts:?} {vars:?}: the grandchild in the child's group"
            );
        }
    }
}

/// dumb-init's way, as PID 1: each of SIGTSTP, SIGTTIN and SIGTTOU sent to
/// the init stops its `testkit sigecho` child (a SIGSTOP to the group); the
/// test continues it with a SIGCONT sent to the init. Returns the signals
/// the child reported, SIGCONT and the marker left out: none, if each was
/// turned into SIGSTOP. A child never stopped fails at the safety net.
fn stopped_by_job_control_as_pid1(who: &str, program: &str) -> Vec<i32> {
    let tk = testkit();
    let mut running = Running::start(pid1(program, &["--", &tk, "sigecho"], &[]));
    running.expect("ready");
    let child = child_of_init(&running);
    for signal in JOB_CONTROL {
        running.signal(signal);
        wait_until(&format!("{who}: the child stopped by {signal}"), || {
            proc_state(child) == Some('T')
        });
        // As PID 1, the init does not stop itself.
        assert_ne!(proc_state(running.rinit_pid()), Some('T'), "{who}");
        running.signal(libc::SIGCONT);
        wait_until("the child continued", || proc_state(child) != Some('T'));
    }
    running.signal(MARKER);
    running.expect(&format!("signal {MARKER}"));
    let seen = signals_in(&running.seen);
    let done = running.finish();
    assert_eq!(done.code, 0, "{who}: {done:?}");
    let unexpected = |s: &i32| *s != libc::SIGCONT && *s != MARKER;
    seen.into_iter().filter(unexpected).collect()
}

/// The job-control signals a `testkit sigecho` child reports when the init,
/// PID 1, is sent SIGTSTP, SIGTTIN and SIGTTOU from outside, then the marker.
/// Column "TSTP, TTIN, TTOU", as PID 1: tini forwards TSTP and drops TTIN
/// and TTOU; dumb-init sends SIGSTOP to the group (with `-c`, forwards them
/// unchanged); catatonit drops them (and its child starts with them
/// blocked, checked below with the catatonit table).
#[test]
fn personality_table_job_control_signals() {
    let named = Names::new();
    let (tstp, ttin, ttou) = (libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU);
    for name in ["tini", "tini-static"] {
        for (who, program) in named.both(name) {
            let seen = forwarded(&program, &[], &[], &JOB_CONTROL);
            assert_eq!(seen, vec![tstp], "{who}");
        }
    }
    for (who, program) in named.both("catatonit") {
        assert_eq!(forwarded(&program, &[], &[], &JOB_CONTROL), vec![], "{who}");
    }
    for (who, program) in named.both("dumb-init") {
        let seen = forwarded(&program, &["-c"], &[], &JOB_CONTROL);
        assert_eq!(seen, vec![tstp, ttin, ttou], "{who} -c");
        let seen = stopped_by_job_control_as_pid1(&who, &program);
        assert_eq!(seen, vec![], "{who}: sent as SIGSTOP, not forwarded");
    }
}

/// Column "Main child exits while others remain" (and docs/shutdown.md,
/// "Under a peer's name"): tini and catatonit exit at once and send
/// nothing; dumb-init sends one SIGTERM to the child's process group
/// (through the rewrite rules), with `-c` nothing. Seen not as PID 1, where
/// the others survive the init.
#[test]
fn personality_table_main_child_exits_while_others_remain() {
    let named = Names::new();
    const TERM: i32 = libc::SIGTERM;
    type Case = (&'static str, &'static [&'static str], &'static [i32]);
    let cases: &[Case] = &[
        ("tini", &[], &[]),
        ("tini-static", &[], &[]),
        ("catatonit", &[], &[]),
        ("dumb-init", &[], &[TERM]),
        ("dumb-init", &["-c"], &[]),
        // Through the rewrite rules, as dumb-init sends it.
        ("dumb-init", &["-r", "15:3"], &[libc::SIGQUIT]),
        ("dumb-init", &["-r", "15:0"], &[]),
    ];
    for &(name, opts, expected) in cases {
        for (who, program) in named.both(name) {
            let mut seen = others_after_the_main_child_not_pid1(&program, opts, &[]);
            // SIGWINCH, the trigger, reaches it too where the init signals
            // the group; the marker comes last.
            seen.retain(|&s| s != libc::SIGWINCH);
            assert_eq!(
                seen.pop(),
                Some(SIGRTMIN + 2),
                "that helper's marker comes last"
            );
            assert_eq!(
                seen, expected,
                "{who} {opts:?}: signals the other process got"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// docs/compatibility.md, the exec failure lines ("An exec failure is
// reported with the peer's own line, word for word")

#[test]
fn exec_failure_line_table() {
    let named = Names::new();
    let rows = doc_table("docs/compatibility.md", "An exec failure is reported");
    let missing = "/nonexistent/app";
    let mut checked = 0;
    for row in rows {
        let line = quoted(&row[1]).concat().replace("/app", missing);
        let expected = without_numbers(&line.replace("PID", "0"));
        for name in quoted(&row[0])
            .iter()
            .filter(|n| !["rinit", "docker-init"].contains(&n.as_str()))
        {
            for (who, program) in named.both(name) {
                for (how, cmd) in [
                    ("as PID 1", pid1(&program, &["--", missing], &[])),
                    ("not PID 1", direct(&program, &["--", missing], &[])),
                ] {
                    let done = run(cmd);
                    let lines: Vec<String> = done.stderr.lines().map(without_numbers).collect();
                    assert!(
                        lines.contains(&expected),
                        "{who}, {how}: no line {line:?} in {:?}",
                        done.stderr
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 4, "tini, tini-static, dumb-init and catatonit");
}

// ---------------------------------------------------------------------------
// docs/compatibility.md, "What rinit keeps under every name"; the README's
// "Under every name rinit never wakes while idle (tini wakes every second),
// forwards fault signals sent with `kill` ..., and becomes a subreaper when
// not PID 1"; docs/reliability.md, "Faults from outside".

/// As PID 1, a process inside the namespace sends SIGSEGV to PID 1 (as
/// `docker exec CONTAINER kill -SEGV 1` would); the test then sends the
/// marker to the init from outside. Returns the signals the init's child,
/// `testkit sigecho`, reported before the marker, and the init's stderr.
///
/// The child reports what it receives with `sigwaitinfo`, in numeric order.
/// A shell with traps cannot be the witness: dash, busy when two trapped
/// signals arrive close together, may run the marker's trap and never the
/// SIGSEGV's (75 of 200 tries here, with no init involved).
fn segv_from_inside_as_pid1(program: &str, vars: &[(&str, &str)]) -> (Vec<i32>, String) {
    let tk = testkit();
    let mut running = Running::start(pid1(program, &["--", &tk, "sigecho"], vars));
    running.expect("ready");
    // The shell's signal comes from inside the namespace, and is queued at
    // the init before nsenter returns.
    let kill = in_pid_namespace_of(running.rinit_pid(), "sh")
        .args(["-c", "kill -SEGV 1"])
        .output()
        .expect("nsenter");
    assert!(kill.status.success(), "{program}: {kill:?}");
    running.signal(MARKER);
    running.expect(&format!("signal {MARKER}"));
    let mut seen = signals_in(&running.seen);
    assert_eq!(seen.pop(), Some(MARKER), "the marker comes last");
    let done = running.finish();
    assert_eq!(done.code, 0, "{program}: {done:?}");
    (seen, done.stderr)
}

/// Not as PID 1: a fault signal sent to the init, which either dies of it
/// (`dies`: its exit is awaited) or forwards it (the child's line is). A
/// wrong guess fails at the safety net. Returns the init's exit code (128+N
/// when it died of signal N, -1 while it still runs) and what its child
/// reported: the child is alive either way, and the test then sends it a
/// marker itself, since the init may be gone.
fn fault_not_pid1(program: &str, fault: i32, dies: bool) -> (i32, Vec<i32>) {
    let tk = testkit();
    let mut running = Running::start(direct(program, &["--", &tk, "sigecho"], &[]));
    running.expect("ready");
    let init = running.outer_pid();
    let child = children(init)[0];
    send(init, fault);
    let code = if dies {
        running.wait_for_exit()
    } else {
        running.expect(&format!("signal {fault}"));
        -1
    };
    send(child, MARKER);
    running.expect(&format!("signal {MARKER}"));
    let mut seen = signals_in(&running.seen);
    assert_eq!(seen.pop(), Some(MARKER), "the marker comes last");
    drop(running);
    (code, seen)
}

/// The peers' half: as PID 1, tini, tini-static and catatonit neither die
/// of a fault signal sent with `kill` nor pass it on (the kernel drops it:
/// they leave it unblocked with no handler), from outside the namespace or
/// from inside; dumb-init forwards it. Not as PID 1, tini and catatonit die
/// of it and leave their child orphaned, dumb-init forwards it. rinit, under
/// each name, forwards it and lives.
#[test]
fn every_name_fault_signals_sent_with_kill() {
    let named = Names::new();
    let segv = libc::SIGSEGV;
    for name in ["tini", "tini-static", "catatonit", "dumb-init"] {
        let drops = name != "dumb-init";
        let (theirs, ours) = (real_peer(name), named.of(name));

        let seen = forwarded(&theirs, &[], &[], &FAULT_SIGNALS);
        let expected = if drops {
            vec![]
        } else {
            FAULT_SIGNALS.to_vec()
        };
        assert_eq!(seen, expected, "real {name} as PID 1, faults from outside");
        let seen = forwarded(&ours, &[], &[], &FAULT_SIGNALS);
        assert_eq!(
            seen,
            FAULT_SIGNALS.to_vec(),
            "rinit as {name}, faults from outside"
        );

        let (seen, _) = segv_from_inside_as_pid1(&theirs, &[]);
        let expected = if drops { vec![] } else { vec![segv] };
        assert_eq!(seen, expected, "real {name}, from inside");
        let (seen, log) = segv_from_inside_as_pid1(&ours, &[("RINIT_LOG", "debug")]);
        assert_eq!(
            seen,
            [segv],
            "rinit as {name}, from inside; its log:\n{log}"
        );

        let (code, seen) = fault_not_pid1(&theirs, segv, drops);
        if drops {
            assert_eq!((code, seen), (128 + segv, vec![]), "real {name}, not PID 1");
        } else {
            assert_eq!((code, seen), (-1, vec![segv]), "real {name}, not PID 1");
        }
        let (code, seen) = fault_not_pid1(&ours, segv, false);
        assert_eq!((code, seen), (-1, vec![segv]), "rinit as {name}, not PID 1");
    }
}

/// "real-time signals are forwarded": by every peer and by rinit under
/// every name (the marker is one; this sends two more, in order).
#[test]
fn every_name_real_time_signals_are_forwarded() {
    let named = Names::new();
    let tk = testkit();
    for name in ["tini", "tini-static", "dumb-init", "catatonit"] {
        for (who, program) in named.both(name) {
            let mut running = Running::start(pid1(&program, &["--", &tk, "sigecho"], &[]));
            running.expect("ready");
            for signal in [SIGRTMIN + 1, SIGRTMIN + 3, MARKER] {
                running.signal(signal);
            }
            running.expect(&format!("signal {MARKER}"));
            let seen = signals_in(&running.seen);
            assert_eq!(seen, vec![SIGRTMIN + 1, SIGRTMIN + 3, MARKER], "{who}");
            assert_eq!(running.finish().code, 0, "{who}");
        }
    }
}

/// "it never wakes up while idle (tini wakes every second)": each init, as
/// PID 1 with a child asleep, over the same window of a little more than
/// two seconds, all side by side. The window is what is measured, not a
/// wait for something to happen.
#[test]
fn every_name_idle_wake_ups() {
    let named = Names::new();
    let tk = testkit();
    let names = ["tini", "tini-static", "dumb-init", "catatonit"];
    let mut runs = Vec::new();
    for name in names {
        for (who, program) in named.both(name) {
            let mut running = Running::start(pid1(&program, &["--", &tk, "sigecho"], &[]));
            running.expect("ready");
            runs.push((who, name, running));
        }
    }
    let switches = |running: &Running| {
        let init = running.rinit_pid();
        let count = |field| status_number(init, field).unwrap();
        count("voluntary_ctxt_switches") + count("nonvoluntary_ctxt_switches")
    };
    // Each init has finished starting once it sleeps in its wait: `read`
    // of a signalfd (0) or `rt_sigtimedwait` (128).
    for (who, _, running) in &runs {
        let init = running.rinit_pid();
        wait_until(&format!("{who} asleep in its wait"), || {
            let call = std::fs::read_to_string(format!("/proc/{init}/syscall"));
            let call = call.unwrap_or_default();
            let number = call.split(' ').next().unwrap_or("");
            proc_state(init) == Some('S') && (number == "0" || number == "128")
        });
    }
    let before: Vec<u64> = runs.iter().map(|(_, _, r)| switches(r)).collect();
    std::thread::sleep(Duration::from_millis(2_500));
    for ((who, name, running), before) in runs.into_iter().zip(before) {
        let woke = switches(&running) - before;
        if who.starts_with("real tini") {
            assert!(woke >= 2, "{who} woke {woke} times in 2.5 s: once a second");
        } else {
            assert_eq!(woke, 0, "{who} ({name}) woke while idle");
        }
        assert_eq!(running.finish().code, 0, "{who}");
    }
}

/// Not as PID 1, the init's child shell starts a `testkit sigecho` from a
/// middle shell that exits at once: the orphan goes to the nearest
/// subreaper. Returns whether that is the init, and the init's stderr.
fn adopts_orphans_not_pid1(program: &str, opts: &[&str], vars: &[(&str, &str)]) -> (bool, String) {
    const SCRIPT: &str = r#"exec 3<&0
sh -c '"$1" sigecho <&3 & echo "orphan $! of $$"' sh "$1"
exec "$1" sigecho"#;
    let tk = testkit();
    let args = with(opts, &["--", "sh", "-c", SCRIPT, "sh", &tk]);
    let mut running = Running::start(direct(program, &strs(&args), vars));
    let line = running.expect_line("naming the orphan", |l| l.starts_with("orphan "));
    let words: Vec<i32> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    let (orphan, middle) = (words[0], words[1]);
    let parent = || status_number(orphan, "PPid").unwrap() as i32;
    wait_until("the orphan re-parented", || parent() != middle);
    let adopted = parent() == running.outer_pid();
    let done = running.finish();
    assert_eq!(done.code, 0, "{program} {opts:?} {vars:?}: {done:?}");
    (adopted, done.stderr)
}

/// "when it is not PID 1 it registers as a child subreaper (tini does so
/// only with `-s`, dumb-init never, catatonit always), so orphans are
/// reaped and tini's "zombie reaping won't work" warning never appears";
/// the tini table's `-s` and `TINI_SUBREAPER`.
#[test]
fn every_name_subreaper_when_not_pid1() {
    let named = Names::new();
    let warning = "zombie reaping won't work";
    let cases: &[(&str, Opts, Vars, bool)] = &[
        ("tini", &[], &[], false),
        ("tini", &["-s"], &[], true),
        ("tini", &[], &[("TINI_SUBREAPER", "1")], true),
        ("tini-static", &[], &[], false),
        ("dumb-init", &[], &[], false),
        ("catatonit", &[], &[], true),
    ];
    for &(name, opts, vars, peer_adopts) in cases {
        let (adopted, stderr) = adopts_orphans_not_pid1(&real_peer(name), opts, vars);
        assert_eq!(adopted, peer_adopts, "real {name} {opts:?} {vars:?}");
        let warned = stderr.contains(warning);
        assert_eq!(
            warned,
            name.starts_with("tini") && !adopted,
            "real {name}: {stderr}"
        );
        let (adopted, stderr) = adopts_orphans_not_pid1(&named.of(name), opts, vars);
        assert!(adopted, "rinit as {name} {opts:?} {vars:?}");
        assert!(!stderr.contains(warning), "rinit as {name}: {stderr}");
    }
}

// ---------------------------------------------------------------------------
// docs/compatibility.md, the tini table and its "Differences that remain"

/// Row `-e CODE`: the code (also 128+N after a death by signal N) becomes 0.
#[test]
fn tini_table_remap_exit() {
    let named = Names::new();
    for name in ["tini", "tini-static"] {
        for (who, program) in named.both(name) {
            let code = |opts: &[&str], script: &str| {
                let args = with(opts, &["--", "sh", "-c", script]);
                run(pid1(&program, &strs(&args), &[])).code
            };
            assert_eq!(code(&["-e", "3"], "exit 3"), 0, "{who}");
            assert_eq!(code(&["-e", "3"], "exit 4"), 4, "{who}");
            assert_eq!(code(&["-e", "143"], "kill -TERM $$"), 0, "{who}");
        }
    }
}

/// Row `-w`, and "The `-w` warning keeps tini's words": one line per
/// reaped process other than the child, tini's on its own format, rinit's
/// as quoted in the doc.
#[test]
fn tini_table_warn_on_reap() {
    let named = Names::new();
    let tk = testkit();
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/compatibility.md"
    ));
    let doc = doc.unwrap();
    let ours = "tini: warn: Reaped zombie process with pid=N";
    assert!(
        doc.contains(&format!("(`{ours}`)")),
        "the doc quotes {ours:?}"
    );
    for (who, program) in named.both("tini") {
        // The orphan is a zombie already when the child exits: the init
        // reaps both in one go.
        let done = run(pid1(&program, &["-w", "--", &tk, "orphans", "1"], &[]));
        assert_eq!(done.code, 0, "{who}: {done:?}");
        let lines: Vec<String> = done.stderr.lines().map(without_numbers).collect();
        let expected = if who.starts_with("real") {
            "[WARN  tini (N)] Reaped zombie process with pid=N"
        } else {
            ours
        };
        assert_eq!(lines, vec![expected.to_owned()], "{who}: {done:?}");
    }
}

/// Rows `-v` and `TINI_VERBOSITY`, and "tini writes `[LEVEL  tini (PID)]
/// text` and puts its info and debug lines on stdout, mixed into the
/// application's output"; rinit's go to stderr as `tini: LEVEL: text`.
#[test]
fn tini_table_verbosity_and_where_the_lines_go() {
    let named = Names::new();
    for (opts, vars) in [
        (&["-vv"][..], &[][..]),
        (&[][..], &[("TINI_VERBOSITY", "3")][..]),
    ] {
        let args = with(opts, &["--", "true"]);
        let theirs = run(pid1(&real_peer("tini"), &strs(&args), vars));
        assert_eq!(theirs.code, 0, "{theirs:?}");
        let out = |prefix: &str, lines: &[String]| lines.iter().any(|l| l.starts_with(prefix));
        assert!(out("[INFO  tini (1)] ", &theirs.stdout), "{theirs:?}");
        assert!(out("[DEBUG tini (1)] ", &theirs.stdout), "{theirs:?}");
        let ours = run(pid1(&named.of("tini"), &strs(&args), vars));
        assert_eq!((ours.code, ours.stdout.len()), (0, 0), "{ours:?}");
        let lines: Vec<String> = ours.stderr.lines().map(str::to_owned).collect();
        assert!(out("tini: info: ", &lines), "{ours:?}");
        assert!(out("tini: debug: ", &lines), "{ours:?}");
    }
    // The default (TINI_VERBOSITY=1): neither says anything.
    for (who, program) in named.both("tini") {
        let done = run(pid1(&program, &["--", "true"], &[]));
        assert_eq!((done.stdout.len(), done.stderr.as_str()), (0, ""), "{who}");
    }
}

/// Rows `-l` and `-h`: each prints its text and exits 0.
#[test]
fn tini_and_catatonit_tables_license_and_help() {
    let named = Names::new();
    for (name, license) in [("tini", "-l"), ("catatonit", "-L"), ("dumb-init", "")] {
        for (who, program) in named.both(name) {
            for flag in [license, "-h"].into_iter().filter(|f| !f.is_empty()) {
                let out = hermetic(&program).arg(flag).output().unwrap();
                assert!(out.status.success(), "{who} {flag}: {out:?}");
                let text = String::from_utf8_lossy(&out.stdout);
                // catatonit prints its help on stderr.
                let all = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
                assert!(!all.trim().is_empty(), "{who} {flag} printed nothing");
                if flag != "-h" {
                    assert!(text.to_lowercase().contains("license"), "{who} {flag}");
                }
            }
        }
    }
}

/// Row `-p SIG`: when the init's parent dies, the init gets SIG and passes
/// it on to its child. Not as PID 1 (a PID 1's parent is the runtime).
#[test]
fn tini_table_parent_death_signal() {
    const SCRIPT: &str = r#"exec 3<&0
"$@" <&3 &
echo "init $!"
read line"#;
    let named = Names::new();
    let tk = testkit();
    for (who, program) in named.both("tini") {
        let mut cmd = hermetic("sh");
        cmd.args([
            "-c", SCRIPT, "sh", &program, "-p", "SIGUSR1", "--", &tk, "sigecho",
        ]);
        let mut running = Running::start(cmd);
        running.expect_line("naming the init", |l| l.starts_with("init "));
        running.expect_all(&["ready"]);
        let parent = running.outer_pid();
        send(parent, libc::SIGKILL);
        let usr1 = format!("signal {}", libc::SIGUSR1);
        running.expect_line(&format!("{who}: {usr1}"), |l| l == usr1);
        drop(running); // stdin closes: the child, then the init, exit
    }
}

// ---------------------------------------------------------------------------
// docs/compatibility.md, the dumb-init table and its "Differences that remain"

/// Row `-r`/`--rewrite FROM:TO`: FROM is forwarded as TO; TO `0` drops it.
#[test]
fn dumb_init_table_rewrite() {
    let named = Names::new();
    let tk = testkit();
    for (who, program) in named.both("dumb-init") {
        let args = ["-r", "10:12", "-r", "1:0", "--", &tk, "sigecho"];
        let mut running = Running::start(pid1(&program, &args, &[]));
        running.expect("ready");
        for signal in [libc::SIGUSR1, libc::SIGHUP, MARKER] {
            running.signal(signal);
        }
        running.expect(&format!("signal {MARKER}"));
        let seen = signals_in(&running.seen);
        assert_eq!(seen, vec![libc::SIGUSR2, MARKER], "{who}");
        assert_eq!(running.finish().code, 0, "{who}");
    }
}

/// Rows `-v` and `DUMB_INIT_DEBUG=1`, and "`-v` turns on rinit's own info
/// log, `-vv` and `DUMB_INIT_DEBUG=1` its debug log, in rinit's words":
/// dumb-init's `-v` is its debug output.
#[test]
fn dumb_init_table_verbosity() {
    let named = Names::new();
    let ours = named.of("dumb-init");
    let lines = |program: &str, opts: &[&str], vars: &[(&str, &str)]| {
        let args = with(opts, &["--", "true"]);
        let done = run(pid1(program, &strs(&args), vars));
        assert_eq!(done.code, 0, "{program} {opts:?} {vars:?}: {done:?}");
        done.stderr
    };
    let debug_lines = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("[dumb-init] "))
            .count()
    };
    assert!(debug_lines(&lines(&real_peer("dumb-init"), &["-v"], &[])) > 0);
    let debug = [("DUMB_INIT_DEBUG", "1")];
    assert!(debug_lines(&lines(&real_peer("dumb-init"), &[], &debug)) > 0);
    assert_eq!(
        lines(&real_peer("dumb-init"), &[], &[]),
        "",
        "quiet by default"
    );

    let levels = |text: &str| {
        let mut levels: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("dumb-init: ")?.split(':').next())
            .map(str::to_owned)
            .collect();
        levels.dedup();
        levels.sort();
        levels.dedup();
        levels
    };
    assert_eq!(levels(&lines(&ours, &["-v"], &[])), ["info"]);
    assert_eq!(levels(&lines(&ours, &["-vv"], &[])), ["debug", "info"]);
    assert_eq!(levels(&lines(&ours, &[], &debug)), ["debug", "info"]);
    assert_eq!(lines(&ours, &[], &[]), "", "quiet by default");
}

/// `program opts... -- testkit MODE` as PID 1, started with SIGHUP blocked
/// and SIGUSR2 ignored.
fn with_hup_blocked_and_usr2_ignored(program: &str, opts: &[&str], mode: &str) -> Command {
    let tk = testkit();
    let args = with(opts, &["--", &tk, mode]);
    let mut cmd = pid1(program, &strs(&args), &[]);
    start_with_signals(&mut cmd, &[libc::SIGHUP], &[libc::SIGUSR2]);
    cmd
}

/// Where the init puts its child, and what the child inherits, the init
/// having started with SIGHUP blocked and SIGUSR2 ignored: (the child's
/// session is its own, the child's session is the init's, the child leads
/// its process group, SIGHUP still blocked, SIGUSR2 still ignored).
fn dumb_init_child_placement(program: &str, opts: &[&str]) -> (bool, bool, bool, bool, bool) {
    // A waiting child, read from outside: its group and session.
    let mut running = Running::start(with_hup_blocked_and_usr2_ignored(program, opts, "sigecho"));
    running.expect("ready");
    let (init, child) = (running.rinit_pid(), child_of_init(&running));
    let (child_stat, init_stat) = (proc_stat(child).unwrap(), proc_stat(init).unwrap());
    let (group, session) = (child_stat[2].parse::<i32>().unwrap(), &child_stat[3]);
    drop(running);
    // sigecho blocks every signal itself: `testkit status` reports the mask
    // and the ignored signals as the child got them.
    let done = run(with_hup_blocked_and_usr2_ignored(program, opts, "status"));
    let has = |name: &str, signal: i32| {
        let line = done.stdout.iter().find_map(|l| l.strip_prefix(name));
        u64::from_str_radix(line.unwrap().trim(), 16).unwrap() & 1 << (signal - 1) != 0
    };
    (
        session == &child.to_string(),
        session == &init_stat[3],
        group == child,
        has("SigBlk:", libc::SIGHUP),
        has("SigIgn:", libc::SIGUSR2),
    )
}

/// "rinit never starts a new session": dumb-init makes its child a session
/// leader (not with `-c`); rinit's child leads its own process group in
/// rinit's session. "The child gets the signal mask and ignored signals
/// rinit inherited; dumb-init empties the mask and loses inherited ignores."
#[test]
fn dumb_init_table_session_and_inherited_signals() {
    let named = Names::new();
    let theirs = dumb_init_child_placement(&real_peer("dumb-init"), &[]);
    assert_eq!(theirs, (true, false, true, false, false), "real dumb-init");
    let theirs = dumb_init_child_placement(&real_peer("dumb-init"), &["-c"]);
    assert_eq!(
        (theirs.0, theirs.1),
        (false, true),
        "real dumb-init -c: {theirs:?}"
    );
    for opts in [&[][..], &["-c"]] {
        let ours = dumb_init_child_placement(&named.of("dumb-init"), opts);
        assert_eq!(
            ours,
            (false, true, true, true, true),
            "rinit as dumb-init {opts:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// docs/compatibility.md, the catatonit table, "Compared side by side with
// catatonit 0.2" and its "Differences that remain"

/// Row `-P`: no command; SIGTERM or SIGINT ends it with 0. And "`-P` with a
/// command: catatonit ignores the command and pauses; rinit refuses with a
/// usage error (exit 1)".
#[test]
fn catatonit_table_pause() {
    let named = Names::new();
    for (who, program) in named.both("catatonit") {
        for signal in [libc::SIGTERM, libc::SIGINT] {
            let running = Running::start(pid1(&program, &["-P"], &[]));
            pause_ready(&running, &program);
            running.signal(signal);
            assert_eq!(running.finish().code, 0, "{who}, {signal}");
        }
    }
    let running = Running::start(pid1(
        &real_peer("catatonit"),
        &["-P", "--", "echo", "ran"],
        &[],
    ));
    let init = pause_ready(&running, &real_peer("catatonit"));
    assert_eq!(
        children(init),
        Vec::<i32>::new(),
        "real catatonit ran the command"
    );
    running.signal(libc::SIGTERM);
    let done = running.finish();
    assert_eq!(
        (done.code, done.stdout.len()),
        (0, 0),
        "real catatonit: {done:?}"
    );
    let done = run(pid1(
        &named.of("catatonit"),
        &["-P", "--", "echo", "ran"],
        &[],
    ));
    assert_eq!(
        (done.code, done.stdout.len()),
        (1, 0),
        "rinit as catatonit: {done:?}"
    );
}

/// Row `LISTEN_PID`: naming the init, the child sees its own pid instead;
/// any other value passes unchanged.
#[test]
fn catatonit_table_listen_pid() {
    let named = Names::new();
    for (who, program) in named.both("catatonit") {
        for (value, expected) in [("1", "lp 2 2"), ("7", "lp 7 2")] {
            let args = ["--", "sh", "-c", r#"echo "lp $LISTEN_PID $$""#];
            let done = run(pid1(&program, &args, &[("LISTEN_PID", value)]));
            assert_eq!(done.stdout, vec![expected], "{who}, LISTEN_PID={value}");
        }
    }
}

/// Row `CATATONIT_DEBUG` (debug lines, each its own way), and
/// "`CATATONIT_LOG`: catatonit refuses to start when it is set; rinit
/// ignores it".
#[test]
fn catatonit_table_debug_and_log_variables() {
    let named = Names::new();
    let debug = [("CATATONIT_DEBUG", "1")];
    let theirs = run(pid1(&real_peer("catatonit"), &["--", "true"], &debug));
    assert_eq!(theirs.code, 0, "{theirs:?}");
    theirs.assert_stderr_has("DEBUG (catatonit:");
    let ours = run(pid1(&named.of("catatonit"), &["--", "true"], &debug));
    assert_eq!(ours.code, 0, "{ours:?}");
    ours.assert_stderr_has("catatonit: debug: ");

    let log = [("CATATONIT_LOG", "x")];
    let theirs = run(pid1(&real_peer("catatonit"), &["--", "echo", "ran"], &log));
    assert_eq!((theirs.code, theirs.stdout.len()), (1, 0), "{theirs:?}");
    let ours = run(pid1(&named.of("catatonit"), &["--", "echo", "ran"], &log));
    assert_eq!((ours.code, ours.stdout), (0, vec!["ran".to_owned()]));
}

/// "the child starting with TSTP, TTIN and TTOU blocked", under both.
#[test]
fn catatonit_table_child_starts_with_job_control_blocked() {
    let named = Names::new();
    let wanted = JOB_CONTROL.iter().fold(0u64, |m, s| m | 1 << (s - 1));
    for (who, program) in named.both("catatonit") {
        assert_eq!(child_blocked_mask(&program, true), wanted, "{who}");
    }
}

/// "catatonit closes its own copies of the descriptors it inherited above 2
/// once the child is started; rinit keeps them open until it exits (the
/// child gets them under both)".
#[test]
fn catatonit_table_inherited_descriptors() {
    let named = Names::new();
    let tk = testkit();
    for (who, program) in named.both("catatonit") {
        let inner = as_pid1(&program, &["--", &tk, "sigecho"]);
        let mut cmd = hermetic("sh");
        cmd.args(["-c", "exec 5</dev/null; exec \"$@\"", "sh"]);
        cmd.arg(inner.get_program()).args(inner.get_args());
        let mut running = Running::start(cmd);
        running.expect("ready");
        let (init, child) = (running.rinit_pid(), child_of_init(&running));
        let has_5 = |pid: i32| std::path::Path::new(&format!("/proc/{pid}/fd/5")).exists();
        assert!(has_5(child), "{who}: the child lacks descriptor 5");
        if who.starts_with("real") {
            wait_until("catatonit to close descriptor 5", || !has_5(init));
        } else {
            assert!(has_5(init), "{who} closed descriptor 5");
        }
        assert_eq!(running.finish().code, 0, "{who}");
    }
}

/// "Messages are rinit's (`catatonit: no command given (usage: ...)`), not
/// catatonit's (`ERROR (catatonit:PID): missing program name`, then its
/// usage line)": both quotes, from the doc, against each binary.
#[test]
fn catatonit_table_no_command_message() {
    let named = Names::new();
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/compatibility.md"
    ));
    let doc = doc.unwrap().replace("\n  ", " ");
    let at = doc.find("- Messages are rinit's").unwrap();
    let quotes = quoted(&doc[at..doc[at..].find('\n').unwrap() + at]);
    let (ours, theirs) = (&quotes[0], &quotes[1]);
    let ours_done = run(pid1(&named.of("catatonit"), &[], &[]));
    assert_eq!(ours_done.code, 1, "{ours_done:?}");
    assert_eq!(ours_done.stderr.trim_end(), ours, "rinit as catatonit");
    let theirs_done = run(pid1(&real_peer("catatonit"), &[], &[]));
    assert_eq!(theirs_done.code, 1, "{theirs_done:?}");
    let first = theirs_done.stderr.lines().next().unwrap_or_default();
    let expected = without_numbers(&theirs.replace("PID", "0"));
    assert_eq!(without_numbers(first), expected, "real catatonit");
    assert!(
        theirs_done
            .stderr
            .lines()
            .nth(1)
            .unwrap_or("")
            .starts_with("usage: catatonit")
    );
}

// ---------------------------------------------------------------------------
// docs/reliability.md, "Resources running out"

/// The peer as PID 1 at an open-file limit of 3, with stderr closed or not,
/// running tini-static's `--version` (static: it needs no descriptor).
fn at_three_descriptors(peer: &str, close_stderr: bool) -> Finished {
    let script = if close_stderr {
        r#"exec "$@" 2>&-"#
    } else {
        r#"exec "$@""#
    };
    let child = real_peer("tini-static");
    let args = [
        "-c",
        script,
        "sh",
        "prlimit",
        "--nofile=3",
        peer,
        "--",
        &child,
        "--version",
    ];
    run(pid1("sh", &args, &[]))
}

/// "tini and dumb-init need none at all, as they wait for signals with
/// `sigtimedwait` or `sigwait`, while catatonit, which reads a signalfd as
/// rinit does, needs one too". (tini and dumb-init are linked dynamically:
/// their loader needs a descriptor of its own, so stderr is closed for it;
/// not stdin, which tini hands to `tcsetpgrp` and fails on if it is closed.)
#[test]
fn reliability_descriptors_the_peers_need() {
    let done = at_three_descriptors(&real_peer("tini-static"), false);
    assert_eq!(
        (done.code, done.stdout.len()),
        (0, 1),
        "tini-static: {done:?}"
    );
    for peer in ["tini", "dumb-init"] {
        let done = at_three_descriptors(&real_peer(peer), true);
        assert_eq!((done.code, done.stdout.len()), (0, 1), "{peer}: {done:?}");
    }
    let done = at_three_descriptors(&real_peer("catatonit"), false);
    assert_eq!(done.code, 1, "catatonit: {done:?}");
    done.assert_stderr_has("failed to create signalfd");
}

// ---------------------------------------------------------------------------
// The terminal: docs/compatibility.md ("rinit gives the child the
// terminal's foreground only if its own group held it; tini takes it even
// when started in the background"; catatonit "whenever there is a
// terminal") and docs/how-it-works.md ("tini takes it even from the
// background").

/// On a terminal, a job-control shell starts the init with a child that
/// says whether its group is the terminal's foreground group, in the
/// foreground or `&` in the background. Returns that answer.
fn child_in_foreground(program: &str, background: bool) -> bool {
    let script = format!(
        r#"set -m
"$1" -- sh -c 'set -- $(cat /proc/$$/stat); [ "$5" = "$8" ] && echo "is fore""ground" || echo "not fore""ground"' {}
wait"#,
        if background { "&" } else { "" }
    );
    let mut terminal = Terminal::session(&["sh", "-c", &script, "sh", program]);
    let seen = terminal.wait_for("foreground");
    let answer = seen.ends_with("is foreground");
    assert!(answer || seen.ends_with("not foreground"), "{seen:?}");
    let _ = terminal.exit_code();
    answer
}

#[test]
fn terminal_foreground_from_the_background() {
    let named = Names::new();
    for name in ["tini", "catatonit"] {
        for (who, program) in named.both(name) {
            assert!(
                child_in_foreground(&program, false),
                "{who}, in the foreground"
            );
            let taken = child_in_foreground(&program, true);
            assert_eq!(
                taken,
                who.starts_with("real"),
                "{who}, started in the background"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The README's "rinit accepts every option and variable of the three; their
// flags do not clash", and docs/compatibility.md's "one rinit binary
// understands all of them at once, under any name": every option each
// peer's own help lists, and every variable the peers read.

/// The options a help text lists, each with whether it takes a value:
/// lines such as `-p SIGNAL: ...`, `-r, --rewrite s:r    ...`, `-g    ...`.
fn options_in_help(text: &str) -> Vec<(String, bool)> {
    let mut options = Vec::new();
    for line in text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
    {
        let head = line.split("  ").next().unwrap();
        let head = head.split(": ").next().unwrap().trim_end_matches(':');
        let words: Vec<&str> = head.split([',', ' ']).filter(|w| !w.is_empty()).collect();
        let takes_value = words.iter().any(|w| !w.starts_with('-'));
        let names = words.iter().filter(|w| w.starts_with('-'));
        options.extend(names.map(|w| (w.to_string(), takes_value)));
    }
    options
}

#[test]
fn every_peer_option_and_variable_is_accepted() {
    let mut tested = Vec::new();
    for name in ["tini", "dumb-init", "catatonit"] {
        let help = Command::new(real_peer(name)).arg("-h").output().unwrap();
        let text = String::from_utf8_lossy(&help.stdout) + String::from_utf8_lossy(&help.stderr);
        let options = options_in_help(&text);
        assert!(options.len() >= 5, "{name} -h: {options:?} from {text}");
        for (option, takes_value) in options {
            let informational = ["-h", "--help", "-V", "--version", "-l", "-L"];
            let args: Vec<&str> = match (informational.contains(&option.as_str()), takes_value) {
                (true, _) => vec![&option],
                (false, false) => vec![&option, "--", "true"],
                (false, true) => {
                    let value = match option.as_str() {
                        "-p" => "SIGUSR1",
                        "-e" => "3",
                        "-r" | "--rewrite" => "10:12",
                        other => panic!("{name}: no value known for {other}"),
                    };
                    vec![&option, value, "--", "true"]
                }
            };
            let rinit = rinit().to_string_lossy().into_owned();
            let done = if option == "-P" {
                // Pause mode runs no command: it ends on SIGTERM.
                let running = Running::start(pid1(&rinit, &["-P"], &[]));
                pause_ready(&running, &rinit);
                running.signal(libc::SIGTERM);
                running.finish()
            } else {
                run(pid1(&rinit, &args, &[]))
            };
            assert_eq!(done.code, 0, "rinit {args:?} ({name}'s option): {done:?}");
            tested.push(option);
        }
        // The variables: tini's help lists its own; the others are in the
        // tables of docs/compatibility.md.
        let listed = text
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("TINI_"));
        let mut variables: Vec<String> = listed
            .map(|l| l.split(':').next().unwrap().to_owned())
            .collect();
        if name != "tini" {
            let prefix = if name == "dumb-init" {
                "DUMB_INIT_"
            } else {
                "CATATONIT_"
            };
            let rows = doc_table("docs/compatibility.md", &format!("| {name} | rinit |"));
            let names = rows.iter().flat_map(|row| quoted(&row[0]));
            let names = names.map(|q| q.split('=').next().unwrap().to_owned());
            variables.extend(names.filter(|n| n.starts_with(prefix)));
        }
        assert!(!variables.is_empty(), "{name}: no variables found");
        for variable in variables {
            let value = if variable == "DUMB_INIT_SETSID" {
                "0"
            } else {
                "1"
            };
            let vars = [(variable.as_str(), value)];
            let done = run(pid1(&rinit().to_string_lossy(), &["--", "true"], &vars));
            assert_eq!(done.code, 0, "rinit with {variable}={value}: {done:?}");
            tested.push(variable);
        }
    }
    assert!(tested.len() >= 20, "{tested:?}");
}

// ---------------------------------------------------------------------------
// docs/reliability.md, "Odd environments"

/// "environment entries without `=`, empty, starting with `=`, duplicated
/// ...: the child gets them all, entry for entry and byte for byte, as the
/// peers pass them."
#[test]
fn reliability_odd_environment_entries_pass_as_the_peers_pass_them() {
    let named = Names::new();
    let tk = testkit();
    let entries = ["A=1", "no-equals", "", "=starts", "A=2", "B=x=y"];
    let expected: String = entries
        .iter()
        .flat_map(|e| e.bytes().chain([0]))
        .map(|b| format!("{b:02x}"))
        .collect();
    for name in ["tini", "tini-static", "dumb-init", "catatonit"] {
        for (who, program) in named.both(name) {
            let mut args = vec!["exec-env"];
            args.extend(entries);
            args.extend(["--", &program, "--", &tk, "environ"]);
            let cmd = as_pid1(&tk, &args);
            let done = run(cmd);
            assert_eq!(done.code, 0, "{who}: {done:?}");
            assert_eq!(done.stdout, vec![format!("environ {expected}")], "{who}");
        }
    }
}

/// "a script without a `#!` line ... Under a peer's name it runs them with
/// `/bin/sh`, as tini, dumb-init and catatonit (all on glibc's `execvp`) do."
#[test]
fn reliability_a_script_without_a_shebang_line() {
    let named = Names::new();
    let scratch = Scratch::new("peers-no-shebang-files");
    let script = scratch.write("script", "echo \"script ran $1\"\nexit 7\n", 0o755);
    for name in ["tini", "tini-static", "dumb-init", "catatonit"] {
        for (who, program) in named.both(name) {
            let done = run(pid1(&program, &["--", &script, "one"], &[]));
            assert_eq!(
                (done.code, done.stdout),
                (7, vec!["script ran one".to_owned()]),
                "{who}"
            );
        }
    }
}

/// The pid, as seen here, of the process numbered `inner` in its own PID
/// namespace (the last figure of its `NSpid`) whose command line holds
/// `word`.
fn host_pid(inner: i32, word: &str) -> i32 {
    let found = pids().into_iter().find(|&pid| {
        let nspid = status_field_line(pid, "NSpid");
        let last = nspid.split_whitespace().last().and_then(|n| n.parse().ok());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let words = cmdline.split(|&b| b == 0).any(|w| w == word.as_bytes());
        nspid.split_whitespace().count() >= 2 && last == Some(inner) && words
    });
    found.unwrap_or_else(|| panic!("no process numbered {inner} inside running {word:?}"))
}

/// A whole line of `/proc/PID/status` after its name (`NSpid` has several
/// figures).
fn status_field_line(pid: i32, name: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")));
    line.unwrap_or("").trim().to_owned()
}

/// docs/how-it-works.md: "Real tini never stops: its app stops on Ctrl-Z
/// while the shell waits on ...; rinit keeps its fix under tini's name".
/// At a bash prompt on a terminal, `INIT -- testkit job 7`, then Ctrl-Z:
/// the app stops; real tini takes the SIGCHLD of that stop and sleeps on,
/// never stopped, so bash cannot report the job stopped; rinit under tini's
/// name stops with its app and bash prints its prompt.
#[test]
fn how_it_works_ctrl_z_under_tini() {
    let named = Names::new();
    let chld = 1u64 << (libc::SIGCHLD - 1);
    for (who, program) in named.both("tini") {
        let mut terminal = Terminal::session(&["bash", "--norc", "--noprofile", "-i"]);
        terminal.type_in("PS1='pro''mpt> '; set -b\n");
        terminal.wait_for("prompt> ");
        let (job, init) = terminal.start_job(&program);
        // Those are pids in the terminal's namespace: find them out here.
        let (job, init) = (host_pid(job, "job"), host_pid(init, "--"));
        terminal.type_in("\x1a");
        wait_until("the app stopped", || proc_state(job) == Some('T'));
        if who.starts_with("real") {
            // Once tini has taken the stop's SIGCHLD, it has had its say.
            wait_until("tini to take the SIGCHLD", || {
                let pending = |field| status_mask(init, field).unwrap_or(0);
                pending("SigPnd") & chld == 0 && pending("ShdPnd") & chld == 0
            });
            assert_eq!(proc_state(init), Some('S'), "{who} stopped");
            send(job, libc::SIGCONT);
        } else {
            terminal.wait_for("Stopped");
            assert_eq!(proc_state(init), Some('T'), "{who}");
            terminal.wait_for("prompt> ");
            terminal.type_in("fg\n");
        }
        terminal.wait_for("continued");
        terminal.type_in("\x04");
        terminal.wait_for("prompt> ");
        terminal.type_in("echo status-$?\n");
        terminal.wait_for("status-7");
        terminal.type_in("exit 0\n");
        assert_eq!(terminal.exit_code(), Some(0), "{who}");
    }
}
