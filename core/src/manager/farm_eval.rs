//! Evaluation of lists, races and singletons.

use std::sync::Arc;

use super::{DEFAULT_CRASH_LIMIT, Run, conclude};
use crate::farm::{Farm, FarmRules};
use crate::hub::{Driven, drive};
use crate::policy::Shape;
use crate::pool::Spokes;
use crate::pool::processes;
use crate::pool::threads::SeatJob;
use crate::report::EarlyStop;
use crate::task::Task;
use crate::{Error, ErrorKind, Policy, Pool, Report};

pub(super) fn eval<T: Task + Send>(
    tasks: Vec<T>,
    run: Run,
    pool: &mut Pool,
) -> Result<Report<T::Output>, Error<T::Output>> {
    let count = tasks.len();
    let seats_needed = count.min(pool.size());
    if count > 0 && seats_needed == 0 {
        let kind = ErrorKind::NoSpokes {
            needed: 1,
            available: 0,
            pool: pool.to_string(),
            advice: "give the pool at least one spoke",
        };
        return Err(run.refuse(kind, tasks));
    }
    let mut rules = FarmRules {
        retries: run.options.retries,
        default_timeout: run.options.timeout_per_task,
        halt_on_failure: run.options.halt_on_first_failure,
        race: T::Policy::SHAPE == Shape::Race,
        inline_deadline: None,
        remote: false,
        crash_limit: run.options.crash_limit.unwrap_or(DEFAULT_CRASH_LIMIT),
        limits: run.options.limits,
        gpus: pool.gpus.clone(),
    };
    if let Spokes::Processes(_) = pool.spokes {
        if let Err(unwired) = crate::spoke::wired::<T>() {
            let kind = ErrorKind::Unwired {
                reason: unwired.to_string(),
            };
            return Err(run.refuse(kind, tasks));
        }
        rules.remote = true;
    }
    let (farm, driven) = match &mut pool.spokes {
        Spokes::Serial => {
            rules.inline_deadline = run.execution_deadline();
            let (farm, _left) = Farm::new(tasks, rules, Arc::clone(&run.services));
            farm.registry.expect_seat();
            let watch = farm.registry.join(0);
            farm.work(&watch);
            let driven = Driven {
                deadline_passed: farm.early_stop() == Some(EarlyStop::DeadlinePassed),
                ..Driven::default()
            };
            (farm, driven)
        }
        Spokes::Threads(seats) | Spokes::Processes(seats) => {
            if let Err(kind) = seats.obtain(seats_needed, run.options.wait_for_spokes) {
                return Err(run.refuse(kind, tasks));
            }
            if rules.remote
                && let Err(kind) =
                    processes::obtain(seats, &pool.gpus, seats_needed, run.options.wait_for_spokes)
            {
                return Err(run.refuse(kind, tasks));
            }
            let (farm, left) = Farm::new(tasks, rules, Arc::clone(&run.services));
            let job: Arc<dyn SeatJob> = Arc::new(Arc::clone(&farm));
            let driven = drive(
                seats,
                &*farm,
                &job,
                seats_needed,
                &left,
                run.execution_deadline(),
            );
            (farm, driven)
        }
    };
    debug_assert_eq!(farm.len(), count);
    let records = farm.records(T::NAME);
    let report = run.report::<_, T::Policy>(records, farm.early_stop(), driven.abandoned);
    conclude(report, &run.options, &driven)
}
