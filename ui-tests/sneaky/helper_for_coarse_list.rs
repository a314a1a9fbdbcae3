// A non-generic helper for a coarse list's context cannot reach a barrier either.
use spm::prelude::*;

fn settle(ctx: &Ctx<CoarseList>) -> Result<(), TaskError> {
    ctx.barrier()
}

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    settle(ctx)?;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
