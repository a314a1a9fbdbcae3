//! `return` in a `fine_general` kernel: the invocations that return skip the later barriers.
use spm::prelude::*;

#[pclosure(fine_general, workgroup(64), targets(serial, cores, gpu))]
fn guarded(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.group() * ctx.size() + ctx.rank();
    if i >= ys.len() {
        return;
    }
    ctx.barrier();
    ys[i] = 1.0;
}

fn main() {}
