//! Manager-level failures: the call itself could not be carried out as asked.

use std::fmt;
use std::time::Duration;

use crate::Report;

/// A manager call that could not be carried out as asked: spokes could not be obtained, or the
/// execution deadline passed.
///
/// Nothing is lost: the partial [`Report`] is inside, typed, with every task's outcome so far
/// (tasks that never ran are `Cancelled`).
pub struct Error<T> {
    kind: ErrorKind,
    report: Box<Report<T>>,
}

/// What went wrong with a manager call. Each message names the problem and the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The pool can never supply the spokes the manager needs at once (a gang larger than the
    /// pool, or a pool with no spokes). The manager fails at once instead of waiting.
    #[error(
        "{needed} spokes are needed at once but {pool} can never supply more than {available}: {advice}"
    )]
    NoSpokes {
        /// Spokes the manager needs at once.
        needed: usize,
        /// Spokes the pool can supply.
        available: usize,
        /// The pool, as it describes itself (e.g. `Pool::threads(2)`).
        pool: String,
        /// What to change.
        advice: &'static str,
    },
    /// The spokes were not obtained within `timeout_wait_for_spokes`.
    #[error(
        "obtained {obtained} of {needed} spokes within the {waited:?} allowed by `timeout_wait_for_spokes`: allow more time or ask for fewer spokes"
    )]
    SpokesTimedOut {
        /// Spokes the manager needs at once.
        needed: usize,
        /// Spokes obtained before the wait ran out.
        obtained: usize,
        /// The wait allowed.
        waited: Duration,
    },
    /// The operating system refused to start a spoke.
    #[error("could not start a spoke: {reason}: free resources or use a smaller pool")]
    SpokeStart {
        /// The operating system's reason.
        reason: String,
    },
    /// The manager's `timeout_execution` passed. Running tasks were marked `TimedOut` and told
    /// to stop; tasks that had not started are `Cancelled`.
    #[error(
        "the execution deadline of {limit:?} passed: running tasks were timed out and the rest cancelled; allow more time with `timeout_execution` or give tasks less work"
    )]
    ExecutionTimedOut {
        /// The deadline set with `timeout_execution`.
        limit: Duration,
    },
    /// A value given to `.whiteboard_put(..)` could not be serialized.
    #[error("the whiteboard cannot start with the value given to `whiteboard_put`: {reason}")]
    InvalidWhiteboard {
        /// Why serialization failed.
        reason: String,
    },
    /// The tasks cannot cross to process spokes: their arguments or result are not serde
    /// values.
    #[error("{reason}")]
    Unwired {
        /// Which task, what does not cross, and what to do.
        reason: String,
    },
    /// Resource limits were asked for on a pool whose spokes cannot be limited.
    #[error(
        "memory and CPU time limits apply to process spokes, and {pool} runs tasks in this process: use `Pool::processes(n)`, or drop the limits"
    )]
    LimitsNeedProcesses {
        /// The pool, as it describes itself.
        pool: String,
    },
    /// A gang was asked for with no members.
    #[error("a gang needs at least one member, but `gang(0, ..)` asked for none")]
    EmptyGang,
}

impl<T> Error<T> {
    pub(crate) fn new(kind: ErrorKind, report: Report<T>) -> Self {
        Self {
            kind,
            report: Box::new(report),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The partial report: every task's outcome as far as the call got.
    pub fn report(&self) -> &Report<T> {
        &self.report
    }

    /// The partial report, by value.
    pub fn into_report(self) -> Report<T> {
        *self.report
    }
}

impl<T> fmt::Display for Error<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} manager: {}", self.report.policy(), self.kind)
    }
}

impl<T> fmt::Debug for Error<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("report", &format_args!("{}", self.report))
            .finish()
    }
}

// `Display` already says what `kind` says, so `source` is left empty: a chain printer would
// otherwise repeat it.
impl<T> std::error::Error for Error<T> {}
