use spm::prelude::*;

#[pclosure(coarse_singleton)]
fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> {
    let extra = u64::from(ctx.attempt());
    Ok(input.len() as u64 * u64::from(level) + extra)
}

fn main() {
    let mut pool = Pool::threads(1);
    let report = Edge::new("frame".to_owned(), 3)
        .singleton()
        .whiteboard_put("threshold", &0.5_f64)
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
