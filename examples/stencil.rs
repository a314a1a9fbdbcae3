//! A `fine_general` gang: a 1-D heat-diffusion (Jacobi) stencil split across gang members.
//!
//! A rod of `CELLS` cells sits between a hot end (1.0) and a cold end (0.0). Each step every
//! cell becomes the mean of its two neighbours; repeated, this diffuses heat until the rod
//! settles on a straight line from hot to cold. Member `r` of a gang of `N` owns one slab of
//! the rod. Each step it trades its edge cells (halos) with its neighbours by `send`/`recv`,
//! and every few steps the gang agrees, with `all_reduce`, on the largest change anywhere: all
//! members see the very same residual, so they all stop at the same step.
//!
//! The first launch of the gang loses a member partway (a simulated fault); the gang policy
//! ends the whole gang and `.gang_retries(1)` relaunches it, which the report shows.
//!
//! The result is checked against a plain serial computation of the same stencil.
//!
//! Run it with `cargo run --release --example stencil [-- MEMBERS]` (default 2).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use spm::prelude::*;

/// Interior cells of the rod.
const CELLS: usize = 120;
/// Temperatures held fixed at the two ends.
const HOT: f64 = 1.0;
const COLD: f64 = 0.0;
/// Stop when no cell changed by more than this in one step.
const TOLERANCE: f64 = 1e-7;
/// Check convergence every this many steps: an all-reduce is a gang-wide synchronisation, so
/// real codes amortise it over several steps.
const CHECK_EVERY: u64 = 10;
/// Give up (an error) after this many steps.
const MAX_STEPS: u64 = 1_000_000;
/// The largest gang the command line accepts: one thread per member, and every member takes
/// part in every step, so many more members than cores only add waiting.
const MAX_MEMBERS: usize = 16;
/// In the first launch, the last member fails at this step.
const FAULT_AT_STEP: u64 = 500;

/// What every member needs to know.
#[derive(Clone, Copy, Debug)]
struct Setup {
    cells: usize,
    tolerance: f64,
    inject_fault: bool,
}

/// One member's share of the answer.
#[derive(Debug)]
struct Slab {
    /// The member's cells, in order.
    values: Vec<f64>,
    steps: u64,
    residual: f64,
}

/// The cells `lo..hi` of the rod that member `rank` of `size` owns (slabs differ by at most
/// one cell).
fn slab_bounds(cells: usize, rank: usize, size: usize) -> (usize, usize) {
    (rank * cells / size, (rank + 1) * cells / size)
}

/// One gang member: owns a slab, trades halos each step, agrees on convergence.
#[pclosure(fine_general)]
fn member(ctx: &Ctx, setup: Setup) -> Result<Slab, TaskError> {
    let (rank, size) = (ctx.rank(), ctx.size());
    let (lo, hi) = slab_bounds(setup.cells, rank, size);
    let own = hi - lo;
    if own == 0 {
        return Err(TaskError::msg(format_args!(
            "rank {rank} owns no cell: use at most {} members",
            setup.cells
        )));
    }
    if rank == 0 {
        println!(
            "    launch (ctx.attempt() = {}): {size} members, about {own} cells each",
            ctx.attempt()
        );
    }
    let (left, right) = (rank.checked_sub(1), (rank + 1 < size).then_some(rank + 1));

    // `u[0]` and `u[own + 1]` are halos: copies of the neighbours' edge cells, or the fixed
    // ends of the rod for the first and last members.
    let mut u = vec![0.0; own + 2];
    if left.is_none() {
        u[0] = HOT;
    }
    if right.is_none() {
        u[own + 1] = COLD;
    }
    let mut next = u.clone();

    let mut steps = 0;
    loop {
        if setup.inject_fault && ctx.attempt() == 0 && right.is_none() && steps == FAULT_AT_STEP {
            return Err(TaskError::msg(format_args!(
                "rank {rank} lost its node at step {steps} (simulated fault, attempt {})",
                ctx.attempt()
            )));
        }
        // Halo exchange. Sends are buffered, so everyone sends first and then receives: no
        // member waits on a neighbour that is itself waiting.
        if let Some(l) = left {
            ctx.send(l, u[1])?;
        }
        if let Some(r) = right {
            ctx.send(r, u[own])?;
        }
        if let Some(l) = left {
            u[0] = ctx.recv::<f64>(l)?;
        }
        if let Some(r) = right {
            u[own + 1] = ctx.recv::<f64>(r)?;
        }

        let residual = jacobi_step(&u, &mut next);
        std::mem::swap(&mut u, &mut next);
        steps += 1;

        if steps.is_multiple_of(CHECK_EVERY) {
            // Every member gets the very same value, so every member takes the same branch.
            let global = ctx.all_reduce(residual, f64::max)?;
            if global <= setup.tolerance {
                return Ok(Slab {
                    values: u[1..=own].to_vec(),
                    steps,
                    residual: global,
                });
            }
            if steps >= MAX_STEPS {
                return Err(TaskError::msg(format_args!(
                    "no convergence after {steps} steps (residual {global:e})"
                )));
            }
        }
    }
}

/// One Jacobi step on the cells `1..u.len() - 1` of `u` (the first and last are halos or fixed
/// ends), written to `next`; returns the largest change.
///
/// The gang and the serial reference both call this, each cell with the same two neighbour
/// values, so they do the very same floating-point operations and agree bit for bit.
fn jacobi_step(u: &[f64], next: &mut [f64]) -> f64 {
    let mut residual: f64 = 0.0;
    for i in 1..u.len() - 1 {
        next[i] = 0.5 * (u[i - 1] + u[i + 1]);
        residual = residual.max((next[i] - u[i]).abs());
    }
    residual
}

/// The same stencil on one thread, stopping by the same rule at the same steps.
fn serial_reference(cells: usize, tolerance: f64) -> Result<(Vec<f64>, u64, f64), String> {
    let mut u = vec![0.0; cells + 2];
    u[0] = HOT;
    u[cells + 1] = COLD;
    let mut next = u.clone();
    let mut steps: u64 = 0;
    loop {
        let residual = jacobi_step(&u, &mut next);
        std::mem::swap(&mut u, &mut next);
        steps += 1;
        if steps.is_multiple_of(CHECK_EVERY) {
            if residual <= tolerance {
                return Ok((u[1..=cells].to_vec(), steps, residual));
            }
            if steps >= MAX_STEPS {
                return Err(format!("serial: no convergence after {steps} steps"));
            }
        }
    }
}

fn main() -> ExitCode {
    let members = match members_from_args() {
        Ok(n) => n,
        Err(message) => {
            eprintln!("{message}");
            eprintln!("usage: stencil [MEMBERS]   (1..={MAX_MEMBERS}, default 2)");
            return ExitCode::from(2);
        }
    };
    match run(members) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stencil: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(members: usize) -> Result<(), Box<dyn std::error::Error>> {
    // A gang is co-scheduled: one spoke per member, all at once. (`Pool::serial()` can only
    // run a gang of one, and says so.)
    let mut pool = Pool::threads(members);
    println!("heat diffusion on {CELLS} cells, gang of {members} on {pool}");

    let setup = Setup {
        cells: CELLS,
        tolerance: TOLERANCE,
        inject_fault: true,
    };
    let started = Instant::now();
    let report = Member::gang(members, |rank| {
        Member::new(setup).label(format!("slab{rank}"))
    })
    .gang_retries(1)
    .timeout_per_task(Duration::from_secs(60))
    .eval(&mut pool)?;
    let gang_time = started.elapsed();
    println!("    {report}");

    // Each member's record keeps the launches before the last.
    for record in report.records() {
        for earlier in record.failed_attempts() {
            println!(
                "    `{}` in launch {}: {}",
                record.label(),
                earlier.attempt(),
                earlier.outcome()
            );
        }
    }
    let launches = report.records().first().map_or(0, |r| r.attempts());

    // Ranks come back in order, so the slabs concatenate into the rod.
    let slabs = report.into_results()?;
    let (steps, residual) = match slabs.first() {
        Some(s) => (s.steps, s.residual),
        None => return Err("the gang returned no slab".into()),
    };
    if let Some(odd) = slabs.iter().find(|s| s.steps != steps) {
        return Err(format!(
            "members stopped at different steps: {} and {steps}",
            odd.steps
        )
        .into());
    }
    let rod: Vec<f64> = slabs.into_iter().flat_map(|s| s.values).collect();

    let started = Instant::now();
    let (expected, serial_steps, serial_residual) = serial_reference(CELLS, TOLERANCE)?;
    let serial_time = started.elapsed();

    println!(
        "    gang:   {steps} steps, residual {residual:.3e}, {gang_time:.3?} over {launches} launches"
    );
    println!("    serial: {serial_steps} steps, residual {serial_residual:.3e}, {serial_time:.3?}");
    if members > 1 {
        println!(
            "    (a rod of {CELLS} cells is too small to gain from a gang: every step waits on a\n     \
             neighbour's message; this shows the primitives, not a speed-up)"
        );
    }

    // Exact comparison: see `jacobi_step` for why the two must agree bit for bit.
    let mismatches = rod
        .iter()
        .zip(&expected)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    if rod.len() != expected.len() || steps != serial_steps || mismatches > 0 {
        return Err(format!(
            "the gang differs from the serial stencil: {} vs {} cells, {steps} vs {serial_steps} steps, {mismatches} cells differ",
            rod.len(),
            expected.len()
        )
        .into());
    }
    // And how close the rod came to the exact steady state, a straight line.
    let line_error = rod
        .iter()
        .enumerate()
        .map(|(i, t)| (t - (HOT + (COLD - HOT) * (i + 1) as f64 / (CELLS + 1) as f64)).abs())
        .fold(0.0, f64::max);
    println!("    check: gang == serial, bit for bit, in all {CELLS} cells");
    println!("    distance to the exact steady state (a straight line): {line_error:.2e}");
    Ok(())
}

/// The gang size: the first argument, or 2.
fn members_from_args() -> Result<usize, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(2),
        [n] => match n.parse::<usize>() {
            Ok(n) if (1..=MAX_MEMBERS).contains(&n) => Ok(n),
            _ => Err(format!("not a gang size: `{n}`")),
        },
        _ => Err("too many arguments".into()),
    }
}
