//! A `String` parameter: a kernel takes numbers and slices of numbers.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn label(ctx: &Ctx, name: String, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = 1.0;
}

fn main() {}
