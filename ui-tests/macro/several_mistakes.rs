// Every mistake in a task's signature is reported in one compile, each on its own tokens.
use spm::prelude::*;

#[pclosure(coarse_list)]
async fn edge(ctx: &Ctx, input: &str, level: &mut u32) -> u64 {
    input.len() as u64 * u64::from(*level) + u64::from(ctx.attempt())
}

fn main() {
    let mut pool = Pool::threads(2);
    let mut level = 3;
    let report = Edge::list([Edge::new("frame", &mut level)])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
