use spm::prelude::*;

#[pclosure(fine_general)]
fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> {
    let extra = u64::from(ctx.attempt());
    Ok(input.len() as u64 * u64::from(level) + extra)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::gang(2, |rank| Edge::new("frame".to_owned(), rank as u32))
        .halt_on_first_failure()
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
