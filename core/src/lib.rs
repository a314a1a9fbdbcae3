//! Runtime of [spm](https://docs.rs/spm): policies, typed task contexts, managers, pools and
//! reports. Depend on the `spm` crate, which re-exports all of this with the `#[pclosure]`
//! attribute; this crate is its runtime half.

#![warn(missing_docs)]

mod attempt;
pub mod capability;
pub mod coprocess;
mod ctx;
mod error;
mod fabric;
mod farm;
mod gang;
mod hub;
pub mod kernel;
mod manager;
mod outcome;
mod parallel_error;
mod policy;
mod pool;
mod reexec;
mod report;
mod seat;
mod spoke;
mod task;
mod task_error;
mod whiteboard;
mod wire;

pub use coprocess::{commands, coprocess};
pub use ctx::{Ctx, CtxStaysOnItsSpoke};
pub use error::{Error, ErrorKind};
pub use hub::{Hub, Progress, Requester};
pub use manager::{DEFAULT_CRASH_LIMIT, Manager};
pub use outcome::{Crash, FailedAttempt, Outcome};
pub use parallel_error::{ParallelError, TaskFailure};
pub use policy::{CoarseList, CoarseRace, CoarseSingleton, FineGeneral, FineLimited, Policy};
pub use pool::Pool;
pub use report::{EarlyStop, Report, TaskRecord};
pub use task::{Task, TaskArg, TaskReturn};
pub use task_error::{TaskError, TaskErrorKind};
pub use whiteboard::{Whiteboard, WhiteboardSnapshot};

/// What the code `#[pclosure]` generates names, and nothing else. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::kernel::__private as kernel;
    pub use crate::spoke::{TASKS, TaskEntry};
    pub use crate::task::TaskMeta;
    pub use crate::wire::{Codec, NotSerde, Probe, ViaSerde};
    pub use linkme;
    pub use serde;

    /// Clones one task argument; generated code names the argument's type explicitly, so an
    /// argument that is not `Clone + Send + 'static` is reported on that type.
    pub fn clone_arg<A: crate::TaskArg>(arg: &A) -> A {
        arg.clone_arg()
    }
}
