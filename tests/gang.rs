//! `fine_general`: gangs co-scheduled on dedicated spokes; collectives, messages, hub pushes;
//! a member's failure releases every blocked member promptly and relaunches the whole gang.

use std::thread::sleep;
use std::time::{Duration, Instant};

use spm::prelude::*;
use spm::{EarlyStop, ErrorKind, TaskErrorKind};

#[pclosure(fine_general)]
fn collect(ctx: &Ctx, base: u64) -> Result<(u64, u64, Option<u64>, String), TaskError> {
    let me = ctx.rank() as u64;
    ctx.barrier()?;
    let sum = ctx.all_reduce(base + me, |a, b| a + b)?;
    let max = ctx.all_reduce(me, u64::max)?;
    let product = ctx.reduce(1, me + 1, |a, b| a * b)?;
    let greeting = ctx.broadcast(2, (me == 2).then(|| format!("hello from {}", ctx.label())))?;
    ctx.barrier()?;
    Ok((sum, max, product, greeting))
}

#[test]
fn collectives_give_every_member_the_same_answer() {
    let mut pool = Pool::threads(4);
    let report = Collect::gang(4, |_rank| Collect::new(10))
        .eval(&mut pool)
        .unwrap();
    let results = report.into_results().unwrap();
    for (rank, (sum, max, product, greeting)) in results.into_iter().enumerate() {
        assert_eq!(sum, 40 + 6);
        assert_eq!(max, 3);
        assert_eq!(product, (rank == 1).then_some(24));
        assert_eq!(greeting, "hello from collect#2");
    }
}

#[pclosure(fine_general)]
fn ring(ctx: &Ctx, rounds: u32) -> Result<Vec<usize>, TaskError> {
    let (me, n) = (ctx.rank(), ctx.size());
    let mut seen = Vec::new();
    for _ in 0..rounds {
        ctx.send((me + 1) % n, me)?;
        seen.push(ctx.recv::<usize>((me + n - 1) % n)?);
    }
    Ok(seen)
}

#[test]
fn messages_go_around_a_ring_in_order() {
    let report = Ring::gang(3, |_| Ring::new(50))
        .eval(&mut Pool::threads(3))
        .unwrap();
    for (me, seen) in report.into_results().unwrap().into_iter().enumerate() {
        assert_eq!(seen, vec![(me + 2) % 3; 50]);
    }
}

/// Member `culprit` fails on the first launch (in the way `how` says) while the others wait
/// at a barrier; on the relaunch everyone succeeds.
#[pclosure(fine_general)]
fn unlucky(ctx: &Ctx, culprit: usize, how: String) -> Result<u32, TaskError> {
    if ctx.rank() == culprit && ctx.attempt() == 0 {
        sleep(Duration::from_millis(20));
        match how.as_str() {
            "error" => return Err(TaskError::msg("bad block")),
            "panic" => panic!("index out of range"),
            "hang" => sleep(Duration::from_millis(3_000)),
            _ => {}
        }
    }
    ctx.barrier()?;
    Ok(ctx.attempt())
}

#[test]
fn a_failing_member_releases_the_others_and_the_whole_gang_is_relaunched() {
    for how in ["error", "panic", "hang"] {
        let mut pool = Pool::threads(3);
        let started = Instant::now();
        // Only the culprit has a deadline: the others wait at the barrier until it breaks.
        let report = Unlucky::gang(3, |rank| {
            let member = Unlucky::new(1, how.into());
            if rank == 1 {
                member.timeout(Duration::from_millis(300))
            } else {
                member
            }
        })
        .gang_retries(1)
        .eval(&mut pool)
        .unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(2_500),
            "{how}: {:?}",
            started.elapsed()
        );
        for record in report.records() {
            assert_eq!(record.attempts(), 2, "{how}");
            assert_eq!(
                record.outcome().done(),
                Some(&1),
                "{how}: all members see the relaunch's number"
            );
            let first = record.failed_attempts()[0].outcome();
            if record.index() == 1 {
                match how {
                    "hang" => assert!(matches!(first, Outcome::TimedOut)),
                    _ => assert!(matches!(first, Outcome::Failed(_)), "{how}: {first:?}"),
                }
            } else {
                assert!(matches!(first, Outcome::Cancelled), "{how}: {first:?}");
            }
        }
        assert_eq!(report.abandoned_threads(), usize::from(how == "hang"));
    }
}

#[test]
fn a_gang_that_fails_for_good_names_its_culprit() {
    let report = Unlucky::gang(2, |_| Unlucky::new(0, "error".into()))
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert_eq!(report.early_stop(), Some(EarlyStop::Halted { culprit: 0 }));
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(matches!(outcomes[0], Outcome::Failed(_)));
    assert!(matches!(outcomes[1], Outcome::Cancelled));
    let text = report.into_results().unwrap_err().to_string();
    assert!(
        text.contains("`unlucky#0` [attempt 0]: failed: bad block"),
        "{text}"
    );
    assert!(
        text.contains("1 cancelled: `unlucky#1` (the manager stopped after `unlucky#0` failed)"),
        "{text}"
    );
}

#[pclosure(fine_general)]
fn waits_on_each_other(ctx: &Ctx) -> Result<u8, TaskError> {
    let other = 1 - ctx.rank();
    ctx.recv::<u8>(other)
}

#[test]
fn a_deadlock_is_reported_not_hung() {
    let started = Instant::now();
    let report = WaitsOnEachOther::gang(2, |_| WaitsOnEachOther::new())
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    for outcome in report.outcomes() {
        let error = outcome.error().expect("both members fail");
        assert_eq!(error.kind(), TaskErrorKind::Deadlock);
        assert!(
            error
                .to_string()
                .contains("rank 0 waits in recv from rank 1; rank 1 waits in recv from rank 0"),
            "{error}"
        );
    }
}

#[test]
fn a_gang_larger_than_the_pool_fails_at_once() {
    let started = Instant::now();
    let error = Collect::gang(5, |_| Collect::new(0))
        .timeout_wait_for_spokes(Duration::from_secs(60))
        .eval(&mut Pool::threads(4))
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(matches!(
        error.kind(),
        ErrorKind::NoSpokes {
            needed: 5,
            available: 4,
            ..
        }
    ));
    assert_eq!(error.report().len(), 5);
    assert_eq!(error.report().early_stop(), Some(EarlyStop::NoSpokes));

    let error = Collect::gang(2, |_| Collect::new(0))
        .eval(&mut Pool::serial())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`Pool::serial()` runs one task at a time and cannot co-schedule a gang"),
        "{error}"
    );

    let error = Collect::gang(0, |_| Collect::new(0))
        .eval(&mut Pool::threads(2))
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::EmptyGang);
}

#[pclosure(fine_general)]
fn alone(ctx: &Ctx, then_wait: bool) -> Result<u64, TaskError> {
    ctx.barrier()?;
    ctx.send(0, 41_u64)?;
    let got: u64 = ctx.recv(0)?;
    if then_wait {
        // Nothing else can ever send: a deadlock, reported at once.
        return ctx.recv::<u64>(0);
    }
    ctx.all_reduce(got + 1, |a, b| a + b)
}

#[test]
fn a_gang_of_one_runs_on_the_serial_pool() {
    let report = Alone::gang(1, |_| Alone::new(false))
        .eval(&mut Pool::serial())
        .unwrap();
    assert_eq!(report.into_results().unwrap(), [42]);

    let report = Alone::gang(1, |_| Alone::new(true))
        .eval(&mut Pool::serial())
        .unwrap();
    let error = report.outcomes().next().unwrap().error().unwrap();
    assert_eq!(error.kind(), TaskErrorKind::Deadlock);
    assert!(
        error
            .to_string()
            .ends_with("rank 0 waits in recv from rank 0"),
        "{error}"
    );
}

#[pclosure(fine_general)]
fn pushed(ctx: &Ctx) -> Result<String, TaskError> {
    if ctx.rank() == 0 {
        let delivered: bool = ctx.request(format!("wake {}", 1))?;
        assert!(delivered);
        ctx.recv_from_hub::<String>()
    } else {
        ctx.recv_from_hub::<String>()
    }
}

#[test]
fn the_hub_pushes_to_members_while_it_serves_a_request() {
    let report = Pushed::gang(2, |_| Pushed::new())
        .serve(|ask: String, hub| {
            let to_one = hub.push(1, format!("{ask}, from the hub")).is_ok();
            let back = hub.push(0, "done".to_owned()).is_ok();
            let outside = hub.push(7, "nobody".to_owned()).unwrap_err();
            assert_eq!(outside.kind(), TaskErrorKind::Misuse);
            to_one && back
        })
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert_eq!(
        report.into_results().unwrap(),
        ["done", "wake 1, from the hub"]
    );
}

#[pclosure(fine_general)]
fn stubborn(ctx: &Ctx) -> Result<(), TaskError> {
    if ctx.rank() == 0 {
        return Err(TaskError::msg("rank 0 gives up"));
    }
    // Rank 1 computes without calling any primitive, but checks for cancellation.
    let started = Instant::now();
    while !ctx.is_cancelled() {
        if started.elapsed() > Duration::from_secs(5) {
            return Ok(());
        }
        sleep(Duration::from_millis(1));
    }
    Err(TaskError::msg("told to stop"))
}

#[test]
fn members_that_compute_are_told_to_stop_when_the_gang_fails() {
    let started = Instant::now();
    let report = Stubborn::gang(2, |_| Stubborn::new())
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!report.is_success());
}

#[test]
fn the_execution_deadline_ends_a_gang() {
    let started = Instant::now();
    let error = Unlucky::gang(2, |_| Unlucky::new(0, "hang".into()))
        .gang_retries(5)
        .timeout_execution(Duration::from_millis(200))
        .eval(&mut Pool::threads(2))
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(1_500));
    assert!(matches!(error.kind(), ErrorKind::ExecutionTimedOut { .. }));
    let report = error.into_report();
    assert_eq!(report.early_stop(), Some(EarlyStop::DeadlinePassed));
    assert!(matches!(report.records()[0].outcome(), Outcome::TimedOut));
}
