// Calling a gang task's body by hand from a coarse task does not lend it a gang context.
use spm::Task;
use spm::prelude::*;

#[pclosure(fine_general)]
fn settle(ctx: &Ctx) -> Result<(), TaskError> {
    ctx.barrier()
}

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    Task::call(Settle::new(), ctx)?;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
