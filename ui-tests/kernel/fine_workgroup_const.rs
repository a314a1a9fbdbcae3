//! `workgroup(N)` with a constant: the size is written as a literal number.
use spm::prelude::*;

const N: u32 = 64;

#[pclosure(fine_general, workgroup(N), targets(serial, cores, gpu))]
fn sync(ctx: &Ctx, ys: &mut [f32]) {
    ctx.barrier();
    ys[ctx.group() * ctx.size() + ctx.rank()] = 1.0;
}

fn main() {}
