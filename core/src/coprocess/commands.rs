//! A list of commands as one call: argv lines in, a report out.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Input, Output, display};
use crate::task::{Task, TaskMeta};
use crate::task_error::TaskErrorKind;
use crate::wire::{Codec, Probe, ViaSerde as _};
use crate::{CoarseList, Ctx, Manager, TaskError};

/// One command of a [`commands`] list: a `coarse_list` task that runs it as a coprocess and
/// succeeds when it exits with code 0. Its label is its command line unless set.
#[derive(Clone, Debug)]
#[must_use = "a task does nothing until a manager evaluates it"]
pub struct RunCommand {
    argv: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    current_dir: Option<PathBuf>,
    stdin: Input,
    grace: Option<Duration>,
    meta: TaskMeta,
}

impl RunCommand {
    /// The command `argv[0]` with arguments `argv[1..]`.
    pub fn new(argv: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        let argv: Vec<OsString> = argv.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let mut meta = TaskMeta::default();
        if let Some((program, args)) = argv.split_first() {
            meta.set_label(display(program, args));
        }
        Self {
            argv,
            env: Vec::new(),
            current_dir: None,
            stdin: Input::Null,
            grace: None,
            meta,
        }
    }

    /// Names the command in the report (default: its command line).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.meta.set_label(label.into());
        self
    }

    /// A hard deadline for each attempt; it overrides the manager's `timeout_per_task`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.meta.set_timeout(timeout);
        self
    }

    /// On a process spoke, limits the spoke's address space while it runs this command's task.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.meta.set_memory_limit(bytes);
        self
    }

    /// On a process spoke, limits the CPU time of this command's task (whole seconds).
    pub fn cpu_time_limit(mut self, cpu_time: Duration) -> Self {
        self.meta.set_cpu_time_limit(cpu_time);
        self
    }

    /// Sets an environment variable for the command.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Runs the command in `dir`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.current_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// What the command reads on its standard input.
    pub fn stdin(mut self, input: impl Into<Input>) -> Self {
        self.stdin = input.into();
        self
    }

    /// How long the command has between `SIGTERM` and `SIGKILL` when it is stopped.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = Some(grace);
        self
    }
}

/// What a `RunCommand` carries to a process spoke: everything but its meta options.
type CommandArgs = (
    Vec<OsString>,
    Vec<(OsString, OsString)>,
    Option<PathBuf>,
    Input,
    Option<Duration>,
);

impl Task for RunCommand {
    type Policy = CoarseList;
    type Output = Output;
    type Args = CommandArgs;
    const NAME: &'static str = "command";
    const PATH: &'static str = "spm::coprocess::RunCommand";

    fn into_args(self) -> CommandArgs {
        (
            self.argv,
            self.env,
            self.current_dir,
            self.stdin,
            self.grace,
        )
    }

    fn from_args((argv, env, current_dir, stdin, grace): CommandArgs) -> Self {
        Self {
            argv,
            env,
            current_dir,
            stdin,
            grace,
            meta: TaskMeta::default(),
        }
    }

    fn args_codec() -> Option<Codec<CommandArgs>> {
        (&&Probe::<CommandArgs>::new()).codec()
    }

    fn output_codec() -> Option<Codec<Output>> {
        (&&Probe::<Output>::new()).codec()
    }

    fn meta_mut(&mut self) -> &mut TaskMeta {
        &mut self.meta
    }

    fn call(self, ctx: &Ctx<CoarseList>) -> Result<Output, TaskError> {
        let Some((program, args)) = self.argv.split_first() else {
            return Err(TaskError::new(
                TaskErrorKind::Misuse,
                "an empty command line: a command needs at least a program".into(),
            ));
        };
        let mut command = ctx.coprocess(program).args(args).stdin(self.stdin);
        for (key, value) in &self.env {
            command = command.env(key, value);
        }
        if let Some(dir) = &self.current_dir {
            command = command.current_dir(dir);
        }
        if let Some(grace) = self.grace {
            command = command.grace(grace);
        }
        command.run()
    }
}

/// A `coarse_list` of commands, one per argv line: each runs as a coprocess (a session of its
/// own, killed with its whole group at its deadline), and the report holds each one's
/// [`Output`], or why it failed. Set manager options as for any list.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use spm::Pool;
/// use std::time::Duration;
///
/// let report = spm::commands([vec!["echo", "a"], vec!["echo", "b"]])
///     .timeout_per_task(Duration::from_secs(10))
///     .retries(1)
///     .eval(&mut Pool::threads(2))?;
/// let lines: Vec<String> = report
///     .into_results()?
///     .iter()
///     .map(|done| done.stdout_text().into_owned())
///     .collect();
/// assert_eq!(lines, ["a\n", "b\n"]);
/// # Ok(())
/// # }
/// ```
pub fn commands<I, L, S>(lines: I) -> Manager<RunCommand>
where
    I: IntoIterator<Item = L>,
    L: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Manager::list(lines.into_iter().map(RunCommand::new))
}
