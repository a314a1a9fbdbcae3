use spm::prelude::*;

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: &mut Vec<u8>, level: u32) -> Result<u64, TaskError> {
    input.push(b'!');
    Ok(input.len() as u64 * u64::from(level) + u64::from(ctx.attempt()))
}

fn main() {
    let mut pool = Pool::threads(2);
    let mut input = b"frame".to_vec();
    let report = Edge::list([Edge::new(&mut input, 1)])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
