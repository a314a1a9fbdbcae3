//! Process spokes: the same tasks as on threads, with real kills and survived crashes.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use spm::prelude::*;
use spm::{ErrorKind, coprocess::Status};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

#[pclosure(coarse_list)]
fn scale(ctx: &Ctx, p: Point, by: f64) -> Result<(Point, u32), TaskError> {
    ctx.progress(0.5);
    Ok((
        Point {
            x: p.x * by,
            y: p.y * by,
        },
        std::process::id(),
    ))
}

#[test]
fn a_list_gives_the_same_values_on_every_pool() {
    let tasks = || {
        (0..20).map(|i| {
            Scale::new(
                Point {
                    x: f64::from(i),
                    y: f64::NAN,
                },
                0.1,
            )
        })
    };
    let mut reports = Vec::new();
    for mut pool in [Pool::serial(), Pool::threads(2), Pool::processes(2)] {
        let report = Scale::list(tasks()).eval(&mut pool).unwrap();
        reports.push(report.into_results().unwrap());
    }
    let me = std::process::id();
    for (i, ((serial, threads), processes)) in reports[0]
        .iter()
        .zip(&reports[1])
        .zip(&reports[2])
        .enumerate()
    {
        assert_eq!(serial.0.x.to_bits(), processes.0.x.to_bits(), "task {i}");
        assert!(processes.0.y.is_nan());
        assert_eq!(serial.0.x.to_bits(), threads.0.x.to_bits());
        assert_eq!((serial.1, threads.1), (me, me));
        assert_ne!(processes.1, me, "task {i} ran in the hub, not in a spoke");
    }
}

#[pclosure(coarse_list)]
fn misbehave(_ctx: &Ctx, how: String) -> Result<String, TaskError> {
    match how.as_str() {
        "fine" => {}
        "error" => return Err(TaskError::msg("bad input")),
        "panic" => panic!("index out of range"),
        "abort" => std::process::abort(),
        "exit" => std::process::exit(3),
        "segfault" => unsafe {
            // A real invalid access, as a buggy native library would make.
            std::ptr::null_mut::<u64>().write_volatile(1);
        },
        "hang" => loop {
            std::hint::spin_loop();
        },
        other => return Err(TaskError::msg(format!("unknown: {other}"))),
    }
    Ok(how)
}

#[test]
fn crashes_are_outcomes_and_the_hub_survives() {
    let hows = [
        "fine", "error", "panic", "abort", "exit", "segfault", "hang", "fine",
    ];
    let started = Instant::now();
    // The timeout only has to end `hang`; it is generous so that, on a loaded machine, no
    // other task reaches it (this test runs beside many others, each with its spokes).
    let report = Misbehave::list(hows.map(|h| Misbehave::new(h.into()).label(h)))
        .timeout_per_task(Duration::from_secs(2))
        .eval(&mut Pool::processes(2))
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let outcomes: Vec<_> = report.outcomes().collect();
    assert_eq!(
        outcomes[0].done().map(String::as_str),
        Some("fine"),
        "{report}"
    );
    assert_eq!(
        outcomes[1].error().map(ToString::to_string).as_deref(),
        Some("bad input"),
        "{report}"
    );
    assert_eq!(
        outcomes[2].error().unwrap().to_string(),
        "panicked: index out of range"
    );
    let crash = |i: usize| match outcomes[i] {
        Outcome::Crashed(crash) => crash.status(),
        other => panic!("{}: {other:?}", hows[i]),
    };
    assert_eq!(
        crash(3),
        Status::Signaled {
            signal: 6,
            oom: false
        }
    );
    assert_eq!(crash(4), Status::Exited(3));
    assert_eq!(
        crash(5),
        Status::Signaled {
            signal: 11,
            oom: false
        }
    );
    assert!(matches!(outcomes[6], Outcome::TimedOut));
    assert_eq!(outcomes[7].done().map(String::as_str), Some("fine"));
    assert_eq!(
        report.abandoned_threads(),
        0,
        "a process is killed, not abandoned"
    );
    let text = report.into_results().unwrap_err().to_string();
    assert!(text.contains("`segfault` [attempt 0]: crashed: its spoke process was killed by SIGSEGV (segmentation fault)"), "{text}");
    assert!(
        text.contains("`exit` [attempt 0]: crashed: its spoke process exited with code 3"),
        "{text}"
    );
}

#[test]
fn a_task_that_keeps_crashing_stops_being_retried() {
    let report = Misbehave::list([Misbehave::new("abort".into())])
        .retries(10)
        .eval(&mut Pool::processes(1))
        .unwrap();
    let record = &report.records()[0];
    assert_eq!(record.attempts(), spm::DEFAULT_CRASH_LIMIT);
    let report = Misbehave::list([Misbehave::new("abort".into())])
        .retries(10)
        .crash_limit(4)
        .eval(&mut Pool::processes(1))
        .unwrap();
    assert_eq!(report.records()[0].attempts(), 4);
}

#[pclosure(coarse_race)]
fn contender(_ctx: &Ctx, millis: u64) -> Result<u64, TaskError> {
    // Never looks at cancellation: on a process spoke it is killed all the same.
    std::thread::sleep(Duration::from_millis(millis));
    Ok(millis)
}

#[test]
fn race_losers_are_killed_with_their_spokes() {
    let started = Instant::now();
    let report = Contender::race([Contender::new(30_000), Contender::new(50)])
        .eval(&mut Pool::processes(2))
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.winner(), Some(1));
    assert!(matches!(report.outcomes().next(), Some(Outcome::Cancelled)));
    assert_eq!(report.into_value().unwrap(), 50);
}

#[pclosure(coarse_singleton)]
fn singleton(ctx: &Ctx) -> Result<u32, TaskError> {
    Ok(ctx.attempt())
}

#[test]
fn singletons_run_on_processes_and_spokes_are_kept() {
    let mut pool = Pool::processes(1);
    for _ in 0..3 {
        let report = Singleton::new().singleton().eval(&mut pool).unwrap();
        assert_eq!(report.into_value().unwrap(), 0);
    }
}

#[pclosure(coarse_list)]
fn opaque(_ctx: &Ctx, _o: std::sync::Arc<std::sync::Mutex<u8>>) -> Result<(), TaskError> {
    Ok(())
}

#[test]
fn what_cannot_cross_is_refused_at_once_saying_why() {
    let error = Opaque::list([Opaque::new(Default::default())])
        .eval(&mut Pool::processes(1))
        .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Unwired { .. }));
    assert!(
        error
            .to_string()
            .contains("task `opaque` cannot run on process spokes: its arguments"),
        "{error}"
    );
    // The same task runs on threads.
    assert!(
        Opaque::list([Opaque::new(Default::default())])
            .eval(&mut Pool::threads(1))
            .is_ok()
    );
}

#[test]
fn progress_crosses_from_the_spoke() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    Scale::list([Scale::new(Point { x: 1.0, y: 1.0 }, 2.0)])
        .on_progress(move |p| sink.lock().unwrap().push(p.fraction))
        .eval(&mut Pool::processes(1))
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), [0.5]);
}

#[pclosure(coarse_list)]
fn hog(_ctx: &Ctx, what: String) -> Result<u64, TaskError> {
    match what.as_str() {
        "memory" => {
            let mut kept: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touch every page, as a real runaway computation would.
                kept.push(vec![1_u8; 64 << 20]);
            }
        }
        "cpu" => {
            let mut x = 1_u64;
            loop {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        _ => Ok(0),
    }
}

#[test]
fn a_runaway_task_is_stopped_by_its_spoke_limits_not_the_machine() {
    let report = Hog::list([Hog::new("memory".into()), Hog::new("fine".into())])
        .memory_limit(512 << 20)
        .eval(&mut Pool::processes(1))
        .unwrap();
    let outcomes: Vec<_> = report.outcomes().collect();
    assert!(
        matches!(outcomes[0], Outcome::Crashed(_)),
        "{:?}",
        outcomes[0]
    );
    assert!(
        outcomes[0].to_string().ends_with(
            "killed by SIGABRT (aborted), most likely out of its memory limit of 512 MiB"
        ),
        "{}",
        outcomes[0]
    );
    assert!(
        outcomes[1].is_done(),
        "the next task gets a spoke without the hog"
    );

    let started = Instant::now();
    let report = Hog::list([Hog::new("cpu".into()).cpu_time_limit(Duration::from_secs(1))])
        .eval(&mut Pool::processes(1))
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    match report.outcomes().next() {
        Some(Outcome::Crashed(crash)) => {
            assert_eq!(
                crash.status(),
                Status::Signaled {
                    signal: libc::SIGXCPU,
                    oom: false
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn limits_on_a_pool_that_cannot_enforce_them_are_refused() {
    for mut pool in [Pool::serial(), Pool::threads(1)] {
        let error = Hog::list([Hog::new("fine".into())])
            .memory_limit(1 << 30)
            .eval(&mut pool)
            .unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::LimitsNeedProcesses { .. }),
            "{error}"
        );
        let error = Hog::list([Hog::new("fine".into()).cpu_time_limit(Duration::from_secs(1))])
            .eval(&mut pool)
            .unwrap_err();
        assert!(
            error.to_string().contains("use `Pool::processes(n)`"),
            "{error}"
        );
    }
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

fn read_pid(path: &std::path::Path) -> i32 {
    for _ in 0..200 {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return pid;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no pid in {}", path.display());
}

#[pclosure(coarse_list)]
fn leaves(_ctx: &Ctx, how: String, pid_file: String) -> Result<(), TaskError> {
    let script = format!("trap '' TERM; echo $$ > {pid_file}; sleep 30");
    match how.as_str() {
        // A child the task forgets, that ignores SIGTERM.
        "child" => drop(
            std::process::Command::new("sh")
                .args(["-c", &script])
                .spawn()?,
        ),
        // A daemon: a session of its own, its parent gone.
        "daemon" => drop(
            std::process::Command::new("setsid")
                .args(["-f", "sh", "-c", &script])
                .spawn()?
                .wait(),
        ),
        _ => {}
    }
    // Give it time to write its pid.
    std::thread::sleep(Duration::from_millis(200));
    Ok(())
}

#[test]
fn nothing_a_task_started_outlives_it_on_a_process_spoke() {
    let dir = std::env::temp_dir();
    let files: Vec<String> = ["child", "daemon"]
        .iter()
        .map(|how| {
            dir.join(format!("spm-leaves-{how}-{}", std::process::id()))
                .display()
                .to_string()
        })
        .collect();
    let report = Leaves::list([
        Leaves::new("child".into(), files[0].clone()),
        Leaves::new("daemon".into(), files[1].clone()),
    ])
    .eval(&mut Pool::processes(2))
    .unwrap();
    assert!(report.is_success(), "{report}");
    for file in &files {
        let pid = read_pid(std::path::Path::new(file));
        assert!(!running(pid), "{pid} (from {file}) outlived its task");
        std::fs::remove_file(file).unwrap();
    }
}

#[pclosure(coarse_list)]
fn victim(ctx: &Ctx, pid_file: String) -> Result<u32, TaskError> {
    if ctx.attempt() == 0 {
        std::fs::write(&pid_file, std::process::id().to_string())?;
        std::thread::sleep(Duration::from_secs(30));
    }
    Ok(ctx.attempt())
}

#[test]
fn a_spoke_killed_from_outside_loses_nothing_and_its_task_reruns() {
    let file = std::env::temp_dir().join(format!("spm-victim-{}", std::process::id()));
    let killer = {
        let file = file.clone();
        std::thread::spawn(move || {
            let pid = read_pid(&file);
            // SAFETY: killing the spoke process the task runs in, as an operator would.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        })
    };
    let report = Victim::list([Victim::new(file.display().to_string())])
        .retries(1)
        .eval(&mut Pool::processes(1))
        .unwrap();
    killer.join().unwrap();
    let record = &report.records()[0];
    assert_eq!(record.outcome().done(), Some(&1));
    assert!(matches!(
        record.failed_attempts()[0].outcome(),
        Outcome::Crashed(_)
    ));
    assert!(
        record.failed_attempts()[0]
            .to_string()
            .contains("killed by SIGKILL"),
        "{}",
        record.failed_attempts()[0]
    );
    std::fs::remove_file(&file).unwrap();
}

#[derive(Clone, Debug, Serialize, Deserialize)]
enum Ask {
    Chunk,
    Report { total: u64 },
}

#[pclosure(fine_limited)]
fn collector(ctx: &Ctx) -> Result<(u64, u32), TaskError> {
    let board = ctx.whiteboard();
    let mut total = 0;
    while let Some(n) = ctx.request::<Ask, Option<u64>>(Ask::Chunk)? {
        total += n;
        board.update("largest", |largest: Option<u64>| match largest {
            Some(l) if l >= n => None,
            _ => Some(n),
        })?;
    }
    ctx.request::<Ask, Option<u64>>(Ask::Report { total })?;
    Ok((total, std::process::id()))
}

#[test]
fn fine_limited_tasks_ask_their_hub_from_process_spokes() {
    for mut pool in [Pool::threads(2), Pool::processes(2)] {
        let mut next = 0_u64;
        let reported = std::sync::Arc::new(std::sync::Mutex::new(0_u64));
        let sink = std::sync::Arc::clone(&reported);
        let report = Collector::list((0..4).map(|_| Collector::new()))
            .whiteboard_put("seeded", &true)
            .serve(move |ask: Ask, hub| match ask {
                Ask::Chunk if next < 200 => {
                    next += 1;
                    let seeded: Option<bool> = hub.whiteboard().get("seeded").unwrap();
                    assert_eq!(seeded, Some(true));
                    Some(next)
                }
                Ask::Chunk => None,
                Ask::Report { total } => {
                    *sink.lock().unwrap() += total;
                    None
                }
            })
            .eval(&mut pool)
            .unwrap();
        assert_eq!(
            report.whiteboard().get::<u64>("largest").unwrap(),
            Some(200),
            "{pool}"
        );
        let results = report.into_results().unwrap();
        assert_eq!(
            results.iter().map(|r| r.0).sum::<u64>(),
            200 * 201 / 2,
            "{pool}"
        );
        assert_eq!(*reported.lock().unwrap(), 200 * 201 / 2, "{pool}");
    }
}

#[pclosure(fine_limited)]
fn slow_to_answer(ctx: &Ctx) -> Result<u32, TaskError> {
    let reply: Result<u32, TaskError> = ctx.request(ctx.attempt());
    // An incarnation that ended while the hub answered gets no answer, and cannot write.
    let _ = ctx
        .whiteboard()
        .put("from", &format!("attempt {}", ctx.attempt()));
    reply
}

#[test]
fn a_reply_to_an_ended_incarnation_is_dropped_across_processes_too() {
    let served = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let count = std::sync::Arc::clone(&served);
    let report = SlowToAnswer::list([SlowToAnswer::new()])
        .retries(1)
        .timeout_per_task(Duration::from_millis(300))
        .serve(move |attempt: u32, _hub| {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if attempt == 0 {
                std::thread::sleep(Duration::from_millis(400));
            }
            attempt + 10
        })
        .eval(&mut Pool::processes(1))
        .unwrap();
    let record = &report.records()[0];
    assert_eq!(record.outcome().done(), Some(&11));
    assert!(matches!(
        record.failed_attempts()[0].outcome(),
        Outcome::TimedOut
    ));
    assert_eq!(
        report
            .whiteboard()
            .get::<String>("from")
            .unwrap()
            .as_deref(),
        Some("attempt 1")
    );
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// What each member of `collect` saw: a sum, a maximum, a product (at the root), a greeting and
/// the messages of a ring.
type Seen = (f64, f64, Option<f64>, String, Vec<usize>);

#[pclosure(fine_general)]
fn collect(ctx: &Ctx, base: f64) -> Result<Seen, TaskError> {
    let (me, n) = (ctx.rank(), ctx.size());
    ctx.barrier()?;
    // Floats whose sum depends on the order: every member must get the same bits.
    let sum = ctx.all_reduce(base / (me as f64 + 3.0), |a, b| a + b)?;
    let max = ctx.all_reduce(me as f64, f64::max)?;
    let product = ctx.reduce(1, me as f64 + 1.0, |a, b| a * b)?;
    let greeting = ctx.broadcast(2, (me == 2).then(|| format!("hello from {}", ctx.label())))?;
    let mut seen = Vec::new();
    for _ in 0..20 {
        ctx.send((me + 1) % n, me)?;
        seen.push(ctx.recv::<usize>((me + n - 1) % n)?);
    }
    ctx.barrier()?;
    Ok((sum, max, product, greeting, seen))
}

#[test]
fn a_gang_gives_the_same_answers_on_threads_and_on_processes() {
    let on = |mut pool: Pool| {
        Collect::gang(4, |_| Collect::new(0.1))
            .eval(&mut pool)
            .unwrap()
            .into_results()
            .unwrap()
    };
    let threads = on(Pool::threads(4));
    let processes = on(Pool::processes(4));
    for (rank, (t, p)) in threads.iter().zip(&processes).enumerate() {
        assert_eq!(t.0.to_bits(), p.0.to_bits(), "rank {rank}: all_reduce");
        assert_eq!((t.1, t.2), (p.1, p.2), "rank {rank}");
        assert_eq!(p.2, (rank == 1).then_some(24.0));
        assert_eq!(p.3, "hello from collect#2");
        assert_eq!(p.4, vec![(rank + 3) % 4; 20]);
        assert_eq!(t, p);
    }
}

#[pclosure(fine_general)]
fn fragile(ctx: &Ctx, how: String) -> Result<u32, TaskError> {
    if ctx.rank() == 1 && ctx.attempt() == 0 {
        match how.as_str() {
            "abort" => std::process::abort(),
            "hang" => loop {
                std::hint::spin_loop();
            },
            _ => return Err(TaskError::msg("rank 1 fails")),
        }
    }
    ctx.barrier()?;
    Ok(ctx.attempt())
}

#[test]
fn a_member_that_crashes_or_hangs_ends_its_gang_and_the_gang_is_relaunched() {
    for how in ["abort", "hang", "error"] {
        let started = Instant::now();
        // Only the culprit has a deadline: the others wait at the barrier until the gang breaks.
        let report = Fragile::gang(3, |rank| {
            let member = Fragile::new(how.into());
            if rank == 1 {
                member.timeout(Duration::from_millis(500))
            } else {
                member
            }
        })
        .gang_retries(1)
        .eval(&mut Pool::processes(3))
        .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{how}: {:?}",
            started.elapsed()
        );
        for record in report.records() {
            assert_eq!(record.outcome().done(), Some(&1), "{how}");
            let first = record.failed_attempts()[0].outcome();
            match (record.index(), how) {
                (1, "abort") => assert!(matches!(first, Outcome::Crashed(_)), "{first}"),
                (1, "hang") => assert!(matches!(first, Outcome::TimedOut), "{first}"),
                (1, _) => assert!(matches!(first, Outcome::Failed(_)), "{first}"),
                _ => assert!(matches!(first, Outcome::Cancelled), "{how}: {first}"),
            }
        }
        assert_eq!(
            report.abandoned_threads(),
            0,
            "{how}: killed, not abandoned"
        );
    }
}

#[pclosure(fine_general)]
fn circular(ctx: &Ctx) -> Result<u8, TaskError> {
    ctx.recv::<u8>(1 - ctx.rank())
}

#[test]
fn a_deadlock_among_process_spokes_is_reported() {
    let report = Circular::gang(2, |_| Circular::new())
        .eval(&mut Pool::processes(2))
        .unwrap();
    for outcome in report.outcomes() {
        let error = outcome
            .error()
            .unwrap_or_else(|| panic!("both fail: {outcome:?}"));
        assert_eq!(error.kind(), spm::TaskErrorKind::Deadlock, "{error}");
    }
}

#[pclosure(fine_general)]
fn wakes(ctx: &Ctx) -> Result<String, TaskError> {
    if ctx.rank() == 0 {
        let _: bool = ctx.request("wake the others".to_string())?;
    }
    ctx.recv_from_hub::<String>()
}

#[test]
fn the_hub_pushes_to_members_on_process_spokes() {
    let report = Wakes::gang(3, |_| Wakes::new())
        .serve(|ask: String, hub| {
            for rank in 0..3 {
                hub.push(rank, format!("{ask}: {rank}")).unwrap();
            }
            true
        })
        .eval(&mut Pool::processes(3))
        .unwrap();
    assert_eq!(
        report.into_results().unwrap(),
        [
            "wake the others: 0",
            "wake the others: 1",
            "wake the others: 2"
        ]
    );
}

#[test]
fn spokes_start_when_a_manager_needs_them_within_its_wait() {
    let mut pool = Pool::processes(2);
    let error = Singleton::new()
        .singleton()
        .timeout_wait_for_spokes(Duration::ZERO)
        .eval(&mut pool)
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            ErrorKind::SpokesTimedOut {
                needed: 1,
                obtained: 0,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .report()
            .outcomes()
            .all(|o| matches!(o, Outcome::Cancelled))
    );
    // Given time, the spoke starts; once started, no wait is needed.
    Singleton::new().singleton().eval(&mut pool).unwrap();
    let report = Singleton::new()
        .singleton()
        .timeout_wait_for_spokes(Duration::ZERO)
        .eval(&mut pool)
        .unwrap();
    assert_eq!(report.into_value().unwrap(), 0);
}

#[pclosure(coarse_singleton)]
fn greet(ctx: &Ctx, name: String) -> Result<String, TaskError> {
    Ok(format!(
        "{name} from {} on attempt {}",
        ctx.label(),
        ctx.attempt()
    ))
}

#[pclosure(coarse_race)]
fn pick(_ctx: &Ctx, good: bool) -> Result<String, TaskError> {
    if good {
        Ok("picked".into())
    } else {
        Err(TaskError::msg("not this one"))
    }
}

#[pclosure(fine_limited)]
fn note(ctx: &Ctx, key: String) -> Result<u32, TaskError> {
    let seed: u32 = ctx.whiteboard().get("seed")?.unwrap_or_default();
    ctx.whiteboard().put(&key, &(seed + ctx.rank() as u32))?;
    let doubled: u32 = ctx.request(seed)?;
    Ok(doubled + ctx.rank() as u32)
}

#[pclosure(fine_general)]
fn sum_ranks(ctx: &Ctx) -> Result<usize, TaskError> {
    ctx.barrier()?;
    ctx.all_reduce(ctx.rank(), |a, b| a + b)
}

/// Each policy's report, as text, on one pool: outcomes with their values, and what the
/// whiteboard kept.
fn every_policy_on(mut pool: Pool) -> Vec<String> {
    let mut seen = Vec::new();
    let report = Greet::new("hub".into())
        .label("greeting")
        .singleton()
        .eval(&mut pool)
        .unwrap();
    seen.push(format!("{:?}", report.into_results().unwrap()));
    let report = Scale::list((0..5).map(|i| {
        Scale::new(
            Point {
                x: f64::from(i),
                y: 0.5,
            },
            3.0,
        )
    }))
    .eval(&mut pool)
    .unwrap();
    let points: Vec<Point> = report
        .into_results()
        .unwrap()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    seen.push(format!("{points:?}"));
    let report = Pick::race([Pick::new(false), Pick::new(true), Pick::new(false)])
        .eval(&mut pool)
        .unwrap();
    seen.push(format!(
        "winner {:?}: {:?}",
        report.winner(),
        report.into_results().unwrap()
    ));
    let report = Note::list(["a", "b", "c"].map(|k| Note::new(k.into())))
        .whiteboard_put("seed", &20_u32)
        .serve(|seed: u32, _hub| seed * 2)
        .eval(&mut pool)
        .unwrap();
    let board: Vec<(String, u32)> = ["a", "b", "c"]
        .iter()
        .map(|k| (k.to_string(), report.whiteboard().get(k).unwrap().unwrap()))
        .collect();
    seen.push(format!("{:?} {board:?}", report.into_results().unwrap()));
    let size = pool.size().min(3);
    let report = SumRanks::gang(size, |_| SumRanks::new())
        .eval(&mut pool)
        .unwrap();
    seen.push(format!(
        "gang of {size}: {:?}",
        report.into_results().unwrap()
    ));
    seen
}

#[test]
fn every_policy_gives_the_same_report_on_every_pool() {
    let serial = every_policy_on(Pool::serial());
    let threads = every_policy_on(Pool::threads(3));
    let processes = every_policy_on(Pool::processes(3));
    assert_eq!(threads, processes);
    // The serial pool runs a gang of one only; everything else is the same.
    assert_eq!(serial[..4], threads[..4]);
    assert_eq!(serial[4], "gang of 1: [0]");
    assert_eq!(threads[4], "gang of 3: [3, 3, 3]");
    assert_eq!(threads[0], "[\"hub from greeting on attempt 0\"]");
    assert_eq!(threads[2], "winner Some(1): [\"picked\"]");
    assert_eq!(
        threads[3],
        "[40, 41, 42] [(\"a\", 20), (\"b\", 21), (\"c\", 22)]"
    );
}
