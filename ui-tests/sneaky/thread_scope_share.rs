// Even a scoped thread, which cannot outlive the task, may not share the context.
use spm::prelude::*;

#[pclosure(fine_general)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let sum = std::thread::scope(|scope| {
        let helper = scope.spawn(|| ctx.all_reduce(input.len() as u64, |a, b| a + b));
        helper.join().expect("the helper does not panic")
    })?;
    Ok(sum)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::gang(2, |_| Edge::new("frame".to_owned()))
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
