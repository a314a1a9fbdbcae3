// The whiteboard handle borrows the context's gate, so it stays on the spoke too.
use spm::prelude::*;

#[pclosure(fine_limited)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let board = ctx.whiteboard();
    std::thread::scope(|scope| {
        scope.spawn(move || board.put("seen", &input));
    });
    Ok(1)
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
