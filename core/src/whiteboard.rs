//! The hub's whiteboard: shared knowledge, as serde values by key.
//!
//! The hub holds it for the duration of one manager call. Tasks of fine-grain policies read and
//! write it through [`Whiteboard`] (`ctx.whiteboard()`); the hub's request handler through
//! `hub.whiteboard()`; and the report keeps what was left on it. Values are stored as
//! `serde_json::Value`, so a reader may use any type that deserializes from what was written,
//! and so the same board can later be kept by a hub in another process.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::TaskError;
use crate::task_error::TaskErrorKind;

/// The store itself, shared by the hub and its spokes.
#[derive(Default)]
pub(crate) struct WhiteboardStore {
    entries: Mutex<BTreeMap<String, Value>>,
}

impl WhiteboardStore {
    pub(crate) fn with(entries: BTreeMap<String, Value>) -> Self {
        Self {
            entries: Mutex::new(entries),
        }
    }

    fn entries(&self) -> MutexGuard<'_, BTreeMap<String, Value>> {
        // A panic while holding this lock cannot leave a map half-written: every update is one
        // `insert` or `remove`. So a poisoned lock is still a consistent map.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn snapshot(&self) -> WhiteboardSnapshot {
        WhiteboardSnapshot {
            entries: self.entries().clone(),
        }
    }
}

/// Turns a value into what the board stores.
pub(crate) fn encode<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Value, TaskError> {
    serde_json::to_value(value).map_err(|e| {
        TaskError::new(
            TaskErrorKind::Misuse,
            format!(
                "cannot put `{}` under whiteboard key `{key}`: {e}",
                std::any::type_name::<T>()
            ),
        )
    })
}

/// Reads a stored value back as a `T`.
fn decode<T: DeserializeOwned>(key: &str, value: Value) -> Result<T, TaskError> {
    serde_json::from_value(value).map_err(|e| {
        TaskError::new(
            TaskErrorKind::Misuse,
            format!(
                "whiteboard key `{key}` does not hold a `{}`: {e}",
                std::any::type_name::<T>()
            ),
        )
    })
}

/// Checks, under the board's lock for each operation, that the caller may still act (a task's
/// incarnation that was ended may no longer read or write). It may take the caller's slot
/// lock: the order is always board, then slot.
pub(crate) trait Gate {
    fn admit(&self) -> Result<(), TaskError>;
}

/// The hub itself is always admitted.
pub(crate) struct Open;
impl Gate for Open {
    fn admit(&self) -> Result<(), TaskError> {
        Ok(())
    }
}

/// The three operations a whiteboard is made of, wherever the board is: in this process, or
/// in the hub's, seen from a process spoke. Each one is atomic and admits its caller first.
pub(crate) trait BoardAccess {
    fn get(&self, key: &str) -> Result<Option<Value>, TaskError>;
    fn put(&self, key: &str, value: Value) -> Result<(), TaskError>;
    fn compare_and_swap(
        &self,
        key: &str,
        current: Option<&Value>,
        new: Value,
    ) -> Result<bool, TaskError>;
}

/// The board of this process, and who is asking.
pub(crate) struct LocalBoard<'a> {
    pub(crate) store: &'a WhiteboardStore,
    pub(crate) gate: &'a dyn Gate,
}

impl BoardAccess for LocalBoard<'_> {
    fn get(&self, key: &str) -> Result<Option<Value>, TaskError> {
        let entries = self.store.entries();
        self.gate.admit()?;
        Ok(entries.get(key).cloned())
    }

    fn put(&self, key: &str, value: Value) -> Result<(), TaskError> {
        let mut entries = self.store.entries();
        self.gate.admit()?;
        entries.insert(key.to_owned(), value);
        Ok(())
    }

    fn compare_and_swap(
        &self,
        key: &str,
        current: Option<&Value>,
        new: Value,
    ) -> Result<bool, TaskError> {
        let mut entries = self.store.entries();
        self.gate.admit()?;
        if entries.get(key) != current {
            return Ok(false);
        }
        entries.insert(key.to_owned(), new);
        Ok(true)
    }
}

enum Access<'a> {
    Local(LocalBoard<'a>),
    Remote(&'a dyn BoardAccess),
}

/// A live view of the hub's whiteboard: shared knowledge as serde values by key.
///
/// Every operation is atomic with respect to the others. A task whose incarnation has ended
/// (timed out, cancelled, replaced) gets an error of kind `Stale` instead of a read or write,
/// so an abandoned attempt cannot disturb what the live ones share.
pub struct Whiteboard<'a> {
    access: Access<'a>,
}

impl<'a> Whiteboard<'a> {
    pub(crate) fn new(store: &'a WhiteboardStore, gate: &'a dyn Gate) -> Self {
        Self {
            access: Access::Local(LocalBoard { store, gate }),
        }
    }

    /// The hub's board, seen from a process spoke.
    pub(crate) fn remote(access: &'a dyn BoardAccess) -> Self {
        Self {
            access: Access::Remote(access),
        }
    }

    fn access(&self) -> &dyn BoardAccess {
        match &self.access {
            Access::Local(local) => local,
            Access::Remote(remote) => *remote,
        }
    }

    /// The value under `key`, or `None` if there is none.
    ///
    /// # Errors
    /// If this incarnation has ended, or the stored value is not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, TaskError> {
        self.access().get(key)?.map(|v| decode(key, v)).transpose()
    }

    /// Puts `value` under `key`, replacing what was there.
    ///
    /// # Errors
    /// If this incarnation has ended, or `value` cannot be serialized.
    pub fn put<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), TaskError> {
        self.access().put(key, encode(key, value)?)
    }

    /// Puts `new` under `key` only if the board holds `current` there (`None`: nothing there).
    /// Returns whether it did. Values compare as their serialized forms.
    ///
    /// # Errors
    /// If this incarnation has ended, or a value cannot be serialized.
    pub fn compare_and_swap<T: Serialize + ?Sized>(
        &self,
        key: &str,
        current: Option<&T>,
        new: &T,
    ) -> Result<bool, TaskError> {
        let current = current.map(|c| encode(key, c)).transpose()?;
        self.access()
            .compare_and_swap(key, current.as_ref(), encode(key, new)?)
    }

    /// Replaces the value under `key` with `f(current)`, retrying with compare-and-swap until no
    /// other writer came in between; `f` returning `None` leaves the board as it is. Returns the
    /// value the board holds afterwards. An incarnation that ended while `f` ran does not
    /// write: the swap admits it again.
    ///
    /// `f` may run more than once; it should not have side effects.
    ///
    /// ```
    /// # use spm::prelude::*;
    /// #[pclosure(fine_limited)]
    /// fn probe(ctx: &Ctx, cost: u64) -> Result<u64, TaskError> {
    ///     // Keep the lowest cost seen by any task.
    ///     let best = ctx.whiteboard().update("best", |best: Option<u64>| match best {
    ///         Some(b) if b <= cost => None,
    ///         _ => Some(cost),
    ///     })?;
    ///     Ok(best.unwrap_or(cost))
    /// }
    /// # let mut pool = Pool::serial();
    /// # let report = Probe::list([Probe::new(5), Probe::new(3)]).eval(&mut pool).unwrap();
    /// # assert_eq!(report.whiteboard().get::<u64>("best").unwrap(), Some(3));
    /// ```
    ///
    /// # Errors
    /// If this incarnation has ended, or a value cannot be serialized or read as a `T`.
    pub fn update<T, F>(&self, key: &str, mut f: F) -> Result<Option<T>, TaskError>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Option<T>,
    {
        loop {
            let before = self.access().get(key)?;
            let current = before.clone().map(|v| decode::<T>(key, v)).transpose()?;
            let Some(next) = f(current) else {
                return before.map(|v| decode(key, v)).transpose();
            };
            let encoded = encode(key, &next)?;
            if self
                .access()
                .compare_and_swap(key, before.as_ref(), encoded)?
            {
                return Ok(Some(next));
            }
        }
    }
}

/// The whiteboard as a manager call left it, kept in its [`crate::Report`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WhiteboardSnapshot {
    entries: BTreeMap<String, Value>,
}

impl WhiteboardSnapshot {
    /// The value under `key` as a `T`, or `None` if there is none.
    ///
    /// # Errors
    /// If the stored value is not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, TaskError> {
        self.entries
            .get(key)
            .cloned()
            .map(|v| decode(key, v))
            .transpose()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.keys().map(String::as_str)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the board was left empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_and_compare_and_swap() {
        let store = WhiteboardStore::default();
        let board = Whiteboard::new(&store, &Open);
        assert_eq!(board.get::<u32>("x").unwrap(), None);
        assert!(board.compare_and_swap("x", None, &1_u32).unwrap());
        assert!(!board.compare_and_swap("x", None, &2_u32).unwrap());
        assert!(!board.compare_and_swap("x", Some(&5_u32), &2_u32).unwrap());
        assert!(board.compare_and_swap("x", Some(&1_u32), &2_u32).unwrap());
        board.put("name", "edges").unwrap();
        assert_eq!(board.get::<u32>("x").unwrap(), Some(2));
        assert_eq!(
            board.get::<String>("name").unwrap().as_deref(),
            Some("edges")
        );
        let wrong = board.get::<u32>("name").unwrap_err();
        assert_eq!(wrong.kind(), TaskErrorKind::Misuse);
        assert!(
            wrong.to_string().contains("does not hold a `u32`"),
            "{wrong}"
        );
        let snap = store.snapshot();
        assert_eq!(snap.keys().collect::<Vec<_>>(), ["name", "x"]);
        assert_eq!(snap.get::<u32>("x").unwrap(), Some(2));
    }

    #[test]
    fn update_keeps_the_minimum_under_contention() {
        let store = WhiteboardStore::default();
        std::thread::scope(|s| {
            for t in 0..4_u64 {
                let store = &store;
                s.spawn(move || {
                    let board = Whiteboard::new(store, &Open);
                    for i in 0..200_u64 {
                        let cost = 1000 + (i * 7 + t * 13) % 500;
                        board
                            .update("best", |b: Option<u64>| match b {
                                Some(b) if b <= cost => None,
                                _ => Some(cost),
                            })
                            .unwrap();
                    }
                });
            }
        });
        let board = Whiteboard::new(&store, &Open);
        assert_eq!(board.get::<u64>("best").unwrap(), Some(1000));
    }

    struct Closed;
    impl Gate for Closed {
        fn admit(&self) -> Result<(), TaskError> {
            Err(TaskError::new(TaskErrorKind::Stale, "ended".into()))
        }
    }

    #[test]
    fn an_ended_incarnation_neither_reads_nor_writes() {
        let store = WhiteboardStore::default();
        let board = Whiteboard::new(&store, &Closed);
        assert_eq!(board.put("x", &1).unwrap_err().kind(), TaskErrorKind::Stale);
        assert_eq!(
            board.get::<u8>("x").unwrap_err().kind(),
            TaskErrorKind::Stale
        );
        assert!(store.snapshot().is_empty());
    }
}
