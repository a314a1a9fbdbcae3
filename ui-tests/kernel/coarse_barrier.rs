//! A barrier in a `coarse_list` kernel: its invocations are independent, so the type system
//! refuses `ctx.barrier()` with the policy table's words.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn scale(ctx: &Ctx, xs: &mut [f32]) {
    let i = ctx.rank();
    ctx.barrier();
    if i < xs.len() {
        xs[i] = xs[i] * 2.0;
    }
}

fn main() {}
