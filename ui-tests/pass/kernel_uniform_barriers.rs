//! A `fine_general` kernel may put barriers inside loops when every invocation of the group
//! runs them the same number of times: a `while` over a uniform counter, a `for` up to
//! `ctx.size()`, and a `for` up to a value parameter all compile, and run on the serial target.
use spm::prelude::*;

#[pclosure(fine_general, workgroup(4), targets(serial, cores, gpu))]
fn rounds(ctx: &Ctx, steps: u32, out: &mut [u32]) {
    let tile = ctx.shared::<u32, 4>();
    let r = ctx.rank();
    tile[r] = r;
    ctx.barrier();
    // A counter that every invocation changes alike.
    let mut k = 0;
    while k < 3 {
        tile[r] = tile[r] + 1;
        ctx.barrier();
        k += 1;
    }
    // Up to the group's size.
    let mut acc = 0;
    for j in 0..ctx.size() {
        acc += tile[j];
        ctx.barrier();
    }
    // Up to a value parameter, the same for every invocation.
    for s in 0..steps {
        if r == 0 {
            tile[0] = tile[0] + 1;
        }
        ctx.barrier();
    }
    out[ctx.group() * ctx.size() + r] = acc + tile[0];
}

fn main() {
    let mut out = vec![0u32; 8];
    Rounds::groups(2)
        .run(&Pool::serial(), (5, &mut out))
        .expect("the serial target runs the kernel");
    // Each slot holds r + 3 after the while; their sum over the group is 18; tile[0] ends at
    // 3 + 5 = 8.
    assert_eq!(out, vec![26; 8]);
}
