//! Capabilities: which primitive, manager and option each policy allows.
//!
//! Every cell marked toxic in the policy table is a missing impl here. A task that calls a toxic
//! primitive fails to compile with error E0277 and the text below, spanned on the call. The
//! traits are sealed: a user cannot grant a capability.
//!
//! A generic helper that receives a context must carry the capability it uses:
//!
//! ```
//! use spm::prelude::*;
//! use spm::capability::AllowsBarrier;
//!
//! fn settle<P: Policy + AllowsBarrier>(ctx: &Ctx<P>) -> Result<(), TaskError> {
//!     ctx.barrier()
//! }
//! ```

use crate::policy::{CoarseList, CoarseRace, CoarseSingleton, FineGeneral, FineLimited, Policy};

/// Declares a sealed capability trait and the policies that hold it.
macro_rules! capability {
    (
        $(#[$attr:meta])*
        pub trait $name:ident for $($policy:ty),* $(,)?
    ) => {
        $(#[$attr])*
        pub trait $name: Policy {}
        $(impl $name for $policy {})*
    };
}

// ---- Talking to the hub: fine grain only ---------------------------------------------------

capability! {
    /// May read and write the hub's whiteboard (`ctx.whiteboard()`).
    #[diagnostic::on_unimplemented(
        message = "`whiteboard` is toxic under `{Self}`: a coarse task must be killable and rerunnable at any instant, with no partner waiting on it, not even the hub",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_limited)]` (or `fine_general`) to share knowledge through the hub's whiteboard; a coarse task speaks only through its arguments and its result"
    )]
    pub trait AllowsWhiteboard for FineLimited, FineGeneral
}

capability! {
    /// May ask the hub and wait for its reply (`ctx.request(..)`), and so may have a manager
    /// that serves requests (`.serve(..)`).
    #[diagnostic::on_unimplemented(
        message = "`request` is toxic under `{Self}`: a coarse task must be killable and rerunnable at any instant, with no partner waiting on it, not even the hub",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_limited)]` (or `fine_general`) to ask the hub; a coarse task speaks only through its arguments and its result"
    )]
    pub trait AllowsRequest for FineLimited, FineGeneral
}

capability! {
    /// May receive values the hub pushes (`ctx.recv_from_hub()`), and so may be the target of
    /// `Hub::push`.
    #[diagnostic::on_unimplemented(
        message = "hub push (`recv_from_hub`, `Hub::push`) is toxic under `{Self}`: a push can reach a dead or replaced incarnation, and the hub would wait on a spoke that waits on the hub",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_general)]`, whose gang lives and dies as one; under `fine_limited` ask the hub with `ctx.request(..)` instead"
    )]
    pub trait AllowsHubPush for FineGeneral
}

// ---- Talking to peers: gangs only ----------------------------------------------------------

capability! {
    /// May send a value to another member of its gang (`ctx.send(..)`).
    #[diagnostic::on_unimplemented(
        message = "`send` is toxic under `{Self}`: the peer may not be running (queued behind the sender) or may have been killed and retried",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member, so a peer is always there to receive"
    )]
    pub trait AllowsSend for FineGeneral
}

capability! {
    /// May receive a value from another member of its gang (`ctx.recv(..)`).
    #[diagnostic::on_unimplemented(
        message = "`recv` is toxic under `{Self}`: the peer may not be running (queued behind the receiver) or may have been killed and retried, so the receiver could wait forever",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member, so a peer is always there to send"
    )]
    pub trait AllowsRecv for FineGeneral
}

capability! {
    /// May wait at a barrier with its gang (`ctx.barrier()`).
    #[diagnostic::on_unimplemented(
        message = "`barrier` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
    )]
    pub trait AllowsBarrier for FineGeneral
}

capability! {
    /// May take part in a broadcast (`ctx.broadcast(..)`).
    #[diagnostic::on_unimplemented(
        message = "`broadcast` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
    )]
    pub trait AllowsBroadcast for FineGeneral
}

capability! {
    /// May take part in a reduction to one root (`ctx.reduce(..)`).
    #[diagnostic::on_unimplemented(
        message = "`reduce` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
    )]
    pub trait AllowsReduce for FineGeneral
}

capability! {
    /// May take part in a reduction whose result every member receives (`ctx.all_reduce(..)`).
    #[diagnostic::on_unimplemented(
        message = "`all_reduce` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
        label = "toxic under `{Self}`",
        note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
    )]
    pub trait AllowsAllReduce for FineGeneral
}

// ---- Manager options ------------------------------------------------------------------------

capability! {
    /// Its manager may retry a failed task alone (`.retries(n)`).
    #[diagnostic::on_unimplemented(
        message = "`retries` is toxic under `{Self}`: gang members live and die together, and a lone rerun member would wait forever for peers that already passed the barrier",
        label = "toxic under `{Self}`",
        note = "use `.gang_retries(n)` to relaunch the whole gang"
    )]
    pub trait AllowsTaskRetry for CoarseSingleton, CoarseList, CoarseRace, FineLimited
}

capability! {
    /// Its manager may relaunch the whole gang (`.gang_retries(n)`).
    #[diagnostic::on_unimplemented(
        message = "`gang_retries` is toxic under `{Self}`: only a `fine_general` gang lives and dies as one; these tasks run independently, so there is no gang to relaunch",
        label = "toxic under `{Self}`",
        note = "use `.retries(n)` to retry each failed task alone"
    )]
    pub trait AllowsGangRetry for FineGeneral
}

capability! {
    /// Its manager may stop everything at the first task that fails for good
    /// (`.halt_on_first_failure()`).
    #[diagnostic::on_unimplemented(
        message = "`halt_on_first_failure` does not apply to `{Self}`: a race already stops at its first success and fails only if all fail, a singleton has nothing else to stop, and a gang always fails as one",
        label = "not an option of `{Self}` managers",
        note = "`halt_on_first_failure` is an option of lists: `coarse_list` and `fine_limited`"
    )]
    pub trait AllowsHalt for CoarseList, FineLimited
}

// ---- Which manager runs which tasks ----------------------------------------------------------

capability! {
    /// Its tasks are managed as a list (`Task::list(..)`).
    #[diagnostic::on_unimplemented(
        message = "`list` manages `coarse_list` and `fine_limited` tasks, not `{Self}` tasks",
        label = "not a list policy",
        note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
    )]
    pub trait ManagedAsList for CoarseList, FineLimited
}

capability! {
    /// Its tasks are managed as a race (`Task::race(..)`).
    #[diagnostic::on_unimplemented(
        message = "`race` manages `coarse_race` tasks, not `{Self}` tasks",
        label = "not a race policy",
        note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
    )]
    pub trait ManagedAsRace for CoarseRace
}

capability! {
    /// Its task is managed alone (`task.singleton()`).
    #[diagnostic::on_unimplemented(
        message = "`singleton` manages `coarse_singleton` tasks, not `{Self}` tasks",
        label = "not a singleton policy",
        note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
    )]
    pub trait ManagedAsSingleton for CoarseSingleton
}

capability! {
    /// Its tasks are managed as a co-scheduled gang (`Task::gang(..)`).
    #[diagnostic::on_unimplemented(
        message = "`gang` manages `fine_general` tasks, not `{Self}` tasks",
        label = "not a gang policy",
        note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
    )]
    pub trait ManagedAsGang for FineGeneral
}

// ---- Bundles for generic helpers -----------------------------------------------------------

/// Everything a task may do with its hub: requests and the whiteboard (`fine_limited`,
/// `fine_general`). A convenient bound for generic helpers.
pub trait HubAccess: AllowsRequest + AllowsWhiteboard {}
impl<P: AllowsRequest + AllowsWhiteboard> HubAccess for P {}

/// Every primitive of a gang (`fine_general`). A convenient bound for generic helpers.
pub trait GangPrimitives:
    HubAccess
    + AllowsHubPush
    + AllowsSend
    + AllowsRecv
    + AllowsBarrier
    + AllowsBroadcast
    + AllowsReduce
    + AllowsAllReduce
{
}
impl<P> GangPrimitives for P where
    P: HubAccess
        + AllowsHubPush
        + AllowsSend
        + AllowsRecv
        + AllowsBarrier
        + AllowsBroadcast
        + AllowsReduce
        + AllowsAllReduce
{
}
