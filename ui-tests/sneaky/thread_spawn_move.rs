// A context cannot leave its spoke: moving it into a new thread would let that thread act for
// an attempt that may already be killed or replaced.
use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let helper = std::thread::spawn(move || ctx.label().len());
    Ok(input.len() as u64 + helper.join().unwrap_or(0) as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
