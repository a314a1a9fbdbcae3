//! GPUs: the `Gpu` target of kernels, on CUDA or on wgpu (Vulkan).

mod backend;
mod cuda;
mod pool;
mod wgpu;

pub(crate) use backend::Backend;
pub use backend::{GpuRun, GpuTimes};
pub use pool::GpuPool;
