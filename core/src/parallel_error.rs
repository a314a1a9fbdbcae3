//! Every task that did not succeed, named.

use std::convert::Infallible;
use std::fmt;

use crate::Outcome;
use crate::outcome::FailedAttempt;
use crate::policy::Shape;
use crate::report::{EarlyStop, TaskRecord};

/// The tasks of one manager call that did not succeed: each one with its label, its last
/// attempt and its cause, and the attempts before it.
///
/// `Display` names every failure; cancelled tasks are summarised after them.
#[derive(Debug)]
pub struct ParallelError {
    policy: &'static str,
    total: usize,
    failures: Vec<TaskFailure>,
    cancelled: Vec<String>,
    stop: Option<EarlyStop>,
    culprit: Option<String>,
}

/// One task that did not succeed.
#[derive(Debug)]
pub struct TaskFailure {
    index: usize,
    label: String,
    attempts: u32,
    outcome: Outcome<Infallible>,
    earlier: Vec<FailedAttempt>,
}

impl TaskFailure {
    /// Position in submission order (rank, in a gang).
    pub fn index(&self) -> usize {
        self.index
    }
    /// The task's label.
    pub fn label(&self) -> &str {
        &self.label
    }
    /// The number of the last attempt (`ctx.attempt()` during it).
    pub fn attempt(&self) -> u32 {
        self.attempts.saturating_sub(1)
    }
    /// How the last attempt ended: failed or timed out.
    pub fn outcome(&self) -> &Outcome<Infallible> {
        &self.outcome
    }
    /// The attempts before the last, each of which failed or timed out.
    pub fn failed_attempts(&self) -> &[FailedAttempt] {
        &self.earlier
    }
}

/// How many cancelled tasks `Display` names before it only counts.
const CANCELLED_NAMED: usize = 8;

impl ParallelError {
    pub(crate) fn from_records<T>(
        policy: &'static str,
        shape: Shape,
        stop: Option<EarlyStop>,
        records: Vec<TaskRecord<T>>,
    ) -> Self {
        let total = records.len();
        let mut failures = Vec::new();
        let mut cancelled = Vec::new();
        let mut culprit = None;
        for record in records {
            let label = record.label().into_owned();
            let culprit_here =
                matches!(stop, Some(EarlyStop::Halted { culprit }) if culprit == record.index);
            if culprit_here {
                culprit = Some(label.clone());
            }
            match record.outcome.into_unsuccessful() {
                // In a failed list or gang a done task is not a failure; in a race there is no
                // winner here, so every value is absent.
                Err(_value) => {}
                Ok(Outcome::Cancelled) => {
                    // A race's cancelled losers are not failures; in other shapes a cancelled
                    // task is missing from the results, so it is named.
                    if shape != Shape::Race {
                        cancelled.push(label);
                    }
                }
                Ok(outcome) => failures.push(TaskFailure {
                    index: record.index,
                    label,
                    attempts: record.attempts,
                    outcome,
                    earlier: record.earlier,
                }),
            }
        }
        Self {
            policy,
            total,
            failures,
            cancelled,
            stop,
            culprit,
        }
    }

    /// Every task that failed or timed out, in submission order.
    pub fn failures(&self) -> &[TaskFailure] {
        &self.failures
    }

    /// Labels of the tasks that were cancelled (stopped or never started), in submission order.
    pub fn cancelled(&self) -> &[String] {
        &self.cancelled
    }

    /// Why the manager stopped early, if it did.
    pub fn early_stop(&self) -> Option<EarlyStop> {
        self.stop
    }
}

impl fmt::Display for ParallelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unsuccessful = self.failures.len() + self.cancelled.len();
        write!(
            f,
            "{unsuccessful} of {} {} tasks did not succeed",
            self.total, self.policy
        )?;
        if self.total == 0 {
            return f.write_str(": there were no tasks");
        }
        for failure in &self.failures {
            write!(
                f,
                "\n  - `{}` [attempt {}]: {}",
                failure.label,
                failure.attempt(),
                failure.outcome
            )?;
            for earlier in &failure.earlier {
                write!(f, "\n      earlier, {earlier}")?;
            }
        }
        if !self.cancelled.is_empty() {
            let named: Vec<String> = self
                .cancelled
                .iter()
                .take(CANCELLED_NAMED)
                .map(|l| format!("`{l}`"))
                .collect();
            write!(
                f,
                "\n  - {} cancelled: {}",
                self.cancelled.len(),
                named.join(", ")
            )?;
            if self.cancelled.len() > CANCELLED_NAMED {
                write!(f, " and {} more", self.cancelled.len() - CANCELLED_NAMED)?;
            }
            match (self.stop, &self.culprit) {
                (Some(EarlyStop::Halted { .. }), Some(culprit)) => {
                    write!(f, " (the manager stopped after `{culprit}` failed)")?
                }
                (Some(EarlyStop::DeadlinePassed), _) => {
                    f.write_str(" (the execution deadline passed)")?
                }
                (Some(EarlyStop::NoSpokes), _) => {
                    f.write_str(" (the manager obtained no spokes)")?
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl std::error::Error for ParallelError {}
