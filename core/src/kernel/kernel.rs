//! What `#[pclosure(.., targets(..))]` implements for a kernel.

use std::marker::PhantomData;

use crate::capability::AllowsGroupBarrier;
use crate::kernel::arg::Arg;
use crate::kernel::cpu::{Chunk, Faults, View};
use crate::kernel::spec::KernelSpec;
use crate::policy::Policy;

/// Which targets a kernel declared with `targets(..)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Targets {
    /// `serial`: one CPU thread, the reference.
    pub serial: bool,
    /// `cores`: every thread of a `Pool::threads(n)`.
    pub cores: bool,
    /// `gpu`: a [`GpuPool`](crate::kernel::GpuPool).
    pub gpu: bool,
}

/// A kernel: a `#[pclosure(coarse_list | fine_general, targets(..))]` function, whose one body
/// runs on each declared target. Implemented by the attribute only; launch it with the
/// generated `over(n)` (coarse) or `groups(n)` (fine), or
/// [`Launch::new`](crate::kernel::Launch::new).
pub trait Kernel: Sized + 'static {
    /// `CoarseList` (independent invocations) or `FineGeneral` (work-groups).
    type Policy: Policy;
    /// The arguments of a launch: the kernel's parameters after the context, as a tuple
    /// (one parameter: the value itself).
    type Args<'a>;
    /// Parameters, work-group and GPU sources.
    const SPEC: &'static KernelSpec;
    /// The targets declared.
    const TARGETS: Targets;

    /// The arguments, in the form every target takes.
    fn args(args: Self::Args<'_>) -> Vec<Arg<'_>>;

    /// Runs work-group `group` on the CPU, with its parts of the slices written by rank.
    /// `total` counts the launch's invocations (coarse) or work-groups (fine).
    #[doc(hidden)]
    fn run_group(
        views: &[View<'_>],
        parts: &mut [Chunk<'_>],
        group: u32,
        total: u32,
        faults: &Faults,
    );
}

/// A kernel's context as the type system sees it: `#[pclosure]` checks every primitive a
/// kernel's body calls against this type, so that a primitive toxic under the kernel's policy
/// (a barrier under `coarse_list`) does not compile, with the same error as in a task. The body
/// itself is translated for each target, so nothing here runs.
pub struct KernelCtx<P: Policy> {
    policy: PhantomData<P>,
}

impl<P: Policy> KernelCtx<P> {
    /// The work-group barrier: allowed where the policy allows a barrier.
    pub fn barrier(&self)
    where
        P: AllowsGroupBarrier,
    {
    }
}
