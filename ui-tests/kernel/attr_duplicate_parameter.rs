//! Two parameters of one name: one error, on the second.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn copy(ctx: &Ctx, out: &mut [f32], out: &mut [f32]) {
    let i = ctx.rank();
    if i < out.len() {
        out[i] = 1.0;
    }
}

fn main() {}
