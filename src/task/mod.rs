//! Tasks: spawning, joining, cancelling, and waiting on many at once.
//!
//! asyncio's `create_task` is [`spawn`] (or [`Builder`] to name the task);
//! its `Task` is [`Task<T>`], awaited for `Result<T, JoinError>`.
//!
//! Waiting on many things (see `docs/structured-concurrency.md`):
//! [`TaskGroup`] (structured: nothing outlives it, the first failure cancels
//! the rest), [`gather`]/[`try_gather`] (outputs in argument order),
//! [`as_completed`] (a stream in completion order), [`wait`]/[`try_wait`]
//! (`(done, pending)` by [`ReturnWhen`]), [`shield`] (work that outlives its
//! waiter) and [`Promise`] (asyncio's `Future`).

mod as_completed;
mod builder;
mod completion;
mod current;
mod gather;
mod group;
mod join;
mod local;
mod object;
mod promise;
mod shield;
mod to_thread;
mod wait;
mod yield_now;

pub use as_completed::{as_completed, AsCompleted, AsCompletedError};
pub use builder::Builder;
pub use current::{current_handle, TaskHandle};
pub use gather::{gather, try_gather, Gather, GatherError, TryGather};
pub use group::{ChildError, Failure, GroupError, GroupTask, Scope, SpawnError, TaskGroup};
pub use join::{JoinError, Task};
pub use local::{TaskLocal, TaskLocalScope};
pub use promise::{AlreadyDone, Promise, PromiseError, PromiseWait};
pub use shield::{shield, Shield};
pub use to_thread::{to_thread, to_thread_for, ToThread};
pub use wait::{try_wait, wait, ReturnWhen, Wait, WaitError};
pub use yield_now::{yield_now, YieldNow};

pub use crate::runtime::ids::TaskId;

use std::future::Future;

use crate::runtime::context::with_core;

/// Spawns `fut` as a new task on the current runtime and returns its handle.
///
/// The task first runs after the spawning task yields (as in asyncio). The
/// future need not be `Send`: a runtime is single-threaded.
///
/// Dropping the returned [`Task`] cancels the task; call [`Task::detach`] to
/// let it run on unobserved.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, spawn};
/// let out = Sim::new(1).run(async {
///     let t = spawn(async { 6 * 7 });
///     t.await.unwrap()
/// }).unwrap();
/// assert_eq!(out, 42);
/// ```
#[doc(alias = "create_task")]
#[doc(alias = "ensure_future")]
pub fn spawn<F: Future + 'static>(fut: F) -> Task<F::Output> {
    with_core("seedloop::spawn", |core| Task::spawn_on(core, None, fut))
}

/// Spawns `fut` as an eager task: it is polled at once, inside this call,
/// until it first suspends; if it finishes there it never enters the ready
/// set, and the returned [`Task`] is already finished. asyncio 3.12:
/// `eager_task_factory` (or `create_task(.., eager_start=True)` in 3.14).
///
/// Everything else is as with [`spawn`]: the spawner records `spawn`, then
/// the new task's first poll appears in the trace under the new task's name
/// before the spawner goes on; it inherits the spawner's [`TaskLocal`]
/// values; a cancel, a wake, a drop of the handle work as for any task. The
/// eager poll is not a scheduling decision: it happens exactly where
/// `spawn_eager` is called, under every policy.
///
/// Use it for tasks that often finish without waiting (a cache hit): they
/// cost no trip through the ready set.
///
/// # Panics
/// Outside a runtime. A panic in the eager task follows the run's panic
/// mode: in sim, by default, it fails the run in the eager task's name (the
/// panic unwinds out of this call and ends the spawner's poll); with
/// [`Sim::isolate_panics`](crate::Sim::isolate_panics) and in real mode, the
/// task ends panicked and the spawner goes on.
///
/// ```
/// use seedloop::{Sim, Policy, sleep, task};
/// use std::{cell::RefCell, rc::Rc, time::Duration};
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// Sim::new(1).policy(Policy::Fifo).run(async move {
///     let l2 = l.clone();
///     let t = task::spawn_eager(async move {
///         l2.borrow_mut().push("child starts");
///         sleep(Duration::from_secs(1)).await;
///         l2.borrow_mut().push("child ends");
///     });
///     l.borrow_mut().push("spawner goes on");
///     t.await.unwrap();
/// }).unwrap();
/// assert_eq!(*log.borrow(), ["child starts", "spawner goes on", "child ends"]);
/// ```
#[doc(alias = "eager_task_factory")]
#[doc(alias = "eager_start")]
pub fn spawn_eager<F: Future + 'static>(fut: F) -> Task<F::Output> {
    Builder::new().eager(true).spawn(fut)
}

/// The id of the task running now, or `None` when the loop itself runs a callback.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, task};
/// Sim::new(1).run(async {
///     assert_eq!(task::current().unwrap().to_string(), "#1");
/// }).unwrap();
/// ```
#[doc(alias = "current_task")]
pub fn current() -> Option<TaskId> {
    with_core("seedloop::task::current", |core| core.current_task())
}

impl crate::runtime::RuntimeHandle {
    /// Spawns a task on this runtime. See [`crate::spawn`].
    pub fn spawn<F: Future + 'static>(&self, fut: F) -> Task<F::Output> {
        Task::spawn_on(&self.core, None, fut)
    }
}
