//! Writing to a `&[f32]` parameter: it is read-only, declare it `&mut [f32]`.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn zero(ctx: &Ctx, xs: &[f32]) {
    let i = ctx.rank();
    xs[i] = 0.0;
}

fn main() {}
