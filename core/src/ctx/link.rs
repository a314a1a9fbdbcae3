//! How a context reaches the manager that runs its task.

use crate::TaskError;
use crate::fabric::Fabric;
use crate::hub::{HubServices, Types};
use crate::spoke::protocol::{Answer, Ask};
use crate::whiteboard::BoardAccess;

/// A seat's line to its board, shared by every context the seat creates.
///
/// `Send + Sync` so that only [`super::CtxStaysOnItsSpoke`] keeps a context on its thread, and
/// the compiler names that marker, not an internal type, when someone tries to move one.
pub(crate) trait TaskLink: Send + Sync {
    /// The task function's name, for default labels.
    fn task_name(&self) -> &'static str;
    /// The label the user gave task `task`, if any.
    fn label(&self, task: usize) -> Option<&str>;
    /// Whether the board stopped or the hub abandoned this seat.
    fn stop_requested(&self) -> bool;
    /// Whether attempt `attempt` of task `task` is still the live incarnation.
    fn is_live(&self, task: usize, attempt: u32) -> bool;
    /// The hub's services for this manager call.
    fn services(&self) -> &HubServices;
    /// The gang's fabric, for gang members.
    fn fabric(&self) -> Option<&Fabric> {
        None
    }
    /// The hub, when it is in another process (the task runs on a process spoke): what the
    /// context would do with the hub's services in this process, it asks for over the socket.
    fn remote(&self) -> Option<&dyn RemoteHub> {
        None
    }
    /// Records that this seat's attempt runs coprocess group `pgid` (or no longer does), so
    /// that the hub can end it if it abandons the seat.
    fn adopt_group(&self, pgid: i32, running: bool);
}

/// A hub in another process, as a task on a process spoke reaches it.
pub(crate) trait RemoteHub {
    /// The hub's whiteboard.
    fn board(&self) -> &dyn BoardAccess;
    /// Asks the hub's request handler; the query and the reply are encoded.
    fn request(&self, query: Vec<u8>, types: &Types<'_>) -> Result<Vec<u8>, TaskError>;
    /// Asks the gang's fabric, in the hub's process, for a primitive.
    fn gang(&self, ask: Ask) -> Result<Answer, TaskError>;
}
