//! `f32 + u32`: kernels, like Rust, never convert implicitly.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn offset(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = ys[i] + i;
}

fn main() {}
