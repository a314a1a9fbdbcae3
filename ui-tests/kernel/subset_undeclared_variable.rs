//! A name that is neither a local, a parameter nor the context.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn fill(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = scale;
}

fn main() {}
