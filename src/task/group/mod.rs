//! `TaskGroup`: structured concurrency. Children spawned into a group end
//! before the group's scope does; the first failure cancels the rest.
//! asyncio: `TaskGroup`.

mod error;
mod scope;

pub use error::{ChildError, Failure, GroupError, SpawnError};
pub use scope::Scope;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::completion::ChildTasks;
use super::join::TaskRef;
use crate::runtime::blocker::WaitOn;
use crate::runtime::context::{try_with_core, with_core};
use crate::runtime::ids::TaskId;
use crate::sync::object::ObjectName;

/// Where a group is. Legal transitions:
///
/// ```text
/// Open ──body returns Ok──► Joining ──last child ends──► Closed
///   │                          │
///   └──a failure──► Aborting ◄─┘   (children cancelled, body dropped)
///                      │
///                      └──last child ends──► Closed
/// ```
///
/// Any state goes to `Closed` when the scope is dropped (its owner was
/// cancelled). Spawning is allowed in `Open` and `Joining` only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupState {
    /// The body runs; children may be spawned.
    Open,
    /// The body returned `Ok`; waiting for the children, who may spawn more.
    Joining,
    /// Something failed; the body was dropped and the children were asked
    /// to stop; waiting for them to be gone.
    Aborting,
    /// The scope returned or was dropped.
    Closed,
}

/// What the scope, every `TaskGroup` handle and the children share.
struct GroupInner<E> {
    label: ObjectName,
    state: Cell<GroupState>,
    /// The children's wrapper tasks: `Ok(())` when the child returned `Ok`
    /// (its value went to its `GroupTask`), `Err(e)` when it failed.
    children: RefCell<ChildTasks<Result<(), E>>>,
    failures: RefCell<Vec<Failure<E>>>,
}

/// A handle to a task group, given to the body of [`TaskGroup::scope`].
/// Clone it into children to let them spawn siblings. asyncio: `TaskGroup`.
///
/// - Leaving the scope waits for every child.
/// - The first failure (a child returning `Err` or panicking, or the body
///   returning `Err`) cancels every other child **and the body**, and the
///   scope returns a [`GroupError`] listing every failure in the order they
///   happened.
/// - Inside the body, awaiting a child never sees its failure: the first
///   failure drops the body before it is polled again.
/// - Cancelling one child through its [`GroupTask`] is not a failure.
/// - Under [`Check::inject_cancels`](crate::check::Check::inject_cancels)
///   every child is a candidate for a cancel at an await the run chooses
///   (not a failure either, as above).
/// - Spawning into a group that is aborting or has ended is a [`SpawnError`].
/// - Cancelling the task that runs the scope drops the scope, which cancels
///   every child; nothing in the group can swallow that cancellation.
///
/// # Differences from asyncio
/// asyncio aborts the body by cancelling the *owner task* and un-cancelling
/// it on exit, which has swallowed or leaked real cancellations (fixed
/// piecemeal from 3.11 to 3.13). Here the body is a future the scope owns:
/// aborting drops that future and never touches the owner's cancel state.
///
/// ```
/// use seedloop::{Sim, sleep, task::TaskGroup, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let sum = TaskGroup::scope(|tg| async move {
///         let a = tg.spawn(async { sleep(Duration::from_secs(1)).await; Ok::<u32, String>(1) }).unwrap();
///         let b = tg.spawn(async { sleep(Duration::from_secs(2)).await; Ok(2) }).unwrap();
///         Ok(a.await.unwrap() + b.await.unwrap())
///     }).await;
///     assert_eq!(sum, Ok(3));
///     assert_eq!(Instant::now().as_secs_f64(), 2.0);
/// }).unwrap();
/// ```
pub struct TaskGroup<E> {
    inner: Rc<GroupInner<E>>,
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup {
            inner: self.inner.clone(),
        }
    }
}

impl<E: 'static> TaskGroup<E> {
    /// Runs `body` with a new group, then waits for every child. Returns the
    /// body's output if nothing failed. asyncio: `async with TaskGroup() as tg`.
    ///
    /// # Errors
    /// [`GroupError`] with every failure, if a child or the body failed.
    ///
    /// # Cancel safety
    /// Dropping the scope future (its owner is cancelled, a timeout around
    /// it fires) drops the body and cancels every child.
    ///
    /// # Panics
    /// A panic in the body is not caught: it is a panic of the task running
    /// the scope.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::TaskGroup, time::Instant};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let err = TaskGroup::scope(|tg| async move {
    ///         tg.spawn(async { sleep(Duration::from_millis(100)).await; Err::<(), _>("broken") }).unwrap();
    ///         tg.spawn(async { sleep(Duration::from_secs(10)).await; Ok(()) }).unwrap();
    ///         sleep(Duration::from_secs(60)).await; // the body is cancelled too
    ///         Ok(())
    ///     }).await.unwrap_err();
    ///     assert_eq!(Instant::now().as_secs_f64(), 0.1);
    ///     assert_eq!(err.failures()[0].error(), Some(&"broken"));
    /// }).unwrap();
    /// ```
    pub fn scope<B, Fut, R>(body: B) -> Scope<Fut, R, E>
    where
        B: FnOnce(TaskGroup<E>) -> Fut,
        Fut: Future<Output = Result<R, E>>,
    {
        let label = ObjectName::new("TaskGroup");
        label.record("open", |_| {});
        let group = TaskGroup {
            inner: Rc::new(GroupInner {
                children: RefCell::new(ChildTasks::new(label.name())),
                label,
                state: Cell::new(GroupState::Open),
                failures: RefCell::default(),
            }),
        };
        Scope::new(group.clone(), body(group))
    }

    /// Spawns a child into the group. asyncio: `TaskGroup.create_task`.
    ///
    /// The child starts after the spawning task yields, like any task. Its
    /// `Ok` value is for its [`GroupTask`]; its `Err` goes to the group and
    /// aborts it.
    ///
    /// # Errors
    /// [`SpawnError`] if the group is aborting or has ended; `fut` is
    /// dropped then.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskGroup};
    /// Sim::new(1).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         let child = tg.spawn(async { Ok::<_, ()>("hello") }).unwrap();
    ///         assert_eq!(child.await, Ok("hello"));
    ///         Ok(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    #[doc(alias = "create_task")]
    #[track_caller]
    pub fn spawn<F, T>(&self, fut: F) -> Result<GroupTask<T>, SpawnError>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.spawn_inner(None, fut)
    }

    /// Like [`spawn`](TaskGroup::spawn), naming the child for traces and
    /// reports.
    ///
    /// # Errors
    /// As [`spawn`](TaskGroup::spawn).
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskGroup};
    /// Sim::new(1).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         let w = tg.spawn_named("writer", async { Ok::<_, ()>(()) }).unwrap();
    ///         assert_eq!(w.id().to_string(), "#2");
    ///         Ok(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_named<F, T>(
        &self,
        name: impl AsRef<str>,
        fut: F,
    ) -> Result<GroupTask<T>, SpawnError>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.spawn_inner(Some(name.as_ref().into()), fut)
    }

    #[track_caller]
    fn spawn_inner<F, T>(&self, name: Option<Rc<str>>, fut: F) -> Result<GroupTask<T>, SpawnError>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        let group = self.inner.label.name().to_string();
        match self.inner.state.get() {
            GroupState::Open | GroupState::Joining => {}
            GroupState::Aborting => return Err(SpawnError::Aborting { group }),
            GroupState::Closed => return Err(SpawnError::Closed { group }),
        }
        let slot: Rc<RefCell<ChildOutput<T>>> = Rc::new(RefCell::new(ChildOutput::Running));
        let out = slot.clone();
        // Every child is a candidate for an injected cancel
        // (`Check::inject_cancels`); without the option this does nothing.
        let site = Some(Location::caller());
        let task = with_core("seedloop::task::TaskGroup::spawn", |core| {
            crate::task::Task::from_cell(core.spawn_candidate(name, site, async move {
                match fut.await {
                    Ok(v) => {
                        *out.borrow_mut() = ChildOutput::Ok(v);
                        Ok(())
                    }
                    Err(e) => {
                        *out.borrow_mut() = ChildOutput::Failed;
                        Err(e)
                    }
                }
            }))
        });
        let handle = GroupTask {
            task: task.task_ref(),
            slot,
        };
        let id = task.id();
        self.inner.children.borrow_mut().push(task);
        self.inner
            .label
            .record("spawn", |out| out.push_str(&id.to_string()));
        Ok(handle)
    }

    /// The group's display name in traces and reports, e.g. `TaskGroup#1`.
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskGroup};
    /// Sim::new(1).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         assert_eq!(tg.name(), "TaskGroup#1");
    ///         Ok::<_, ()>(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    pub fn name(&self) -> String {
        self.inner.label.name().to_string()
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("name", &self.inner.label.name())
            .field("state", &self.inner.state.get())
            .finish()
    }
}

/// A child's output, between the child and its `GroupTask`. Legal
/// transitions: `Running → Ok | Failed` (by the child), `Ok → Taken` (by
/// the handle).
enum ChildOutput<T> {
    Running,
    Ok(T),
    /// The child returned `Err`; the error went to the group.
    Failed,
    Taken,
}

/// A child of a [`TaskGroup`]: await it for its `Ok` value. Dropping it
/// does **not** cancel the child (the group owns it); [`cancel`](GroupTask::cancel)
/// does, without aborting the group.
///
/// # Cancel safety
/// Awaiting is cancel-safe: a dropped `await` loses nothing.
///
/// ```
/// use seedloop::{Sim, sleep, task::TaskGroup};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let r = TaskGroup::scope(|tg| async move {
///         let slow = tg.spawn(async { sleep(Duration::from_secs(10)).await; Ok::<_, ()>(1) }).unwrap();
///         let fast = tg.spawn(async { Ok(2) }).unwrap();
///         slow.cancel(); // not a failure: the group goes on
///         Ok(fast.await.unwrap())
///     }).await;
///     assert_eq!(r, Ok(2));
/// }).unwrap();
/// ```
pub struct GroupTask<T> {
    task: TaskRef,
    slot: Rc<RefCell<ChildOutput<T>>>,
}

impl<T> GroupTask<T> {
    /// The child's task id.
    ///
    /// ```
    /// use seedloop::{Sim, task::TaskGroup};
    /// Sim::new(1).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         assert_eq!(tg.spawn(async { Ok::<_, ()>(()) }).unwrap().id().to_string(), "#2");
    ///         Ok::<_, ()>(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    pub fn id(&self) -> TaskId {
        self.task.id()
    }

    /// Cancels the child; awaiting it gives `Err(ChildError::Join(Cancelled))`.
    /// Not a failure of the group.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, JoinError, task::{TaskGroup, ChildError}};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         let t = tg.spawn(async { sleep(Duration::from_secs(5)).await; Ok::<_, ()>(()) }).unwrap();
    ///         t.cancel();
    ///         assert_eq!(t.await, Err(ChildError::Join(JoinError::Cancelled)));
    ///         Ok(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    pub fn cancel(&self) {
        self.task.cancel();
    }

    /// Cancels the child with a reason. See [`Task::cancel_with`](crate::Task::cancel_with).
    ///
    /// ```
    /// use seedloop::{Sim, sleep, JoinError, task::{TaskGroup, ChildError}};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         let t = tg.spawn(async { sleep(Duration::from_secs(5)).await; Ok::<_, ()>(()) }).unwrap();
    ///         t.cancel_with("enough");
    ///         let reason = JoinError::CancelledWith { reason: "enough".into() };
    ///         assert_eq!(t.await, Err(ChildError::Join(reason)));
    ///         Ok(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    pub fn cancel_with(&self, reason: impl Into<String>) {
        self.task.cancel_with(reason.into());
    }

    /// Pending cancel requests. See [`Task::cancelling`](crate::Task::cancelling).
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::TaskGroup};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         let t = tg.spawn(async { sleep(Duration::from_secs(5)).await; Ok::<_, ()>(()) }).unwrap();
    ///         assert_eq!(t.cancelling(), 0);
    ///         t.cancel();
    ///         assert_eq!(t.cancelling(), 1);
    ///         Ok(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    pub fn cancelling(&self) -> u32 {
        self.task.cancelling()
    }

    /// Whether the child has ended.
    ///
    /// ```
    /// use seedloop::{Sim, Policy, yield_now, task::TaskGroup};
    /// Sim::new(1).policy(Policy::Fifo).run(async {
    ///     TaskGroup::scope(|tg| async move {
    ///         let t = tg.spawn(async { Ok::<_, ()>(1) }).unwrap();
    ///         assert!(!t.is_finished());
    ///         yield_now().await;
    ///         assert!(t.is_finished());
    ///         Ok(())
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl<T> Future for GroupTask<T> {
    type Output = Result<T, ChildError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.task.poll_end(cx) {
            Poll::Pending => {
                let id = self.task.id();
                try_with_core(|core| core.note_wait(WaitOn::Task(id)));
                Poll::Pending
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(ChildError::Join(e))),
            Poll::Ready(Ok(())) => {
                let out = std::mem::replace(&mut *self.slot.borrow_mut(), ChildOutput::Taken);
                match out {
                    ChildOutput::Ok(v) => Poll::Ready(Ok(v)),
                    ChildOutput::Failed => {
                        *self.slot.borrow_mut() = ChildOutput::Failed;
                        Poll::Ready(Err(ChildError::Failed))
                    }
                    ChildOutput::Taken | ChildOutput::Running => {
                        panic!("a GroupTask was polled again after it returned its output")
                    }
                }
            }
        }
    }
}

impl<T> fmt::Debug for GroupTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupTask")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
