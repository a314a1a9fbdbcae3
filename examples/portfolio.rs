//! A `coarse_race`: a portfolio of strategies for one problem, the first success winning.
//!
//! The problem is to find a nontrivial factor of a 64-bit number. Which strategy is fast
//! depends on the number, in ways that are hard to tell in advance:
//!
//! - trial division upward from 3 is quick only when a factor is tiny;
//! - trial division downward from √n is quick only when the two factors are close;
//! - Pollard's p−1 is quick only when p−1 has no large prime factor, for some factor p;
//! - Pollard's rho takes about ∜n steps whatever the factors, but with some luck in its seed.
//!
//! So we run them all at once and take the first answer. When one wins, the manager cancels the
//! others: they check `ctx.is_cancelled()` in their loops and stop early. A strategy that gives
//! up (p−1 without a smooth factor) fails, which does not end the race.
//!
//! Run it with `cargo run --release --example portfolio [-- balanced | close | smooth | NUMBER]`.
//! Each preset is won by a different strategy.

use std::process::ExitCode;
use std::time::Duration;

use spm::prelude::*;

/// How often, in loop iterations, the long loops check whether they were cancelled. A check is
/// cheap (an atomic load and a clock read), but not free.
const CHECK_EVERY: u64 = 1 << 14;

/// One strategy of the portfolio.
#[derive(Clone, Copy, Debug)]
enum Strategy {
    TrialUp,
    TrialDownFromSqrt,
    PollardPMinus1 { bound: u64 },
    PollardRho { seed: u64 },
}

impl Strategy {
    fn name(self) -> String {
        match self {
            Strategy::TrialUp => "trial division up from 3".into(),
            Strategy::TrialDownFromSqrt => "trial division down from sqrt(n)".into(),
            Strategy::PollardPMinus1 { bound } => format!("Pollard p-1, bound {bound}"),
            Strategy::PollardRho { seed } => format!("Pollard rho, seed {seed}"),
        }
    }
}

/// Finds a factor `f` of `n` with `1 < f < n` by `strategy`.
#[pclosure(coarse_race)]
fn factor(ctx: &Ctx, n: u64, strategy: Strategy) -> Result<u64, TaskError> {
    if n < 4 {
        return Err(TaskError::msg(format_args!("{n} has no nontrivial factor")));
    }
    if n.is_multiple_of(2) {
        return Ok(2);
    }
    match strategy {
        Strategy::TrialUp => trial_up(ctx, n),
        Strategy::TrialDownFromSqrt => trial_down(ctx, n),
        Strategy::PollardPMinus1 { bound } => pollard_p_minus_1(ctx, n, bound),
        Strategy::PollardRho { seed } => pollard_rho(ctx, n, seed),
    }
}

/// The error a strategy returns when the race no longer needs it.
fn stopped(at: impl std::fmt::Display) -> TaskError {
    TaskError::msg(format_args!("stopped at {at}: cancelled"))
}

fn trial_up(ctx: &Ctx<CoarseRace>, n: u64) -> Result<u64, TaskError> {
    let limit = n.isqrt();
    let mut d = 3;
    let mut steps: u64 = 0;
    while d <= limit {
        if n.is_multiple_of(d) {
            return Ok(d);
        }
        steps += 1;
        if steps.is_multiple_of(CHECK_EVERY) && ctx.is_cancelled() {
            return Err(stopped(format_args!("d = {d}")));
        }
        d += 2;
    }
    Err(TaskError::msg(format_args!("{n} is prime")))
}

fn trial_down(ctx: &Ctx<CoarseRace>, n: u64) -> Result<u64, TaskError> {
    // The largest odd number at most √n.
    let mut d = n.isqrt();
    if d.is_multiple_of(2) {
        d -= 1;
    }
    let mut steps: u64 = 0;
    while d >= 3 {
        if n.is_multiple_of(d) {
            return Ok(d);
        }
        steps += 1;
        if steps.is_multiple_of(CHECK_EVERY) && ctx.is_cancelled() {
            return Err(stopped(format_args!("d = {d}")));
        }
        d -= 2;
    }
    Err(TaskError::msg(format_args!("{n} is prime")))
}

/// Pollard's p−1, stage 1: `a = 2^M mod n`, where `M` is the product of every prime power up
/// to `bound`. If some factor `p` has `p−1` dividing `M`, then `p` divides `a−1`.
fn pollard_p_minus_1(ctx: &Ctx<CoarseRace>, n: u64, bound: u64) -> Result<u64, TaskError> {
    let mut a = 2;
    for (i, p) in primes_up_to(bound).into_iter().enumerate() {
        // The largest power of `p` not above `bound`.
        let mut power = p;
        while power <= bound / p {
            power *= p;
        }
        a = pow_mod(a, power, n);
        // A gcd now and then: checking too late may catch every factor at once (gcd = n).
        if i % 64 == 63 {
            if ctx.is_cancelled() {
                return Err(stopped(format_args!("prime {p}")));
            }
            match gcd(minus_one_mod(a, n), n) {
                1 => {}
                g if g == n => break,
                g => return Ok(g),
            }
        }
    }
    match gcd(minus_one_mod(a, n), n) {
        g if g > 1 && g < n => Ok(g),
        _ => Err(TaskError::msg(format_args!(
            "no factor p of {n} has p-1 free of primes above {bound}"
        ))),
    }
}

/// Pollard's rho, Brent's variant: iterates `x -> x² + seed (mod n)` until two values meet
/// modulo a factor. Gcds are batched: the differences are multiplied together and one gcd
/// taken per batch.
fn pollard_rho(ctx: &Ctx<CoarseRace>, n: u64, seed: u64) -> Result<u64, TaskError> {
    const BATCH: u64 = 128;
    let step = |x: u64| add_mod(mul_mod(x, x, n), seed % n, n);
    let (mut x, mut y, mut saved) = (seed % n, seed % n, seed % n);
    let (mut g, mut product, mut run) = (1, 1, 1);
    let mut steps: u64 = 0;
    while g == 1 {
        x = y;
        for _ in 0..run {
            y = step(y);
        }
        let mut k = 0;
        while k < run && g == 1 {
            saved = y;
            for _ in 0..BATCH.min(run - k) {
                y = step(y);
                product = mul_mod(product, x.abs_diff(y), n);
            }
            g = gcd(product, n);
            k += BATCH;
            steps += BATCH;
            if steps.is_multiple_of(CHECK_EVERY) && ctx.is_cancelled() {
                return Err(stopped(format_args!("step {steps}")));
            }
        }
        run *= 2;
    }
    if g == n {
        // The batch overshot: replay it one step at a time from where it began.
        loop {
            saved = step(saved);
            g = gcd(x.abs_diff(saved), n);
            if g > 1 {
                break;
            }
        }
    }
    if g == n {
        Err(TaskError::msg(format_args!(
            "seed {seed} cycled without separating a factor"
        )))
    } else {
        Ok(g)
    }
}

// Modular arithmetic on residues `0..n`, written so that nothing overflows even for `n` near
// `u64::MAX`.

fn add_mod(a: u64, b: u64, n: u64) -> u64 {
    if a >= n - b { a - (n - b) } else { a + b }
}

fn minus_one_mod(a: u64, n: u64) -> u64 {
    if a == 0 { n - 1 } else { a - 1 }
}

fn mul_mod(a: u64, b: u64, n: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) % u128::from(n)) as u64
}

fn pow_mod(mut base: u64, mut exp: u64, n: u64) -> u64 {
    let mut result = 1 % n;
    base %= n;
    while exp > 0 {
        if exp & 1 == 1 {
            result = mul_mod(result, base, n);
        }
        base = mul_mod(base, base, n);
        exp >>= 1;
    }
    result
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Whether `n` is prime (deterministic Miller-Rabin: these bases decide every
/// 64-bit number).
fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let (mut d, mut r) = (n - 1, 0);
    while d.is_multiple_of(2) {
        d /= 2;
        r += 1;
    }
    'bases: for a in [2_u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
        if a.is_multiple_of(n) {
            continue;
        }
        let mut x = pow_mod(a, d, n);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..r {
            x = mul_mod(x, x, n);
            if x == n - 1 {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// The primes up to `limit`, by the sieve of Eratosthenes.
fn primes_up_to(limit: u64) -> Vec<u64> {
    let limit = limit as usize;
    let mut composite = vec![false; limit + 1];
    let mut primes = Vec::new();
    for i in 2..=limit {
        if !composite[i] {
            primes.push(i as u64);
            for j in (i * i..=limit).step_by(i) {
                composite[j] = true;
            }
        }
    }
    primes
}

fn main() -> ExitCode {
    let (name, n) = match number_from_args() {
        Ok(choice) => choice,
        Err(message) => {
            eprintln!("{message}");
            eprintln!("usage: portfolio [balanced | close | smooth | NUMBER]");
            return ExitCode::from(2);
        }
    };
    match run(&name, n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portfolio: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(name: &str, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    let strategies = [
        Strategy::TrialUp,
        Strategy::TrialDownFromSqrt,
        Strategy::PollardPMinus1 { bound: 100_000 },
        Strategy::PollardRho { seed: 1 },
        Strategy::PollardRho { seed: 2 },
        Strategy::PollardRho { seed: 3 },
    ];
    // A portfolio wants every alternative running from the start: with fewer spokes than
    // strategies, the slow ones listed first would hold the spokes and the fast ones would
    // wait. So one thread per strategy, even with fewer cores (they share them).
    if n < 4 || is_prime(n) {
        return Err(format!("{n} has no nontrivial factor to race for").into());
    }
    let mut pool = Pool::threads(strategies.len());
    println!(
        "racing {} strategies to factor n = {n}{name} on {pool}",
        strategies.len()
    );

    let tasks = strategies
        .iter()
        .map(|&s| Factor::new(n, s).label(s.name()));
    let report = Factor::race(tasks)
        // Trial division of a large prime could take a while: no strategy gets more than this.
        .timeout_per_task(Duration::from_secs(20))
        .eval(&mut pool)?;
    println!("    {report}");
    for record in report.records() {
        let how = match record.outcome() {
            Outcome::Done(f) if Some(record.index()) == report.winner() => {
                format!("WON with {f}")
            }
            Outcome::Done(f) => format!("also found {f}, too late"),
            Outcome::Failed(e) => format!("failed: {e}"),
            Outcome::TimedOut => "timed out".into(),
            // A task that never started has no attempts.
            Outcome::Cancelled if record.attempts() == 0 => "cancelled before it started".into(),
            Outcome::Cancelled => "cancelled while running".into(),
            // `Outcome` is non-exhaustive: spokes that can crash add a variant.
            _ => "ended otherwise".into(),
        };
        println!("    {:<34} {how}", record.label());
    }

    let Some(winner) = report.winner() else {
        // `into_results` names every failure.
        return Err(match report.into_results() {
            Err(e) => e.into(),
            Ok(_) => "the race ended without a winner".into(),
        });
    };
    let label = report.records()[winner].label().into_owned();
    let elapsed = report.elapsed();
    let factor = report
        .into_results()?
        .into_iter()
        .next()
        .ok_or("the race was won but gave no value")?;
    if factor <= 1 || factor >= n || !n.is_multiple_of(factor) {
        return Err(format!("`{label}` claimed {factor} divides {n}, which is false").into());
    }
    println!("    winner: `{label}`");
    // `eval` returns only once every task it started has ended, so the losers really stopped.
    println!(
        "    every loser that had started has returned: the whole race took {:.3?}",
        elapsed
    );
    println!("    check: {n} = {factor} x {}", n / factor);
    Ok(())
}

/// The number to factor, and how to name it: a preset's or the user's.
fn number_from_args() -> Result<(String, u64), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let choice = match args.as_slice() {
        [] => "balanced",
        [one] => one.as_str(),
        _ => return Err("too many arguments".into()),
    };
    let preset = match choice {
        // Factors about 1e9 and 4e9, neither p-1 smooth: Pollard rho's game.
        "balanced" => Some(1_000_000_007 * 4_000_000_019),
        // Two consecutive primes near 2^31.5: sqrt(n) is a few steps from a factor.
        "close" => Some(3_037_000_453 * 3_037_000_493),
        // 4000000007 - 1 = 2 x 17 x 211 x 233 x 2393: Pollard p-1's game.
        "smooth" => Some(1_000_000_007 * 4_000_000_007),
        _ => None,
    };
    match preset {
        Some(n) => Ok((format!(" (preset `{choice}`)"), n)),
        None => choice
            .parse::<u64>()
            .map(|n| (String::new(), n))
            .map_err(|e| format!("not a preset or a number: `{choice}` ({e})")),
    }
}
