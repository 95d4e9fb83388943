//! A pseudo-terminal for tests of interactive use: Ctrl-C, Ctrl-Z, a shell's
//! job control. The test types on the master side and reads the screen.

use super::*;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// A program on a pseudo-terminal, whose screen the test reads and whose
/// keyboard it types on.
pub(crate) struct Terminal {
    master: nix::pty::PtyMaster,
    child: std::process::Child,
    seen: String,
}

impl Terminal {
    /// rinit as PID 1 on the terminal, as in `docker run -it`: the terminal
    /// is the controlling terminal of rinit's session.
    pub(crate) fn start(args: &[&str]) -> Terminal {
        Terminal::spawn(rinit_pid1(args), true)
    }

    /// `command` as the leader of a session whose controlling terminal this
    /// is, as a terminal emulator starts a shell: `testkit terminal` as PID
    /// 1 of a new namespace starts it, reaps everything (and prints what it
    /// reaped on the screen), and exits only once no process is left. The
    /// processes left behind by the session leader are re-parented to it,
    /// outside the session, as they would be to a real init.
    pub(crate) fn session(command: &[&str]) -> Terminal {
        let mut args = vec!["terminal"];
        args.extend(command);
        Terminal::spawn(as_pid1(&testkit(), &args), false)
    }

    /// At a shell's prompt: types `INIT -- testkit job 7`, waits until the
    /// job reads the terminal and has read one line from it; returns the
    /// pids of the job program and of the init, as the job printed them
    /// (in the terminal's PID namespace).
    pub(crate) fn start_job(&mut self, init: &str) -> (i32, i32) {
        self.type_in(&format!("{init} -- {} job 7\n", testkit()));
        let screen = self.wait_for(" ready");
        let line = &screen[screen.rfind("job ").expect("the job's line")..];
        let pids: Vec<i32> = line
            .split_whitespace()
            .skip(1)
            .take(2)
            .map(|n| n.parse().expect("a pid"))
            .collect();
        // The typed line is echoed by the terminal, then the job answers it.
        self.type_in("one\n");
        self.wait_for("got one");
        (pids[0], pids[1])
    }

    /// Runs `cmd` in a new session with the terminal as stdin, stdout and
    /// stderr; `controlling`: as that session's controlling terminal.
    fn spawn(mut cmd: Command, controlling: bool) -> Terminal {
        use std::os::fd::IntoRawFd;
        // Both ends are opened close-on-exec, atomically: tests run in
        // parallel threads, and a child forked meanwhile by another test
        // must not inherit them. dup2 below makes the child's copies plain.
        use nix::fcntl::OFlag;
        let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
            .expect("posix_openpt");
        nix::pty::grantpt(&master).expect("grantpt");
        nix::pty::unlockpt(&master).expect("unlockpt");
        let slave_name = nix::pty::ptsname_r(&master).expect("ptsname");
        let slave = nix::fcntl::open(
            slave_name.as_str(),
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .expect("open the terminal")
        .into_raw_fd();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::setsid();
                if controlling {
                    libc::ioctl(slave, libc::TIOCSCTTY, 0);
                }
                for fd in 0..3 {
                    libc::dup2(slave, fd);
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn");
        // SAFETY: the parent's copy of the slave is no longer needed.
        unsafe { libc::close(slave) };
        Terminal {
            master,
            child,
            seen: String::new(),
        }
    }

    pub(crate) fn type_in(&mut self, text: &str) {
        use std::io::Write;
        self.master.write_all(text.as_bytes()).unwrap();
    }

    /// Starts an interactive bash under rinit, with a prompt that typed
    /// text cannot match (what is typed is echoed too).
    pub(crate) fn bash() -> Terminal {
        let mut terminal = Terminal::start(&["--", "bash", "--norc", "--noprofile", "-i"]);
        terminal.type_in("PS1='pro''mpt> '\n");
        terminal.wait_for("prompt> ");
        terminal
    }

    /// Waits up to `timeout_ms` for output and appends it to `seen`; false
    /// once the terminal has closed.
    fn read_screen(&mut self, timeout_ms: u16) -> bool {
        use std::io::Read;
        use std::os::fd::AsFd;
        let mut fds = [nix::poll::PollFd::new(
            self.master.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        if nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(timeout_ms)).unwrap_or(0) == 0 {
            return true;
        }
        let mut buf = [0u8; 4096];
        match self.master.read(&mut buf) {
            Ok(n) if n > 0 => {
                self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                true
            }
            _ => false,
        }
    }

    /// Reads the screen until `wanted` appears after what was already
    /// consumed; returns the text up to and including it.
    pub(crate) fn wait_for(&mut self, wanted: &str) -> String {
        let deadline = std::time::Instant::now() + SAFETY_NET;
        while !self.seen.contains(wanted) {
            assert!(
                std::time::Instant::now() < deadline,
                "no {wanted:?} in {:?}",
                self.seen
            );
            assert!(
                self.read_screen(1000),
                "terminal closed before {wanted:?}; screen: {:?}",
                self.seen
            );
        }
        let end = self.seen.find(wanted).unwrap() + wanted.len();
        let consumed = self.seen[..end].to_owned();
        self.seen.drain(..end);
        consumed
    }

    /// Waits (with the safety net) for rinit to exit; returns its code. The
    /// screen is read meanwhile, so no write of the app's can block.
    pub(crate) fn exit_code(mut self) -> Option<i32> {
        let deadline = std::time::Instant::now() + SAFETY_NET;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("rinit did not exit; screen: {:?}", self.seen);
            }
            self.read_screen(100);
        }
    }
}
