//! Evaluation of gangs: launch, and relaunch whole while launches remain.

use std::sync::Arc;

use super::{Run, conclude};
use crate::gang::{GangLaunch, Original};
use crate::hub::{Driven, drive};
use crate::outcome::FailedAttempt;
use crate::pool::Spokes;
use crate::pool::processes;
use crate::pool::threads::SeatJob;
use crate::report::{EarlyStop, TaskRecord};
use crate::task::Task;
use crate::{Error, ErrorKind, Outcome, Pool, Report};

pub(super) fn eval<T: Task + Send>(
    tasks: Vec<T>,
    run: Run,
    pool: &mut Pool,
) -> Result<Report<T::Output>, Error<T::Output>> {
    let size = tasks.len();
    if size == 0 {
        return Err(run.refuse(ErrorKind::EmptyGang, tasks));
    }
    let remote = match pool.spokes {
        Spokes::Processes(_) => {
            if let Err(unwired) = crate::spoke::wired::<T>() {
                let kind = ErrorKind::Unwired {
                    reason: unwired.to_string(),
                };
                return Err(run.refuse(kind, tasks));
            }
            Some(run.options.limits)
        }
        _ => None,
    };
    if pool.size() < size {
        let advice = match pool.spokes {
            Spokes::Serial => {
                "`Pool::serial()` runs one task at a time and cannot co-schedule a gang: use `Pool::threads(n)` with n at least the gang's size"
            }
            Spokes::Threads(_) | Spokes::Processes(_) => {
                "use a pool with at least as many spokes as the gang has members, or a smaller gang"
            }
        };
        let kind = ErrorKind::NoSpokes {
            needed: size,
            available: pool.size(),
            pool: pool.to_string(),
            advice,
        };
        return Err(run.refuse(kind, tasks));
    }
    if let Spokes::Threads(seats) | Spokes::Processes(seats) = &mut pool.spokes
        && let Err(kind) = seats.obtain(size, run.options.wait_for_spokes)
    {
        return Err(run.refuse(kind, tasks));
    }
    if let Spokes::Processes(seats) = &mut pool.spokes
        && let Err(kind) = processes::obtain(seats, &pool.gpus, size, run.options.wait_for_spokes)
    {
        return Err(run.refuse(kind, tasks));
    }

    // The members as submitted; each launch clones them on their own seats.
    let originals: Arc<[Original<T>]> = tasks.into_iter().map(Original::new).collect();
    let mut earlier: Vec<Vec<FailedAttempt>> = (0..size).map(|_| Vec::new()).collect();
    let mut abandoned = 0;
    let mut launch = 0;
    loop {
        let (board, left) = GangLaunch::new(
            Arc::clone(&originals),
            launch,
            run.options.timeout_per_task,
            Arc::clone(&run.services),
            remote,
            pool.gpus.clone(),
        );
        let driven = match &mut pool.spokes {
            Spokes::Serial => {
                // Only a gang of one gets here: run it inline.
                board.registry.expect_seat();
                let watch = board.registry.join(0);
                board.work(0, &watch);
                Driven {
                    deadline_passed: run
                        .execution_deadline()
                        .is_some_and(|d| std::time::Instant::now() >= d),
                    ..Driven::default()
                }
            }
            Spokes::Threads(seats) | Spokes::Processes(seats) => {
                let job: Arc<dyn SeatJob> = Arc::new(Arc::clone(&board));
                drive(seats, &*board, &job, size, &left, run.execution_deadline())
            }
        };
        abandoned += driven.abandoned;
        let outcomes = board.outcomes();
        let succeeded = outcomes.iter().all(Outcome::is_done);
        let last = succeeded
            || driven.deadline_passed
            || driven.spawn_error.is_some()
            || launch >= run.options.gang_retries;
        if last {
            let stop = if driven.deadline_passed {
                Some(EarlyStop::DeadlinePassed)
            } else if succeeded {
                None
            } else {
                let culprit = board
                    .culprit()
                    .or_else(|| outcomes.iter().position(Outcome::is_failure))
                    .unwrap_or(0);
                Some(EarlyStop::Halted { culprit })
            };
            let records = outcomes
                .into_iter()
                .zip(board.labels())
                .zip(earlier)
                .enumerate()
                .map(|(index, ((outcome, label), earlier))| TaskRecord {
                    index,
                    name: T::NAME,
                    label,
                    attempts: launch + 1,
                    outcome,
                    earlier,
                })
                .collect();
            let report = run.report::<_, T::Policy>(records, stop, abandoned);
            return conclude(report, &run.options, &driven);
        }
        for (history, outcome) in earlier.iter_mut().zip(outcomes) {
            history.push(FailedAttempt {
                attempt: launch,
                // A member that finished in a failed launch is relaunched with the rest.
                outcome: outcome.into_unsuccessful().unwrap_or(Outcome::Cancelled),
            });
        }
        launch += 1;
    }
}
