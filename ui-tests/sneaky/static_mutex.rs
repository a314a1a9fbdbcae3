// A context cannot be parked in a static for a later attempt (or another task) to use.
use std::sync::Mutex;

use spm::prelude::*;

static LAST: Mutex<Option<&'static Ctx<CoarseList>>> = Mutex::new(None);

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let _ = ctx;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report} {}", LAST.lock().unwrap().is_some());
}
