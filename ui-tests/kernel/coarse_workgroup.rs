//! `workgroup(..)` on a `coarse_list` kernel: the runtime groups its independent invocations.
use spm::prelude::*;

#[pclosure(coarse_list, workgroup(64), targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = ys[i] * 2.0;
}

fn main() {}
