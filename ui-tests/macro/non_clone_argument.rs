use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: Frame, level: u32) -> Result<u64, TaskError> {
    Ok(input.pixels.len() as u64 * u64::from(level) + u64::from(ctx.attempt()))
}

struct Frame {
    pixels: Vec<u8>,
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list((1..=4).map(|level| {
        Edge::new(
            Frame {
                pixels: vec![0; 16],
            },
            level,
        )
    }))
    .eval(&mut pool)
    .expect("the pool has the spokes");
    println!("{report}");
}
