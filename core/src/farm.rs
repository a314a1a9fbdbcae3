//! The board of a list, a race or a singleton: independent tasks pulled by seats.
//!
//! Seats claim tasks with one atomic increment (timed-out tasks due for a retry come first),
//! run each attempt, and conclude it under the task's slot lock. A failure is retried at once
//! on the same seat; a timeout detected by the hub is retried by whichever seat claims it next.
//! The hub takes part only to time out overdue attempts and to replace their seats.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::attempt;
use crate::ctx::link::TaskLink;
use crate::hub::{Board, HubServices};
use crate::outcome::FailedAttempt;
use crate::pool::Gpus;
use crate::pool::processes::Shipment;
use crate::pool::threads::{SeatEnd, SeatJob};
use crate::report::{EarlyStop, TaskRecord};
use crate::seat::{Leaving, SeatRegistry, SeatWatch, deadline_after};
use crate::task::{Limits, Task, TaskMeta};
use crate::{Ctx, Outcome};

/// How the farm treats failures and successes.
pub(crate) struct FarmRules {
    pub(crate) retries: u32,
    pub(crate) default_timeout: Option<Duration>,
    pub(crate) halt_on_failure: bool,
    pub(crate) race: bool,
    /// Checked by seats between tasks; set only where no hub thread watches (the serial pool).
    pub(crate) inline_deadline: Option<Instant>,
    /// Whether attempts run on the seats' spoke processes rather than on the seats' threads.
    pub(crate) remote: bool,
    /// A task that crashed its spoke this many times is not retried again.
    pub(crate) crash_limit: u32,
    /// Resource limits of process spokes, for tasks that set none of their own.
    pub(crate) limits: Limits,
    /// The GPUs the pool's spokes hold: an attempt's context names its seat's.
    pub(crate) gpus: Gpus,
}

/// How much later than an attempt's deadline the hub expires it itself, on a process pool,
/// where the proxy kills its spoke at the deadline.
pub(crate) const PROXY_SLACK: Duration = Duration::from_millis(250);

/// The attempt a slot's task is running now.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Live {
    attempt: u32,
    watch: usize,
    deadline: Option<Instant>,
}

struct SlotState<T: Task> {
    started: u32,
    crashes: u32,
    live: Option<Live>,
    earlier: Vec<FailedAttempt>,
    outcome: Option<Outcome<T::Output>>,
}

struct Slot<T: Task> {
    meta: TaskMeta,
    state: Mutex<SlotState<T>>,
    /// The task as submitted, cloned for each attempt. Apart from `state`, so that cloning
    /// (the user's code) never holds the lock the hub takes to expire an attempt; only the
    /// seat that runs the live attempt touches it.
    task: Mutex<T>,
}

impl<T: Task> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        // Only this module writes slot state, never across user code: a poisoned slot is whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// This attempt's copy of the task. A poisoned lock only means an earlier clone panicked;
    /// the original is untouched.
    fn copy(&self) -> T {
        self.task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The board shared by the hub and the seats of one list, race or singleton.
pub(crate) struct Farm<T: Task> {
    rules: FarmRules,
    slots: Box<[Slot<T>]>,
    next: AtomicUsize,
    retry_queue: Mutex<VecDeque<usize>>,
    retry_pending: AtomicUsize,
    stopped: AtomicBool,
    stop: Mutex<Option<EarlyStop>>,
    pub(crate) registry: SeatRegistry,
    services: Arc<HubServices>,
}

/// What a seat does after concluding an attempt.
enum Next {
    Claim,
    Retry,
    Exit,
}

impl<T: Task + Send> Farm<T> {
    pub(crate) fn new(
        tasks: Vec<T>,
        rules: FarmRules,
        services: Arc<HubServices>,
    ) -> (Arc<Self>, std::sync::mpsc::Receiver<()>) {
        let slots: Box<[Slot<T>]> = tasks
            .into_iter()
            .map(|mut task| {
                let meta = std::mem::take(task.meta_mut());
                Slot {
                    meta,
                    task: Mutex::new(task),
                    state: Mutex::new(SlotState {
                        started: 0,
                        crashes: 0,
                        live: None,
                        earlier: Vec::new(),
                        outcome: None,
                    }),
                }
            })
            .collect();
        let shortest = crate::seat::shortest_timeout(
            slots.iter().map(|s| s.meta.timeout()),
            rules.default_timeout,
        );
        let (registry, left) = SeatRegistry::new(shortest);
        let farm = Self {
            rules,
            slots,
            next: AtomicUsize::new(0),
            retry_queue: Mutex::new(VecDeque::new()),
            retry_pending: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            stop: Mutex::new(None),
            registry,
            services,
        };
        (Arc::new(farm), left)
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Stops the farm for `why`; the first reason is kept. Returns whether it was this one.
    fn stop_for(&self, why: EarlyStop) -> bool {
        let mut stop = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        let first = stop.is_none();
        if first {
            *stop = Some(why);
        }
        self.stopped.store(true, Ordering::SeqCst);
        first
    }

    pub(crate) fn early_stop(&self) -> Option<EarlyStop> {
        *self.stop.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Where no hub thread watches (the serial pool), the seat itself stops the farm when the
    /// execution deadline has passed: before each claim and each attempt, retries included.
    fn check_inline_deadline(&self) {
        if let Some(deadline) = self.rules.inline_deadline
            && Instant::now() >= deadline
        {
            let _ = self.stop_for(EarlyStop::DeadlinePassed);
        }
    }

    fn claim(&self) -> Option<usize> {
        self.check_inline_deadline();
        if self.is_stopped() {
            return None;
        }
        if self.retry_pending.load(Ordering::SeqCst) > 0 {
            let mut queue = self
                .retry_queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(task) = queue.pop_front() {
                self.retry_pending.fetch_sub(1, Ordering::SeqCst);
                return Some(task);
            }
        }
        let task = self.next.fetch_add(1, Ordering::Relaxed);
        (task < self.slots.len()).then_some(task)
    }

    /// Runs the work of one seat until there is nothing left for it.
    pub(crate) fn work(self: &Arc<Self>, watch: &Arc<SeatWatch>) -> SeatEnd {
        let leaving = Leaving::new(&self.registry, watch);
        let link: Arc<dyn TaskLink> = Arc::new(FarmLink {
            farm: Arc::clone(self),
            watch: Arc::clone(watch),
        });
        loop {
            // The hub may abandon a seat that is busy outside any attempt (in the user's `Drop`,
            // after the execution deadline): it takes no more work.
            if watch.is_retired() {
                leaving.retired();
                return SeatEnd::Retired;
            }
            let Some(task) = self.claim() else { break };
            loop {
                match self.attempt(task, watch, &link) {
                    Next::Claim => break,
                    Next::Retry => continue,
                    Next::Exit => {
                        leaving.retired();
                        return SeatEnd::Retired;
                    }
                }
            }
        }
        leaving.leave();
        SeatEnd::Left
    }

    /// Starts, runs and concludes one attempt of `task` on this seat.
    fn attempt(&self, task: usize, watch: &SeatWatch, link: &Arc<dyn TaskLink>) -> Next {
        self.check_inline_deadline();
        let slot = &self.slots[task];
        let timeout = slot.meta.timeout().or(self.rules.default_timeout);
        let (attempt, deadline) = {
            let mut state = slot.lock();
            let deadline = deadline_after(Instant::now(), timeout);
            // Publish first, then look at the stop flag: see the `seat` module. A proxy kills
            // its spoke at the deadline itself: the hub steps in only if the proxy is late.
            let watched = match deadline {
                Some(d) if self.rules.remote => d.checked_add(PROXY_SLACK),
                other => other,
            };
            watch.begin(self.registry.epoch, task, watched);
            if self.is_stopped() || state.outcome.is_some() {
                watch.end();
                return Next::Claim;
            }
            let attempt = state.started;
            state.started += 1;
            state.live = Some(Live {
                attempt,
                watch: watch.id,
                deadline,
            });
            (attempt, deadline)
        };

        let gpu = self.rules.gpus.of(watch.seat);
        let ctx = Ctx::new(
            Arc::clone(link),
            task,
            attempt,
            self.slots.len(),
            deadline,
            gpu,
        );
        let verdict = if self.rules.remote {
            let shipment = Shipment {
                task,
                attempt,
                size: self.slots.len(),
                label: slot.meta.label(),
                deadline,
                limits: slot.meta.limits().or(self.rules.limits),
            };
            attempt::ship(|| slot.copy(), &shipment, &ctx)
        } else {
            attempt::run(|| slot.copy(), &ctx, deadline)
        };
        drop(ctx);
        watch.end();

        let mut state = slot.lock();
        let mine = Live {
            attempt,
            watch: watch.id,
            deadline,
        };
        if state.live != Some(mine) {
            // The hub timed this attempt out and abandoned this seat; the result is discarded.
            drop(state);
            attempt::discard(verdict);
            return if watch.is_retired() {
                Next::Exit
            } else {
                Next::Claim
            };
        }
        state.live = None;
        match verdict {
            // In a race only the winner is done: a loser that finishes after the win was
            // cancelled by the policy, and its value is not the race's.
            Ok(value) if self.rules.race && !self.stop_for(EarlyStop::Won { winner: task }) => {
                state.outcome = Some(Outcome::Cancelled);
                drop(state);
                attempt::discard(value);
                Next::Claim
            }
            Ok(value) => {
                state.outcome = Some(Outcome::Done(value));
                Next::Claim
            }
            Err(failure) => {
                if self.conclude_failure(task, &mut state, attempt, failure) {
                    Next::Retry
                } else {
                    Next::Claim
                }
            }
        }
    }

    /// Records a failed or timed-out attempt; returns whether the task is due for a retry.
    fn conclude_failure(
        &self,
        task: usize,
        state: &mut SlotState<T>,
        attempt: u32,
        failure: Outcome<Infallible>,
    ) -> bool {
        if self.is_stopped() {
            // The manager had already stopped: this attempt was told to stop.
            state.earlier.push(FailedAttempt {
                attempt,
                outcome: failure,
            });
            state.outcome = Some(Outcome::Cancelled);
            return false;
        }
        if matches!(failure, Outcome::Crashed(_)) {
            state.crashes += 1;
        }
        // A task that keeps crashing its spoke is not retried for ever.
        if attempt < self.rules.retries && state.crashes < self.rules.crash_limit {
            state.earlier.push(FailedAttempt {
                attempt,
                outcome: failure,
            });
            return true;
        }
        state.outcome = Some(failure.widen());
        if self.rules.halt_on_failure {
            let _ = self.stop_for(EarlyStop::Halted { culprit: task });
        }
        false
    }

    /// Collects every task's record; a task without an outcome never ran to its end and is
    /// `Cancelled`.
    pub(crate) fn records(&self, name: &'static str) -> Vec<TaskRecord<T::Output>> {
        self.slots
            .iter()
            .enumerate()
            .map(|(index, slot)| {
                let mut state = slot.lock();
                TaskRecord {
                    index,
                    name,
                    label: slot.meta.label().map(str::to_owned),
                    attempts: state.started,
                    outcome: state.outcome.take().unwrap_or(Outcome::Cancelled),
                    earlier: std::mem::take(&mut state.earlier),
                }
            })
            .collect()
    }
}

impl<T: Task + Send> Board for Farm<T> {
    fn registry(&self) -> &SeatRegistry {
        &self.registry
    }

    fn expire(&self, watch: &SeatWatch, now: Instant, deadline_passed: bool) -> bool {
        let Some(task) = watch.task() else {
            return false;
        };
        let mut state = self.slots[task].lock();
        let Some(live) = state.live else {
            return false;
        };
        let overdue = live.deadline.is_some_and(|d| d <= now);
        if live.watch != watch.id || !(overdue || deadline_passed) {
            return false;
        }
        state.live = None;
        // Retire under the slot lock, so the seat sees it when it comes back to conclude.
        watch.retire();
        if deadline_passed {
            state.outcome = Some(Outcome::TimedOut);
        } else if self.conclude_failure(task, &mut state, live.attempt, Outcome::TimedOut) {
            drop(state);
            self.retry_queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back(task);
            self.retry_pending.fetch_add(1, Ordering::SeqCst);
        }
        true
    }

    fn stop_for_deadline(&self) {
        let _ = self.stop_for(EarlyStop::DeadlinePassed);
    }
}

impl<T: Task + Send> SeatJob for Arc<Farm<T>> {
    fn run(&self, seat: usize) -> SeatEnd {
        let watch = self.registry.join(seat);
        self.work(&watch)
    }
}

/// A seat's line to its farm.
struct FarmLink<T: Task> {
    farm: Arc<Farm<T>>,
    watch: Arc<SeatWatch>,
}

impl<T: Task + Send> TaskLink for FarmLink<T> {
    fn task_name(&self) -> &'static str {
        T::NAME
    }

    fn label(&self, task: usize) -> Option<&str> {
        self.farm.slots[task].meta.label()
    }

    fn stop_requested(&self) -> bool {
        self.farm.is_stopped() || self.watch.is_retired()
    }

    fn is_live(&self, task: usize, attempt: u32) -> bool {
        self.farm.slots[task]
            .lock()
            .live
            .is_some_and(|l| l.attempt == attempt && l.watch == self.watch.id)
    }

    fn adopt_group(&self, pgid: i32, running: bool) {
        self.watch.adopt_group(pgid, running);
    }

    fn services(&self) -> &HubServices {
        &self.farm.services
    }
}
