//! What the kernel tests share: the targets to compare.

use spm::kernel::KernelError;
use spm::prelude::*;

/// The GPU targets: `Pool::gpu()`'s choice or, with `SPM_GPU_ALL=1`, every backend that opens
/// (CUDA and Vulkan on an NVIDIA machine). No GPU fails the test unless `SPM_NO_GPU_TESTS=1`.
pub fn gpus() -> Vec<GpuPool> {
    let found: Vec<Result<GpuPool, KernelError>> = if std::env::var_os("SPM_GPU_ALL").is_some() {
        vec![Pool::gpu_cuda(0), Pool::gpu_vulkan()]
    } else {
        vec![Pool::gpu()]
    };
    let mut gpus = Vec::new();
    for gpu in found {
        match gpu {
            Ok(gpu) => {
                eprintln!("GPU target: {}", gpu.describe());
                gpus.push(gpu)
            }
            Err(e) => eprintln!("not a target here: {e}"),
        }
    }
    if gpus.is_empty() && std::env::var_os("SPM_NO_GPU_TESTS").is_none() {
        panic!("no GPU (set SPM_NO_GPU_TESTS=1 to run without one)");
    }
    gpus
}

/// Runs `check` with serial first, then cores and every GPU.
pub fn on_every_target(check: impl FnOnce(&[&dyn Target])) {
    let serial = Pool::serial();
    let cores = Pool::threads(2);
    let gpus = gpus();
    let mut targets: Vec<&dyn Target> = vec![&serial, &cores];
    targets.extend(gpus.iter().map(|g| g as &dyn Target));
    check(&targets);
}
