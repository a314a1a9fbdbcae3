//! `workgroup(0)`: a work-group has at least one invocation.
use spm::prelude::*;

#[pclosure(fine_general, workgroup(0), targets(serial, cores, gpu))]
fn sync(ctx: &Ctx, ys: &mut [f32]) {
    ctx.barrier();
    ys[ctx.group() * ctx.size() + ctx.rank()] = 1.0;
}

fn main() {}
