// A task cannot hand back a borrow of its context: results travel to the hub and outlive the
// attempt.
use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<&str, TaskError> {
    let _ = input;
    Ok(ctx.label())
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
