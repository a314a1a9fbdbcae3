//! Kernels: generated tasks that run on the `Serial`, `Cores` and `Gpu` targets.
//!
//! `#[pclosure(coarse_list, targets(serial, cores, gpu))]` on a function whose body is in the
//! kernel subset generates, from that one body, the CPU code and the GPU sources (WGSL for
//! wgpu, CUDA C for NVRTC); see the crate's documentation, "Kernels".

mod arg;
mod compare;
mod cpu;
mod error;
mod gpu;
#[allow(clippy::module_inception)]
mod kernel;
mod launch;
mod spec;
mod target;

pub use arg::{Arg, Buf, BufMut};
pub use error::{Disagreement, KernelError};
pub(crate) use gpu::cuda_device_count;
pub use gpu::{GpuPool, GpuRun, GpuTimes};
pub use kernel::{Kernel, KernelCtx, Targets};
pub use launch::{CheckReport, DEFAULT_ULPS, Launch, LaunchReport};
pub use spec::{KernelSpec, Param, Scalar, SharedArray};
pub use target::{Target, TargetRef};

/// What generated kernels name, and nothing else. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use super::cpu::{
        Chunk, Faults, In, Out, SharedMem, Site, View, Word, chunk_get, chunk_set, ops,
    };
}
