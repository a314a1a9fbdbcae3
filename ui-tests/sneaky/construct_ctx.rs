// Only the runtime makes contexts: there is no constructor to forge a gang's context.
use spm::prelude::*;

fn main() {
    let ctx = Ctx::<FineGeneral>::new();
    ctx.barrier().expect("a forged barrier");
}
