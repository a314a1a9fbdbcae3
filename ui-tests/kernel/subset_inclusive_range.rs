//! `for` over `a..=b`: kernels loop over half-open ranges.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn sum(ctx: &Ctx, ys: &mut [u32]) {
    let i = ctx.rank();
    let mut s = 0;
    for k in 0..=i {
        s += k;
    }
    ys[i] = s;
}

fn main() {}
