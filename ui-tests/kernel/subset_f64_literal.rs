//! An `f64` literal: kernels compute in f32, i32, u32 and bool.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    let k = 2.5f64;
    ys[i] = ys[i] * 2.0;
}

fn main() {}
