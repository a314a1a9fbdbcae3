//! A kernel under `coarse_race`: kernels run under `coarse_list` or `fine_general`.
use spm::prelude::*;

#[pclosure(coarse_race, targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = ys[i] * 2.0;
}

fn main() {}
