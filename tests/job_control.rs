//! Job control from an interactive shell (issue 17): `rinit CMD` typed at a
//! bash prompt is a job like any other. Ctrl-Z gives the prompt back, `fg`
//! resumes the program on the terminal, `bg` resumes it without the
//! terminal, and once the shell is gone nothing stays stopped.
//!
//! bash runs as the leader of its own session on a pseudo-terminal, as a
//! terminal emulator starts it (see `Terminal::session`), so rinit is not
//! PID 1 here: it is the shell's job.

mod common;
use common::*;

/// An interactive bash on a new terminal, with a prompt that typed text
/// cannot match (what is typed is echoed), and job changes reported at once
/// (`set -b`) rather than at the next prompt.
fn shell() -> Terminal {
    let mut terminal = Terminal::session(&["bash", "--norc", "--noprofile", "-i"]);
    terminal.type_in("PS1='pro''mpt> '; set -b\n");
    terminal.wait_for("prompt> ");
    terminal
}

/// The resumed job reads a line from the terminal (so it has the terminal),
/// then exits 7 at the end of input, and the shell reports that status;
/// then the shell exits.
fn finish_the_job(terminal: &mut Terminal) {
    terminal.type_in("two\n");
    terminal.wait_for("got two");
    terminal.type_in("\x04");
    terminal.wait_for("prompt> ");
    terminal.type_in("echo status-$?\n");
    terminal.wait_for("status-7");
    terminal.type_in("exit 0\n");
}

/// Ctrl-Z stops the program and rinit with it, so bash reports the job
/// stopped and prints its prompt; `fg` continues it with the terminal
/// handed back (it reads the next line typed), and its exit status comes
/// out as the job's. Under dumb-init's name too (dumb-init stops itself
/// after passing the signal on), and under tini's, where rinit keeps this
/// fix of tini's hang.
#[test]
fn ctrl_z_gives_the_prompt_back_and_fg_resumes_the_program() {
    for name in ["rinit", "dumb-init", "tini"] {
        let names = Names::new();
        let mut terminal = shell();
        terminal.start_job(&names.of(name));
        terminal.type_in("\x1a");
        terminal.wait_for("Stopped");
        terminal.wait_for("prompt> ");
        terminal.type_in("fg\n");
        terminal.wait_for("continued");
        finish_the_job(&mut terminal);
        assert_eq!(terminal.exit_code(), Some(0), "{name}");
    }
}

/// `bg` continues the job without the terminal: rinit must not take it for
/// the program. The program's next read from the terminal then stops it
/// (SIGTTIN, as for any background job), and rinit with it; `fg` brings
/// both back with the terminal.
#[test]
fn bg_leaves_the_terminal_to_the_shell() {
    let mut terminal = shell();
    terminal.start_job(&rinit().to_string_lossy());
    terminal.type_in("\x1a");
    terminal.wait_for("Stopped");
    terminal.wait_for("prompt> ");
    terminal.type_in("bg\n");
    terminal.wait_for("continued");
    // Had rinit handed the program the terminal, its read would succeed and
    // nothing would stop.
    terminal.wait_for("Stopped");
    terminal.type_in("fg\n");
    terminal.wait_for("continued");
    finish_the_job(&mut terminal);
    assert_eq!(terminal.exit_code(), Some(0));
}

/// The shell goes away while the job is stopped, and neither rinit nor the
/// program may stay stopped for good. The terminal's init (PID 1 of the
/// test's namespace) exits only once no process is left, so a stopped
/// leftover fails the test.
/// - `exit`, twice (bash refuses the first while a job is stopped): bash
///   itself sends the stopped job SIGTERM and SIGCONT; rinit passes both
///   on, and exits 143.
/// - bash killed outright: rinit's process group is orphaned with a stopped
///   process in it, so the kernel sends it SIGHUP and SIGCONT; rinit passes
///   both on, the program dies of SIGHUP, and rinit exits 129.
#[test]
fn once_the_shell_is_gone_nothing_stays_stopped() {
    // (what is typed at the prompt, rinit's exit code, bash's)
    let cases = [
        (&["exit 3\n", "exit 3\n"][..], 143, 3),
        (&["kill -KILL $$\n"][..], 129, 128 + libc::SIGKILL),
    ];
    for (typed, rinit_code, shell_code) in cases {
        let mut terminal = shell();
        let (_, rinit_pid) = terminal.start_job(&rinit().to_string_lossy());
        terminal.type_in("\x1a");
        terminal.wait_for("Stopped");
        terminal.wait_for("prompt> ");
        for (i, line) in typed.iter().enumerate() {
            if i > 0 {
                terminal.wait_for("prompt> ");
            }
            terminal.type_in(line);
        }
        terminal.wait_for(&format!("reaped {rinit_pid} exited {rinit_code}"));
        assert_eq!(terminal.exit_code(), Some(shell_code), "{typed:?}");
    }
}

/// With `exec rinit ...` rinit replaces the shell: it leads the session and
/// no shell is left to continue it. Its process group is orphaned, so the
/// kernel does not stop it on Ctrl-Z, as it would not stop any program
/// there; rinit then continues its program rather than leave it stopped for
/// good, and the program keeps the terminal.
#[test]
fn with_no_shell_to_come_back_to_ctrl_z_does_not_stop_the_program() {
    let mut terminal = shell();
    let (_, rinit_pid) = terminal.start_job(&format!("exec {}", rinit().display()));
    terminal.type_in("\x1a");
    terminal.wait_for("continued");
    terminal.type_in("two\n");
    terminal.wait_for("got two");
    terminal.type_in("\x04");
    terminal.wait_for(&format!("reaped {rinit_pid} exited 7"));
    assert_eq!(terminal.exit_code(), Some(7));
}
