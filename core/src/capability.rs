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

// ---- Talking to the hub: fine grain only ---------------------------------------------------

/// May read and write the hub's whiteboard (`ctx.whiteboard()`).
#[diagnostic::on_unimplemented(
    message = "`whiteboard` is toxic under `{Self}`: a coarse task must be killable and rerunnable at any instant, with no partner waiting on it, not even the hub",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_limited)]` (or `fine_general`) to share knowledge through the hub's whiteboard; a coarse task speaks only through its arguments and its result"
)]
pub trait AllowsWhiteboard: Policy {}
impl AllowsWhiteboard for FineLimited {}
impl AllowsWhiteboard for FineGeneral {}

/// May ask the hub and wait for its reply (`ctx.request(..)`), and so may have a manager
/// that serves requests (`.serve(..)`).
#[diagnostic::on_unimplemented(
    message = "`request` is toxic under `{Self}`: a coarse task must be killable and rerunnable at any instant, with no partner waiting on it, not even the hub",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_limited)]` (or `fine_general`) to ask the hub; a coarse task speaks only through its arguments and its result"
)]
pub trait AllowsRequest: Policy {}
impl AllowsRequest for FineLimited {}
impl AllowsRequest for FineGeneral {}

/// Its manager may serve requests (`.serve(..)`).
#[diagnostic::on_unimplemented(
    message = "`serve` is toxic under `{Self}`: its tasks may not ask the hub (a coarse task must be killable and rerunnable at any instant, with no partner waiting on it), so there is nothing to serve",
    label = "toxic under `{Self}`",
    note = "declare the task `#[pclosure(fine_limited)]` (or `fine_general`) to let it ask the hub with `ctx.request(..)`"
)]
pub trait AllowsServe: Policy {}
impl AllowsServe for FineLimited {}
impl AllowsServe for FineGeneral {}

/// Its manager may write the whiteboard before any task starts (`.whiteboard_put(..)`).
#[diagnostic::on_unimplemented(
    message = "`whiteboard_put` is toxic under `{Self}`: its tasks may not read the hub's whiteboard (a coarse task must be killable and rerunnable at any instant, with no partner waiting on it)",
    label = "toxic under `{Self}`",
    note = "pass what a coarse task needs as its arguments, or declare it `#[pclosure(fine_limited)]` (or `fine_general`) to share knowledge through the whiteboard"
)]
pub trait AllowsWhiteboardPut: Policy {}
impl AllowsWhiteboardPut for FineLimited {}
impl AllowsWhiteboardPut for FineGeneral {}

/// May receive values the hub pushes (`ctx.recv_from_hub()`), and so may be the target of
/// `Hub::push`.
#[diagnostic::on_unimplemented(
    message = "hub push (`recv_from_hub`, `Hub::push`) is toxic under `{Self}`: a push can reach a dead or replaced incarnation, and the hub would wait on a spoke that waits on the hub",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general)]`, whose gang lives and dies as one; under `fine_limited` a task asks with `ctx.request(..)` and the hub answers with the handler's reply"
)]
pub trait AllowsHubPush: Policy {}
impl AllowsHubPush for FineGeneral {}

// ---- Talking to peers: gangs only ----------------------------------------------------------

/// May send a value to another member of its gang (`ctx.send(..)`).
#[diagnostic::on_unimplemented(
    message = "`send` is toxic under `{Self}`: the peer may not be running (queued behind the sender) or may have been killed and retried",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member, so a peer is always there to receive"
)]
pub trait AllowsSend: Policy {}
impl AllowsSend for FineGeneral {}

/// May receive a value from another member of its gang (`ctx.recv(..)`).
#[diagnostic::on_unimplemented(
    message = "`recv` is toxic under `{Self}`: the peer may not be running (queued behind the receiver) or may have been killed and retried, so the receiver could wait forever",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member, so a peer is always there to send"
)]
pub trait AllowsRecv: Policy {}
impl AllowsRecv for FineGeneral {}

/// May wait at a barrier with its gang (`ctx.barrier()`).
#[diagnostic::on_unimplemented(
    message = "`barrier` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
)]
pub trait AllowsBarrier: Policy {}
impl AllowsBarrier for FineGeneral {}

/// May meet the other invocations of its work-group at a barrier, in a kernel
/// (`ctx.barrier()` in a `#[pclosure(.., targets(..))]` function).
#[diagnostic::on_unimplemented(
    message = "`barrier` is toxic under `{Self}`: a coarse kernel's invocations are independent tasks, run in any order on any core or GPU lane, so some would wait forever at a barrier that others have not reached or already passed",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general, workgroup(256), targets(..))]`: the invocations of a work-group are co-scheduled and meet at its barriers"
)]
pub trait AllowsGroupBarrier: Policy {}
impl AllowsGroupBarrier for FineGeneral {}

/// May take part in a broadcast (`ctx.broadcast(..)`).
#[diagnostic::on_unimplemented(
    message = "`broadcast` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
)]
pub trait AllowsBroadcast: Policy {}
impl AllowsBroadcast for FineGeneral {}

/// May take part in a reduction to one root (`ctx.reduce(..)`).
#[diagnostic::on_unimplemented(
    message = "`reduce` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
)]
pub trait AllowsReduce: Policy {}
impl AllowsReduce for FineGeneral {}

/// May take part in a reduction whose result every member receives (`ctx.all_reduce(..)`).
#[diagnostic::on_unimplemented(
    message = "`all_reduce` is toxic under `{Self}`: it needs every participant alive at once, but these tasks run as spokes free up and may be killed and retried, so a peer could wait forever",
    label = "toxic under `{Self}`",
    note = "use `#[pclosure(fine_general)]`: a gang co-schedules every member and relaunches them together"
)]
pub trait AllowsAllReduce: Policy {}
impl AllowsAllReduce for FineGeneral {}

// ---- Manager options ------------------------------------------------------------------------

/// Its manager may retry a failed task alone (`.retries(n)`).
#[diagnostic::on_unimplemented(
    message = "`retries` is toxic under `{Self}`: gang members live and die together, and a lone rerun member would wait forever for peers that already passed the barrier",
    label = "toxic under `{Self}`",
    note = "use `.gang_retries(n)` to relaunch the whole gang"
)]
pub trait AllowsTaskRetry: Policy {}
impl AllowsTaskRetry for CoarseSingleton {}
impl AllowsTaskRetry for CoarseList {}
impl AllowsTaskRetry for CoarseRace {}
impl AllowsTaskRetry for FineLimited {}

/// Its manager may relaunch the whole gang (`.gang_retries(n)`).
#[diagnostic::on_unimplemented(
    message = "`gang_retries` is toxic under `{Self}`: only a `fine_general` gang lives and dies as one; these tasks run independently, so there is no gang to relaunch",
    label = "toxic under `{Self}`",
    note = "use `.retries(n)` to retry each failed task alone"
)]
pub trait AllowsGangRetry: Policy {}
impl AllowsGangRetry for FineGeneral {}

/// Its manager may stop everything at the first task that fails for good
/// (`.halt_on_first_failure()`).
#[diagnostic::on_unimplemented(
    message = "`halt_on_first_failure` does not apply to `{Self}`: a race already stops at its first success and fails only if all fail, a singleton has nothing else to stop, and a gang always fails as one",
    label = "not an option of `{Self}` managers",
    note = "`halt_on_first_failure` is an option of lists: `coarse_list` and `fine_limited`"
)]
pub trait AllowsHalt: Policy {}
impl AllowsHalt for CoarseList {}
impl AllowsHalt for FineLimited {}

// ---- Which manager runs which tasks ----------------------------------------------------------

/// Its tasks are managed as a list (`Task::list(..)`).
#[diagnostic::on_unimplemented(
    message = "`list` manages `coarse_list` and `fine_limited` tasks, not `{Self}` tasks",
    label = "not a list policy",
    note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
)]
pub trait ManagedAsList: Policy {}
impl ManagedAsList for CoarseList {}
impl ManagedAsList for FineLimited {}

/// Its tasks are managed as a race (`Task::race(..)`).
#[diagnostic::on_unimplemented(
    message = "`race` manages `coarse_race` tasks, not `{Self}` tasks",
    label = "not a race policy",
    note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
)]
pub trait ManagedAsRace: Policy {}
impl ManagedAsRace for CoarseRace {}

/// Its task is managed alone (`task.singleton()`).
#[diagnostic::on_unimplemented(
    message = "`singleton` manages `coarse_singleton` tasks, not `{Self}` tasks",
    label = "not a singleton policy",
    note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
)]
pub trait ManagedAsSingleton: Policy {}
impl ManagedAsSingleton for CoarseSingleton {}

/// Its tasks are managed as a co-scheduled gang (`Task::gang(..)`).
#[diagnostic::on_unimplemented(
    message = "`gang` manages `fine_general` tasks, not `{Self}` tasks",
    label = "not a gang policy",
    note = "each policy has one manager: `coarse_singleton` → `.singleton()`, `coarse_list` and `fine_limited` → `::list(..)`, `coarse_race` → `::race(..)`, `fine_general` → `::gang(..)`"
)]
pub trait ManagedAsGang: Policy {}
impl ManagedAsGang for FineGeneral {}

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
