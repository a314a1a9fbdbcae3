// A race's first success wins; a race fails only if every task fails.
use spm::prelude::*;

#[pclosure(coarse_race)]
fn attempt_solve(ctx: &Ctx, seed: u64) -> Result<u64, TaskError> {
    if seed % 2 == 0 {
        return Err(TaskError::msg(format_args!(
            "{} found nothing",
            ctx.label()
        )));
    }
    Ok(seed * 10)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = AttemptSolve::race([0, 2, 7].map(AttemptSolve::new))
        .retries(1)
        .eval(&mut pool)?;
    assert_eq!(report.winner(), Some(2));
    assert_eq!(report.into_results()?, vec![70]);
    Ok(())
}
