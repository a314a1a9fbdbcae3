//! A phased workflow: four managers, one after another, each with the policy its phase needs.
//!
//! - **A** (`coarse_singleton`): prepare a synthetic data set, a few dozen small grayscale
//!   images of bright rectangles on a noisy background, from a seed.
//! - **B** (`coarse_list`): one task per image computes its edge map (a Sobel filter) and edge
//!   statistics. One image fails on its first attempt, as a flaky input would; `.retries(..)`
//!   runs it again and the report shows both attempts.
//! - **C** (`coarse_singleton`): looks at B's statistics and *returns the tasks of phase D*:
//!   the busiest images, each wrapped in a `CountObjects` task. Work can decide what work
//!   comes next, and the result of a task may be tasks.
//! - **D** (`coarse_list`): runs those tasks: each counts the objects in its image (connected
//!   components of the bright pixels), which is checked against what phase A drew.
//!
//! Run it with `cargo run --release --example phased [-- --serial | -- THREADS]`. The program
//! depends only on the pool handle, so the same phases give the same results on one thread
//! (`--serial`) or many.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use spm::prelude::*;

/// How many images phase A draws, and their side in pixels.
const IMAGES: usize = 40;
const SIDE: usize = 96;
/// The images are a grid of `CELL`x`CELL` cells, each holding at most one rectangle, so
/// rectangles never touch and each is one connected component.
const CELL: usize = 16;
/// The image (by index) that fails on its first attempt in phase B.
const FLAKY: usize = 7;
/// A Sobel magnitude (|gx| + |gy|) above this is an edge.
const EDGE_THRESHOLD: u32 = 300;
/// A pixel brighter than this belongs to an object (the background is below 70, objects are
/// above 150, see `draw`).
const OBJECT_THRESHOLD: u8 = 110;

/// A grayscale image, and how many objects phase A drew in it (the ground truth of phase D).
#[derive(Clone, Debug)]
struct Image {
    name: String,
    side: usize,
    pixels: Vec<u8>,
    objects: usize,
}

/// What phase B learns about one image.
#[derive(Clone, Debug)]
struct EdgeStats {
    name: String,
    edge_pixels: usize,
    /// Edge pixels per pixel, in `0.0..=1.0`.
    density: f64,
}

/// What phase D learns about one image.
#[derive(Clone, Debug)]
struct ObjectCount {
    name: String,
    found: usize,
    expected: usize,
    largest_area: usize,
}

// ---------------------------------------------------------------------------------------------
// Phase A: prepare the data set.

/// Draws `count` images from `seed`: the same seed always gives the same images.
#[pclosure(coarse_singleton)]
fn prepare(ctx: &Ctx, seed: u64, count: usize, side: usize) -> Result<Vec<Image>, TaskError> {
    if side < CELL || !side.is_multiple_of(CELL) {
        return Err(TaskError::msg(format_args!(
            "image side {side} is not a positive multiple of the cell size {CELL}"
        )));
    }
    let mut rng = SplitMix64(seed);
    let mut images = Vec::with_capacity(count);
    for i in 0..count {
        if ctx.is_cancelled() {
            return Err(TaskError::msg("cancelled while drawing images"));
        }
        images.push(draw(format!("img-{i:02}"), side, &mut rng));
    }
    Ok(images)
}

/// One image: each grid cell holds a rectangle with some probability; the probability varies
/// from image to image, so some images are busy and some nearly empty.
fn draw(name: String, side: usize, rng: &mut SplitMix64) -> Image {
    // Background: dark, noisy.
    let mut pixels: Vec<u8> = (0..side * side).map(|_| 20 + rng.below(50) as u8).collect();
    let fill_percent = 10 + rng.below(70);
    let mut objects = 0;
    for cell_y in (0..side).step_by(CELL) {
        for cell_x in (0..side).step_by(CELL) {
            if rng.below(100) >= fill_percent {
                continue;
            }
            // A rectangle strictly inside the cell, with a margin of at least 2 pixels.
            let w = 4 + rng.below(CELL as u64 - 8) as usize;
            let h = 4 + rng.below(CELL as u64 - 8) as usize;
            let x0 = cell_x + 2 + rng.below((CELL - 4 - w) as u64 + 1) as usize;
            let y0 = cell_y + 2 + rng.below((CELL - 4 - h) as u64 + 1) as usize;
            for y in y0..y0 + h {
                for x in x0..x0 + w {
                    pixels[y * side + x] = 150 + rng.below(80) as u8;
                }
            }
            objects += 1;
        }
    }
    Image {
        name,
        side,
        pixels,
        objects,
    }
}

// ---------------------------------------------------------------------------------------------
// Phase B: edge statistics per image.

/// Counts the pixels whose Sobel gradient magnitude is above `threshold`.
#[pclosure(coarse_list)]
fn edges(ctx: &Ctx, image: Image, threshold: u32) -> Result<EdgeStats, TaskError> {
    // Stands for a transient fault (a network share that hiccups): the first attempt at the
    // flaky image fails, the retry succeeds.
    if ctx.rank() == FLAKY && ctx.attempt() == 0 {
        return Err(TaskError::msg(format_args!(
            "transient read error on `{}` (simulated)",
            image.name
        )));
    }
    let side = image.side;
    let px = |x: usize, y: usize| i32::from(image.pixels[y * side + x]);
    let mut edge_pixels = 0;
    for y in 1..side - 1 {
        // A coarse task cannot be killed on threads; it is told to stop instead.
        if ctx.is_cancelled() {
            return Err(TaskError::msg("cancelled"));
        }
        for x in 1..side - 1 {
            let gx = px(x + 1, y - 1) + 2 * px(x + 1, y) + px(x + 1, y + 1)
                - px(x - 1, y - 1)
                - 2 * px(x - 1, y)
                - px(x - 1, y + 1);
            let gy = px(x - 1, y + 1) + 2 * px(x, y + 1) + px(x + 1, y + 1)
                - px(x - 1, y - 1)
                - 2 * px(x, y - 1)
                - px(x + 1, y - 1);
            if gx.unsigned_abs() + gy.unsigned_abs() > threshold {
                edge_pixels += 1;
            }
        }
    }
    Ok(EdgeStats {
        name: image.name,
        edge_pixels,
        density: edge_pixels as f64 / (side * side) as f64,
    })
}

// ---------------------------------------------------------------------------------------------
// Phase C: decide what phase D does.

/// Picks the busiest half of the images (edge density at or above the median) and returns one
/// phase-D task for each, busiest first.
#[pclosure(coarse_singleton)]
fn plan(
    ctx: &Ctx,
    images: Vec<Image>,
    stats: Vec<EdgeStats>,
) -> Result<Vec<CountObjects>, TaskError> {
    if images.len() != stats.len() || images.is_empty() {
        return Err(TaskError::msg(format_args!(
            "plan needs one statistic per image, got {} images and {} statistics",
            images.len(),
            stats.len()
        )));
    }
    if ctx.is_cancelled() {
        return Err(TaskError::msg("cancelled"));
    }
    let mut densities: Vec<f64> = stats.iter().map(|s| s.density).collect();
    densities.sort_by(f64::total_cmp);
    let median = densities[densities.len() / 2];

    let mut chosen: Vec<(Image, f64)> = images
        .into_iter()
        .zip(&stats)
        .filter(|(_, s)| s.density >= median)
        .map(|(image, s)| (image, s.density))
        .collect();
    chosen.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(chosen
        .into_iter()
        .map(|(image, _)| {
            let label = format!("count:{}", image.name);
            CountObjects::new(image, OBJECT_THRESHOLD).label(label)
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Phase D: count the objects in the chosen images.

/// Counts the 4-connected components of pixels brighter than `threshold`.
#[pclosure(coarse_list)]
fn count_objects(ctx: &Ctx, image: Image, threshold: u8) -> Result<ObjectCount, TaskError> {
    let side = image.side;
    let mut seen = vec![false; side * side];
    let mut stack = Vec::new();
    let (mut found, mut largest_area) = (0, 0);
    for start in 0..side * side {
        if seen[start] || image.pixels[start] <= threshold {
            continue;
        }
        if ctx.is_cancelled() {
            return Err(TaskError::msg("cancelled"));
        }
        // Flood fill from `start` with an explicit stack (no recursion depth to worry about).
        found += 1;
        let mut area = 0;
        seen[start] = true;
        stack.push(start);
        while let Some(p) = stack.pop() {
            area += 1;
            let (x, y) = (p % side, p / side);
            let neighbours = [
                (x > 0).then(|| p - 1),
                (x + 1 < side).then(|| p + 1),
                (y > 0).then(|| p - side),
                (y + 1 < side).then(|| p + side),
            ];
            for q in neighbours.into_iter().flatten() {
                if !seen[q] && image.pixels[q] > threshold {
                    seen[q] = true;
                    stack.push(q);
                }
            }
        }
        largest_area = largest_area.max(area);
    }
    Ok(ObjectCount {
        name: image.name,
        found,
        expected: image.objects,
        largest_area,
    })
}

// ---------------------------------------------------------------------------------------------
// The workflow.

fn main() -> ExitCode {
    let mut pool = match pool_from_args() {
        Ok(pool) => pool,
        Err(message) => {
            eprintln!("{message}");
            eprintln!("usage: phased [--serial | THREADS]");
            return ExitCode::from(2);
        }
    };
    match run(&mut pool) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phased: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(pool: &mut Pool) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    println!("phased workflow on {pool}");

    // Phase A. `into_results()` turns any failure into an error that names the task and why.
    println!("\n[A] prepare (coarse_singleton)");
    let report = Prepare::new(2024, IMAGES, SIDE)
        .label("prepare")
        .singleton()
        .timeout_per_task(Duration::from_secs(10))
        .eval(pool)?;
    println!("    {report}");
    let images = report.into_value()?;
    let total_objects: usize = images.iter().map(|i| i.objects).sum();
    println!(
        "    {} images of {SIDE}x{SIDE} pixels, {total_objects} objects drawn",
        images.len()
    );

    // Phase B.
    println!("\n[B] edge statistics (coarse_list, retries 2)");
    let tasks = images.iter().map(|image| {
        Edges::new(image.clone(), EDGE_THRESHOLD).label(format!("edges:{}", image.name))
    });
    let report = Edges::list(tasks)
        .retries(2)
        .timeout_per_task(Duration::from_secs(5))
        .eval(pool)?;
    println!("    {report}");
    let mut retried = 0;
    for record in report.records() {
        for earlier in record.failed_attempts() {
            retried += 1;
            println!(
                "    `{}` attempt {}: {}; attempt {} succeeded",
                record.label(),
                earlier.attempt(),
                earlier.outcome(),
                record.attempts() - 1
            );
        }
    }
    let stats = report.into_results()?;
    if retried == 0 {
        return Err("phase B: the flaky image was not retried".into());
    }
    let mut busiest: Vec<&EdgeStats> = stats.iter().collect();
    busiest.sort_by(|a, b| b.density.total_cmp(&a.density));
    for s in busiest.iter().take(3) {
        println!(
            "    {}: {:>5} edge pixels ({:.1}%)",
            s.name,
            s.edge_pixels,
            100.0 * s.density
        );
    }
    println!("    ...");

    // Phase C: its result is the work of phase D.
    println!("\n[C] plan (coarse_singleton): which images deserve a closer look?");
    let report = Plan::new(images, stats)
        .label("plan")
        .singleton()
        .eval(pool)?;
    println!("    {report}");
    let phase_d = report.into_value()?;
    println!(
        "    chose {} of {IMAGES} images (edge density at or above the median)",
        phase_d.len()
    );

    // Phase D.
    println!("\n[D] count objects (coarse_list)");
    let report = CountObjects::list(phase_d)
        .retries(1)
        .timeout_per_task(Duration::from_secs(5))
        .eval(pool)?;
    println!("    {report}");
    let counts = report.into_results()?;
    for c in counts.iter().take(5) {
        println!(
            "    {}: {} objects (largest {} pixels)",
            c.name, c.found, c.largest_area
        );
    }
    println!("    ...");
    let wrong: Vec<String> = counts
        .iter()
        .filter(|c| c.found != c.expected)
        .map(|c| format!("{}: found {}, drew {}", c.name, c.found, c.expected))
        .collect();
    if !wrong.is_empty() {
        return Err(format!("phase D miscounted: {}", wrong.join("; ")).into());
    }
    let counted: usize = counts.iter().map(|c| c.found).sum();
    println!(
        "    check: all {} counts match what phase A drew ({counted} objects)",
        counts.len()
    );

    println!("\nall four phases succeeded in {:.3?}", started.elapsed());
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

/// A small, fast, seedable generator (SplitMix64): enough for synthetic data, and with no
/// dependency.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; the slight modulo bias does not matter here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
