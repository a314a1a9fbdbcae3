//! What every benchmark here shares.

use std::time::{Duration, Instant};

/// The best of `repeats` timings of `f`, which the noise of a shared machine only lengthens.
pub fn best_of(repeats: usize, mut f: impl FnMut()) -> Duration {
    (0..repeats)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .expect("at least one repeat")
}
