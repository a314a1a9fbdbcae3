//! A `Vec` parameter: a kernel takes slices `&[T]` and `&mut [T]`.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn copy(ctx: &Ctx, xs: Vec<f32>, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = 1.0;
}

fn main() {}
