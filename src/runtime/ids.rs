//! Identifiers shared by the executor, the trace and the reports.

use std::fmt;

/// A task's identity: `#1` is the main task, then `#2`, `#3`, … in spawn order.
///
/// Ids are never reused within a run, so a trace line naming `#7` always means
/// the same task.
///
/// ```
/// use seedloop::{Sim, spawn};
/// let id = Sim::new(1).run(async { spawn(async {}).id() }).unwrap();
/// assert_eq!(id.to_string(), "#2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The main task of every run: the future given to `run`.
    pub const MAIN: TaskId = TaskId(1);

    /// The number behind the `#`.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a task lives in the arena: a slot index and the slot's generation,
/// so a stale key (a waker that outlived its task) never reaches a new task
/// (until the slot is reused 65,536 times: then a stale waker can at worst
/// cause one spurious wake-up, which every future must tolerate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TaskKey {
    pub index: u32,
    pub generation: u16,
}
