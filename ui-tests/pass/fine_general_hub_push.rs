// In a gang, the hub may push to members while it serves a request.
use spm::prelude::*;

#[pclosure(fine_general)]
fn member(ctx: &Ctx, work: u64) -> Result<u64, TaskError> {
    if ctx.rank() == 0 {
        let pushed: usize = ctx.request(ctx.size())?;
        assert_eq!(pushed, ctx.size());
    }
    let share: u64 = ctx.recv_from_hub()?;
    Ok(work * share)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = Member::gang(2, |rank| Member::new(rank as u64 + 1))
        .serve(|size: usize, hub: &Hub<FineGeneral>| {
            for rank in 0..size {
                hub.push(rank, 10_u64).expect("every rank is a member");
            }
            size
        })
        .eval(&mut pool)?;
    assert_eq!(report.into_results()?, vec![10, 20]);
    Ok(())
}
