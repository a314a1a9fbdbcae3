// A gang may use every primitive: barrier, broadcast, reduce, all-reduce, send and receive,
// the whiteboard and requests; its manager relaunches the whole gang.
use serde::{Deserialize, Serialize};
use spm::prelude::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Token {
    from: usize,
    hops: u32,
}

#[pclosure(fine_general)]
fn member(ctx: &Ctx, seed: u64) -> Result<u64, TaskError> {
    let (rank, size) = (ctx.rank(), ctx.size());
    if ctx.attempt() == 0 && rank == 1 {
        return Err(TaskError::msg(
            "the first launch fails, so the gang is relaunched",
        ));
    }
    ctx.barrier()?;
    let base: u64 = ctx.broadcast(0, (rank == 0).then_some(seed))?;
    let total = ctx.reduce(0, seed, |a, b| a + b)?;
    assert_eq!(total.is_some(), rank == 0);
    let max = ctx.all_reduce(seed, |a, b| a.max(b))?;
    ctx.send(
        (rank + 1) % size,
        Token {
            from: rank,
            hops: 1,
        },
    )?;
    let token: Token = ctx.recv((rank + size - 1) % size)?;
    assert_eq!(token.from, (rank + size - 1) % size);
    ctx.whiteboard().put(&format!("seed-{rank}"), &seed)?;
    let echoed: u64 = ctx.request(seed)?;
    Ok(base + max + echoed + u64::from(token.hops) + total.unwrap_or(0))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut pool = Pool::threads(3);
    let report = Member::gang(3, |rank| Member::new(rank as u64 + 1))
        .gang_retries(1)
        .serve(|seed: u64, _hub: &Hub<FineGeneral>| seed)
        .eval(&mut pool)?;
    assert_eq!(
        report.whiteboard().get::<u64>("seed-2").expect("readable"),
        Some(3)
    );
    // base 1, max 3, echoed seed, one hop, and the sum 6 at the root.
    assert_eq!(report.into_results()?, vec![12, 7, 8]);
    Ok(())
}
