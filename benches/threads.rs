//! spm on thread spokes, side by side with its peers, in one run.
//!
//! Run with `cargo bench --bench threads` (add `-- quick` for a shorter run, or name sections:
//! `-- overhead barrier`). Prints a
//! Markdown table; `docs/PERFORMANCE.md` records the figures and the machine.
//!
//! 1. Per-task overhead: 1,000,000 empty tasks as a `coarse_list` on `Pool::threads(cores)`,
//!    with a per-task timeout, against rayon's `par_iter` and a tokio `JoinSet`.
//! 2. Efficiency: 10,000 tasks of about 100 µs of CPU each, against the ideal (the same work
//!    done serially, divided by the number of spokes).
//! 3. Barrier round trip: a `fine_general` gang of two crossing 100,000 barriers, against
//!    `std::sync::Barrier` with two threads.

mod common;

use common::best_of;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use rayon::prelude::*;
use spm::prelude::*;

#[pclosure(coarse_list)]
fn empty(_ctx: &Ctx, i: u32) -> Result<u32, TaskError> {
    Ok(black_box(i))
}

/// A deterministic amount of CPU work: `rounds` steps of a xorshift generator.
fn churn(rounds: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64 ^ rounds;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

#[pclosure(coarse_list)]
fn work(_ctx: &Ctx, rounds: u64) -> Result<u64, TaskError> {
    Ok(churn(black_box(rounds)))
}

#[pclosure(fine_general)]
fn barriers(ctx: &Ctx, rounds: u32) -> Result<(), TaskError> {
    for _ in 0..rounds {
        ctx.barrier()?;
    }
    Ok(())
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let repeats = if quick { 2 } else { 5 };
    println!("spm thread-spoke benchmarks: {cores} cores, best of {repeats} runs each\n");
    println!("| measure | spm | peer | spm ÷ peer |");
    println!("|---|---|---|---|");

    // Naming sections (`overhead`, `efficiency`, `barrier`) runs only those.
    let sections: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| ["overhead", "efficiency", "barrier"].contains(&a.as_str()))
        .collect();
    let wanted = |name: &str| sections.is_empty() || sections.iter().any(|s| s == name);
    if wanted("overhead") {
        overhead(cores, repeats, if quick { 200_000 } else { 1_000_000 });
    }
    if wanted("efficiency") {
        efficiency(cores, repeats, if quick { 2_000 } else { 10_000 });
    }
    if wanted("barrier") {
        barrier(repeats, if quick { 20_000 } else { 100_000 });
    }
}

fn overhead(cores: usize, repeats: usize, n: u32) {
    let mut pool = Pool::threads(cores);
    let spm_timed = best_of(repeats, || {
        let report = Empty::list((0..n).map(Empty::new))
            .timeout_per_task(Duration::from_secs(10))
            .eval(&mut pool)
            .expect("a pool of threads obtains its spokes");
        assert_eq!(report.len(), n as usize);
        black_box(report);
    });
    let spm_plain = best_of(repeats, || {
        let report = Empty::list((0..n).map(Empty::new))
            .eval(&mut pool)
            .expect("a pool of threads obtains its spokes");
        black_box(report);
    });
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cores)
        .build()
        .expect("rayon starts its threads");
    let rayon = best_of(repeats, || {
        let out: Vec<u32> = rayon_pool.install(|| (0..n).into_par_iter().map(black_box).collect());
        black_box(out);
    });
    // One rayon job per task, like spm's one task per item; `par_iter` above batches items.
    let rayon_spawn = best_of(repeats, || {
        let out: Vec<std::sync::atomic::AtomicU32> = (0..n)
            .map(|_| std::sync::atomic::AtomicU32::new(0))
            .collect();
        rayon_pool.scope(|s| {
            for (i, slot) in out.iter().enumerate() {
                s.spawn(move |_| {
                    slot.store(black_box(i as u32), std::sync::atomic::Ordering::Relaxed)
                });
            }
        });
        black_box(out);
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .build()
        .expect("tokio starts its threads");
    let tokio = best_of(repeats, || {
        let out = runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..n {
                set.spawn(async move { black_box(i) });
            }
            let mut out = Vec::with_capacity(n as usize);
            while let Some(r) = set.join_next().await {
                out.push(r.expect("an empty task does not panic"));
            }
            out
        });
        black_box(out);
    });
    let rate = |d: Duration| format!("{:.2} M tasks/s", f64::from(n) / d.as_secs_f64() / 1e6);
    let per = |d: Duration| format!("{:.0} ns/task", d.as_nanos() as f64 / f64::from(n));
    let ratio = |a: Duration, b: Duration| format!("{:.2}", a.as_secs_f64() / b.as_secs_f64());
    println!(
        "| {n} empty tasks, per-task timeouts on: rate | {} ({}) | rayon `par_iter`: {} | {} (time) |",
        rate(spm_timed),
        per(spm_timed),
        rate(rayon),
        ratio(spm_timed, rayon)
    );
    println!(
        "| {n} empty tasks, per-task timeouts on: rate | {} ({}) | rayon `scope.spawn` per task: {} | {} (time) |",
        rate(spm_timed),
        per(spm_timed),
        rate(rayon_spawn),
        ratio(spm_timed, rayon_spawn)
    );
    println!(
        "| {n} empty tasks, per-task timeouts on: rate | {} ({}) | tokio `JoinSet`: {} | {} (time) |",
        rate(spm_timed),
        per(spm_timed),
        rate(tokio),
        ratio(spm_timed, tokio)
    );
    println!(
        "| {n} empty tasks, no timeouts: rate | {} ({}) | rayon `par_iter`: {} | {} (time) |",
        rate(spm_plain),
        per(spm_plain),
        rate(rayon),
        ratio(spm_plain, rayon)
    );
}

fn efficiency(cores: usize, repeats: usize, n: usize) {
    // Calibrate `churn` to about 100 µs on this machine.
    let mut rounds = 10_000_u64;
    loop {
        let took = best_of(3, || {
            black_box(churn(black_box(rounds)));
        });
        if took >= Duration::from_micros(100) {
            rounds = (rounds as f64 * 100e-6 / took.as_secs_f64()) as u64;
            break;
        }
        rounds *= 2;
    }
    let serial = best_of(repeats, || {
        for _ in 0..n {
            black_box(churn(black_box(rounds)));
        }
    });
    let mut pool = Pool::threads(cores);
    let spm = best_of(repeats, || {
        let report = Work::list((0..n).map(|_| Work::new(rounds)))
            .timeout_per_task(Duration::from_secs(10))
            .eval(&mut pool)
            .expect("a pool of threads obtains its spokes");
        black_box(report);
    });
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cores)
        .build()
        .expect("rayon starts its threads");
    let rayon = best_of(repeats, || {
        let out: Vec<u64> = rayon_pool.install(|| {
            (0..n)
                .into_par_iter()
                .map(|_| churn(black_box(rounds)))
                .collect()
        });
        black_box(out);
    });
    let ideal = serial.as_secs_f64() / cores as f64;
    println!(
        "| {n} tasks of {:.0} µs CPU: efficiency vs ideal (work ÷ {cores} cores) | {:.1}% ({:.3} s) | rayon: {:.1}% ({:.3} s) | {:.3} |",
        serial.as_secs_f64() / n as f64 * 1e6,
        100.0 * ideal / spm.as_secs_f64(),
        spm.as_secs_f64(),
        100.0 * ideal / rayon.as_secs_f64(),
        rayon.as_secs_f64(),
        rayon.as_secs_f64() / spm.as_secs_f64(),
    );
}

fn barrier(repeats: usize, rounds: u32) {
    let mut pool = Pool::threads(2);
    let spm = best_of(repeats, || {
        let report = Barriers::gang(2, |_| Barriers::new(rounds))
            .eval(&mut pool)
            .expect("a pool of two threads supplies a gang of two");
        assert!(report.is_success());
    });
    let std_barrier = best_of(repeats, || {
        let barrier = Arc::new(Barrier::new(2));
        let other = {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    barrier.wait();
                }
            })
        };
        for _ in 0..rounds {
            barrier.wait();
        }
        other.join().expect("the other thread only waits");
    });
    let per = |d: Duration| d.as_nanos() as f64 / f64::from(rounds);
    println!(
        "| barrier round trip, gang of 2 ({rounds} rounds) | {:.0} ns | `std::sync::Barrier`: {:.0} ns | {:.3} |",
        per(spm),
        per(std_barrier),
        per(spm) / per(std_barrier)
    );
}
