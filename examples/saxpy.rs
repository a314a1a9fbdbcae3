//! A `coarse_list` kernel: SAXPY, `y = a * x + y`, one independent invocation per element.
//!
//! Each invocation is a task that may not talk to any other (a barrier here would not
//! compile), which is exactly what lets the runtime spread it over cores or a GPU's thousands
//! of lanes. The launch runs on each target in turn, from the same inputs, and the results are
//! compared with the serial reference's.
//!
//! Run it with `cargo run --release --example saxpy [-- ELEMENTS]` (default 4M).

use std::process::ExitCode;

use spm::prelude::*;

/// `ys[i] = a * xs[i] + ys[i]` for `i = ctx.rank()`.
#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn saxpy(ctx: &Ctx, a: f32, xs: &[f32], ys: &mut [f32]) {
    let i = ctx.rank();
    if i < ys.len() {
        ys[i] = a * xs[i] + ys[i];
    }
}

fn main() -> ExitCode {
    let n = match std::env::args().nth(1).map(|s| s.parse::<usize>()) {
        None => 4 << 20,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("usage: saxpy [ELEMENTS]");
            return ExitCode::FAILURE;
        }
    };
    let xs: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.001).collect();
    let ys0: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let a = 2.5;

    let serial = Pool::serial();
    let cores = Pool::cores();
    let mut targets: Vec<(&str, Box<dyn Target>)> =
        vec![("serial", Box::new(serial)), ("cores", Box::new(cores))];
    match Pool::gpu() {
        Ok(gpu) => targets.push(("gpu", Box::new(gpu))),
        Err(why) => println!("no GPU target: {why}"),
    }

    let mut reference: Option<Vec<f32>> = None;
    for (name, target) in &targets {
        let mut ys = ys0.clone();
        let report = match Saxpy::over(n).run(target.as_ref(), (a, &xs, &mut ys)) {
            Ok(report) => report,
            Err(e) => {
                eprintln!("saxpy on {name}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let detail = match report.gpu {
            Some(t) => format!(
                " (upload {:.2} ms, kernel {:.3} ms, download {:.2} ms)",
                t.upload.as_secs_f64() * 1e3,
                t.kernel.as_secs_f64() * 1e3,
                t.download.as_secs_f64() * 1e3
            ),
            None => String::new(),
        };
        println!(
            "{:<50} {:>9.3} ms{detail}",
            report.target,
            report.elapsed.as_secs_f64() * 1e3
        );
        match &reference {
            None => reference = Some(ys),
            Some(expected) if *expected == ys => {}
            Some(_) => {
                eprintln!("saxpy: {name} disagrees with the serial reference");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{} targets computed the same {n} elements", targets.len());
    ExitCode::SUCCESS
}
