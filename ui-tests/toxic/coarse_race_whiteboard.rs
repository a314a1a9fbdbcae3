use spm::prelude::*;

#[pclosure(coarse_race)]
fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> {
    ctx.whiteboard().put("last_input", &input)?;
    let extra = 0;
    Ok(input.len() as u64 * u64::from(level) + extra)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::race((1..=4).map(|level| Edge::new("frame".to_owned(), level)))
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
