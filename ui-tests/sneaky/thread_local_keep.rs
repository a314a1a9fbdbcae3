// A thread-local is per spoke, not per attempt: a retried attempt on the same spoke would find
// the killed attempt's context there. The context cannot outlive its task.
use std::cell::Cell;

use spm::prelude::*;

thread_local! {
    static LAST: Cell<Option<&'static Ctx<CoarseList>>> = const { Cell::new(None) };
}

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    LAST.with(|last| last.set(Some(ctx)));
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
