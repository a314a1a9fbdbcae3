//! Running one attempt of a task: the user's code runs inside `catch_unwind`, and every value
//! the runtime throws away is dropped inside it too, so no panic of the user's, not even one
//! in a `Drop`, can unwind through the runtime's bookkeeping.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use crate::task::Task;
use crate::{Ctx, Outcome, TaskError};

/// Makes this attempt's copy of the task (`copy` runs the user's `Clone`), runs it once, and
/// says how the attempt ended: its value, or why not. A panic in either is the attempt's
/// failure. An attempt that returns after its deadline timed out, whatever it returned.
pub(crate) fn run<T: Task>(
    copy: impl FnOnce() -> T,
    ctx: &Ctx<T::Policy>,
    deadline: Option<Instant>,
) -> Result<T::Output, Outcome<Infallible>> {
    let result = catch_unwind(AssertUnwindSafe(|| copy().call(ctx)));
    let late = deadline.is_some_and(|d| Instant::now() > d);
    match result {
        Ok(Ok(value)) if !late => Ok(value),
        Ok(Err(error)) if !late => Err(Outcome::Failed(error)),
        Err(payload) if !late => {
            let error = TaskError::panicked(&*payload);
            discard(payload);
            Err(Outcome::Failed(error))
        }
        late => {
            discard(late);
            Err(Outcome::TimedOut)
        }
    }
}

/// As `run`, but the attempt runs on this seat's spoke process: the copy is made here, its
/// arguments cross to the spoke, and its result (or how the spoke died) comes back.
pub(crate) fn ship<T: Task>(
    copy: impl FnOnce() -> T,
    shipment: &crate::pool::processes::Shipment<'_>,
    ctx: &Ctx<T::Policy>,
) -> Result<T::Output, Outcome<Infallible>> {
    match catch_unwind(AssertUnwindSafe(copy)) {
        Ok(body) => crate::pool::processes::run(body, shipment, ctx),
        Err(payload) => {
            let error = TaskError::panicked(&*payload);
            discard(payload);
            Err(Outcome::Failed(error))
        }
    }
}

/// Drops a value of the user's that the runtime does not keep (a late result, a panic's
/// payload), containing any panic its `Drop` raises.
pub(crate) fn discard<V>(value: V) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        // Dropping this payload could panic in turn: forget it instead.
        std::mem::forget(payload);
    }
}
