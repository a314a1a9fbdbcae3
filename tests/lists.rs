//! `coarse_list`: independent tasks, retries, timeouts, halting, deadlines, on every pool.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use spm::prelude::*;
use spm::{EarlyStop, ErrorKind, TaskErrorKind};

fn pools() -> Vec<Pool> {
    vec![
        Pool::serial(),
        Pool::threads(1),
        Pool::threads(2),
        Pool::threads(5),
    ]
}

#[pclosure(coarse_list)]
fn square(ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    assert_eq!(ctx.rank() as u64, x);
    Ok(x * x)
}

#[test]
fn results_come_back_in_submission_order_on_every_pool() {
    for mut pool in pools() {
        let report = Square::list((0..100).map(Square::new))
            .eval(&mut pool)
            .unwrap();
        assert_eq!(report.len(), 100);
        assert!(report.records().iter().all(|r| r.attempts() == 1));
        let values = report.into_results().unwrap();
        assert_eq!(
            values,
            (0..100).map(|x| x * x).collect::<Vec<_>>(),
            "{pool}"
        );
    }
}

#[test]
fn an_empty_list_is_an_empty_report() {
    let report = Square::list(Vec::new())
        .eval(&mut Pool::threads(2))
        .unwrap();
    assert!(report.is_empty());
    let error = report.into_value().unwrap_err();
    assert_eq!(
        error.to_string(),
        "0 of 0 coarse_list tasks did not succeed: there were no tasks"
    );
    let report = Square::list(Vec::new()).eval(&mut Pool::serial()).unwrap();
    assert!(report.into_results().unwrap().is_empty());
}

#[pclosure(coarse_list)]
fn flaky(ctx: &Ctx, fails: u32) -> Result<u32, TaskError> {
    if ctx.attempt() < fails {
        return Err(TaskError::msg(format!("failure {}", ctx.attempt())));
    }
    Ok(ctx.attempt())
}

#[test]
fn a_failed_task_is_retried_alone_and_its_failures_are_kept() {
    for mut pool in pools() {
        let report = Flaky::list([Flaky::new(0), Flaky::new(2), Flaky::new(5)])
            .retries(2)
            .eval(&mut pool)
            .unwrap();
        let records = report.records();
        assert_eq!(records[0].attempts(), 1);
        assert_eq!(records[1].attempts(), 3);
        assert_eq!(records[1].outcome().done(), Some(&2));
        let earlier: Vec<String> = records[1]
            .failed_attempts()
            .iter()
            .map(|f| {
                format!(
                    "{}:{:?}",
                    f.attempt(),
                    f.outcome().error().map(|e| e.to_string())
                )
            })
            .collect();
        assert_eq!(earlier, ["0:Some(\"failure 0\")", "1:Some(\"failure 1\")"]);
        assert_eq!(records[2].attempts(), 3);
        assert_eq!(
            records[2]
                .outcome()
                .error()
                .map(ToString::to_string)
                .as_deref(),
            Some("failure 2")
        );

        let error = report.into_results().unwrap_err();
        assert_eq!(error.failures().len(), 1);
        assert_eq!(error.failures()[0].label(), "flaky#2");
        assert_eq!(error.failures()[0].attempt(), 2);
        let text = error.to_string();
        assert!(
            text.starts_with("1 of 3 coarse_list tasks did not succeed"),
            "{text}"
        );
        assert!(
            text.contains("`flaky#2` [attempt 2]: failed: failure 2"),
            "{text}"
        );
        assert!(
            text.contains("earlier, attempt 0: failed: failure 0"),
            "{text}"
        );
    }
}

#[pclosure(coarse_list)]
fn boom(_ctx: &Ctx, explode: bool) -> Result<(), TaskError> {
    if explode {
        panic!("kaboom");
    }
    Ok(())
}

#[test]
fn a_panic_is_that_task_failure_and_the_rest_go_on() {
    for mut pool in pools() {
        let report = Boom::list([Boom::new(false), Boom::new(true), Boom::new(false)])
            .eval(&mut pool)
            .unwrap();
        let outcomes: Vec<_> = report.outcomes().collect();
        assert!(outcomes[0].is_done() && outcomes[2].is_done());
        let error = outcomes[1].error().unwrap();
        assert_eq!(error.kind(), TaskErrorKind::Panicked);
        assert_eq!(error.to_string(), "panicked: kaboom");
    }
}

#[pclosure(coarse_list)]
fn labelled(ctx: &Ctx, expected: String) -> Result<String, TaskError> {
    assert_eq!(ctx.label(), expected);
    Ok(ctx.label().to_owned())
}

#[test]
fn labels_are_the_users_or_name_and_index() {
    let tasks = vec![
        Labelled::new("labelled#0".into()),
        Labelled::new("edge of a.png".into()).label("edge of a.png"),
        Labelled::new("labelled#2".into()),
    ];
    let report = Labelled::list(tasks).eval(&mut Pool::threads(2)).unwrap();
    let labels: Vec<String> = report
        .records()
        .iter()
        .map(|r| r.label().into_owned())
        .collect();
    assert_eq!(labels, ["labelled#0", "edge of a.png", "labelled#2"]);
    assert_eq!(report.into_results().unwrap(), labels);
}

static FINISHED: AtomicUsize = AtomicUsize::new(0);

#[pclosure(coarse_list)]
fn nap(ctx: &Ctx, millis: u64) -> Result<u64, TaskError> {
    sleep(Duration::from_millis(millis));
    FINISHED.fetch_add(1, Ordering::SeqCst);
    Ok(ctx.rank() as u64)
}

#[test]
fn a_stuck_thread_is_abandoned_and_replaced_and_the_rest_finish() {
    let mut pool = Pool::threads(2);
    let mut tasks: Vec<Nap> = (0..8).map(|_| Nap::new(5)).collect();
    tasks[3] = Nap::new(3_000).timeout(Duration::from_millis(100));
    let started = Instant::now();
    let report = Nap::list(tasks).eval(&mut pool).unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(2_500),
        "eval waited for the stuck task: {took:?}"
    );
    assert_eq!(report.abandoned_threads(), 1);
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(matches!(outcomes[3], Outcome::TimedOut));
    assert_eq!(outcomes.iter().filter(|o| o.is_done()).count(), 7);
    assert!(
        report.to_string().contains("(1 threads abandoned)"),
        "{report}"
    );

    // The pool kept its capacity: two more tasks of 500 ms run side by side (one after the
    // other, they would take a second).
    let started = Instant::now();
    let again = Nap::list([Nap::new(500), Nap::new(500)])
        .eval(&mut pool)
        .unwrap();
    assert!(again.is_success());
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[pclosure(coarse_list)]
fn slow_first(ctx: &Ctx) -> Result<u32, TaskError> {
    if ctx.attempt() == 0 {
        // Ignores cancellation on purpose: the hub must abandon this attempt.
        sleep(Duration::from_millis(1_000));
    }
    Ok(ctx.attempt())
}

#[test]
fn a_timed_out_attempt_is_retried_and_its_late_result_discarded() {
    for mut pool in [Pool::threads(1), Pool::threads(2)] {
        let report = SlowFirst::list([SlowFirst::new()])
            .retries(1)
            .timeout_per_task(Duration::from_millis(100))
            .eval(&mut pool)
            .unwrap();
        let record = &report.records()[0];
        assert_eq!(record.attempts(), 2);
        assert_eq!(record.outcome().done(), Some(&1));
        assert!(matches!(
            record.failed_attempts()[0].outcome(),
            Outcome::TimedOut
        ));
        assert_eq!(report.abandoned_threads(), 1);
    }
}

#[test]
fn the_serial_pool_notices_a_timeout_when_the_task_returns() {
    let report = Nap::list([
        Nap::new(150).timeout(Duration::from_millis(20)),
        Nap::new(1),
    ])
    .eval(&mut Pool::serial())
    .unwrap();
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(matches!(outcomes[0], Outcome::TimedOut));
    assert!(outcomes[1].is_done());
    assert_eq!(report.abandoned_threads(), 0);
}

#[pclosure(coarse_list)]
fn patient(ctx: &Ctx) -> Result<bool, TaskError> {
    let started = Instant::now();
    while !ctx.is_cancelled() {
        if started.elapsed() > Duration::from_secs(5) {
            return Ok(false);
        }
        sleep(Duration::from_millis(1));
    }
    Err(TaskError::msg("stopped when told"))
}

#[test]
fn is_cancelled_turns_true_at_the_deadline_on_every_pool() {
    for mut pool in pools() {
        let started = Instant::now();
        let report = Patient::list([Patient::new()])
            .timeout_per_task(Duration::from_millis(50))
            .eval(&mut pool)
            .unwrap();
        assert!(matches!(report.outcomes().next(), Some(Outcome::TimedOut)));
        assert!(started.elapsed() < Duration::from_secs(2), "{pool}");
    }
}

static FIRST_DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[pclosure(coarse_list)]
fn step(ctx: &Ctx, fail: bool, millis: u64) -> Result<usize, TaskError> {
    if fail {
        // Fail only once the first task is done, so "done stays done" is what is tested.
        while !FIRST_DONE.load(Ordering::SeqCst) {
            sleep(Duration::from_millis(1));
        }
        return Err(TaskError::msg("bad input"));
    }
    if ctx.rank() == 0 {
        FIRST_DONE.store(true, Ordering::SeqCst);
        return Ok(0);
    }
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(millis) {
        if ctx.is_cancelled() {
            return Err(TaskError::msg("cancelled"));
        }
        sleep(Duration::from_millis(1));
    }
    Ok(ctx.rank())
}

#[test]
fn halting_cancels_the_running_prunes_the_pending_and_keeps_the_done() {
    for mut pool in [Pool::serial(), Pool::threads(2)] {
        FIRST_DONE.store(false, Ordering::SeqCst);
        let mut tasks = vec![Step::new(false, 0)];
        tasks.push(Step::new(true, 0));
        tasks.extend((0..20).map(|_| Step::new(false, 2_000)));
        let started = Instant::now();
        let report = Step::list(tasks)
            .halt_on_first_failure()
            .eval(&mut pool)
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(3), "{pool}");
        assert_eq!(report.early_stop(), Some(EarlyStop::Halted { culprit: 1 }));
        let outcomes: Vec<_> = report.outcomes().collect();
        assert!(outcomes[0].is_done(), "{pool}: {:?}", outcomes[0]);
        assert!(matches!(outcomes[1], Outcome::Failed(_)));
        assert!(
            outcomes[2..]
                .iter()
                .all(|o| matches!(o, Outcome::Cancelled)),
            "{pool}"
        );
        let text = report.into_results().unwrap_err().to_string();
        assert!(
            text.contains("`step#1` [attempt 0]: failed: bad input"),
            "{text}"
        );
        assert!(text.contains("20 cancelled: `step#2`"), "{text}");
        assert!(
            text.contains("and 12 more (the manager stopped after `step#1` failed)"),
            "{text}"
        );
    }
}

#[test]
fn the_execution_deadline_is_hard_and_loses_nothing() {
    let mut pool = Pool::threads(2);
    let tasks: Vec<Nap> = (0..6).map(|_| Nap::new(2_000)).collect();
    let started = Instant::now();
    let error = Nap::list(tasks)
        .timeout_execution(Duration::from_millis(200))
        .eval(&mut pool)
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1_500),
        "not a hard deadline: {took:?}"
    );
    assert_eq!(
        error.kind(),
        &ErrorKind::ExecutionTimedOut {
            limit: Duration::from_millis(200)
        }
    );
    assert!(
        error
            .to_string()
            .contains("the execution deadline of 200ms passed"),
        "{error}"
    );
    let report = error.into_report();
    assert_eq!(report.len(), 6);
    let timed_out = report
        .outcomes()
        .filter(|o| matches!(o, Outcome::TimedOut))
        .count();
    let cancelled = report
        .outcomes()
        .filter(|o| matches!(o, Outcome::Cancelled))
        .count();
    assert_eq!((timed_out, cancelled), (2, 4));
    assert_eq!(report.abandoned_threads(), 2);
    assert_eq!(report.early_stop(), Some(EarlyStop::DeadlinePassed));
}

#[test]
fn the_serial_pool_checks_the_execution_deadline_between_tasks() {
    let error = Nap::list((0..10).map(|_| Nap::new(30)))
        .timeout_execution(Duration::from_millis(50))
        .eval(&mut Pool::serial())
        .unwrap_err();
    let report = error.report();
    let done = report.done_count();
    assert!((1..10).contains(&done), "{done} done");
    assert!(
        report
            .outcomes()
            .skip(done)
            .all(|o| matches!(o, Outcome::Cancelled))
    );
}

#[test]
fn a_pool_without_spokes_fails_at_once_with_every_task_in_the_report() {
    let error = Square::list((0..3).map(Square::new))
        .eval(&mut Pool::threads(0))
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        ErrorKind::NoSpokes {
            needed: 1,
            available: 0,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "coarse_list manager: 1 spokes are needed at once but Pool::threads(0) can never supply more than 0: give the pool at least one spoke"
    );
    assert_eq!(error.report().len(), 3);
    assert!(
        error
            .report()
            .outcomes()
            .all(|o| matches!(o, Outcome::Cancelled))
    );
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);

#[pclosure(coarse_list)]
fn counted(_ctx: &Ctx) -> Result<(), TaskError> {
    RUNNING.fetch_add(1, Ordering::SeqCst);
    sleep(Duration::from_millis(2));
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    Ok(())
}

#[test]
fn nothing_runs_after_eval_returns() {
    let mut pool = Pool::threads(4);
    for _ in 0..5 {
        let report = Counted::list((0..40).map(|_| Counted::new()))
            .eval(&mut pool)
            .unwrap();
        assert!(report.is_success());
        assert_eq!(RUNNING.load(Ordering::SeqCst), 0);
    }
}

#[pclosure(coarse_list)]
fn halves(ctx: &Ctx) -> Result<(), TaskError> {
    ctx.progress(0.5);
    ctx.progress(f64::NAN);
    ctx.progress(7.0);
    Ok(())
}

#[test]
fn progress_reports_reach_the_callback() {
    let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    Halves::list((0..3).map(|_| Halves::new()))
        .on_progress(move |p| sink.lock().unwrap().push((p.index, p.fraction)))
        .eval(&mut Pool::threads(2))
        .unwrap();
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(
        seen,
        [(0, 0.5), (0, 1.0), (1, 0.5), (1, 1.0), (2, 0.5), (2, 1.0)]
    );
}

#[pclosure(coarse_list)]
fn reads(_ctx: &Ctx, path: String) -> Result<String, TaskError> {
    Ok(std::fs::read_to_string(path)?)
}

#[test]
fn question_mark_keeps_the_cause_in_the_report() {
    let report = Reads::list([Reads::new("/no/such/file".into()).label("config")])
        .eval(&mut Pool::serial())
        .unwrap();
    let text = report.into_results().unwrap_err().to_string();
    assert!(
        text.contains("`config` [attempt 0]: failed: No such file or directory"),
        "{text}"
    );
}

/// A value whose `Drop` panics: the runtime must contain it when it throws such a value away.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        panic!("a discarded value exploded");
    }
}

#[pclosure(coarse_list)]
fn late_grenade(_ctx: &Ctx) -> Result<Grenade, TaskError> {
    sleep(Duration::from_millis(60));
    Ok(Grenade)
}

#[test]
fn a_discarded_late_result_cannot_unwind_through_the_runtime() {
    for mut pool in [Pool::serial(), Pool::threads(1)] {
        let report = LateGrenade::list([LateGrenade::new(), LateGrenade::new()])
            .timeout_per_task(Duration::from_millis(10))
            .eval(&mut pool)
            .unwrap();
        assert!(
            report.outcomes().all(|o| matches!(o, Outcome::TimedOut)),
            "{pool}"
        );
        // The pool still works.
        let again = Square::list([Square::new(0)]).eval(&mut pool).unwrap();
        assert!(again.is_success());
    }
}

#[test]
fn spokes_not_obtained_in_time_fail_the_call_and_a_warm_pool_needs_no_wait() {
    let mut pool = Pool::threads(8);
    let error = Square::list((0..16).map(Square::new))
        .timeout_wait_for_spokes(Duration::ZERO)
        .eval(&mut pool)
        .unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::SpokesTimedOut {
            needed: 8,
            obtained: 1,
            waited: Duration::ZERO
        }
    );
    assert!(
        error
            .to_string()
            .contains("obtained 1 of 8 spokes within the 0ns allowed"),
        "{error}"
    );
    assert!(
        error
            .report()
            .outcomes()
            .all(|o| matches!(o, Outcome::Cancelled))
    );
    // Without a limit the pool starts the rest; once started, no wait is needed.
    Square::list((0..16).map(Square::new))
        .eval(&mut pool)
        .unwrap();
    let report = Square::list((0..16).map(Square::new))
        .timeout_wait_for_spokes(Duration::ZERO)
        .eval(&mut pool)
        .unwrap();
    assert!(report.is_success());
}
