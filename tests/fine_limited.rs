//! `fine_limited`: tasks ask the hub (requests, the whiteboard) and the hub only replies;
//! replies and writes of an ended incarnation are dropped.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use spm::TaskErrorKind;
use spm::prelude::*;

#[pclosure(fine_limited)]
fn improve(ctx: &Ctx, cost: u64) -> Result<u64, TaskError> {
    let board = ctx.whiteboard();
    let seed: String = board.get("seeded")?.unwrap_or_default();
    assert_eq!(seed, "yes");
    let best = board.update("best", |best: Option<u64>| match best {
        Some(b) if b <= cost => None,
        _ => Some(cost),
    })?;
    Ok(best.expect("the board holds a best cost after an update"))
}

#[test]
fn the_whiteboard_is_shared_seeded_and_kept_in_the_report() {
    for mut pool in [Pool::serial(), Pool::threads(3)] {
        let costs = [40, 17, 93, 5, 61, 5, 88];
        let report = Improve::list(costs.map(Improve::new))
            .whiteboard_put("seeded", "yes")
            .eval(&mut pool)
            .unwrap();
        assert_eq!(report.whiteboard().get::<u64>("best").unwrap(), Some(5));
        assert_eq!(
            report.whiteboard().keys().collect::<Vec<_>>(),
            ["best", "seeded"]
        );
        // Each task saw a best no worse than its own cost.
        for (value, cost) in report.into_results().unwrap().into_iter().zip(costs) {
            assert!(value <= cost);
        }
    }
}

#[derive(Serialize, Deserialize)]
enum Ask {
    NextChunk,
    Done(u64),
}

#[pclosure(fine_limited)]
fn worker(ctx: &Ctx) -> Result<u64, TaskError> {
    let mut total = 0;
    loop {
        let chunk: Option<u64> = ctx.request(Ask::NextChunk)?;
        match chunk {
            Some(n) => total += n,
            None => break,
        }
    }
    let ack: Option<u64> = ctx.request(Ask::Done(total))?;
    assert_eq!(ack, None);
    Ok(total)
}

#[test]
fn the_hub_answers_requests_and_keeps_state_between_them() {
    let reported = std::sync::Arc::new(Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&reported);
    let mut next = 1_u64;
    let report = Worker::list((0..4).map(|_| Worker::new()))
        .serve(move |ask: Ask, hub| match ask {
            Ask::NextChunk if next <= 100 => {
                next += 1;
                Some(next - 1)
            }
            Ask::NextChunk => None,
            Ask::Done(total) => {
                sink.lock().unwrap().push((hub.requester().index, total));
                None
            }
        })
        .eval(&mut Pool::threads(4))
        .unwrap();
    let totals = report.into_results().unwrap();
    assert_eq!(totals.iter().sum::<u64>(), 5050);
    assert_eq!(reported.lock().unwrap().len(), 4);
}

#[pclosure(fine_limited)]
fn asks_wrongly(ctx: &Ctx) -> Result<(), TaskError> {
    let e = ctx.request::<u32, String>(7).unwrap_err();
    assert_eq!(e.kind(), TaskErrorKind::Misuse);
    Err(e)
}

#[test]
fn a_request_of_the_wrong_type_is_told_which_types_the_hub_serves() {
    // On process spokes the request and its reply cross the socket tagged by type name.
    for mut pool in [Pool::serial(), Pool::threads(1), Pool::processes(1)] {
        let report = AsksWrongly::list([AsksWrongly::new()])
            .serve(|q: String, _hub| q.len())
            .eval(&mut pool)
            .unwrap();
        let text = report.into_results().unwrap_err().to_string();
        assert!(
            text.contains(
                "the task asked with a `u32`, but the hub serves `alloc::string::String` queries"
            ),
            "{pool}: {text}"
        );

        let report = AsksWrongly::list([AsksWrongly::new()])
            .serve(|q: u32, _hub| q)
            .eval(&mut pool)
            .unwrap();
        let text = report.into_results().unwrap_err().to_string();
        assert!(
            text.contains(
                "the hub replies with a `u32`, not the `alloc::string::String` this task asked for"
            ),
            "{pool}: {text}"
        );

        let report = AsksWrongly::list([AsksWrongly::new()])
            .eval(&mut pool)
            .unwrap();
        let text = report.into_results().unwrap_err().to_string();
        assert!(
            text.contains(
                "this manager serves no requests: give it a handler with `.serve(|query, hub| reply)`"
            ),
            "{pool}: {text}"
        );
    }
}

/// What the first, timed-out incarnation saw when its reply and its write were refused.
static STALE_KINDS: Mutex<Vec<TaskErrorKind>> = Mutex::new(Vec::new());
static SERVED: AtomicU32 = AtomicU32::new(0);

#[pclosure(fine_limited)]
fn asks_slowly(ctx: &Ctx) -> Result<u32, TaskError> {
    let reply: Result<u32, TaskError> = ctx.request(ctx.attempt());
    if ctx.attempt() == 0 {
        // The hub answered after this attempt's deadline: the reply must have been dropped,
        // and the whiteboard must refuse this incarnation too.
        let mut kinds = STALE_KINDS.lock().unwrap();
        kinds.push(reply.unwrap_err().kind());
        kinds.push(
            ctx.whiteboard()
                .put("from", &"attempt 0")
                .unwrap_err()
                .kind(),
        );
        return Ok(999);
    }
    ctx.whiteboard().put("from", &"attempt 1")?;
    reply
}

#[test]
fn a_reply_to_an_ended_incarnation_is_dropped_never_delivered() {
    let report = AsksSlowly::list([AsksSlowly::new()])
        .retries(1)
        // Attempt 0 times out at 300 ms while the hub is still answering it (until 400 ms);
        // attempt 1 starts at about 300 ms and gets its own answer once the hub is free.
        .timeout_per_task(Duration::from_millis(300))
        .serve(|attempt: u32, _hub| {
            SERVED.fetch_add(1, Ordering::SeqCst);
            if attempt == 0 {
                sleep(Duration::from_millis(400));
            }
            attempt + 10
        })
        .eval(&mut Pool::threads(2))
        .unwrap();
    let record = &report.records()[0];
    assert_eq!(record.attempts(), 2);
    assert_eq!(record.outcome().done(), Some(&11));
    assert_eq!(
        report
            .whiteboard()
            .get::<String>("from")
            .unwrap()
            .as_deref(),
        Some("attempt 1")
    );
    // Let the abandoned first attempt finish its checks.
    for _ in 0..100 {
        if STALE_KINDS.lock().unwrap().len() == 2 {
            break;
        }
        sleep(Duration::from_millis(10));
    }
    assert_eq!(
        *STALE_KINDS.lock().unwrap(),
        [TaskErrorKind::Stale, TaskErrorKind::Stale]
    );
    assert_eq!(SERVED.load(Ordering::SeqCst), 2);
}
