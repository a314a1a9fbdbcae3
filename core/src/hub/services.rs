//! What the hub offers a running manager's tasks: the whiteboard, a request handler, and a
//! progress callback.
//!
//! The user's callbacks run on the hub's behalf under a lock, on whichever thread carries the
//! request (the spoke's own thread, for thread spokes): one at a time, in arrival order.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::attempt;
use crate::capability::AllowsHubPush;
use crate::fabric::{Fabric, Parcel};
use crate::task_error::TaskErrorKind;
use crate::whiteboard::{Open, Whiteboard, WhiteboardStore};
use crate::{Policy, TaskError};

/// A query as a task asked it: moved as it is between threads, or encoded, from a process.
pub(crate) enum Query<'a> {
    Local(Box<dyn Any + Send>),
    Encoded(&'a [u8]),
}

/// The handler's reply, in the form the query came in.
pub(crate) enum Reply {
    Local(Box<dyn Any + Send>),
    Encoded(Vec<u8>),
}

/// The types a task asks with and expects back, by name: checked against the handler's before
/// anything is decoded, on threads and across processes alike.
pub(crate) struct Types<'a> {
    pub(crate) query: &'a str,
    pub(crate) reply: &'a str,
}

/// A type-erased request handler.
pub(crate) type ErasedHandler =
    Box<dyn FnMut(Query<'_>, &Types<'_>, &HubCall<'_>) -> Result<Reply, TaskError> + Send>;

/// A progress callback.
pub(crate) type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// The hub's services for one manager call.
#[derive(Default)]
pub(crate) struct HubServices {
    pub(crate) whiteboard: WhiteboardStore,
    pub(crate) handler: Option<Mutex<ErasedHandler>>,
    pub(crate) progress: Option<Mutex<ProgressFn>>,
}

impl HubServices {
    /// Serves one request from a task; `live` says whether the asking incarnation still lives.
    pub(crate) fn serve(
        &self,
        query: Query<'_>,
        types: &Types<'_>,
        call: &HubCall<'_>,
        live: impl Fn() -> bool,
    ) -> Result<Reply, TaskError> {
        let Some(handler) = &self.handler else {
            return Err(TaskError::new(
                TaskErrorKind::Misuse,
                "this manager serves no requests: give it a handler with `.serve(|query, hub| reply)`"
                    .into(),
            ));
        };
        let mut handler = handler.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked once the hub is free to answer: the incarnation may have ended while it
        // waited for the handler.
        if !live() {
            return Err(stale(&call.from.label, "request"));
        }
        let reply = catch_unwind(AssertUnwindSafe(|| handler(query, types, call))).unwrap_or_else(
            |payload| {
                let panic = TaskError::panicked(&*payload);
                attempt::discard(payload);
                Err(TaskError::new(
                    TaskErrorKind::Misuse,
                    format!("the hub's request handler {panic}"),
                ))
            },
        );
        drop(handler);
        // The reply is dropped, never delivered, if the incarnation that asked has ended while
        // the hub was answering.
        if !live() {
            attempt::discard(reply);
            return Err(stale(&call.from.label, "reply"));
        }
        reply
    }

    /// Hands a progress report to the callback, if there is one.
    pub(crate) fn progress(&self, report: impl FnOnce() -> Progress) {
        if let Some(callback) = &self.progress {
            let report = report();
            let mut callback = callback.lock().unwrap_or_else(PoisonError::into_inner);
            // A panicking progress callback must not fail the task that reported.
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback(&report))) {
                attempt::discard(payload);
            }
        }
    }
}

pub(crate) fn stale(label: &str, what: &str) -> TaskError {
    TaskError::new(
        TaskErrorKind::Stale,
        format!(
            "this incarnation of `{label}` has ended (timed out, cancelled or replaced): its {what} was dropped"
        ),
    )
}

/// Who sent the request the hub is serving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requester {
    /// The task's label.
    pub label: String,
    /// The task's index in submission order (its rank, in a gang).
    pub index: usize,
    /// The asking incarnation (`ctx.attempt()`).
    pub attempt: u32,
}

/// A progress report, as a task made it with `ctx.progress(fraction)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// The task's label.
    pub label: String,
    /// The task's index in submission order (its rank, in a gang).
    pub index: usize,
    /// The reporting incarnation (`ctx.attempt()`).
    pub attempt: u32,
    /// How far the task says it is, clamped to `0.0..=1.0`.
    pub fraction: f64,
}

/// One request being served: what the hub's handler may use.
pub(crate) struct HubCall<'a> {
    pub(crate) services: &'a HubServices,
    pub(crate) from: Requester,
    pub(crate) fabric: Option<&'a Fabric>,
}

/// The hub, as a request handler sees it while it serves one request.
pub struct Hub<'a, P: Policy> {
    call: &'a HubCall<'a>,
    _policy: PhantomData<fn() -> P>,
}

impl<'a, P: Policy> Hub<'a, P> {
    pub(crate) fn new(call: &'a HubCall<'a>) -> Self {
        Self {
            call,
            _policy: PhantomData,
        }
    }

    /// The task that asked.
    pub fn requester(&self) -> &Requester {
        &self.call.from
    }

    /// The whiteboard, as the hub sees it (always writable).
    pub fn whiteboard(&self) -> Whiteboard<'_> {
        Whiteboard::new(&self.call.services.whiteboard, &Open)
    }

    /// Pushes `value` to gang member `rank` of the asking incarnation; the member takes it with
    /// `ctx.recv_from_hub()`. Pushes queue in order per member.
    ///
    /// # Errors
    /// `Misuse` if `rank` is not a member; `Stale` if the asking gang has ended (the push is
    /// dropped, never delivered to a later launch).
    pub fn push<T>(&self, rank: usize, value: T) -> Result<(), TaskError>
    where
        P: AllowsHubPush,
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        let Some(fabric) = self.call.fabric else {
            return Err(TaskError::new(
                TaskErrorKind::Misuse,
                "only a gang's members can be pushed to".into(),
            ));
        };
        // Members on process spokes take their values encoded.
        let parcel = if fabric.encoded() {
            let bytes = crate::wire::encode(&value).map_err(|e| {
                TaskError::new(TaskErrorKind::Misuse, format!("a push did not encode: {e}"))
            })?;
            Parcel::encoded(bytes, std::any::type_name::<T>().to_owned())
        } else {
            Parcel::new(value)
        };
        fabric.push_from_hub(rank, parcel)
    }
}

impl<P: Policy> fmt::Debug for Hub<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("policy", &P::NAME)
            .field("requester", &self.call.from)
            .finish()
    }
}
