// Not even `unsafe impl` can make a context `Send` or `Sync`: the types are not the user's.
use spm::prelude::*;

unsafe impl Sync for spm::CtxStaysOnItsSpoke {}

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let _ = ctx;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
