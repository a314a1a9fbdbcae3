//! How one task ended.

use std::convert::Infallible;
use std::fmt;

use crate::TaskError;
use crate::coprocess::Status;

/// How one task ended: its final attempt's result as the manager recorded it.
///
/// Marked `#[non_exhaustive]`: kinds of spokes to come may add outcomes, so a `match` needs a
/// `_` arm.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome<T> {
    /// The task returned its value.
    Done(T),
    /// The task returned an error or panicked (the panic's message is the error's).
    Failed(TaskError),
    /// The task ran past its deadline. On threads its late result, if any, was discarded.
    TimedOut,
    /// The task was stopped, or never started, because the manager stopped early: a race was
    /// won (every other task of the race is `Cancelled`), a list halted on a failure, a gang
    /// member failed, or the execution deadline passed. A task that never started has
    /// [`TaskRecord::attempts`](crate::TaskRecord::attempts) `== 0`.
    Cancelled,
    /// The process spoke running the task died under it (a segmentation fault, an abort, the
    /// out-of-memory killer, `exit`): only that spoke died, and it was replaced. Only process
    /// spokes can report it; a thread spoke cannot survive such a crash.
    Crashed(Crash),
}

/// How a process spoke died under its task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crash {
    pub(crate) status: Status,
    /// The memory limit the spoke ran under, if any: an abort may be its allocator giving up.
    pub(crate) memory_limit: Option<u64>,
}

impl Crash {
    /// How the spoke process ended: the exit code, or the signal (and whether the kernel's
    /// out-of-memory killer sent it).
    pub fn status(&self) -> Status {
        self.status
    }
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "its spoke process {}", self.status)?;
        // Rust aborts when an allocation fails; under a memory limit, that is the likely cause.
        if let (Status::Signaled { signal, .. }, Some(limit)) = (self.status, self.memory_limit)
            && signal == libc::SIGABRT
        {
            write!(
                f,
                ", most likely out of its memory limit of {} MiB",
                limit.div_ceil(1 << 20)
            )?;
        }
        Ok(())
    }
}

impl<T> fmt::Display for Outcome<T> {
    /// In a few words, without the value: `done`, `failed: <error>`, `timed out`, `cancelled`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Done(_) => f.write_str("done"),
            Outcome::Failed(e) => write!(f, "failed: {e}"),
            Outcome::TimedOut => f.write_str("timed out"),
            Outcome::Cancelled => f.write_str("cancelled"),
            Outcome::Crashed(crash) => write!(f, "crashed: {crash}"),
        }
    }
}

impl<T> Outcome<T> {
    /// Whether the task returned its value.
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done(_))
    }

    /// Whether the task itself failed, timed out or crashed (a cancellation is not a failure).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::Failed(_) | Outcome::TimedOut | Outcome::Crashed(_)
        )
    }

    /// The value, if the task returned one.
    pub fn done(&self) -> Option<&T> {
        match self {
            Outcome::Done(value) => Some(value),
            _ => None,
        }
    }

    /// The value, if the task returned one.
    pub fn into_done(self) -> Option<T> {
        match self {
            Outcome::Done(value) => Some(value),
            _ => None,
        }
    }

    /// The error, if the task failed.
    pub fn error(&self) -> Option<&TaskError> {
        match self {
            Outcome::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// The same outcome without its value: `Err` holds the value back when there is one.
    pub(crate) fn into_unsuccessful(self) -> Result<Outcome<Infallible>, T> {
        match self {
            Outcome::Done(value) => Err(value),
            Outcome::Failed(e) => Ok(Outcome::Failed(e)),
            Outcome::TimedOut => Ok(Outcome::TimedOut),
            Outcome::Cancelled => Ok(Outcome::Cancelled),
            Outcome::Crashed(crash) => Ok(Outcome::Crashed(crash)),
        }
    }
}

impl Outcome<Infallible> {
    /// The same unsuccessful outcome, as an outcome of any value type.
    pub(crate) fn widen<O>(self) -> Outcome<O> {
        match self {
            Outcome::Done(never) => match never {},
            Outcome::Failed(e) => Outcome::Failed(e),
            Outcome::TimedOut => Outcome::TimedOut,
            Outcome::Cancelled => Outcome::Cancelled,
            Outcome::Crashed(crash) => Outcome::Crashed(crash),
        }
    }
}

/// An earlier attempt of a task that did not succeed and was retried (or, in a gang, the
/// member's part in a launch that was relaunched).
#[derive(Debug)]
pub struct FailedAttempt {
    pub(crate) attempt: u32,
    pub(crate) outcome: Outcome<Infallible>,
}

impl FailedAttempt {
    /// The attempt number (`ctx.attempt()` during that attempt).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// How that attempt ended: never `Done`.
    pub fn outcome(&self) -> &Outcome<Infallible> {
        &self.outcome
    }
}

impl fmt::Display for FailedAttempt {
    /// `attempt 1: failed: <error>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt {}: {}", self.attempt, self.outcome)
    }
}
