use spm::prelude::*;
use std::time::Duration;

#[pclosure(coarse_list)]
fn square(ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    assert_eq!(ctx.rank() as u64, x - 1);
    if x == 3 && ctx.attempt() == 0 {
        return Err(TaskError::msg("flaky"));
    }
    Ok(x * x)
}

#[test]
fn squares_on_threads() {
    let mut pool = Pool::threads(2);
    let report = Square::list((1..=4).map(Square::new))
        .retries(1)
        .timeout_per_task(Duration::from_secs(5))
        .eval(&mut pool)
        .unwrap();
    println!("{report}");
    assert_eq!(report.records()[2].attempts(), 2);
    assert_eq!(report.into_results().unwrap(), vec![1, 4, 9, 16]);
}
