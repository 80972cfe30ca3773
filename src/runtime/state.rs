//! The life of a task, as seen by the executor and by its [`Task`](crate::Task) handle.
//!
//! ```text
//!             spawn
//!               │
//!               ▼
//!   ┌──────► Queued ──picked──► Running ──Ready──► Finished
//!   │           ▲                 │  │
//!   │         wake                │  └──panic──► Panicked
//!   │           │              Pending
//!   │         Idle ◄──────────────┘
//!   │
//!   └─ cancel() on Idle: queued so the cancel is seen at the next scheduling
//!      point. A Queued task whose cancel flag is set is not polled when
//!      picked: its future is dropped there and it moves to Cancelled.
//! ```
//!
//! Legal transitions: Queued→Running, Queued→Cancelled, Running→Idle,
//! Running→Queued (woken during its own poll), Running→Finished,
//! Running→Panicked, Idle→Queued. Finished, Cancelled and Panicked are final.
//! At the end of a run every task not yet final goes to Cancelled.

/// Where a task is in its life. See the module docs for the transitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// In the ready set, waiting to be picked.
    Queued,
    /// Being polled right now.
    Running,
    /// Returned `Pending` and has not been woken since.
    Idle,
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
