// A local module named `spm` does not replace the runtime the macro names: the generated code
// names `::spm`, so the context is still the real one, and the barrier is still toxic.
mod spm {
    pub struct Ctx<P>(pub P);
    pub enum CoarseList {}
    impl<P> Ctx<P> {
        pub fn barrier(&self) -> Result<(), ::spm::TaskError> {
            Ok(())
        }
    }
}

use ::spm::prelude::{Pool, TaskError, pclosure};

#[pclosure(coarse_list)]
fn edge(ctx: &Ctx, input: String) -> Result<u64, TaskError> {
    ctx.barrier()?;
    Ok(input.len() as u64)
}

fn main() {
    let _ = spm::Ctx::<u8>(0);
    let mut pool = Pool::threads(2);
    let report = Edge::list([Edge::new("frame".to_owned())])
        .eval(&mut pool)
        .expect("the pool has the spokes");
    println!("{report}");
}
