//! `return x`: a kernel returns nothing, it writes into a `&mut [T]` parameter.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn early(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    if i >= ys.len() {
        return 0.0;
    }
    ys[i] = 1.0;
}

fn main() {}
