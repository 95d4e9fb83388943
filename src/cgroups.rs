//! Where rinit's memory and pids cgroups are, and reading their counters.
//!
//! A container's limits live in two cgroup controllers: `memory` (the OOM
//! killer's `oom_kill` counter and the limit) and `pids` (the process
//! limit, and how many forks it refused). Either may be on cgroup v2 (the
//! unified hierarchy, one directory for both) or on v1 (a hierarchy of its
//! own each: the hybrid layout of older hosts). This module finds the
//! directories from `/proc/self/cgroup` and `/proc/self/mountinfo` and reads
//! their small files; what the numbers mean is `forensics`' job, and
//! watching them for changes `watch`'s.

use std::borrow::Cow;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Which interface a cgroup speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V2,
}

/// The two controllers rinit reads; where both share a v1 hierarchy, it
/// counts as the first's (memory's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Controller {
    Memory,
    Pids,
}

/// rinit's cgroup paths from `/proc/self/cgroup`: the unified (v2) one and
/// those of the v1 memory and pids controllers, as the kernel names them
/// (borrowed from the file's text).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct OwnCgroups<'a> {
    unified: Option<&'a str>,
    memory_v1: Option<&'a str>,
    pids_v1: Option<&'a str>,
}

impl OwnCgroups<'_> {
    fn v1(&self, controller: Controller) -> Option<&str> {
        match controller {
            Controller::Memory => self.memory_v1,
            Controller::Pids => self.pids_v1,
        }
    }
}

/// `text.split_once(byte)` for an ASCII `byte`, with a byte search: for the
/// few bytes of a field, cheaper than setting up `str`'s search.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    // An ASCII byte is a whole character: both halves are on boundaries.
    Some((&text[..at], &text[at + 1..]))
}

/// The controllers rinit reads in a comma-separated list, in one pass.
fn v1_controllers(list: &str) -> impl Iterator<Item = Controller> + '_ {
    list.as_bytes()
        .split(|&b| b == b',')
        .filter_map(|item| match item {
            b"memory" => Some(Controller::Memory),
            b"pids" => Some(Controller::Pids),
            _ => None,
        })
}

/// Parses `/proc/self/cgroup`: `ID:CONTROLLERS:PATH` lines; `0::PATH` is
/// the unified hierarchy, a v1 line lists its controllers with commas.
fn parse_proc_cgroup(text: &str) -> OwnCgroups<'_> {
    let mut own = OwnCgroups::default();
    for line in text.lines() {
        let Some((id, rest)) = split_at_byte(line, b':') else {
            continue;
        };
        let Some((controllers, path)) = split_at_byte(rest, b':') else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            own.unified = Some(path);
        }
        for controller in v1_controllers(controllers) {
            match controller {
                Controller::Memory => own.memory_v1 = Some(path),
                Controller::Pids => own.pids_v1 = Some(path),
            }
        }
    }
    own
}

/// A cgroup file system mounted somewhere, from `/proc/self/mountinfo`
/// (its paths borrowed from the text unless they had to be unescaped).
#[derive(Clone, Debug, PartialEq, Eq)]
struct CgroupMount<'a> {
    version: Version,
    /// The v1 controller mounted there (none for cgroup2).
    controller: Option<Controller>,
    /// The cgroup this mount shows at its mount point (`/` unless a
    /// container runtime bind-mounted a sub-tree).
    root: Cow<'a, str>,
    mount_point: Cow<'a, str>,
}

/// The cgroup2 mounts and the v1 mounts of the memory and pids controllers.
fn parse_cgroup_mounts(mountinfo: &str) -> Vec<CgroupMount<'_>> {
    let mut mounts = Vec::new();
    for line in mountinfo.lines() {
        // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS
        // Most lines are other file systems: looked at without allocating.
        let Some((left, right)) = split_at_separator(line) else {
            continue;
        };
        let (fs_type, rest) = split_at_byte(right, b' ').unwrap_or((right, ""));
        let (version, controller) = match fs_type {
            "cgroup2" => (Version::V2, None),
            "cgroup" => {
                // SOURCE, then the super options.
                let options = split_at_byte(rest, b' ').map_or("", |(_, after)| {
                    split_at_byte(after, b' ').map_or(after, |(options, _)| options)
                });
                match v1_controllers(options).min() {
                    Some(controller) => (Version::V1, Some(controller)),
                    None => continue,
                }
            }
            _ => continue,
        };
        let mut left = left.split(' ');
        let (Some(root), Some(mount_point)) = (left.nth(3), left.next()) else {
            continue;
        };
        mounts.push(CgroupMount {
            version,
            controller,
            root: unescape_mountinfo(root),
            mount_point: unescape_mountinfo(mount_point),
        });
    }
    mounts
}

/// `line.split_once(" - ")`: the fields before and after mountinfo's
/// separator, the first ` - ` (no field before it can be `-`, and one
/// after it may be). Found among the dashes: the search for one character
/// is cheap, the one for three costs more to set up, on every line, than
/// the rest of the parsing.
fn split_at_separator(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let (dash, _) = line
        .match_indices('-')
        .find(|&(at, _)| at > 0 && bytes[at - 1] == b' ' && bytes.get(at + 1) == Some(&b' '))?;
    // ASCII bytes around both cuts: both halves are on boundaries.
    Some((&line[..dash - 1], &line[dash + 2..]))
}

/// mountinfo writes space, tab, newline and backslash as `\NNN` in octal;
/// a field without a backslash (almost every one) is borrowed as it is.
fn unescape_mountinfo(field: &str) -> Cow<'_, str> {
    if !field.contains('\\') {
        return Cow::Borrowed(field);
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// The directories where rinit's cgroup of `controller` may be read, best
/// first: the unified hierarchy's (cgroup v2), then the v1 controller's. A
/// path below the mount's root is found under its mount point; a path the
/// mount does not show (another container's) is skipped.
fn candidates(
    own: &OwnCgroups<'_>,
    mounts: &[CgroupMount<'_>],
    controller: Controller,
) -> Vec<(Version, PathBuf)> {
    let mut found = Vec::new();
    for (version, path) in [
        (Version::V2, own.unified),
        (Version::V1, own.v1(controller)),
    ] {
        let Some(path) = path else { continue };
        let shows = |m: &&CgroupMount| {
            m.version == version && (version == Version::V2 || m.controller == Some(controller))
        };
        for mount in mounts.iter().filter(shows) {
            let below = if mount.root == "/" {
                Some(path)
            } else {
                path.strip_prefix(&*mount.root)
                    .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            };
            if let Some(rest) = below {
                let dir = joined(Path::new(&*mount.mount_point), rest.trim_start_matches('/'));
                found.push((version, dir));
            }
        }
    }
    found
}

/// `dir.join(name)` in a single allocation (`join` copies `dir`, then grows
/// the copy for `name`).
fn joined(dir: &Path, name: &str) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}

/// The `KEY VALUE` line `key` of a flat keyed file (`memory.events`,
/// `memory.oom_control`, `pids.events`); `None` without one.
fn parse_keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (k, value) = split_at_byte(line, b' ')?;
        (k == key).then(|| value.trim().parse().ok())?
    })
}

/// A limit: v2's `memory.max` and `pids.max` say `max` for none, v1's
/// `memory.limit_in_bytes` a number near 2^63.
fn parse_limit(text: &str) -> Option<u64> {
    let value: u64 = text.trim().parse().ok()?;
    (value < 1 << 62).then_some(value)
}

/// A small text file of the kernel's (`sys::read_whole`), as text.
fn read_text(path: &Path, capacity: usize) -> std::io::Result<String> {
    let bytes = crate::sys::read_whole(path, capacity)?;
    String::from_utf8(bytes).map_err(|_| std::io::ErrorKind::InvalidData.into())
}

/// Room for `/proc/self/cgroup` and `/proc/self/mountinfo` in a container
/// (a host's mountinfo may be longer: the buffer then grows).
const PROC_TEXT: usize = 4096;

/// Room for a limit file: one number.
const LIMIT_TEXT: usize = 64;

/// The longest counter file rinit reads: v2's `memory.events` is six lines
/// of a word and a number.
const COUNTER_MAX: usize = 512;

/// A counter file opened at start and read again with `pread` into a fixed
/// buffer on the stack. While the group is short of memory, opening a file
/// allocates (a `struct file`, the kernel's read buffer), charged to the
/// very group that has none: the allocation can fail and make the OOM
/// killer take one more process, rinit or the app. An open descriptor,
/// read once at start so that the kernel's buffer exists, asks for no
/// memory at all. (The buffer is not kept here: the groups are handed on
/// by value as rinit starts, and would copy it each time.)
#[derive(Debug)]
pub(crate) struct Counter {
    file: File,
}

impl Counter {
    /// Opens `path`; the caller's first read makes the kernel's buffer.
    fn open(path: &Path) -> Option<Counter> {
        Some(Counter {
            file: crate::sys::open_read(path).ok()?,
        })
    }

    /// The file's text, from its start, as `parse` reads it.
    fn read<T>(&mut self, parse: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let mut buf = [0u8; COUNTER_MAX];
        let n = loop {
            match self.file.read_at(&mut buf, 0) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        };
        parse(std::str::from_utf8(&buf[..n]).ok()?)
    }

    /// The `KEY VALUE` line `key`.
    fn keyed(&mut self, key: &str) -> Option<u64> {
        self.read(|text| parse_keyed(text, key))
    }

    /// A file that holds one number.
    fn value(&mut self) -> Option<u64> {
        self.read(|text| text.trim().parse().ok())
    }
}

/// rinit's memory cgroup: its OOM kill counter and its limit.
#[derive(Debug)]
pub(crate) struct Memory {
    pub(crate) version: Version,
    pub(crate) dir: PathBuf,
    /// v2's `memory.events`, v1's `memory.oom_control`.
    events: Counter,
    /// The limit when rinit started, in bytes (`None` for none). Read once:
    /// a limit changed later (`docker update`) is rare, and a file read in
    /// the middle of a shortage is what this module avoids.
    pub(crate) limit: Option<u64>,
    /// The OOM kill counter when rinit started.
    pub(crate) at_start: u64,
}

impl Memory {
    /// The kills the OOM killer made in the group (`oom_kill`). v1 before
    /// Linux 4.13 has no such counter: `open` then gives no `Memory`.
    pub(crate) fn oom_kills(&mut self) -> Option<u64> {
        self.events.keyed("oom_kill")
    }

    /// The file whose changes tell of new events (v2: inotify).
    pub(crate) fn events_file(&self) -> PathBuf {
        joined(&self.dir, Memory::file_names(self.version).0)
    }

    /// The counter file and the limit file of each version.
    fn file_names(version: Version) -> (&'static str, &'static str) {
        match version {
            Version::V2 => ("memory.events", "memory.max"),
            Version::V1 => ("memory.oom_control", "memory.limit_in_bytes"),
        }
    }

    /// The group in `dir`, if its counter can be read.
    pub(crate) fn open(version: Version, dir: PathBuf) -> Option<Memory> {
        let (events, limit) = Memory::file_names(version);
        let mut events = Counter::open(&joined(&dir, events))?;
        let at_start = events.keyed("oom_kill")?;
        let limit = read_text(&joined(&dir, limit), LIMIT_TEXT)
            .ok()
            .and_then(|t| parse_limit(&t));
        Some(Memory {
            version,
            dir,
            events,
            limit,
            at_start,
        })
    }
}

/// rinit's pids cgroup: the forks its limit refused, how many it holds.
#[derive(Debug)]
pub(crate) struct Pids {
    pub(crate) version: Version,
    pub(crate) dir: PathBuf,
    /// `pids.events`.
    events: Counter,
    /// `pids.current`.
    current: Option<Counter>,
    /// `pids.max` when rinit started (`None` for none).
    pub(crate) limit: Option<u64>,
    /// The refusals counted when rinit started.
    pub(crate) at_start: u64,
}

impl Pids {
    /// The forks the limit refused (`max` in `pids.events`).
    pub(crate) fn refused(&mut self) -> Option<u64> {
        self.events.keyed("max")
    }

    /// How many tasks (threads, in fact) the group holds now.
    pub(crate) fn current(&mut self) -> Option<u64> {
        self.current.as_mut()?.value()
    }

    /// The file whose changes tell of new events (v2: inotify).
    pub(crate) fn events_file(&self) -> PathBuf {
        joined(&self.dir, Pids::EVENTS)
    }

    const EVENTS: &'static str = "pids.events";

    fn open(version: Version, dir: PathBuf) -> Option<Pids> {
        let mut events = Counter::open(&joined(&dir, Pids::EVENTS))?;
        let at_start = events.keyed("max")?;
        let mut current = Counter::open(&joined(&dir, "pids.current"));
        // Read once now, so that the kernel's buffer exists before a shortage.
        if current.as_mut().and_then(Counter::value).is_none() {
            current = None;
        }
        Some(Pids {
            version,
            at_start,
            current,
            limit: read_text(&joined(&dir, "pids.max"), LIMIT_TEXT)
                .ok()
                .and_then(|t| parse_limit(&t)),
            dir,
            events,
        })
    }
}

/// rinit's memory and pids cgroups whose counters can be read, each with
/// its counter file open; `None` for a controller rinit cannot read (it
/// then says nothing about it).
pub(crate) fn find() -> (Option<Memory>, Option<Pids>) {
    let (Ok(own), Ok(mounts)) = (
        read_text(Path::new("/proc/self/cgroup"), PROC_TEXT),
        read_text(Path::new("/proc/self/mountinfo"), PROC_TEXT),
    ) else {
        return (None, None);
    };
    let (own, mounts) = (parse_proc_cgroup(&own), parse_cgroup_mounts(&mounts));
    let memory = candidates(&own, &mounts, Controller::Memory)
        .into_iter()
        .find_map(|(version, dir)| Memory::open(version, dir));
    let pids = candidates(&own, &mounts, Controller::Pids)
        .into_iter()
        .find_map(|(version, dir)| Pids::open(version, dir));
    (memory, pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured on this machine (hybrid layout: podman puts a container with
    /// `--memory` in the v1 memory controller) and on a cgroup v2 host.
    const HYBRID_CGROUP: &str = "12:pids:/machine.slice/libpod-abc.scope
11:memory:/machine.slice/libpod-abc.scope
10:cpu,cpuacct:/machine.slice/libpod-abc.scope
1:name=systemd:/machine.slice/libpod-abc.scope
0::/machine.slice/libpod-abc.scope
";
    const V2_CGROUP: &str = "0::/kubepods.slice/pod1/cri-abc.scope\n";

    #[test]
    fn own_cgroups_of_both_layouts() {
        let scope = || Some("/machine.slice/libpod-abc.scope");
        assert_eq!(
            parse_proc_cgroup(HYBRID_CGROUP),
            OwnCgroups {
                unified: scope(),
                memory_v1: scope(),
                pids_v1: scope(),
            }
        );
        assert_eq!(
            parse_proc_cgroup(V2_CGROUP),
            OwnCgroups {
                unified: Some("/kubepods.slice/pod1/cri-abc.scope"),
                memory_v1: None,
                pids_v1: None,
            }
        );
        // A path may hold colons.
        assert_eq!(parse_proc_cgroup("4:memory:/a:b\n").memory_v1, Some("/a:b"));
        assert_eq!(parse_proc_cgroup("garbage\n"), OwnCgroups::default());
    }

    const V2_MOUNTINFO: &str = "\
22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";
    const HYBRID_MOUNTINFO: &str = "\
700 690 0:64 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755
701 700 0:30 /machine.slice/libpod-abc.scope /sys/fs/cgroup/unified ro - cgroup2 cgroup2 rw
702 700 0:34 /machine.slice/libpod-abc.scope /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory
703 700 0:35 /machine.slice/libpod-abc.scope /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct
704 700 0:36 / /sys/fs/cgroup/odd\\040dir rw - cgroup cgroup rw,memory
705 700 0:37 /machine.slice/libpod-abc.scope /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids
";

    #[test]
    fn cgroup_mounts_of_both_layouts() {
        assert_eq!(
            parse_cgroup_mounts(V2_MOUNTINFO),
            [CgroupMount {
                version: Version::V2,
                controller: None,
                root: "/".into(),
                mount_point: "/sys/fs/cgroup".into(),
            }]
        );
        let hybrid = parse_cgroup_mounts(HYBRID_MOUNTINFO);
        assert_eq!(hybrid.len(), 4, "{hybrid:?}");
        assert_eq!(hybrid[1].version, Version::V1);
        assert_eq!(hybrid[1].controller, Some(Controller::Memory));
        assert_eq!(hybrid[1].mount_point, "/sys/fs/cgroup/memory");
        assert_eq!(hybrid[2].mount_point, "/sys/fs/cgroup/odd dir");
        assert_eq!(hybrid[3].controller, Some(Controller::Pids));
        // A hierarchy of both controllers is memory's; a type that only
        // starts like cgroup's is none.
        let odd = parse_cgroup_mounts(
            "1 0 0:1 / /both rw - cgroup c rw,pids,memory\n2 0 0:2 / /x rw - cgroupfs c rw,memory\n",
        );
        assert_eq!(odd.len(), 1, "{odd:?}");
        assert_eq!(odd[0].controller, Some(Controller::Memory));
    }

    #[test]
    fn the_groups_are_found_below_their_mounts() {
        let v2_mounts = parse_cgroup_mounts(V2_MOUNTINFO);
        let pod = PathBuf::from("/sys/fs/cgroup/kubepods.slice/pod1/cri-abc.scope");
        // On v2 both controllers are read in the one directory.
        for controller in [Controller::Memory, Controller::Pids] {
            assert_eq!(
                candidates(&parse_proc_cgroup(V2_CGROUP), &v2_mounts, controller),
                [(Version::V2, pod.clone())]
            );
        }
        // With a cgroup namespace, the path and the root are both `/`.
        let v2 = candidates(&parse_proc_cgroup("0::/\n"), &v2_mounts, Controller::Pids);
        assert_eq!(v2, [(Version::V2, PathBuf::from("/sys/fs/cgroup"))]);
        // A runtime bind-mounts the container's own cgroup at the mount point.
        let own = parse_proc_cgroup(HYBRID_CGROUP);
        let mounts = parse_cgroup_mounts(HYBRID_MOUNTINFO);
        let memory = candidates(&own, &mounts, Controller::Memory);
        assert_eq!(
            memory[..2],
            [
                (Version::V2, PathBuf::from("/sys/fs/cgroup/unified")),
                (Version::V1, PathBuf::from("/sys/fs/cgroup/memory")),
            ]
        );
        assert_eq!(
            candidates(&own, &mounts, Controller::Pids),
            [
                (Version::V2, PathBuf::from("/sys/fs/cgroup/unified")),
                (Version::V1, PathBuf::from("/sys/fs/cgroup/pids")),
            ]
        );
        // A mount of another sub-tree does not show rinit's cgroup.
        let other = candidates(
            &parse_proc_cgroup("0::/a/b\n"),
            &parse_cgroup_mounts("1 0 0:1 /a/bc /x rw - cgroup2 cgroup2 rw\n"),
            Controller::Memory,
        );
        assert!(other.is_empty(), "{other:?}");
    }

    /// The byte searches split as the `str` methods they stand in for.
    #[test]
    fn byte_searches_split_as_str_does() {
        for line in [
            "1 2 0:3 / /x rw - cgroup2 cgroup2 rw",
            "1 2 0:3 /a-b /x-y rw shared:4 - cgroup c - rw,memory",
            "- a - b",
            "a -",
            "a - ",
            " - ",
            "a  -  b",
            "-",
            "",
            "no separator-here",
        ] {
            assert_eq!(split_at_separator(line), line.split_once(" - "), "{line:?}");
        }
        for (text, byte) in [("a:b:c", b':'), ("abc", b':'), (":", b':'), ("ü x", b' ')] {
            assert_eq!(split_at_byte(text, byte), text.split_once(byte as char));
        }
        let listed = |list| v1_controllers(list).collect::<Vec<_>>();
        assert_eq!(listed("rw,memory"), [Controller::Memory]);
        assert_eq!(
            listed("pids,rw,memory"),
            [Controller::Pids, Controller::Memory]
        );
        assert_eq!(listed("rw,memoryx,xpids,"), []);
        assert_eq!(listed(""), []);
    }

    #[test]
    fn escaped_paths_are_unescaped_and_others_borrowed() {
        assert!(matches!(
            unescape_mountinfo("/sys/fs/cgroup"),
            Cow::Borrowed(_)
        ));
        assert_eq!(unescape_mountinfo("/a\\040b\\134"), "/a b\\");
        // An escape that is not three octal digits stays as it is.
        assert_eq!(unescape_mountinfo("/a\\08x\\"), "/a\\08x\\");
        // A byte that is not UTF-8 is replaced, not dropped.
        assert_eq!(unescape_mountinfo("/a\\377"), "/a\u{fffd}");
    }

    #[test]
    fn joined_is_join() {
        for (dir, name) in [
            ("/sys/fs/cgroup", "a/b"),
            ("/x/", "y"),
            ("/x", ""),
            ("/", "memory.max"),
        ] {
            let (ours, std) = (joined(Path::new(dir), name), Path::new(dir).join(name));
            assert_eq!(ours.as_os_str(), std.as_os_str());
        }
    }

    #[test]
    fn a_text_longer_than_its_buffer_is_read_whole() {
        let path = std::env::temp_dir().join(format!("rinit-read-text-{}", std::process::id()));
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        let read = read_text(&path, 16);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read.unwrap(), text);
    }

    #[test]
    fn counters_of_both_versions() {
        let v2_events = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
        assert_eq!(parse_keyed(v2_events, "oom_kill"), Some(2));
        let v1_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n";
        assert_eq!(parse_keyed(v1_control, "oom_kill"), Some(5));
        // Linux before 4.13 has no oom_kill line in v1.
        assert_eq!(
            parse_keyed("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"),
            None
        );
        assert_eq!(parse_keyed("oom_kill x\n", "oom_kill"), None);
        assert_eq!(parse_keyed("", "oom_kill"), None);
        // pids.events, v1 and v2 alike (v2 may add `max.imposed`).
        assert_eq!(parse_keyed("max 7\n", "max"), Some(7));
        assert_eq!(parse_keyed("max 0\nmax.imposed 3\n", "max"), Some(0));
    }

    #[test]
    fn limits_of_both_versions() {
        assert_eq!(parse_limit("67108864\n"), Some(64 << 20));
        assert_eq!(parse_limit("max\n"), None);
        assert_eq!(parse_limit("9223372036854771712\n"), None);
        assert_eq!(parse_limit(""), None);
        assert_eq!(parse_limit("20\n"), Some(20));
    }
}
