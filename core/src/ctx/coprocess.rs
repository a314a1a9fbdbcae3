//! Running an external command from a task (every policy).

use std::ffi::OsStr;
use std::time::Instant;

use super::Ctx;
use crate::Policy;
use crate::coprocess::{Coprocess, TaskSide};

impl<P: Policy> TaskSide for Ctx<P> {
    fn cancelled(&self) -> bool {
        self.is_cancelled()
    }

    fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn adopt(&self, pgid: i32, running: bool) {
        self.link.adopt_group(pgid, running);
    }

    fn gpu(&self) -> Option<u32> {
        self.gpu
    }
}

impl<P: Policy> Ctx<P> {
    /// Starts building an external command that this task runs (see
    /// [`coprocess`](mod@crate::coprocess)): it is stopped, with its whole process group, when the
    /// task is cancelled or reaches its deadline, and the hub ends it should it abandon this
    /// attempt. Allowed under every policy: a command that is killed with its task leaves no
    /// partner waiting.
    ///
    /// On a pool whose spokes hold GPUs ([`Pool::with_gpus`](crate::Pool::with_gpus)), the
    /// command gets `CUDA_VISIBLE_DEVICES` set to this task's [`gpu`](Ctx::gpu), unless it
    /// sets that variable itself with `.env(..)`.
    ///
    /// ```
    /// use spm::prelude::*;
    ///
    /// #[pclosure(coarse_list)]
    /// fn word_count(ctx: &Ctx, text: String) -> Result<usize, TaskError> {
    ///     let done = ctx.coprocess("wc").arg("-w").stdin(text).run()?;
    ///     Ok(done.stdout_text().trim().parse()?)
    /// }
    ///
    /// let report = WordCount::list([WordCount::new("one two three".into())])
    ///     .eval(&mut Pool::threads(1))?;
    /// assert_eq!(report.into_value()?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn coprocess(&self, program: impl AsRef<OsStr>) -> Coprocess<'_> {
        Coprocess::for_task(program.as_ref(), self)
    }
}
