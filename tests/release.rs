//! The release (issues 14 and 27): `scripts/release` builds a static musl
//! binary per architecture, with its dependency data (`.dep-v0`), an SBOM
//! and a .deb, reproducibly, and each binary is run on its own architecture
//! as PID 1 of a fresh PID namespace. Foreign ones run under Debian's qemu-user-static,
//! registered with the kernel's binfmt_misc, so rinit's own code is emulated
//! while the workloads it starts are this machine's programs (the kernel
//! picks the interpreter per executable). Then the release image: built per
//! architecture and joined in a manifest list by `scripts/release --image`,
//! taken with `COPY --from` into an arm64 image, and run as an arm64
//! container under podman.
//!
//! Nothing here skips: a missing cross toolchain, target, qemu or a kernel
//! that refuses binfmt_misc fails the tests and says what is missing
//! (scripts/setup installs all of it).

mod common;
use common::*;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// One row of scripts/release's table, with what its binary must look like.
struct Arch {
    /// The suffix of the file name: Debian's name but for ppc64le.
    name: &'static str,
    /// Debian's name, in the .deb's.
    deb: &'static str,
    /// ELF `e_machine`.
    machine: u16,
    bits: u8,
    big_endian: bool,
    /// The qemu-user-static emulator that runs it here; `None` when this
    /// machine's processor runs it itself (x86_64 runs i386 code natively).
    qemu: Option<&'static str>,
}

const ARCHES: [Arch; 7] = [
    arch("amd64", "amd64", 62, 64, false, None),
    arch("arm64", "arm64", 183, 64, false, Some("aarch64")),
    arch("i386", "i386", 3, 32, false, None),
    arch("armhf", "armhf", 40, 32, false, Some("arm")),
    arch("ppc64le", "ppc64el", 21, 64, false, Some("ppc64le")),
    arch("s390x", "s390x", 22, 64, true, Some("s390x")),
    arch("riscv64", "riscv64", 243, 64, false, Some("riscv64")),
];

const fn arch(
    name: &'static str,
    deb: &'static str,
    machine: u16,
    bits: u8,
    big_endian: bool,
    qemu: Option<&'static str>,
) -> Arch {
    Arch {
        name,
        deb,
        machine,
        bits,
        big_endian,
        qemu,
    }
}

fn by_name(name: &str) -> &'static Arch {
    ARCHES.iter().find(|a| a.name == name).unwrap()
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn file_name(arch: &Arch) -> String {
    format!("rinit-{VERSION}-{}", arch.name)
}

fn sbom_name(arch: &Arch) -> String {
    format!("{}.cdx.json", file_name(arch))
}

fn deb_name(arch: &Arch) -> String {
    format!("rinit_{VERSION}_{}.deb", arch.deb)
}

/// `scripts/release --out OUT [ARGS...]`, building in a target directory of
/// its own so as not to wait on the lock of the `cargo test` that runs this.
fn release_command(out: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(repo().join("scripts/release"));
    cmd.env("CARGO_TARGET_DIR", repo().join("target/release-build"))
        .arg("--out")
        .arg(out)
        .args(args);
    cmd
}

/// The release directory, built once for all the tests of this file.
fn dist() -> &'static Path {
    static DIST: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = DIST.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-dist");
        output_of(release_command(&out, &[])).map(|_| out)
    });
    match built {
        Ok(dist) => dist,
        Err(why) => panic!("scripts/release failed (scripts/setup installs what it needs): {why}"),
    }
}

// ---------------------------------------------------------------------------
// What the binaries are

/// What the ELF header and program headers of an executable say.
#[derive(Debug, PartialEq)]
struct Elf {
    bits: u8,
    big_endian: bool,
    machine: u16,
    /// `ET_EXEC` (2) for a plain executable, `ET_DYN` (3) for a PIE.
    kind: u16,
    /// Whether it names a program interpreter (a dynamic loader).
    interpreter: bool,
}

fn read_elf(bytes: &[u8]) -> Result<Elf, String> {
    if bytes.len() < 52 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    let bits = match bytes[4] {
        1 => 32,
        2 => 64,
        other => return Err(format!("unknown ELF class {other}")),
    };
    let big_endian = match bytes[5] {
        1 => false,
        2 => true,
        other => return Err(format!("unknown ELF data encoding {other}")),
    };
    let field = |at: usize, size: usize| int_at(bytes, big_endian, at as u64, size);
    // The program header table's place, entry size and count sit at
    // different offsets in the 32- and 64-bit layouts.
    let (table, entry_size, entries) = if bits == 64 {
        (field(0x20, 8)?, field(0x36, 2)?, field(0x38, 2)?)
    } else {
        (field(0x1c, 4)?, field(0x2a, 2)?, field(0x2c, 2)?)
    };
    const PT_INTERP: u64 = 3;
    let mut interpreter = false;
    for i in 0..entries {
        interpreter |= field((table + i * entry_size) as usize, 4)? == PT_INTERP;
    }
    Ok(Elf {
        bits,
        big_endian,
        machine: field(0x12, 2)? as u16,
        kind: field(0x10, 2)? as u16,
        interpreter,
    })
}

/// The unsigned integer of `size` bytes at `at`.
fn int_at(bytes: &[u8], big_endian: bool, at: u64, size: usize) -> Result<u64, String> {
    let raw = usize::try_from(at)
        .ok()
        .and_then(|at| bytes.get(at..at.checked_add(size)?))
        .ok_or_else(|| format!("truncated at byte {at}"))?;
    let mut value = 0u64;
    for i in 0..size {
        let byte = if big_endian {
            raw[i]
        } else {
            raw[size - 1 - i]
        };
        value = value << 8 | u64::from(byte);
    }
    Ok(value)
}

/// The bytes of the section called `name`, found through the section
/// header table and the table of section names (`e_shstrndx`).
fn elf_section<'a>(bytes: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, String> {
    let elf = read_elf(bytes)?;
    let wide = elf.bits == 64;
    let field = |at: u64, size: usize| int_at(bytes, elf.big_endian, at, size);
    let (table, entry_size, entries, names) = if wide {
        (
            field(0x28, 8)?,
            field(0x3a, 2)?,
            field(0x3c, 2)?,
            field(0x3e, 2)?,
        )
    } else {
        (
            field(0x20, 4)?,
            field(0x2e, 2)?,
            field(0x30, 2)?,
            field(0x32, 2)?,
        )
    };
    // A section header's name (an offset into the names), file offset and
    // size.
    let header = |i: u64| -> Result<(u64, u64, u64), String> {
        let at = table + i * entry_size;
        Ok(if wide {
            (field(at, 4)?, field(at + 0x18, 8)?, field(at + 0x20, 8)?)
        } else {
            (field(at, 4)?, field(at + 0x10, 4)?, field(at + 0x14, 4)?)
        })
    };
    let slice = |offset: u64, size: u64| {
        usize::try_from(offset)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(offset, size)| bytes.get(offset..offset.checked_add(size)?))
            .ok_or_else(|| format!("a section past the end (at {offset}, {size} bytes)"))
    };
    let (_, names_at, names_size) = header(names)?;
    let names = slice(names_at, names_size)?;
    for i in 0..entries {
        let (name_at, offset, size) = header(i)?;
        let this = names
            .get(name_at as usize..)
            .and_then(|rest| rest.split(|&b| b == 0).next())
            .ok_or_else(|| format!("section {i}: its name is past the names"))?;
        if this == name.as_bytes() {
            return slice(offset, size).map(Some);
        }
    }
    Ok(None)
}

/// Whether the file names glibc: static glibc's own messages do ("Fatal
/// glibc error: ..."), musl's never.
fn names_glibc(bytes: &[u8]) -> bool {
    bytes.windows(5).any(|w| w.eq_ignore_ascii_case(b"glibc"))
}

/// What a python3 script prints for `input` on its stdin.
fn python(script: &str, input: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (scripts/setup installs it)");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The crates ("NAME VERSION", sorted) in cargo-auditable's `.dep-v0` data:
/// zlib-compressed JSON, whose packages of kind "runtime" (the default) are
/// compiled in; rinit itself is the root.
fn audit_crates(section: &[u8]) -> Vec<String> {
    let script = "import json, sys, zlib
data = json.loads(zlib.decompress(sys.stdin.buffer.read()))
for p in data['packages']:
    if p.get('kind', 'runtime') == 'runtime' and not p.get('root'):
        print(p['name'], p['version'])";
    let mut crates: Vec<String> = python(script, section).lines().map(String::from).collect();
    crates.sort();
    crates
}

/// The crates ("NAME VERSION", sorted) of a CycloneDX SBOM, each with its
/// licence, which must be there.
fn sbom_crates(sbom: &[u8]) -> Vec<String> {
    let script = "import json, sys
for c in json.load(sys.stdin)['components']:
    if c.get('purl', '').startswith('pkg:cargo/'):
        assert c['licenses'][0]['expression'], c
        print(c['name'], c['version'])";
    let mut crates: Vec<String> = python(script, sbom).lines().map(String::from).collect();
    crates.sort();
    crates
}

#[test]
fn elf_reader_reads_both_layouts_and_both_byte_orders() {
    // A 64-bit little-endian header with one PT_INTERP program header.
    let mut le64 = vec![0u8; 64 + 56];
    le64[..6].copy_from_slice(b"\x7fELF\x02\x01");
    le64[0x10] = 2;
    le64[0x12] = 183;
    le64[0x20] = 64;
    le64[0x36] = 56;
    le64[0x38] = 1;
    le64[64] = 3;
    let elf = read_elf(&le64).unwrap();
    assert_eq!(
        elf,
        Elf {
            bits: 64,
            big_endian: false,
            machine: 183,
            kind: 2,
            interpreter: true
        }
    );
    // A 32-bit big-endian header with one PT_LOAD program header.
    let mut be32 = vec![0u8; 52 + 32];
    be32[..6].copy_from_slice(b"\x7fELF\x01\x02");
    be32[0x11] = 3;
    be32[0x13] = 22;
    be32[0x1f] = 52;
    be32[0x2b] = 32;
    be32[0x2d] = 1;
    be32[52 + 3] = 1;
    let elf = read_elf(&be32).unwrap();
    assert_eq!(
        elf,
        Elf {
            bits: 32,
            big_endian: true,
            machine: 22,
            kind: 3,
            interpreter: false
        }
    );
    assert!(read_elf(b"#!/bin/sh\n").is_err());
    le64.truncate(66);
    assert!(read_elf(&le64).is_err(), "a program header past the end");
}

#[test]
fn the_release_holds_a_static_executable_per_architecture_and_their_sums() {
    let dist = dist();
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).expect("SHA256SUMS");
    let listed: Vec<&str> = sums
        .lines()
        .map(|line| line.split_once("  ").expect("HASH  NAME").1)
        .collect();
    let expected: Vec<String> = ARCHES
        .iter()
        .flat_map(|arch| [file_name(arch), sbom_name(arch), deb_name(arch)])
        .collect();
    assert_eq!(listed, expected, "{sums}");
    let mut check = Command::new("sha256sum");
    check
        .current_dir(dist)
        .args(["--check", "--strict", "SHA256SUMS"]);
    output_of(check).unwrap_or_else(|e| panic!("{e}"));

    for arch in &ARCHES {
        let path = dist.join(file_name(arch));
        let elf = read_elf(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let wanted = Elf {
            bits: arch.bits,
            big_endian: arch.big_endian,
            machine: arch.machine,
            // .cargo/config.toml makes every target a plain static
            // executable, not a static PIE.
            kind: 2,
            interpreter: false,
        };
        assert_eq!(elf, wanted, "{}", path.display());
    }
}

#[test]
fn every_binary_is_musl_and_carries_every_crate_its_sbom_names() {
    let dist = dist();
    // The check can fail: tini-static is static glibc.
    let tini = std::fs::read("/usr/bin/tini-static").expect("tini-static (scripts/setup)");
    assert!(
        names_glibc(&tini),
        "the glibc check finds nothing in tini-static"
    );
    for arch in &ARCHES {
        let bytes = std::fs::read(dist.join(file_name(arch))).unwrap();
        let name = arch.name;
        assert!(!names_glibc(&bytes), "{name}: glibc is linked in");
        let section = elf_section(&bytes, ".dep-v0")
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .unwrap_or_else(|| panic!("{name}: no .dep-v0 section"));
        let embedded = audit_crates(section);
        let sbom = std::fs::read(dist.join(sbom_name(arch))).unwrap();
        let listed = sbom_crates(&sbom);
        for must in ["clap", "libc", "nix", "log", "env_logger", "signal-hook"] {
            assert!(
                listed.iter().any(|c| c.split(' ').next() == Some(must)),
                "{name}: the SBOM misses {must}: {listed:?}"
            );
        }
        // cargo-auditable reads `cargo metadata`, which unifies features
        // the old way (regex through env_filter's default features), so
        // it may name more than cargo's resolver compiles in, never less.
        let missing: Vec<&String> = listed.iter().filter(|c| !embedded.contains(c)).collect();
        assert!(
            missing.is_empty(),
            "{name}: .dep-v0 lacks {missing:?} of the SBOM; it holds {embedded:?}"
        );
    }
}

#[test]
fn the_static_amd64_binary_stays_within_768_kib() {
    let size = std::fs::metadata(dist().join(file_name(by_name("amd64"))))
        .unwrap()
        .len();
    assert!(size <= 768 * 1024, "{size} bytes");
}

// ---------------------------------------------------------------------------
// binfmt_misc

const BINFMT: &str = "/proc/sys/fs/binfmt_misc";

/// Makes the kernel run executables of qemu's architecture `qemu` through
/// Debian's qemu-user-static, as its /usr/lib/binfmt.d file describes,
/// unless that is already so. Returns the entry's flags. Registration is
/// machine-wide and outlives the tests, as when binfmt-support does it.
fn binfmt(qemu: &str) -> Result<String, String> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let register = Path::new(BINFMT).join("register");
    if !register.exists() {
        let mut mount = Command::new("mount");
        mount.args(["-t", "binfmt_misc", "binfmt_misc", BINFMT]);
        output_of(mount).map_err(|e| {
            format!("binfmt_misc is not mounted and mounting it failed (needs root): {e}")
        })?;
    }
    let entry = Path::new(BINFMT).join(format!("qemu-{qemu}"));
    if !entry.exists() {
        let conf = format!("/usr/lib/binfmt.d/qemu-{qemu}.conf");
        let text = std::fs::read_to_string(&conf)
            .map_err(|e| format!("{conf}: {e} (install qemu-user-static: scripts/setup)"))?;
        let line = text
            .lines()
            .find(|l| l.starts_with(':'))
            .ok_or_else(|| format!("{conf} holds no registration line"))?;
        // The kernel takes one registration per write.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .open(&register)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(e) = written {
            if !entry.exists() {
                return Err(format!(
                    "the kernel refused to register qemu-{qemu} with binfmt_misc: {e}"
                ));
            }
        }
    }
    let state = std::fs::read_to_string(&entry).map_err(|e| format!("{}: {e}", entry.display()))?;
    if state.lines().next() != Some("enabled") {
        return Err(format!(
            "{} is registered but disabled:\n{state}",
            entry.display()
        ));
    }
    Ok(state
        .lines()
        .find_map(|l| l.strip_prefix("flags: "))
        .unwrap_or("")
        .to_owned())
}

fn binfmt_or_panic(qemu: &str) -> String {
    binfmt(qemu).unwrap_or_else(|why| panic!("cannot run foreign binaries here: {why}"))
}

// ---------------------------------------------------------------------------
// Each binary as PID 1, on its own architecture

/// The core in one run, with rinit's own code running on `arch`: the exit
/// code mirrored, a signal forwarded, an orphan reaped, and the drain at
/// exit (SIGTERM to the rest, a grace, then SIGKILL).
fn smoke(name: &str) {
    let arch = by_name(name);
    let binary = dist().join(file_name(arch));
    if let Some(qemu) = arch.qemu {
        binfmt_or_panic(qemu);
    }
    let scratch = Scratch::new(&format!("release-{name}"));
    let data = scratch.file("data");
    let tk = testkit();
    // The background writer saves its file on SIGTERM; ignore-term needs
    // the SIGKILL; sigecho reports the forwarded signal and ends, on stdin's
    // close, the main process, which exits 3.
    let script = format!(
        "echo \"exe $(readlink /proc/1/exe)\"
         {tk} orphans 1
         {tk} writer {data} 100 &
         {tk} ignore-term &
         {tk} sigecho
         exit 3"
    );
    let binary = binary.to_string_lossy().into_owned();
    let mut running = Running::start(as_pid1(
        &binary,
        &["-vv", "--grace", "3s", "--", "sh", "-c", &script],
    ));

    // PID 1 is the emulator running rinit (or rinit itself when native).
    let exe = running.expect_line("naming PID 1's executable", |l| l.starts_with("exe "));
    match arch.qemu {
        Some(qemu) => assert!(
            exe.contains(&format!("qemu-{qemu}")),
            "{name}: PID 1 is not emulated: {exe}"
        ),
        None => assert_eq!(exe, format!("exe {binary}"), "{name}"),
    }

    running.expect("orphaned 1");
    running.expect_stderr_line("about the reaped orphan", |l| l.contains("reaped process"));
    // The orphan is rinit's to reap; `testkit orphans` itself is the
    // shell's, which may take a moment: no zombie stays for good.
    let pid1 = running.rinit_pid();
    wait_until(&format!("{name}: no zombie below PID 1"), || {
        descendants(pid1).1.is_empty()
    });

    for _ in 0..3 {
        running.expect("ready");
    }
    running.signal(libc::SIGWINCH);
    running.expect(&format!("signal {}", libc::SIGWINCH));

    running.close_stdin();
    let done = running.finish();
    assert_eq!(
        done.code, 3,
        "{name}: the exit code is not mirrored: {done:?}"
    );
    let log = &done.stderr;
    let term = log
        .find("sending SIGTERM to 2 remaining processes")
        .unwrap_or_else(|| panic!("{name}: no drain: {log}"));
    let kill = log
        .find("sending SIGKILL")
        .unwrap_or_else(|| panic!("{name}: no SIGKILL after the grace: {log}"));
    assert!(term < kill, "{name}: {log}");
    let written = std::fs::read_to_string(&data).unwrap_or_default();
    assert!(
        written.ends_with("complete\n"),
        "{name}: the writer was not drained: {written:?}"
    );
}

#[test]
fn pid1_on_amd64() {
    smoke("amd64");
}

#[test]
fn pid1_on_arm64() {
    smoke("arm64");
}

#[test]
fn pid1_on_i386() {
    smoke("i386");
}

#[test]
fn pid1_on_armhf() {
    smoke("armhf");
}

#[test]
fn pid1_on_ppc64le() {
    smoke("ppc64le");
}

#[test]
fn pid1_on_s390x() {
    smoke("s390x");
}

#[test]
fn pid1_on_riscv64() {
    smoke("riscv64");
}

// ---------------------------------------------------------------------------
// The image

/// Debian's static busybox for arm64, unpacked by scripts/setup.
const ARM64_BUSYBOX: &str = "/usr/local/lib/rinit-tests/arm64/busybox";

/// A podman confined to one directory through its own configuration files
/// (so that scripts/release, which runs plain `podman`, uses it too); its
/// containers and the directory are removed when dropped.
struct Podman {
    state: PathBuf,
}

impl Podman {
    fn new() -> Podman {
        let state = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("release-podman-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).unwrap();
        let path = |name: &str| state.join(name).to_string_lossy().into_owned();
        // As tests/containers/containers.conf, plus a temporary directory
        // of its own.
        let conf = format!(
            "[containers]\ndefault_ulimits = []\n\
             [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n\
             events_logger = \"file\"\ntmp_dir = \"{}\"\n",
            path("tmp")
        );
        let storage = format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            path("root"),
            path("run")
        );
        std::fs::write(state.join("containers.conf"), conf).unwrap();
        std::fs::write(state.join("storage.conf"), storage).unwrap();
        Podman { state }
    }

    fn configure(&self, cmd: &mut Command) {
        cmd.env("CONTAINERS_CONF", self.state.join("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", self.state.join("storage.conf"));
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("podman");
        self.configure(&mut cmd);
        cmd.args(args);
        cmd
    }

    fn ok(&self, args: &[&str]) -> String {
        output_of(self.command(args)).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self
            .command(&["rm", "--all", "--force", "--time", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let below = format!("{}/", self.state.display());
        if !mounts.lines().any(|line| line.contains(&below)) {
            let _ = std::fs::remove_dir_all(&self.state);
        }
    }
}

#[test]
fn the_image_brings_rinit_into_an_arm64_container_under_podman() {
    let flags = binfmt_or_panic("aarch64");
    // The kernel opens a containerised executable's interpreter by its path
    // on the host only if the entry was registered with F ("fix binary"):
    // there is no qemu inside the container.
    assert!(
        flags.contains('F'),
        "qemu-aarch64 is registered without the F flag ({flags}), so containers cannot use it: \
         remove it (echo -1 > {BINFMT}/qemu-aarch64) and run again"
    );
    let podman = Podman::new();
    let image = format!("localhost/rinit-release-test:{VERSION}");

    // The release, with its images and manifest list.
    let out = podman.state.join("dist");
    let mut release = release_command(&out, &["--image", &image]);
    podman.configure(&mut release);
    output_of(release).unwrap_or_else(|e| panic!("scripts/release --image failed: {e}"));
    let list = podman.ok(&["manifest", "inspect", &image]);
    for platform in [
        "\"amd64\"",
        "\"arm64\"",
        "\"386\"",
        "\"arm\"",
        "\"ppc64le\"",
        "\"s390x\"",
        "\"riscv64\"",
    ] {
        assert!(
            list.contains(&format!("\"architecture\": {platform}")),
            "no {platform} image in the manifest list:\n{list}"
        );
    }
    assert!(
        list.contains("\"variant\": \"v7\""),
        "armhf is arm/v7:\n{list}"
    );

    // A user's arm64 image: rinit taken from the list with COPY --from,
    // next to an arm64 userland.
    let context = podman.state.join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::copy(ARM64_BUSYBOX, context.join("busybox"))
        .unwrap_or_else(|e| panic!("{ARM64_BUSYBOX}: {e} (scripts/setup unpacks it)"));
    let containerfile = repo().join("tests/release/copy-from.Containerfile");
    let rinit_image = format!("RINIT_IMAGE={image}");
    let user_image = "localhost/rinit-release-user:arm64";
    podman.ok(&[
        "build",
        "--quiet",
        "--pull=never",
        "--platform",
        "linux/arm64",
        "--build-arg",
        &rinit_image,
        "-f",
        &containerfile.to_string_lossy(),
        "-t",
        user_image,
        &context.to_string_lossy(),
    ]);
    let built_for = podman.ok(&[
        "image",
        "inspect",
        "--format",
        "{{.Architecture}}",
        user_image,
    ]);
    assert_eq!(built_for.trim(), "arm64");

    // The container: arm64 rinit as PID 1 (emulated), an arm64 shell as its
    // child. A SIGTERM from the engine reaches the shell through rinit, and
    // the shell's exit code comes back out of `podman run`.
    let name = format!("rinit-release-{}", std::process::id());
    let script = "echo machine $(busybox uname -m)
        echo pid1 $(busybox tr '\\0' ' ' </proc/1/cmdline)
        trap 'echo got TERM; exit 7' TERM
        busybox sleep 600 &
        echo ready
        wait";
    let mut running = Running::start(podman.command(&[
        "run",
        "--rm",
        "--name",
        &name,
        "--network",
        "none",
        user_image,
        "/bin/busybox",
        "sh",
        "-c",
        script,
    ]));
    running.expect("machine aarch64");
    let pid1 = running.expect_line("naming PID 1", |l| l.starts_with("pid1 "));
    assert!(
        pid1.contains("/rinit -- /bin/busybox sh"),
        "PID 1 is not rinit: {pid1}"
    );
    running.expect("ready");
    podman.ok(&["kill", "--signal", "TERM", &name]);
    running.expect("got TERM");
    let done = running.finish();
    assert_eq!(done.code, 7, "{done:?}");
}

// ---------------------------------------------------------------------------
// The docs, the .deb, reproducibility

/// The text between `<!-- NAME: written by scripts/release -->` and
/// `<!-- /NAME -->` in the repository's file `doc`.
fn generated(doc: &str, name: &str) -> String {
    let text = std::fs::read_to_string(repo().join(doc)).unwrap();
    let begin = format!("<!-- {name}: written by scripts/release -->");
    let (_, rest) = text
        .split_once(&begin)
        .unwrap_or_else(|| panic!("{doc} has no {begin}"));
    let (block, _) = rest
        .split_once(&format!("<!-- /{name} -->"))
        .unwrap_or_else(|| panic!("{doc}: {begin} is not closed"));
    block.to_owned()
}

/// "703,088" -> 703088.
fn number(text: &str) -> Option<u64> {
    text.trim().replace(',', "").parse().ok()
}

#[test]
fn the_docs_give_the_sizes_of_a_fresh_build() {
    let dist = dist();
    let size = |arch: &Arch| std::fs::metadata(dist.join(file_name(arch))).unwrap().len();
    let fix = "run `scripts/release --docs` and commit what it writes";
    let table = generated("README.md", "sizes");
    for arch in &ARCHES {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", arch.name)))
            .unwrap_or_else(|| panic!("README's Install table has no row for {}", arch.name));
        let cell = row.trim_end_matches('|').rsplit('|').next().unwrap();
        assert_eq!(
            number(cell),
            Some(size(arch)),
            "README's Install table, {}: {fix}",
            arch.name
        );
    }
    let line = generated("docs/release.md", "size");
    let amd64 = line
        .split_whitespace()
        .find_map(number)
        .unwrap_or_else(|| panic!("no size in docs/release.md's: {line}"));
    assert_eq!(amd64, size(by_name("amd64")), "docs/release.md: {fix}");
}

#[test]
fn the_amd64_deb_installs_and_its_rinit_runs_as_pid1() {
    let deb = dist().join(deb_name(by_name("amd64")));
    let deb = deb.to_string_lossy().into_owned();
    // apt takes the file as it is: `apt install ./rinit_VERSION_amd64.deb`,
    // simulated (nothing is installed on this machine).
    let mut apt = Command::new("apt-get");
    apt.args(["install", "--simulate", "--no-install-recommends"])
        .args(["-o", "Debug::NoLocking=1", &deb]);
    let plan = output_of(apt).unwrap_or_else(|e| panic!("apt refuses the .deb: {e}"));
    assert!(
        plan.lines().any(|l| l.starts_with("Inst rinit ")),
        "apt would not install rinit:\n{plan}"
    );

    // Installed for real into an empty root with its own dpkg database.
    let root = Scratch::new("release-deb");
    let admin = root.0.join("var/lib/dpkg");
    std::fs::create_dir_all(admin.join("info")).unwrap();
    std::fs::create_dir_all(admin.join("updates")).unwrap();
    std::fs::write(admin.join("status"), "").unwrap();
    let mut dpkg = Command::new("dpkg");
    dpkg.arg(format!("--root={}", root.0.display()))
        .args(["--force-not-root", "--install", &deb]);
    output_of(dpkg).unwrap_or_else(|e| panic!("dpkg --install: {e}"));
    let mut listed = Command::new("dpkg");
    listed
        .arg(format!("--root={}", root.0.display()))
        .args(["--listfiles", "rinit"]);
    let files = output_of(listed).unwrap_or_else(|e| panic!("{e}"));
    for wanted in [
        "/usr/bin/rinit",
        "/usr/share/doc/rinit/copyright",
        "/usr/share/doc/rinit/README.md.gz",
    ] {
        assert!(files.lines().any(|l| l == wanted), "{wanted}:\n{files}");
        assert!(
            root.0.join(&wanted[1..]).is_file(),
            "{wanted} not installed"
        );
    }
    let licence = std::fs::read(repo().join("LICENSE")).unwrap();
    assert_eq!(
        std::fs::read(root.0.join("usr/share/doc/rinit/copyright")).unwrap(),
        licence
    );

    let rinit = root.0.join("usr/bin/rinit").to_string_lossy().into_owned();
    let done = run(as_pid1(&rinit, &["--", "sh", "-c", "exit 5"]));
    assert_eq!(done.code, 5, "{done:?}");
}

/// The files of the working tree that git knows or would add (the
/// uncommitted state too), copied to `to`.
fn copy_checkout(to: &Path) {
    let mut ls = Command::new("git");
    ls.current_dir(repo())
        .args(["ls-files", "--cached", "--others", "--exclude-standard"]);
    let files = output_of(ls).unwrap_or_else(|e| panic!("{e}"));
    for file in files.lines() {
        let from = repo().join(file);
        if from.is_file() {
            let dest = to.join(file);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(&from, &dest).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
}

#[test]
fn a_second_build_elsewhere_gives_the_same_amd64_bytes() {
    let dist = dist();
    // Another checkout path, another target directory and cargo's home
    // (the registry's sources) under another name: the second run shares
    // nothing with the first but the inputs and the toolchains.
    let elsewhere = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-repro");
    let _ = std::fs::remove_dir_all(&elsewhere);
    let checkout = elsewhere.join("checkout/rinit");
    copy_checkout(&checkout);
    // Not a git checkout: the time of the original's last commit, as the
    // first run took it.
    let mut log = Command::new("git");
    log.current_dir(repo()).args(["log", "-1", "--format=%ct"]);
    let epoch = output_of(log).unwrap_or_else(|e| panic!("{e}"));
    // Nor can build.rs ask git for the commit `--version` names.
    let mut head = Command::new("git");
    head.current_dir(repo()).args(["rev-parse", "HEAD"]);
    let commit = output_of(head).unwrap_or_else(|e| panic!("{e}"));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"));
    let cargo_home_elsewhere = elsewhere.join("cargo-home");
    std::os::unix::fs::symlink(&cargo_home, &cargo_home_elsewhere).unwrap();
    let out = elsewhere.join("dist");
    let mut again = Command::new(checkout.join("scripts/release"));
    again
        .env("CARGO_TARGET_DIR", elsewhere.join("target"))
        .env("CARGO_HOME", &cargo_home_elsewhere)
        .env("SOURCE_DATE_EPOCH", epoch.trim())
        .env("RINIT_GIT_COMMIT", commit.trim())
        .args(["--out", &out.to_string_lossy(), "amd64"]);
    output_of(again).unwrap_or_else(|e| panic!("the second build failed: {e}"));

    let amd64 = by_name("amd64");
    for name in [file_name(amd64), sbom_name(amd64), deb_name(amd64)] {
        let first = std::fs::read(dist.join(&name)).unwrap();
        let second = std::fs::read(out.join(&name)).unwrap();
        assert!(first == second, "{name} differs between the two builds");
    }
    let sums = |dir: &Path| std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let first = sums(dist);
    let second = sums(&out);
    for line in second.lines() {
        assert!(
            first.lines().any(|l| l == line),
            "{line} is not in\n{first}"
        );
    }
    assert_eq!(second.lines().count(), 3, "{second}");
    let _ = std::fs::remove_dir_all(&elsewhere);
}
