//! A macro call (`println!`) is outside the kernel subset: a GPU has no stdout.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn show(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    println!("{}", i);
    ys[i] = 1.0;
}

fn main() {}
