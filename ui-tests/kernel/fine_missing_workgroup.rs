//! A `fine_general` kernel without `workgroup(..)`: its group size is compiled into the GPU code.
use spm::prelude::*;

#[pclosure(fine_general, targets(serial, cores, gpu))]
fn sync(ctx: &Ctx, ys: &mut [f32]) {
    ctx.barrier();
    ys[ctx.group() * ctx.size() + ctx.rank()] = 1.0;
}

fn main() {}
