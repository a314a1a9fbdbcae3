//! A `fine_general` kernel: a work-group reduction, the sum of 16M floats.
//!
//! Each work-group of 256 invocations loads 256 numbers into its shared array and halves the
//! active range at each step, meeting at a barrier between steps, until invocation 0 holds the
//! group's sum. The barriers are what make this fine grain: under `coarse_list` a barrier does
//! not compile. The per-group sums are added on the host.
//!
//! The same launch runs on the serial reference, all cores and the GPU, and their per-group
//! sums must agree to the bit: every target adds in the same order, the kernel's.
//!
//! Run it with `cargo run --release --example reduction`.

use std::process::ExitCode;

use spm::prelude::*;

const N: usize = 16 << 20;
const GROUP: usize = 256;

/// Sums the 256 elements of group `ctx.group()` into `sums[ctx.group()]`.
#[pclosure(fine_general, workgroup(256), targets(serial, cores, gpu))]
fn group_sum(ctx: &Ctx, xs: &[f32], sums: &mut [f32]) {
    let tile = ctx.shared::<f32, 256>();
    let r = ctx.rank();
    let i = ctx.group() * ctx.size() + r;
    let mut x = 0.0;
    if i < xs.len() {
        x = xs[i];
    }
    tile[r] = x;
    ctx.barrier();
    let mut half = ctx.size() / 2;
    while half > 0 {
        if r < half {
            tile[r] += tile[r + half];
        }
        ctx.barrier();
        half /= 2;
    }
    if r == 0 {
        sums[ctx.group()] = tile[0];
    }
}

fn main() -> ExitCode {
    // Small integers and halves: every partial sum is exact in f32, so the total is known.
    let xs: Vec<f32> = (0..N).map(|i| (i % 10) as f32 * 0.5).collect();
    let expected: f64 = xs.iter().map(|&x| f64::from(x)).sum();
    let groups = N.div_ceil(GROUP);
    let mut sums = vec![0.0f32; groups];

    let serial = Pool::serial();
    let cores = Pool::cores();
    let gpu = Pool::gpu();
    let mut targets: Vec<&dyn Target> = vec![&serial, &cores];
    match &gpu {
        Ok(gpu) => targets.push(gpu),
        Err(why) => println!("no GPU target: {why}"),
    }
    let report = match GroupSum::groups(groups)
        .tolerance(0)
        .check(&targets, (&xs, &mut sums))
    {
        Ok(report) => report,
        Err(e) => {
            eprintln!("reduction: {e}");
            return ExitCode::FAILURE;
        }
    };
    for run in &report.runs {
        println!(
            "{:<50} {:>9.3} ms",
            run.target,
            run.elapsed.as_secs_f64() * 1e3
        );
    }
    let total: f64 = sums.iter().map(|&s| f64::from(s)).sum();
    if total != expected {
        eprintln!("reduction: the sum is {total}, expected {expected}");
        return ExitCode::FAILURE;
    }
    println!(
        "sum of {N} floats = {total}: {} targets agree on all {groups} group sums",
        report.runs.len()
    );
    ExitCode::SUCCESS
}
