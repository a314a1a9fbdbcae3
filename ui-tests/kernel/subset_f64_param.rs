//! An `f64` parameter: kernels take f32, i32, u32 and bool values.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, a: f64, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = ys[i] * 2.0;
}

fn main() {}
