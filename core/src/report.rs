//! The report of one manager call: every task's outcome, none lost.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::outcome::FailedAttempt;
use crate::policy::Shape;
use crate::whiteboard::WhiteboardSnapshot;
use crate::{Outcome, ParallelError};

/// Why a manager stopped before every task had run to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EarlyStop {
    /// A race was won by the task at this index; the others were cancelled.
    Won {
        /// Index of the winner, in submission order.
        winner: usize,
    },
    /// The task at this index failed for good and the manager was told to halt on the first
    /// failure (or, in a gang, a member failed and its gang ended with it).
    Halted {
        /// Index (or gang rank) of the task that failed.
        culprit: usize,
    },
    /// The manager's execution deadline passed.
    DeadlinePassed,
    /// The manager could not obtain the spokes it needed; no task ran.
    NoSpokes,
}

/// One task's entry in a [`Report`].
#[derive(Debug)]
pub struct TaskRecord<T> {
    pub(crate) index: usize,
    pub(crate) name: &'static str,
    pub(crate) label: Option<String>,
    pub(crate) attempts: u32,
    pub(crate) outcome: Outcome<T>,
    pub(crate) earlier: Vec<FailedAttempt>,
}

impl<T> TaskRecord<T> {
    /// Position in submission order (the rank, in a gang).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The task's label: the one given with `.label(..)`, or `name#index`.
    pub fn label(&self) -> Cow<'_, str> {
        label_of(self.name, self.label.as_deref(), self.index)
    }

    /// How many attempts were started (0 if the task never ran; a gang counts launches).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How the task ended.
    pub fn outcome(&self) -> &Outcome<T> {
        &self.outcome
    }

    /// How the task ended, by value.
    pub fn into_outcome(self) -> Outcome<T> {
        self.outcome
    }

    /// The attempts before the last one, each of which failed or timed out and was retried.
    pub fn failed_attempts(&self) -> &[FailedAttempt] {
        &self.earlier
    }
}

/// A task's label: the user's, or `name#index`.
pub(crate) fn label_of<'a>(name: &str, label: Option<&'a str>, index: usize) -> Cow<'a, str> {
    match label {
        Some(label) => Cow::Borrowed(label),
        None => Cow::Owned(format!("{name}#{index}")),
    }
}

/// Everything one manager call did: each task's [`Outcome`] with its label and attempts, in
/// submission order, and why the manager stopped early if it did.
///
/// Nothing is lost: a task that ran has its outcome here whether it succeeded or not, and a
/// task that never ran is `Cancelled`.
#[derive(Debug)]
pub struct Report<T> {
    pub(crate) policy: &'static str,
    pub(crate) shape: Shape,
    pub(crate) records: Vec<TaskRecord<T>>,
    pub(crate) stop: Option<EarlyStop>,
    pub(crate) abandoned: usize,
    pub(crate) elapsed: Duration,
    pub(crate) whiteboard: WhiteboardSnapshot,
}

impl<T> Report<T> {
    /// Each task's outcome, in submission order (rank order, in a gang).
    pub fn outcomes(&self) -> impl ExactSizeIterator<Item = &Outcome<T>> + '_ {
        self.records.iter().map(|r| &r.outcome)
    }

    /// Each task's record, in submission order.
    pub fn records(&self) -> &[TaskRecord<T>] {
        &self.records
    }

    /// Each task's record, by value.
    pub fn into_records(self) -> Vec<TaskRecord<T>> {
        self.records
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there were no tasks.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The policy the tasks ran under, e.g. `"coarse_list"`.
    pub fn policy(&self) -> &'static str {
        self.policy
    }

    /// Why the manager stopped before every task had run to its end, if it did.
    pub fn early_stop(&self) -> Option<EarlyStop> {
        self.stop
    }

    /// The winner's index, for a race that was won.
    pub fn winner(&self) -> Option<usize> {
        match self.stop {
            Some(EarlyStop::Won { winner }) => Some(winner),
            _ => None,
        }
    }

    /// Threads abandoned during this call because a task ran past its deadline and a thread
    /// cannot be killed. Each was told to stop (`ctx.is_cancelled()`), its late result is
    /// discarded, and a fresh spoke took its place.
    pub fn abandoned_threads(&self) -> usize {
        self.abandoned
    }

    /// Wall time of the manager call.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The hub's whiteboard as the manager left it (empty for coarse policies).
    pub fn whiteboard(&self) -> &WhiteboardSnapshot {
        &self.whiteboard
    }

    /// How many tasks returned their value.
    pub fn done_count(&self) -> usize {
        self.outcomes().filter(|o| o.is_done()).count()
    }

    /// Whether the call succeeded as its policy defines success: every task done (a race: one
    /// winner).
    pub fn is_success(&self) -> bool {
        match self.shape {
            Shape::Race => self.winner().is_some(),
            _ => self.records.iter().all(|r| r.outcome.is_done()),
        }
    }

    /// The values, or every failure.
    ///
    /// A list, singleton or gang gives every task's value in submission order, or an error
    /// naming every task that did not succeed. A race gives its winner's value alone, or every
    /// failure if none won; cancelled losers are not failures.
    ///
    /// To keep the values of a partly failed call, read [`Report::outcomes`] or
    /// [`Report::into_records`] instead.
    pub fn into_results(self) -> Result<Vec<T>, ParallelError> {
        if self.is_success() {
            let winner = self.winner();
            return Ok(self
                .records
                .into_iter()
                .filter(|r| winner.is_none_or(|w| w == r.index))
                .filter_map(|r| r.outcome.into_done())
                .collect());
        }
        Err(ParallelError::from_records(
            self.policy,
            self.shape,
            self.stop,
            self.records,
        ))
    }
}

impl<T> Report<T> {
    /// The one value of a singleton, or the winner's value of a race; on a list or a gang, the
    /// first task's value ([`Report::into_results`] gives them all).
    ///
    /// # Errors
    /// As [`Report::into_results`]; and, for a list with no tasks, an error that says so.
    pub fn into_value(self) -> Result<T, ParallelError> {
        let (policy, shape) = (self.policy, self.shape);
        self.into_results()?
            .into_iter()
            .next()
            .ok_or_else(|| ParallelError::from_records::<T>(policy, shape, None, Vec::new()))
    }
}

impl<T> fmt::Display for Report<T> {
    /// One line: how many tasks ended how.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mut done, mut failed, mut timed_out, mut cancelled, mut crashed) = (0, 0, 0, 0, 0);
        for o in self.outcomes() {
            match o {
                Outcome::Done(_) => done += 1,
                Outcome::Failed(_) => failed += 1,
                Outcome::TimedOut => timed_out += 1,
                Outcome::Cancelled => cancelled += 1,
                Outcome::Crashed(_) => crashed += 1,
            }
        }
        let tasks = match self.records.len() {
            1 => "1 task".to_owned(),
            n => format!("{n} tasks"),
        };
        write!(
            f,
            "{}: {tasks}: {done} done, {failed} failed, {timed_out} timed out, {cancelled} cancelled",
            self.policy
        )?;
        // Only process spokes can crash: the count appears when there is something to count.
        if crashed > 0 {
            write!(f, ", {crashed} crashed")?;
        }
        write!(f, " in {:.3?}", self.elapsed)?;
        if self.abandoned > 0 {
            write!(f, " ({} threads abandoned)", self.abandoned)?;
        }
        Ok(())
    }
}
