//! A spawned task's cell: its future, then its output, behind one `Rc`.
//!
//! The executor holds the cell as `Rc<dyn RawTask>` (to poll it); the user's
//! [`Task<T>`](crate::Task) holds the same cell as `Rc<dyn JoinTarget<T>>`
//! (to read the output). The future lives inline in the cell, pinned there
//! for its whole life: one allocation per task (see `poll` for the argument).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::ids::{TaskId, TaskKey};
use super::state::TaskState;
use crate::task::JoinError;

/// What the executor and the `Task` handle share about a task, whatever its type.
pub(crate) struct TaskHeader {
    pub id: TaskId,
    pub name: Option<Rc<str>>,
    pub key: TaskKey,
    pub state: Cell<TaskState>,
    pub cancel_requested: Cell<bool>,
    /// How many cancel requests are pending, and the first one's reason.
    pub cancels: CancelRequests,
    pub join_waker: RefCell<Option<Waker>>,
    /// Run once, in registration order, when the task reaches a final state.
    pub done_hooks: RefCell<Vec<DoneHook>>,
    pub panic_message: RefCell<Option<Rc<str>>>,
    /// Someone awaited the task and got its `JoinError::Panicked` (debug
    /// mode reports a panic nobody observed).
    pub panic_observed: Cell<bool>,
    pub waker: Waker,
    /// The task's task-local values while it is not running (the core holds
    /// them while it runs).
    pub locals: Cell<Locals>,
}

/// Task-local values (`task::TaskLocal`), opaque to the core: copied (one
/// `Rc` clone) into a task at spawn and into a callback when it is scheduled,
/// made current around each poll. `None` when nothing was ever set.
pub(crate) type Locals = Option<Rc<dyn Any>>;

/// Code to run when a task ends (combinators use it to learn the order in
/// which their children complete). It runs inside the loop, synchronously:
/// it must not block or poll anything, only note and wake.
pub(crate) type DoneHook = Box<dyn FnOnce(&TaskHeader)>;

/// The pending cancel requests of a task (asyncio's `cancelling()` count)
/// and the reason given with the first of them.
///
/// `count > 0` exactly while `TaskHeader::cancel_requested` is set by a
/// request through a `Task` handle; `uncancel` bringing it to 0 clears both.
#[derive(Default)]
pub(crate) struct CancelRequests {
    pub count: Cell<u32>,
    pub reason: RefCell<Option<Rc<str>>>,
}

impl TaskHeader {
    /// Moves to a final state, wakes whoever awaits the task, then runs the
    /// done hooks in registration order.
    pub fn complete(&self, state: TaskState) {
        debug_assert!(state.is_final());
        self.state.set(state);
        let w = self.join_waker.borrow_mut().take();
        if let Some(w) = w {
            w.wake();
        }
        let hooks = std::mem::take(&mut *self.done_hooks.borrow_mut());
        for hook in hooks {
            hook(self);
        }
    }

    /// Runs `hook` when the task ends, or now if it already has.
    pub fn add_done_hook(&self, hook: DoneHook) {
        if self.state.get().is_final() {
            hook(self);
        } else {
            self.done_hooks.borrow_mut().push(hook);
        }
    }

    /// How the task ended: `Ok` if it finished (its output waits in the
    /// cell), the error an awaiter gets otherwise; `None` while it runs.
    pub fn end(&self) -> Option<Result<(), JoinError>> {
        match self.state.get() {
            TaskState::Finished => Some(Ok(())),
            TaskState::Cancelled => Some(Err(match self.cancels.reason.borrow().as_deref() {
                Some(reason) => JoinError::CancelledWith {
                    reason: reason.to_string(),
                },
                None => JoinError::Cancelled,
            })),
            TaskState::Panicked => Some(Err(JoinError::Panicked {
                message: self
                    .panic_message
                    .borrow()
                    .as_deref()
                    .unwrap_or("")
                    .to_string(),
            })),
            TaskState::Waiting | TaskState::Running => None,
        }
    }
}

enum Stage<F: Future> {
    Running(F),
    Done(F::Output),
    Gone,
}

/// Only ever held in an `Rc` that is never unwrapped: the cell, and so the
/// future inside it, never moves once it is shared.
pub(crate) struct TaskCell<F: Future> {
    header: TaskHeader,
    stage: RefCell<Stage<F>>,
}

impl<F: Future> TaskCell<F> {
    pub fn new(header: TaskHeader, future: F) -> TaskCell<F> {
        TaskCell {
            header,
            stage: RefCell::new(Stage::Running(future)),
        }
    }
}

/// The executor's view of a task.
pub(crate) trait RawTask {
    fn header(&self) -> &TaskHeader;
    /// Polls the future. `Ready` means it finished and its output is stored.
    fn poll(&self, cx: &mut Context<'_>) -> Poll<()>;
    /// Drops the future (cancellation, panic, end of run). Its destructors
    /// run inside this call, with no borrow of the cell held.
    fn drop_future(&self);
}

impl<F: Future> RawTask for TaskCell<F> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    #[allow(unsafe_code)]
    fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut stage = self.stage.borrow_mut();
        let Stage::Running(fut) = &mut *stage else {
            return Poll::Ready(());
        };
        // SAFETY: pinning requires that the future is not moved from now
        // until it is dropped. It lives inside this cell, which lives inside
        // an `Rc` that is never unwrapped (`Rc::try_unwrap`/`into_inner` are
        // never called on a `TaskCell`), so its address is fixed until the
        // allocation is freed. It leaves `Stage::Running` only by assignment
        // to `*stage` (here on completion, and in `drop_future`), which drops
        // it in place; nothing ever moves a `Running` stage out (`poll_join`
        // moves only `Done`). `Drop` of the cell drops it in place too.
        let fut = unsafe { Pin::new_unchecked(fut) };
        match fut.poll(cx) {
            Poll::Ready(out) => {
                // Dropping the finished future happens here, inside the poll.
                *stage = Stage::Done(out);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn drop_future(&self) {
        // Dropped in place (see `poll`); its destructors run now. They must
        // not await this same task's handle, which nothing can do from `Drop`.
        *self.stage.borrow_mut() = Stage::Gone;
    }
}

/// The `Task<T>` handle's view of a task.
pub(crate) trait JoinTarget<T> {
    fn header(&self) -> &TaskHeader;
    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;
    /// Applies `f` to the output, if the task finished and the output has
    /// not been taken yet.
    fn inspect_output(&self, f: &mut dyn FnMut(&T));
}

impl<F: Future> JoinTarget<F::Output> for TaskCell<F> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        match self.header.end() {
            Some(Ok(())) => {
                let mut stage = self.stage.borrow_mut();
                // Only a finished output is ever moved out of the cell: a
                // `Running` future is pinned there (see `poll`).
                assert!(
                    matches!(*stage, Stage::Done(_)),
                    "a Task was polled again after it returned its output"
                );
                match std::mem::replace(&mut *stage, Stage::Gone) {
                    Stage::Done(out) => Poll::Ready(Ok(out)),
                    _ => unreachable!("checked above"),
                }
            }
            Some(Err(e)) => {
                if e.is_panic() {
                    self.header.panic_observed.set(true);
                }
                Poll::Ready(Err(e))
            }
            None => {
                let mut w = self.header.join_waker.borrow_mut();
                match &mut *w {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    _ => *w = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    fn inspect_output(&self, f: &mut dyn FnMut(&F::Output)) {
        if let Stage::Done(out) = &*self.stage.borrow() {
            f(out);
        }
    }
}
