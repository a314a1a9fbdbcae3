//! A barrier in a `while` whose condition depends on data read from a slice: invocations may
//! loop a different number of times.
use spm::prelude::*;

#[pclosure(fine_general, workgroup(64), targets(serial, cores, gpu))]
fn settle(ctx: &Ctx, xs: &[f32], ys: &mut [f32]) {
    let r = ctx.rank();
    let i = ctx.group() * ctx.size() + r;
    let mut x = xs[i];
    while x > 1.0 {
        x = x / 2.0;
        ctx.barrier();
    }
    ys[i] = x;
}

fn main() {}
