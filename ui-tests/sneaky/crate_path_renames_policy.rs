// `crate = path` cannot smuggle a gang policy in under a list's name: the manager still goes
// by the real type, so the task cannot run as a list.
mod runtime {
    pub use spm::FineGeneral as CoarseList;
    pub use spm::*;
}

use spm::prelude::*;

#[pclosure(coarse_list, crate = runtime)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    ctx.barrier()?;
    Ok(input.len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
