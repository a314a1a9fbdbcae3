use spm::prelude::*;

#[pclosure(coarse_singleton)]
fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> {
    let extra: u64 = ctx.recv_from_hub()?;
    Ok(input.len() as u64 * u64::from(level) + extra)
}

fn main() {
    let mut pool = Pool::threads(1);
    let report = Edge::new("frame".to_owned(), 3)
        .singleton()
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
