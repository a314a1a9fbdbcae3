// A work-stealing pool inside a task may not use the context either.
use spm::prelude::*;

#[pclosure(fine_general)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let (left, right) = rayon::join(|| ctx.barrier(), || input.len() as u64);
    left?;
    Ok(right)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::gang(2, |_| Edge::new("frame".to_owned()))
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
