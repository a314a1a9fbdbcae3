//! Coprocess throughput: many runs of `/bin/true` as one `coarse_list` of commands, side by
//! side with `xargs -P` and GNU `parallel` on the same list, in one run.
//!
//! Run with `scripts/bench-coprocess.sh` (it installs GNU parallel from the system packages if
//! it can), or `cargo bench --bench coprocess [-- quick]`. spm runs each command with a timeout,
//! under a shim that ends everything the command starts, with its output captured: the peers
//! do none of that.

mod common;

use common::best_of;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use spm::Pool;

/// Runs `script` with `sh`, feeding it `lines` lines of input; `None` if it fails.
fn shell(script: &str, lines: usize) -> Option<()> {
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let mut input = child.stdin.take()?;
    let feed = std::thread::spawn(move || {
        let text = "x\n".repeat(lines);
        let _ = input.write_all(text.as_bytes());
    });
    let status = child.wait().ok()?;
    feed.join().ok()?;
    status.success().then_some(())
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let runs = if quick { 2_000 } else { 10_000 };
    let repeats = if quick { 2 } else { 3 };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("coprocess throughput: {runs} runs of `true`, {cores} at a time, best of {repeats}\n");

    let mut pool = Pool::threads(cores);
    let spm = best_of(repeats, || {
        let report = spm::commands(vec![vec!["true"]; runs])
            .timeout_per_task(Duration::from_secs(30))
            .eval(&mut pool)
            .expect("a pool of threads obtains its spokes");
        assert_eq!(report.done_count(), runs, "{report}");
    });
    let xargs = best_of(repeats, || {
        shell(&format!("xargs -P {cores} -n 1 true"), runs).expect("xargs runs");
    });
    let parallel_installed = Command::new("parallel")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let parallel = parallel_installed.then(|| {
        best_of(repeats, || {
            shell(&format!("parallel --will-cite -j {cores} true"), runs).expect("parallel runs");
        })
    });

    let rate = |d: Duration| runs as f64 / d.as_secs_f64();
    println!("| runner | time | runs/s | spm's throughput as a share of it |");
    println!("|---|---|---|---|");
    println!(
        "| spm `commands` (timeouts, shims, captured output) | {:.2} s | {:.0} | |",
        spm.as_secs_f64(),
        rate(spm)
    );
    println!(
        "| `xargs -P {cores} -n 1` | {:.2} s | {:.0} | {:.0}% |",
        xargs.as_secs_f64(),
        rate(xargs),
        100.0 * rate(spm) / rate(xargs)
    );
    match parallel {
        Some(parallel) => println!(
            "| GNU `parallel -j {cores}` | {:.2} s | {:.0} | {:.0}% |",
            parallel.as_secs_f64(),
            rate(parallel),
            100.0 * rate(spm) / rate(parallel)
        ),
        None => println!("| GNU `parallel` | not installed: run scripts/bench-coprocess.sh | | |"),
    }
}
