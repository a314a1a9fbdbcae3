//! The hub: it runs the policy while the seats run the tasks.

mod drive;
mod services;

pub(crate) use drive::{Board, Driven, drive};
pub use services::{Hub, Progress, Requester};
pub(crate) use services::{HubCall, HubServices, ProgressFn, Query, Reply, Types, stale};
