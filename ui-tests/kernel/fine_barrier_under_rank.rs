//! A barrier under `if ctx.rank() < 4`: the other invocations of the group never reach it.
use spm::prelude::*;

#[pclosure(fine_general, workgroup(64), targets(serial, cores, gpu))]
fn head(ctx: &Ctx, ys: &mut [f32]) {
    let r = ctx.rank();
    if ctx.rank() < 4 {
        ctx.barrier();
    }
    ys[ctx.group() * ctx.size() + r] = 1.0;
}

fn main() {}
