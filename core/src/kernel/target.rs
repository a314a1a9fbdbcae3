//! Where a launch runs: `Pool::serial()` (the `Serial` target), `Pool::threads(n)` (`Cores`),
//! or a [`GpuPool`] (`Gpu`).

use crate::kernel::gpu::GpuPool;
use crate::pool::{Pool, Spokes};

/// Something a kernel launch runs on: a [`Pool`] or a [`GpuPool`].
pub trait Target {
    /// The target, for the runtime.
    #[doc(hidden)]
    fn target(&self) -> TargetRef<'_>;
}

/// A target, as the runtime dispatches on it.
#[doc(hidden)]
pub enum TargetRef<'a> {
    Serial,
    Cores(&'a Pool),
    Gpu(&'a GpuPool),
}

impl TargetRef<'_> {
    /// The target's name in reports and errors.
    pub(crate) fn name(&self) -> String {
        match self {
            TargetRef::Serial => "serial".to_string(),
            TargetRef::Cores(pool) => format!("cores ({} threads)", pool.size()),
            TargetRef::Gpu(gpu) => format!("gpu ({})", gpu.describe()),
        }
    }
}

/// `Pool::serial()` is the `Serial` target; `Pool::threads(n)` (and `Pool::processes(n)`,
/// whose kernels run on this process's threads, since a kernel's invocations share memory)
/// is the `Cores` target with `n` threads.
impl Target for Pool {
    fn target(&self) -> TargetRef<'_> {
        match self.spokes {
            Spokes::Serial => TargetRef::Serial,
            Spokes::Threads(_) | Spokes::Processes(_) => TargetRef::Cores(self),
        }
    }
}

impl Target for GpuPool {
    fn target(&self) -> TargetRef<'_> {
        TargetRef::Gpu(self)
    }
}
