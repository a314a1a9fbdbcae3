//! GPUs: the `Gpu` target of kernels, on CUDA or on wgpu (Vulkan).

mod backend;
mod cuda;
mod pool;
mod wgpu;

pub(crate) use backend::Backend;
pub use backend::{GpuRun, GpuTimes};
/// How many CUDA devices this process sees, or why CUDA cannot be used (for `Pool::per_gpu`).
pub(crate) use cuda::device_count as cuda_device_count;
pub use pool::GpuPool;
