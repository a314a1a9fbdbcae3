//! A `fine_limited` branch-and-bound search: spokes share the best result so far.
//!
//! We look for the lowest point of a bumpy landscape over the integers `0..SPAN`: two smooth
//! wells plus hash noise, so the answer is deterministic but cannot be guessed. The range is
//! split into many `list` tasks. Each task walks its range in blocks; for each block a cheap
//! lower bound says how low the landscape could possibly go there, and if that is no better
//! than the best point any task has found so far, the block is skipped unseen.
//!
//! - The **whiteboard** holds the best point so far: tasks read it to prune and publish
//!   improvements with `update` (a compare-and-swap loop, so concurrent improvements never
//!   overwrite a better one). The manager seeds it with a cheap first guess.
//! - A **request** carries each task's tally (points scanned, points pruned) to the hub, whose
//!   handler keeps the books: by task, so a retried task replaces its tally instead of
//!   counting twice. One task fails once right after reporting, to show that.
//!
//! The answer is checked against an exhaustive serial scan of all `SPAN` points.
//!
//! Run it with `cargo run --release --example search [-- --serial | -- THREADS]`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use spm::prelude::*;

/// The search space: `0..SPAN`.
const SPAN: u64 = 1 << 24;
/// How many list tasks share it.
const TASKS: u64 = 64;
/// Each task bounds, and maybe prunes, its range this many points at a time.
const BLOCK: u64 = 1 << 12;
/// The wells: (centre, depth).
const WELLS: [(u64, u64); 2] = [(3_300_017, 40_000), (12_700_001, 0)];
/// The wells' curvature: a point `d` away from a centre is `d² >> CURVATURE` higher.
const CURVATURE: u32 = 16;
/// The noise adds `0..NOISE` to every point.
const NOISE: u64 = 1 << 20;
/// This task fails once, right after it reported its tally to the hub.
const FLAKY: usize = 40;

/// A point and its height. Ordered by height, then position: the answer is the lowest point,
/// the leftmost one if several are equally low.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Best {
    height: u64,
    x: u64,
}

/// What one task did with its range.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Tally {
    scanned: u64,
    pruned: u64,
    improvements: u64,
}

/// The hub's running totals over the tasks that reported.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Totals {
    tasks: u64,
    scanned: u64,
    pruned: u64,
    improvements: u64,
}

/// The landscape: the lower of two smooth wells, plus noise.
fn height(x: u64) -> u64 {
    let smooth = WELLS
        .iter()
        .map(|&(centre, depth)| (x.abs_diff(centre).pow(2) >> CURVATURE) + depth)
        .min()
        .unwrap_or(0);
    smooth + mix(x) % NOISE
}

/// A lower bound on `height` over `lo..hi` (not empty): each well is lowest at the point of
/// the block nearest its centre, and the noise is at least 0.
fn lower_bound(lo: u64, hi: u64) -> u64 {
    WELLS
        .iter()
        .map(|&(centre, depth)| {
            (centre.clamp(lo, hi - 1).abs_diff(centre).pow(2) >> CURVATURE) + depth
        })
        .min()
        .unwrap_or(0)
}

/// Scans `lo..hi` block by block, pruning with the best point on the whiteboard.
#[pclosure(fine_limited)]
fn scan(ctx: &Ctx, lo: u64, hi: u64) -> Result<Tally, TaskError> {
    let board = ctx.whiteboard();
    let mut tally = Tally::default();
    let mut block = lo;
    while block < hi {
        if ctx.is_cancelled() {
            return Err(TaskError::msg("cancelled"));
        }
        let end = (block + BLOCK).min(hi);
        // Read the best point anew for every block: another task may have improved it.
        let best: Option<Best> = board.get("best")?;
        // Every point of the block is at least (bound, block) in the order of `Best`; if the
        // best point is already that low, no point here can beat it.
        let floor = Best {
            height: lower_bound(block, end),
            x: block,
        };
        if best.is_some_and(|best| best <= floor) {
            tally.pruned += end - block;
        } else {
            let mut local = best;
            for x in block..end {
                let here = Best {
                    height: height(x),
                    x,
                };
                if local.is_none_or(|l| here < l) {
                    local = Some(here);
                }
            }
            tally.scanned += end - block;
            if let Some(found) = local.filter(|&l| Some(l) != best) {
                // Publish, unless a better point arrived meanwhile. `update` retries its
                // compare-and-swap until no other writer came in between.
                let now = board.update("best", |current: Option<Best>| match current {
                    Some(current) if current <= found => None,
                    _ => Some(found),
                })?;
                if now == Some(found) {
                    tally.improvements += 1;
                }
            }
        }
        block = end;
    }
    // Hand the tally to the hub, which keeps the books for the whole search. A request waits
    // for the reply (the running totals, not needed here), so the tally is on the books once
    // it returns.
    let _totals: Totals = ctx.request(tally)?;
    if ctx.rank() == FLAKY && ctx.attempt() == 0 {
        return Err(TaskError::msg(
            "connection lost after reporting (simulated): the retry reports again",
        ));
    }
    Ok(tally)
}

fn main() -> ExitCode {
    let mut pool = match pool_from_args() {
        Ok(pool) => pool,
        Err(message) => {
            eprintln!("{message}");
            eprintln!("usage: search [--serial | THREADS]");
            return ExitCode::from(2);
        }
    };
    match run(&mut pool) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("search: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(pool: &mut Pool) -> Result<(), Box<dyn std::error::Error>> {
    println!("branch and bound over 0..{SPAN} in {TASKS} fine_limited tasks on {pool}");

    // A cheap first guess: the better of the two well centres.
    let guess = WELLS
        .iter()
        .map(|&(x, _)| Best {
            height: height(x),
            x,
        })
        .min()
        .ok_or("no wells")?;
    println!(
        "    first guess: height {} at x = {}",
        guess.height, guess.x
    );

    // The hub's books: each task's latest tally, by index. The handler runs on the hub's
    // behalf, one request at a time, so plain mutable state is fine here.
    let mut books: BTreeMap<usize, Tally> = BTreeMap::new();
    let started = Instant::now();
    let tasks = (0..TASKS).map(|i| {
        let (lo, hi) = (i * SPAN / TASKS, (i + 1) * SPAN / TASKS);
        Scan::new(lo, hi).label(format!("scan[{lo}..{hi})"))
    });
    let report = Scan::list(tasks)
        .whiteboard_put("best", &guess)
        .serve(move |tally: Tally, hub: &Hub<FineLimited>| {
            // A retried task replaces what its earlier attempt reported.
            books.insert(hub.requester().index, tally);
            let totals = books.values().fold(Totals::default(), |t, b| Totals {
                tasks: t.tasks + 1,
                scanned: t.scanned + b.scanned,
                pruned: t.pruned + b.pruned,
                improvements: t.improvements + b.improvements,
            });
            // Serializing plain integers cannot fail; if it did, the totals would be missing
            // from the board and the check below would say so.
            let _ = hub.whiteboard().put("totals", &totals);
            totals
        })
        .retries(1)
        .timeout_per_task(Duration::from_secs(30))
        .eval(pool)?;
    let search_time = started.elapsed();
    println!("    {report}");
    for record in report.records() {
        for earlier in record.failed_attempts() {
            println!(
                "    `{}` attempt {}: {}",
                record.label(),
                earlier.attempt(),
                earlier.outcome()
            );
        }
    }

    // What the tasks and the hub left on the whiteboard.
    let board = report.whiteboard();
    let found: Best = board
        .get("best")?
        .ok_or("no best point on the whiteboard")?;
    let totals: Totals = board.get("totals")?.ok_or("the hub kept no totals")?;
    let tallies = report.into_results()?;

    println!("    best: height {} at x = {}", found.height, found.x);
    println!(
        "    scanned {} points, pruned {} ({:.1}% of the work saved), {} improvements published, {search_time:.3?}",
        totals.scanned,
        totals.pruned,
        100.0 * totals.pruned as f64 / SPAN as f64,
        totals.improvements
    );

    // The books must cover every point exactly once, the retry notwithstanding, and agree
    // with what the tasks returned.
    let returned = tallies
        .iter()
        .fold((0, 0), |(s, p), t| (s + t.scanned, p + t.pruned));
    if totals.tasks != TASKS
        || totals.scanned + totals.pruned != SPAN
        || returned != (totals.scanned, totals.pruned)
    {
        return Err(format!(
            "the hub's books are off: {totals:?}, the tasks returned {returned:?}, the space has {SPAN} points"
        )
        .into());
    }

    // The oracle: every point, one thread.
    let started = Instant::now();
    let exhaustive = (0..SPAN)
        .map(|x| Best {
            height: height(x),
            x,
        })
        .min()
        .ok_or("empty search space")?;
    println!(
        "    exhaustive serial scan: height {} at x = {}, {:.3?}",
        exhaustive.height,
        exhaustive.x,
        started.elapsed()
    );
    if found != exhaustive {
        return Err(
            format!("the search found {found:?}, the exhaustive scan {exhaustive:?}").into(),
        );
    }
    println!("    check: the pruned search found the same point as the exhaustive scan");
    Ok(())
}

/// `Pool::serial()` with `--serial`, `Pool::threads(n)` with a number, else `Pool::cores()`.
fn pool_from_args() -> Result<Pool, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(Pool::cores()),
        [flag] if flag == "--serial" => Ok(Pool::serial()),
        [n] => match n.parse::<usize>() {
            Ok(n) if n > 0 => Ok(Pool::threads(n)),
            _ => Err(format!("not a thread count: `{n}`")),
        },
        _ => Err("too many arguments".into()),
    }
}

/// A 64-bit hash (the SplitMix64 finaliser): the landscape's noise.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
