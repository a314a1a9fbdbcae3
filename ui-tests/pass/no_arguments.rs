// A task may take nothing but its context.
use spm::prelude::*;

#[pclosure(coarse_list)]
fn tick(ctx: &Ctx) -> Result<usize, TaskError> {
    Ok(ctx.rank())
}

#[pclosure(coarse_singleton)]
fn nothing(_ctx: &Ctx) -> Result<(), TaskError> {
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = Tick::list((0..3).map(|_| Tick::new())).eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![0, 1, 2]);
    let report = Nothing::new().singleton().eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![()]);
    Ok(())
}
