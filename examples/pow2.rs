//! The classic first parallel program, on three targets: square every element of a matrix.
//!
//! One `#[pclosure]` body becomes the serial reference, the version for all cores, and the GPU
//! kernel (WGSL for Vulkan through wgpu, CUDA C for NVIDIA's compiler). One call runs the same
//! launch on every target and checks that the results agree; here they must be identical to
//! the bit, since a square is one correctly rounded multiplication everywhere.
//!
//! Run it with `cargo run --release --example pow2`. Without a GPU it says why, and checks
//! the two CPU targets.

use std::process::ExitCode;

use spm::prelude::*;

const ROWS: usize = 1024;
const COLS: usize = 768;

/// Squares element `ctx.rank()` of the matrix, stored row after row.
#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn pow2(ctx: &Ctx, matrix: &mut [f32]) {
    let i = ctx.rank();
    if i < matrix.len() {
        matrix[i] = matrix[i] * matrix[i];
    }
}

fn main() -> ExitCode {
    let mut matrix: Vec<f32> = (0..ROWS * COLS)
        .map(|i| ((i % COLS) as f32 - (i / COLS) as f32) * 0.01)
        .collect();
    let expected: Vec<f32> = matrix.iter().map(|x| x * x).collect();

    let serial = Pool::serial();
    let cores = Pool::cores();
    let gpu = Pool::gpu();
    let mut targets: Vec<&dyn Target> = vec![&serial, &cores];
    match &gpu {
        Ok(gpu) => targets.push(gpu),
        Err(why) => println!("no GPU target: {why}"),
    }

    let report = match Pow2::over(matrix.len())
        .tolerance(0)
        .check(&targets, &mut matrix)
    {
        Ok(report) => report,
        Err(e) => {
            eprintln!("pow2: {e}");
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
    if matrix != expected {
        eprintln!("pow2: the agreed result is not the square of the input");
        return ExitCode::FAILURE;
    }
    println!(
        "{} targets agree on the squares of a {ROWS}x{COLS} matrix, bit for bit",
        report.runs.len()
    );
    ExitCode::SUCCESS
}
