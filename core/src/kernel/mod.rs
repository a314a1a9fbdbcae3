//! Kernels: generated tasks that run on `Serial`, `Cores` and `Gpu` targets.

mod arg;
mod error;
mod gpu;
mod spec;

pub use arg::{Arg, Buf, BufMut};
pub use error::{Disagreement, KernelError};
pub use gpu::{GpuRun, GpuTimes};
pub use spec::{KernelSpec, Param, Scalar, SharedArray};
