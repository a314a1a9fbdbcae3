//! Primitives between the members of a gang (`fine_general` only).
//!
//! Between thread spokes, values move as they are. A member on a process spoke asks its proxy
//! instead, which acts on the same fabric in the hub's process; values cross encoded, and a
//! reduction is gathered to each member that needs its result, which folds it in rank order
//! with its own operation, so every member gets the same value either way.

use std::any::type_name;
use std::borrow::Cow;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Ctx;
use crate::capability::{
    AllowsAllReduce, AllowsBarrier, AllowsBroadcast, AllowsHubPush, AllowsRecv, AllowsReduce,
    AllowsSend,
};
use crate::ctx::link::RemoteHub;
use crate::fabric::{Fabric, Op, Parcel};
use crate::spoke::protocol::{Answer, Ask, WireOp};
use crate::task_error::TaskErrorKind;
use crate::wire;
use crate::{Policy, TaskError};

fn misuse(message: String) -> TaskError {
    TaskError::new(TaskErrorKind::Misuse, message)
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, TaskError> {
    wire::encode(value).map_err(|e| misuse(format!("a value did not encode: {e}")))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, TaskError> {
    wire::decode(bytes).map_err(|e| misuse(format!("a value did not decode: {e}")))
}

fn unexpected(answer: Answer) -> TaskError {
    misuse(format!("the hub answered out of turn: {answer:?}"))
}

/// Folds values in rank order.
fn fold<T>(values: impl IntoIterator<Item = T>, op: &impl Fn(T, T) -> T) -> Result<T, TaskError> {
    let mut values = values.into_iter();
    let first = values
        .next()
        .ok_or_else(|| misuse("a reduction without contributions".into()))?;
    Ok(values.fold(first, op))
}

impl<P: Policy> Ctx<P> {
    fn fabric(&self) -> Result<&Fabric, TaskError> {
        self.link()
            .fabric()
            .ok_or_else(|| misuse("gang primitives need a gang".into()))
    }

    fn remote(&self) -> Option<&dyn RemoteHub> {
        self.link().remote()
    }

    fn check_root(&self, root: usize, what: &str) -> Result<(), TaskError> {
        if root < self.size() {
            Ok(())
        } else {
            Err(misuse(format!(
                "{what}: root rank {root} is not a member: this gang has ranks 0..{}",
                self.size()
            )))
        }
    }

    /// Sends `value` to member `to`. Buffered: it never waits for the receiver.
    ///
    /// # Errors
    /// If `to` is not a member, or the gang has broken.
    pub fn send<T>(&self, to: usize, value: T) -> Result<(), TaskError>
    where
        P: AllowsSend,
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        if let Some(remote) = self.remote() {
            let ask = Ask::Send {
                to: to as u64,
                bytes: encode(&value)?,
                type_name: type_name::<T>().to_owned(),
            };
            return match remote.gang(ask)? {
                Answer::Done => Ok(()),
                other => Err(unexpected(other)),
            };
        }
        self.fabric()?.send(self.rank(), to, Parcel::new(value))
    }

    /// Receives the next value member `from` sent to this member, in the order sent, waiting
    /// for one.
    ///
    /// # Errors
    /// If the gang breaks while waiting, `from` returned without sending, the next value is not
    /// a `T` (it stays queued), or every live member is waiting on another (`Deadlock`).
    pub fn recv<T>(&self, from: usize) -> Result<T, TaskError>
    where
        P: AllowsRecv,
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        if let Some(remote) = self.remote() {
            let ask = Ask::Recv {
                from: from as u64,
                type_name: type_name::<T>().to_owned(),
            };
            return match remote.gang(ask)? {
                Answer::Reply(bytes) => decode(&bytes),
                other => Err(unexpected(other)),
            };
        }
        self.fabric()?
            .recv(self.rank(), from, type_name::<T>(), None)?
            .open()
    }

    /// Waits until every member of the gang has reached this barrier.
    ///
    /// # Errors
    /// If the gang breaks while waiting, a member returned without reaching it, or members call
    /// different collectives at once.
    pub fn barrier(&self) -> Result<(), TaskError>
    where
        P: AllowsBarrier,
    {
        if let Some(remote) = self.remote() {
            let ask = Ask::Collective {
                op: WireOp::Barrier,
                contribution: None,
                type_name: "()".into(),
            };
            return match remote.gang(ask)? {
                Answer::Done => Ok(()),
                other => Err(unexpected(other)),
            };
        }
        self.fabric()?
            .collective(
                self.rank(),
                Op::Barrier,
                None,
                Cow::Borrowed("()"),
                None,
                &mut |_| Err(misuse("a barrier combines nothing".into())),
            )
            .map(drop)
    }

    /// Every member gets the value member `root` passes (`Some(value)` at the root; other
    /// members' values are ignored, so they usually pass `None`).
    ///
    /// # Errors
    /// As [`Ctx::barrier`], and if the root passes `None` (the root fails at once).
    pub fn broadcast<T>(&self, root: usize, value: Option<T>) -> Result<T, TaskError>
    where
        P: AllowsBroadcast,
        T: Clone + Serialize + DeserializeOwned + Send + 'static,
    {
        self.check_root(root, "broadcast")?;
        let value = if self.rank() == root {
            // The root that has nothing to give is the one at fault: it fails here, and its
            // failure ends the round for the others.
            Some(value.ok_or_else(|| {
                misuse(format!(
                    "broadcast: the root, rank {root}, passed `None`: the root passes `Some(value)`"
                ))
            })?)
        } else {
            None
        };
        if let Some(remote) = self.remote() {
            let ask = Ask::Collective {
                op: WireOp::Broadcast { root: root as u64 },
                contribution: value.as_ref().map(encode).transpose()?,
                type_name: type_name::<T>().to_owned(),
            };
            return match remote.gang(ask)? {
                Answer::Reply(bytes) => decode(&bytes),
                other => Err(unexpected(other)),
            };
        }
        let size = self.size();
        let output = self.fabric()?.collective(
            self.rank(),
            Op::Broadcast { root },
            value.map(Parcel::new),
            Cow::Borrowed(type_name::<T>()),
            None,
            &mut |mut contributions| {
                let value: T = contributions[root]
                    .take()
                    .ok_or_else(|| misuse("the root of a broadcast gave nothing".into()))?
                    .open()?;
                Ok((0..size)
                    .map(|_| Some(Parcel::new(value.clone())))
                    .collect())
            },
        )?;
        output
            .ok_or_else(|| misuse("a broadcast gave a member nothing".into()))?
            .open()
    }

    /// Combines every member's `value` with `op`, in rank order
    /// (`op(op(v0, v1), v2) ...`), and gives the result to member `root` (`Some`; the others
    /// get `None`).
    ///
    /// # Errors
    /// As [`Ctx::barrier`], and if `op` panics.
    pub fn reduce<T, F>(&self, root: usize, value: T, op: F) -> Result<Option<T>, TaskError>
    where
        P: AllowsReduce,
        T: Serialize + DeserializeOwned + Send + 'static,
        F: Fn(T, T) -> T,
    {
        self.check_root(root, "reduce")?;
        if let Some(remote) = self.remote() {
            let ask = Ask::Collective {
                op: WireOp::Gather {
                    root: Some(root as u64),
                },
                contribution: Some(encode(&value)?),
                type_name: type_name::<T>().to_owned(),
            };
            return match remote.gang(ask)? {
                Answer::Gathered(all) => {
                    let values = all
                        .iter()
                        .map(|b| decode(b))
                        .collect::<Result<Vec<T>, _>>()?;
                    fold(values, &op).map(Some)
                }
                Answer::Done => Ok(None),
                other => Err(unexpected(other)),
            };
        }
        let size = self.size();
        let output = self.fabric()?.collective(
            self.rank(),
            Op::Reduce { root },
            Some(Parcel::new(value)),
            Cow::Borrowed(type_name::<T>()),
            None,
            &mut |contributions| {
                let values = contributions
                    .into_iter()
                    .map(|p| {
                        p.ok_or_else(|| misuse("a member contributed nothing".into()))?
                            .open()
                    })
                    .collect::<Result<Vec<T>, _>>()?;
                let mut outputs: Vec<Option<Parcel>> = (0..size).map(|_| None).collect();
                outputs[root] = Some(Parcel::new(fold(values, &op)?));
                Ok(outputs)
            },
        )?;
        output.map(Parcel::open).transpose()
    }

    /// Combines every member's `value` with `op`, in rank order, and gives every member the
    /// result. Every member gets the very same value, floats included.
    ///
    /// # Errors
    /// As [`Ctx::barrier`], and if `op` panics.
    pub fn all_reduce<T, F>(&self, value: T, op: F) -> Result<T, TaskError>
    where
        P: AllowsAllReduce,
        T: Clone + Serialize + DeserializeOwned + Send + 'static,
        F: Fn(T, T) -> T,
    {
        if let Some(remote) = self.remote() {
            let ask = Ask::Collective {
                op: WireOp::Gather { root: None },
                contribution: Some(encode(&value)?),
                type_name: type_name::<T>().to_owned(),
            };
            return match remote.gang(ask)? {
                Answer::Gathered(all) => {
                    let values = all
                        .iter()
                        .map(|b| decode(b))
                        .collect::<Result<Vec<T>, _>>()?;
                    fold(values, &op)
                }
                other => Err(unexpected(other)),
            };
        }
        let size = self.size();
        let output = self.fabric()?.collective(
            self.rank(),
            Op::AllReduce,
            Some(Parcel::new(value)),
            Cow::Borrowed(type_name::<T>()),
            None,
            &mut |contributions| {
                let values = contributions
                    .into_iter()
                    .map(|p| {
                        p.ok_or_else(|| misuse("a member contributed nothing".into()))?
                            .open()
                    })
                    .collect::<Result<Vec<T>, _>>()?;
                let total = fold(values, &op)?;
                Ok((0..size)
                    .map(|_| Some(Parcel::new(total.clone())))
                    .collect())
            },
        )?;
        output
            .ok_or_else(|| misuse("an all-reduce gave a member nothing".into()))?
            .open()
    }

    /// Receives the next value the hub pushed to this member (with `hub.push(rank, value)` in
    /// the manager's request handler), waiting for one.
    ///
    /// # Errors
    /// If the gang breaks while waiting, the next value is not a `T`, or every live member is
    /// waiting on another (`Deadlock`: the hub pushes only while it serves a request).
    pub fn recv_from_hub<T>(&self) -> Result<T, TaskError>
    where
        P: AllowsHubPush,
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        if let Some(remote) = self.remote() {
            let ask = Ask::HubRecv {
                type_name: type_name::<T>().to_owned(),
            };
            return match remote.gang(ask)? {
                Answer::Reply(bytes) => decode(&bytes),
                other => Err(unexpected(other)),
            };
        }
        self.fabric()?
            .recv_from_hub(self.rank(), type_name::<T>(), None)?
            .open()
    }
}
