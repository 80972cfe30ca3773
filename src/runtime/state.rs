//! The life of a task, as its cell records it for the [`Task`](crate::Task) handle.
//!
//! ```text
//!   spawn ──► Waiting ──picked──► Running ──Ready──► Finished
//!               ▲  │                 │  │
//!               │  │ cancel seen     │  └──panic──► Panicked
//!               │  ▼ when picked     │
//!               │ Cancelled       Pending
//!               └────────────────────┘
//! ```
//!
//! Legal transitions: Waiting→Running, Waiting→Cancelled (a cancel request
//! is seen when the task is picked: its future is dropped instead of polled),
//! Running→Waiting (the poll returned `Pending`), Running→Finished,
//! Running→Panicked, and at the end of a run Waiting→Cancelled. Finished,
//! Cancelled and Panicked are final.
//!
//! Whether a Waiting task is in the ready set is the executor's business
//! (the arena slot's `queued` flag), so waking a task never touches its cell.

/// Where a task is in its life. See the module docs for the transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// Spawned or returned `Pending`: not running now, not finished.
    Waiting,
    /// Being polled right now.
    Running,
    /// Its future returned `Ready`; the output waits in the cell.
    Finished,
    /// Its future was dropped before completing.
    Cancelled,
    /// Its future panicked.
    Panicked,
}

impl TaskState {
    /// Final states never change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskState::Finished | TaskState::Cancelled | TaskState::Panicked
        )
    }
}
