//! Starting a coprocess under its shim (see `shim`): through the launcher (see `launcher`), or,
//! in a process spoke or without a launcher, by a fork of this process.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::launcher::wire::{Report, Request};
use super::launcher::{self, NotLaunched};
use super::{Cause, Coprocess, Input, group, shim};

/// How the end of a started coprocess is seen.
pub(crate) enum Watch {
    /// The shim is this process's child: its pidfd becomes readable when it exits, and it is
    /// reaped here.
    Child(OwnedFd),
    /// The launcher's shim reports how the command ended on this pipe.
    Reports(File),
}

impl Watch {
    /// What to poll: readable once the shim is done.
    pub(crate) fn fd(&self) -> RawFd {
        use std::os::fd::AsRawFd;
        match self {
            Self::Child(pidfd) => pidfd.as_raw_fd(),
            Self::Reports(pipe) => pipe.as_raw_fd(),
        }
    }

    /// How the command ended, once `fd` is readable (the shim has reported or exited).
    pub(crate) fn ended(&mut self, pid: i32) -> Option<Ended> {
        match self {
            Self::Child(_) => reap(pid),
            Self::Reports(pipe) => match launcher::wire::read_record(pipe).and_then(Report::decode)
            {
                Some(Report::Ended(status)) => ended_from(status),
                _ => None,
            },
        }
    }
}

/// A started coprocess.
pub(crate) struct Started {
    /// The pid of its shim, which stands for it: the shim leads a session and a process group
    /// of its own, is signalled for it, and ends as it ends.
    pub(crate) pid: i32,
    pub(crate) watch: Watch,
    pub(crate) stdin: Option<File>,
    pub(crate) stdout: Option<File>,
    pub(crate) stderr: Option<File>,
    /// The out-of-memory killer's count before the start, to tell its kills from others.
    pub(crate) oom_kills_before: Option<u64>,
}

/// One standard stream of a command: the end it gets, and the end this process keeps.
struct Stream {
    theirs: OwnedFd,
    ours: Option<File>,
}

impl Stream {
    /// A pipe; `reading` says whether the command reads from it.
    fn pipe(reading: bool) -> io::Result<Self> {
        let (read, write) = launcher::wire::pipe()?;
        let (theirs, ours) = if reading {
            (read, write)
        } else {
            (write, read)
        };
        Ok(Self {
            theirs,
            ours: Some(File::from(ours)),
        })
    }

    fn file(file: File) -> Self {
        Self {
            theirs: OwnedFd::from(file),
            ours: None,
        }
    }
}

pub(crate) fn start(spec: &Coprocess<'_>) -> Result<Started, Cause> {
    let io_error = |what: String| {
        move |e: io::Error| Cause::Io {
            what,
            error: e.to_string(),
        }
    };
    if let Some(dir) = &spec.current_dir
        && !dir.is_dir()
    {
        return Err(Cause::Io {
            what: format!("cannot run it in `{}`", dir.display()),
            error: "no such directory".into(),
        });
    }
    let stdin = match &spec.stdin {
        Input::Null => File::open("/dev/null").map(Stream::file),
        Input::Bytes(_) => Stream::pipe(true),
        Input::File(path) => File::open(path).map(Stream::file),
    }
    .map_err(io_error(match &spec.stdin {
        Input::File(path) => format!("cannot open `{}` for its input", path.display()),
        _ => "cannot make its input".into(),
    }))?;
    let stdout = output(spec.stdout_to.as_deref(), "output")?;
    let stderr = output(spec.stderr_to.as_deref(), "error output")?;

    let program = spec.program.as_bytes().to_vec();
    let args: Vec<Vec<u8>> = spec.args.iter().map(|a| a.as_bytes().to_vec()).collect();
    let nul = |_| Cause::Io {
        what: "cannot pass it a program name, argument or environment variable".into(),
        error: "it holds a NUL byte".into(),
    };
    let oom_kills_before = group::oom_kills();
    let streams = [&stdin, &stdout, &stderr].map(|s| s.theirs.as_fd());
    let launched = if crate::spoke::is_spoke() {
        Err(NotLaunched::NoLauncher)
    } else {
        let env = shim::environment(&spec.env);
        // Checked here, where the error can be told as such.
        shim::Exec::new(&program, &args, Some(&env)).map_err(nul)?;
        // The launcher's directory is this process's as it was when the launcher started:
        // the command gets this process's as it is now, or its own made absolute from it.
        let current_dir = match &spec.current_dir {
            Some(dir) => std::path::absolute(dir),
            None => std::env::current_dir(),
        }
        .map_err(|e| Cause::Io {
            what: "cannot tell the directory to run it in".into(),
            error: e.to_string(),
        })?;
        let request = Request {
            program: program.clone(),
            args: args.clone(),
            env,
            current_dir: current_dir.into_os_string().into_vec(),
        };
        launcher::launch(&request, streams)
    };
    let (pid, watch) = match launched {
        Ok(launched) => (launched.pid, Watch::Reports(launched.report)),
        Err(NotLaunched::Failed(e)) => return Err(cause_of(&e)),
        Err(NotLaunched::NoLauncher) => {
            let env = (!spec.env.is_empty()).then(|| shim::environment(&spec.env));
            let exec = shim::Exec::new(&program, &args, env.as_deref()).map_err(nul)?;
            fork_shim(spec, exec, [stdin.theirs, stdout.theirs, stderr.theirs])?
        }
    };
    group::track(pid);
    Ok(Started {
        pid,
        watch,
        stdin: stdin.ours,
        stdout: stdout.ours,
        stderr: stderr.ours,
        oom_kills_before,
    })
    // The command's ends of the pipes close here: only the command holds them now.
}

/// Forks this process into the command's shim.
fn fork_shim(
    spec: &Coprocess<'_>,
    exec: shim::Exec,
    streams: [OwnedFd; 3],
) -> Result<(i32, Watch), Cause> {
    let [stdin, stdout, stderr] = streams;
    // `std` makes the fork and sets the streams and directory; the shim runs the command.
    let mut command = Command::new(&spec.program);
    command
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr));
    if let Some(dir) = &spec.current_dir {
        command.current_dir(dir);
    }
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the child between fork and exec and makes only system calls
    // on plain values (setsid, prctl, getppid, _exit, and the shim's); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            // A session of its own, led by the shim: one signal reaches it alone.
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            // Should the thread that started it die, the shim ends the command's whole tree.
            if libc::prctl(libc::PR_SET_PDEATHSIG, shim::KILL_NOW) == -1 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the signal was armed.
            if libc::getppid() != parent {
                libc::_exit(127);
            }
            // Becomes the shim, which starts the command and never returns unless it fails to.
            Err(shim::split(&exec, None))
        });
    }
    let child = command.spawn().map_err(|e| cause_of(&e))?;
    let pid = i32::try_from(child.id()).expect("Linux pids fit in an i32");
    // SAFETY: pidfd_open takes a pid and flags and returns a new file descriptor or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        let error = io::Error::last_os_error();
        group::kill_and_wait(pid, std::time::Duration::from_secs(1));
        reap(pid);
        return Err(Cause::Io {
            what: "cannot watch it (pidfd_open; Linux 5.3 or later is needed)".into(),
            error: error.to_string(),
        });
    }
    // SAFETY: `pidfd` is a file descriptor just returned to us and owned by no one else.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as i32) };
    Ok((pid, Watch::Child(pidfd)))
    // `child` is dropped without waiting: the pid is reaped by `reap`, once.
}

/// What a failure to start a command means to a person.
fn cause_of(error: &io::Error) -> Cause {
    match error.kind() {
        io::ErrorKind::NotFound => Cause::NotFound,
        io::ErrorKind::PermissionDenied => Cause::NotExecutable,
        _ => Cause::Io {
            what: "cannot start it".into(),
            error: error.to_string(),
        },
    }
}

fn output(file: Option<&std::path::Path>, what: &str) -> Result<Stream, Cause> {
    match file {
        None => Stream::pipe(false).map_err(|e| Cause::Io {
            what: format!("cannot make a pipe for its {what}"),
            error: e.to_string(),
        }),
        Some(path) => File::create(path).map(Stream::file).map_err(|e| Cause::Io {
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
    ended_from(status)
}

/// How a process ended, from its `waitpid` status.
fn ended_from(status: i32) -> Option<Ended> {
    if libc::WIFEXITED(status) {
        Some(Ended::Exited(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Some(Ended::Signaled(libc::WTERMSIG(status)))
    } else {
        None
    }
}
