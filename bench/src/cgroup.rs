//! A memory cgroup with a limit for the idle figure, so that rinit's live
//! OOM watch (`src/watch.rs`) is on while its idle wake-ups are counted: a
//! watch must cost an idle container nothing.
//!
//! On cgroup v1 (the memory controller in its own hierarchy) a child group
//! of the benchmark's own, with a 1 GiB limit: rinit registers its usage
//! eventfd there, which joins its wait. On cgroup v2 the watch is an
//! inotify descriptor that raises a signal only when a counter changes, so
//! there is no descriptor in the wait to test; without a v1 memory
//! controller the figure runs as before, and the method line says so.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A v1 memory group of the benchmark's, removed when dropped (once the
/// processes in it are gone).
pub struct WatchedGroup {
    dir: PathBuf,
}

impl WatchedGroup {
    /// `None` without a writable v1 memory hierarchy.
    pub fn new() -> Option<WatchedGroup> {
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let path = own.lines().find_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            controllers
                .split(',')
                .any(|c| c == "memory")
                .then_some(path)
        })?;
        let dir = Path::new("/sys/fs/cgroup/memory")
            .join(path.trim_start_matches('/'))
            .join(format!("rinit-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir);
        std::fs::create_dir(&dir).ok()?;
        let group = WatchedGroup { dir };
        std::fs::write(
            group.dir.join("memory.limit_in_bytes"),
            (1u64 << 30).to_string(),
        )
        .ok()?;
        Some(group)
    }

    /// `cmd`, started in this group (its first process moves itself in,
    /// then execs `cmd`).
    pub fn wrap(&self, cmd: &Command) -> Command {
        let mut wrapped = rinit_harness::hermetic("sh");
        wrapped
            .args(["-c", r#"echo $$ >"$0/cgroup.procs" && exec "$@""#])
            .arg(&self.dir)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        wrapped
    }
}

impl Drop for WatchedGroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Whether process `pid` holds an eventfd or an inotify descriptor: rinit's
/// watch is on.
pub fn watching(pid: u32) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| {
            let target = target.to_string_lossy();
            target == "anon_inode:[eventfd]" || target == "anon_inode:inotify"
        })
    })
}
