//! A spawned task's cell: its future, then its output, behind one `Rc`.
//!
//! The executor holds the cell as `Rc<dyn RawTask>` (to poll it); the user's
//! [`Task<T>`](crate::Task) holds the same cell as `Rc<dyn JoinTarget<T>>`
//! (to read the output). The future lives inline in the cell, pinned there
//! for its whole life: one allocation per task (see `poll` for the argument).

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
    pub join_waker: RefCell<Option<Waker>>,
    pub panic_message: RefCell<Option<Rc<str>>>,
    /// Someone awaited the task and got its `JoinError::Panicked` (debug
    /// mode reports a panic nobody observed).
    pub panic_observed: Cell<bool>,
    pub waker: Waker,
}

impl TaskHeader {
    /// Moves to a final state and wakes whoever awaits the task.
    pub fn complete(&self, state: TaskState) {
        debug_assert!(state.is_final());
        self.state.set(state);
        let w = self.join_waker.borrow_mut().take();
        if let Some(w) = w {
            w.wake();
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
}

impl<F: Future> JoinTarget<F::Output> for TaskCell<F> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn poll_join(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, JoinError>> {
        match self.header.state.get() {
            TaskState::Finished => {
                let mut stage = self.stage.borrow_mut();
                // Only a finished output is ever moved out of the cell.
                assert!(
                    matches!(*stage, Stage::Done(_)),
                    "a Task was polled again after it returned its output"
                );
                match std::mem::replace(&mut *stage, Stage::Gone) {
                    Stage::Done(out) => Poll::Ready(Ok(out)),
                    _ => unreachable!("checked above"),
                }
            }
            TaskState::Cancelled => Poll::Ready(Err(JoinError::Cancelled)),
            TaskState::Panicked => {
                let message = self
                    .header
                    .panic_message
                    .borrow()
                    .as_deref()
                    .unwrap_or("")
                    .to_string();
                self.header.panic_observed.set(true);
                Poll::Ready(Err(JoinError::Panicked { message }))
            }
            _ => {
                let mut w = self.header.join_waker.borrow_mut();
                match &mut *w {
                    Some(old) if old.will_wake(cx.waker()) => {}
                    _ => *w = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}
