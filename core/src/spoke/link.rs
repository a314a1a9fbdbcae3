//! A context's line to its hub, from inside a process spoke.

use std::io::{BufReader, BufWriter, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::protocol::{Answer, Ask, FromSpoke, ToSpoke};
use crate::TaskError;
use crate::ctx::link::{RemoteHub, TaskLink};
use crate::hub::{HubServices, Progress, ProgressFn, Types};
use crate::task_error::TaskErrorKind;
use crate::whiteboard::BoardAccess;
use crate::wire::{receive, send};

/// The spoke's socket to its hub, both ways.
pub(crate) struct Channel {
    pub(crate) reader: BufReader<UnixStream>,
    pub(crate) writer: BufWriter<UnixStream>,
}

/// The channel, shared by the spoke's loop and the running task's context.
pub(crate) type Shared = Arc<Mutex<Channel>>;

pub(crate) fn lock(channel: &Shared) -> MutexGuard<'_, Channel> {
    channel.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends one message and flushes it.
pub(crate) fn say(channel: &mut Channel, message: &FromSpoke) -> std::io::Result<()> {
    send(&mut channel.writer, message)?;
    channel.writer.flush()
}

/// What a task running in a spoke can reach of its hub: its label, progress reports, and, for
/// fine-grain tasks, the whiteboard and requests, each a question answered over the socket.
/// Its cancellation is its deadline, or the hub killing the spoke.
pub(crate) struct SpokeLink {
    name: &'static str,
    label: Option<String>,
    channel: Shared,
    services: HubServices,
}

impl SpokeLink {
    pub(crate) fn new(name: &'static str, label: Option<String>, channel: Shared) -> Self {
        let reporting = Arc::clone(&channel);
        let report: ProgressFn = Box::new(move |progress: &Progress| {
            // Fire and forget: a hub that is gone kills this spoke anyway.
            let _ = say(
                &mut lock(&reporting),
                &FromSpoke::Progress(progress.fraction),
            );
        });
        let services = HubServices {
            progress: Some(std::sync::Mutex::new(report)),
            ..HubServices::default()
        };
        Self {
            name,
            label,
            channel,
            services,
        }
    }

    /// Asks the hub and waits for its answer.
    fn ask(&self, ask: Ask) -> Result<Answer, TaskError> {
        let lost = |e: std::io::Error| {
            TaskError::new(TaskErrorKind::Stale, format!("the hub is gone: {e}"))
        };
        let mut channel = lock(&self.channel);
        say(&mut channel, &FromSpoke::Ask(ask)).map_err(lost)?;
        match receive::<ToSpoke>(&mut channel.reader).map_err(lost)? {
            Some(ToSpoke::Answer(Answer::Refused { kind, message })) => {
                Err(TaskError::new(TaskErrorKind::from_wire(kind), message))
            }
            Some(ToSpoke::Answer(answer)) => Ok(answer),
            Some(ToSpoke::Run(_)) | None => Err(TaskError::new(
                TaskErrorKind::Stale,
                "the hub did not answer".into(),
            )),
        }
    }
}

fn unexpected(answer: Answer) -> TaskError {
    TaskError::new(
        TaskErrorKind::Misuse,
        format!("the hub answered out of turn: {answer:?}"),
    )
}

fn to_json(value: &Value) -> String {
    value.to_string()
}

fn from_json(text: &str) -> Result<Value, TaskError> {
    serde_json::from_str(text).map_err(|e| {
        TaskError::new(
            TaskErrorKind::Misuse,
            format!("a whiteboard value did not decode: {e}"),
        )
    })
}

impl BoardAccess for SpokeLink {
    fn get(&self, key: &str) -> Result<Option<Value>, TaskError> {
        match self.ask(Ask::Get {
            key: key.to_owned(),
        })? {
            Answer::Value(value) => value.as_deref().map(from_json).transpose(),
            other => Err(unexpected(other)),
        }
    }

    fn put(&self, key: &str, value: Value) -> Result<(), TaskError> {
        match self.ask(Ask::Put {
            key: key.to_owned(),
            value: to_json(&value),
        })? {
            Answer::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn compare_and_swap(
        &self,
        key: &str,
        current: Option<&Value>,
        new: Value,
    ) -> Result<bool, TaskError> {
        match self.ask(Ask::Swap {
            key: key.to_owned(),
            current: current.map(to_json),
            new: to_json(&new),
        })? {
            Answer::Swapped(swapped) => Ok(swapped),
            other => Err(unexpected(other)),
        }
    }
}

impl RemoteHub for SpokeLink {
    fn board(&self) -> &dyn BoardAccess {
        self
    }

    fn request(&self, query: Vec<u8>, types: &Types<'_>) -> Result<Vec<u8>, TaskError> {
        match self.ask(Ask::Request {
            query,
            query_type: types.query.to_owned(),
            reply_type: types.reply.to_owned(),
        })? {
            Answer::Reply(reply) => Ok(reply),
            other => Err(unexpected(other)),
        }
    }

    fn gang(&self, ask: Ask) -> Result<Answer, TaskError> {
        self.ask(ask)
    }
}

impl TaskLink for SpokeLink {
    fn task_name(&self) -> &'static str {
        self.name
    }

    fn label(&self, _task: usize) -> Option<&str> {
        self.label.as_deref()
    }

    fn stop_requested(&self) -> bool {
        false
    }

    fn is_live(&self, _task: usize, _attempt: u32) -> bool {
        // The hub checks liveness where it holds the state: in its answers.
        true
    }

    fn services(&self) -> &HubServices {
        &self.services
    }

    fn remote(&self) -> Option<&dyn RemoteHub> {
        Some(self)
    }

    fn adopt_group(&self, _pgid: i32, _running: bool) {
        // The hub ends this whole spoke, and with it what the spoke waits on, when it
        // abandons the attempt; a coprocess's own group ends with its `run`.
    }
}
