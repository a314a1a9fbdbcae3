// Hiding the context behind a `Send` trait object does not make it `Send`.
use spm::prelude::*;

trait Labelled {
    fn name(&self) -> String;
}

impl<P: Policy> Labelled for Ctx<P> {
    fn name(&self) -> String {
        self.label().to_owned()
    }
}

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let hidden: &(dyn Labelled + Sync) = ctx;
    Ok(input.len() as u64 + hidden.name().len() as u64)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
