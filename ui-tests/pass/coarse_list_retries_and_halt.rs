// A coarse list retries a task alone, and may halt on the first task that fails for good.
use std::time::Duration;

use spm::prelude::*;

#[pclosure(coarse_list)]
fn square(ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    if x == 3 && ctx.attempt() == 0 {
        return Err(TaskError::msg("flaky"));
    }
    if x == 100 {
        return Err(TaskError::msg("always fails"));
    }
    Ok(x * x)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = Square::list((1..=4).map(Square::new))
        .retries(1)
        .timeout_per_task(Duration::from_secs(10))
        .eval(&mut pool)?;
    assert_eq!(report.records()[2].attempts(), 2);
    assert_eq!(report.into_results()?, vec![1, 4, 9, 16]);

    let report = Square::list([Square::new(100)])
        .halt_on_first_failure()
        .eval(&mut pool)?;
    assert!(report.records()[0].outcome().is_failure());
    assert!(report.early_stop().is_some());
    Ok(())
}
