//! The messages between a hub and a process spoke.

use serde::{Deserialize, Serialize};

/// From the hub to a spoke.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToSpoke {
    /// Run one attempt of a task.
    Run(RunOrder),
    /// The answer to the running task's last question.
    Answer(Answer),
}

/// What a running task asks its hub (fine-grain policies only).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Ask {
    /// The whiteboard's value under a key (as JSON).
    Get { key: String },
    /// Put a value (as JSON) under a key.
    Put { key: String, value: String },
    /// Compare-and-swap a key's value (as JSON).
    Swap {
        key: String,
        current: Option<String>,
        new: String,
    },
    /// A request to the hub's handler, encoded, with the types' names.
    Request {
        query: Vec<u8>,
        query_type: String,
        reply_type: String,
    },
    /// A gang member sends an encoded value to another.
    Send {
        to: u64,
        bytes: Vec<u8>,
        type_name: String,
    },
    /// A gang member takes the next value another sent it.
    Recv { from: u64, type_name: String },
    /// A gang member takes part in a collective round.
    Collective {
        op: WireOp,
        contribution: Option<Vec<u8>>,
        type_name: String,
    },
    /// A gang member takes the next value the hub pushed to it.
    HubRecv { type_name: String },
}

/// A collective round, as a member on a process spoke asks for it: reductions are gathered,
/// and each member that needs the result folds it itself.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) enum WireOp {
    Barrier,
    Broadcast { root: u64 },
    Gather { root: Option<u64> },
}

/// The hub's answer to an `Ask`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Answer {
    Value(Option<String>),
    Done,
    Swapped(bool),
    Reply(Vec<u8>),
    /// Every member's contribution to a reduction, in rank order.
    Gathered(Vec<Vec<u8>>),
    /// The hub refused: an error of this kind, with this message.
    Refused {
        kind: u8,
        message: String,
    },
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
    /// The GPU the spoke holds, as the hub numbers it (the spoke's CUDA sees it alone).
    pub(crate) gpu: Option<u32>,
}

/// From a spoke to its hub.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum FromSpoke {
    /// The spoke is up.
    Ready { pid: u32 },
    /// The running task reported progress.
    Progress(f64),
    /// The running task asks its hub; the spoke waits for the `Answer`.
    Ask(Ask),
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
