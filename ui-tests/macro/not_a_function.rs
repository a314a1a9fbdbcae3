use spm::prelude::*;

#[pclosure(coarse_list)]
struct Edge {
    input: String,
    level: u32,
}

fn main() {
    let edge = Edge {
        input: "frame".to_owned(),
        level: 3,
    };
    println!("{} {}", edge.input, edge.level);
}
