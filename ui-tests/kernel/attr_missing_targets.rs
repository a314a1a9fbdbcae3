//! A kernel body under `#[pclosure(coarse_list)]` without `targets(..)`: without targets the
//! function is read as a task, not a kernel.
use spm::prelude::*;

#[pclosure(coarse_list)]
fn scale(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = ys[i] * 2.0;
}

fn main() {}
