//! The messages between a hub and a process spoke.

use serde::{Deserialize, Serialize};

/// From the hub to a spoke.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToSpoke {
    /// Run one attempt of a task.
    Run(RunOrder),
}

/// One attempt of a task, for a spoke to run.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunOrder {
    /// The task type's [`Task::PATH`](crate::Task::PATH).
    pub(crate) path: String,
    /// Its arguments, encoded.
    pub(crate) args: Vec<u8>,
    pub(crate) task: u64,
    pub(crate) attempt: u32,
    pub(crate) size: u64,
    pub(crate) label: Option<String>,
    /// Time left until the attempt's deadline, if it has one.
    pub(crate) deadline_ns: Option<u64>,
}

/// From a spoke to its hub.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum FromSpoke {
    /// The spoke is up.
    Ready { pid: u32 },
    /// The running task reported progress.
    Progress(f64),
    /// The attempt returned its value, encoded.
    Done(Vec<u8>),
    /// The attempt returned an error, or panicked.
    Failed { kind: u8, message: String },
    /// The attempt returned after its deadline.
    TimedOut,
    /// This program has no task of that path: the spoke is not the hub's program.
    Unknown,
    /// The task's arguments or result are not serde values.
    Unwired,
}

impl FromSpoke {
    /// A failure of the runtime's own around the task (a value that did not decode, say).
    pub(crate) fn broken(message: String) -> Self {
        FromSpoke::Failed {
            kind: crate::TaskErrorKind::Misuse.to_wire(),
            message,
        }
    }
}
