//! `coarse_singleton`: one task on one spoke, retried as asked.

use std::time::Duration;

use spm::prelude::*;

#[pclosure(coarse_singleton)]
fn prepare(ctx: &Ctx, name: String, flaky: bool) -> Result<String, TaskError> {
    assert_eq!((ctx.rank(), ctx.size()), (0, 1));
    if flaky && ctx.attempt() == 0 {
        return Err(TaskError::msg("disk not ready"));
    }
    Ok(format!("{name} prepared on attempt {}", ctx.attempt()))
}

#[test]
fn a_singleton_runs_once_and_is_retried_as_asked() {
    for mut pool in [Pool::serial(), Pool::threads(3)] {
        let report = Prepare::new("workspace".into(), true)
            .label("prepare workspace")
            .singleton()
            .retries(1)
            .timeout_per_task(Duration::from_secs(10))
            .eval(&mut pool)
            .unwrap();
        assert_eq!(report.len(), 1);
        let record = &report.records()[0];
        assert_eq!(record.label(), "prepare workspace");
        assert_eq!(record.attempts(), 2);
        assert_eq!(
            report.into_value().unwrap(),
            "workspace prepared on attempt 1"
        );
    }
}

#[test]
fn a_singleton_that_fails_for_good_says_why() {
    let report = Prepare::new("workspace".into(), true)
        .singleton()
        .eval(&mut Pool::serial())
        .unwrap();
    let text = report.into_results().unwrap_err().to_string();
    assert_eq!(
        text,
        "1 of 1 coarse_singleton tasks did not succeed\n  - `prepare#0` [attempt 0]: failed: disk not ready"
    );
}
