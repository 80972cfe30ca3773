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
mod object;
mod promise;
mod shield;
mod wait;
mod yield_now;

pub use as_completed::{as_completed, AsCompleted, AsCompletedError};
pub use builder::Builder;
pub use current::{current_handle, TaskHandle};
pub use gather::{gather, try_gather, Gather, GatherError, TryGather};
pub use group::{ChildError, Failure, GroupError, GroupTask, Scope, SpawnError, TaskGroup};
pub use join::{JoinError, Task};
pub use promise::{AlreadyDone, Promise, PromiseError, PromiseWait};
pub use shield::{shield, Shield};
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
    with_core("seedloop::spawn", |core| core.spawn(None, fut))
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
