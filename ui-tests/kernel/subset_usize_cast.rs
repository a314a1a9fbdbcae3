//! A cast to `usize`: kernels index with u32, so the cast is unneeded and refused.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn copy(ctx: &Ctx, xs: &[f32], ys: &mut [f32]) {
    let i = ctx.rank() as usize;
    ys[i] = xs[i];
}

fn main() {}
