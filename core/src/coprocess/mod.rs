//! Coprocesses: external commands run as (or from) tasks, with hard deadlines and nothing left
//! behind.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! let done = spm::coprocess("sh")
//!     .args(["-c", "echo hello; echo oops >&2"])
//!     .timeout(Duration::from_secs(5))
//!     .run()?;
//! assert_eq!(done.stdout_text(), "hello\n");
//! assert_eq!(done.stderr_text(), "oops\n");
//!
//! let error = spm::coprocess("sh").args(["-c", "echo bad input >&2; exit 3"]).run().unwrap_err();
//! assert_eq!(error.to_string(), "`sh -c 'echo bad input >&2; exit 3'` exited with code 3; its error output ends with:\nbad input");
//! # Ok(())
//! # }
//! ```
//!
//! A command is given as a program and its arguments (an argv), never as a shell line: ask for
//! `sh -c` explicitly when a shell is wanted.
//!
//! **Nothing is left behind.** Each coprocess runs under a shim: a small process that leads a
//! session of its own, starts the command as its child, and adopts (as a *subreaper*) every
//! orphan of the command's tree, daemons that started sessions of their own included. When the
//! command exits, whatever it left running (a forked sleeper, a daemon) is killed at once; when
//! its timeout passes, or the task that runs it is cancelled or reaches its own deadline, the
//! whole tree gets `SIGTERM`, then `SIGKILL` after a grace period (1 second unless set with
//! [`Coprocess::grace`]). `run` returns only when nothing of the command is left. When this
//! process exits, every coprocess still running gets the same; if it is killed outright
//! (`SIGKILL`), each shim gets a parent-death signal and kills its command's tree. On a thread
//! pool, a task abandoned at its deadline has its coprocesses ended by the hub before `eval`
//! returns.
//!
//! What escapes: only a process that the shim cannot see, one that leaves the tree by being
//! adopted by some other subreaper, or that is traced away. Finding orphans relies on
//! `/proc/thread-self/children` (Linux 3.17 with `CONFIG_PROC_CHILDREN`, as every common
//! distribution kernel has).
//!
//! Linux only (it relies on `pidfd_open`, Linux 5.3, and `PR_SET_PDEATHSIG`).

mod capture;
mod child;
mod commands;
mod device;
mod group;
mod launcher;
mod shim;
mod signal;
mod wait;

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::TaskError;
use crate::task_error::TaskErrorKind;
use child::Ended;
use wait::{Limits, Stop};

pub use commands::{RunCommand, commands};
pub(crate) use group::{signal as signal_group, terminate};

/// How long a coprocess has between `SIGTERM` and `SIGKILL`, unless set otherwise.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);
/// How much of each output stream is kept in memory, unless set otherwise (1 MiB).
pub const DEFAULT_CAPTURE_LIMIT: usize = 1 << 20;
/// How many lines of its error output an error message shows.
const STDERR_LINES: usize = 10;

/// Starts building a coprocess outside any task. In a task, use `ctx.coprocess(program)`, which
/// also stops the command when the task is cancelled or reaches its deadline.
pub fn coprocess(program: impl AsRef<OsStr>) -> Coprocess<'static> {
    Coprocess::new(program.as_ref())
}

/// What a coprocess reads on its standard input.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub enum Input {
    /// Nothing (`/dev/null`). The default.
    #[default]
    Null,
    /// These bytes.
    Bytes(Vec<u8>),
    /// This file.
    File(PathBuf),
}

impl From<&str> for Input {
    fn from(text: &str) -> Self {
        Input::Bytes(text.as_bytes().to_vec())
    }
}

impl From<String> for Input {
    fn from(text: String) -> Self {
        Input::Bytes(text.into_bytes())
    }
}

impl From<Vec<u8>> for Input {
    fn from(bytes: Vec<u8>) -> Self {
        Input::Bytes(bytes)
    }
}

impl From<&[u8]> for Input {
    fn from(bytes: &[u8]) -> Self {
        Input::Bytes(bytes.to_vec())
    }
}

/// A task's side of a coprocess it runs: when to stop it, and whom to tell it runs.
pub(crate) trait TaskSide {
    /// Whether the task was cancelled.
    fn cancelled(&self) -> bool;
    /// The task attempt's deadline.
    fn deadline(&self) -> Option<Instant>;
    /// Tells the hub that this attempt runs process group `pgid` (`running`), so that it can end
    /// it should it abandon the attempt, or that the group is gone (`!running`).
    fn adopt(&self, pgid: i32, running: bool);
    /// The GPU the task's spoke holds, which its commands are to see alone.
    fn gpu(&self) -> Option<u32>;
}

/// An external command to run: a program, its arguments, and how to run it. Build it with
/// [`coprocess`] or `ctx.coprocess(..)`, then [`Coprocess::run`] it.
#[must_use = "a coprocess does nothing until `.run()`"]
pub struct Coprocess<'a> {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    current_dir: Option<PathBuf>,
    stdin: Input,
    timeout: Option<Duration>,
    grace: Duration,
    capture_limit: usize,
    stdout_to: Option<PathBuf>,
    stderr_to: Option<PathBuf>,
    task: Option<&'a dyn TaskSide>,
}

impl<'a> Coprocess<'a> {
    fn new(program: &OsStr) -> Self {
        Self {
            program: program.to_owned(),
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
            stdin: Input::Null,
            timeout: None,
            grace: DEFAULT_GRACE,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            stdout_to: None,
            stderr_to: None,
            task: None,
        }
    }

    pub(crate) fn for_task(program: &OsStr, task: &'a dyn TaskSide) -> Self {
        Self {
            task: Some(task),
            ..Self::new(program)
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the command (the rest of the environment is
    /// inherited).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Runs the command in `dir`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.current_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// What the command reads: text or bytes (`"..."`, `Vec<u8>`), a file
    /// (`Input::File(path)`), or nothing (`Input::Null`, the default).
    pub fn stdin(mut self, input: impl Into<Input>) -> Self {
        self.stdin = input.into();
        self
    }

    /// A hard deadline: when it passes, the command's process group gets `SIGTERM`, then
    /// `SIGKILL` after the grace period, and `run` fails saying so. In a task, the task's own
    /// deadline applies too, whichever comes first.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long the command has between `SIGTERM` and `SIGKILL` when it is stopped
    /// (default [`DEFAULT_GRACE`]).
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// How many bytes of each output stream to keep in memory (default
    /// [`DEFAULT_CAPTURE_LIMIT`]); the rest is counted, not kept. The last few kilobytes of the
    /// error output are always kept for error messages.
    pub fn capture_limit(mut self, bytes: usize) -> Self {
        self.capture_limit = bytes;
        self
    }

    /// Sends the standard output to a file (created or truncated) instead of memory.
    pub fn stdout_to(mut self, path: impl AsRef<Path>) -> Self {
        self.stdout_to = Some(path.as_ref().to_owned());
        self
    }

    /// Sends the error output to a file (created or truncated) instead of memory. Error
    /// messages then cannot quote it.
    pub fn stderr_to(mut self, path: impl AsRef<Path>) -> Self {
        self.stderr_to = Some(path.as_ref().to_owned());
        self
    }

    /// Runs the command to its end and returns its output, if it exited with code 0.
    ///
    /// # Errors
    /// A [`TaskError`] of kind `Coprocess` that says what happened (its source is a
    /// [`CoprocessError`]): not found, not executable, exited with a code, killed by a signal
    /// (naming it, and the out-of-memory killer when it was that), timed out, stopped because
    /// its task was cancelled; with the tail of its error output.
    pub fn run(self) -> Result<Output, TaskError> {
        let output = self.output()?;
        match output.status {
            Status::Exited(0) => Ok(output),
            _ => Err(CoprocessError {
                command: output.command.clone(),
                cause: match output.status {
                    Status::Exited(code) => Cause::Exited(code),
                    Status::Signaled { signal, oom } => Cause::Signaled { signal, oom },
                },
                stderr_tail: output.stderr_tail.clone(),
            }
            .into_task_error()),
        }
    }

    /// Runs the command to its end and returns its output whatever its exit status.
    ///
    /// # Errors
    /// When the command could not run to its end: not found, not executable, timed out, or
    /// stopped because its task was cancelled.
    pub fn output(self) -> Result<Output, TaskError> {
        let command = display(&self.program, &self.args);
        let fail = |cause: Cause, stderr_tail: String| {
            CoprocessError {
                command: command.clone(),
                cause,
                stderr_tail,
            }
            .into_task_error()
        };
        if self.task.is_some_and(|t| t.cancelled()) {
            return Err(fail(Cause::Cancelled, String::new()));
        }
        let started = Instant::now();
        let child = child::start(&self).map_err(|cause| fail(cause, String::new()))?;
        let pid = child.pid;
        if let Some(task) = self.task {
            task.adopt(pid, true);
        }
        let input = match &self.stdin {
            Input::Bytes(bytes) => Some(bytes.clone()),
            _ => None,
        };
        let limits = Limits {
            timeout_at: self.timeout.and_then(|t| started.checked_add(t)),
            task_deadline: self.task.and_then(|t| t.deadline()),
            task: self.task,
            grace: self.grace,
            capture_limit: self.capture_limit,
        };
        let mut child = child;
        let waited = wait::wait(&mut child, input, &limits);
        if let Some(task) = self.task {
            task.adopt(pid, false);
        }
        child.release();
        let elapsed = started.elapsed();
        let stderr_tail = waited.stderr.tail_text(STDERR_LINES);
        if let Some(stop) = waited.stop {
            let cause = match stop {
                Stop::Timeout => Cause::TimedOut {
                    after: self.timeout.unwrap_or(elapsed),
                    escalated: waited.escalated,
                    grace: self.grace,
                },
                Stop::TaskDeadline => Cause::TaskDeadline {
                    escalated: waited.escalated,
                    grace: self.grace,
                },
                Stop::Cancelled => Cause::Cancelled,
            };
            return Err(fail(cause, stderr_tail));
        }
        let status = match waited.ended {
            Some(Ended::Exited(code)) => Status::Exited(code),
            Some(Ended::Signaled(signal)) => Status::Signaled {
                signal,
                oom: waited.oom,
            },
            None => {
                let cause = Cause::Io {
                    what: "lost track of it".into(),
                    error: "waitpid gave no status".into(),
                };
                return Err(fail(cause, stderr_tail));
            }
        };
        let (stdout, stdout_bytes) = waited.stdout.finish();
        let (stderr, stderr_bytes) = waited.stderr.finish();
        Ok(Output {
            command,
            status,
            stdout,
            stderr,
            stdout_bytes,
            stderr_bytes,
            stderr_tail,
            elapsed,
        })
    }
}

impl fmt::Debug for Coprocess<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coprocess")
            .field("command", &display(&self.program, &self.args))
            .field("timeout", &self.timeout)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// It exited with this code.
    Exited(i32),
    /// A signal killed it; `oom` when the kernel's out-of-memory killer did.
    Signaled {
        /// The signal's number (`libc::SIGSEGV`...).
        signal: i32,
        /// Whether the out-of-memory killer sent it (as far as the memory cgroup tells).
        oom: bool,
    },
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Exited(code) => write!(f, "exited with code {code}"),
            Status::Signaled { oom: true, .. } => {
                f.write_str("was killed by the kernel for memory (its out-of-memory killer)")
            }
            Status::Signaled { signal, .. } => {
                write!(f, "was killed by {}", signal::describe(*signal))
            }
        }
    }
}

/// What a command that ran to its end left: its status and its output.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Output {
    command: String,
    status: Status,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    stdout_bytes: u64,
    stderr_bytes: u64,
    stderr_tail: String,
    elapsed: Duration,
}

impl Output {
    /// The command, as error messages show it.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// How it ended.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether it exited with code 0.
    pub fn success(&self) -> bool {
        self.status == Status::Exited(0)
    }

    /// Its standard output, up to the capture limit (empty if sent to a file).
    pub fn stdout(&self) -> &[u8] {
        &self.stdout
    }

    /// Its standard output as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.stdout)
    }

    /// Its error output, up to the capture limit (empty if sent to a file).
    pub fn stderr(&self) -> &[u8] {
        &self.stderr
    }

    /// Its error output as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.stderr)
    }

    /// Whether some output did not fit the capture limit (it was counted, not kept).
    pub fn truncated(&self) -> bool {
        self.stdout_bytes > self.stdout.len() as u64 || self.stderr_bytes > self.stderr.len() as u64
    }

    /// How long it ran.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// Why a coprocess did not give what was asked of it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// No such program (on the `PATH`, or at the path given).
    NotFound,
    /// The program exists but may not be run.
    NotExecutable,
    /// It exited with a code other than 0 (from `run` only).
    Exited(i32),
    /// A signal killed it (from `run` only).
    Signaled {
        /// The signal's number.
        signal: i32,
        /// Whether the out-of-memory killer sent it.
        oom: bool,
    },
    /// Its own timeout passed and it was stopped.
    TimedOut {
        /// The timeout.
        after: Duration,
        /// Whether it ignored `SIGTERM` and needed `SIGKILL`.
        escalated: bool,
        /// The grace it had between the two.
        grace: Duration,
    },
    /// Its task's deadline passed and it was stopped.
    TaskDeadline {
        /// Whether it ignored `SIGTERM` and needed `SIGKILL`.
        escalated: bool,
        /// The grace it had between the two.
        grace: Duration,
    },
    /// Its task was cancelled and it was stopped.
    Cancelled,
    /// Something around it failed (opening its input file, creating an output file...).
    Io {
        /// What was being done.
        what: String,
        /// The system's error.
        error: String,
    },
}

/// A coprocess that did not give what was asked of it. The source of the [`TaskError`] that
/// `run` and `output` return: `error.downcast_ref::<CoprocessError>()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoprocessError {
    command: String,
    cause: Cause,
    stderr_tail: String,
}

impl CoprocessError {
    /// The command, as shown in the message.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// What happened.
    pub fn cause(&self) -> &Cause {
        &self.cause
    }

    /// The last lines of its error output, if any.
    pub fn stderr_tail(&self) -> &str {
        &self.stderr_tail
    }

    fn into_task_error(self) -> TaskError {
        TaskError::with_source(TaskErrorKind::Coprocess, self)
    }
}

impl fmt::Display for CoprocessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let command = &self.command;
        match &self.cause {
            Cause::NotFound if command.starts_with(['/', '.']) => {
                write!(f, "`{command}`: no such program")?
            }
            Cause::NotFound => write!(f, "`{command}`: command not found (not on the PATH)")?,
            Cause::NotExecutable => write!(f, "`{command}`: not executable (permission denied)")?,
            Cause::Exited(code) => write!(f, "`{command}` {}", Status::Exited(*code))?,
            Cause::Signaled { signal, oom } => write!(
                f,
                "`{command}` {}",
                Status::Signaled {
                    signal: *signal,
                    oom: *oom
                }
            )?,
            Cause::TimedOut {
                after,
                escalated,
                grace,
            } => {
                write!(f, "`{command}` timed out after {after:?}: ")?;
                stopped(f, *escalated, *grace)?;
            }
            Cause::TaskDeadline { escalated, grace } => {
                write!(f, "`{command}` was stopped at its task's deadline: ")?;
                stopped(f, *escalated, *grace)?;
            }
            Cause::Cancelled => {
                write!(f, "`{command}` was stopped because its task was cancelled")?
            }
            Cause::Io { what, error } => write!(f, "`{command}`: {what}: {error}")?,
        }
        if !self.stderr_tail.is_empty() {
            write!(f, "; its error output ends with:\n{}", self.stderr_tail)?;
        }
        Ok(())
    }
}

fn stopped(f: &mut fmt::Formatter<'_>, escalated: bool, grace: Duration) -> fmt::Result {
    if escalated {
        write!(
            f,
            "its process group got SIGTERM, then SIGKILL {grace:?} later"
        )
    } else {
        f.write_str("its process group got SIGTERM and ended")
    }
}

impl std::error::Error for CoprocessError {}

/// A command line as a person would type it: arguments with spaces or quotes are quoted, and a
/// very long line is cut.
fn display(program: &OsStr, args: &[OsString]) -> String {
    const LONGEST: usize = 200;
    let mut line = String::new();
    for word in std::iter::once(program).chain(args.iter().map(OsString::as_os_str)) {
        if !line.is_empty() {
            line.push(' ');
        }
        let word = word.to_string_lossy();
        if word.is_empty()
            || word.contains(|c: char| c.is_whitespace() || "'\"\\$`;&|<>*?".contains(c))
        {
            line.push('\'');
            line.push_str(&word.replace('\'', r"'\''"));
            line.push('\'');
        } else {
            line.push_str(&word);
        }
    }
    if line.chars().count() > LONGEST {
        line = line.chars().take(LONGEST).collect::<String>() + "...";
    }
    line
}
