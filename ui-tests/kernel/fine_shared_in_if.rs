//! A shared array declared inside an `if`: the whole work-group shares it, so it is declared
//! at the top of the body.
use spm::prelude::*;

#[pclosure(fine_general, workgroup(64), targets(serial, cores, gpu))]
fn stage(ctx: &Ctx, ys: &mut [f32]) {
    let r = ctx.rank();
    if ys.len() > 0 {
        let tile = ctx.shared::<f32, 64>();
        tile[r] = 1.0;
    }
    ctx.barrier();
    ys[ctx.group() * ctx.size() + r] = 1.0;
}

fn main() {}
