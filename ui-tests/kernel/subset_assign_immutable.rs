//! Assigning to a `let` that is not `mut`.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn bump(ctx: &Ctx, ys: &mut [u32]) {
    let i = ctx.rank();
    let n = 1;
    n = n + i;
    ys[i] = n;
}

fn main() {}
