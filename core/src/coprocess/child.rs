//! Starting a coprocess: a session of its own, a parent-death signal, and a pidfd to wait on.

use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{ChildStderr, ChildStdin, ChildStdout, Command, Stdio};

use super::{Cause, Coprocess, Input, group};

/// A started coprocess.
pub(crate) struct Started {
    /// Its pid, which is also its process group's id (it leads its own session).
    pub(crate) pid: i32,
    /// Becomes readable when the process exits.
    pub(crate) pidfd: OwnedFd,
    pub(crate) stdin: Option<ChildStdin>,
    pub(crate) stdout: Option<ChildStdout>,
    pub(crate) stderr: Option<ChildStderr>,
    /// The out-of-memory killer's count before the start, to tell its kills from others.
    pub(crate) oom_kills_before: Option<u64>,
}

pub(crate) fn start(spec: &Coprocess<'_>) -> Result<Started, Cause> {
    let mut command = Command::new(&spec.program);
    command.args(&spec.args);
    for (key, value) in &spec.env {
        command.env(key, value);
    }
    if let Some(dir) = &spec.current_dir {
        command.current_dir(dir);
    }
    command.stdin(match &spec.stdin {
        Input::Null => Stdio::null(),
        Input::Bytes(_) => Stdio::piped(),
        Input::File(path) => Stdio::from(File::open(path).map_err(|e| Cause::Io {
            what: format!("cannot open `{}` for its input", path.display()),
            error: e.to_string(),
        })?),
    });
    command.stdout(output_to(spec.stdout_to.as_deref(), "output")?);
    command.stderr(output_to(spec.stderr_to.as_deref(), "error output")?);

    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the child between fork and exec and calls only
    // async-signal-safe functions (setsid, prctl, getppid, _exit); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            // A session, and so a process group, of its own: one signal reaches everything
            // it starts that stays in the group.
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            // Dies with the thread that started it, should this process be killed outright.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the signal was armed.
            if libc::getppid() != parent {
                libc::_exit(127);
            }
            Ok(())
        });
    }

    let oom_kills_before = group::oom_kills();
    let mut child = command.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Cause::NotFound,
        io::ErrorKind::PermissionDenied => Cause::NotExecutable,
        _ => Cause::Io {
            what: "cannot start it".into(),
            error: e.to_string(),
        },
    })?;
    let pid = i32::try_from(child.id()).expect("Linux pids fit in an i32");
    group::track(pid);
    // SAFETY: pidfd_open takes a pid and flags and returns a new file descriptor or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        let error = io::Error::last_os_error();
        group::kill_and_wait(pid, std::time::Duration::from_secs(1));
        reap(pid);
        group::untrack(pid);
        return Err(Cause::Io {
            what: "cannot watch it (pidfd_open; Linux 5.3 or later is needed)".into(),
            error: error.to_string(),
        });
    }
    Ok(Started {
        pid,
        // SAFETY: `pidfd` is a file descriptor just returned to us and owned by no one else.
        pidfd: unsafe { OwnedFd::from_raw_fd(pidfd as i32) },
        stdin: child.stdin.take(),
        stdout: child.stdout.take(),
        stderr: child.stderr.take(),
        oom_kills_before,
    })
    // `child` is dropped without waiting: the pid is reaped by `reap`, once.
}

fn output_to(file: Option<&std::path::Path>, what: &str) -> Result<Stdio, Cause> {
    match file {
        None => Ok(Stdio::piped()),
        Some(path) => File::create(path).map(Stdio::from).map_err(|e| Cause::Io {
            what: format!("cannot create `{}` for its {what}", path.display()),
            error: e.to_string(),
        }),
    }
}

/// How a reaped process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    Exited(i32),
    Signaled(i32),
}

/// Reaps `pid`, which has exited (its pidfd said so), or waits for it.
pub(crate) fn reap(pid: i32) -> Option<Ended> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes the status into a valid i32.
        let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
        if reaped == pid {
            break;
        }
        if reaped == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
    if libc::WIFEXITED(status) {
        Some(Ended::Exited(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Some(Ended::Signaled(libc::WTERMSIG(status)))
    } else {
        None
    }
}
