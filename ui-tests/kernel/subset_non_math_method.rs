//! A method that is not one of the kernel's math functions (`signum`).
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn sign(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    let x = ys[i];
    ys[i] = x.signum();
}

fn main() {}
