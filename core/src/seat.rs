//! Seats: the places where a board's attempts run, and what the hub knows of each.
//!
//! A *seat* is one spoke working for one manager call. Whatever the spoke is (a thread here; a
//! proxy thread for a child process or an MPI rank later), it pulls attempts from its board and
//! concludes them itself. The hub never dispatches attempts one by one: it only watches the
//! seats' deadlines and replaces a seat whose attempt ran past its deadline.
//!
//! Memory ordering: a seat publishes what it runs in its [`SeatWatch`] with `SeqCst` stores
//! *before* it checks whether the board has stopped (`SeqCst` load); the hub sets the stop flag
//! *before* it scans the watches. So either the seat sees the stop and does not start, or the
//! hub sees the seat busy. Every decision is then validated under the slot's lock, which is the
//! single source of truth for which attempt is live.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Marks a seat that is not running any attempt.
const IDLE: usize = usize::MAX;

/// What the hub can see of one seat without taking any lock.
pub(crate) struct SeatWatch {
    /// Unique within its registry; a slot's live attempt names the watch that runs it.
    pub(crate) id: usize,
    /// The pool seat (thread index) this watch belongs to.
    pub(crate) seat: usize,
    task: AtomicUsize,
    /// Deadline of the running attempt, in nanoseconds since the registry's epoch, plus one;
    /// zero when idle or when the attempt has no deadline.
    deadline: AtomicU64,
    /// Set by the hub when it abandons this seat: the attempt it runs is no longer live, and
    /// the thread exits when that attempt returns.
    retired: AtomicBool,
    /// Set once, by whichever comes first of the seat leaving and the hub abandoning it: only
    /// that one takes the seat off the count of active seats.
    settled: AtomicBool,
    /// The process groups of the coprocesses the running attempt has started and not yet seen
    /// end: the hub ends them if it abandons the seat.
    groups: Mutex<Vec<i32>>,
}

impl SeatWatch {
    /// Publishes that this seat runs `task` until `deadline`.
    pub(crate) fn begin(&self, epoch: Instant, task: usize, deadline: Option<Instant>) {
        let stamp = deadline.map_or(0, |d| nanos_since(epoch, d).saturating_add(1));
        self.deadline.store(stamp, Ordering::SeqCst);
        self.task.store(task, Ordering::SeqCst);
    }

    /// Publishes that this seat runs nothing.
    pub(crate) fn end(&self) {
        self.task.store(IDLE, Ordering::SeqCst);
        self.deadline.store(0, Ordering::SeqCst);
    }

    /// The task this seat runs, if any.
    pub(crate) fn task(&self) -> Option<usize> {
        match self.task.load(Ordering::SeqCst) {
            IDLE => None,
            task => Some(task),
        }
    }

    /// The deadline of the running attempt, if it has one.
    fn deadline(&self, epoch: Instant) -> Option<Instant> {
        match self.deadline.load(Ordering::SeqCst) {
            0 => None,
            stamp => epoch.checked_add(Duration::from_nanos(stamp - 1)),
        }
    }

    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::SeqCst)
    }

    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::SeqCst);
    }

    /// Records that the running attempt runs coprocess group `pgid`, or no longer does.
    pub(crate) fn adopt_group(&self, pgid: i32, running: bool) {
        let mut groups = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        if running {
            groups.push(pgid);
        } else {
            groups.retain(|&g| g != pgid);
        }
    }

    /// The coprocess groups the running attempt has started and not yet seen end.
    pub(crate) fn groups(&self) -> Vec<i32> {
        self.groups
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether this call is the one that settles the seat (see `settled`).
    fn settle(&self) -> bool {
        !self.settled.swap(true, Ordering::SeqCst)
    }
}

fn nanos_since(epoch: Instant, t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(epoch).as_nanos()).unwrap_or(u64::MAX - 1)
}

/// The seats working for one board, and the hub's line to hear when they leave.
pub(crate) struct SeatRegistry {
    pub(crate) epoch: Instant,
    watches: Mutex<Vec<Arc<SeatWatch>>>,
    next_id: AtomicUsize,
    active: AtomicUsize,
    left: Sender<()>,
    /// The shortest deadline any attempt of the board may have: the hub never sleeps longer
    /// than this, so it sees attempts that start after it last looked.
    pub(crate) shortest_timeout: Option<Duration>,
}

impl SeatRegistry {
    pub(crate) fn new(shortest_timeout: Option<Duration>) -> (Self, Receiver<()>) {
        let (left, hear) = channel();
        let registry = Self {
            epoch: Instant::now(),
            watches: Mutex::new(Vec::new()),
            next_id: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            left,
            shortest_timeout,
        };
        (registry, hear)
    }

    fn watches(&self) -> MutexGuard<'_, Vec<Arc<SeatWatch>>> {
        // Pushes and removals only: a poisoned list is still a list.
        self.watches.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a seat that the hub is about to start, before it starts.
    pub(crate) fn expect_seat(&self) {
        self.active.fetch_add(1, Ordering::SeqCst);
    }

    /// Registers the seat now starting on `seat`; it was counted by `expect_seat`.
    pub(crate) fn join(&self, seat: usize) -> Arc<SeatWatch> {
        let watch = Arc::new(SeatWatch {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            seat,
            task: AtomicUsize::new(IDLE),
            deadline: AtomicU64::new(0),
            retired: AtomicBool::new(false),
            settled: AtomicBool::new(false),
            groups: Mutex::new(Vec::new()),
        });
        self.watches().push(Arc::clone(&watch));
        watch
    }

    /// A seat that had nothing more to do leaves; the last one wakes the hub.
    pub(crate) fn leave(&self, watch: &SeatWatch) {
        self.watches().retain(|w| w.id != watch.id);
        if watch.settle() {
            self.uncount();
        }
    }

    /// Forgets a seat the hub abandoned (it will not `leave`; if it already did, nothing more
    /// is taken off the count).
    pub(crate) fn abandon(&self, watch: &SeatWatch) {
        watch.retire();
        self.watches().retain(|w| w.id != watch.id);
        if watch.settle() {
            self.uncount();
        }
    }

    /// Every seat still registered: for the hub to abandon once the execution deadline has
    /// passed and their grace is over.
    pub(crate) fn all(&self) -> Vec<Arc<SeatWatch>> {
        self.watches().clone()
    }

    /// Takes back the count of a seat that could not be started.
    pub(crate) fn uncount(&self) {
        if self.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The hub may already be gone (an abandoned seat never gets here): ignore.
            let _ = self.left.send(());
        }
    }

    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// The watches of seats that are running an attempt now.
    pub(crate) fn busy(&self) -> Vec<Arc<SeatWatch>> {
        self.watches()
            .iter()
            .filter(|w| w.task().is_some())
            .cloned()
            .collect()
    }

    /// Splits the busy seats into those past their deadline at `now` and the earliest deadline
    /// still ahead.
    pub(crate) fn overdue(&self, now: Instant) -> (Vec<Arc<SeatWatch>>, Option<Instant>) {
        let mut late = Vec::new();
        let mut next: Option<Instant> = None;
        for watch in self.watches().iter() {
            if let Some(deadline) = watch.deadline(self.epoch) {
                if deadline <= now {
                    late.push(Arc::clone(watch));
                } else {
                    next = Some(next.map_or(deadline, |n| n.min(deadline)));
                }
            }
        }
        (late, next)
    }
}

/// Makes a seat leave its board even if it unwinds, so the hub is never left waiting for it.
pub(crate) struct Leaving<'a> {
    registry: &'a SeatRegistry,
    watch: &'a SeatWatch,
    settled: bool,
}

impl<'a> Leaving<'a> {
    pub(crate) fn new(registry: &'a SeatRegistry, watch: &'a SeatWatch) -> Self {
        Self {
            registry,
            watch,
            settled: false,
        }
    }

    /// The seat has nothing more to do: it leaves.
    pub(crate) fn leave(mut self) {
        self.settled = true;
        self.registry.leave(self.watch);
    }

    /// The hub abandoned the seat and already forgot it.
    pub(crate) fn retired(mut self) {
        self.settled = true;
    }
}

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.watch.end();
            self.registry.leave(self.watch);
        }
    }
}

/// The deadline `timeout` after `start`; none if it is too far to represent (as with
/// `Duration::MAX`), which is the same as no deadline.
pub(crate) fn deadline_after(start: Instant, timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| start.checked_add(t))
}

/// The shortest of the per-task timeouts and the manager's default, if any task has one.
pub(crate) fn shortest_timeout(
    own: impl Iterator<Item = Option<Duration>>,
    default: Option<Duration>,
) -> Option<Duration> {
    own.filter_map(|t| t.or(default)).min()
}
