//! Primitives that talk to the hub: the whiteboard and requests (fine grain only).

use std::any::type_name;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Ctx;
use crate::capability::{AllowsRequest, AllowsWhiteboard};
use crate::hub::{HubCall, Query, Reply, Requester, Types, stale};
use crate::task_error::TaskErrorKind;
use crate::whiteboard::{Gate, Whiteboard};
use crate::wire;
use crate::{Policy, TaskError};

impl<P: Policy> Gate for Ctx<P> {
    fn admit(&self) -> Result<(), TaskError> {
        if self.is_live_now() {
            Ok(())
        } else {
            Err(stale(self.label(), "whiteboard access"))
        }
    }
}

impl<P: Policy> Ctx<P> {
    /// Who is asking, for the hub's handler.
    pub(crate) fn hub_call(&self) -> HubCall<'_> {
        HubCall {
            services: self.link.services(),
            from: Requester {
                label: self.label().to_owned(),
                index: self.task,
                attempt: self.attempt,
            },
            fabric: self.link.fabric(),
        }
    }

    /// The hub's whiteboard: knowledge shared by every task of this manager call, as serde
    /// values by key (get, put, compare-and-swap). What is left on it is in the report.
    ///
    /// Toxic for coarse policies: a coarse task must be killable and rerunnable at any instant.
    pub fn whiteboard(&self) -> Whiteboard<'_>
    where
        P: AllowsWhiteboard,
    {
        match self.link.remote() {
            Some(remote) => Whiteboard::remote(remote.board()),
            None => Whiteboard::new(&self.link.services().whiteboard, self),
        }
    }

    /// Asks the hub and waits for its reply: the manager's `.serve(|query, hub| reply)` handler
    /// answers on the hub's behalf. The hub only replies; it never pushes to a `fine_limited`
    /// task.
    ///
    /// Toxic for coarse policies: a coarse task must be killable and rerunnable at any instant.
    ///
    /// # Errors
    /// `Misuse` if the manager serves no requests or serves other types; `Stale` if this
    /// incarnation ended while the hub was answering (the reply is dropped, never delivered to
    /// a later attempt).
    pub fn request<Q, R>(&self, query: Q) -> Result<R, TaskError>
    where
        P: AllowsRequest,
        Q: Serialize + DeserializeOwned + Send + 'static,
        R: Serialize + DeserializeOwned + Send + 'static,
    {
        let types = Types {
            query: type_name::<Q>(),
            reply: type_name::<R>(),
        };
        if let Some(remote) = self.link.remote() {
            let query = wire::encode(&query).map_err(|e| {
                TaskError::new(
                    TaskErrorKind::Misuse,
                    format!("the query did not encode: {e}"),
                )
            })?;
            let reply = remote.request(query, &types)?;
            return wire::decode(&reply).map_err(|e| {
                TaskError::new(
                    TaskErrorKind::Misuse,
                    format!("the reply did not decode: {e}"),
                )
            });
        }
        let services = self.link.services();
        let call = self.hub_call();
        match services.serve(Query::Local(Box::new(query)), &types, &call, || {
            self.is_live_now()
        })? {
            Reply::Local(reply) => reply.downcast::<R>().map(|r| *r).map_err(|_| {
                TaskError::new(
                    TaskErrorKind::Misuse,
                    "the reply is not of its type's name".into(),
                )
            }),
            Reply::Encoded(_) => Err(TaskError::new(
                TaskErrorKind::Misuse,
                "an encoded reply to a local query".into(),
            )),
        }
    }
}
