//! Primitives between the members of a gang (`fine_general` only).
//!
//! Values cross as they are between thread spokes; the `Serialize + DeserializeOwned` bounds are
//! what lets the same task run unchanged on spokes that are processes.

use std::any::{TypeId, type_name};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Ctx;
use crate::capability::{
    AllowsAllReduce, AllowsBarrier, AllowsBroadcast, AllowsHubPush, AllowsRecv, AllowsReduce,
    AllowsSend,
};
use crate::fabric::{Fabric, Op, Parcel};
use crate::task_error::TaskErrorKind;
use crate::{Policy, TaskError};

impl<P: Policy> Ctx<P> {
    fn fabric(&self) -> &Fabric {
        self.link()
            .fabric()
            .expect("every policy with gang capabilities runs as a gang with a fabric")
    }

    fn check_root(&self, root: usize, what: &str) -> Result<(), TaskError> {
        if root < self.size() {
            Ok(())
        } else {
            Err(TaskError::new(
                TaskErrorKind::Misuse,
                format!(
                    "{what}: root rank {root} is not a member: this gang has ranks 0..{}",
                    self.size()
                ),
            ))
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
        self.fabric().send(self.rank(), to, Parcel::new(value))
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
        self.fabric().recv(self.rank(), from)
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
        self.fabric()
            .collective(
                self.rank(),
                Op::Barrier,
                None,
                (TypeId::of::<()>(), "()"),
                &mut |_| unreachable!("a barrier combines nothing"),
            )
            .map(drop)
    }

    /// Every member gets the value member `root` passes (`Some(value)` at the root; other
    /// members' values are ignored, so they usually pass `None`).
    ///
    /// # Errors
    /// As [`Ctx::barrier`], and if the root passes `None`.
    pub fn broadcast<T>(&self, root: usize, value: Option<T>) -> Result<T, TaskError>
    where
        P: AllowsBroadcast,
        T: Clone + Serialize + DeserializeOwned + Send + 'static,
    {
        let op = Op::Broadcast { root };
        self.check_root(root, "broadcast")?;
        let size = self.size();
        let contribution = if self.rank() == root {
            // The root that has nothing to give is the one at fault: it fails here, and its
            // failure ends the round for the others.
            let Some(value) = value else {
                return Err(TaskError::new(
                    TaskErrorKind::Misuse,
                    format!(
                        "broadcast: the root, rank {root}, passed `None`: the root passes `Some(value)`"
                    ),
                ));
            };
            Some(Parcel::new(value))
        } else {
            None
        };
        let output = self.fabric().collective(
            self.rank(),
            op,
            contribution,
            (TypeId::of::<T>(), type_name::<T>()),
            &mut |mut contributions| {
                let value: T = contributions[root]
                    .take()
                    .expect("the root of a broadcast always contributes")
                    .open();
                Ok((0..size)
                    .map(|_| Some(Parcel::new(value.clone())))
                    .collect())
            },
        )?;
        Ok(output
            .expect("a broadcast gives every member a value")
            .open())
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
        let size = self.size();
        let output = self.fabric().collective(
            self.rank(),
            Op::Reduce { root },
            Some(Parcel::new(value)),
            (TypeId::of::<T>(), type_name::<T>()),
            &mut |contributions| {
                let total = fold(contributions, &op);
                let mut outputs: Vec<Option<Parcel>> = (0..size).map(|_| None).collect();
                outputs[root] = Some(Parcel::new(total));
                Ok(outputs)
            },
        )?;
        Ok(output.map(Parcel::open))
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
        let size = self.size();
        let output = self.fabric().collective(
            self.rank(),
            Op::AllReduce,
            Some(Parcel::new(value)),
            (TypeId::of::<T>(), type_name::<T>()),
            &mut |contributions| {
                let total = fold(contributions, &op);
                Ok((0..size)
                    .map(|_| Some(Parcel::new(total.clone())))
                    .collect())
            },
        )?;
        Ok(output
            .expect("an all-reduce gives every member a value")
            .open())
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
        self.fabric().recv_from_hub(self.rank())
    }
}

/// Folds the contributions of a round in rank order.
fn fold<T: 'static>(contributions: Vec<Option<Parcel>>, op: &impl Fn(T, T) -> T) -> T {
    let mut values = contributions.into_iter().map(|p| {
        p.expect("every member contributes to a reduction")
            .open::<T>()
    });
    let first = values.next().expect("a gang has at least one member");
    values.fold(first, op)
}
