//! The task context: what a running task may know and do, gated by its policy.
//!
//! Every task receives `&Ctx<P>`, where `P` is the policy its `#[pclosure]` names. Methods that
//! every policy allows are always there; each communication primitive carries a capability
//! bound (`where P: AllowsBarrier`, ...) so calling it under a policy for which it is toxic is a
//! compile error that says why (see [`crate::capability`]).
//!
//! A context cannot leave its task: it is neither `Send` nor `Sync` (the marker
//! [`CtxStaysOnItsSpoke`] says why in the compiler's message), and a task only ever sees it
//! behind a reference that ends with the task.

mod coprocess;
mod gang;
mod hub;
pub(crate) mod link;

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use link::TaskLink;

use crate::Policy;
use crate::hub::Progress;

/// Makes [`Ctx`] neither `Send` nor `Sync`: a context belongs to one attempt of one task on one
/// spoke. Moving it to another thread, sharing it, or keeping it past the task would let a
/// killed or retried incarnation act on behalf of the live one.
pub struct CtxStaysOnItsSpoke(PhantomData<*const CtxStaysOnItsSpoke>);

/// The context of one running attempt of a task of policy `P`.
///
/// A `#[pclosure(..)]` function receives it as its first parameter, written `ctx: &Ctx`; the
/// macro supplies `P`. A helper function that a task calls names the policy itself, as in
/// `fn step(ctx: &Ctx<CoarseRace>)`, or is generic over it and carries the capabilities it
/// uses, as in `fn settle<P: Policy + AllowsBarrier>(ctx: &Ctx<P>)` (see
/// [`capability`](crate::capability)).
pub struct Ctx<P: Policy> {
    link: Arc<dyn TaskLink>,
    task: usize,
    attempt: u32,
    rank: usize,
    size: usize,
    deadline: Option<Instant>,
    gpu: Option<u32>,
    default_label: OnceLock<String>,
    _policy: PhantomData<fn() -> P>,
    _stays: CtxStaysOnItsSpoke,
}

impl<P: Policy> Ctx<P> {
    pub(crate) fn new(
        link: Arc<dyn TaskLink>,
        task: usize,
        attempt: u32,
        size: usize,
        deadline: Option<Instant>,
        gpu: Option<u32>,
    ) -> Self {
        Self {
            link,
            task,
            attempt,
            rank: task,
            size,
            deadline,
            gpu,
            default_label: OnceLock::new(),
            _policy: PhantomData,
            _stays: CtxStaysOnItsSpoke(PhantomData),
        }
    }

    /// The task's label: the one given with `.label(..)`, or `name#index` (the function's name
    /// and the task's position in submission order).
    pub fn label(&self) -> &str {
        match self.link.label(self.task) {
            Some(label) => label,
            None => self
                .default_label
                .get_or_init(|| format!("{}#{}", self.link.task_name(), self.task)),
        }
    }

    /// Which attempt this is: 0 for the first try, then 1, 2, ... for retries. All members of
    /// a relaunched gang see the relaunch's number.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The task's position: its index in submission order (a list, race or singleton), or its
    /// rank in its gang.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// How many tasks there are: the list's or race's length, 1 for a singleton, or the gang's
    /// size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether this attempt should stop: its deadline passed, the manager stopped (a race was
    /// won, a list halted, a gang member failed, the execution deadline passed), or the hub
    /// abandoned this attempt. A long task should check it now and then and return early.
    pub fn is_cancelled(&self) -> bool {
        self.link.stop_requested() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// This attempt's deadline, if it has a timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The GPU that the spoke running this attempt holds (see
    /// [`Pool::with_gpus`](crate::Pool::with_gpus)): its device ordinal as the hub sees it,
    /// also on a process spoke, whose own CUDA sees that device alone, as its device 0. `None`
    /// when the pool holds no GPU. Allowed under every policy: it is a fact of the spoke, not
    /// communication.
    pub fn gpu(&self) -> Option<u32> {
        self.gpu
    }

    /// Reports how far the task is, as a fraction in `0.0..=1.0` (values outside are clamped;
    /// NaN is ignored). Fire and forget: the manager's `.on_progress(..)` callback, if any,
    /// sees it; nothing waits for an answer.
    pub fn progress(&self, fraction: f64) {
        if fraction.is_nan() {
            return;
        }
        self.link.services().progress(|| Progress {
            label: self.label().to_owned(),
            index: self.task,
            attempt: self.attempt,
            fraction: fraction.clamp(0.0, 1.0),
        });
    }

    /// Whether this attempt is still the live incarnation: its deadline has not passed (the
    /// hub may not have noticed yet) and the manager has not ended it.
    pub(crate) fn is_live_now(&self) -> bool {
        self.deadline.is_none_or(|d| Instant::now() < d)
            && self.link.is_live(self.task, self.attempt)
    }

    pub(crate) fn link(&self) -> &dyn TaskLink {
        &*self.link
    }
}

impl<P: Policy> fmt::Debug for Ctx<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("policy", &P::NAME)
            .field("label", &self.label())
            .field("attempt", &self.attempt)
            .field("rank", &self.rank)
            .field("size", &self.size)
            .field("gpu", &self.gpu)
            .finish()
    }
}
