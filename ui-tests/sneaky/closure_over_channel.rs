// A closure that captures the context cannot be sent to another thread through a channel.
use std::sync::mpsc;

use spm::prelude::*;

#[pclosure(fine_limited)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    let (jobs, inbox) = mpsc::channel::<Box<dyn FnOnce() -> u64 + Send + '_>>();
    jobs.send(Box::new(move || ctx.attempt().into()))
        .expect("the inbox is open");
    let job = inbox.recv().expect("a job was sent");
    Ok(input.len() as u64 + job())
}

fn main() {
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
