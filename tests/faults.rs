//! Fault injection: a thousand tasks, a tenth of which misbehave at random (seeded), on each
//! kind of pool that can survive the misbehaviour. Every task must be accounted for once, with
//! the right outcome; retries must be honoured; the run must end within its deadlines; nothing
//! it started may be alive afterwards; and the hub must go on as if nothing happened.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use spm::coprocess::Status;
use spm::prelude::*;

const TASKS: u32 = 1_000;
const TIMEOUT: Duration = Duration::from_millis(300);
const MEMORY_LIMIT: u64 = 512 << 20;

/// What a task does on its first attempt (a retry always behaves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    Panic,
    Abort,
    Segfault,
    InfiniteLoop,
    Oversleep,
    Exit,
    MemoryHog,
    Orphan,
}

const FAULTS: [Fault; 8] = [
    Fault::Panic,
    Fault::Abort,
    Fault::Segfault,
    Fault::InfiniteLoop,
    Fault::Oversleep,
    Fault::Exit,
    Fault::MemoryHog,
    Fault::Orphan,
];

/// A tenth of the tasks misbehave, each in one of `kinds`, chosen by a seeded generator.
fn plan(seed: u64, kinds: &[Fault]) -> Vec<Fault> {
    let mut state = seed;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..TASKS)
        .map(|_| {
            if next() % 10 == 0 {
                kinds[(next() % kinds.len() as u64) as usize]
            } else {
                Fault::None
            }
        })
        .collect()
}

#[pclosure(coarse_list)]
fn chaos(ctx: &Ctx, index: u32, fault: u8, dir: String) -> Result<(u32, u32), TaskError> {
    // Here, so that process spokes, which run this and not the test, are quiet too.
    quiet_planted_panics();
    if ctx.attempt() == 0 {
        match FAULTS.get(usize::from(fault)) {
            None => {}
            Some(Fault::None) => {}
            Some(Fault::Panic) => panic!("task {index} panicked on purpose"),
            Some(Fault::Abort) => std::process::abort(),
            Some(Fault::Segfault) => unsafe {
                std::ptr::null_mut::<u64>().write_volatile(u64::from(index));
            },
            Some(Fault::InfiniteLoop) => loop {
                std::hint::spin_loop();
            },
            Some(Fault::Oversleep) => std::thread::sleep(TIMEOUT * 3),
            Some(Fault::Exit) => std::process::exit(1),
            Some(Fault::MemoryHog) => {
                // Address space is what the limit bounds: reserving it is enough to run out.
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    let mut block = Vec::with_capacity(32 << 20);
                    block.push(7_u8);
                    hoard.push(block);
                }
            }
            Some(Fault::Orphan) => {
                // A grandchild that ignores SIGTERM and would live a minute.
                let pid_file = Path::new(&dir).join(index.to_string());
                let script = format!(
                    "trap '' TERM; echo $$ > {}; exec sleep 60",
                    pid_file.display()
                );
                drop(
                    std::process::Command::new("sh")
                        .args(["-c", &script])
                        .spawn()?,
                );
                // Until it has written its pid (the file exists a moment before).
                while std::fs::read_to_string(&pid_file).map_or(true, |t| !t.ends_with('\n')) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
    Ok((index * 2, std::process::id()))
}

/// The planted panics are outcomes, not news: they are not printed (with `RUST_BACKTRACE=1`,
/// printing each one's backtrace would take longer than a task's deadline). Other panics are
/// printed as usual.
fn quiet_planted_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let planted = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.ends_with("panicked on purpose"));
            if !planted {
                default(info);
            }
        }));
    });
}

fn code(fault: Fault) -> u8 {
    FAULTS
        .iter()
        .position(|&f| f == fault)
        .map_or(u8::MAX, |i| i as u8)
}

/// Whether process `pid` still runs (a zombie has ended).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
        Err(_) => false,
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spm-faults-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Checks how a misbehaving task's first attempt was recorded.
fn first_attempt_matches(fault: Fault, outcome: &Outcome<std::convert::Infallible>) -> bool {
    match (fault, outcome) {
        (Fault::Panic, Outcome::Failed(e)) => e.to_string().ends_with("panicked on purpose"),
        (Fault::Abort | Fault::MemoryHog, Outcome::Crashed(c)) => {
            c.status()
                == Status::Signaled {
                    signal: libc::SIGABRT,
                    oom: false,
                }
        }
        (Fault::Segfault, Outcome::Crashed(c)) => {
            c.status()
                == Status::Signaled {
                    signal: libc::SIGSEGV,
                    oom: false,
                }
        }
        (Fault::Exit, Outcome::Crashed(c)) => c.status() == Status::Exited(1),
        (Fault::InfiniteLoop | Fault::Oversleep, Outcome::TimedOut) => true,
        _ => false,
    }
}

#[test]
fn a_thousand_tasks_a_tenth_misbehaving_on_process_spokes() {
    let plan = plan(0x5EED, &FAULTS);
    let dir = scratch("processes");
    let started = Instant::now();
    let mut pool = Pool::processes(2);
    let tasks = plan
        .iter()
        .enumerate()
        .map(|(i, &f)| Chaos::new(i as u32, code(f), dir.display().to_string()));
    let report = Chaos::list(tasks)
        .retries(1)
        .timeout_per_task(TIMEOUT)
        .memory_limit(MEMORY_LIMIT)
        .eval(&mut pool)
        .unwrap();
    let took = started.elapsed();

    // Every task accounted for once, done on its first attempt or on its retry.
    assert_eq!(report.len(), TASKS as usize);
    let mut spokes = BTreeSet::new();
    for (record, &fault) in report.records().iter().zip(&plan) {
        let (value, spoke) = *record.outcome().done().unwrap_or_else(|| {
            panic!(
                "{} ({fault:?}) did not end done: {}",
                record.label(),
                record.outcome()
            )
        });
        assert_eq!(value, record.index() as u32 * 2);
        spokes.insert(spoke);
        let retried = !matches!(fault, Fault::None | Fault::Orphan);
        assert_eq!(record.attempts(), if retried { 2 } else { 1 }, "{fault:?}");
        if retried {
            let first = record.failed_attempts()[0].outcome();
            assert!(first_attempt_matches(fault, first), "{fault:?}: {first}");
        }
    }
    // Within the deadlines: every slow fault costs at most one timeout, two spokes at a time,
    // plus generous room for the rest on a shared machine.
    let slow = plan
        .iter()
        .filter(|f| matches!(f, Fault::InfiniteLoop | Fault::Oversleep))
        .count() as u32;
    let bound = TIMEOUT * slow / 2 + Duration::from_secs(20);
    assert!(took < bound, "{took:?} against {bound:?}");

    // Nothing the run started is alive: the orphans are gone now, the spokes with their pool.
    let orphans: Vec<i32> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(
        orphans.len(),
        plan.iter().filter(|&&f| f == Fault::Orphan).count()
    );
    for pid in orphans {
        assert!(!running(pid), "orphan {pid} outlived its task");
    }
    drop(pool);
    std::thread::sleep(Duration::from_millis(100));
    for &spoke in &spokes {
        assert!(!running(spoke as i32), "spoke {spoke} outlived its pool");
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // The hub is unharmed: it goes on.
    let again = Chaos::list((0..10).map(|i| Chaos::new(i, code(Fault::None), String::new())))
        .eval(&mut Pool::processes(2))
        .unwrap();
    assert!(again.is_success());
}

#[test]
fn a_thousand_tasks_a_tenth_misbehaving_on_threads_and_serially() {
    // What a thread spoke survives: a panic, and a task that oversleeps (it is abandoned at
    // its deadline). The serial pool survives panics; it can only wait out an oversleep.
    for (mut pool, kinds) in [
        (Pool::threads(2), &[Fault::Panic, Fault::Oversleep][..]),
        (Pool::serial(), &[Fault::Panic][..]),
    ] {
        let plan = plan(0xFA17, kinds);
        let oversleepers = plan.iter().filter(|&&f| f == Fault::Oversleep).count();
        let started = Instant::now();
        let tasks = plan
            .iter()
            .enumerate()
            .map(|(i, &f)| Chaos::new(i as u32, code(f), String::new()));
        let report = Chaos::list(tasks)
            .retries(1)
            .timeout_per_task(TIMEOUT)
            .eval(&mut pool)
            .unwrap();
        assert_eq!(report.len(), TASKS as usize);
        for (record, &fault) in report.records().iter().zip(&plan) {
            assert!(
                record.outcome().is_done(),
                "{pool}: {} {fault:?}",
                record.label()
            );
            if fault != Fault::None {
                let first = record.failed_attempts()[0].outcome();
                assert!(
                    first_attempt_matches(fault, first),
                    "{pool} {fault:?}: {first}"
                );
            }
        }
        assert_eq!(report.abandoned_threads(), oversleepers, "{pool}");
        let bound = TIMEOUT * oversleepers as u32 / 2 + Duration::from_secs(10);
        assert!(started.elapsed() < bound, "{pool}: {:?}", started.elapsed());
    }
}
