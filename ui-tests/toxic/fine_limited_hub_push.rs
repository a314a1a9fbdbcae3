use spm::prelude::*;

#[pclosure(fine_limited)]
fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> {
    let extra: u64 = ctx.request(level)?;
    Ok(input.len() as u64 * u64::from(level) + extra)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list((1..=4).map(|level| Edge::new("frame".to_owned(), level)))
        .serve(|level: u32, hub: &Hub<FineLimited>| {
            hub.push(0, level).ok();
            u64::from(level) * 2
        })
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
