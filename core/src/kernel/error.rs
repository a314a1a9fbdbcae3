//! Why a kernel launch gave no result.

use std::fmt;

/// Why a launch, or a check across targets, gave no result. Every variant names the kernel
/// or the device, and says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// No GPU could be used: each way tried, and why it failed.
    #[error("no GPU is available: {}; kernels still run on Pool::serial() and Pool::threads(n)", .tried.join("; "))]
    NoGpu {
        /// One line per backend tried (`CUDA: ...`, `Vulkan: ...`).
        tried: Vec<String>,
    },
    /// The GPU driver refused a call.
    #[error("the GPU driver failed while {doing}: {message}")]
    Device {
        /// What the runtime was doing (`copying xs to the GPU`).
        doing: String,
        /// The driver's message.
        message: String,
    },
    /// The device's compiler rejected the generated source: a defect of spm, to be reported
    /// with the source and the log.
    #[error(
        "{target} rejected the code generated for kernel `{kernel}` (a defect of spm; please report it with this message): {log}"
    )]
    Rejected {
        /// The kernel.
        kernel: &'static str,
        /// `CUDA (NVRTC)` or `WGSL (wgpu)`.
        target: String,
        /// The compiler's log.
        log: String,
    },
    /// The kernel's work-group is larger than the device takes.
    #[error(
        "kernel `{kernel}` declares work-groups of {size} invocations, but {device} takes at most {limit}: declare `workgroup({limit})` or less"
    )]
    GroupTooLarge {
        /// The kernel.
        kernel: &'static str,
        /// The declared size.
        size: u32,
        /// The device's limit.
        limit: u32,
        /// The device.
        device: String,
    },
    /// The kernel's shared arrays need more memory than the device gives a work-group.
    #[error(
        "kernel `{kernel}` needs {bytes} bytes of work-group memory, but {device} gives at most {limit}: make its shared arrays smaller"
    )]
    SharedTooLarge {
        /// The kernel.
        kernel: &'static str,
        /// Bytes its shared arrays take.
        bytes: u32,
        /// The device's limit.
        limit: u32,
        /// The device.
        device: String,
    },
    /// The launch asks for more invocations than a kernel index can count.
    #[error(
        "a launch of kernel `{kernel}` asks for {asked} {unit}; at most {limit} fit a 32-bit index: split the work into several launches"
    )]
    LaunchTooLarge {
        /// The kernel.
        kernel: &'static str,
        /// What was asked.
        asked: u64,
        /// `invocations` or `work-groups`.
        unit: &'static str,
        /// The largest launch.
        limit: u64,
    },
    /// A slice argument is too long for a 32-bit index.
    #[error(
        "argument `{name}` of kernel `{kernel}` has {len} elements; a kernel indexes with u32, so at most {} fit",
        u32::MAX
    )]
    SliceTooLong {
        /// The kernel.
        kernel: &'static str,
        /// The parameter.
        name: &'static str,
        /// Its length.
        len: usize,
    },
    /// An invocation indexed an array out of its bounds; the access did nothing (a read gave
    /// zero), and the launch's results are not to be trusted.
    #[error(
        "kernel `{kernel}` on {target}: invocation {invocation} indexed `{array}[{index}]`, but `{array}` has {len} elements: guard the access with `if i < {array}.len()`"
    )]
    OutOfBounds {
        /// The kernel.
        kernel: &'static str,
        /// The target it ran on.
        target: String,
        /// The array.
        array: &'static str,
        /// The index used.
        index: u32,
        /// The array's length.
        len: u64,
        /// The global invocation index (for `fine_general` kernels: group × size + rank).
        invocation: u32,
    },
    /// Targets of a heterogeneous check gave different results.
    #[error("{0}")]
    Disagree(Box<Disagreement>),
    /// The kernel does not declare the target it was launched on.
    #[error(
        "kernel `{kernel}` does not declare the target {target}: add it to `targets(..)` in its `#[pclosure]`"
    )]
    TargetNotDeclared {
        /// The kernel.
        kernel: &'static str,
        /// The target.
        target: String,
    },
    /// The target cannot run kernels as it is.
    #[error("{target} cannot run a kernel: {why}")]
    Unusable {
        /// The target.
        target: String,
        /// Why.
        why: String,
    },
    /// A check was asked of fewer than two targets.
    #[error(
        "a check compares targets: give it at least two (for example serial and cores), {given} given"
    )]
    TooFewTargets {
        /// How many were given.
        given: usize,
    },
}

/// Where and by how much one target's result differs from the reference's.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    /// The kernel.
    pub kernel: &'static str,
    /// The reference target (the first one given).
    pub reference: String,
    /// The target that differs.
    pub target: String,
    /// The output argument that differs.
    pub array: &'static str,
    /// The first index that differs.
    pub index: usize,
    /// The reference's value there, as text.
    pub expected: String,
    /// The differing value, as text.
    pub found: String,
    /// Distance in units in the last place (floats), or the absolute difference (integers).
    pub distance: u64,
    /// The tolerance it exceeded (0 for integers).
    pub tolerance: u64,
    /// How many elements of that array differ beyond the tolerance.
    pub differing: usize,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kernel `{}`: {} disagrees with {} on `{}`: first at index {} ({} instead of {}, ",
            self.kernel,
            self.target,
            self.reference,
            self.array,
            self.index,
            self.found,
            self.expected
        )?;
        if self.tolerance == 0 {
            write!(f, "off by {}", self.distance)?;
        } else {
            write!(
                f,
                "{} ULPs apart, tolerance {}",
                self.distance, self.tolerance
            )?;
        }
        write!(f, "); {} elements differ", self.differing)
    }
}
