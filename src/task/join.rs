//! `Task<T>`: the handle to a spawned task, and `JoinError`.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::runtime::blocker::WaitOn;
use crate::runtime::context::try_with_core;
use crate::runtime::ids::TaskId;
use crate::runtime::raw_task::{JoinTarget, TaskHeader};
use crate::runtime::state::TaskState;

/// Why awaiting a [`Task`] gave no output.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, JoinError};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let t = spawn(sleep(Duration::from_secs(10)));
///     t.cancel();
///     assert_eq!(t.await, Err(JoinError::Cancelled));
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// The task was cancelled (by [`Task::cancel`], by dropping its handle,
    /// or by a timeout around it) before it finished. asyncio: `CancelledError`.
    Cancelled,
    /// The task panicked (real mode; in sim a panic fails the whole run).
    Panicked {
        /// The panic message.
        message: String,
    },
}

impl JoinError {
    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked { .. })
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => write!(f, "task was cancelled"),
            JoinError::Panicked { message } => write!(f, "task panicked: {message}"),
        }
    }
}

impl Error for JoinError {}

/// A spawned task. Await it for `Result<T, JoinError>`. asyncio: `Task`.
///
/// Dropping a `Task` cancels the task (as in smol): call [`Task::detach`] to
/// let it run on without a handle.
///
/// # Cancel safety
/// Awaiting a `Task` is cancel-safe: dropping the `await` does not lose the
/// output, and the same handle can be awaited again. Dropping the *handle*
/// is what cancels the task.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let t = spawn(async { sleep(Duration::from_secs(2)).await; "done" });
///     assert!(!t.is_finished());
///     assert_eq!(t.await, Ok("done"));
///     assert_eq!(Instant::now().as_secs_f64(), 2.0);
/// }).unwrap();
/// ```
#[must_use = "dropping a Task cancels it; call .detach() to let it run on"]
pub struct Task<T> {
    cell: Rc<dyn JoinTarget<T>>,
    detached: bool,
}

impl<T> Task<T> {
    pub(crate) fn from_cell(cell: Rc<dyn JoinTarget<T>>) -> Task<T> {
        Task {
            cell,
            detached: false,
        }
    }

    fn header(&self) -> &TaskHeader {
        self.cell.header()
    }

    /// Asks the task to stop. It takes effect at the task's next scheduling
    /// point: the task is not polled again, its future is dropped there (its
    /// destructors run), and awaiting it gives `Err(JoinError::Cancelled)`.
    /// A task cancelled before its first poll never runs. Cancelling a
    /// finished task does nothing.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, JoinError};
    /// Sim::new(1).run(async {
    ///     let t = spawn(async { unreachable!("never polled") });
    ///     t.cancel();
    ///     assert_eq!(t.await, Err(JoinError::Cancelled));
    /// }).unwrap();
    /// ```
    #[doc(alias = "abort")]
    pub fn cancel(&self) {
        let header = self.header();
        if header.state.get().is_final() {
            return;
        }
        if try_with_core(|core| core.cancel(header)).is_none() {
            header.cancel_requested.set(true);
        }
    }

    /// Whether the task has ended: finished, cancelled or panicked.
    /// asyncio: `done()`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now};
    /// Sim::new(1).run(async {
    ///     let t = spawn(async {});
    ///     yield_now().await;
    ///     assert!(t.is_finished());
    /// }).unwrap();
    /// ```
    #[doc(alias = "done")]
    pub fn is_finished(&self) -> bool {
        self.header().state.get().is_final()
    }

    /// Whether the task was cancelled (its future dropped before finishing).
    /// asyncio: `cancelled()`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now};
    /// Sim::new(1).run(async {
    ///     let t = spawn(async {});
    ///     t.cancel();
    ///     yield_now().await;
    ///     assert!(t.is_cancelled());
    /// }).unwrap();
    /// ```
    #[doc(alias = "cancelled")]
    pub fn is_cancelled(&self) -> bool {
        self.header().state.get() == TaskState::Cancelled
    }

    /// The task's id (`#2`, `#3`, … in spawn order).
    ///
    /// ```
    /// use seedloop::{Sim, spawn};
    /// Sim::new(1).run(async { assert_eq!(spawn(async {}).id().as_u64(), 2) }).unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.header().id
    }

    /// The task's name, if it was spawned with one. asyncio: `get_name()`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, task::Builder};
    /// Sim::new(1).run(async {
    ///     assert_eq!(spawn(async {}).name(), None);
    ///     assert_eq!(Builder::new().name("w").spawn(async {}).name(), Some("w"));
    /// }).unwrap();
    /// ```
    #[doc(alias = "get_name")]
    pub fn name(&self) -> Option<&str> {
        self.header().name.as_deref()
    }

    /// Lets the task run on without a handle: dropping this `Task` no longer
    /// cancels it. Its output is dropped when it finishes.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now};
    /// use std::{cell::Cell, rc::Rc};
    /// let ran = Rc::new(Cell::new(false));
    /// let r = ran.clone();
    /// Sim::new(1).run(async move {
    ///     spawn(async move { r.set(true) }).detach();
    ///     yield_now().await;
    /// }).unwrap();
    /// assert!(ran.get());
    /// ```
    pub fn detach(mut self) {
        self.detached = true;
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.cell.poll_join(cx);
        if polled.is_pending() {
            let id = self.header().id;
            try_with_core(|core| core.note_wait(WaitOn::Task(id)));
        }
        polled
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        // Nobody awaits this task any more: its end must not wake anyone.
        let waker = self.header().join_waker.borrow_mut().take();
        drop(waker);
        if !self.detached {
            self.cancel();
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("finished", &self.is_finished())
            .finish()
    }
}
