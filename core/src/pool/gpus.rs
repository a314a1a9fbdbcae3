//! GPUs as a resource of a pool's spokes: spoke `k` holds GPU `gpus[k % len]`, so a pool with
//! as many spokes as GPUs runs one task per device at a time, with no scheduler of its own (a
//! seat runs one attempt at a time already).

use std::fmt;
use std::sync::Arc;

use super::{Pool, Spokes, process_seats};
use crate::kernel::KernelError;

/// The CUDA environment variable that names the devices a process may see.
pub(crate) const VISIBLE_DEVICES: &str = "CUDA_VISIBLE_DEVICES";

/// The device ordinals (as the hub sees them) that a pool's spokes hold, in turn; empty when
/// the pool holds no GPU.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Gpus(Arc<[u32]>);

impl Gpus {
    pub(crate) fn new(gpus: impl IntoIterator<Item = u32>) -> Self {
        Self(gpus.into_iter().collect())
    }

    /// The GPU that pool seat `seat` holds, if the pool holds any.
    pub(crate) fn of(&self, seat: usize) -> Option<u32> {
        // `checked_rem` is None for an empty list: a pool without GPUs.
        seat.checked_rem(self.0.len()).map(|i| self.0[i])
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Gpus {
    /// As the builder call that made them: `.with_gpus([0, 1])`, nothing for none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        write!(f, ".with_gpus({:?})", &*self.0)
    }
}

impl Pool {
    /// Makes each spoke of this pool hold a GPU: spoke `k` holds `gpus[k % len]`, device
    /// ordinals as this process sees them. A pool with as many spokes as GPUs runs one task per
    /// device at a time (`Pool::serial()` has one spoke, which holds the first); an empty list
    /// holds none, as without this call.
    ///
    /// A task asks which with [`Ctx::gpu`](crate::Ctx::gpu); the coprocesses it starts get
    /// `CUDA_VISIBLE_DEVICES` set to it (unless they set it themselves), so that an external
    /// GPU program sees its device alone. On `Pool::processes(n)` the spoke processes are
    /// started with it too (spokes already running are started afresh, and a spoke that
    /// replaces a crashed one holds the same GPU).
    ///
    /// ```
    /// use spm::prelude::*;
    ///
    /// #[pclosure(coarse_list)]
    /// fn render(ctx: &Ctx, frame: u32) -> Result<String, TaskError> {
    ///     let device = ctx.coprocess("sh").args(["-c", "echo $CUDA_VISIBLE_DEVICES"]).run()?;
    ///     assert_eq!(device.stdout_text().trim(), ctx.gpu().unwrap().to_string());
    ///     Ok(format!("frame {frame} on GPU {}", ctx.gpu().unwrap()))
    /// }
    ///
    /// let mut pool = Pool::threads(2).with_gpus([0, 1]);
    /// assert_eq!(pool.to_string(), "Pool::threads(2).with_gpus([0, 1])");
    /// let report = Render::list((0..4).map(Render::new)).eval(&mut pool)?;
    /// assert_eq!(report.into_results()?.len(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_gpus(mut self, gpus: impl IntoIterator<Item = u32>) -> Pool {
        let gpus = Gpus::new(gpus);
        if gpus != self.gpus
            && let Spokes::Processes(seats) = &mut self.spokes
        {
            // A spoke process sees its device through its environment, set when it starts.
            *seats = process_seats(seats.size());
        }
        self.gpus = gpus;
        self
    }

    /// `Pool::processes(count).with_gpus(0..count)`: one spoke process per CUDA device this
    /// process sees, each seeing its own device alone, as the classic hub-and-spokes runs did.
    ///
    /// The ordinals are this process's, written as they are into `CUDA_VISIBLE_DEVICES`: where
    /// this process was itself started with `CUDA_VISIBLE_DEVICES` naming only some devices,
    /// give [`Pool::with_gpus`] the devices meant instead.
    ///
    /// # Errors
    /// [`KernelError::NoGpu`] when CUDA is not available or sees no device, saying why.
    pub fn per_gpu() -> Result<Pool, KernelError> {
        let no_gpu = |why: String| KernelError::NoGpu { tried: vec![why] };
        let count = crate::kernel::cuda_device_count().map_err(no_gpu)?;
        if count == 0 {
            return Err(no_gpu("CUDA: no CUDA device was found".to_string()));
        }
        let last = u32::try_from(count).unwrap_or(u32::MAX);
        Ok(Pool::processes(count).with_gpus(0..last))
    }
}

#[cfg(test)]
mod tests {
    use super::Gpus;

    #[test]
    fn spokes_take_the_gpus_in_turn() {
        let gpus = Gpus::new([3, 5]);
        let held: Vec<_> = (0..5).map(|seat| gpus.of(seat)).collect();
        assert_eq!(held, [Some(3), Some(5), Some(3), Some(5), Some(3)]);
        assert_eq!(Gpus::new([]).of(0), None);
        assert_eq!(gpus.to_string(), ".with_gpus([3, 5])");
        assert_eq!(Gpus::default().to_string(), "");
    }
}
