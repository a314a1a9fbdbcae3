//! GPUs: the `Gpu` target of kernels, on CUDA or on wgpu (Vulkan).

mod backend;

#[allow(unused_imports)]
pub(crate) use backend::Backend;
pub use backend::{GpuRun, GpuTimes};
