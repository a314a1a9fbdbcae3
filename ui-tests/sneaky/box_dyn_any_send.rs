// Type erasure does not launder a context: `Box<dyn Any + Send>` needs `Send + 'static`.
use std::any::Any;

use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let erased: Box<dyn Any + Send> = Box::new(ctx);
    drop(erased);
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
