//! The harness (harness/, crate rinit-harness) runs programs as PID 1 of a
//! fresh PID namespace, waits on their output lines and reads /proc; the
//! benchmark uses it too. This adds what only a test of this package knows:
//! where cargo put rinit and the workload program.
#![allow(dead_code, unused_imports)] // each test file uses its own part of this

pub(crate) mod podman;
pub(crate) mod terminal;
pub(crate) use podman::*;
pub(crate) use terminal::Terminal;

pub(crate) use rinit_harness::*;
use std::path::PathBuf;
use std::process::Command;

pub(crate) fn rinit() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rinit"))
}

/// The multi-call workload program (`examples/testkit.rs`), built first if
/// need be: `cargo test --test NAME` builds rinit and that test file but no
/// example, so each test binary asks cargo, once, to bring testkit up to
/// date (a no-op when it is). An exclusive lock on the target directory
/// keeps test binaries run side by side from racing for the file. This is
/// the one place that knows how the workload is built.
pub(crate) fn testkit() -> String {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let path = BUILT.get_or_init(build_testkit);
    path.to_string_lossy().into_owned()
}

fn build_testkit() -> PathBuf {
    use std::os::fd::AsRawFd;
    // rinit is TARGET_DIR[/TRIPLE]/PROFILE/rinit.
    let profile_dir = rinit().parent().unwrap().to_path_buf();
    let path = profile_dir.join("examples/testkit");
    let profile = profile_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let above = profile_dir.parent().unwrap();
    // The target directory holds cargo's `.rustc_info.json`; a directory
    // without it is a `--target TRIPLE` one.
    let (target_dir, triple) = if above.join(".rustc_info.json").exists() {
        (above.to_path_buf(), None)
    } else {
        let triple = above.file_name().unwrap().to_string_lossy().into_owned();
        (above.parent().unwrap().to_path_buf(), Some(triple))
    };
    let lock = std::fs::File::create(target_dir.join(".testkit-build.lock"))
        .unwrap_or_else(|e| panic!("{}: {e}", target_dir.display()));
    // SAFETY: flock on a descriptor this function owns; it blocks until the
    // lock is ours and is released when `lock` is closed.
    let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "flock: {}", std::io::Error::last_os_error());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", "testkit"])
        .env("CARGO_TARGET_DIR", &target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    if let Some(triple) = triple {
        cmd.args(["--target", &triple]);
    }
    let status = cmd.status();
    match status {
        Ok(status) if status.success() => {}
        // Without cargo at all (a copied test binary), a testkit already
        // built beside rinit is the best there is; a failed build is not.
        Err(_) if path.exists() => {}
        outcome => panic!("`{cmd:?}` failed ({outcome:?}): testkit cannot be built"),
    }
    assert!(path.exists(), "{cmd:?} did not write {}", path.display());
    path
}

/// rinit as PID 1 with these arguments.
pub(crate) fn rinit_pid1(args: &[&str]) -> Command {
    as_pid1(&rinit().to_string_lossy(), args)
}

/// rinit as a plain child of the test (not PID 1), without init variables.
pub(crate) fn rinit_direct(args: &[&str]) -> Command {
    direct(&rinit().to_string_lossy(), args, &[])
}

/// A cgroup v1 group of one controller (`memory`, `pids`) below the test's
/// own, removed when dropped. Processes join it through `command`. These
/// machines have both controllers on v1 (the hybrid layout).
pub(crate) struct V1Group {
    pub(crate) dir: PathBuf,
}

impl V1Group {
    fn new(controller: &str, name: &str) -> V1Group {
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let own = own
            .lines()
            .find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
                controllers
                    .split(',')
                    .any(|c| c == controller)
                    .then_some(path)
            })
            .unwrap_or_else(|| panic!("these tests need the cgroup v1 {controller} controller"));
        let dir = std::path::Path::new("/sys/fs/cgroup")
            .join(controller)
            .join(own.trim_start_matches('/'))
            .join(format!("rinit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).unwrap();
        V1Group { dir }
    }

    /// A memory group limited to `bytes`, with no swap.
    pub(crate) fn memory(name: &str, bytes: u64) -> V1Group {
        let group = V1Group::new("memory", name);
        // The swap limit counts memory and swap together: set it after.
        group.write("memory.limit_in_bytes", &bytes.to_string());
        let swap = group.dir.join("memory.memsw.limit_in_bytes");
        if swap.exists() {
            std::fs::write(swap, bytes.to_string()).unwrap();
        }
        group
    }

    /// A pids group limited to `max` processes.
    pub(crate) fn pids(name: &str, max: u64) -> V1Group {
        let group = V1Group::new("pids", name);
        group.write("pids.max", &max.to_string());
        group
    }

    pub(crate) fn write(&self, file: &str, value: &str) {
        std::fs::write(self.dir.join(file), value).unwrap();
    }

    /// `KEY VALUE` from a flat keyed file (`memory.oom_control`, `pids.events`).
    pub(crate) fn keyed(&self, file: &str, key: &str) -> u64 {
        let text = std::fs::read_to_string(self.dir.join(file)).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {key} in {file}: {text}"))
            .trim()
            .parse()
            .unwrap()
    }

    pub(crate) fn oom_kills(&self) -> u64 {
        self.keyed("memory.oom_control", "oom_kill")
    }

    /// `program args` run in this group.
    pub(crate) fn command(&self, program: &str, args: &[&str]) -> Command {
        self.command_in(&[], program, args)
    }

    /// `program args` run in this group and in `others` too (a process is in
    /// one group of each controller).
    pub(crate) fn command_in(&self, others: &[&V1Group], program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            r#"for g in $0; do echo $$ >"$g/cgroup.procs" || exit 125; done; exec "$@""#,
        ]);
        let dirs: Vec<String> = std::iter::once(self)
            .chain(others.iter().copied())
            .map(|g| g.dir.to_str().unwrap().to_owned())
            .collect();
        cmd.arg(dirs.join(" ")).arg(program).args(args);
        cmd
    }

    /// rinit as PID 1 in this group (and in `others`).
    pub(crate) fn pid1(&self, args: &[&str]) -> Command {
        self.pid1_in(&[], args)
    }

    pub(crate) fn pid1_in(&self, others: &[&V1Group], args: &[&str]) -> Command {
        let rinit = rinit();
        let mut all = vec!["--pid", "--fork", "--mount-proc", "--kill-child"];
        all.push(rinit.to_str().unwrap());
        all.extend_from_slice(args);
        self.command_in(others, "unshare", &all)
    }
}

impl Drop for V1Group {
    fn drop(&mut self) {
        // Clean-up, not synchronisation: the processes a PID namespace's
        // end killed may take a moment to leave the group.
        for _ in 0..500 {
            match std::fs::remove_dir(&self.dir) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                Err(e) => return eprintln!("cannot remove {}: {e}", self.dir.display()),
                Ok(()) => return,
            }
        }
        eprintln!("{} is still busy: left behind", self.dir.display());
    }
}
