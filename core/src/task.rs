//! Tasks: what `#[pclosure]` makes of a serial function.

use std::time::Duration;

use crate::wire::Codec;
use crate::{Ctx, Policy, TaskError};

/// A typed task: a serial function bound to a policy, with its arguments.
///
/// `#[pclosure(policy)]` implements it for the struct it generates; there is no need to
/// implement it by hand. A task is `Clone` so that it can be retried, and `Send + 'static` so
/// that it can be moved to a spoke.
pub trait Task: Clone + 'static {
    /// The policy the task runs under.
    type Policy: Policy;
    /// The value the task returns on success.
    /// It travels from the spoke back to the hub, so it is `Send + 'static`.
    type Output: Send + 'static;
    /// The task function's name, e.g. `"edge"`: default labels are `name#index`.
    const NAME: &'static str;
    /// Where the task is defined (`module::path::name (file:line)`): how a process spoke,
    /// running the same program, finds it.
    #[doc(hidden)]
    const PATH: &'static str;
    /// The task's arguments, as one value.
    #[doc(hidden)]
    type Args;

    /// The task's meta options (label, timeout).
    #[doc(hidden)]
    fn meta_mut(&mut self) -> &mut TaskMeta;

    /// Runs the task's body once, consuming this copy of its arguments.
    #[doc(hidden)]
    fn call(self, ctx: &Ctx<Self::Policy>) -> Result<Self::Output, TaskError>;

    /// This copy's arguments, as one value (to send them to a process spoke).
    #[doc(hidden)]
    fn into_args(self) -> Self::Args;

    /// A task from its arguments (in a process spoke).
    #[doc(hidden)]
    fn from_args(args: Self::Args) -> Self;

    /// How the arguments cross to a process spoke, if they can (they are serde values).
    #[doc(hidden)]
    fn args_codec() -> Option<Codec<Self::Args>>;

    /// How the result crosses back, if it can.
    #[doc(hidden)]
    fn output_codec() -> Option<Codec<Self::Output>>;
}

/// A task's meta options: how reports name it and how long it may run.
///
/// Boxed, and absent when no option is set: most tasks have none, and a million tasks should
/// not carry forty bytes each for nothing.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct TaskMeta(Option<Box<MetaOptions>>);

#[derive(Clone, Debug, Default)]
struct MetaOptions {
    label: Option<String>,
    timeout: Option<Duration>,
    limits: Limits,
}

/// Resource limits of a process spoke while it runs a task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The spoke's address space, in bytes (`RLIMIT_AS`).
    pub(crate) memory: Option<u64>,
    /// CPU time the task may use, rounded up to whole seconds (`RLIMIT_CPU`).
    pub(crate) cpu_time: Option<Duration>,
}

impl Limits {
    pub(crate) fn any(&self) -> bool {
        self.memory.is_some() || self.cpu_time.is_some()
    }

    /// These limits, each one falling back to `defaults`'.
    pub(crate) fn or(self, defaults: Limits) -> Limits {
        Limits {
            memory: self.memory.or(defaults.memory),
            cpu_time: self.cpu_time.or(defaults.cpu_time),
        }
    }
}

impl TaskMeta {
    fn options(&mut self) -> &mut MetaOptions {
        self.0.get_or_insert_with(Box::default)
    }

    #[doc(hidden)]
    pub fn set_label(&mut self, label: String) {
        self.options().label = Some(label);
    }

    #[doc(hidden)]
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.options().timeout = Some(timeout);
    }

    #[doc(hidden)]
    pub fn set_memory_limit(&mut self, bytes: u64) {
        self.options().limits.memory = Some(bytes);
    }

    #[doc(hidden)]
    pub fn set_cpu_time_limit(&mut self, cpu_time: Duration) {
        self.options().limits.cpu_time = Some(cpu_time);
    }

    pub(crate) fn limits(&self) -> Limits {
        self.0.as_ref().map_or_else(Limits::default, |o| o.limits)
    }

    pub(crate) fn label(&self) -> Option<&str> {
        self.0.as_ref()?.label.as_deref()
    }

    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.0.as_ref()?.timeout
    }
}

/// A value that can be a task's argument. Checked by `#[pclosure]` on each argument's type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a task argument: task arguments are owned values that are `Clone + Send + 'static`",
    label = "not `Clone + Send + 'static`",
    note = "a task is cloned for each attempt, so it can be retried, and moved to the spoke that runs it; pass an owned value (`String`, `Vec<T>`, `Arc<T>`, ...)"
)]
pub trait TaskArg: Sized {
    #[doc(hidden)]
    fn clone_arg(&self) -> Self;
}

#[diagnostic::do_not_recommend]
impl<T: Clone + Send + 'static> TaskArg for T {
    fn clone_arg(&self) -> Self {
        self.clone()
    }
}

/// What a task function may return: `Result<T, TaskError>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a task result: a pclosure returns `Result<T, TaskError>`",
    label = "expected `Result<T, TaskError>`",
    note = "convert other errors with `?` (any `std::error::Error + Send + Sync + 'static` converts into `TaskError`) or build one with `TaskError::msg(..)`"
)]
pub trait TaskReturn {
    /// The `T` of `Result<T, TaskError>`.
    type Value;
    #[doc(hidden)]
    fn into_task_result(self) -> Result<Self::Value, TaskError>;
}

impl<T> TaskReturn for Result<T, TaskError> {
    type Value = T;
    fn into_task_result(self) -> Result<T, TaskError> {
        self
    }
}
