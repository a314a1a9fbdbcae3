//! `match` is outside the kernel subset.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn pick(ctx: &Ctx, ys: &mut [u32]) {
    let i = ctx.rank();
    let v = match i {
        0 => 10,
        _ => 20,
    };
    ys[i] = v;
}

fn main() {}
