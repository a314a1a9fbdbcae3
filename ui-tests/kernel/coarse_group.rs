//! `ctx.group()` in a `coarse_list` kernel: there are no work-groups, only the global index.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, xs: &mut [f32]) {
    let i = ctx.group();
    if i < xs.len() {
        xs[i] = xs[i] * 2.0;
    }
}

fn main() {}
