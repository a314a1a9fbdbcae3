//! Indexing a value parameter: only slice parameters and shared arrays are indexed.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn spread(ctx: &Ctx, a: f32, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = a[0];
}

fn main() {}
