//! A kernel with a return type: it writes its results into a `&mut [T]` parameter instead.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn value(ctx: &Ctx, xs: &[f32]) -> f32 {
    let i = ctx.rank();
    xs[i]
}

fn main() {}
