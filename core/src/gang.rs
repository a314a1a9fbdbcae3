//! The board of one gang launch: every member on its own seat, at once, over one fabric.
//!
//! A member that fails, panics or times out breaks the fabric, which releases every member
//! blocked in a primitive with an error; the launch then ends as a whole, and only the whole
//! gang may be launched again (by the manager, with a fresh board and fabric, so nothing meant
//! for this launch can reach the next).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::attempt;
use crate::ctx::link::TaskLink;
use crate::fabric::Fabric;
use crate::farm::PROXY_SLACK;
use crate::hub::{Board, HubServices};
use crate::pool::Gpus;
use crate::pool::processes::Shipment;
use crate::pool::threads::{SeatEnd, SeatJob};
use crate::report::label_of;
use crate::seat::{Leaving, SeatRegistry, SeatWatch, deadline_after, shortest_timeout};
use crate::task::{Limits, Task, TaskMeta};
use crate::task_error::TaskErrorKind;
use crate::{Ctx, Outcome};

/// A member as submitted: the same for every launch of the gang.
pub(crate) struct Original<T: Task> {
    meta: TaskMeta,
    task: Mutex<T>,
}

impl<T: Task> Original<T> {
    pub(crate) fn new(mut task: T) -> Self {
        Self {
            meta: std::mem::take(task.meta_mut()),
            task: Mutex::new(task),
        }
    }

    /// A launch's copy of the member. Runs the user's `Clone`, on the member's own seat; a
    /// poisoned lock only means an earlier clone panicked, the original is untouched.
    fn copy(&self) -> T {
        self.task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn label(&self) -> Option<&str> {
        self.meta.label()
    }
}

struct MemberState<O> {
    started: bool,
    live: Option<(usize, Option<Instant>)>,
    outcome: Option<Outcome<O>>,
}

struct Member<O> {
    state: Mutex<MemberState<O>>,
}

impl<O> Member<O> {
    fn lock(&self) -> MutexGuard<'_, MemberState<O>> {
        // Only this module writes member state, never across user code.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One launch of a gang.
pub(crate) struct GangLaunch<T: Task> {
    launch: u32,
    /// Whether members run on the seats' spoke processes.
    remote: bool,
    /// Resource limits of process spokes, for members that set none of their own.
    limits: Limits,
    /// The GPUs the pool's spokes hold.
    gpus: Gpus,
    originals: Arc<[Original<T>]>,
    members: Box<[Member<T::Output>]>,
    default_timeout: Option<Duration>,
    fabric: Fabric,
    pub(crate) registry: SeatRegistry,
    services: Arc<HubServices>,
    stopped: AtomicBool,
}

impl<T: Task + Send> GangLaunch<T> {
    pub(crate) fn new(
        originals: Arc<[Original<T>]>,
        launch: u32,
        default_timeout: Option<Duration>,
        services: Arc<HubServices>,
        remote: Option<Limits>,
        gpus: Gpus,
    ) -> (Arc<Self>, Receiver<()>) {
        let size = originals.len();
        let members: Box<[Member<T::Output>]> = (0..size)
            .map(|_| Member {
                state: Mutex::new(MemberState {
                    started: false,
                    live: None,
                    outcome: None,
                }),
            })
            .collect();
        let shortest =
            shortest_timeout(originals.iter().map(|m| m.meta.timeout()), default_timeout);
        let (registry, left) = SeatRegistry::new(shortest);
        let board = Self {
            launch,
            remote: remote.is_some(),
            limits: remote.unwrap_or_default(),
            gpus,
            originals,
            members,
            default_timeout,
            fabric: Fabric::new(size, remote.is_some()),
            registry,
            services,
            stopped: AtomicBool::new(false),
        };
        (Arc::new(board), left)
    }

    fn label(&self, rank: usize) -> String {
        label_of(T::NAME, self.originals[rank].label(), rank).into_owned()
    }

    /// Runs member `rank` on this seat, once.
    pub(crate) fn work(self: &Arc<Self>, rank: usize, watch: &Arc<SeatWatch>) -> SeatEnd {
        let leaving = Leaving::new(&self.registry, watch);
        let member = &self.members[rank];
        let timeout = self.originals[rank].meta.timeout().or(self.default_timeout);
        let deadline = {
            let mut state = member.lock();
            let deadline = deadline_after(Instant::now(), timeout);
            // A proxy kills its spoke at the deadline itself: the hub steps in only if late.
            let watched = match deadline {
                Some(d) if self.remote => d.checked_add(PROXY_SLACK),
                other => other,
            };
            watch.begin(self.registry.epoch, rank, watched);
            // A replacement seat finds its member already started: it has nothing to do.
            if self.stopped.load(Ordering::SeqCst) || state.started {
                watch.end();
                drop(state);
                leaving.leave();
                return SeatEnd::Left;
            }
            state.started = true;
            state.live = Some((watch.id, deadline));
            deadline
        };
        // Should this seat unwind all the same, the gang must not wait for it.
        let unwinding = BreakOnUnwind { launch: self, rank };
        let link: Arc<dyn TaskLink> = Arc::new(GangLink {
            launch: Arc::clone(self),
            watch: Arc::clone(watch),
        });
        let gpu = self.gpus.of(watch.seat);
        let ctx = Ctx::new(link, rank, self.launch, self.members.len(), deadline, gpu);
        let original = &self.originals[rank];
        let verdict = if self.remote {
            let shipment = Shipment {
                task: rank,
                attempt: self.launch,
                size: self.members.len(),
                label: original.label(),
                deadline,
                limits: original.meta.limits().or(self.limits),
            };
            attempt::ship(|| original.copy(), &shipment, &ctx)
        } else {
            attempt::run(|| original.copy(), &ctx, deadline)
        };
        drop(ctx);
        watch.end();
        std::mem::forget(unwinding);

        let mut state = member.lock();
        if state.live != Some((watch.id, deadline)) {
            // The hub timed this member out and abandoned this seat: the result is discarded.
            drop(state);
            attempt::discard(verdict);
            leaving.retired();
            return SeatEnd::Retired;
        }
        state.live = None;
        let failure = match verdict {
            Ok(value) => {
                state.outcome = Some(Outcome::Done(value));
                drop(state);
                self.fabric.depart(rank);
                leaving.leave();
                return SeatEnd::Left;
            }
            Err(failure) => failure,
        };
        // A member that fails after another broke the gang failed because of it (a primitive
        // gave up, or it stopped when told): it is cancelled. A deadlock has no culprit: every
        // member in it failed.
        let collateral = self
            .fabric
            .breakage()
            .is_some_and(|b| b.kind != TaskErrorKind::Deadlock && b.culprit != Some(rank));
        state.outcome = Some(if collateral {
            Outcome::Cancelled
        } else {
            self.break_for(rank, &failure);
            failure.widen()
        });
        drop(state);
        self.fabric.depart(rank);
        leaving.leave();
        SeatEnd::Left
    }

    fn break_for(&self, rank: usize, failure: &Outcome<Infallible>) {
        let label = self.label(rank);
        let (kind, reason) = match failure {
            Outcome::Failed(e) => (e.kind(), format!("rank {rank} (`{label}`) failed: {e}")),
            _ => (
                TaskErrorKind::GangBroken,
                format!("rank {rank} (`{label}`) timed out"),
            ),
        };
        self.fabric.break_with(Some(rank), kind, reason);
    }

    /// Each member's outcome; a member that never ran to its end is `Cancelled`.
    pub(crate) fn outcomes(&self) -> Vec<Outcome<T::Output>> {
        self.members
            .iter()
            .map(|m| m.lock().outcome.take().unwrap_or(Outcome::Cancelled))
            .collect()
    }

    /// The member whose failure ended the launch, if one did.
    pub(crate) fn culprit(&self) -> Option<usize> {
        self.fabric.breakage().and_then(|b| b.culprit)
    }

    pub(crate) fn labels(&self) -> Vec<Option<String>> {
        self.originals
            .iter()
            .map(|m| m.label().map(str::to_owned))
            .collect()
    }
}

/// Breaks the gang if the seat running `rank` unwinds (a bug of the runtime's own, or a panic
/// it did not foresee), so that no other member waits for it. Forgotten on the normal path.
struct BreakOnUnwind<'a, T: Task + Send> {
    launch: &'a GangLaunch<T>,
    rank: usize,
}

impl<T: Task + Send> Drop for BreakOnUnwind<'_, T> {
    fn drop(&mut self) {
        let label = self.launch.label(self.rank);
        self.launch.fabric.break_with(
            Some(self.rank),
            TaskErrorKind::GangBroken,
            format!(
                "rank {} (`{label}`) was lost to a panic outside its task",
                self.rank
            ),
        );
        self.launch.fabric.depart(self.rank);
    }
}

impl<T: Task + Send> Board for GangLaunch<T> {
    fn registry(&self) -> &SeatRegistry {
        &self.registry
    }

    fn expire(&self, watch: &SeatWatch, now: Instant, deadline_passed: bool) -> bool {
        let Some(rank) = watch.task() else {
            return false;
        };
        let mut state = self.members[rank].lock();
        let Some((id, deadline)) = state.live else {
            return false;
        };
        let overdue = deadline.is_some_and(|d| d <= now);
        if id != watch.id || !(overdue || deadline_passed) {
            return false;
        }
        state.live = None;
        watch.retire();
        state.outcome = Some(Outcome::TimedOut);
        drop(state);
        self.break_for(rank, &Outcome::TimedOut);
        self.fabric.depart(rank);
        true
    }

    fn stop_for_deadline(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.fabric.break_with(
            None,
            TaskErrorKind::GangBroken,
            "the manager's execution deadline passed".into(),
        );
    }
}

impl<T: Task + Send> SeatJob for Arc<GangLaunch<T>> {
    fn run(&self, seat: usize) -> SeatEnd {
        let watch = self.registry.join(seat);
        self.work(seat, &watch)
    }
}

/// A member's line to its launch.
struct GangLink<T: Task> {
    launch: Arc<GangLaunch<T>>,
    watch: Arc<SeatWatch>,
}

impl<T: Task + Send> TaskLink for GangLink<T> {
    fn task_name(&self) -> &'static str {
        T::NAME
    }

    fn label(&self, task: usize) -> Option<&str> {
        self.launch.originals[task].label()
    }

    fn stop_requested(&self) -> bool {
        self.launch.fabric.is_broken()
            || self.launch.stopped.load(Ordering::SeqCst)
            || self.watch.is_retired()
    }

    fn is_live(&self, task: usize, attempt: u32) -> bool {
        attempt == self.launch.launch
            && !self.launch.fabric.is_broken()
            && self.launch.members[task]
                .lock()
                .live
                .is_some_and(|(id, _)| id == self.watch.id)
    }

    fn adopt_group(&self, pgid: i32, running: bool) {
        self.watch.adopt_group(pgid, running);
    }

    fn services(&self) -> &HubServices {
        &self.launch.services
    }

    fn fabric(&self) -> Option<&Fabric> {
        Some(&self.launch.fabric)
    }
}
