//! `if` used as a value is outside the kernel subset: assign in the branches instead.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn clamp(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    let v = if ys[i] > 1.0 { 1.0 } else { ys[i] };
    ys[i] = v;
}

fn main() {}
