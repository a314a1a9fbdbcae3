//! `GpuPool`: a GPU, behind CUDA or wgpu.

use std::fmt;

use super::Backend;
use super::cuda::CudaBackend;
use super::wgpu::WgpuBackend;
use crate::kernel::error::KernelError;
use crate::pool::Pool;

/// One GPU, ready to run kernels: the `Gpu` target. Made by [`Pool::gpu`],
/// [`Pool::gpu_cuda`] or [`Pool::gpu_vulkan`]; compiled kernels are kept for later launches.
pub struct GpuPool {
    pub(crate) backend: Box<dyn Backend>,
}

impl GpuPool {
    /// The device, in words: `CUDA: NVIDIA H100 80GB HBM3 (sm_90)`, `Vulkan: llvmpipe (...)`.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }
}

impl fmt::Debug for GpuPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GpuPool({})", self.describe())
    }
}

impl Pool {
    /// The first GPU found: CUDA's device 0 where the NVIDIA driver and NVRTC are installed,
    /// else the best Vulkan device (a real GPU before a software one such as Mesa's
    /// `llvmpipe`, which runs on the CPU and is accepted, its name saying so). Without either,
    /// [`KernelError::NoGpu`] says what each way lacked; nothing panics.
    pub fn gpu() -> Result<GpuPool, KernelError> {
        let mut tried = Vec::new();
        match CudaBackend::open(0) {
            Ok(backend) => {
                return Ok(GpuPool {
                    backend: Box::new(backend),
                });
            }
            Err(why) => tried.push(why),
        }
        match WgpuBackend::open() {
            Ok(backend) => {
                return Ok(GpuPool {
                    backend: Box::new(backend),
                });
            }
            Err(why) => tried.push(why),
        }
        Err(KernelError::NoGpu { tried })
    }

    /// CUDA's device `ordinal` (kernels compiled by NVRTC, FMA contraction off).
    pub fn gpu_cuda(ordinal: usize) -> Result<GpuPool, KernelError> {
        CudaBackend::open(ordinal)
            .map(|backend| GpuPool {
                backend: Box::new(backend),
            })
            .map_err(|why| KernelError::NoGpu { tried: vec![why] })
    }

    /// The best Vulkan device, through wgpu (kernels in WGSL).
    pub fn gpu_vulkan() -> Result<GpuPool, KernelError> {
        WgpuBackend::open()
            .map(|backend| GpuPool {
                backend: Box::new(backend),
            })
            .map_err(|why| KernelError::NoGpu { tried: vec![why] })
    }
}
