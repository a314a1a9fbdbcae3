// A generic helper that carries the capabilities it uses works for any policy that has them.
use spm::capability::{AllowsBarrier, GangPrimitives, HubAccess};
use spm::prelude::*;

fn settle<P: Policy + AllowsBarrier>(ctx: &Ctx<P>) -> Result<(), TaskError> {
    ctx.barrier()
}

fn note<P: HubAccess>(ctx: &Ctx<P>, value: u64) -> Result<(), TaskError> {
    ctx.whiteboard()
        .put(&format!("note-{}", ctx.rank()), &value)
}

fn sum<P: GangPrimitives>(ctx: &Ctx<P>, value: u64) -> Result<u64, TaskError> {
    ctx.all_reduce(value, |a, b| a + b)
}

fn describe<P: Policy>(ctx: &Ctx<P>) -> String {
    format!("{} under {}", ctx.label(), P::NAME)
}

#[pclosure(fine_general)]
fn member(ctx: &Ctx, value: u64) -> Result<u64, TaskError> {
    settle(ctx)?;
    note(ctx, value)?;
    assert!(describe(ctx).ends_with("under fine_general"));
    sum(ctx, value)
}

#[pclosure(fine_limited)]
fn probe(ctx: &Ctx, value: u64) -> Result<u64, TaskError> {
    note(ctx, value)?;
    assert!(describe(ctx).ends_with("under fine_limited"));
    Ok(value)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let gang = Member::gang(2, |rank| Member::new(rank as u64 + 1)).eval(&mut pool)?;
    assert_eq!(gang.into_results()?, vec![3, 3]);
    let list = Probe::list([Probe::new(4)]).eval(&mut pool)?;
    assert_eq!(
        list.whiteboard().get::<u64>("note-0").expect("readable"),
        Some(4)
    );
    Ok(())
}
