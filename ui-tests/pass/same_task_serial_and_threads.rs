// The same program gives the same results on one spoke or many: only the pool changes.
use spm::prelude::*;

#[pclosure(coarse_list)]
fn collatz(ctx: &Ctx, start: u64) -> Result<u32, TaskError> {
    let (mut n, mut steps) = (start, 0);
    while n != 1 {
        if ctx.is_cancelled() {
            return Err(TaskError::msg("stopped"));
        }
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    Ok(steps)
}

fn run(pool: &mut Pool) -> Result<Vec<u32>, Box<dyn std::error::Error>> {
    let report = Collatz::list((1..=20).map(Collatz::new)).eval(pool)?;
    Ok(report.into_results()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serial = run(&mut Pool::serial())?;
    let threads = run(&mut Pool::threads(2))?;
    assert_eq!(serial, threads);
    assert_eq!(serial[6], 16);
    Ok(())
}
