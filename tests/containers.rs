//! End-to-end tests under a real container engine: podman with runc, as root,
//! with the images `tests/common/podman.rs` builds.
//!
//! These tests never skip: if the engine cannot work on this machine, every
//! one of them fails and says why.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

/// `podman stop` timeout given in the tests: a graceful stop must end well
/// before the engine would resort to SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// What "well before" means; a graceful stop takes about two seconds here.
const GRACEFUL_STOP: Duration = Duration::from_secs(12);
/// Starts app.sh (and its writer daemon) with `podman run`, stops the
/// container with `podman stop`, and checks that the stop was graceful: the
/// app's handler ran, the drain let the writer finish, and the container
/// ended long before podman's SIGKILL.
fn check_graceful_stop(name: &str, options: &[&str], image: &str, command: &[&str]) {
    let data = engine().data_dir(name);
    let volume = format!("{}:/data", path_str(&data));
    let _cleanup = Cleanup::container(name);
    let mut args = vec!["run", "--rm", "--name", name, "--network", "none"];
    args.extend_from_slice(&["-v", &volume]);
    args.extend_from_slice(options);
    args.push(image);
    args.extend_from_slice(command);
    let mut run = Running::start(engine().podman(&args));
    run.expect_all(&["app ready", "writer ready"]);

    let timeout = STOP_TIMEOUT.as_secs().to_string();
    let started = Instant::now();
    podman_ok(&["stop", "--time", &timeout, name]);
    let took = started.elapsed();
    let done = run.finish();

    assert_eq!(done.code, 0, "the app exits 0 on SIGTERM: {done:?}");
    assert!(
        done.stdout.iter().any(|l| l == "app got TERM"),
        "the app's SIGTERM handler did not run: {done:?}"
    );
    assert!(
        took < GRACEFUL_STOP,
        "podman stop took {took:?} (SIGKILL comes at {STOP_TIMEOUT:?})"
    );
    let written = std::fs::read_to_string(data.join("out")).unwrap_or_default();
    assert_eq!(
        written,
        complete_output(),
        "the writer was not drained gracefully"
    );
}

/// The application: app.sh, writing /data/out through its writer daemon.
const APP: &[&str] = &["sh", "/e2e/app.sh", "/data/out"];

#[test]
fn static_binary_runs_in_an_empty_image() {
    let engine = engine();
    assert!(!needs_loader(&engine.rinit).unwrap());
    // The pause image is FROM scratch with /rinit alone.
    let out = podman_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/rinit",
        PAUSE_IMAGE,
        "--version",
    ]);
    assert!(out.starts_with("rinit "), "{out:?}");
}

#[test]
fn podman_run_mirrors_the_exit_status() {
    let run = |command: &[&str]| {
        let mut args = vec!["run", "--rm", "--network", "none", TEST_IMAGE];
        args.extend_from_slice(command);
        common::run(engine().podman(&args))
    };
    let done = run(&["sh", "-c", "tr '\\0' ' ' </proc/1/cmdline; echo; exit 3"]);
    assert_eq!(done.code, 3, "{done:?}");
    assert_eq!(
        done.stdout,
        ["/rinit -- sh -c tr '\\0' ' ' </proc/1/cmdline; echo; exit 3 "],
        "rinit is not PID 1"
    );

    let done = run(&["sh", "-c", "exit 0"]);
    assert_eq!(done.code, 0, "{done:?}");

    let done = run(&["sh", "-c", "kill -TERM $$"]);
    assert_eq!(done.code, 128 + libc::SIGTERM, "{done:?}");

    let done = run(&["no-such-command"]);
    assert_eq!(done.code, 127, "{done:?}");
    assert!(done.stderr.contains("rinit"), "{done:?}");
}

#[test]
fn podman_stop_is_graceful() {
    check_graceful_stop("rinit-e2e-stop", &[], TEST_IMAGE, APP);
}

#[test]
fn podman_init_path_runs_rinit_as_the_engines_init() {
    let rinit = path_str(&engine().rinit);
    let scripts = format!("{}:/e2e:ro", path_str(&fixtures()));
    let init = ["--init", "--init-path", rinit, "-v", &scripts];

    // The image has no rinit: podman mounts it as /run/podman-init.
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(&init);
    args.extend_from_slice(&[
        BASE_IMAGE,
        "sh",
        "-c",
        "test ! -e /rinit; tr '\\0' ' ' </proc/1/cmdline; echo; /run/podman-init --version; exit 7",
    ]);
    let done = common::run(engine().podman(&args));
    assert_eq!(done.code, 7, "{done:?}");
    assert_eq!(done.stdout.len(), 2, "{done:?}");
    assert!(
        done.stdout[0].starts_with("/run/podman-init -- sh -c test ! -e /rinit;"),
        "{done:?}"
    );
    assert!(done.stdout[1].starts_with("rinit "), "{done:?}");

    check_graceful_stop("rinit-e2e-init", &init, BASE_IMAGE, APP);
}

/// `docker run --init` mounts the init as /sbin/docker-init and runs
/// `/sbin/docker-init -- CMD`, passing no options. Under that name rinit is
/// rinit, with its own defaults, as under podman's `--init` (tests/docker.rs
/// runs the same under dockerd itself).
#[test]
fn as_docker_init_rinit_keeps_its_own_defaults() {
    let rinit = format!("{}:/sbin/docker-init:ro", path_str(&engine().rinit));
    let scripts = format!("{}:/e2e:ro", path_str(&fixtures()));
    let docker_init = [
        "-v",
        &rinit,
        "-v",
        &scripts,
        "--entrypoint",
        "/sbin/docker-init",
    ];
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(&docker_init);
    args.extend_from_slice(&[BASE_IMAGE, "--version"]);
    let version = podman_ok(&args);
    assert!(version.starts_with("rinit version "), "{version:?}");

    let mut command = vec!["--"];
    command.extend_from_slice(APP);
    check_graceful_stop("rinit-e2e-docker-init", &docker_init, BASE_IMAGE, &command);
}

fn podman_version() -> (u32, u32) {
    let version = podman_ok(&["version", "--format", "{{.Client.Version}}"]);
    let mut parts = version.trim().split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn kube_play_then_down_stops_the_pod_gracefully() {
    let yaml = fixtures().join("pod.yaml");
    let yaml = path_str(&yaml);
    let _cleanup = Cleanup::new(&[
        &["kube", "down", yaml],
        &["pod", "rm", "--force", "--time", "0", "rinit-demo"],
        &["volume", "rm", "--force", "rinit-demo-data"],
    ]);
    podman_ok(&["kube", "play", "--network", "none", yaml]);
    let mut logs = Running::start(engine().podman(&["logs", "--follow", "rinit-demo-app"]));
    logs.expect_all(&["app ready", "writer ready"]);

    let started = Instant::now();
    // Before podman 5.1, `kube down` SIGKILLs the pod at once (podman issue
    // #22397); `pod stop` first stops it the way Kubernetes does.
    let down_is_graceful = podman_version() >= (5, 1);
    if !down_is_graceful {
        podman_ok(&["pod", "stop", "rinit-demo"]);
        let codes = podman_ok(&[
            "ps",
            "--all",
            "--filter",
            "pod=rinit-demo",
            "--format",
            "{{.Image}} {{.ExitCode}}",
        ]);
        let mut codes: Vec<&str> = codes.lines().collect();
        codes.sort();
        assert_eq!(
            codes,
            [
                format!("{PAUSE_IMAGE}:latest 0"),
                format!("{TEST_IMAGE}:latest 0")
            ],
            "the app and the infra container (rinit --pause) exit 0"
        );
    }
    podman_ok(&["kube", "down", yaml]);
    let took = started.elapsed();
    let logs = logs.finish();

    assert!(
        logs.stdout.iter().any(|l| l == "app got TERM"),
        "the app's SIGTERM handler did not run: {logs:?}"
    );
    // Podman's stop timeout for the pod's containers is 10 s.
    assert!(took < Duration::from_secs(8), "stopping took {took:?}");
    let mountpoint = podman_ok(&[
        "volume",
        "inspect",
        "--format",
        "{{.Mountpoint}}",
        "rinit-demo-data",
    ]);
    let written =
        std::fs::read_to_string(Path::new(mountpoint.trim()).join("out")).unwrap_or_default();
    assert_eq!(
        written,
        complete_output(),
        "the writer was not drained gracefully"
    );
}

/// `--stop-delay` in the tests below, and how long slowstop.sh takes to stop
/// once its SIGTERM arrives.
const STOP_DELAY: Duration = Duration::from_secs(3);
const APP_STOP: Duration = Duration::from_millis(500);

/// The host's uptime in seconds: the clock slowstop.sh reports in (in
/// hundredths of a second).
fn uptime() -> f64 {
    let text = std::fs::read_to_string("/proc/uptime").expect("/proc/uptime");
    text.split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .expect("an uptime")
}

fn unix_nanos() -> i128 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    since.as_nanos() as i128
}

/// When podman saw the container's PID 1 exit, and with what code.
fn ended(container: &str) -> (i128, i32) {
    let out = podman_ok(&[
        "inspect",
        "--format",
        "{{.State.FinishedAt.UnixNano}} {{.State.ExitCode}}",
        container,
    ]);
    let mut fields = out.split_whitespace();
    let mut next = || fields.next().unwrap_or_else(|| panic!("{out:?}"));
    let finished = next().parse().unwrap_or_else(|_| panic!("{out:?}"));
    let code = next().parse().unwrap_or_else(|_| panic!("{out:?}"));
    (finished, code)
}

/// The app's SIGTERM arrived at least STOP_DELAY after the stop began (on
/// the app's own reading of the clock), and the container was gone within
/// STOP_DELAY + APP_STOP + 1 s.
fn check_delayed_stop(lines: &[String], stop_uptime: f64, stop_nanos: i128, finished_nanos: i128) {
    let arrival: f64 = lines
        .iter()
        .find_map(|l| l.strip_prefix("app got TERM at "))
        .unwrap_or_else(|| panic!("the app's SIGTERM handler did not run: {lines:?}"))
        .parse()
        .expect("an uptime");
    let held = arrival - stop_uptime;
    // /proc/uptime counts hundredths: a reading may be up to one short.
    assert!(
        held >= STOP_DELAY.as_secs_f64() - 0.01,
        "SIGTERM reached the app {held:.2} s after the stop, not after {STOP_DELAY:?}"
    );
    let gone = Duration::from_nanos((finished_nanos - stop_nanos).max(0) as u64);
    let budget = STOP_DELAY + APP_STOP + Duration::from_secs(1);
    eprintln!("SIGTERM held {held:.2} s; the container gone after {gone:?} (budget {budget:?})");
    assert!(
        gone <= budget,
        "the container was gone {gone:?} after the stop, over {budget:?} (SIGTERM held {held:.2} s)"
    );
}

/// `podman stop -t 15` on slowstop.sh under `rinit --stop-delay 3s`: the app
/// keeps running for the delay, then stops, long before podman's SIGKILL.
#[test]
fn podman_stop_waits_out_the_stop_delay() {
    let name = "rinit-e2e-stop-delay";
    let _cleanup = Cleanup::container(name);
    let mut run = Running::start(engine().podman(&[
        "run",
        "--name",
        name,
        "--network",
        "none",
        "--entrypoint",
        r#"["/rinit", "--stop-delay", "3s", "--"]"#,
        TEST_IMAGE,
        "sh",
        "/e2e/slowstop.sh",
    ]));
    run.expect("app ready");
    let (stop_uptime, stop_nanos) = (uptime(), unix_nanos());
    podman_ok(&["stop", "--time", "15", name]);
    let done = run.finish();
    let (finished, code) = ended(name);
    assert_eq!((done.code, code), (0, 0), "{done:?}");
    check_delayed_stop(&done.stdout, stop_uptime, stop_nanos, finished);
}

/// The same through `podman kube play`, with RINIT_STOP_DELAY (and
/// RINIT_STOP_SUCCESS) set in the Pod manifest.
#[test]
fn kube_play_with_rinit_stop_delay_in_the_manifest() {
    let yaml = fixtures().join("pod-stop-delay.yaml");
    let yaml = path_str(&yaml);
    let (pod, app) = ("rinit-stop-delay", "rinit-stop-delay-app");
    let _cleanup = Cleanup::new(&[
        &["kube", "down", yaml],
        &["pod", "rm", "--force", "--time", "0", pod],
    ]);
    podman_ok(&["kube", "play", "--network", "none", yaml]);
    let mut logs = Running::start(engine().podman(&["logs", "--follow", app]));
    logs.expect("app ready");
    let (stop_uptime, stop_nanos) = (uptime(), unix_nanos());
    // Before podman 5.1, `kube down` SIGKILLs at once (podman issue #22397):
    // stop the pod first, as Kubernetes does.
    podman_ok(&["pod", "stop", "--time", "15", pod]);
    let (finished, code) = ended(app);
    podman_ok(&["kube", "down", yaml]);
    let logs = logs.finish();
    assert_eq!(code, 0, "{logs:?}");
    check_delayed_stop(&logs.stdout, stop_uptime, stop_nanos, finished);
}

/// `podman run` of a container named `name`, its stdin open, no network.
fn interactive(name: &str) -> Vec<&str> {
    vec![
        "run",
        "--rm",
        "--interactive",
        "--name",
        name,
        "--network",
        "none",
    ]
}

#[test]
fn zombies_are_reaped_in_a_container() {
    const ORPHANS: usize = 20;
    let name = "rinit-e2e-zombies";
    let _cleanup = Cleanup::container(name);
    let count = ORPHANS.to_string();
    let mut args = interactive(name);
    args.extend_from_slice(&[
        "--env",
        "RINIT_WARN_ON_REAP=1",
        TEST_IMAGE,
        "sh",
        "/e2e/orphans.sh",
        &count,
    ]);
    let podman = engine().podman(&args);
    let mut run = Running::start(merged(&podman));
    run.expect(&format!("adopted {ORPHANS}"));
    // rinit says so for every orphan it reaps (RINIT_WARN_ON_REAP).
    while reaped_count(&run.seen) < ORPHANS {
        run.expect_line("about a reaped orphan", |l| l.contains("reaped"));
    }
    let pid: i32 = podman_ok(&["inspect", "--format", "{{.State.Pid}}", name])
        .trim()
        .parse()
        .expect("the container's pid");
    // Every orphan was rinit's to reap; a child of the app's shell is the
    // shell's, which may take a moment: no zombie stays for good.
    wait_until("no zombie in the container", || {
        descendants(pid).1.is_empty()
    });
    assert!(
        !descendants(pid).0.is_empty(),
        "the app's shell runs below pid {pid}"
    );

    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stdout.iter().any(|l| l == "stdin closed"), "{done:?}");
    assert_eq!(reaped_count(&done.stdout), ORPHANS, "{done:?}");
}

/// rinit's warnings about reaped processes (RINIT_WARN_ON_REAP).
fn reaped_count(lines: &[String]) -> usize {
    lines.iter().filter(|l| l.contains("reaped")).count()
}

/// A `podman run -it` session driven from a pseudo-terminal, as a user at a
/// shell would: Ctrl-C there must reach the app.
#[test]
fn ctrl_c_on_a_tty_reaches_the_app() {
    let name = "rinit-e2e-tty";
    let _cleanup = Cleanup::container(name);
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let mut args = interactive(name);
    args.extend_from_slice(&["--tty", TEST_IMAGE, "sh", "/e2e/ctrlc.sh"]);
    let mut cmd = engine().podman(&args);
    let terminal = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup the terminal"));
    cmd.stdin(terminal(&pty.slave))
        .stdout(terminal(&pty.slave))
        .stderr(terminal(&pty.slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // The terminal becomes podman's controlling terminal.
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut podman = cmd.spawn().expect("start podman");
    drop(cmd);
    drop(pty.slave);

    let mut keyboard = std::fs::File::from(pty.master.try_clone().expect("dup the terminal"));
    let (line_tx, lines) = channel();
    let screen = std::fs::File::from(pty.master);
    std::thread::spawn(move || {
        // Ends with EIO once podman has closed the terminal.
        for line in BufReader::new(screen).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let (exit_tx, exited) = channel::<ExitStatus>();
    let podman_pid = podman.id() as i32;
    std::thread::spawn(move || {
        let status = podman.wait().expect("wait for podman");
        let _ = exit_tx.send(status);
    });
    let mut seen = Vec::new();
    let mut expect = |wanted: &str| loop {
        match lines.recv_timeout(SAFETY_NET) {
            Ok(line) => {
                let found = line.contains(wanted);
                seen.push(line);
                if found {
                    return;
                }
            }
            Err(e) => {
                // SAFETY: kill takes plain integers.
                unsafe { libc::kill(podman_pid, libc::SIGKILL) };
                panic!("no line {wanted:?} on the terminal ({e}); seen {seen:?}");
            }
        }
    };
    expect("app ready");
    keyboard.write_all(b"\x03").expect("type Ctrl-C");
    expect("app got INT");
    let status = exited.recv_timeout(SAFETY_NET).unwrap_or_else(|_| {
        // SAFETY: as above.
        unsafe { libc::kill(podman_pid, libc::SIGKILL) };
        panic!("podman run -it did not end after Ctrl-C")
    });
    assert_eq!(status.code(), Some(7), "{status:?}");
}

/// A Dockerfile without its comments and without runs of blank lines.
fn dockerfile_code(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if !(line.is_empty() && (code.is_empty() || code.ends_with("\n\n"))) {
            code.push_str(line);
            code.push('\n');
        }
    }
    code.trim_end().to_owned()
}

/// The docs show the test image and the Pod manifests exactly as these
/// tests use them: the README the Pod a user copies, docs/containers.md
/// `Dockerfile.test` and the Pod with a stop delay.
#[test]
fn the_docs_show_the_tested_examples() {
    let read = |name: &str| std::fs::read_to_string(repo().join(name)).unwrap();
    let containers = "docs/containers.md";
    let dockerfile = read("Dockerfile.test");
    assert!(
        code_blocks(&read(containers), "dockerfile")
            .iter()
            .any(|block| dockerfile_code(block) == dockerfile_code(&dockerfile)),
        "{containers} does not show Dockerfile.test as it is:\n{}",
        dockerfile_code(&dockerfile)
    );
    for (doc, manifest) in [
        ("README.md", "pod.yaml"),
        (containers, "pod-stop-delay.yaml"),
    ] {
        let pod = std::fs::read_to_string(fixtures().join(manifest)).unwrap();
        assert!(
            code_blocks(&read(doc), "yaml").contains(&pod),
            "{doc} does not show tests/containers/{manifest} as it is"
        );
    }
}

/// The README's first Dockerfile, the one a user copies, built as shown
/// (with the local busybox image in its `FROM` line, as there is no
/// registry here) and run without a command: its `CMD` runs under rinit as
/// PID 1, and the exit code the README promises comes out.
#[test]
fn the_readme_dockerfile_builds_and_runs() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let shown = code_blocks(&readme, "dockerfile")
        .into_iter()
        .next()
        .expect("README.md shows no Dockerfile");
    let mut lines: Vec<String> = shown.lines().map(str::to_owned).collect();
    let from = lines
        .iter_mut()
        .find(|line| line.starts_with("FROM "))
        .expect("the README's Dockerfile has no FROM line");
    *from = format!("FROM {BASE_IMAGE}");
    assert!(
        lines.iter().any(|l| l == r#"ENTRYPOINT ["/rinit", "--"]"#),
        "the README's Dockerfile does not make rinit the entrypoint:\n{shown}"
    );
    let engine = engine();
    let file = engine.state.join("readme.Containerfile");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let image = "localhost/rinit-readme";
    let context = engine.state.join("context");
    podman_ok(&[
        "build",
        "--quiet",
        "-f",
        path_str(&file),
        "-t",
        image,
        path_str(&context),
    ]);
    let done = common::run(engine.podman(&["run", "--rm", "--network", "none", image]));
    assert_eq!(done.code, 3, "{done:?}");
    assert_eq!(done.stdout, ["hello from the child"], "{done:?}");
    let done = common::run(engine.podman(&[
        "run",
        "--rm",
        "--network",
        "none",
        image,
        "sh",
        "-c",
        "tr '\\0' ' ' </proc/1/cmdline; echo",
    ]));
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(
        done.stdout,
        ["/rinit -- sh -c tr '\\0' ' ' </proc/1/cmdline; echo "],
        "rinit is not PID 1"
    );
}

/// A process started with `podman exec` is not rinit's child (its parent is
/// outside the container), but it is in the container and must be drained:
/// when the main process exits on `podman stop`, the exec'd writer gets
/// SIGTERM and rinit waits for it to finish its file.
#[test]
fn podman_exec_processes_are_drained_too() {
    let name = "rinit-e2e-exec";
    let data = engine().data_dir(name);
    let volume = format!("{}:/data", path_str(&data));
    let _cleanup = Cleanup::container(name);
    let main = "trap 'exit 0' TERM; echo main ready; while :; do sleep 1000 & wait $!; done";
    let mut run = Running::start(engine().podman(&[
        "run",
        "--rm",
        "--name",
        name,
        "--network",
        "none",
        "-v",
        &volume,
        TEST_IMAGE,
        "sh",
        "-c",
        main,
    ]));
    run.expect("main ready");
    let mut exec =
        Running::start(engine().podman(&["exec", name, "sh", "/e2e/writer.sh", "/data/out"]));
    exec.expect("writer ready");
    let timeout = STOP_TIMEOUT.as_secs().to_string();
    let started = Instant::now();
    podman_ok(&["stop", "--time", &timeout, name]);
    let took = started.elapsed();
    let done = run.finish();
    let _ = exec.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(
        took < GRACEFUL_STOP,
        "podman stop took {took:?} (SIGKILL comes at {STOP_TIMEOUT:?})"
    );
    let written = std::fs::read_to_string(data.join("out")).unwrap_or_default();
    assert_eq!(
        written,
        complete_output(),
        "the exec'd writer was not drained gracefully"
    );
}

// ---- Why things died (issue 13) ------------------------------------------------
//
// Podman here puts a container started with `--memory` under cgroup v1's
// memory controller (hybrid layout); rinit reads its `oom_kill` counter.
// `tail /dev/zero` looks for the end of a line that never comes, holding
// all it read: it grows until the OOM killer ends it. Swap is off for the
// container (`--memory-swap` equal to `--memory`), so that happens at once.

/// The options of a container whose memory is limited to 64 MiB.
const SMALL_MEMORY: &[&str] = &["--memory", "64m", "--memory-swap", "64m"];

#[test]
fn forensics_an_oom_killed_worker_is_named() {
    let name = "rinit-e2e-oom-worker";
    let _cleanup = Cleanup::container(name);
    let mut args = interactive(name);
    args.extend_from_slice(SMALL_MEMORY);
    // The subshell leaves `tail` to rinit: an orphan, which rinit reaps.
    args.extend_from_slice(&[
        TEST_IMAGE,
        "sh",
        "-c",
        "(tail /dev/zero &); echo started; cat >/dev/null; echo 'stdin closed'",
    ]);
    let mut run = Running::start(merged(&engine().podman(&args)));
    run.expect("started");
    let line = run.expect_line("about the OOM kill", |l| l.contains("OOM"));
    assert!(
        line.starts_with("rinit: warn: 'tail' (pid ")
            && line.ends_with(") was killed by the OOM killer (SIGKILL, memory limit 64 MiB)"),
        "{line}"
    );
    // The main process lives on, and ends as it likes.
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
    assert!(done.stdout.iter().any(|l| l == "stdin closed"), "{done:?}");
}

/// A worker reaped by its own parent never reaches rinit; the counter read
/// when the main process ends still shows the kill.
#[test]
fn forensics_an_oom_kill_rinit_did_not_reap_is_told_at_the_end() {
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(SMALL_MEMORY);
    args.extend_from_slice(&[TEST_IMAGE, "sh", "-c", "tail /dev/zero; exit 1"]);
    let done = common::run(engine().podman(&args));
    assert_eq!(done.code, 1, "{done:?}");
    assert!(
        done.stderr.contains("rinit: warn: 'sh' (pid ")
            && done.stderr.contains(") exited with status 1 after ")
            && done.stderr.contains(
                "; the OOM killer killed 1 other process in the container meanwhile (memory limit 64 MiB)"
            ),
        "{done:?}"
    );
}

#[test]
fn forensics_an_oom_killed_main_process_says_so_and_exits_137() {
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(SMALL_MEMORY);
    args.extend_from_slice(&[TEST_IMAGE, "tail", "/dev/zero"]);
    let done = common::run(engine().podman(&args));
    assert_eq!(done.code, 137, "{done:?}");
    let lines: Vec<&str> = done.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{done:?}");
    assert!(
        lines[0].starts_with("rinit: warn: 'tail' (pid ")
            && lines[0]
                .contains(") was killed by the OOM killer (SIGKILL, memory limit 64 MiB) after "),
        "{done:?}"
    );
}

/// Whether podman here puts containers on cgroup v2.
fn cgroup_v2() -> bool {
    podman_ok(&["info", "--format", "{{.Host.CgroupsVersion}}"]).trim() == "v2"
}

/// Issue 24: a worker reaped by its own parent (the subshell) is OOM-killed
/// while the main process carries on. rinit says so while the main process
/// still waits for its input: the test gives that input only once it saw
/// rinit's line, so the main process's next line comes after it.
///
/// On cgroup v1 the usage notification is registered by writing
/// `cgroup.event_control`, which engines mount read-only: only a privileged
/// container (read-write cgroups) hears it live; an ordinary one is told at
/// the end (`forensics_an_oom_kill_rinit_did_not_reap_is_told_at_the_end`).
#[test]
fn forensics_an_oom_kill_is_told_while_the_main_process_runs() {
    let name = "rinit-e2e-live-oom";
    let _cleanup = Cleanup::container(name);
    let mut args = interactive(name);
    if !cgroup_v2() {
        args.push("--privileged");
    }
    args.extend_from_slice(SMALL_MEMORY);
    args.extend_from_slice(&[
        TEST_IMAGE,
        "sh",
        "-c",
        "(head -c 300000000 /dev/zero | tail); read -r _; echo next",
    ]);
    let mut run = Running::start(merged(&engine().podman(&args)));
    let line = run.expect_line("about the OOM kill", |l| l.contains("OOM"));
    assert_eq!(
        line,
        "rinit: warn: a process was killed by the OOM killer (SIGKILL, memory limit 64 MiB)"
    );
    run.close_stdin();
    run.expect("next");
    let done = run.finish();
    assert_eq!(done.code, 0, "{done:?}");
}

/// Issue 24: `--pids-limit 20` and a shell that forks until refused. rinit
/// names the limit: on cgroup v2 as the kernel notifies it, while the main
/// process waits for its input; on v1 (this machine's podman), whose
/// `pids.events` raises no event, when the main process fails.
#[test]
fn forensics_fork_refusals_name_the_limit() {
    let name = "rinit-e2e-pids";
    let _cleanup = Cleanup::container(name);
    let v2 = cgroup_v2();
    let mut args = interactive(name);
    args.extend_from_slice(&["--pids-limit", "20"]);
    args.extend_from_slice(&[
        TEST_IMAGE,
        "sh",
        "-c",
        "(i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); done) 2>/dev/null; echo refused; read -r _; exit 1",
    ]);
    let mut run = Running::start(merged(&engine().podman(&args)));
    let limit_line = |l: &str| {
        l.starts_with("rinit: warn: the process limit refused ")
            && l.contains(" of 20 pids in use)")
    };
    if v2 {
        run.expect_line("about the process limit", limit_line);
    } else {
        run.expect("refused");
    }
    run.close_stdin();
    let done = run.finish();
    assert_eq!(done.code, 1, "{done:?}");
    let told = done.stdout.iter().filter(|l| limit_line(l)).count();
    assert_eq!(told, 1, "{done:?}");
}

/// Kubernetes mounts a file at /dev/termination-log; here a bind mount
/// does the same.
#[test]
fn forensics_the_termination_log_gets_the_reason_of_a_crash() {
    let data = engine().data_dir("termination-log");
    let file = data.join("termination-log");
    let mount = format!("{}:/dev/termination-log", path_str(&file));
    let run_with_log = |script: &str| {
        std::fs::write(&file, "").unwrap();
        common::run(engine().podman(&[
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            &mount,
            TEST_IMAGE,
            "sh",
            "-c",
            script,
        ]))
    };
    let done = run_with_log("kill -SEGV $$");
    assert_eq!(done.code, 139, "{done:?}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.starts_with("'sh' (pid ")
            && written.contains(") was killed by SIGSEGV")
            && written.ends_with('\n')
            && written.lines().count() == 1,
        "{written:?}"
    );

    // The app's own message is kept.
    let done = run_with_log("echo 'config missing' >/dev/termination-log; exit 3");
    assert_eq!(done.code, 3, "{done:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "config missing\n");

    // A success writes nothing.
    let done = run_with_log("exit 0");
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "");
}

/// A podman secret (file driver) reaches the app as a variable through
/// `DB_PASSWORD_FILE`, with rinit as the entrypoint and no shell between
/// it and the app: the README's Secrets section, under a real engine.
#[test]
fn a_secret_file_becomes_a_variable_without_a_shell() {
    let secret_name = format!("rinit-e2e-db-password-{}", std::process::id());
    let source = engine().data_dir("secret").join("db_password.txt");
    std::fs::write(&source, "s3cret value\n").expect("write the secret");
    podman_ok(&["secret", "create", &secret_name, path_str(&source)]);
    let _cleanup = Cleanup::new(&[&["secret", "rm", &secret_name]]);
    let target = format!("/run/secrets/{secret_name}");
    let variable = format!("DB_PASSWORD_FILE={target}");
    let output = podman_ok(&[
        "run",
        "--rm",
        "--secret",
        &secret_name,
        "--env",
        &variable,
        "--entrypoint",
        r#"["/rinit", "--env-from-files", "--"]"#,
        TEST_IMAGE,
        "env",
    ]);
    let mut lines: Vec<&str> = output
        .lines()
        .filter(|line| line.starts_with("DB_PASSWORD"))
        .collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        ["DB_PASSWORD=s3cret value", variable.as_str()],
        "{output}"
    );
}

/// The README's HEALTHCHECK line under podman: rinit probing busybox httpd
/// is healthy while httpd serves, unhealthy once it is gone.
#[test]
fn a_rinit_probe_healthcheck_follows_the_app() {
    let name = format!("rinit-e2e-health-{}", std::process::id());
    let _cleanup = Cleanup::container(&name);
    // httpd's end leaves a file behind, for rinit's gate to wait on.
    let app = "mkdir -p /www && echo ok > /www/index.html && \
               (httpd -f -p 127.0.0.1:8080 -h /www; touch /tmp/httpd-gone) & exec sleep 600";
    podman_ok(&[
        "run",
        "--detach",
        "--name",
        &name,
        "--health-cmd",
        r#"["/rinit", "--probe", "http://127.0.0.1:8080/"]"#,
        "--health-interval",
        "disable",
        TEST_IMAGE,
        "sh",
        "-c",
        app,
    ]);
    // rinit's own gate waits until httpd answers: no polling here.
    podman_ok(&[
        "exec",
        &name,
        "/rinit",
        "--wait-for",
        "http://127.0.0.1:8080/",
        "--wait-timeout",
        "30s",
        "--",
        "true",
    ]);
    podman_ok(&["healthcheck", "run", &name]);
    podman_ok(&["exec", &name, "killall", "httpd"]);
    // killall returns once the signal is sent: wait until httpd is gone.
    podman_ok(&[
        "exec",
        &name,
        "/rinit",
        "--wait-for",
        "file:/tmp/httpd-gone",
        "--wait-timeout",
        "30s",
        "--",
        "true",
    ]);
    let unhealthy = output_of(engine().podman(&["healthcheck", "run", &name]));
    let error = unhealthy.expect_err("healthy after httpd was killed");
    assert!(error.contains("unhealthy"), "{error}");
}

/// `podman run --sdnotify=container` with `--ready-when`: conmon relays
/// rinit's READY=1 to the NOTIFY_SOCKET podman was given (bound here).
#[test]
fn ready_when_under_podman_sdnotify_reaches_the_host() {
    let name = format!("rinit-e2e-notify-{}", std::process::id());
    let _cleanup = Cleanup::container(&name);
    let dir = engine().data_dir("notify");
    let socket_path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&socket_path);
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(SAFETY_NET)).unwrap();
    let mut cmd = engine().podman(&[
        "run",
        "--detach",
        "--name",
        &name,
        "--sdnotify=container",
        "--entrypoint",
        r#"["/rinit", "--ready-when", "file:/tmp/ready", "--"]"#,
        TEST_IMAGE,
        "sh",
        "-c",
        "touch /tmp/ready; exec sleep 600",
    ]);
    cmd.env("NOTIFY_SOCKET", &socket_path);
    output_of(cmd).unwrap_or_else(|e| panic!("{e}"));
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen
        .iter()
        .any(|m: &String| m.lines().any(|l| l == "READY=1"))
    {
        let n = socket
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no READY=1 within the safety net ({e}); got {seen:?}"));
        seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
}
