//! `loop` is outside the kernel subset: the message says to use `while`.
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn spin(ctx: &Ctx, ys: &mut [u32]) {
    let i = ctx.rank();
    let mut n = 0;
    loop {
        n += 1;
        if n > 10 {
            break;
        }
    }
    ys[i] = n;
}

fn main() {}
