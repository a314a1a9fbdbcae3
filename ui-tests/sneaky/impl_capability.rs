// A user cannot grant a capability to a policy.
use spm::prelude::*;

impl spm::capability::AllowsBarrier for CoarseList {}

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    ctx.barrier()?;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
