// A `fine_limited` request handler cannot claim a gang's hub to push with.
use spm::prelude::*;

#[pclosure(fine_limited)]
fn edge(ctx: &Ctx, level: u32) -> Result<u64, TaskError> {
    ctx.request(level)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list((1..=4).map(Edge::new))
        .serve(|level: u32, hub: &Hub<FineGeneral>| {
            hub.push(0, level).ok();
            u64::from(level)
        })
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
