//! A `fine_general` kernel with `workgroup(..)` but no `targets(..)`.
use spm::prelude::*;

#[pclosure(fine_general, workgroup(64))]
fn sync(ctx: &Ctx, ys: &mut [f32]) {
    ctx.barrier();
    ys[ctx.group() * ctx.size() + ctx.rank()] = 1.0;
}

fn main() {}
