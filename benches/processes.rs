//! Process-spoke round trip: many tiny tasks on `Pool::processes(2)`, against the same tasks on
//! `Pool::threads(2)` in the same run; the difference is what crossing to a process costs.
//!
//! Run with `cargo bench --bench processes [-- quick]`.

mod common;

use common::best_of;
use std::hint::black_box;
use std::time::Duration;

use spm::prelude::*;

#[pclosure(coarse_list)]
fn tiny(_ctx: &Ctx, i: u64) -> Result<u64, TaskError> {
    Ok(black_box(i) ^ 0x5DEE_CE66)
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let tasks: u64 = if quick { 20_000 } else { 100_000 };
    let repeats = if quick { 2 } else { 3 };
    println!("process-spoke round trip: {tasks} tiny tasks, 2 spokes, best of {repeats}\n");
    let run = |pool: &mut Pool| {
        let report = Tiny::list((0..tasks).map(Tiny::new))
            .timeout_per_task(Duration::from_secs(10))
            .eval(pool)
            .expect("the pool obtains its spokes");
        assert_eq!(report.done_count() as u64, tasks, "{report}");
    };
    let mut processes = Pool::processes(2);
    run(&mut processes); // start the spoke processes once: a pool keeps them
    let on_processes = best_of(repeats, || run(&mut processes));
    let mut threads = Pool::threads(2);
    let on_threads = best_of(repeats, || run(&mut threads));
    let per = |d: Duration| d.as_secs_f64() * 1e6 / tasks as f64;
    println!("| pool | time | per task (wall) | overhead over threads, per task |");
    println!("|---|---|---|---|");
    println!(
        "| `Pool::threads(2)` | {:.3} s | {:.2} µs | |",
        on_threads.as_secs_f64(),
        per(on_threads)
    );
    println!(
        "| `Pool::processes(2)` | {:.3} s | {:.2} µs | {:.2} µs (target < 20 µs) |",
        on_processes.as_secs_f64(),
        per(on_processes),
        per(on_processes) - per(on_threads)
    );
}
