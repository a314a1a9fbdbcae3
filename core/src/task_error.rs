//! The error a task returns, or that the runtime records for it.

use std::error::Error as StdError;
use std::fmt;

/// Why a task did not produce its value.
///
/// Build one with [`TaskError::msg`], or let `?` convert any
/// `std::error::Error + Send + Sync + 'static`; its text is kept, and the original error can be
/// had back with [`TaskError::downcast_ref`].
///
/// `TaskError` deliberately does not implement `std::error::Error` itself, so that the blanket
/// conversion from every error type can exist (the same choice as `anyhow::Error`). Outside a
/// task, `?` converts it into `Box<dyn std::error::Error>`; [`crate::ParallelError`] and
/// [`crate::Error`], which collect task errors, are `std::error::Error`s.
pub struct TaskError(Box<Inner>);

/// Boxed so that `Result<T, TaskError>` and a task's outcome stay small.
struct Inner {
    kind: TaskErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// What kind of failure a [`TaskError`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskErrorKind {
    /// The task's own code returned the error.
    Task,
    /// The task panicked; the message is the panic's.
    Panicked,
    /// A gang primitive gave up because another member failed, timed out or left.
    GangBroken,
    /// Every live member of a gang was waiting on another: nothing could ever proceed.
    Deadlock,
    /// A primitive was used in a way that cannot work (a rank out of range, a type mismatch,
    /// members calling different collectives at once).
    Misuse,
    /// This incarnation was ended (timed out, cancelled or replaced): the hub dropped the reply
    /// or the write.
    Stale,
    /// An external command (a coprocess) failed: the error's source is a
    /// [`CoprocessError`](crate::coprocess::CoprocessError) that says how.
    Coprocess,
}

impl TaskErrorKind {
    const ALL: [TaskErrorKind; 7] = [
        TaskErrorKind::Task,
        TaskErrorKind::Panicked,
        TaskErrorKind::GangBroken,
        TaskErrorKind::Deadlock,
        TaskErrorKind::Misuse,
        TaskErrorKind::Stale,
        TaskErrorKind::Coprocess,
    ];

    /// The kind as one byte, for a process spoke's messages.
    pub(crate) fn to_wire(self) -> u8 {
        Self::ALL.iter().position(|&k| k == self).unwrap_or(0) as u8
    }

    /// The kind a process spoke sent.
    pub(crate) fn from_wire(byte: u8) -> Self {
        Self::ALL
            .get(usize::from(byte))
            .copied()
            .unwrap_or(TaskErrorKind::Task)
    }
}

impl TaskError {
    /// An error with this message.
    ///
    /// ```
    /// # use spm::TaskError;
    /// let e = TaskError::msg(format_args!("no edge above level {}", 3));
    /// assert_eq!(e.to_string(), "no edge above level 3");
    /// ```
    pub fn msg(message: impl fmt::Display) -> Self {
        Self::new(TaskErrorKind::Task, message.to_string())
    }

    pub(crate) fn new(kind: TaskErrorKind, message: String) -> Self {
        Self(Box::new(Inner {
            kind,
            message,
            source: None,
        }))
    }

    /// An error of `kind` that keeps `source`, and its text.
    pub(crate) fn with_source(
        kind: TaskErrorKind,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        let mut error = Self::from(source);
        error.0.kind = kind;
        error
    }

    /// A panic caught on a spoke, with the panic's message.
    pub(crate) fn panicked(payload: &(dyn std::any::Any + Send)) -> Self {
        let text = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic with a non-text payload".to_owned()
        };
        Self::new(TaskErrorKind::Panicked, format!("panicked: {text}"))
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TaskErrorKind {
        self.0.kind
    }

    /// The message, as `Display` shows it.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The original error, if this one was converted from a `std::error::Error` of type `E`.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.0.source.as_deref()?.downcast_ref::<E>()
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for TaskError {
    fn from(error: E) -> Self {
        let mut message = error.to_string();
        // Keep the whole chain of causes in the text: a report is often all a person sees.
        let mut cause = error.source();
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&c.to_string());
            cause = c.source();
        }
        Self(Box::new(Inner {
            kind: TaskErrorKind::Task,
            message,
            source: Some(Box::new(error)),
        }))
    }
}

/// A `TaskError` as a `std::error::Error`, so that code outside tasks can `?` it into
/// `Box<dyn Error>` (a `TaskError` is not itself an `Error`: see the type's documentation).
struct Boxed(TaskError);

impl fmt::Debug for Boxed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Boxed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for Boxed {}

impl From<TaskError> for Box<dyn StdError + Send + Sync + 'static> {
    fn from(error: TaskError) -> Self {
        Box::new(Boxed(error))
    }
}

impl From<TaskError> for Box<dyn StdError + Send + 'static> {
    fn from(error: TaskError) -> Self {
        Box::new(Boxed(error))
    }
}

impl From<TaskError> for Box<dyn StdError + 'static> {
    fn from(error: TaskError) -> Self {
        Box::new(Boxed(error))
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskError")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("disk full")
        }
    }
    impl StdError for Inner {}

    #[derive(Debug)]
    struct Outer(Inner);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("cannot write edges")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn question_mark_keeps_the_text_and_the_chain() {
        fn fails() -> Result<(), TaskError> {
            Err(Outer(Inner))?
        }
        let e = fails().unwrap_err();
        assert_eq!(e.to_string(), "cannot write edges: disk full");
        assert_eq!(e.kind(), TaskErrorKind::Task);
        assert!(e.downcast_ref::<Outer>().is_some());
        assert!(e.downcast_ref::<Inner>().is_none());
    }

    #[test]
    fn io_errors_convert() {
        fn open() -> Result<(), TaskError> {
            std::fs::File::open("/definitely/not/here")?;
            Ok(())
        }
        let e = open().unwrap_err();
        assert!(e.to_string().contains("No such file"), "{e}");
        assert!(e.downcast_ref::<std::io::Error>().is_some());
    }

    #[test]
    fn a_task_error_converts_into_a_boxed_error() {
        fn outside() -> Result<(), Box<dyn StdError + Send + Sync>> {
            Err(TaskError::msg("no such key"))?
        }
        assert_eq!(outside().unwrap_err().to_string(), "no such key");
        fn plain() -> Result<(), Box<dyn StdError>> {
            Err(TaskError::msg("plain"))?
        }
        assert_eq!(plain().unwrap_err().to_string(), "plain");
    }

    #[test]
    fn panic_payloads_become_messages() {
        let e = TaskError::panicked(&"boom");
        assert_eq!(e.to_string(), "panicked: boom");
        let e = TaskError::panicked(&String::from("bang"));
        assert_eq!(e.kind(), TaskErrorKind::Panicked);
        assert_eq!(e.to_string(), "panicked: bang");
        let e = TaskError::panicked(&42_u8);
        assert_eq!(e.to_string(), "panicked: a panic with a non-text payload");
    }
}
