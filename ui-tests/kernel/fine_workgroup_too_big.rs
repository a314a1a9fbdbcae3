//! `workgroup(2048)`: more than CUDA and Vulkan take (1024).
use spm::prelude::*;

#[pclosure(fine_general, workgroup(2048), targets(serial, cores, gpu))]
fn sync(ctx: &Ctx, ys: &mut [f32]) {
    ctx.barrier();
    ys[ctx.group() * ctx.size() + ctx.rank()] = 1.0;
}

fn main() {}
