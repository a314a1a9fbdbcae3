//! The fabric of one gang launch: mailboxes between members, pushes from the hub, and
//! collective rounds (barrier, broadcast, reduce, all-reduce).
//!
//! No member ever waits forever. A member blocked in a primitive returns an error promptly when
//! the gang breaks (a member failed, panicked or timed out), when the peer it waits for has
//! returned without sending, or when every live member is blocked on another (a deadlock, which
//! the fabric detects and reports with what each member was waiting for).
//!
//! All state lives under one mutex, so "is every member blocked?" is a consistent question. A
//! waiter first spins briefly on a lock-free counter (when there are no more members than cores)
//! and only then sleeps on its own condvar; the member that satisfies a wait clears it and wakes
//! that waiter alone. Memory ordering: the counters are only hints to stop spinning; every
//! decision is taken again under the mutex.

use std::any::{Any, type_name};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::TaskError;
use crate::task_error::TaskErrorKind;

/// How long a waiter spins (and yields) before it sleeps.
const SPIN_BUDGET: Duration = Duration::from_micros(50);
/// How many times a waiter spins on the spot before it starts yielding its core.
const BUSY_SPINS: u32 = 200;

/// A value in flight between members, or from the hub, with its type's name for checking: the
/// value itself between thread spokes, its encoding between process spokes.
pub(crate) struct Parcel {
    value: Box<dyn Any + Send>,
    type_name: Cow<'static, str>,
}

impl fmt::Debug for Parcel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Parcel({})", self.type_name)
    }
}

impl Parcel {
    pub(crate) fn new<T: Send + 'static>(value: T) -> Self {
        Self {
            value: Box::new(value),
            type_name: Cow::Borrowed(type_name::<T>()),
        }
    }

    /// A value encoded by a process spoke, known by its type's name.
    pub(crate) fn encoded(bytes: Vec<u8>, type_name: String) -> Self {
        Self {
            value: Box::new(bytes),
            type_name: Cow::Owned(type_name),
        }
    }

    /// The value, as a `T` (for an encoded parcel, `Vec<u8>`: its encoding).
    pub(crate) fn open<T: 'static>(self) -> Result<T, TaskError> {
        let found = self.type_name;
        self.value.downcast::<T>().map(|v| *v).map_err(|_| {
            TaskError::new(
                TaskErrorKind::Misuse,
                format!("a `{found}` cannot be opened as a `{}`", type_name::<T>()),
            )
        })
    }
}

/// A collective operation, as members must agree on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Barrier,
    Broadcast {
        root: usize,
    },
    Reduce {
        root: usize,
    },
    AllReduce,
    /// Every contribution, encoded, to the root (`Some`) or to every member (`None`): how
    /// process spokes reduce, each member folding in its own process with its own operation.
    Gather {
        root: Option<usize>,
    },
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Barrier => f.write_str("barrier"),
            Op::Broadcast { root } => write!(f, "broadcast from rank {root}"),
            Op::Reduce { root } => write!(f, "reduce to rank {root}"),
            Op::AllReduce | Op::Gather { root: None } => f.write_str("all_reduce"),
            Op::Gather { root: Some(root) } => write!(f, "reduce to rank {root}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Signature {
    op: Op,
    type_name: Cow<'static, str>,
    first: usize,
}

/// What a sleeping member waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    None,
    Recv { from: usize },
    Hub,
    Round { round: u64, op: Op },
}

/// Why a gang launch ended early.
#[derive(Clone, Debug)]
pub(crate) struct Breakage {
    /// The member whose failure broke the gang, if one did.
    pub(crate) culprit: Option<usize>,
    pub(crate) kind: TaskErrorKind,
    pub(crate) reason: String,
}

impl Breakage {
    fn error(&self, what: &str) -> TaskError {
        let kind = match self.kind {
            TaskErrorKind::Deadlock => TaskErrorKind::Deadlock,
            _ => TaskErrorKind::GangBroken,
        };
        TaskError::new(kind, format!("{what} gave up: {}", self.reason))
    }
}

struct Round {
    arrived: usize,
    signature: Option<Signature>,
    present: Vec<bool>,
    contributions: Vec<Option<Parcel>>,
}

struct State {
    /// `mail[to * size + from]`.
    mail: Vec<VecDeque<Parcel>>,
    pushed: Vec<VecDeque<Parcel>>,
    round: Round,
    completed: u64,
    next_round: Vec<u64>,
    outputs: Vec<Option<Parcel>>,
    waits: Vec<Wait>,
    departed: Vec<bool>,
    broken: Option<Breakage>,
}

/// Combines the contributions of a round (in rank order) into each member's output.
pub(crate) type Combine<'a> =
    &'a mut dyn FnMut(Vec<Option<Parcel>>) -> Result<Vec<Option<Parcel>>, TaskError>;

/// The communication fabric of one gang launch.
pub(crate) struct Fabric {
    size: usize,
    encoded: bool,
    spin: bool,
    state: Mutex<State>,
    wake: Box<[Condvar]>,
    broken: AtomicBool,
    completed: AtomicU64,
    deliveries: Box<[AtomicU64]>,
}

impl Fabric {
    /// The fabric of a gang of `size`, whose values are `encoded` when its members are process
    /// spokes.
    pub(crate) fn new(size: usize, encoded: bool) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            size,
            encoded,
            // Spinning only pays when every member can have a core of its own.
            spin: size > 1 && size <= cores,
            state: Mutex::new(State {
                mail: (0..size * size).map(|_| VecDeque::new()).collect(),
                pushed: (0..size).map(|_| VecDeque::new()).collect(),
                round: Round {
                    arrived: 0,
                    signature: None,
                    present: vec![false; size],
                    contributions: (0..size).map(|_| None).collect(),
                },
                completed: 0,
                next_round: vec![0; size],
                outputs: (0..size).map(|_| None).collect(),
                waits: vec![Wait::None; size],
                departed: vec![false; size],
                broken: None,
            }),
            wake: (0..size).map(|_| Condvar::new()).collect(),
            broken: AtomicBool::new(false),
            completed: AtomicU64::new(0),
            deliveries: (0..size).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // User code never runs under this lock (reductions run outside it), so a poisoned lock
        // can only follow a panic in this module's own bookkeeping, which keeps state valid
        // between statements.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst)
    }

    pub(crate) fn breakage(&self) -> Option<Breakage> {
        self.lock().broken.clone()
    }

    /// Ends the launch: every blocked member returns an error. The first breakage is kept.
    pub(crate) fn break_with(&self, culprit: Option<usize>, kind: TaskErrorKind, reason: String) {
        let mut state = self.lock();
        self.break_locked(&mut state, culprit, kind, reason);
    }

    fn break_locked(
        &self,
        state: &mut State,
        culprit: Option<usize>,
        kind: TaskErrorKind,
        reason: String,
    ) {
        if state.broken.is_none() {
            state.broken = Some(Breakage {
                culprit,
                kind,
                reason,
            });
            self.broken.store(true, Ordering::SeqCst);
        }
        for (member, wait) in state.waits.iter_mut().enumerate() {
            if *wait != Wait::None {
                *wait = Wait::None;
                self.wake[member].notify_one();
            }
        }
    }

    /// Member `me` has returned: waits on it that can no longer be met fail.
    pub(crate) fn depart(&self, me: usize) {
        let mut state = self.lock();
        state.departed[me] = true;
        // Let every sleeper look again: its wait may now be unsatisfiable, or a deadlock.
        for (member, wait) in state.waits.iter_mut().enumerate() {
            if *wait != Wait::None {
                *wait = Wait::None;
                self.wake[member].notify_one();
            }
        }
    }

    fn check_rank(&self, rank: usize, role: &str) -> Result<(), TaskError> {
        if rank < self.size {
            Ok(())
        } else {
            Err(TaskError::new(
                TaskErrorKind::Misuse,
                format!(
                    "{role} rank {rank} is not a member: this gang has ranks 0..{}",
                    self.size
                ),
            ))
        }
    }

    /// Buffers `parcel` for member `to`; never waits for the receiver.
    pub(crate) fn send(&self, from: usize, to: usize, parcel: Parcel) -> Result<(), TaskError> {
        self.check_rank(to, "send: destination")?;
        let mut state = self.lock();
        if let Some(b) = &state.broken {
            return Err(b.error("send"));
        }
        state.mail[to * self.size + from].push_back(parcel);
        self.delivered(&mut state, to, Wait::Recv { from });
        Ok(())
    }

    /// Buffers `parcel` from the hub for member `to`.
    pub(crate) fn push_from_hub(&self, to: usize, parcel: Parcel) -> Result<(), TaskError> {
        self.check_rank(to, "push: destination")?;
        let mut state = self.lock();
        if state.broken.is_some() {
            return Err(TaskError::new(
                TaskErrorKind::Stale,
                "push dropped: the gang launch it was meant for has ended".into(),
            ));
        }
        state.pushed[to].push_back(parcel);
        self.delivered(&mut state, to, Wait::Hub);
        Ok(())
    }

    fn delivered(&self, state: &mut State, to: usize, satisfies: Wait) {
        self.deliveries[to].fetch_add(1, Ordering::SeqCst);
        if state.waits[to] == satisfies {
            state.waits[to] = Wait::None;
            self.wake[to].notify_one();
        }
    }

    /// Takes the next parcel from `from` to `me`, waiting for one, or until `until`; it must be
    /// of type `wanted` (by name).
    pub(crate) fn recv(
        &self,
        me: usize,
        from: usize,
        wanted: &str,
        until: Option<Instant>,
    ) -> Result<Parcel, TaskError> {
        self.check_rank(from, "recv: source")?;
        let what = format!("recv from rank {from}");
        self.block_on(me, Wait::Recv { from }, &what, until, |state| {
            let queue = &mut state.mail[me * self.size + from];
            match queue.front() {
                Some(_) => Some(take_named(queue, wanted, &what)),
                None if state.departed[from] => Some(Err(TaskError::new(
                    TaskErrorKind::GangBroken,
                    format!(
                        "{what} gave up: rank {from} returned without sending it anything more"
                    ),
                ))),
                None => None,
            }
        })
    }

    /// Takes the next parcel the hub pushed to `me`, waiting for one, or until `until`.
    pub(crate) fn recv_from_hub(
        &self,
        me: usize,
        wanted: &str,
        until: Option<Instant>,
    ) -> Result<Parcel, TaskError> {
        self.block_on(me, Wait::Hub, "recv_from_hub", until, |state| {
            let queue = &mut state.pushed[me];
            queue.front()?;
            Some(take_named(queue, wanted, "recv_from_hub"))
        })
    }

    /// Whether the gang's values are encoded (its members are process spokes).
    pub(crate) fn encoded(&self) -> bool {
        self.encoded
    }

    /// Takes part in one collective round. The last member to arrive combines every
    /// contribution, in rank order, outside the lock; each member gets its own output.
    pub(crate) fn collective(
        &self,
        me: usize,
        op: Op,
        contribution: Option<Parcel>,
        type_name: Cow<'static, str>,
        until: Option<Instant>,
        combine: Combine<'_>,
    ) -> Result<Option<Parcel>, TaskError> {
        let what = op.to_string();
        let mut state = self.lock();
        if let Some(b) = &state.broken {
            return Err(b.error(&what));
        }
        let round = state.next_round[me];
        state.next_round[me] += 1;
        let mine = Signature {
            op,
            type_name,
            first: me,
        };
        match &state.round.signature {
            None => state.round.signature = Some(mine),
            Some(theirs) if (theirs.op, &theirs.type_name) != (op, &mine.type_name) => {
                let reason = format!(
                    "members disagree on a collective: rank {} called {} of `{}` while rank {me} called {op} of `{}`",
                    theirs.first, theirs.op, theirs.type_name, mine.type_name
                );
                self.break_locked(&mut state, Some(me), TaskErrorKind::Misuse, reason.clone());
                return Err(TaskError::new(TaskErrorKind::Misuse, reason));
            }
            Some(_) => {}
        }
        state.round.contributions[me] = contribution;
        state.round.present[me] = true;
        state.round.arrived += 1;
        if state.round.arrived < self.size {
            drop(state);
            return self.block_on(me, Wait::Round { round, op }, &what, until, |state| {
                (state.completed > round).then(|| Ok(state.outputs[me].take()))
            });
        }

        // The last to arrive completes the round.
        let contributions: Vec<Option<Parcel>> = state
            .round
            .contributions
            .iter_mut()
            .map(Option::take)
            .collect();
        state.round.arrived = 0;
        state.round.signature = None;
        state.round.present.iter_mut().for_each(|p| *p = false);
        let outputs = if op == Op::Barrier {
            Ok((0..self.size).map(|_| None).collect())
        } else {
            // Every other member is waiting in this round, so the state cannot move meanwhile
            // except by a breakage, which is checked below.
            drop(state);
            let outputs = catch_unwind(AssertUnwindSafe(|| combine(contributions))).unwrap_or_else(
                |payload| {
                    let panic = TaskError::panicked(&*payload);
                    crate::attempt::discard(payload);
                    Err(TaskError::new(
                        TaskErrorKind::Panicked,
                        format!("the operation of {what} {panic}"),
                    ))
                },
            );
            state = self.lock();
            outputs
        };
        if let Some(b) = &state.broken {
            return Err(b.error(&what));
        }
        let mut outputs = match outputs {
            Ok(outputs) => outputs,
            Err(e) => {
                self.break_locked(&mut state, Some(me), e.kind(), e.to_string());
                return Err(e);
            }
        };
        let own = outputs[me].take();
        for (member, output) in outputs.into_iter().enumerate() {
            if member != me {
                state.outputs[member] = output;
            }
        }
        state.completed = round + 1;
        self.completed.store(round + 1, Ordering::SeqCst);
        for member in 0..self.size {
            if matches!(state.waits[member], Wait::Round { round: r, .. } if r == round) {
                state.waits[member] = Wait::None;
                self.wake[member].notify_one();
            }
        }
        Ok(own)
    }

    /// Waits until `ready` yields, the gang breaks, the wait becomes unsatisfiable, or every
    /// live member is blocked (a deadlock).
    fn block_on<R>(
        &self,
        me: usize,
        wait: Wait,
        what: &str,
        until: Option<Instant>,
        mut ready: impl FnMut(&mut State) -> Option<Result<R, TaskError>>,
    ) -> Result<R, TaskError> {
        let mut spun = !self.spin;
        let mut state = self.lock();
        loop {
            if let Some(b) = &state.broken {
                return Err(b.error(what));
            }
            if let Some(result) = ready(&mut state) {
                state.waits[me] = Wait::None;
                return result;
            }
            if let Wait::Round { round, op } = wait
                && let Some(gone) =
                    (0..self.size).find(|&m| !state.round.present[m] && state.departed[m])
            {
                debug_assert!(state.completed <= round);
                // This round can never complete and its members cannot leave it: the launch
                // is over, for them all.
                let reason = format!("rank {gone} returned before joining this {op}");
                self.break_locked(&mut state, Some(me), TaskErrorKind::GangBroken, reason);
                continue;
            }
            if !spun {
                spun = true;
                let seen = self.stamp(me, wait);
                drop(state);
                self.spin_while(me, wait, seen);
                state = self.lock();
                continue;
            }
            state.waits[me] = wait;
            if state
                .waits
                .iter()
                .zip(&state.departed)
                .all(|(w, &gone)| gone || *w != Wait::None)
            {
                let reason = describe_deadlock(&state);
                self.break_locked(&mut state, None, TaskErrorKind::Deadlock, reason);
                continue;
            }
            match until {
                None => {
                    state = self.wake[me]
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(until) => {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        // The member's own deadline: it leaves the wait, and since a member
                        // past its deadline ends its launch, the gang breaks now rather than
                        // when the hub notices.
                        state.waits[me] = Wait::None;
                        let reason =
                            format!("rank {me}'s deadline passed while it waited in {what}");
                        self.break_locked(&mut state, Some(me), TaskErrorKind::GangBroken, reason);
                        continue;
                    }
                    state = self.wake[me]
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
    }

    fn stamp(&self, me: usize, wait: Wait) -> u64 {
        match wait {
            Wait::Round { .. } => self.completed.load(Ordering::SeqCst),
            _ => self.deliveries[me].load(Ordering::SeqCst),
        }
    }

    /// Spins until the stamp moves or the budget runs out. After a few busy spins it yields the
    /// core at each turn, so a peer that needs this core to make progress gets it when the
    /// machine is busier than the gang has cores.
    fn spin_while(&self, me: usize, wait: Wait, seen: u64) {
        let start = Instant::now();
        let mut spins = 0_u32;
        while self.stamp(me, wait) == seen && !self.is_broken() {
            spins = spins.wrapping_add(1);
            if spins < BUSY_SPINS {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
                if start.elapsed() > SPIN_BUDGET {
                    return;
                }
            }
        }
    }
}

/// Pops the front parcel of `queue` if it is of type `wanted`; otherwise leaves it and says so.
fn take_named(queue: &mut VecDeque<Parcel>, wanted: &str, what: &str) -> Result<Parcel, TaskError> {
    match queue.front() {
        Some(parcel) if parcel.type_name == wanted => {
            Ok(queue.pop_front().expect("front checked above"))
        }
        found => Err(TaskError::new(
            TaskErrorKind::Misuse,
            format!(
                "{what}: the next value is a `{}`, not the `{wanted}` asked for",
                found.map_or("nothing", |p| &p.type_name)
            ),
        )),
    }
}

fn describe_deadlock(state: &State) -> String {
    let mut text = String::from("deadlock: every live member waits on another:");
    for (member, (wait, gone)) in state.waits.iter().zip(&state.departed).enumerate() {
        let _ = match (wait, gone) {
            (_, true) => write!(text, " rank {member} has returned;"),
            (Wait::Recv { from }, _) => {
                write!(text, " rank {member} waits in recv from rank {from};")
            }
            (Wait::Hub, _) => write!(text, " rank {member} waits in recv_from_hub;"),
            (Wait::Round { op, .. }, _) => write!(text, " rank {member} waits in {op};"),
            (Wait::None, _) => write!(text, " rank {member} runs;"),
        };
    }
    text.pop();
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn gang<R: Send>(size: usize, body: impl Fn(usize, &Fabric) -> R + Sync) -> Vec<R> {
        let fabric = Fabric::new(size, false);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..size)
                .map(|m| {
                    let fabric = &fabric;
                    let body = &body;
                    s.spawn(move || {
                        let r = body(m, fabric);
                        fabric.depart(m);
                        r
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    fn sum(contributions: Vec<Option<Parcel>>) -> Result<Vec<Option<Parcel>>, TaskError> {
        let n = contributions.len();
        let total: u64 = contributions
            .into_iter()
            .map(|p| p.unwrap().open::<u64>().unwrap())
            .sum();
        Ok((0..n).map(|_| Some(Parcel::new(total))).collect())
    }

    #[test]
    fn messages_arrive_in_order_and_collectives_agree() {
        let results = gang(3, |me, f| {
            let next = (me + 1) % 3;
            let prev = (me + 2) % 3;
            for i in 0..100_u64 {
                f.send(me, next, Parcel::new(i)).unwrap();
            }
            for i in 0..100_u64 {
                assert_eq!(
                    f.recv(me, prev, type_name::<u64>(), None)
                        .and_then(Parcel::open::<u64>)
                        .unwrap(),
                    i
                );
            }
            let mut last = 0;
            for round in 0..50_u64 {
                let out = f
                    .collective(
                        me,
                        Op::AllReduce,
                        Some(Parcel::new(round + me as u64)),
                        Cow::Borrowed("u64"),
                        None,
                        &mut sum,
                    )
                    .unwrap();
                last = out.unwrap().open::<u64>().unwrap();
                assert_eq!(last, 3 * round + 3);
            }
            last
        });
        assert_eq!(results, vec![150, 150, 150]);
    }

    #[test]
    fn a_breakage_releases_every_waiter() {
        let fabric = Arc::new(Fabric::new(3, false));
        let waiters: Vec<_> = (0..2)
            .map(|m| {
                let fabric = Arc::clone(&fabric);
                std::thread::spawn(move || {
                    fabric
                        .collective(m, Op::Barrier, None, Cow::Borrowed("()"), None, &mut sum)
                        .unwrap_err()
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20));
        fabric.break_with(Some(2), TaskErrorKind::Task, "rank 2 failed: boom".into());
        for w in waiters {
            let e = w.join().unwrap();
            assert_eq!(e.kind(), TaskErrorKind::GangBroken);
            assert_eq!(e.to_string(), "barrier gave up: rank 2 failed: boom");
        }
    }

    #[test]
    fn a_cycle_of_receives_is_reported_as_a_deadlock() {
        let errors = gang(2, |me, f| {
            f.recv(me, 1 - me, type_name::<u8>(), None)
                .and_then(Parcel::open::<u8>)
                .unwrap_err()
        });
        for e in errors {
            assert_eq!(e.kind(), TaskErrorKind::Deadlock);
            assert!(
                e.to_string().contains("rank 0 waits in recv from rank 1"),
                "{e}"
            );
            assert!(
                e.to_string().contains("rank 1 waits in recv from rank 0"),
                "{e}"
            );
        }
    }

    #[test]
    fn waiting_on_a_member_that_returned_fails() {
        let results = gang(2, |me, f| {
            if me == 1 {
                return None;
            }
            Some(
                f.recv(0, 1, type_name::<u8>(), None)
                    .and_then(Parcel::open::<u8>)
                    .unwrap_err(),
            )
        });
        let e = results[0].as_ref().unwrap();
        assert_eq!(e.kind(), TaskErrorKind::GangBroken);
        assert!(e.to_string().contains("rank 1 returned"), "{e}");
    }

    #[test]
    fn a_barrier_missed_by_a_returned_member_fails() {
        let results = gang(2, |me, f| {
            if me == 1 {
                return None;
            }
            Some(
                f.collective(0, Op::Barrier, None, Cow::Borrowed("()"), None, &mut sum)
                    .unwrap_err(),
            )
        });
        let e = results[0].as_ref().unwrap();
        assert!(
            e.to_string()
                .contains("rank 1 returned before joining this barrier"),
            "{e}"
        );
    }

    #[test]
    fn members_calling_different_collectives_are_told() {
        let errors = gang(2, |me, f| {
            let op = if me == 0 { Op::Barrier } else { Op::AllReduce };
            f.collective(
                me,
                op,
                Some(Parcel::new(1_u64)),
                Cow::Borrowed("u64"),
                None,
                &mut sum,
            )
            .unwrap_err()
        });
        assert!(
            errors.iter().any(|e| e.kind() == TaskErrorKind::Misuse
                && e.to_string().contains("members disagree on a collective")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_stays_in_the_mailbox() {
        let fabric = Fabric::new(1, false);
        fabric.send(0, 0, Parcel::new(7_u32)).unwrap();
        let e = fabric
            .recv(0, 0, type_name::<String>(), None)
            .and_then(Parcel::open::<String>)
            .unwrap_err();
        assert_eq!(e.kind(), TaskErrorKind::Misuse);
        assert!(
            e.to_string()
                .contains("`u32`, not the `alloc::string::String`"),
            "{e}"
        );
        assert_eq!(
            fabric
                .recv(0, 0, type_name::<u32>(), None)
                .and_then(Parcel::open::<u32>)
                .unwrap(),
            7
        );
    }

    #[test]
    fn ranks_out_of_range_are_misuse() {
        let fabric = Fabric::new(2, false);
        let e = fabric.send(0, 2, Parcel::new(1_u8)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "send: destination rank 2 is not a member: this gang has ranks 0..2"
        );
    }

    #[test]
    fn a_panicking_reduction_breaks_the_gang() {
        let errors = gang(2, |me, f| {
            let mut boom = |_: Vec<Option<Parcel>>| -> Result<Vec<Option<Parcel>>, TaskError> {
                panic!("overflow")
            };
            f.collective(
                me,
                Op::AllReduce,
                Some(Parcel::new(1_u64)),
                Cow::Borrowed("u64"),
                None,
                &mut boom,
            )
            .unwrap_err()
        });
        assert!(
            errors
                .iter()
                .any(|e| e.to_string().contains("panicked: overflow")),
            "{errors:?}"
        );
    }
}
