//! A float literal beyond f32's range is refused, as Rust refuses it, instead of becoming an
//! infinity on some targets.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, ys: &mut [f32]) {
    let i = ctx.rank();
    if i < ys.len() {
        ys[i] = ys[i] * 1e40;
    }
}

fn main() {}
