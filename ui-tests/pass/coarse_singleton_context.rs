// Every policy's context tells the task who and where it is, and takes progress reports.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spm::prelude::*;

#[pclosure(coarse_singleton)]
fn probe(ctx: &Ctx, input: String) -> Result<String, TaskError> {
    if ctx.attempt() == 0 {
        return Err(TaskError::msg("first attempt fails, the retry succeeds"));
    }
    assert!(!ctx.is_cancelled());
    assert!(ctx.deadline().is_some());
    assert_eq!((ctx.rank(), ctx.size()), (0, 1));
    ctx.progress(0.5);
    ctx.progress(1.0);
    Ok(format!("{} {} {}", ctx.label(), ctx.attempt(), input))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let mut pool = Pool::threads(1);
    let report = Probe::new("frame".to_owned())
        .label("the probe")
        .timeout(Duration::from_secs(10))
        .singleton()
        .retries(1)
        .timeout_wait_for_spokes(Duration::from_secs(10))
        .timeout_execution(Duration::from_secs(20))
        .on_progress(move |p| sink.lock().unwrap().push(p.fraction))
        .eval(&mut pool)?;
    assert_eq!(report.records()[0].attempts(), 2);
    assert_eq!(report.into_results()?, vec!["the probe 1 frame".to_owned()]);
    assert_eq!(*seen.lock().unwrap(), vec![0.5, 1.0]);
    Ok(())
}
