//! Starting a coprocess under its shim (see `shim`): through the launcher (see `launcher`), or,
//! in a process spoke or without a launcher, by a fork of this process.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
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
        match self {
            Self::Child(pidfd) => pidfd.as_raw_fd(),
            Self::Reports(pipe) => pipe.as_raw_fd(),
        }
    }

    /// How the command ended, once `fd` is readable (the shim has reported or exited). The
    /// shim's pid stays taken until [`Started::release`].
    pub(crate) fn ended(&mut self, pid: i32) -> Option<Ended> {
        match self {
            Self::Child(_) => {
                // SAFETY: waitid fills a valid siginfo_t; WNOWAIT leaves the child unreaped.
                let info = unsafe {
                    let mut info: libc::siginfo_t = std::mem::zeroed();
                    if libc::waitid(
                        libc::P_PID,
                        pid as libc::id_t,
                        &mut info,
                        libc::WEXITED | libc::WNOWAIT,
                    ) == -1
                    {
                        return None;
                    }
                    info
                };
                // SAFETY: for an exited child, waitid fills `si_status`.
                let value = unsafe { info.si_status() };
                match info.si_code {
                    libc::CLD_EXITED => Some(Ended::Exited(value)),
                    _ => Some(Ended::Signaled(value)),
                }
            }
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

impl Started {
    /// Lets the shim's pid go, once nothing will signal its group any more: reaps the shim,
    /// or closes its report pipe (on which it exits).
    pub(crate) fn release(self) {
        group::untrack(self.pid);
        if let Watch::Child(_) = self.watch {
            reap(self.pid);
        }
    }
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
    let directory = directory(spec)?;
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

    let request = Request {
        program: spec.program.as_bytes().to_vec(),
        args: spec.args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        env: shim::environment(&spec.env_overrides()),
    };
    if [&request.program]
        .into_iter()
        .chain(&request.args)
        .chain(&request.env)
        .any(|bytes| bytes.contains(&0))
    {
        return Err(nul_byte());
    }
    let oom_kills_before = group::oom_kills();
    let launched = if crate::spoke::is_spoke() {
        Err(NotLaunched::NoLauncher)
    } else {
        let [stdin, stdout, stderr] = [&stdin, &stdout, &stderr].map(|s| s.theirs.as_fd());
        launcher::launch(&request, [stdin, stdout, stderr, directory.as_fd()])
    };
    let (pid, watch) = match launched {
        Ok(launched) => (launched.pid, Watch::Reports(launched.report)),
        Err(NotLaunched::Failed(e)) => return Err(cause_of(&e)),
        Err(NotLaunched::BadDirectory(e)) => return Err(bad_directory(spec, &e)),
        Err(NotLaunched::NoLauncher) => {
            let exec = shim::Exec::new(&request.program, &request.args, Some(&request.env))
                .map_err(|_| nul_byte())?;
            fork_shim(
                &spec.program,
                exec,
                [stdin.theirs, stdout.theirs, stderr.theirs],
                &directory,
            )?
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
    program: &std::ffi::OsStr,
    exec: shim::Exec,
    streams: [OwnedFd; 3],
    directory: &OwnedFd,
) -> Result<(i32, Watch), Cause> {
    let [stdin, stdout, stderr] = streams;
    // `std` makes the fork and sets the streams; the shim runs the command (with `exec`, not
    // `std`).
    let mut command = Command::new(program);
    command
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr));
    let directory = directory.as_raw_fd();
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the child between fork and exec and makes only system calls
    // on plain values (setsid, prctl, getppid, _exit, and the shim's); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            // The directory was opened and checked before the fork.
            if libc::fchdir(directory) == -1 {
                return Err(io::Error::last_os_error());
            }
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

/// The directory to run the command in, opened now so that it need not be named again (it
/// may be renamed, or the process's own may have been deleted): the command's own, relative to
/// this process's, or this process's.
fn directory(spec: &Coprocess<'_>) -> Result<OwnedFd, Cause> {
    let path = spec.current_dir.as_deref().unwrap_or(Path::new("."));
    let name = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| bad_directory(spec, &io::Error::from_raw_os_error(libc::EINVAL)))?;
    // SAFETY: opening a path named by a valid C string; the result is checked.
    let fd = unsafe {
        libc::open(
            name.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd == -1 {
        return Err(bad_directory(spec, &io::Error::last_os_error()));
    }
    // SAFETY: a descriptor just returned to us and owned by no one else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // Entering it needs search permission on it, which naming `.` inside it tests.
    // SAFETY: a check on a descriptor we own.
    if unsafe { libc::faccessat(fd.as_raw_fd(), c".".as_ptr(), libc::X_OK, 0) } == -1 {
        return Err(bad_directory(spec, &io::Error::last_os_error()));
    }
    Ok(fd)
}

/// A directory the command cannot be run in, named.
fn bad_directory(spec: &Coprocess<'_>, error: &io::Error) -> Cause {
    let path = spec.current_dir.as_deref().unwrap_or(Path::new("."));
    Cause::Io {
        what: format!("cannot run it in `{}`", path.display()),
        error: match error.raw_os_error() {
            Some(libc::ENOENT) => "no such directory".into(),
            Some(libc::ENOTDIR) => "not a directory".into(),
            Some(libc::EACCES) => "permission denied".into(),
            _ => error.to_string(),
        },
    }
}

fn nul_byte() -> Cause {
    Cause::Io {
        what: "cannot pass it a program name, argument or environment variable".into(),
        error: "it holds a NUL byte".into(),
    }
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
