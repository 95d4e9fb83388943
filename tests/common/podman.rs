//! Podman for the end-to-end tests (tests/containers.rs, tests/sandbox.rs)
//! and what the Docker tests share with them: everything is built here,
//! without a registry. rinit as a static musl binary (once per run, with
//! cargo), a base image FROM scratch holding Debian's static busybox, the
//! test image from `Dockerfile.test` with the prebuilt rinit, and a pause
//! image holding nothing but rinit. Podman keeps its state in a private
//! directory per run (removed at exit), configured by
//! `tests/containers/containers.conf`.

use super::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The image `Dockerfile.test` builds (the name the README uses too).
pub(crate) const TEST_IMAGE: &str = "localhost/rinit-test";
/// Static busybox and nothing else: an image without rinit.
pub(crate) const BASE_IMAGE: &str = "localhost/rinit-e2e-busybox";
/// `rinit --pause`, the pods' infra image (named in containers.conf).
pub(crate) const PAUSE_IMAGE: &str = "localhost/rinit-pause";
pub(crate) const MUSL: &str = "x86_64-unknown-linux-musl";

pub(crate) fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn fixtures() -> PathBuf {
    repo().join("tests/containers")
}

pub(crate) fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A podman confined to one directory, with the tests' images built.
pub(crate) struct Engine {
    pub(crate) state: PathBuf,
    /// The static rinit, as a user would build it.
    pub(crate) rinit: PathBuf,
}

static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();

/// The engine, set up by the first test that asks for it.
pub(crate) fn engine() -> &'static Engine {
    match ENGINE.get_or_init(Engine::set_up) {
        Ok(engine) => engine,
        Err(why) => panic!("the container engine cannot run the end-to-end tests: {why}"),
    }
}

/// podman with the tests' storage and configuration.
pub(crate) fn podman_in(state: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("podman");
    cmd.env("CONTAINERS_CONF", fixtures().join("containers.conf"))
        .arg("--root")
        .arg(state.join("root"))
        .arg("--runroot")
        .arg(state.join("run"))
        .arg("--tmpdir")
        .arg(state.join("tmp"))
        .args(["--storage-driver", "vfs"])
        .args(args)
        .stdin(Stdio::null())
        // conmon writes an `oom` marker into its working directory when the
        // OOM killer strikes: keep it in the run's state, not the checkout.
        .current_dir(state);
    cmd
}

impl Engine {
    pub(crate) fn set_up() -> Result<Engine, String> {
        let rinit = build_static_rinit()?;
        let busybox = find_static_busybox()?;
        sweep_dead_runs();
        let state = run_state();
        if state.exists() {
            // Left by an earlier run that had this pid.
            clean_up(&state);
        }
        // SAFETY: registers a plain function; it runs when the harness exits.
        unsafe { libc::atexit(clean_up_at_exit) };
        let context = state.join("context");
        let scripts = context.join("tests/containers");
        std::fs::create_dir_all(&scripts).map_err(|e| format!("{}: {e}", scripts.display()))?;
        let engine = Engine { state, rinit };
        output_of(engine.podman(&["info"]))
            .map_err(|e| format!("podman does not work here: {e}"))?;

        // The build context: the prebuilt binaries and the workload scripts,
        // laid out as in the repository.
        let copy = |from: &Path, to: PathBuf| {
            std::fs::copy(from, &to)
                .map(|_| ())
                .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
        };
        copy(&engine.rinit, context.join("rinit"))?;
        copy(&busybox, context.join("busybox"))?;
        for entry in std::fs::read_dir(fixtures()).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|ext| ext == "sh") {
                copy(&path, scripts.join(path.file_name().unwrap()))?;
            }
        }
        let context = path_str(&context);
        let build = |file: &Path, tag: &str, extra: &[&str]| {
            let mut args = vec!["build", "--quiet", "-f", path_str(file), "-t", tag];
            args.extend_from_slice(extra);
            args.push(context);
            output_of(engine.podman(&args)).map(|_| ())
        };
        build(&fixtures().join("busybox.Containerfile"), BASE_IMAGE, &[])?;
        build(&fixtures().join("pause.Containerfile"), PAUSE_IMAGE, &[])?;
        let base_arg = format!("BASE_IMAGE={BASE_IMAGE}");
        build(
            &repo().join("Dockerfile.test"),
            TEST_IMAGE,
            &[
                "--target",
                "test",
                "--build-arg",
                "RINIT_FROM=prebuilt",
                "--build-arg",
                &base_arg,
            ],
        )?;
        Ok(engine)
    }

    pub(crate) fn podman(&self, args: &[&str]) -> Command {
        podman_in(&self.state, args)
    }

    /// A directory for a test's volume.
    pub(crate) fn data_dir(&self, name: &str) -> PathBuf {
        let dir = self.state.join("data").join(name);
        std::fs::create_dir_all(&dir).expect("create the data directory");
        dir
    }
}

/// `cargo build --release --target x86_64-unknown-linux-musl`, in a target
/// directory of its own so as not to wait on the lock of the `cargo test`
/// that runs this.
pub(crate) fn build_static_rinit() -> Result<PathBuf, String> {
    let target_dir = repo().join("target/static");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo())
        .args(["build", "--release", "--target", MUSL, "--target-dir"])
        .arg(&target_dir);
    output_of(cmd).map_err(|e| format!("cannot build the static binary: {e}"))?;
    let binary = target_dir.join(MUSL).join("release/rinit");
    if needs_loader(&binary)? {
        return Err(format!("{} is not a static binary", binary.display()));
    }
    Ok(binary)
}

/// Debian's busybox-static installs a static /bin/busybox.
pub(crate) fn find_static_busybox() -> Result<PathBuf, String> {
    for candidate in ["/bin/busybox", "/usr/bin/busybox"] {
        let path = PathBuf::from(candidate);
        if path.exists() && !needs_loader(&path)? {
            return Ok(path);
        }
    }
    Err("no static busybox in /bin or /usr/bin: install busybox-static".into())
}

/// Whether an ELF executable names a program interpreter (a dynamic loader):
/// a static binary does not, and runs in an empty image.
pub(crate) fn needs_loader(path: &Path) -> Result<bool, String> {
    let elf = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        return Err(format!(
            "{} is not a 64-bit little-endian ELF file",
            path.display()
        ));
    }
    let word = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let table = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (entry_size, entries) = (word(0x36), word(0x38));
    const PT_INTERP: u32 = 3;
    Ok((0..entries).any(|i| {
        let at = table + i * entry_size;
        elf.get(at..at + 4)
            .is_some_and(|kind| u32::from_le_bytes(kind.try_into().unwrap()) == PT_INTERP)
    }))
}

/// This run's podman state (storage, build context, volumes).
pub(crate) fn run_state() -> PathBuf {
    state_parent().join(format!("rinit-e2e-{}", std::process::id()))
}

/// Under the target directory rather than /tmp, which may be mounted noexec
/// (the containers' files live in podman's storage).
pub(crate) fn state_parent() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

extern "C" fn clean_up_at_exit() {
    clean_up(&run_state());
}

/// Removes a run's containers, pods and volumes, then its directory, unless
/// something is still mounted below it.
pub(crate) fn clean_up(state: &Path) {
    for args in [
        &["pod", "rm", "--all", "--force", "--time", "0"][..],
        &["rm", "--all", "--force", "--time", "0"],
        &["volume", "rm", "--all", "--force"],
    ] {
        let _ = podman_in(state, args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let below = format!("{}/", state.display());
    if !mounts.lines().any(|line| line.contains(&below)) {
        let _ = std::fs::remove_dir_all(state);
    }
}

/// Cleans up after earlier runs that were killed before they could.
pub(crate) fn sweep_dead_runs() {
    let Ok(entries) = std::fs::read_dir(state_parent()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("rinit-e2e-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            clean_up(&entry.path());
        }
    }
}

/// Runs podman; panics with its output unless it succeeds.
pub(crate) fn podman_ok(args: &[&str]) -> String {
    output_of(engine().podman(args)).unwrap_or_else(|e| panic!("{e}"))
}

/// The same command with its stderr sent to its stdout, so that rinit's
/// messages and the app's lines arrive in order on one stream.
pub(crate) fn merged(cmd: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", "exec \"$@\" 2>&1", "sh"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            sh.env(key, value);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    sh
}

/// Runs `podman <args>` on drop: removes what a test created, even when it
/// fails half way.
pub(crate) struct Cleanup(Vec<Vec<String>>);

impl Cleanup {
    pub(crate) fn new(commands: &[&[&str]]) -> Cleanup {
        Cleanup(
            commands
                .iter()
                .map(|args| args.iter().map(|a| a.to_string()).collect())
                .collect(),
        )
    }

    /// Removes the container `name`, at once.
    pub(crate) fn container(name: &str) -> Cleanup {
        Cleanup::new(&[&["rm", "--force", "--time", "0", name]])
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // Without an engine there is nothing to remove (and no second panic).
        let Some(Ok(engine)) = ENGINE.get() else {
            return;
        };
        for args in &self.0 {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let _ = engine
                .podman(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// What writer.sh leaves when it is allowed to finish.
pub(crate) fn complete_output() -> String {
    let mut text: String = (0..10).map(|i| format!("chunk {i}\n")).collect();
    text.push_str("complete\n");
    text
}

/// The contents of the doc's code blocks in this language.
pub(crate) fn code_blocks(doc: &str, language: &str) -> Vec<String> {
    let fence = format!("```{language}\n");
    doc.split(&fence)
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block.to_owned()))
        .collect()
}
