//! Work-group shared memory in a `coarse_list` kernel: its invocations never communicate.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, xs: &mut [f32]) {
    let tile = ctx.shared::<f32, 64>();
    let i = ctx.rank();
    if i < xs.len() {
        xs[i] = xs[i] * 2.0;
    }
}

fn main() {}
