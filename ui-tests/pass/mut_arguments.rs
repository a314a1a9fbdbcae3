// Arguments may be bound `mut`: each attempt gets its own copy to change.
use spm::prelude::*;

#[pclosure(coarse_list)]
fn drain(ctx: &Ctx, mut items: Vec<u64>, mut budget: u32) -> Result<u64, TaskError> {
    let mut sum = 0;
    while budget > 0 {
        let Some(item) = items.pop() else { break };
        sum += item;
        budget -= 1;
    }
    if ctx.attempt() == 0 {
        return Err(TaskError::msg("retry with a fresh copy of the arguments"));
    }
    Ok(sum)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = Drain::list([Drain::new(vec![1, 2, 3], 2), Drain::new(vec![5], 9)])
        .retries(1)
        .eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![5, 5]);
    Ok(())
}
