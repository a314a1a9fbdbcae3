//! `coarse_race`: the first success wins, the rest are cancelled, and only a race in which
//! every task fails is a failure.

use std::thread::sleep;
use std::time::{Duration, Instant};

use spm::EarlyStop;
use spm::prelude::*;

/// Succeeds after `millis` unless told to fail; checks for cancellation while it works.
#[pclosure(coarse_race)]
fn strategy(ctx: &Ctx, millis: u64, fails: bool) -> Result<String, TaskError> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(millis) {
        if ctx.is_cancelled() {
            return Err(TaskError::msg("lost the race"));
        }
        sleep(Duration::from_millis(1));
    }
    if fails {
        return Err(TaskError::msg(format!("{} found nothing", ctx.label())));
    }
    Ok(ctx.label().to_owned())
}

#[test]
fn the_first_success_wins_and_the_rest_are_cancelled() {
    for mut pool in [Pool::threads(3), Pool::threads(2)] {
        let started = Instant::now();
        let report = Strategy::race([
            Strategy::new(3_000, false).label("slow"),
            Strategy::new(20, false).label("quick"),
            Strategy::new(3_000, false).label("slower"),
        ])
        .eval(&mut pool)
        .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "losers were not cancelled"
        );
        assert_eq!(report.winner(), Some(1));
        assert_eq!(report.early_stop(), Some(EarlyStop::Won { winner: 1 }));
        let outcomes: Vec<_> = report.outcomes().collect();
        assert!(matches!(outcomes[0], Outcome::Cancelled));
        assert!(matches!(outcomes[2], Outcome::Cancelled));
        assert!(report.is_success());
        assert_eq!(report.into_value().unwrap(), "quick");
    }
}

#[test]
fn a_failure_does_not_stop_the_race() {
    let report = Strategy::race([
        Strategy::new(1, true).label("hopeless"),
        Strategy::new(60, false).label("steady"),
    ])
    .eval(&mut Pool::threads(2))
    .unwrap();
    assert_eq!(report.winner(), Some(1));
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(matches!(outcomes[0], Outcome::Failed(_)));
    assert_eq!(report.into_results().unwrap(), ["steady"]);
}

#[test]
fn a_race_fails_only_when_every_task_fails_and_names_them_all() {
    for mut pool in [Pool::serial(), Pool::threads(2)] {
        let report = Strategy::race([
            Strategy::new(1, true).label("a"),
            Strategy::new(2, true).label("b"),
        ])
        .retries(1)
        .eval(&mut pool)
        .unwrap();
        assert_eq!(report.winner(), None);
        assert!(!report.is_success());
        let error = report.into_results().unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("2 of 2 coarse_race tasks did not succeed"),
            "{text}"
        );
        assert!(
            text.contains("`a` [attempt 1]: failed: a found nothing"),
            "{text}"
        );
        assert!(
            text.contains("`b` [attempt 1]: failed: b found nothing"),
            "{text}"
        );
    }
}

#[test]
fn on_the_serial_pool_the_first_success_in_order_wins() {
    let report = Strategy::race([
        Strategy::new(1, true),
        Strategy::new(1, false),
        Strategy::new(1, false),
    ])
    .eval(&mut Pool::serial())
    .unwrap();
    assert_eq!(report.winner(), Some(1));
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(matches!(outcomes[2], Outcome::Cancelled));
    assert_eq!(report.records()[2].attempts(), 0);
}

#[pclosure(coarse_race)]
fn deaf(_ctx: &Ctx, millis: u64) -> Result<u64, TaskError> {
    // Never checks for cancellation: it returns its value after the race is won.
    sleep(Duration::from_millis(millis));
    Ok(millis)
}

#[test]
fn a_loser_that_finishes_after_the_win_is_cancelled_and_its_value_dropped() {
    let report = Deaf::race([Deaf::new(10), Deaf::new(80)])
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert_eq!(report.winner(), Some(0));
    assert_eq!(report.done_count(), 1);
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(matches!(outcomes[1], Outcome::Cancelled));
    assert_eq!(report.records()[1].attempts(), 1);
    assert_eq!(report.into_results().unwrap(), [10]);
}
