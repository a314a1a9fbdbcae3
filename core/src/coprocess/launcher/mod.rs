//! The launcher: a small process that starts the shims of a program's commands, so that the
//! program itself never forks for them.
//!
//! A `fork` copies the memory map of the process that calls it, and while the child lives the
//! two share their pages copy-on-write. A shim lives as long as its command, so a shim forked
//! from a large, busy program costs the program a copy of its page tables per command and a
//! copied page for every page it writes meanwhile. The launcher is this program started again
//! (before `main`, as a process spoke is): it is small and single-threaded, forks cheaply, and
//! shares nothing with the program. The program sends it each command (argv, environment,
//! directory) with the command's standard streams and a report pipe as descriptors, and does
//! not wait for an answer: the shim writes on the report pipe that the command started (with
//! its own pid, which names the group to signal) or why not, then how it ended, once nothing
//! of it is left.
//!
//! The launcher is started at the first command and lives as long as the program. It is not
//! used by a process spoke (a small process, whose every child it sweeps after each task), and
//! should it fail to start, commands are started by a fork of the program, as before: slower,
//! and the same in every other way.

mod identity;
mod serve;
pub(crate) mod wire;

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::reexec;
use identity::Identity;
use serve::LAUNCHER_ENV;
use wire::{NotSent, Report, Request};

/// How long a launcher has to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(5);

enum State {
    NotStarted,
    Running(Launcher),
    /// It could not be started: commands are started without it from now on.
    Unavailable,
}

struct Launcher {
    socket: UnixStream,
    pid: i32,
    /// What its shims inherit: this process's, when it started.
    identity: Identity,
}

static LAUNCHER: Mutex<State> = Mutex::new(State::NotStarted);

/// Launchers that serve no more requests, kept open: closing a launcher's socket ends it, and
/// with it the commands its shims still run. They end with this process.
static RETIRED: Mutex<Vec<Launcher>> = Mutex::new(Vec::new());

/// A shim the launcher started, and the pipe it reports on.
pub(crate) struct Launched {
    pub(crate) pid: i32,
    pub(crate) report: File,
}

/// Why a command did not start through the launcher.
pub(crate) enum NotLaunched {
    /// There is no launcher to start it now: the caller starts it itself.
    NoLauncher,
    /// The command could not be started: the error of its `exec`.
    Failed(io::Error),
    /// The command could not be started in its directory: the error of `fchdir`.
    BadDirectory(io::Error),
}

/// Starts `request` through the launcher, with `fds` as its stdin, stdout, stderr and
/// directory.
pub(crate) fn launch(request: &Request, fds: [BorrowedFd<'_>; 4]) -> Result<Launched, NotLaunched> {
    let bytes = postcard::to_stdvec(request)
        .map_err(|e| NotLaunched::Failed(io::Error::other(e.to_string())))?;
    let (report_read, report_write) = wire::pipe().map_err(NotLaunched::Failed)?;
    let [stdin, stdout, stderr, directory] = fds;
    let fds = [stdin, stdout, stderr, directory, report_write.as_fd()];
    let identity = Identity::now();
    let launcher = {
        let mut state = LAUNCHER.lock().unwrap_or_else(PoisonError::into_inner);
        if let State::Running(launcher) = &*state
            && launcher.identity != identity
        {
            // The program changed what its commands inherit: a new launcher has it.
            retire(&mut state);
        }
        if matches!(*state, State::NotStarted) {
            *state = start(identity).map_or(State::Unavailable, State::Running);
        }
        let State::Running(launcher) = &mut *state else {
            return Err(NotLaunched::NoLauncher);
        };
        match wire::send(&mut launcher.socket, &bytes, fds) {
            Ok(()) => launcher.pid,
            // Not sent (too many descriptors in flight, say): this one starts without it.
            Err(NotSent::Untouched) => return Err(NotLaunched::NoLauncher),
            // Half sent: the launcher is gone, or must not be sent more.
            Err(NotSent::Broken) => {
                retire(&mut state);
                return Err(NotLaunched::NoLauncher);
            }
        }
    };
    // The shim holds the write end now; this process must not, or it would never see the end.
    drop(report_write);
    let mut report = File::from(report_read);
    match wire::read_record(&mut report).and_then(Report::decode) {
        Some(Report::Started(pid)) => Ok(Launched { pid, report }),
        Some(Report::NotStarted(errno)) => {
            Err(NotLaunched::Failed(io::Error::from_raw_os_error(errno)))
        }
        Some(Report::BadDirectory(errno)) => Err(NotLaunched::BadDirectory(
            io::Error::from_raw_os_error(errno),
        )),
        _ if gone(launcher) => {
            // The launcher died with the request (killed from outside, say) before a shim
            // started the command: the caller starts it, and the next one finds a new one.
            let mut state = LAUNCHER.lock().unwrap_or_else(PoisonError::into_inner);
            if matches!(&*state, State::Running(l) if l.pid == launcher) {
                *state = State::NotStarted;
            }
            Err(NotLaunched::NoLauncher)
        }
        _ => Err(NotLaunched::Failed(io::Error::other(
            "its shim was killed before it started the command",
        ))),
    }
}

/// Sets the running launcher aside: it serves no more requests, and ends with this process.
fn retire(state: &mut State) {
    if let State::Running(launcher) = std::mem::replace(state, State::NotStarted) {
        RETIRED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(launcher);
    }
}

/// Whether launcher `pid` has died (and so it is reaped now).
fn gone(pid: i32) -> bool {
    // SAFETY: waiting for our own child, without blocking.
    unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) == pid }
}

/// Starts a launcher, with what this process has now, and waits until it says it is ready.
fn start(identity: Identity) -> io::Result<Launcher> {
    // The running program itself, even if the file it was started from has been replaced. It
    // writes nothing: a pipe this program writes to must not stay open for its sake.
    let (child, mut ours) = reexec::start(
        std::path::Path::new("/proc/self/exe"),
        LAUNCHER_ENV,
        &[],
        "spm-launcher",
        Stdio::null(),
        || {
            // SAFETY: system calls on plain values, between fork and exec.
            unsafe {
                // Nothing else this program has open: the launcher lives as long as the
                // program, and must not keep open what the program closes.
                libc::syscall(libc::SYS_close_range, 4_u32, u32::MAX, 0_u32);
                // Nor keep a directory in use: each command is given its own.
                if libc::chdir(c"/".as_ptr()) == -1 {
                    return Err(io::Error::last_os_error());
                }
                // A session of its own: a terminal's Ctrl-C reaches the program, which
                // decides; the launcher ends when the program does.
                if libc::setsid() == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        },
    )?;
    let pid = i32::try_from(child.id()).expect("Linux pids fit in an i32");
    ours.set_read_timeout(Some(START_TIMEOUT))?;
    let mut ready = [0_u8; 1];
    if ours.read_exact(&mut ready).is_err() || ready != [1] {
        // Not a program that links this crate's launcher (it ran something else): end it.
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        reap(pid);
        return Err(io::Error::other("the launcher did not start"));
    }
    ours.set_read_timeout(None)?;
    Ok(Launcher {
        socket: ours,
        pid,
        identity,
    })
}

/// Reaps the launcher, which has ended or been killed.
fn reap(pid: i32) {
    // SAFETY: waiting for our own child.
    unsafe {
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}
