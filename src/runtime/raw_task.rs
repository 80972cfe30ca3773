//! A spawned task's cell: its future, then its output, behind one `Rc`.
//!
//! The executor holds the cell as `Rc<dyn RawTask>` (to poll it); the user's
//! `Task<T>` (in `task/`) holds the same cell as `Rc<dyn OutputCell<T>>`
//! (to read the output). The future lives inline in the cell, pinned there
//! for its whole life: one allocation per task (see `poll` for the argument).

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::ids::{TaskId, TaskKey, TaskStamp};
use super::state::TaskState;

/// What the executor and the `Task` handle share about a task, whatever its type.
///
/// Kept to one cache line (64 bytes: it is written into every new task's
/// cell, and the loop reads it at every poll): what few tasks use (a name,
/// cancel requests with reasons, done hooks, a panic message) is allocated
/// on first use, and the task's waker is made when it is polled, from the
/// key and the stamp.
pub(crate) struct TaskHeader {
    pub id: TaskId,
    pub key: TaskKey,
    /// What the task's wakers must name to reach it (see `ids.rs`).
    pub stamp: TaskStamp,
    pub state: Cell<TaskState>,
    pub cancel_requested: Cell<bool>,
    /// Someone awaited the task and got its `JoinError::Panicked` (debug
    /// mode reports a panic nobody observed).
    pub panic_observed: Cell<bool>,
    /// Whoever awaits the task (a `Cell`: taken, looked at, put back).
    pub join_waker: Cell<Option<Waker>>,
    /// The task's task-local values while it is not running (the core holds
    /// them while it runs).
    pub locals: Cell<Locals>,
    rare: Lazy<RareParts>,
}

/// The parts of a task's header that few tasks use.
#[derive(Default)]
pub(crate) struct RareParts {
    name: Option<Rc<str>>,
    /// How many cancel requests are pending, and the first one's reason.
    cancels: CancelRequests,
    /// Run once, in registration order, when the task reaches a final state.
    done_hooks: RefCell<Vec<DoneHook>>,
    /// Set once, when the task panics.
    panic_message: OnceCell<Rc<str>>,
}

/// Task-local values (`task::TaskLocal`), opaque to the core: copied (one
/// `Rc` clone) into a task at spawn and into a callback when it is scheduled,
/// made current around each poll. `None` when nothing was ever set.
pub(crate) type Locals = Option<Rc<dyn Any>>;

/// Code to run when a task ends (combinators use it to learn the order in
/// which their children complete). It runs inside the loop, synchronously:
/// it must not block or poll anything, only note and wake.
pub(crate) type DoneHook = Box<dyn FnOnce(&TaskHeader)>;

/// A `T` allocated on first use: a pointer until then. Reads through it
/// (`Deref`) allocate the default value if there is none yet; [`Lazy::get`]
/// does not.
#[derive(Default)]
pub(crate) struct Lazy<T>(OnceCell<Box<T>>);

impl<T> Lazy<T> {
    /// The value, if it was ever used.
    pub fn get(&self) -> Option<&T> {
        self.0.get().map(|b| &**b)
    }
}

impl<T: Default> Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.get_or_init(Box::default)
    }
}

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
    /// A new task's header: waiting, with no awaiter, no cancel request and
    /// the given task-local values.
    #[inline]
    pub fn new(
        id: TaskId,
        name: Option<Rc<str>>,
        key: TaskKey,
        stamp: TaskStamp,
        locals: Locals,
    ) -> TaskHeader {
        let rare = Lazy::default();
        if name.is_some() {
            let _ = rare.0.set(Box::new(RareParts {
                name,
                ..RareParts::default()
            }));
        }
        TaskHeader {
            id,
            key,
            stamp,
            state: Cell::new(TaskState::Waiting),
            cancel_requested: Cell::new(false),
            panic_observed: Cell::new(false),
            join_waker: Cell::new(None),
            locals: Cell::new(locals),
            rare,
        }
    }

    /// The task's name, if it was given one.
    pub fn name(&self) -> Option<&Rc<str>> {
        self.rare.get()?.name.as_ref()
    }

    /// The task's pending cancel requests (allocated on first use).
    pub fn cancels(&self) -> &CancelRequests {
        &self.rare.cancels
    }

    /// How many cancel requests are pending (asyncio's `cancelling()`).
    pub fn cancel_count(&self) -> u32 {
        self.rare.get().map_or(0, |r| r.cancels.count.get())
    }

    /// The reason given with the first pending cancel request, if any.
    pub fn cancel_reason(&self) -> Option<Rc<str>> {
        self.rare.get()?.cancels.reason.borrow().clone()
    }

    /// The message the task panicked with, once it has.
    pub fn panic_message(&self) -> Option<&Rc<str>> {
        self.rare.get()?.panic_message.get()
    }

    /// Notes the message the task panicked with (the first one stays).
    pub fn set_panic_message(&self, message: &str) {
        let _ = self.rare.panic_message.set(message.into());
    }

    /// Moves to a final state, wakes whoever awaits the task, then runs the
    /// done hooks in registration order.
    pub fn complete(&self, state: TaskState) {
        debug_assert!(state.is_final());
        self.state.set(state);
        let w = self.join_waker.take();
        if let Some(w) = w {
            w.wake();
        }
        let Some(rare) = self.rare.get() else {
            return;
        };
        let hooks = std::mem::take(&mut *rare.done_hooks.borrow_mut());
        for hook in hooks {
            hook(self);
        }
    }

    /// Runs `hook` when the task ends, or now if it already has.
    pub fn add_done_hook(&self, hook: DoneHook) {
        if self.state.get().is_final() {
            hook(self);
        } else {
            self.rare.done_hooks.borrow_mut().push(hook);
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
        // it in place; nothing ever moves a `Running` stage out (`take_output`
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

/// What a typed task handle (the `Task<T>` of `task/`) sees of a task: its
/// header and, once it finished, its output.
pub(crate) trait OutputCell<T> {
    fn header(&self) -> &TaskHeader;
    /// Moves the output out.
    ///
    /// # Panics
    /// If the task has not finished, or its output was taken already.
    fn take_output(&self) -> T;
    /// Applies `f` to the output, if the task finished and the output has
    /// not been taken yet.
    fn inspect_output(&self, f: &mut dyn FnMut(&T));
}

impl<F: Future> OutputCell<F::Output> for TaskCell<F> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn take_output(&self) -> F::Output {
        let mut stage = self.stage.borrow_mut();
        // Only a finished output is ever moved out of the cell: a `Running`
        // future is pinned there (see `poll`).
        assert!(
            matches!(*stage, Stage::Done(_)),
            "a Task was polled again after it returned its output"
        );
        match std::mem::replace(&mut *stage, Stage::Gone) {
            Stage::Done(out) => out,
            _ => unreachable!("checked above"),
        }
    }

    fn inspect_output(&self, f: &mut dyn FnMut(&F::Output)) {
        if let Stage::Done(out) = &*self.stage.borrow() {
            f(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lazy_value_is_allocated_on_first_use_only() {
        let lazy: Lazy<CancelRequests> = Lazy::default();
        assert!(lazy.get().is_none());
        assert_eq!(lazy.count.get(), 0);
        lazy.count.set(2);
        assert_eq!(lazy.get().map(|c| c.count.get()), Some(2));
    }

    /// The header is copied into every new task's cell: its rarely used
    /// parts stay out of line.
    #[test]
    fn the_task_header_stays_small() {
        assert!(
            std::mem::size_of::<TaskHeader>() <= 64,
            "TaskHeader is {} bytes",
            std::mem::size_of::<TaskHeader>()
        );
    }
}
