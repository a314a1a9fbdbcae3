//! Kernels on each target, side by side: SAXPY (`coarse_list`) and a work-group reduction
//! (`fine_general`), on `Serial`, `Cores` (against the same loop written by hand with rayon)
//! and the GPU (kernel time and transfers apart).
//!
//! `cargo bench --bench kernels`; `SPM_BENCH_N` sets the elements (default 16M),
//! `SPM_BENCH_REPEATS` the repeats (default 5, the best is kept), `SPM_BENCH_GPU` the GPU
//! (`cuda` or `vulkan`; default `Pool::gpu()`'s choice).

mod common;

use std::time::Duration;

use rayon::prelude::*;
use spm::kernel::{GpuTimes, LaunchReport};
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn saxpy(ctx: &Ctx, a: f32, xs: &[f32], ys: &mut [f32]) {
    let i = ctx.rank();
    if i < ys.len() {
        ys[i] = a * xs[i] + ys[i];
    }
}

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

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The best run of a launch by its elapsed time (GPU: by kernel time).
fn best(repeats: usize, mut launch: impl FnMut() -> LaunchReport) -> LaunchReport {
    (0..repeats)
        .map(|_| launch())
        .min_by_key(|r| r.gpu.map_or(r.elapsed, |t| t.kernel))
        .expect("at least one repeat")
}

fn gpu_line(what: &str, bytes: f64, t: GpuTimes, elapsed: Duration) {
    println!(
        "{what:<28} kernel {:>9.3} ms = {:>7.1} GB/s | upload {:>8.2} ms, download {:>8.2} ms, whole launch {:>8.2} ms",
        ms(t.kernel),
        bytes / t.kernel.as_secs_f64() / 1e9,
        ms(t.upload),
        ms(t.download),
        ms(elapsed)
    );
}

fn main() {
    let n = env("SPM_BENCH_N", 16 << 20);
    let repeats = env("SPM_BENCH_REPEATS", 5);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!("{n} elements, best of {repeats}, {threads} threads");
    let xs: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.001).collect();
    let mut ys: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let a = 2.5f32;
    let serial = Pool::serial();
    let cores = Pool::threads(threads);
    let by_hand = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon starts");
    let gpu = match std::env::var("SPM_BENCH_GPU").as_deref() {
        Ok("cuda") => Pool::gpu_cuda(0),
        Ok("vulkan") => Pool::gpu_vulkan(),
        _ => Pool::gpu(),
    };

    println!("\n== SAXPY (coarse_list), {n} elements");
    let saxpy_serial = best(repeats, || {
        Saxpy::over(n).run(&serial, (a, &xs, &mut ys)).unwrap()
    });
    println!("{:<28} {:>9.3} ms", "spm serial", ms(saxpy_serial.elapsed));
    let saxpy_cores = best(repeats, || {
        Saxpy::over(n).run(&cores, (a, &xs, &mut ys)).unwrap()
    });
    let rayon_saxpy = common::best_of(repeats, || {
        by_hand.install(|| ys.par_iter_mut().zip(&xs).for_each(|(y, x)| *y += a * x))
    });
    println!(
        "{:<28} {:>9.3} ms; hand-written rayon {:.3} ms: spm takes {:.0}% of rayon's time",
        "spm cores",
        ms(saxpy_cores.elapsed),
        ms(rayon_saxpy),
        100.0 * saxpy_cores.elapsed.as_secs_f64() / rayon_saxpy.as_secs_f64()
    );
    if let Ok(gpu) = &gpu {
        let run = best(repeats, || {
            Saxpy::over(n).run(gpu, (a, &xs, &mut ys)).unwrap()
        });
        let t = run.gpu.expect("a GPU run reports its phases");
        // Read x, read y, write y.
        gpu_line(
            &format!("spm gpu ({})", gpu.describe()),
            12.0 * n as f64,
            t,
            run.elapsed,
        );
    }

    println!("\n== work-group reduction (fine_general, groups of 256), {n} elements");
    let groups = n.div_ceil(256);
    let mut sums = vec![0.0f32; groups];
    let sum_serial = best(repeats, || {
        GroupSum::groups(groups)
            .run(&serial, (&xs, &mut sums))
            .unwrap()
    });
    println!("{:<28} {:>9.3} ms", "spm serial", ms(sum_serial.elapsed));
    let sum_cores = best(repeats, || {
        GroupSum::groups(groups)
            .run(&cores, (&xs, &mut sums))
            .unwrap()
    });
    // The same algorithm by hand: a tree in a 256-element tile per group (the same sums, to the
    // bit), and, for scale, the idiomatic sequential sum of each group.
    let rayon_tree = common::best_of(repeats, || {
        by_hand.install(|| {
            sums.par_iter_mut()
                .zip(xs.par_chunks(256))
                .for_each(|(s, chunk)| {
                    let mut tile = [0.0f32; 256];
                    tile[..chunk.len()].copy_from_slice(chunk);
                    let mut half = 128;
                    while half > 0 {
                        for r in 0..half {
                            tile[r] += tile[r + half];
                        }
                        half /= 2;
                    }
                    *s = tile[0];
                })
        })
    });
    let rayon_sum = common::best_of(repeats, || {
        by_hand.install(|| {
            sums.par_iter_mut()
                .zip(xs.par_chunks(256))
                .for_each(|(s, chunk)| *s = chunk.iter().sum())
        })
    });
    println!(
        "{:<28} {:>9.3} ms; hand-written rayon, same tree {:.3} ms: spm takes {:.0}% of rayon's time (rayon's iter().sum() per group: {:.3} ms)",
        "spm cores",
        ms(sum_cores.elapsed),
        ms(rayon_tree),
        100.0 * sum_cores.elapsed.as_secs_f64() / rayon_tree.as_secs_f64(),
        ms(rayon_sum),
    );
    if let Ok(gpu) = &gpu {
        let run = best(repeats, || {
            GroupSum::groups(groups).run(gpu, (&xs, &mut sums)).unwrap()
        });
        let t = run.gpu.expect("a GPU run reports its phases");
        gpu_line(
            &format!("spm gpu ({})", gpu.describe()),
            4.0 * n as f64,
            t,
            run.elapsed,
        );
    }
    if let Err(why) = &gpu {
        println!("\nno GPU: {why}");
    }
}
