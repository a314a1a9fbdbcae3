//! A call of a user function is outside the kernel subset: the GPU code has only the body.
use spm::prelude::*;

fn foo(x: f32) -> f32 {
    x * 2.0
}

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn apply(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    let x = ys[i];
    ys[i] = foo(x);
}

fn main() {}
