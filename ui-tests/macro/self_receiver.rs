use spm::prelude::*;

struct Detector {
    scale: u64,
}

impl Detector {
    #[pclosure(coarse_list)]
    fn edge(&self, input: String, level: u32) -> Result<u64, TaskError> {
        Ok(input.len() as u64 * u64::from(level) * self.scale)
    }
}

fn main() {
    let detector = Detector { scale: 2 };
    println!("{:?}", detector.edge("frame".to_owned(), 3).is_ok());
}
