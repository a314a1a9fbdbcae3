//! A closure is outside the kernel subset.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn twice(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    let double = |x: f32| x * 2.0;
    ys[i] = ys[i] * 2.0;
}

fn main() {}
