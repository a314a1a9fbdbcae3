// `crate = path` lets the generated code find spm under another name.
use spm as parallel;

use parallel::prelude::*;

#[parallel::pclosure(coarse_list, crate = parallel)]
fn double(ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    Ok(x * 2 + u64::from(ctx.attempt()))
}

mod runtime {
    pub use spm::*;
}

#[runtime::pclosure(fine_limited, crate = crate::runtime)]
fn triple(ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
    ctx.whiteboard().put("last", &x)?;
    Ok(x * 3)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = Double::list([1, 2].map(Double::new)).eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![2, 4]);
    let report = Triple::list([Triple::new(5)]).eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![15]);
    Ok(())
}
