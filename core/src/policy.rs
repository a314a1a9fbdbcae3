//! Management policies as types.
//!
//! A policy decides how tasks are scheduled, what a failure means, and which communication
//! primitives a task may use. Each policy is an uninhabited marker type; the set is closed
//! (`Policy` is sealed), so no user type can become a policy or gain a capability.

pub(crate) mod sealed {
    /// Keeps [`super::Policy`] and every capability trait closed to this crate.
    pub trait Sealed {}
}

/// How a manager of this policy schedules its tasks. Internal: managers dispatch on it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One task on one spoke.
    Singleton,
    /// Independent tasks, any order, any spoke.
    List,
    /// Alternative tasks: the first success wins.
    Race,
    /// A gang: every member co-scheduled on its own spoke.
    Gang,
}

/// A parallel management policy. Sealed: the five policies of spm are the only ones.
///
/// | policy | attribute | tasks | may communicate |
/// |---|---|---|---|
/// | [`CoarseSingleton`] | `coarse_singleton` | one task | no |
/// | [`CoarseList`] | `coarse_list` | independent tasks | no |
/// | [`CoarseRace`] | `coarse_race` | alternatives, first success wins | no |
/// | [`FineLimited`] | `fine_limited` | independent tasks | with the hub only (requests, whiteboard) |
/// | [`FineGeneral`] | `fine_general` | a co-scheduled gang | with the hub and with each other |
pub trait Policy: sealed::Sealed + Send + Sync + 'static {
    /// The policy's name as written in `#[pclosure(...)]`, e.g. `"coarse_list"`.
    const NAME: &'static str;
    /// How its manager schedules tasks.
    #[doc(hidden)]
    const SHAPE: Shape;
    /// Whether its tasks are coarse grain (no communication before they conclude).
    const COARSE: bool;
}

macro_rules! policies {
    ($($(#[$doc:meta])* $ty:ident = $name:literal, $shape:ident, coarse: $coarse:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $ty {}
        impl sealed::Sealed for $ty {}
        impl Policy for $ty {
            const NAME: &'static str = $name;
            const SHAPE: Shape = Shape::$shape;
            const COARSE: bool = $coarse;
        }
    )*};
}

policies! {
    /// `coarse_singleton`: one task on one spoke; it may be retried; it cannot communicate
    /// before it concludes.
    CoarseSingleton = "coarse_singleton", Singleton, coarse: true;
    /// `coarse_list`: many independent tasks in any order on any spoke. A failure is that
    /// task's outcome; it is retried alone and the rest go on, unless the manager halts on the
    /// first failure.
    CoarseList = "coarse_list", List, coarse: true;
    /// `coarse_race`: alternative tasks (a portfolio). The first success wins and the rest are
    /// cancelled; the race fails only if every task fails.
    CoarseRace = "coarse_race", Race, coarse: true;
    /// `fine_limited`: scheduled like [`CoarseList`], but a task may ask the hub and get a reply
    /// (requests, the shared whiteboard). The hub only replies; it never pushes.
    FineLimited = "fine_limited", List, coarse: false;
    /// `fine_general`: a gang whose members run at once, one per spoke, and may use every
    /// primitive (barrier, broadcast, reduce, send/recv, hub requests and pushes). The gang
    /// lives and dies as one: only the whole gang is relaunched.
    FineGeneral = "fine_general", Gang, coarse: false;
}
