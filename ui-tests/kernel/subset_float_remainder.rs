//! `%` on f32: the targets would not agree on it, so kernels take `%` on integers only.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn wrap(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = ys[i] % 1.0;
}

fn main() {}
