// A `pub` task in a module is usable from outside it, with its visibility.
use spm::prelude::*;

mod tasks {
    use spm::prelude::*;

    /// Scales a value.
    #[pclosure(coarse_list)]
    pub fn scale(ctx: &Ctx, x: u64, factor: u64) -> Result<u64, TaskError> {
        Ok(x * factor + u64::from(ctx.attempt()))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = tasks::Scale::list([tasks::Scale::new(2, 3)]).eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![6]);
    Ok(())
}
