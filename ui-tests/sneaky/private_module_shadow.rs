// The generated code reaches the runtime's private module through the crate path; a local
// `__private` cannot take its place.
mod __private {
    pub struct TaskMeta;
}

use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    ctx.barrier()?;
    Ok(input.len() as u64)
}

fn main() {
    let _ = __private::TaskMeta;
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
