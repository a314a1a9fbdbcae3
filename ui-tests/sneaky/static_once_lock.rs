// A `OnceLock` static is shared by every spoke, so it cannot hold a context.
use std::sync::OnceLock;

use spm::prelude::*;

static FIRST: OnceLock<&'static Ctx<FineGeneral>> = OnceLock::new();

#[pclosure(fine_general)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    ctx.barrier()?;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::gang(2, |_| Edge::new("frame".to_owned()))
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report} {}", FIRST.get().is_some());
}
