use spm::prelude::*;

#[pclosure(CoarseList)]
fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> {
    Ok(input.len() as u64 * u64::from(level) + u64::from(ctx.attempt()))
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list((1..=4).map(|level| Edge::new("frame".to_owned(), level)))
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
