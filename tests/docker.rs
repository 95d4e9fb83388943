//! `docker run --init` end to end, under a real dockerd (Debian's
//! `docker.io`, as root).
//!
//! The tests start a dockerd of their own, beside any other on the machine:
//! its own data root, exec root, socket and containerd namespace, no
//! iptables and no bridge, and the README's `daemon.json` with `init-path`
//! at the static musl build of rinit. No registry is needed: the image is a
//! busybox root file system made here and loaded with `docker import`. The
//! daemon gets SIGTERM when the tests end (an `atexit` hook), and also if
//! the test program dies without running it (its parent-death signal).
//!
//! If dockerd cannot start at all here (not installed, or refused by the
//! machine), each test says so and passes without checking anything; any
//! later failure fails the test.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The image the tests run: static busybox, and the workload scripts of
/// `tests/containers/` at `/e2e` (the name tests/docker/compose.yaml uses).
const IMAGE: &str = "rinit-docker-busybox";
/// Docker's own default for `docker stop`: SIGKILL after 10 s.
const DOCKER_STOP_DEFAULT: Duration = Duration::from_secs(10);
/// The safety net of every wait on dockerd's log.
const LOG_WAIT: Duration = Duration::from_secs(60);

/// A dockerd of the tests' own, running, with the image loaded.
struct Daemon {
    /// Data root, client configuration, the image's root file system, and
    /// the containers' data directories.
    state: PathBuf,
    socket: PathBuf,
    /// The docker client that came with dockerd.
    client: PathBuf,
    rinit: PathBuf,
    log: Arc<Log>,
}

/// dockerd's log, line by line, as it arrives.
#[derive(Default)]
struct Log {
    lines: Mutex<(Vec<String>, bool)>,
    changed: Condvar,
}

impl Log {
    /// Waits for a line satisfying `wanted`; `Err` with the log so far if
    /// the log ends or the safety net passes first.
    fn wait_for(&self, wanted: impl Fn(&str) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + LOG_WAIT;
        let mut guard = self.lines.lock().unwrap();
        loop {
            if guard.0.iter().any(|l| wanted(l)) {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if guard.1 || left.is_zero() {
                let how = if guard.1 {
                    "dockerd exited"
                } else {
                    "timed out"
                };
                return Err(format!("{how}; its log:\n{}", guard.0.join("\n")));
            }
            guard = self.changed.wait_timeout(guard, left).unwrap().0;
        }
    }

    fn snapshot(&self) -> Vec<String> {
        self.lines.lock().unwrap().0.clone()
    }
}

/// Why the daemon is not there: it could not start at all (the tests pass
/// without checking), or the set-up around it failed (they fail).
enum Unavailable {
    CannotStart(String),
    Broken(String),
}

static DAEMON: OnceLock<Result<Daemon, Unavailable>> = OnceLock::new();
/// dockerd's pid, for the `atexit` hook.
static DOCKERD: AtomicI32 = AtomicI32::new(0);

/// The daemon, started by the first test that asks; `None` (after saying
/// why) when dockerd cannot start on this machine.
fn daemon() -> Option<&'static Daemon> {
    match DAEMON.get_or_init(Daemon::set_up) {
        Ok(daemon) => Some(daemon),
        Err(Unavailable::CannotStart(why)) => {
            eprintln!("SKIPPED: dockerd cannot start on this machine: {why}");
            None
        }
        Err(Unavailable::Broken(why)) => panic!("the Docker tests cannot be set up: {why}"),
    }
}

impl Daemon {
    fn set_up() -> Result<Daemon, Unavailable> {
        use Unavailable::*;
        let Some(dockerd) = find_program("dockerd") else {
            return Err(CannotStart(
                "no dockerd on PATH (scripts/setup installs docker.io)".into(),
            ));
        };
        let client = ["/usr/bin/docker", "/usr/local/bin/docker"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or_else(|| Broken("dockerd is installed but no docker client".into()))?;
        let rinit = build_static_rinit().map_err(Broken)?;
        sweep_dead_runs();
        let state = run_state();
        // Sockets have a short path limit: the exec root lives in /run.
        let exec_root = PathBuf::from(format!("/run/rinit-docker-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&exec_root);
        for dir in [&state, &exec_root] {
            std::fs::create_dir_all(dir).map_err(|e| Broken(format!("{}: {e}", dir.display())))?;
        }
        let config = state.join("daemon.json");
        std::fs::write(&config, readme_daemon_json(&rinit)).map_err(|e| Broken(e.to_string()))?;
        let socket = exec_root.join("docker.sock");
        let namespace = format!("rinit-tests-{}", std::process::id());

        let mut cmd = Command::new(&dockerd);
        cmd.arg("--config-file")
            .arg(&config)
            .arg("--data-root")
            .arg(state.join("data"))
            .arg("--exec-root")
            .arg(&exec_root)
            .arg("--pidfile")
            .arg(exec_root.join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .args([
                "--iptables=false",
                "--bridge=none",
                "--shutdown-timeout",
                "2",
            ])
            .args(["--containerd-namespace", &namespace])
            .arg("--containerd-plugins-namespace")
            .arg(format!("{namespace}-plugins"))
            // Each API call is logged ("Calling GET ..."): the tests wait on
            // those lines to know what dockerd has done.
            .arg("--debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: prctl with plain integers, in the child before exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let log = Arc::new(Log::default());
        let started =
            start_from_a_thread_that_stays(cmd, Arc::clone(&log), state.join("dockerd.log"))
                .map_err(CannotStart)?;
        DOCKERD.store(started, Ordering::SeqCst);
        // SAFETY: registers a plain function; it runs when the tests end.
        unsafe { libc::atexit(stop_dockerd) };
        log.wait_for(|l| l.contains("API listen on"))
            .map_err(CannotStart)?;

        let daemon = Daemon {
            state,
            socket,
            client,
            rinit,
            log,
        };
        daemon.import_image().map_err(Broken)?;
        Ok(daemon)
    }

    /// The docker client, talking to this daemon only.
    fn docker(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.client);
        cmd.env("DOCKER_CONFIG", self.state.join("client"))
            .arg("-H")
            .arg(format!("unix://{}", self.socket.display()))
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the docker client; panics with its output unless it succeeds.
    fn ok(&self, args: &[&str]) -> String {
        output_of(self.docker(args)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A fresh directory for one container's /data.
    fn data_dir(&self, name: &str) -> PathBuf {
        let dir = self.state.join("volumes").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `docker import` of a tar of a root file system: busybox, its
    /// applets, the workload scripts at /e2e, and a /tmp.
    fn import_image(&self) -> Result<(), String> {
        let busybox = find_static_busybox()?;
        let root = self.state.join("rootfs");
        let _ = std::fs::remove_dir_all(&root);
        let e2e = root.join("e2e");
        for dir in [root.join("bin"), root.join("tmp"), e2e.clone()] {
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&busybox, root.join("bin/busybox")).map_err(|e| e.to_string())?;
        let applets = output_of({
            let mut cmd = Command::new(&busybox);
            cmd.arg("--list");
            cmd
        })?;
        for applet in applets.lines().filter(|a| *a != "busybox") {
            std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
                .map_err(|e| format!("{applet}: {e}"))?;
        }
        for entry in
            std::fs::read_dir(repo().join("tests/containers")).map_err(|e| e.to_string())?
        {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|ext| ext == "sh") {
                std::fs::copy(&path, e2e.join(path.file_name().unwrap()))
                    .map_err(|e| e.to_string())?;
            }
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))
            .map_err(|e| e.to_string())?;

        let archive = self.state.join("rootfs.tar");
        output_of({
            let mut tar = Command::new("tar");
            tar.arg("-C").arg(&root).arg("-cf").arg(&archive).arg(".");
            tar
        })?;
        output_of(self.docker(&["import", path_str(&archive), IMAGE]))?;
        Ok(())
    }

    /// Waits until dockerd has logged the API call whose path contains
    /// `path`: what it logged before answering an earlier call is then in
    /// the log.
    fn wait_for_call(&self, path: &str) {
        self.log
            .wait_for(|l| l.contains("Calling ") && l.contains(path))
            .unwrap_or_else(|e| panic!("dockerd never logged a call to {path}: {e}"));
    }
}

/// Spawns `cmd` from a thread that never ends, so that the parent-death
/// signal (tied to the thread that forked) comes only when the whole test
/// program goes. Its stderr feeds `log` and a file. Returns its pid.
fn start_from_a_thread_that_stays(
    mut cmd: Command,
    log: Arc<Log>,
    file: PathBuf,
) -> Result<i32, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = tx.send(Err(format!("cannot run {cmd:?}: {e}")));
                return;
            }
        };
        let _ = tx.send(Ok(child.id() as i32));
        let mut copy = std::fs::File::create(&file).ok();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            if let Some(copy) = copy.as_mut() {
                let _ = writeln!(copy, "{line}");
            }
            log.lines.lock().unwrap().0.push(line);
            log.changed.notify_all();
        }
        log.lines.lock().unwrap().1 = true;
        log.changed.notify_all();
        // dockerd is reaped by `stop_dockerd`; this thread stays, as the
        // parent of record.
        loop {
            std::thread::park();
        }
    });
    rx.recv().map_err(|e| e.to_string())?
}

/// The `atexit` hook: SIGTERM to dockerd (it stops its containers and its
/// containerd), and wait for it, SIGKILL past a safety net.
extern "C" fn stop_dockerd() {
    let pid = DOCKERD.load(Ordering::SeqCst);
    if pid <= 0 {
        return;
    }
    // SAFETY: kill takes plain integers.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    if let Some(fd) = pidfd(pid) {
        use std::os::fd::AsFd;
        if !poll_fd(fd.as_fd(), libc::POLLIN, Duration::from_secs(30)) {
            // SAFETY: kill takes plain integers.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    let _ = std::fs::remove_dir_all(format!("/run/rinit-docker-{}", std::process::id()));
    remove_unless_mounted(&run_state());
}

/// This run's directory: data root, client configuration, root file system.
fn run_state() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rinit-docker-{}", std::process::id()))
}

/// Removes what earlier runs left (a test program killed before its
/// `atexit` hook ran; its dockerd ended with it, by its parent-death signal).
fn sweep_dead_runs() {
    for parent in [Path::new(env!("CARGO_TARGET_TMPDIR")), Path::new("/run")] {
        let Ok(entries) = std::fs::read_dir(parent) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix("rinit-docker-"))
                .and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                remove_unless_mounted(&entry.path());
            }
        }
    }
}

/// Removes a directory unless something is still mounted below it.
fn remove_unless_mounted(dir: &Path) {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let below = format!("{}/", dir.display());
    if !mounts.lines().any(|line| line.contains(&below)) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.exists())
}

/// The README's `daemon.json` for Docker, with `init-path` pointing at the
/// binary under test: the set-up a user copies is the one tested.
fn readme_daemon_json(rinit: &Path) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let block = code_blocks(&readme, "json")
        .into_iter()
        .find(|b| b.contains("\"init-path\""))
        .expect("README.md shows no daemon.json with \"init-path\"");
    let shown = "\"/usr/local/bin/rinit\"";
    assert!(block.contains(shown), "README's daemon.json: {block}");
    block.replace(shown, &format!("\"{}\"", path_str(rinit)))
}

/// Removes a container when the test ends, passed or not.
struct Container<'a> {
    daemon: &'a Daemon,
    name: String,
}

impl<'a> Container<'a> {
    fn new(daemon: &'a Daemon, name: &str) -> Container<'a> {
        Container {
            daemon,
            name: name.to_owned(),
        }
    }

    /// `docker logs --follow`: the container's stdout and stderr as they
    /// come.
    fn follow_logs(&self) -> Running {
        Running::start(self.daemon.docker(&["logs", "--follow", &self.name]))
    }

    fn exit_code(&self) -> i32 {
        let code = self.daemon.ok(&["wait", &self.name]);
        code.trim()
            .parse()
            .unwrap_or_else(|_| panic!("docker wait: {code:?}"))
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self
            .daemon
            .docker(&["rm", "--force", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// An app whose SIGTERM handler exits 0 at once; it says "app ready", and
/// says when USR1 reaches it.
const APP: &str = "trap 'echo app got TERM; exit 0' TERM; trap 'echo app got USR1' USR1; \
                   echo app ready; while :; do sleep 1000 & wait $!; done";

/// `docker run --init` options every test uses: the README's command, with
/// no network (this daemon has no bridge).
fn run_args<'a>(name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", "--init", "--network", "none", "--name", name];
    args.extend_from_slice(extra);
    args
}

// ---- The tests ---------------------------------------------------------------

/// dockerd runs the init at its host path with `--version` and shows the
/// commit it finds after ` - git.`; a line it cannot parse is a warning in
/// its log on every `docker info`.
#[test]
fn docker_info_shows_rinits_commit_and_dockerd_logs_no_warning() {
    let Some(d) = daemon() else { return };
    let line = output_of({
        let mut cmd = Command::new(&d.rinit);
        cmd.arg("--version");
        cmd
    })
    .unwrap();
    assert!(line.starts_with("rinit version "), "{line:?}");
    let binary = d.ok(&["info", "--format", "{{.InitBinary}}"]);
    assert_eq!(binary.trim(), path_str(&d.rinit));
    // The README's command.
    let shown = d.ok(&["info", "--format", "{{.InitCommit.ID}}"]);
    let Some((_, commit)) = line.trim().split_once(" - git.") else {
        // Built from a tarball without RINIT_GIT_COMMIT: nothing to show,
        // and dockerd warns (docs/compatibility.md says so).
        eprintln!("this build names no commit ({line:?}): dockerd shows N/A");
        assert_eq!(shown.trim(), "N/A");
        return;
    };
    assert_eq!(shown.trim(), commit);
    // A call after `docker info`: once dockerd has logged it, whatever it
    // logged while answering `docker info` is in the log.
    let barrier = format!("rinit-barrier-{}", std::process::id());
    let _ = d.docker(&["image", "inspect", &barrier]).output();
    d.wait_for_call(&barrier);
    let complaints: Vec<String> = d
        .log
        .snapshot()
        .into_iter()
        .filter(|l| l.contains(path_str(&d.rinit)) && l.contains("level=warn"))
        .collect();
    assert!(complaints.is_empty(), "{complaints:?}");
}

#[test]
fn docker_run_init_runs_rinit_as_docker_init_and_mirrors_the_exit_status() {
    let Some(d) = daemon() else { return };
    let status = |name: &str, script: &str| {
        let _container = Container::new(d, name);
        let mut args = run_args(name, &["--rm", IMAGE, "sh", "-c"]);
        args.push(script);
        run(d.docker(&args)).code
    };
    assert_eq!(status("rinit-exit-3", "exit 3"), 3);
    assert_eq!(
        status("rinit-exit-kill", "kill -KILL $$"),
        128 + libc::SIGKILL
    );

    let name = "rinit-as-docker-init";
    let _container = Container::new(d, name);
    let args = run_args(
        name,
        &[
            "--rm",
            IMAGE,
            "sh",
            "-c",
            "tr '\\0' ' ' </proc/1/cmdline; echo; /sbin/docker-init --version",
        ],
    );
    let done = run(d.docker(&args));
    assert_eq!(done.code, 0, "{done:?}");
    assert!(
        done.stdout[0].starts_with("/sbin/docker-init -- sh -c "),
        "{done:?}"
    );
    // Under the name Docker gives it, rinit is rinit.
    assert!(done.stdout[1].starts_with("rinit version "), "{done:?}");
}

/// A plain `docker run --init` and `docker stop`, with Docker's defaults: the
/// app exits at once on SIGTERM, its writer (a daemon in a session of its
/// own, out of reach of the forwarded SIGTERM) finishes its file during the
/// drain, and all of it well within Docker's 10 s.
#[test]
fn a_plain_docker_stop_drains_a_worker() {
    let Some(d) = daemon() else { return };
    let name = "rinit-drain";
    let container = Container::new(d, name);
    let data = d.data_dir(name);
    let volume = format!("{}:/data", path_str(&data));
    let args = run_args(
        name,
        &["-d", "-v", &volume, IMAGE, "sh", "/e2e/app.sh", "/data/out"],
    );
    d.ok(&args);
    let mut logs = container.follow_logs();
    logs.expect_all(&["app ready", "writer ready"]);
    let started = Instant::now();
    d.ok(&["stop", name]);
    let took = started.elapsed();
    assert_eq!(container.exit_code(), 0, "the app exits 0 on SIGTERM");
    assert!(took < DOCKER_STOP_DEFAULT, "docker stop took {took:?}");
    assert_eq!(
        std::fs::read_to_string(data.join("out")).unwrap_or_default(),
        complete_output(),
        "the writer was not drained"
    );
}

/// A `docker exec`'d process is not rinit's descendant, yet as PID 1 the
/// drain reaches it.
#[test]
fn a_docker_exec_writer_is_drained_on_stop() {
    let Some(d) = daemon() else { return };
    let name = "rinit-exec-drain";
    let container = Container::new(d, name);
    let data = d.data_dir(name);
    let volume = format!("{}:/data", path_str(&data));
    d.ok(&run_args(
        name,
        &["-d", "-v", &volume, IMAGE, "sh", "-c", APP],
    ));
    container.follow_logs().expect("app ready");
    let mut writer = Running::start(d.docker(&["exec", name, "sh", "/e2e/writer.sh", "/data/out"]));
    writer.expect("writer ready");
    d.ok(&["stop", name]);
    let done = writer.finish();
    assert_eq!(container.exit_code(), 0);
    assert_eq!(
        std::fs::read_to_string(data.join("out")).unwrap_or_default(),
        complete_output(),
        "the exec'd writer was not drained: {done:?}"
    );
}

#[test]
fn docker_kill_s_usr1_reaches_the_app() {
    let Some(d) = daemon() else { return };
    let name = "rinit-usr1";
    let _container = Container::new(d, name);
    let mut app = Running::start(d.docker(&run_args(name, &["--rm", IMAGE, "sh", "-c", APP])));
    app.expect("app ready");
    d.ok(&["kill", "--signal", "USR1", name]);
    app.expect("app got USR1");
    d.ok(&["kill", "--signal", "TERM", name]);
    app.expect("app got TERM");
    let done = app.finish();
    assert_eq!(done.code, 0, "{done:?}");
}

/// `tail /dev/zero` holds all it reads, looking for a newline that never
/// comes, until the OOM killer ends it. Left to rinit as an orphan, it is
/// reaped by rinit, which names it in the container's log.
#[test]
fn an_oom_killed_worker_is_named_in_docker_logs() {
    let Some(d) = daemon() else { return };
    let name = "rinit-oom";
    let container = Container::new(d, name);
    d.ok(&run_args(
        name,
        &[
            "-d",
            "--memory",
            "32m",
            IMAGE,
            "sh",
            "-c",
            "(tail /dev/zero &); echo started; while :; do sleep 1000 & wait $!; done",
        ],
    ));
    let mut logs = container.follow_logs();
    let line = logs.expect_stderr_line("about the OOM kill", |l| l.contains("OOM"));
    assert!(
        line.starts_with("rinit: warn: 'tail' (pid ")
            && line.ends_with(") was killed by the OOM killer (SIGKILL, memory limit 32 MiB)"),
        "{line}"
    );
}

/// The budget of a stop (README, Shutdown): a worker that ignores SIGTERM
/// gets rinit's default 5 s grace, then SIGKILL; rinit then exits with the
/// app's status, before Docker's SIGKILL at 10 s.
#[test]
fn a_stop_with_the_default_grace_ends_within_dockers_10_s() {
    let Some(d) = daemon() else { return };
    let name = "rinit-budget";
    let container = Container::new(d, name);
    let stubborn = "setsid sh -c 'trap \"\" TERM; echo stubborn ready; \
                    while :; do sleep 1000 & wait $!; done' & ";
    d.ok(&run_args(
        name,
        &["-d", IMAGE, "sh", "-c", &format!("{stubborn}{APP}")],
    ));
    let mut logs = container.follow_logs();
    logs.expect_all(&["app ready", "stubborn ready"]);
    let started = Instant::now();
    d.ok(&["stop", name]);
    let took = started.elapsed();
    assert_eq!(
        container.exit_code(),
        0,
        "rinit, not Docker's SIGKILL, ended the container"
    );
    assert!(
        took >= Duration::from_secs(5) && took < DOCKER_STOP_DEFAULT,
        "docker stop took {took:?}"
    );
}

/// `docker stop -t 3` is shorter than the default grace: Docker's SIGKILL
/// ends everything at 3 s (exit 137); with `RINIT_GRACE=1s` the stop fits.
#[test]
fn docker_stop_t_shorter_than_the_grace_needs_a_shorter_grace() {
    let Some(d) = daemon() else { return };
    let stubborn = "setsid sh -c 'trap \"\" TERM; echo stubborn ready; \
                    while :; do sleep 1000 & wait $!; done' & ";
    let script = format!("{stubborn}{APP}");
    let stop = |name: &str, extra: &[&str]| {
        let container = Container::new(d, name);
        let mut options = vec!["-d"];
        options.extend_from_slice(extra);
        options.extend_from_slice(&[IMAGE, "sh", "-c", &script]);
        d.ok(&run_args(name, &options));
        let mut logs = container.follow_logs();
        logs.expect_all(&["app ready", "stubborn ready"]);
        let started = Instant::now();
        d.ok(&["stop", "-t", "3", name]);
        (container.exit_code(), started.elapsed())
    };
    let (code, took) = stop("rinit-budget-short", &[]);
    assert_eq!(code, 137, "Docker's SIGKILL came first ({took:?})");
    let (code, took) = stop("rinit-budget-fits", &["-e", "RINIT_GRACE=1s"]);
    assert_eq!(code, 0, "the stop took {took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// The README's variables for tini's behaviour under Docker: signals to the
/// app alone, and no drain, so the writer is cut off when the app exits.
#[test]
fn the_readmes_variables_give_tinis_behaviour_back() {
    let Some(d) = daemon() else { return };
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let flags = readme
        .split('`')
        .find(|span| span.starts_with("-e RINIT_FORWARD_TO="))
        .expect("the README gives no variables for tini's behaviour");
    let name = "rinit-tini-back";
    let container = Container::new(d, name);
    let data = d.data_dir(name);
    let volume = format!("{}:/data", path_str(&data));
    let mut options = vec!["-d", "-v", &volume];
    options.extend(flags.split_whitespace());
    options.extend_from_slice(&[IMAGE, "sh", "/e2e/app.sh", "/data/out"]);
    d.ok(&run_args(name, &options));
    let mut logs = container.follow_logs();
    logs.expect_all(&["app ready", "writer ready"]);
    d.ok(&["stop", name]);
    assert_eq!(container.exit_code(), 0, "the app exits 0 on SIGTERM");
    let written = std::fs::read_to_string(data.join("out")).unwrap_or_default();
    assert!(
        !written.contains("complete"),
        "the writer was drained: {written:?}"
    );
}

/// docker-compose's `init: true` is `docker run --init`; docs/containers.md
/// shows the compose file as it is.
#[test]
fn compose_init_true_drains_on_stop() {
    let Some(d) = daemon() else { return };
    let Some(compose) = find_program("docker-compose") else {
        panic!("docker-compose is missing (scripts/setup installs it)");
    };
    let file = std::fs::read_to_string(repo().join("tests/docker/compose.yaml")).unwrap();
    let docs = std::fs::read_to_string(repo().join("docs/containers.md")).unwrap();
    assert!(
        code_blocks(&docs, "yaml").contains(&file),
        "docs/containers.md does not show tests/docker/compose.yaml as it is"
    );
    let project = d.state.join("compose");
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(project.join("data")).unwrap();
    std::fs::copy(
        repo().join("tests/docker/compose.yaml"),
        project.join("compose.yaml"),
    )
    .unwrap();
    let compose_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&compose);
        cmd.current_dir(&project)
            .env("DOCKER_HOST", format!("unix://{}", d.socket.display()))
            .env("DOCKER_CONFIG", d.state.join("client"))
            .args(["--project-name", "rinit-compose", "--file", "compose.yaml"])
            .args(args)
            .stdin(Stdio::null());
        cmd
    };
    struct Down<F: Fn()>(F);
    impl<F: Fn()> Drop for Down<F> {
        fn drop(&mut self) {
            (self.0)()
        }
    }
    let _down = Down(|| {
        let _ = compose_cmd(&["down", "--timeout", "0"]).output();
    });
    output_of(compose_cmd(&["up", "--detach"])).unwrap_or_else(|e| panic!("{e}"));
    let id = output_of(compose_cmd(&["ps", "--quiet", "app"])).unwrap();
    let id = id.trim();
    let mut logs = Running::start(d.docker(&["logs", "--follow", id]));
    logs.expect_all(&["app ready", "writer ready"]);
    let init = d.ok(&["inspect", "--format", "{{.HostConfig.Init}}", id]);
    assert_eq!(init.trim(), "true");
    output_of(compose_cmd(&["stop"])).unwrap_or_else(|e| panic!("{e}"));
    let code = d.ok(&["inspect", "--format", "{{.State.ExitCode}}", id]);
    assert_eq!(code.trim(), "0");
    assert_eq!(
        std::fs::read_to_string(project.join("data/out")).unwrap_or_default(),
        complete_output(),
        "the writer was not drained"
    );
}
