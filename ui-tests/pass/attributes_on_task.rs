// Doc comments describe the generated task; lint attributes apply to the body.
#![deny(warnings)]

use spm::prelude::*;

/// Finds the edges of a frame.
///
/// The level is the detector's sensitivity.
#[pclosure(coarse_list)]
#[allow(clippy::needless_range_loop, unused_mut)]
#[inline]
pub fn edge_detect(ctx: &Ctx, input: Vec<u8>, level: u8) -> Result<usize, TaskError> {
    let mut count = 0;
    for i in 1..input.len() {
        if input[i].abs_diff(input[i - 1]) >= level {
            count += 1;
        }
    }
    let _ = ctx;
    Ok(count)
}

#[cfg(not(any()))]
#[pclosure(coarse_singleton)]
fn only_when_configured(ctx: &Ctx) -> Result<bool, TaskError> {
    Ok(ctx.size() == 1)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = EdgeDetect::list([EdgeDetect::new(vec![0, 9, 9, 0], 5)]).eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![2]);
    let report = OnlyWhenConfigured::new().singleton().eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![true]);
    Ok(())
}
