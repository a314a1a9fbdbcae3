//! What the kernel tests share: the targets to compare.

// Each test crate that includes this module uses a part of it.
#![allow(dead_code)]

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
    on_targets(|_| true, check)
}

/// Runs `check` on the targets whose basic float arithmetic is IEEE's, rounding included:
/// serial, cores, and CUDA (compiled without FMA contraction). Vulkan lets a driver divide
/// within 2.5 units in the last place and fuse a multiply and an add.
pub fn on_ieee_targets(check: impl FnOnce(&[&dyn Target])) {
    on_targets(|gpu| gpu.describe().starts_with("CUDA"), check)
}

fn on_targets(keep: impl Fn(&GpuPool) -> bool, check: impl FnOnce(&[&dyn Target])) {
    let serial = Pool::serial();
    let cores = Pool::threads(2);
    let gpus = gpus();
    let mut targets: Vec<&dyn Target> = vec![&serial, &cores];
    targets.extend(gpus.iter().filter(|g| keep(g)).map(|g| g as &dyn Target));
    check(&targets);
}
