// A task cannot return its context, even written out with its policy.
use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<&'static Ctx<CoarseList>, TaskError> {
    let _ = input;
    Ok(ctx)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
