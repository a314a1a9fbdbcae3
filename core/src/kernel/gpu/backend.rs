//! What a GPU backend does for a launch.

use std::time::Duration;

use crate::kernel::arg::Arg;
use crate::kernel::error::KernelError;
use crate::kernel::spec::KernelSpec;

/// Time a GPU launch spent in each phase.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GpuTimes {
    /// Copying the arguments to the device (and allocating there).
    pub upload: Duration,
    /// Running the kernel's dispatches, measured on the device where it can be.
    pub kernel: Duration,
    /// Copying the writable arguments back.
    pub download: Duration,
}

/// What a backend reports of one launch.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuRun {
    /// Time per phase.
    pub times: GpuTimes,
    /// The fault record the kernel left (all zero: no out-of-bounds access); see
    /// [`KernelSpec`](crate::kernel::KernelSpec).
    pub fault: [u32; 4],
}

/// A way to run generated kernels on a GPU: wgpu (Vulkan) or CUDA.
pub(crate) trait Backend: Send + Sync {
    /// The device, in words (`CUDA: NVIDIA H100 80GB HBM3`).
    fn describe(&self) -> String;

    /// Runs `groups` work-groups of `spec` over `args`, split into dispatches the device takes.
    /// `total` is the launch's count of invocations (coarse kernels) or work-groups (fine).
    /// Writable slices receive the device's result. The backend checks the work-group size and
    /// shared memory against the device's limits, and compiles each kernel once.
    fn launch(
        &self,
        spec: &'static KernelSpec,
        groups: u32,
        total: u32,
        args: &mut [Arg<'_>],
    ) -> Result<GpuRun, KernelError>;
}
