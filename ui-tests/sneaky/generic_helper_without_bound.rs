// A generic helper must carry the capability it uses: `P: Policy` alone allows no primitive.
use spm::prelude::*;

fn settle<P: Policy>(ctx: &Ctx<P>) -> Result<(), TaskError> {
    ctx.barrier()
}

#[pclosure(fine_general)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    settle(ctx)?;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::gang(2, |_| Edge::new("frame".to_owned()))
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
