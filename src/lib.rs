//! # spm: parallel work that is correct by construction
//!
//! Parallelism is the management of a collection of serial tasks. A *policy* decides how
//! tasks are scheduled, what happens when one fails, crashes or runs past its deadline, and
//! which communication primitives they may use. In spm a policy is a type: a primitive that
//! could deadlock or hang under a policy (one that is *toxic* for it) is a compile error.
//!
//! ```
//! use spm::prelude::*;
//! use std::time::Duration;
//!
//! #[pclosure(coarse_list)]
//! fn square(ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
//!     if ctx.is_cancelled() {
//!         return Err(TaskError::msg("stopped"));
//!     }
//!     Ok(x * x)
//! }
//!
//! let mut pool = Pool::threads(2);
//! let report = Square::list((1..=4).map(Square::new))
//!     .retries(1)
//!     .timeout_per_task(Duration::from_secs(5))
//!     .eval(&mut pool)?;
//! assert_eq!(report.into_results()?, vec![1, 4, 9, 16]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A barrier in that task would not compile:
//!
//! ```compile_fail,E0277
//! use spm::prelude::*;
//!
//! #[pclosure(coarse_list)]
//! fn square(ctx: &Ctx, x: u64) -> Result<u64, TaskError> {
//!     ctx.barrier()?; // `barrier` is toxic under `CoarseList`
//!     Ok(x * x)
//! }
//! ```
//!
//! A kernel is a pclosure whose one body runs on the CPU and on GPUs ([`kernel`]):
//!
//! ```
//! use spm::prelude::*;
//!
//! #[pclosure(coarse_list, targets(serial, cores, gpu))]
//! fn double(ctx: &Ctx, xs: &mut [f32]) {
//!     let i = ctx.rank();
//!     if i < xs.len() {
//!         xs[i] = 2.0 * xs[i];
//!     }
//! }
//!
//! let mut xs = vec![1.5f32; 100];
//! Double::over(xs.len()).check(&[&Pool::serial(), &Pool::threads(2)], &mut xs)?;
//! assert!(xs.iter().all(|&x| x == 3.0));
//! # Ok::<(), KernelError>(())
//! ```
//!
//! See the README for the policies, the toxic table, kernels, the runtime's guarantees and its
//! limits.

pub use spm_core::*;
pub use spm_macros::pclosure;

/// Everything a task author needs: `use spm::prelude::*;`.
pub mod prelude {
    pub use spm_core::kernel::{GpuPool, Kernel, KernelError, Target};
    pub use spm_core::{
        CoarseList, CoarseRace, CoarseSingleton, Ctx, FineGeneral, FineLimited, Hub, Manager,
        Outcome, ParallelError, Policy, Pool, Report, TaskError,
    };
    pub use spm_macros::pclosure;
}

/// Serde, as spm uses it for whiteboard values, requests and gang messages: derive with
/// `#[derive(spm::serde::Serialize, spm::serde::Deserialize)]` and
/// `#[serde(crate = "spm::serde")]` if you do not depend on serde yourself.
pub use spm_core::__private::serde;

/// The README's examples, compiled and run as doc tests so the front door never rots.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
