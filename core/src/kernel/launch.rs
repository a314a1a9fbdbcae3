//! A launch: `count` invocations (or work-groups) of a kernel, run on one target or checked
//! across several.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::kernel::arg::Arg;
use crate::kernel::compare::{self, Outputs};
use crate::kernel::cpu::{self, Faults};
use crate::kernel::error::KernelError;
use crate::kernel::gpu::GpuTimes;
use crate::kernel::kernel::Kernel;
use crate::kernel::target::{Target, TargetRef};

/// Floats agree within this many units in the last place unless told otherwise: basic
/// arithmetic is exact on the CPU targets and CUDA (whose FMA contraction is off), Vulkan lets
/// a driver divide within 2.5 units, and `sin`, `exp` and the like differ in their last bits
/// between math libraries.
pub const DEFAULT_ULPS: u32 = 4;

/// A launch of kernel `K`, made by the generated `over(n)` / `groups(n)`.
#[must_use = "a launch does nothing until `.run(..)` or `.check(..)`"]
pub struct Launch<K> {
    count: usize,
    ulps: u32,
    kernel: PhantomData<K>,
}

/// What one run of a launch did.
#[derive(Clone, Debug)]
pub struct LaunchReport {
    /// The target: `serial`, `cores (8 threads)`, `gpu (CUDA: ...)`.
    pub target: String,
    /// Wall time of the whole launch, transfers included.
    pub elapsed: Duration,
    /// On a GPU: time per phase.
    pub gpu: Option<GpuTimes>,
}

/// What a check across targets did: one report per target, the reference first.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// Each target's run.
    pub runs: Vec<LaunchReport>,
}

impl<K: Kernel> Launch<K> {
    /// `count` invocations (coarse kernels) or work-groups (fine kernels).
    pub fn new(count: usize) -> Self {
        Self {
            count,
            ulps: DEFAULT_ULPS,
            kernel: PhantomData,
        }
    }

    /// For [`check`](Self::check): floats agree when at most `ulps` units in the last place
    /// apart (default [`DEFAULT_ULPS`]; 0 asks for identical bits). Integers must be equal.
    pub fn tolerance(mut self, ulps: u32) -> Self {
        self.ulps = ulps;
        self
    }

    /// Runs the launch on `target`; writable slices receive the result.
    pub fn run(
        &self,
        target: &(impl Target + ?Sized),
        args: K::Args<'_>,
    ) -> Result<LaunchReport, KernelError> {
        let mut args = K::args(args);
        self.run_on(target.target(), &mut args)
    }

    /// Runs the launch on every target, from the same arguments, and compares their writable
    /// slices with the first target's (the reference: usually `Pool::serial()`). When they
    /// agree, the reference's results are written into the arguments; otherwise the error
    /// says which target differs, where, and by how much, and the arguments are unchanged.
    pub fn check(
        &self,
        targets: &[&dyn Target],
        args: K::Args<'_>,
    ) -> Result<CheckReport, KernelError> {
        if targets.len() < 2 {
            return Err(KernelError::TooFewTargets {
                given: targets.len(),
            });
        }
        let mut args = K::args(args);
        let mut runs = Vec::new();
        let mut reference: Option<(String, Outputs)> = None;
        for target in targets {
            let target = target.target();
            let mut outputs = Outputs::copy(&args);
            let mut copy = outputs.args(&args);
            let report = self.run_on(target, &mut copy)?;
            drop(copy);
            match &reference {
                None => reference = Some((report.target.clone(), outputs)),
                Some((name, expected)) => {
                    if let Some(difference) = compare::first_difference(
                        K::SPEC,
                        expected,
                        &outputs,
                        self.ulps,
                        name,
                        &report.target,
                    ) {
                        return Err(KernelError::Disagree(Box::new(difference)));
                    }
                }
            }
            runs.push(report);
        }
        let (_, outputs) = reference.expect("at least two targets ran");
        outputs.write_into(&mut args);
        Ok(CheckReport { runs })
    }

    fn run_on(
        &self,
        target: TargetRef<'_>,
        args: &mut [Arg<'_>],
    ) -> Result<LaunchReport, KernelError> {
        let spec = K::SPEC;
        let name = target.name();
        let declared = match target {
            TargetRef::Serial => K::TARGETS.serial,
            TargetRef::Cores(_) => K::TARGETS.cores,
            TargetRef::Gpu(_) => K::TARGETS.gpu,
        };
        if !declared {
            return Err(KernelError::TargetNotDeclared {
                kernel: spec.name,
                target: name,
            });
        }
        let (unit, limit) = if spec.fine {
            ("work-groups", u64::from(u32::MAX))
        } else {
            ("invocations", u64::from(u32::MAX))
        };
        let total = u32::try_from(self.count).map_err(|_| KernelError::LaunchTooLarge {
            kernel: spec.name,
            asked: self.count as u64,
            unit,
            limit,
        })?;
        for (param, arg) in spec.params.iter().zip(args.iter()) {
            if let Some(len) = arg.slice_len()
                && u32::try_from(len).is_err()
            {
                return Err(KernelError::SliceTooLong {
                    kernel: spec.name,
                    name: param.name(),
                    len,
                });
            }
        }
        let (groups, cpu_groups) = if spec.fine {
            (total, total)
        } else {
            (
                total.div_ceil(spec.group_size),
                total.div_ceil(spec.cpu_group_size),
            )
        };
        let start = Instant::now();
        let (fault, gpu) = match target {
            TargetRef::Serial => {
                let faults = Faults::default();
                let (views, parts) = cpu::views(spec, args);
                let mut mine = Vec::with_capacity(parts.count());
                for group in 0..cpu_groups {
                    // SAFETY: one group at a time, and `mine` is refilled for the next.
                    unsafe { parts.fill(group, &mut mine) };
                    K::run_group(&views, &mut mine, group, total, &faults);
                }
                (faults.words(), None)
            }
            TargetRef::Cores(pool) => {
                let threads = pool.kernel_threads().map_err(|why| KernelError::Unusable {
                    target: name.clone(),
                    why,
                })?;
                let faults = Faults::default();
                let (views, parts) = cpu::views(spec, args);
                threads.install(|| {
                    (0..cpu_groups).into_par_iter().for_each_init(
                        || Vec::with_capacity(parts.count()),
                        |mine, group| {
                            // SAFETY: the parallel iterator visits each group once, and a
                            // group's parts live only in this call.
                            unsafe { parts.fill(group, mine) };
                            K::run_group(&views, mine, group, total, &faults);
                            mine.clear();
                        },
                    );
                });
                (faults.words(), None)
            }
            TargetRef::Gpu(gpu) => {
                let run = gpu.backend.launch(spec, groups, total, args)?;
                (run.fault, Some(run.times))
            }
        };
        let elapsed = start.elapsed();
        if fault[0] != 0 {
            let array = fault[0] - 1;
            let len = match spec.params.get(array as usize) {
                Some(_) => args
                    .get(array as usize)
                    .and_then(Arg::slice_len)
                    .unwrap_or(0) as u64,
                None => spec
                    .shared
                    .get(array as usize - spec.params.len())
                    .map_or(0, |s| u64::from(s.len)),
            };
            return Err(KernelError::OutOfBounds {
                kernel: spec.name,
                target: name,
                array: spec.array_name(array),
                index: fault[1],
                len,
                invocation: fault[2],
            });
        }
        Ok(LaunchReport {
            target: name,
            elapsed,
            gpu,
        })
    }
}
