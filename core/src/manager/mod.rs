//! Managers: a policy's tasks, its options, and `eval`.

mod farm_eval;
mod gang_eval;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::capability::{
    AllowsGangRetry, AllowsHalt, AllowsServe, AllowsTaskRetry, AllowsWhiteboardPut, ManagedAsGang,
    ManagedAsList, ManagedAsRace, ManagedAsSingleton,
};
use crate::hub::{Hub, HubServices, Progress, Query, Reply};
use crate::policy::Shape;
use crate::report::{EarlyStop, TaskRecord};
use crate::seat::deadline_after;
use crate::task::{Limits, Task};
use crate::task_error::TaskErrorKind;
use crate::whiteboard::{WhiteboardStore, encode};
use crate::wire;
use crate::{Error, ErrorKind, Outcome, Policy, Pool, Report, TaskError};
use std::any::type_name;

/// How many times a task may crash its process spoke before it is not retried again.
pub const DEFAULT_CRASH_LIMIT: u32 = 2;

/// The manager options, as set by the builder methods.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    pub(crate) retries: u32,
    pub(crate) gang_retries: u32,
    pub(crate) timeout_per_task: Option<Duration>,
    pub(crate) wait_for_spokes: Option<Duration>,
    pub(crate) execution: Option<Duration>,
    pub(crate) halt_on_first_failure: bool,
    pub(crate) crash_limit: Option<u32>,
    pub(crate) limits: Limits,
}

/// A manager: the tasks of one policy and how to run them. Build it from the task type
/// (`Edge::list(..)`, `Edge::race(..)`, `edge.singleton()`, `Edge::gang(..)`), set options,
/// then call [`Manager::eval`].
#[must_use = "a manager does nothing until `.eval(&mut pool)`"]
pub struct Manager<T: Task> {
    tasks: Vec<T>,
    options: Options,
    services: HubServices,
    seeds: BTreeMap<String, serde_json::Value>,
    seed_error: Option<TaskError>,
    _policy: PhantomData<T::Policy>,
}

impl<T: Task> Manager<T> {
    fn new(tasks: Vec<T>) -> Self {
        Self {
            tasks,
            options: Options::default(),
            services: HubServices::default(),
            seeds: BTreeMap::new(),
            seed_error: None,
            _policy: PhantomData,
        }
    }

    /// A list of independent tasks; what `Task::list(..)` calls.
    #[doc(hidden)]
    pub fn list(tasks: impl IntoIterator<Item = T>) -> Self
    where
        T::Policy: ManagedAsList,
    {
        Self::new(tasks.into_iter().collect())
    }

    /// A race of alternative tasks; what `Task::race(..)` calls.
    #[doc(hidden)]
    pub fn race(tasks: impl IntoIterator<Item = T>) -> Self
    where
        T::Policy: ManagedAsRace,
    {
        Self::new(tasks.into_iter().collect())
    }

    /// One task alone; what `task.singleton()` calls.
    #[doc(hidden)]
    pub fn singleton(task: T) -> Self
    where
        T::Policy: ManagedAsSingleton,
    {
        Self::new(vec![task])
    }

    /// A gang, member `rank` being `member(rank)`; what `Task::gang(..)` calls.
    #[doc(hidden)]
    pub fn gang(size: usize, member: impl FnMut(usize) -> T) -> Self
    where
        T::Policy: ManagedAsGang,
    {
        Self::new((0..size).map(member).collect())
    }

    /// Retries each failed or timed-out task alone, up to `n` more attempts (`ctx.attempt()`
    /// counts them). The other tasks go on meanwhile.
    ///
    /// Toxic for `fine_general`: use `.gang_retries(n)`.
    pub fn retries(mut self, n: u32) -> Self
    where
        T::Policy: AllowsTaskRetry,
    {
        self.options.retries = n;
        self
    }

    /// Relaunches the whole gang, up to `n` more times, when a member fails, panics or times
    /// out. Every member of a relaunch sees the new `ctx.attempt()`. The whiteboard is kept
    /// across launches.
    ///
    /// Toxic outside `fine_general`: use `.retries(n)`.
    pub fn gang_retries(mut self, n: u32) -> Self
    where
        T::Policy: AllowsGangRetry,
    {
        self.options.gang_retries = n;
        self
    }

    /// On process spokes: a task that crashed its spoke `n` times (a segmentation fault, an
    /// abort, being killed) is not retried again, whatever `retries` allows, so a task that
    /// crashes every time cannot take down spoke after spoke. The default is
    /// [`DEFAULT_CRASH_LIMIT`]. Thread spokes do not survive crashes, so it does not apply there.
    pub fn crash_limit(mut self, n: u32) -> Self {
        self.options.crash_limit = Some(n);
        self
    }

    /// On process spokes: limits each spoke's address space (`RLIMIT_AS`, in bytes, which
    /// includes the program itself) while it runs a task, so a runaway allocation kills that
    /// spoke (its task is `Crashed`) and not the machine. A task's own `.memory_limit(..)`
    /// overrides it. Thread spokes cannot be limited: a manager with limits fails at once on
    /// them, with [`ErrorKind::LimitsNeedProcesses`].
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.options.limits.memory = Some(bytes);
        self
    }

    /// On process spokes: limits the CPU time each task may use (rounded up to whole seconds;
    /// `RLIMIT_CPU`), so a task that computes for ever is killed with `SIGXCPU` (its task is
    /// `Crashed`) even without a timeout. A task's own `.cpu_time_limit(..)` overrides it.
    pub fn cpu_time_limit(mut self, cpu_time: Duration) -> Self {
        self.options.limits.cpu_time = Some(cpu_time);
        self
    }

    /// The deadline of each attempt of a task that has no `.timeout(..)` of its own.
    pub fn timeout_per_task(mut self, timeout: Duration) -> Self {
        self.options.timeout_per_task = Some(timeout);
        self
    }

    /// How long to wait to obtain the spokes this manager needs. A pool that can never supply
    /// them (a gang larger than the pool) fails at once, whatever this says. Thread pools
    /// start their spokes in microseconds; the wait matters for spokes that take time to start.
    pub fn timeout_wait_for_spokes(mut self, wait: Duration) -> Self {
        self.options.wait_for_spokes = Some(wait);
        self
    }

    /// A hard deadline for the whole call. When it passes, `eval` returns
    /// [`ErrorKind::ExecutionTimedOut`] with the partial report: running tasks are marked
    /// `TimedOut` and told to stop (threads running them are abandoned), pending ones are
    /// `Cancelled`. On [`Pool::serial`] it is checked between tasks.
    pub fn timeout_execution(mut self, limit: Duration) -> Self {
        self.options.execution = Some(limit);
        self
    }

    /// Stops at the first task that fails for good (its retries spent): running tasks are told
    /// to stop and pending ones pruned; both are reported `Cancelled`. Results already done
    /// stay done.
    pub fn halt_on_first_failure(mut self) -> Self
    where
        T::Policy: AllowsHalt,
    {
        self.options.halt_on_first_failure = true;
        self
    }

    /// Answers the tasks' `ctx.request(query)` with `handler(query, &hub)`.
    ///
    /// The handler runs on the hub's behalf, one request at a time, on the asking spoke's
    /// thread; it may keep state between requests, read and write the whiteboard, and, for a
    /// gang, push values to members. A reply to an incarnation that ended while the handler ran
    /// is dropped.
    ///
    /// Toxic for coarse policies.
    pub fn serve<Q, R, F>(mut self, mut handler: F) -> Self
    where
        T::Policy: AllowsServe,
        Q: Serialize + DeserializeOwned + Send + 'static,
        R: Serialize + DeserializeOwned + Send + 'static,
        F: FnMut(Q, &Hub<'_, T::Policy>) -> R + Send + 'static,
    {
        let (served_query, served_reply) = (type_name::<Q>(), type_name::<R>());
        self.services.handler = Some(Mutex::new(Box::new(move |query, types, call| {
            let misuse = |message: String| TaskError::new(TaskErrorKind::Misuse, message);
            if types.query != served_query {
                return Err(misuse(format!(
                    "the task asked with a `{}`, but the hub serves `{served_query}` queries",
                    types.query
                )));
            }
            if types.reply != served_reply {
                return Err(misuse(format!(
                    "the hub replies with a `{served_reply}`, not the `{}` this task asked for: make the handler of `.serve(..)` return `{}`",
                    types.reply, types.reply
                )));
            }
            Ok(match query {
                Query::Local(query) => {
                    let query = query
                        .downcast::<Q>()
                        .map_err(|_| misuse("the query is not of its type's name".into()))?;
                    Reply::Local(Box::new(handler(*query, &Hub::new(call))))
                }
                Query::Encoded(bytes) => {
                    let query: Q = wire::decode(bytes)
                        .map_err(|e| misuse(format!("the query did not decode: {e}")))?;
                    let reply = handler(query, &Hub::new(call));
                    Reply::Encoded(
                        wire::encode(&reply)
                            .map_err(|e| misuse(format!("the reply did not encode: {e}")))?,
                    )
                }
            })
        })));
        self
    }

    /// Calls `callback` with each `ctx.progress(..)` report, on the reporting spoke's thread,
    /// one report at a time. Keep it short: the reporting task waits for it.
    pub fn on_progress(mut self, mut callback: impl FnMut(&Progress) + Send + 'static) -> Self {
        self.services.progress = Some(Mutex::new(Box::new(move |p| callback(p))));
        self
    }

    /// Writes `value` under `key` on the whiteboard before any task starts.
    ///
    /// Toxic for coarse policies (their tasks cannot read the whiteboard).
    pub fn whiteboard_put<V: Serialize + ?Sized>(mut self, key: &str, value: &V) -> Self
    where
        T::Policy: AllowsWhiteboardPut,
    {
        match encode(key, value) {
            Ok(value) => {
                self.seeds.insert(key.to_owned(), value);
            }
            Err(e) => {
                self.seed_error.get_or_insert(e);
            }
        }
        self
    }

    /// Runs the tasks on `pool` under the policy and returns the report of every task.
    ///
    /// The call returns when every task it started has ended (or was abandoned after its
    /// deadline, on threads): nothing it started still runs.
    ///
    /// The tasks must be `Send`, since spokes run them: `#[pclosure]` checks that each argument
    /// is `Clone + Send + 'static`.
    ///
    /// # Errors
    /// When the call itself could not be carried out: spokes not obtainable or not obtained in
    /// time, or the execution deadline passed. The error holds the partial report. Tasks that
    /// fail are not errors here: they are in the report.
    pub fn eval(self, pool: &mut Pool) -> Result<Report<T::Output>, Error<T::Output>>
    where
        T: Send,
    {
        let Manager {
            tasks,
            options,
            mut services,
            seeds,
            seed_error,
            _policy,
        } = self;
        let started = Instant::now();
        services.whiteboard = WhiteboardStore::with(seeds);
        let run = Run {
            options,
            services: std::sync::Arc::new(services),
            started,
        };
        if let Some(e) = seed_error {
            let kind = ErrorKind::InvalidWhiteboard {
                reason: e.to_string(),
            };
            return Err(run.refuse(kind, tasks));
        }
        let mut tasks = tasks;
        let limited =
            run.options.limits.any() || tasks.iter_mut().any(|t| t.meta_mut().limits().any());
        if limited && !matches!(pool.spokes, crate::pool::Spokes::Processes(_)) {
            let kind = ErrorKind::LimitsNeedProcesses {
                pool: pool.to_string(),
            };
            return Err(run.refuse(kind, tasks));
        }
        if T::Policy::SHAPE == Shape::Gang {
            gang_eval::eval(tasks, run, pool)
        } else {
            farm_eval::eval(tasks, run, pool)
        }
    }
}

impl<T: Task> std::fmt::Debug for Manager<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field("policy", &T::Policy::NAME)
            .field("task", &T::NAME)
            .field("tasks", &self.tasks.len())
            .field("options", &self.options)
            .finish()
    }
}

/// What every evaluation needs besides the tasks and the pool.
pub(crate) struct Run {
    pub(crate) options: Options,
    pub(crate) services: std::sync::Arc<HubServices>,
    pub(crate) started: Instant,
}

impl Run {
    pub(crate) fn execution_deadline(&self) -> Option<Instant> {
        deadline_after(self.started, self.options.execution)
    }

    /// Fails the call before any task ran: every task is `Cancelled` in the report.
    pub(crate) fn refuse<T: Task>(&self, kind: ErrorKind, tasks: Vec<T>) -> Error<T::Output> {
        let records = tasks
            .into_iter()
            .enumerate()
            .map(|(index, mut task)| TaskRecord {
                index,
                name: T::NAME,
                label: task.meta_mut().label().map(str::to_owned),
                attempts: 0,
                outcome: Outcome::Cancelled,
                earlier: Vec::new(),
            })
            .collect();
        let report = self.report::<_, T::Policy>(records, Some(EarlyStop::NoSpokes), 0);
        Error::new(kind, report)
    }

    /// The report of a call, from its records.
    pub(crate) fn report<O, P: Policy>(
        &self,
        records: Vec<TaskRecord<O>>,
        stop: Option<EarlyStop>,
        abandoned: usize,
    ) -> Report<O> {
        Report {
            policy: P::NAME,
            shape: P::SHAPE,
            records,
            stop,
            abandoned,
            elapsed: self.started.elapsed(),
            whiteboard: self.services.whiteboard.snapshot(),
        }
    }
}

/// Turns what happened on the board into the call's result.
pub(crate) fn conclude<O>(
    report: Report<O>,
    options: &Options,
    driven: &crate::hub::Driven,
) -> Result<Report<O>, Error<O>> {
    if driven.deadline_passed {
        let limit = options.execution.unwrap_or_default();
        return Err(Error::new(ErrorKind::ExecutionTimedOut { limit }, report));
    }
    if let Some(reason) = &driven.spawn_error {
        let kind = ErrorKind::SpokeStart {
            reason: reason.clone(),
        };
        return Err(Error::new(kind, report));
    }
    Ok(report)
}
