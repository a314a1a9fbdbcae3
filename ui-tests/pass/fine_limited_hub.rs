// A fine_limited task may ask the hub and share the whiteboard; the hub only replies.
use spm::prelude::*;

#[pclosure(fine_limited)]
fn probe(ctx: &Ctx, cost: u64) -> Result<u64, TaskError> {
    let board = ctx.whiteboard();
    let scale: u64 = board.get("scale")?.unwrap_or(1);
    board.put(&format!("cost-{}", ctx.rank()), &cost)?;
    board.compare_and_swap("first", None, &ctx.rank())?;
    board.update("best", |best: Option<u64>| match best {
        Some(b) if b <= cost => None,
        _ => Some(cost),
    })?;
    let doubled: u64 = ctx.request(cost)?;
    Ok(doubled * scale)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(2);
    let report = Probe::list([5, 3, 8].map(Probe::new))
        .whiteboard_put("scale", &10_u64)
        .serve(|cost: u64, hub: &Hub<FineLimited>| {
            assert_eq!(hub.requester().attempt, 0);
            cost * 2
        })
        .retries(1)
        .halt_on_first_failure()
        .eval(&mut pool)?;
    assert_eq!(
        report.whiteboard().get::<u64>("best").expect("readable"),
        Some(3)
    );
    assert!(
        report
            .whiteboard()
            .get::<usize>("first")
            .expect("readable")
            .is_some()
    );
    assert_eq!(report.into_results()?, vec![100, 60, 160]);
    Ok(())
}
