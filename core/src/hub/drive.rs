//! The hub's loop for spokes that are threads: start the seats, watch their deadlines, replace
//! the seats it abandons, and return when every seat has left.

use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::coprocess;
use crate::pool::threads::{SeatJob, ThreadSeats};
use crate::seat::{SeatRegistry, SeatWatch, deadline_after};

/// The hub's timer is no finer than this: it bounds how often it wakes for deadlines that are
/// (nearly) due, so a zero timeout cannot make it spin.
const TIMER_GRAIN: Duration = Duration::from_micros(100);

/// How long seats that are not in an attempt may take to leave once the execution deadline has
/// passed, before the hub abandons them too.
const DEADLINE_GRACE: Duration = Duration::from_millis(5);

/// What the hub needs of a board (a farm, or one launch of a gang).
pub(crate) trait Board: Send + Sync {
    fn registry(&self) -> &SeatRegistry;

    /// Ends the attempt `watch`'s seat runs if it is overdue at `now`, or whatever it is when
    /// `deadline_passed`. Returns whether it did; the watch is then retired and its seat must
    /// be abandoned.
    fn expire(&self, watch: &SeatWatch, now: Instant, deadline_passed: bool) -> bool;

    /// Stops the board because the execution deadline passed: no attempt starts any more.
    fn stop_for_deadline(&self);
}

/// How a driven board ended, beyond what the board itself records.
#[derive(Debug, Default)]
pub(crate) struct Driven {
    /// Seats abandoned in a task past its deadline.
    pub(crate) abandoned: usize,
    /// Whether the execution deadline passed.
    pub(crate) deadline_passed: bool,
    /// Why a replacement seat could not be started, if one could not.
    pub(crate) spawn_error: Option<String>,
}

/// Runs `board` on the first `count` seats of `seats`, which the caller has obtained, and
/// returns when every seat has left.
pub(crate) fn drive<B: Board>(
    seats: &mut ThreadSeats,
    board: &B,
    job: &Arc<dyn SeatJob>,
    count: usize,
    left: &Receiver<()>,
    execution_deadline: Option<Instant>,
) -> Driven {
    let registry = board.registry();
    let mut driven = Driven::default();
    // Abandoned attempts whose coprocesses were told to stop at once: what is left of them is
    // gone before this returns. Their groups are read again then, so that a group whose
    // coprocess has ended since (its pid free again) is not signalled.
    let mut orphans: Vec<Arc<SeatWatch>> = Vec::new();
    let mut abandon = |watch: &Arc<SeatWatch>, driven: &mut Driven| {
        registry.abandon(watch);
        driven.abandoned += 1;
        let groups = watch.groups();
        for &pgid in &groups {
            coprocess::signal_group(pgid, libc::SIGTERM);
        }
        if !groups.is_empty() {
            orphans.push(Arc::clone(watch));
        }
    };
    for seat in 0..count {
        registry.expect_seat();
        seats.post(seat, Arc::clone(job));
    }

    while registry.active() > 0 {
        let now = Instant::now();
        if execution_deadline.is_some_and(|d| now >= d) {
            board.stop_for_deadline();
            for watch in registry.busy() {
                if board.expire(&watch, now, true) {
                    abandon(&watch, &mut driven);
                    if let Err(e) = seats.replace(watch.seat) {
                        driven.spawn_error.get_or_insert(e.to_string());
                    }
                }
            }
            driven.deadline_passed = true;
            // The seats left were idle, or are about to see the stop: they leave at once, unless
            // they are busy in the user's code outside any attempt (a slow `Drop` of a value
            // the farm threw away, say). After a short grace, those are abandoned too.
            let grace = Instant::now() + DEADLINE_GRACE;
            while registry.active() > 0 && Instant::now() < grace {
                let _ = left.recv_timeout(TIMER_GRAIN);
            }
            for watch in registry.all() {
                abandon(&watch, &mut driven);
                if let Err(e) = seats.replace(watch.seat) {
                    driven.spawn_error.get_or_insert(e.to_string());
                }
            }
            break;
        }

        let (late, mut wake) = registry.overdue(now);
        for watch in late {
            if board.expire(&watch, now, false) {
                // Count the replacement before forgetting the abandoned seat, so the count of
                // active seats never touches zero in between.
                registry.expect_seat();
                abandon(&watch, &mut driven);
                match seats.replace(watch.seat) {
                    Ok(()) => seats.post(watch.seat, Arc::clone(job)),
                    Err(e) => {
                        registry.uncount();
                        driven.spawn_error.get_or_insert(e.to_string());
                    }
                }
            }
        }
        // Attempts that start after this look have deadlines no sooner than `now` plus the
        // shortest timeout: wake by then to see them.
        for bound in [
            deadline_after(now, registry.shortest_timeout),
            execution_deadline,
        ]
        .into_iter()
        .flatten()
        {
            wake = Some(wake.map_or(bound, |w| w.min(bound)));
        }
        match wake {
            Some(at) => {
                let _ = left.recv_timeout(at.saturating_duration_since(now).max(TIMER_GRAIN));
            }
            None => {
                let _ = left.recv();
            }
        }
    }
    let groups: Vec<i32> = orphans.iter().flat_map(|watch| watch.groups()).collect();
    coprocess::terminate(&groups, coprocess::DEFAULT_GRACE);
    driven
}
