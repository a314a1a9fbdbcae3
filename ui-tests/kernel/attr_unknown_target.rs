//! `targets(fpga)`: the targets are `serial`, `cores` and `gpu`.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, fpga))]
fn scale(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    ys[i] = ys[i] * 2.0;
}

fn main() {}
