//! Adversarial tests of the runtime: user code that misbehaves (panicking `Clone`, huge
//! timeouts, slow whiteboard closures, contended request handlers, sloppy gang code) and
//! corners of the documented guarantees that the per-policy tests do not reach.
//!
//! Each test asserts what the README and docs/DESIGN.md promise. Several were written against
//! defects a review found (a `Clone` that panics, `Duration::MAX` deadlines, a whiteboard write
//! from an incarnation that ended mid-`update`, a member that misses a barrier), and keep them
//! fixed; the others cover corners the per-policy tests do not reach.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use spm::prelude::*;
use spm::{EarlyStop, ErrorKind, TaskErrorKind};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A task argument whose `Clone` panics when `explode` is set: user code the runtime calls for
/// every attempt.
#[derive(Debug)]
struct CloneBomb {
    explode: bool,
}

impl Clone for CloneBomb {
    fn clone(&self) -> Self {
        if self.explode {
            panic!("CloneBomb::clone exploded");
        }
        Self { explode: false }
    }
}

fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    catch_unwind(AssertUnwindSafe(f))
}

// ---------------------------------------------------------------------------------------------
// A panicking `Clone` of a task argument
// ---------------------------------------------------------------------------------------------

#[pclosure(coarse_list)]
fn cloned(_ctx: &Ctx, bomb: CloneBomb, id: u32) -> Result<u32, TaskError> {
    let _ = bomb;
    Ok(id)
}

/// The runtime clones a task for each attempt, running the user's `Clone`: a panic there is
/// that attempt's failure (retried as asked), the rest of the list goes on, and on the serial
/// pool the caller is not taken down.
#[test]
fn a_panicking_clone_is_a_failure_of_that_task_and_the_rest_go_on() {
    let mut bad = Vec::new();
    for mut pool in [Pool::serial(), Pool::threads(1), Pool::threads(2)] {
        let tasks = [
            Cloned::new(CloneBomb { explode: true }, 0),
            Cloned::new(CloneBomb { explode: false }, 1),
            Cloned::new(CloneBomb { explode: false }, 2),
        ];
        let report = match quietly(|| Cloned::list(tasks).eval(&mut pool)) {
            Ok(result) => result.expect("the call itself succeeds"),
            Err(_) => {
                bad.push(format!("{pool}: eval panicked"));
                continue;
            }
        };
        let shown: Vec<String> = report.outcomes().map(ToString::to_string).collect();
        let first_failed = matches!(report.records()[0].outcome(),
            Outcome::Failed(e) if e.to_string().contains("CloneBomb::clone exploded"));
        let rest_done = report.records()[1].outcome().done() == Some(&1)
            && report.records()[2].outcome().done() == Some(&2);
        if !(first_failed && rest_done) {
            bad.push(format!(
                "{pool}: {shown:?}, early stop {:?}",
                report.early_stop()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "task 0's panic must be its outcome (Failed with the panic's message) and the rest must go on: {bad:#?}"
    );
}

#[pclosure(fine_general)]
fn gang_cloned(_ctx: &Ctx, bomb: CloneBomb) -> Result<u32, TaskError> {
    let _ = bomb;
    Ok(1)
}

/// A gang member's `Clone` runs on its own seat, inside `catch_unwind`: a panic there fails the
/// launch with that member as the culprit, not the caller.
#[test]
fn a_panicking_clone_in_a_gang_does_not_take_the_caller_down() {
    let outcome = quietly(|| {
        GangCloned::gang(2, |rank| GangCloned::new(CloneBomb { explode: rank == 1 }))
            .eval(&mut Pool::threads(2))
    });
    let result = outcome.expect("a panic is an outcome: eval must not panic");
    let report = match result {
        Ok(report) => report,
        Err(e) => e.into_report(),
    };
    assert!(
        matches!(report.records()[1].outcome(), Outcome::Failed(_)),
        "{:?}",
        report
            .outcomes()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// Huge timeouts
// ---------------------------------------------------------------------------------------------

#[pclosure(coarse_list)]
fn quick(_ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    Ok(x + 1)
}

/// Runs `eval` for each pool and names the pools on which it panicked or gave a wrong result.
fn panics_on(pools: Vec<Pool>, eval: impl Fn(&mut Pool) -> Vec<u64>) -> Vec<String> {
    let mut bad = Vec::new();
    for mut pool in pools {
        let name = pool.to_string();
        match quietly(|| eval(&mut pool)) {
            Ok(values) if values == [1, 2, 3, 4] => {}
            Ok(values) => bad.push(format!("{name}: {values:?}")),
            Err(_) => bad.push(format!("{name}: panicked")),
        }
    }
    bad
}

/// `Duration::MAX` (a natural way to say "no limit") is a deadline too far to represent: it
/// means no deadline, and no `Instant + Duration` overflows anywhere.
#[test]
fn a_huge_per_task_timeout_does_not_panic() {
    let bad = panics_on(vec![Pool::serial(), Pool::threads(2)], |pool| {
        Quick::list((0..4).map(Quick::new))
            .timeout_per_task(Duration::MAX)
            .eval(pool)
            .unwrap()
            .into_results()
            .unwrap()
    });
    assert!(bad.is_empty(), "timeout_per_task(Duration::MAX): {bad:?}");
}

#[test]
fn a_huge_task_timeout_does_not_panic() {
    let bad = panics_on(vec![Pool::serial(), Pool::threads(2)], |pool| {
        Quick::list((0..4).map(|x| Quick::new(x).timeout(Duration::MAX)))
            .eval(pool)
            .unwrap()
            .into_results()
            .unwrap()
    });
    assert!(bad.is_empty(), ".timeout(Duration::MAX): {bad:?}");
}

#[test]
fn a_huge_execution_timeout_does_not_panic() {
    let bad = panics_on(vec![Pool::serial(), Pool::threads(2)], |pool| {
        Quick::list((0..4).map(Quick::new))
            .timeout_execution(Duration::MAX)
            .eval(pool)
            .unwrap()
            .into_results()
            .unwrap()
    });
    assert!(bad.is_empty(), "timeout_execution(Duration::MAX): {bad:?}");
}

#[pclosure(fine_general)]
fn waits_for_all(ctx: &Ctx) -> Result<usize, TaskError> {
    ctx.barrier()?;
    Ok(ctx.rank())
}

/// The same in a gang: a member with `Duration::MAX` (and one with 2^40 s) runs its barrier and
/// the gang ends. The call runs on a thread of its own and the test gives up after 1.5 s, so a
/// regression fails instead of hanging.
#[test]
fn a_huge_member_timeout_does_not_hang_the_gang() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = quietly(|| {
            let mut pool = Pool::threads(2);
            WaitsForAll::gang(2, |rank| {
                WaitsForAll::new().timeout(if rank == 1 {
                    Duration::MAX
                } else {
                    Duration::from_secs(1 << 40)
                })
            })
            .eval(&mut pool)
            .map(|r| r.into_results().map_err(|e| e.to_string()))
            .map_err(|e| e.to_string())
        });
        let _ = tx.send(result.map_err(|_| "eval panicked".to_string()));
    });
    match rx.recv_timeout(Duration::from_millis(1500)) {
        Ok(Ok(Ok(Ok(values)))) => assert_eq!(values, [0, 1]),
        Ok(other) => panic!("the gang did not complete: {other:?}"),
        Err(_) => panic!(
            "eval hung: rank 1's seat unwound without departing, rank 0 waits in its barrier for ever"
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The execution deadline on the serial pool, with retries
// ---------------------------------------------------------------------------------------------

static SERIAL_ATTEMPTS: AtomicUsize = AtomicUsize::new(0);

#[pclosure(coarse_list)]
fn always_fails(ctx: &Ctx) -> Result<u32, TaskError> {
    SERIAL_ATTEMPTS.fetch_add(1, Ordering::SeqCst);
    sleep(Duration::from_millis(2));
    // A safety valve, so that a regression fails this test instead of running for ever.
    if ctx.attempt() >= 400 {
        return Ok(ctx.attempt());
    }
    Err(TaskError::msg("still failing"))
}

/// On the serial pool the seat itself checks the execution deadline, before each attempt,
/// retries included: `retries(u32::MAX)` on a failing task ends at the deadline.
#[test]
fn the_serial_pool_honours_the_execution_deadline_between_retries() {
    let started = Instant::now();
    let result = AlwaysFails::list([AlwaysFails::new()])
        .retries(u32::MAX)
        .timeout_execution(Duration::from_millis(50))
        .eval(&mut Pool::serial());
    let elapsed = started.elapsed();
    let attempts = SERIAL_ATTEMPTS.load(Ordering::SeqCst);
    let error = result.expect_err("the execution deadline passed");
    assert!(matches!(error.kind(), ErrorKind::ExecutionTimedOut { .. }));
    assert!(
        elapsed < Duration::from_millis(400) && attempts < 150,
        "the deadline of 50 ms was honoured only after {elapsed:?} and {attempts} attempts"
    );
}

// ---------------------------------------------------------------------------------------------
// A stale incarnation writing the whiteboard
// ---------------------------------------------------------------------------------------------

#[pclosure(fine_limited)]
fn slow_update(ctx: &Ctx, role: u32) -> Result<Option<u32>, TaskError> {
    if role == 0 {
        // Admitted now; the closure outlives this attempt's 60 ms deadline.
        ctx.whiteboard().update("k", |_: Option<u32>| {
            sleep(Duration::from_millis(250));
            Some(666)
        })?;
        return Ok(None);
    }
    // A live task that looks at the board after the stale write.
    sleep(Duration::from_millis(450));
    ctx.whiteboard().get::<u32>("k")
}

/// `Whiteboard::update` admits the caller again, under the board's lock, after the user's
/// closure ran: an incarnation that timed out meanwhile does not write.
#[test]
fn an_incarnation_that_ended_inside_update_cannot_write() {
    let report = SlowUpdate::list([
        SlowUpdate::new(0).timeout(Duration::from_millis(60)),
        SlowUpdate::new(1),
    ])
    .eval(&mut Pool::threads(2))
    .unwrap();
    assert!(matches!(report.records()[0].outcome(), Outcome::TimedOut));
    let seen = report.records()[1].outcome().done().cloned();
    assert_eq!(
        report.whiteboard().get::<u32>("k").unwrap(),
        None,
        "the timed-out incarnation wrote the board (the live task saw {seen:?})"
    );
}

// ---------------------------------------------------------------------------------------------
// A request served for an incarnation that ended while it waited for the handler
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
enum Ask {
    Hold,
    Write(usize),
}

static WRITES_SERVED: AtomicUsize = AtomicUsize::new(0);
static HANDLER_HELD: AtomicUsize = AtomicUsize::new(0);

#[pclosure(fine_limited)]
fn errand(ctx: &Ctx, role: u32) -> Result<u32, TaskError> {
    if role == 0 {
        // Holds the handler for 400 ms, then stays alive a little longer.
        let _: u32 = ctx.request(Ask::Hold)?;
        sleep(Duration::from_millis(150));
        return Ok(0);
    }
    // Wait until task 0 is inside the handler.
    while HANDLER_HELD.load(Ordering::SeqCst) == 0 {
        sleep(Duration::from_millis(1));
    }
    // Live now; waits for the handler; times out at 150 ms while it waits.
    let reply: Result<u32, TaskError> = ctx.request(Ask::Write(ctx.rank()));
    reply
}

/// The hub checks that the asking incarnation is live once the handler is free to answer it:
/// one that timed out while it waited for a busy handler is not served, and the handler
/// writes nothing on its behalf.
#[test]
fn an_incarnation_that_ended_while_waiting_for_the_handler_is_not_served() {
    let report = Errand::list([
        Errand::new(0),
        Errand::new(1).timeout(Duration::from_millis(150)),
    ])
    .serve(|ask: Ask, hub| match ask {
        Ask::Hold => {
            HANDLER_HELD.store(1, Ordering::SeqCst);
            sleep(Duration::from_millis(400));
            0_u32
        }
        Ask::Write(from) => {
            WRITES_SERVED.fetch_add(1, Ordering::SeqCst);
            hub.whiteboard().put("written_for", &from).unwrap();
            1
        }
    })
    .eval(&mut Pool::threads(2))
    .unwrap();
    assert_eq!(report.records()[0].outcome().done(), Some(&0));
    assert!(matches!(report.records()[1].outcome(), Outcome::TimedOut));
    assert_eq!(
        (
            WRITES_SERVED.load(Ordering::SeqCst),
            report.whiteboard().get::<usize>("written_for").unwrap()
        ),
        (0, None),
        "the handler served an incarnation that had ended before it was entered"
    );
}

// ---------------------------------------------------------------------------------------------
// Gang: who is blamed for a broadcast whose root passes `None`
// ---------------------------------------------------------------------------------------------

#[pclosure(fine_general)]
fn forgetful_root(ctx: &Ctx) -> Result<u32, TaskError> {
    if ctx.rank() == 1 {
        // Arrive last: the last arriver computes the round.
        sleep(Duration::from_millis(150));
        return ctx.broadcast(0, Some(7_u32));
    }
    // The root forgets its value.
    ctx.broadcast(0, None::<u32>)
}

/// A broadcast root that passes `None` fails at once, before it joins the round: it is the
/// culprit, and the member waiting for its value is cancelled.
#[test]
fn a_root_that_broadcasts_none_is_the_culprit() {
    let report = ForgetfulRoot::gang(2, |_| ForgetfulRoot::new())
        .eval(&mut Pool::threads(2))
        .unwrap();
    let shown: Vec<String> = report.outcomes().map(ToString::to_string).collect();
    assert_eq!(
        report.early_stop(),
        Some(EarlyStop::Halted { culprit: 0 }),
        "{shown:?}"
    );
    assert!(
        matches!(report.records()[0].outcome(), Outcome::Failed(e) if e.kind() == TaskErrorKind::Misuse),
        "the root misused broadcast: {shown:?}"
    );
    assert!(
        matches!(report.records()[1].outcome(), Outcome::Cancelled),
        "rank 1 did nothing wrong: {shown:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Gang: a collective that failed leaves the member counted in its round
// ---------------------------------------------------------------------------------------------

#[pclosure(fine_general)]
fn keeps_trying(ctx: &Ctx) -> Result<(String, String), TaskError> {
    if ctx.rank() == 1 {
        // Returns without ever joining a barrier.
        return Ok((String::new(), String::new()));
    }
    sleep(Duration::from_millis(50));
    let first = ctx.barrier();
    let second = ctx.barrier();
    let show = |r: Result<(), TaskError>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => e.to_string(),
    };
    Ok((show(first), show(second)))
}

/// When a collective gives up because a member returned without joining, the launch is
/// broken: calling the collective again fails too, and a barrier never passes without every
/// member.
#[test]
fn a_barrier_never_passes_without_every_member() {
    let report = KeepsTrying::gang(2, |_| KeepsTrying::new())
        .eval(&mut Pool::threads(2))
        .unwrap();
    let (first, second) = report.records()[0]
        .outcome()
        .done()
        .cloned()
        .expect("rank 0 returns what its barriers said");
    assert!(first.contains("rank 1 returned before joining"), "{first}");
    assert_ne!(
        second, "ok",
        "rank 0 passed a barrier that rank 1, which had returned, never reached"
    );
}

#[pclosure(fine_general)]
fn keeps_reducing(ctx: &Ctx) -> Result<String, TaskError> {
    if ctx.rank() == 1 {
        return Ok(String::new());
    }
    sleep(Duration::from_millis(50));
    let _ = ctx.all_reduce(1_u64, |a, b| a + b);
    match ctx.all_reduce(1_u64, |a, b| a + b) {
        Ok(v) => Ok(format!("ok {v}")),
        Err(e) => Ok(format!("{:?}: {e}", e.kind())),
    }
}

/// The same with a reduction: the second all-reduce is told the gang ended, not about a
/// panic inside the runtime.
#[test]
fn a_repeated_all_reduce_after_a_departure_does_not_panic_inside_the_runtime() {
    let report = KeepsReducing::gang(2, |_| KeepsReducing::new())
        .eval(&mut Pool::threads(2))
        .unwrap();
    let second = report.records()[0].outcome().done().cloned().unwrap();
    assert!(
        second.starts_with("GangBroken") && second.contains("rank 1 returned"),
        "{second}"
    );
}

// ---------------------------------------------------------------------------------------------
// Passing coverage: guarantees that were untested
// ---------------------------------------------------------------------------------------------

#[pclosure(fine_general)]
fn crowd(ctx: &Ctx) -> Result<u64, TaskError> {
    ctx.barrier()?;
    let sum = ctx.all_reduce(ctx.rank() as u64, |a, b| a + b)?;
    let root = ctx.broadcast(63, (ctx.rank() == 63).then_some(sum))?;
    ctx.barrier()?;
    Ok(root)
}

/// A gang as large as a pool of 64, on a 2-core machine (no spinning), completes its
/// collectives.
#[test]
fn a_gang_of_sixty_four_on_a_pool_of_sixty_four() {
    let started = Instant::now();
    let mut pool = Pool::threads(64);
    let report = Crowd::gang(64, |_| Crowd::new()).eval(&mut pool).unwrap();
    assert_eq!(report.into_results().unwrap(), vec![2016; 64]);
    // And again on the kept threads.
    let report = Crowd::gang(64, |_| Crowd::new()).eval(&mut pool).unwrap();
    assert_eq!(report.into_results().unwrap(), vec![2016; 64]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[pclosure(fine_general)]
fn big_ring(ctx: &Ctx) -> Result<u8, TaskError> {
    // Every member waits on the next one: nobody ever sends.
    ctx.recv::<u8>((ctx.rank() + 1) % ctx.size())
}

/// A 64-member cycle of receives is reported as a deadlock, promptly, not hung.
#[test]
fn a_deadlock_among_sixty_four_members_is_reported() {
    let started = Instant::now();
    let report = BigRing::gang(64, |_| BigRing::new())
        .eval(&mut Pool::threads(64))
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    for outcome in report.outcomes() {
        assert!(
            matches!(outcome, Outcome::Failed(e) if e.kind() == TaskErrorKind::Deadlock),
            "{outcome}"
        );
    }
}

#[pclosure(fine_general)]
fn solo(ctx: &Ctx) -> Result<(u64, String), TaskError> {
    ctx.barrier()?;
    let total = ctx.all_reduce(5_u64, |a, b| a + b)?;
    let mine = ctx.reduce(0, 6_u64, |a, b| a * b)?.unwrap_or(0);
    let root = ctx.broadcast(0, Some(total + mine))?;
    ctx.send(0, 9_u8)?;
    let back: u8 = ctx.recv(0)?;
    let waited = ctx.recv::<u8>(0).unwrap_err();
    assert_eq!(back, 9);
    Ok((root, format!("{:?}", waited.kind())))
}

/// A gang of one: every collective completes with one member, and waiting on itself with
/// nothing queued is a deadlock, not a hang, on threads and on the serial pool.
#[test]
fn a_gang_of_one_completes_its_collectives_and_reports_a_self_wait() {
    for mut pool in [Pool::serial(), Pool::threads(64)] {
        let report = Solo::gang(1, |_| Solo::new()).eval(&mut pool).unwrap();
        assert_eq!(
            report.into_results().unwrap(),
            [(11, "Deadlock".to_string())],
            "{pool}"
        );
    }
}

#[pclosure(fine_general)]
fn spin_then_sleep(ctx: &Ctx, pause_ms: u64) -> Result<u8, TaskError> {
    // Rank 1 reaches its receive late, so rank 0 spins, then sleeps, before rank 1 blocks.
    if ctx.rank() == 1 {
        sleep(Duration::from_millis(pause_ms));
    }
    ctx.recv::<u8>(1 - ctx.rank())
}

/// A two-member deadlock is found whichever member blocks last and whether the other is still
/// spinning or already asleep.
#[test]
fn a_deadlock_is_found_with_members_spinning_or_sleeping() {
    for pause in [0, 1, 20] {
        let started = Instant::now();
        let report = SpinThenSleep::gang(2, |_| SpinThenSleep::new(pause))
            .eval(&mut Pool::threads(2))
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(2));
        for outcome in report.outcomes() {
            assert!(
                matches!(outcome, Outcome::Failed(e) if e.kind() == TaskErrorKind::Deadlock),
                "pause {pause}: {outcome}"
            );
        }
    }
}

#[pclosure(fine_general)]
fn slow_combine(ctx: &Ctx) -> Result<u64, TaskError> {
    // Rank 2 arrives last and computes the all-reduce slowly; rank 0 times out meanwhile.
    if ctx.rank() == 2 {
        sleep(Duration::from_millis(30));
    }
    ctx.all_reduce(1_u64, |a, b| {
        sleep(Duration::from_millis(100));
        a + b
    })
}

/// A member that times out while the last arriver combines a round outside the fabric's lock
/// breaks the gang; the combiner gets an error, not a value computed for a dead round.
#[test]
fn a_member_timing_out_during_a_combine_breaks_the_round() {
    let started = Instant::now();
    let report = SlowCombine::gang(3, |rank| {
        let member = SlowCombine::new();
        if rank == 0 {
            member.timeout(Duration::from_millis(80))
        } else {
            member
        }
    })
    .eval(&mut Pool::threads(3))
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(report.records()[0].outcome(), Outcome::TimedOut));
    for record in &report.records()[1..] {
        assert!(
            matches!(record.outcome(), Outcome::Cancelled),
            "{}",
            record.outcome()
        );
    }
    assert_eq!(report.early_stop(), Some(EarlyStop::Halted { culprit: 0 }));
}

#[pclosure(coarse_list)]
fn zero(_ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    Ok(x)
}

/// A zero timeout: every attempt is late; the call ends, nothing hangs or spins, and the pool
/// keeps its capacity for the next call.
#[test]
fn a_zero_timeout_times_out_every_attempt_and_the_pool_survives() {
    let mut pool = Pool::threads(2);
    let started = Instant::now();
    let report = Zero::list((0..20).map(Zero::new))
        .retries(2)
        .timeout_per_task(Duration::ZERO)
        .eval(&mut pool)
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    for record in report.records() {
        assert!(
            matches!(record.outcome(), Outcome::TimedOut),
            "{}",
            record.outcome()
        );
        assert_eq!(record.attempts(), 3);
        assert_eq!(record.failed_attempts().len(), 2);
    }
    let report = Zero::list((0..20).map(Zero::new)).eval(&mut pool).unwrap();
    assert_eq!(report.into_results().unwrap(), (0..20).collect::<Vec<_>>());
}

#[pclosure(coarse_list)]
fn fails_a_few(ctx: &Ctx) -> Result<u32, TaskError> {
    if ctx.attempt() < 5 {
        return Err(TaskError::msg("not yet"));
    }
    Ok(ctx.attempt())
}

/// `retries(u32::MAX)` does not overflow: a task that succeeds on its sixth attempt is done.
#[test]
fn retries_u32_max_is_just_many_retries() {
    for mut pool in [Pool::serial(), Pool::threads(2)] {
        let report = FailsAFew::list([FailsAFew::new(), FailsAFew::new()])
            .retries(u32::MAX)
            .eval(&mut pool)
            .unwrap();
        for record in report.records() {
            assert_eq!(record.attempts(), 6);
            assert_eq!(record.failed_attempts().len(), 5);
        }
        assert_eq!(report.into_results().unwrap(), [5, 5]);
    }
}

#[pclosure(coarse_list)]
fn fails_slowly(_ctx: &Ctx) -> Result<u32, TaskError> {
    sleep(Duration::from_millis(2));
    Err(TaskError::msg("again"))
}

/// On threads, the execution deadline stops a task being retried for ever.
#[test]
fn on_threads_the_execution_deadline_stops_endless_retries() {
    let started = Instant::now();
    let error = FailsSlowly::list([FailsSlowly::new(), FailsSlowly::new()])
        .retries(u32::MAX)
        .timeout_execution(Duration::from_millis(50))
        .eval(&mut Pool::threads(2))
        .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::ExecutionTimedOut { .. }));
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    for record in error.report().records() {
        // Whether the stop caught it running or between attempts, it is not a success.
        assert!(!record.outcome().is_done());
    }
}

static PROGRESS_SEEN: AtomicUsize = AtomicUsize::new(0);

#[pclosure(coarse_list)]
fn reports(ctx: &Ctx, id: u32) -> Result<u32, TaskError> {
    ctx.progress(0.5);
    ctx.progress(1.0);
    Ok(id)
}

/// A progress callback that panics fails no task, and the (now poisoned) callback keeps being
/// called for later reports.
#[test]
fn a_panicking_progress_callback_fails_no_task() {
    let report = Reports::list((0..6).map(Reports::new))
        .on_progress(|p| {
            PROGRESS_SEEN.fetch_add(1, Ordering::SeqCst);
            if p.fraction < 1.0 {
                panic!("progress callback exploded");
            }
        })
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert_eq!(report.into_results().unwrap(), (0..6).collect::<Vec<_>>());
    assert_eq!(PROGRESS_SEEN.load(Ordering::SeqCst), 12);
}

#[pclosure(fine_limited)]
fn asks_twice(ctx: &Ctx) -> Result<(String, u32), TaskError> {
    let first = ctx.request::<u32, u32>(0).unwrap_err();
    let second: u32 = ctx.request(1_u32)?;
    Ok((format!("{:?}", first.kind()), second))
}

/// A handler that panics gives the asking task an error; the handler (its lock poisoned) keeps
/// serving later requests. It may use the whiteboard while it serves.
#[test]
fn a_panicking_handler_is_an_error_and_the_hub_keeps_serving() {
    let report = AsksTwice::list([AsksTwice::new(), AsksTwice::new()])
        .serve(|q: u32, hub| {
            if q == 0 {
                panic!("handler exploded");
            }
            hub.whiteboard()
                .update("served", |n: Option<u32>| Some(n.unwrap_or(0) + 1))
                .unwrap()
                .unwrap()
        })
        .eval(&mut Pool::threads(2))
        .unwrap();
    let shown: Vec<String> = report.outcomes().map(ToString::to_string).collect();
    assert_eq!(
        report.whiteboard().get::<u32>("served").unwrap(),
        Some(2),
        "{shown:?}"
    );
    let mut seconds = Vec::new();
    for (kind, second) in report.into_results().unwrap() {
        assert_eq!(kind, "Misuse");
        seconds.push(second);
    }
    seconds.sort_unstable();
    assert_eq!(seconds, [1, 2]);
}

#[pclosure(coarse_list)]
fn inner(_ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    Ok(x * 10)
}

#[pclosure(coarse_list)]
fn outer(_ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    let mut pool = Pool::threads(2);
    let report = Inner::list((0..x).map(Inner::new))
        .timeout_per_task(Duration::from_secs(5))
        .eval(&mut pool)
        .map_err(|e| TaskError::msg(e.to_string()))?;
    let values = report.into_results()?;
    Ok(values.into_iter().sum())
}

#[pclosure(fine_general)]
fn gang_outer(ctx: &Ctx) -> Result<u64, TaskError> {
    let mine = Outer::list([Outer::new(ctx.rank() as u64 + 2)])
        .eval(&mut Pool::threads(2))
        .map_err(|e| TaskError::msg(e.to_string()))?
        .into_value()?;
    ctx.all_reduce(mine, |a, b| a + b)
}

/// A task may run a manager of its own on another pool, from a list or from a gang member.
#[test]
fn a_task_may_evaluate_a_manager_on_another_pool() {
    let report = Outer::list((1..=4).map(Outer::new))
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert_eq!(report.into_results().unwrap(), [0, 10, 30, 60]);
    let report = GangOuter::gang(2, |_| GangOuter::new())
        .eval(&mut Pool::threads(2))
        .unwrap();
    // rank 0: 0+10 = 10; rank 1: 0+10+20 = 30.
    assert_eq!(report.into_results().unwrap(), [40, 40]);
}

#[pclosure(coarse_race)]
fn contender(ctx: &Ctx, id: u32, millis: u64) -> Result<u32, TaskError> {
    let until = Instant::now() + Duration::from_millis(millis);
    while Instant::now() < until {
        if ctx.is_cancelled() && id != 0 {
            return Err(TaskError::msg("lost"));
        }
        std::hint::spin_loop();
    }
    Ok(id)
}

/// A race with far more contenders than spokes, many of them finishing within the same
/// microseconds: exactly one winner, every other contender `Cancelled`, and those never
/// started have no attempt.
#[test]
fn a_crowded_race_has_exactly_one_winner() {
    for _ in 0..20 {
        let report = Contender::race((0..50).map(|i| Contender::new(i, u64::from(i % 3))))
            .eval(&mut Pool::threads(4))
            .unwrap();
        let winner = report.winner().expect("a race of successes is won");
        assert_eq!(report.done_count(), 1);
        for record in report.records() {
            if record.index() == winner {
                assert!(record.outcome().is_done());
            } else {
                assert!(
                    matches!(record.outcome(), Outcome::Cancelled),
                    "{}",
                    record.outcome()
                );
            }
        }
    }
}

#[pclosure(coarse_list)]
fn late_nap(_ctx: &Ctx, millis: u64) -> Result<u64, TaskError> {
    sleep(Duration::from_millis(millis));
    Ok(millis)
}

/// The execution deadline arriving while the hub replaces a thread abandoned for a per-task
/// timeout: the call still ends promptly, with every task accounted for.
#[test]
fn the_execution_deadline_while_seats_are_being_replaced() {
    for _ in 0..5 {
        let started = Instant::now();
        let error = LateNap::list((0..12).map(|_| LateNap::new(400)))
            .timeout_per_task(Duration::from_millis(20))
            .retries(u32::MAX)
            .timeout_execution(Duration::from_millis(120))
            .eval(&mut Pool::threads(3))
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(error.kind(), ErrorKind::ExecutionTimedOut { .. }));
        let report = error.report();
        assert_eq!(report.len(), 12);
        assert!(report.abandoned_threads() > 0);
        for record in report.records() {
            assert!(matches!(
                record.outcome(),
                Outcome::TimedOut | Outcome::Cancelled
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The execution deadline and a race loser's value that takes long to drop
// ---------------------------------------------------------------------------------------------

/// A value whose `Drop` is slow (a stand-in for a huge value, or one that joins something).
#[derive(Debug)]
struct SlowDrop(u32);

impl Drop for SlowDrop {
    fn drop(&mut self) {
        if self.0 == 1 {
            sleep(Duration::from_millis(800));
        }
    }
}

#[pclosure(coarse_race)]
fn drops_slowly(_ctx: &Ctx, id: u32) -> Result<SlowDrop, TaskError> {
    // Both start; id 1 loses: it finishes after the winner, well before the execution deadline.
    sleep(Duration::from_millis(if id == 1 { 80 } else { 40 }));
    Ok(SlowDrop(id))
}

/// A race loser's value is dropped by its seat (the user's `Drop`, slow here) after the race
/// is won. When the execution deadline comes while that drop runs, the hub abandons the seat
/// after a short grace instead of waiting for the user's code: the deadline stays hard.
#[test]
fn the_execution_deadline_does_not_wait_for_a_losers_drop() {
    let started = Instant::now();
    let result = DropsSlowly::race([DropsSlowly::new(0), DropsSlowly::new(1)])
        .timeout_execution(Duration::from_millis(200))
        .eval(&mut Pool::threads(2));
    let elapsed = started.elapsed();
    let winner = match &result {
        Ok(report) => report.winner(),
        Err(e) => e.report().winner(),
    };
    assert_eq!(winner, Some(0));
    let records = match &result {
        Ok(report) => report.records(),
        Err(e) => e.report().records(),
    };
    assert_eq!(
        records[1].attempts(),
        1,
        "the loser must have started for this test"
    );
    assert!(
        elapsed < Duration::from_millis(600),
        "eval returned after {elapsed:?} ({}), held by a loser's Drop",
        match &result {
            Ok(_) => "Ok".to_string(),
            Err(e) => e.to_string(),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// A progress callback whose panic payload panics when dropped
// ---------------------------------------------------------------------------------------------

/// A panic payload whose `Drop` panics in turn.
struct PayloadBomb;

impl Drop for PayloadBomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("the payload's Drop exploded");
        }
    }
}

#[pclosure(coarse_list)]
fn reports_once(ctx: &Ctx) -> Result<u32, TaskError> {
    ctx.progress(0.5);
    Ok(7)
}

/// A progress callback's panic is contained, even one whose payload panics when dropped: the
/// reporting task does not fail.
#[test]
fn a_progress_callback_panic_never_fails_the_task() {
    let report = ReportsOnce::list([ReportsOnce::new()])
        .on_progress(|_| std::panic::panic_any(PayloadBomb))
        .eval(&mut Pool::threads(1))
        .unwrap();
    assert_eq!(
        report.records()[0].outcome().done(),
        Some(&7),
        "{}",
        report.records()[0].outcome()
    );
}

// ---------------------------------------------------------------------------------------------
// Stress: outcomes stay consistent when attempts end right at their deadlines
// ---------------------------------------------------------------------------------------------

#[pclosure(coarse_list)]
fn jittery(ctx: &Ctx, seed: u64) -> Result<u64, TaskError> {
    // Durations spread around the 300 µs deadline, different for each attempt.
    let x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(u64::from(ctx.attempt()) * 1442695040888963407);
    let micros = (x >> 33) % 600;
    let until = Instant::now() + Duration::from_micros(micros);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
    Ok(seed)
}

/// Thousands of attempts ending just before, at or after their deadline, concluded by their
/// seat or expired by the hub: every task has exactly one final outcome, its earlier attempts
/// all timed out, and `attempts` counts them all.
#[test]
fn attempts_racing_their_deadlines_are_recorded_once() {
    let mut pool = Pool::threads(3);
    let started = Instant::now();
    let report = Jittery::list((0..600).map(Jittery::new))
        .retries(3)
        .timeout_per_task(Duration::from_micros(300))
        .eval(&mut pool)
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    for record in report.records() {
        let earlier = record.failed_attempts();
        assert!(
            earlier
                .iter()
                .all(|f| matches!(f.outcome(), Outcome::TimedOut))
        );
        assert_eq!(
            record.attempts() as usize,
            earlier.len() + 1,
            "{}",
            record.index()
        );
        match record.outcome() {
            Outcome::Done(v) => assert_eq!(*v, record.index() as u64),
            Outcome::TimedOut => assert_eq!(record.attempts(), 4),
            other => panic!("task {}: {other}", record.index()),
        }
    }
    // The pool still has its capacity.
    let report = Jittery::list((0..4).map(Jittery::new))
        .eval(&mut pool)
        .unwrap();
    assert_eq!(report.into_results().unwrap(), [0, 1, 2, 3]);
}

#[pclosure(fine_general)]
fn shaky(ctx: &Ctx, fail_launches: u32, how: u32) -> Result<u64, TaskError> {
    let me = ctx.rank() as u64;
    let mut total = 0;
    for round in 0..20_u64 {
        if ctx.attempt() < fail_launches
            && ctx.rank() == (ctx.attempt() as usize % ctx.size())
            && round == 7
        {
            match how % 3 {
                0 => return Err(TaskError::msg("shaky")),
                1 => panic!("shaky panic"),
                _ => return Ok(0),
            }
        }
        total = ctx.all_reduce(me + round, |a, b| a + b)?;
        ctx.send((ctx.rank() + 1) % ctx.size(), round)?;
        let got: u64 = ctx.recv((ctx.rank() + ctx.size() - 1) % ctx.size())?;
        assert_eq!(got, round);
        ctx.barrier()?;
    }
    Ok(total)
}

/// Gangs broken at a random point (an error, a panic, an early return) and relaunched, many
/// times: no hang, and the final launch's results are right.
#[test]
fn gangs_broken_mid_round_are_relaunched_without_hanging() {
    let mut pool = Pool::threads(4);
    let started = Instant::now();
    for how in 0..9 {
        let report = Shaky::gang(3, |_| Shaky::new(3, how))
            .gang_retries(3)
            .eval(&mut pool)
            .unwrap();
        for record in report.records() {
            assert_eq!(record.attempts(), 4);
            assert_eq!(record.outcome().done(), Some(&(3 + 3 * 19)));
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// The serial pool: an incarnation past its deadline still reads and writes the whiteboard
// ---------------------------------------------------------------------------------------------

#[pclosure(fine_limited)]
fn overstays(ctx: &Ctx, role: u32) -> Result<String, TaskError> {
    if role == 0 {
        // Runs past its 30 ms deadline (the serial pool cannot stop it), then writes.
        sleep(Duration::from_millis(60));
        let cancelled = ctx.is_cancelled();
        let wrote = ctx.whiteboard().put("late", &"written after the deadline");
        return Ok(format!(
            "cancelled {cancelled}, write {:?}",
            wrote.map_err(|e| e.kind())
        ));
    }
    Ok(ctx.whiteboard().get::<String>("late")?.unwrap_or_default())
}

/// Whiteboard admission and request liveness compare the clock with the deadline, as
/// `ctx.is_cancelled()` does: on the serial pool (where nobody ends an attempt at its deadline)
/// an incarnation already past its deadline can neither write the board nor be served.
#[test]
fn a_timed_out_incarnation_on_the_serial_pool_cannot_write() {
    let report = Overstays::list([
        Overstays::new(0).timeout(Duration::from_millis(30)),
        Overstays::new(1),
    ])
    .eval(&mut Pool::serial())
    .unwrap();
    assert!(matches!(report.records()[0].outcome(), Outcome::TimedOut));
    assert_eq!(
        report.whiteboard().get::<String>("late").unwrap(),
        None,
        "an incarnation that had timed out (is_cancelled() was true) wrote the board; task 1 read {:?}",
        report.records()[1].outcome().done()
    );
}

/// A gang with a zero timeout: every launch fails at once, the relaunches happen, nothing
/// hangs, and the pool keeps its capacity for the next gang.
#[test]
fn a_gang_with_a_zero_timeout_fails_promptly_and_the_pool_survives() {
    let mut pool = Pool::threads(3);
    let started = Instant::now();
    let report = WaitsForAll::gang(3, |_| WaitsForAll::new())
        .timeout_per_task(Duration::ZERO)
        .gang_retries(2)
        .eval(&mut pool)
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!report.is_success());
    for record in report.records() {
        assert_eq!(record.attempts(), 3);
        assert_eq!(record.failed_attempts().len(), 2);
    }
    assert!(report.outcomes().any(|o| matches!(o, Outcome::TimedOut)));
    let report = WaitsForAll::gang(3, |_| WaitsForAll::new())
        .eval(&mut pool)
        .unwrap();
    assert_eq!(report.into_results().unwrap(), [0, 1, 2]);
}

// ---------------------------------------------------------------------------------------------
// A slow, then panicking, `Clone`: the seat and the hub both retire the same seat
// ---------------------------------------------------------------------------------------------

/// A task argument whose `Clone` (for attempts) is slow, then panics, when `explode` is set.
#[derive(Debug)]
struct SlowBomb {
    explode: bool,
}

impl Clone for SlowBomb {
    fn clone(&self) -> Self {
        if self.explode {
            sleep(Duration::from_millis(60));
            panic!("SlowBomb::clone exploded");
        }
        Self { explode: false }
    }
}

#[pclosure(coarse_list)]
fn slow_cloned(_ctx: &Ctx, bomb: SlowBomb, millis: u64) -> Result<u64, TaskError> {
    let _ = bomb;
    sleep(Duration::from_millis(millis));
    Ok(millis)
}

/// Task 0's `Clone` runs past its 20 ms deadline and then panics; the hub expires the attempt
/// meanwhile. The seat's leaving and the hub's abandoning are counted once between them, so
/// `eval` still waits for task 1, which is done, not cancelled.
#[test]
fn eval_waits_for_every_seat_even_when_a_clone_panics_past_the_deadline() {
    let mut pool = Pool::threads(2);
    let outcome = quietly(|| {
        SlowCloned::list([
            SlowCloned::new(SlowBomb { explode: true }, 0).timeout(Duration::from_millis(20)),
            SlowCloned::new(SlowBomb { explode: false }, 300),
        ])
        .eval(&mut pool)
    });
    let report = outcome.expect("eval must not panic").unwrap();
    // Measured inside eval: dropping the pool afterwards waits for its threads.
    let returned_after = report.elapsed();
    let shown: Vec<String> = report.outcomes().map(ToString::to_string).collect();
    assert_eq!(
        report.records()[1].outcome().done(),
        Some(&300),
        "task 1 was lost: {shown:?}, eval returned after {returned_after:?}"
    );
    assert!(
        returned_after >= Duration::from_millis(300),
        "{returned_after:?}"
    );
}
