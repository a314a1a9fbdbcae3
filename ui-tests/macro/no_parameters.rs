use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge() -> Result<u64, TaskError> {
    Ok(42)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new(), Edge::new()])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
