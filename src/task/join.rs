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
use crate::runtime::raw_task::{DoneHook, OutputCell, TaskHeader};
use crate::runtime::state::TaskState;
use crate::runtime::Core;
use crate::trace::EventKind;

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
///
/// A cancellation comes in two variants: [`JoinError::Cancelled`] when no
/// reason was given, [`JoinError::CancelledWith`] when the first cancel
/// request was [`Task::cancel_with`]. Test for either with
/// [`JoinError::is_cancelled`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// The task was cancelled (by [`Task::cancel`], by dropping its handle,
    /// or by a timeout around it) before it finished. asyncio: `CancelledError`.
    Cancelled,
    /// The task was cancelled by [`Task::cancel_with`] (or by a combinator
    /// that says why, such as a failing [`TaskGroup`](crate::task::TaskGroup)).
    /// asyncio: `CancelledError(msg)`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sleep, JoinError};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let t = spawn(sleep(Duration::from_secs(10)));
    ///     t.cancel_with("shutting down");
    ///     let err = t.await.unwrap_err();
    ///     assert!(err.is_cancelled());
    ///     assert_eq!(err, JoinError::CancelledWith { reason: "shutting down".into() });
    ///     assert_eq!(err.cancel_reason(), Some("shutting down"));
    /// }).unwrap();
    /// ```
    CancelledWith {
        /// The reason given with the first cancel request.
        reason: String,
    },
    /// The task panicked (real mode, and sim with
    /// [`Sim::isolate_panics`](crate::Sim::isolate_panics); otherwise in sim a
    /// panic fails the whole run).
    Panicked {
        /// The panic message.
        message: String,
    },
}

impl JoinError {
    /// Whether the task was cancelled, with or without a reason.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled | JoinError::CancelledWith { .. })
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked { .. })
    }

    /// The reason given to [`Task::cancel_with`], if the task was cancelled
    /// with one.
    pub fn cancel_reason(&self) -> Option<&str> {
        match self {
            JoinError::CancelledWith { reason } => Some(reason),
            _ => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => write!(f, "task was cancelled"),
            JoinError::CancelledWith { reason } => write!(f, "task was cancelled: {reason}"),
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
    cell: Rc<dyn OutputCell<T>>,
    detached: bool,
}

impl<T> Task<T> {
    pub(crate) fn from_cell(cell: Rc<dyn OutputCell<T>>) -> Task<T> {
        Task {
            cell,
            detached: false,
        }
    }

    /// Spawns `fut` on `core` (named `name`) and wraps the core's raw
    /// handle: the one way every spawning API of `task/` makes a `Task`.
    pub(crate) fn spawn_on<F>(core: &Core, name: Option<Rc<str>>, fut: F) -> Task<T>
    where
        F: Future<Output = T> + 'static,
    {
        Task::from_cell(core.spawn(name, fut))
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
        request_cancel(self.header(), None);
    }

    /// Like [`Task::cancel`], with a reason: awaiting the task then gives
    /// `Err(JoinError::CancelledWith { reason })`. asyncio: `cancel(msg)`.
    ///
    /// The reason of the first request that carries one is kept; later
    /// reasons are ignored (they are recorded in the trace all the same).
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sleep};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let t = spawn(sleep(Duration::from_secs(10)));
    ///     t.cancel_with("deadline moved");
    ///     t.cancel_with("ignored: the first reason stays");
    ///     assert_eq!(t.await.unwrap_err().cancel_reason(), Some("deadline moved"));
    /// }).unwrap();
    /// ```
    pub fn cancel_with(&self, reason: impl Into<String>) {
        request_cancel(self.header(), Some(reason.into()));
    }

    /// How many cancel requests are pending: each [`cancel`](Task::cancel) or
    /// [`cancel_with`](Task::cancel_with) of an unfinished task adds one,
    /// [`uncancel`](Task::uncancel) withdraws one. The count is kept after the
    /// task ends. asyncio: `cancelling()`.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sleep};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let t = spawn(sleep(Duration::from_secs(1)));
    ///     assert_eq!(t.cancelling(), 0);
    ///     t.cancel();
    ///     t.cancel();
    ///     assert_eq!(t.cancelling(), 2);
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// }).unwrap();
    /// ```
    pub fn cancelling(&self) -> u32 {
        self.header().cancel_count()
    }

    /// Withdraws one pending cancel request and returns how many remain.
    /// asyncio: `uncancel()`.
    ///
    /// When the last one is withdrawn before the task reached its next
    /// scheduling point, the task runs on as if it had not been cancelled
    /// (it is polled once more: a spurious wake-up, which every future must
    /// tolerate), and the reason is forgotten. Once the cancellation took
    /// effect (the task's future was dropped) it cannot be undone: this then
    /// changes nothing and returns the count as it stands.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sleep};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let t = spawn(async { sleep(Duration::from_secs(1)).await; 7 });
    ///     t.cancel_with("changed my mind");
    ///     assert_eq!(t.uncancel(), 0);
    ///     assert_eq!(t.await, Ok(7));
    /// }).unwrap();
    /// ```
    pub fn uncancel(&self) -> u32 {
        withdraw_cancel(self.header())
    }

    /// Runs `callback` on the loop once the task has ended (in the next turn
    /// after it ended, or in the next turn if it already has). Callbacks run
    /// in registration order; each gets `Ok(())` if the task finished (its
    /// output still waits in this handle) or the error an awaiter would get.
    /// asyncio: `add_done_callback`.
    ///
    /// Callbacks of tasks that are still running when the run ends never run.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sleep, time::Instant};
    /// use std::{cell::RefCell, rc::Rc, time::Duration};
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let s = seen.clone();
    /// Sim::new(1).run(async move {
    ///     let t = spawn(sleep(Duration::from_secs(1)));
    ///     let s2 = s.clone();
    ///     t.on_done(move |end| s2.borrow_mut().push((Instant::now().as_secs_f64(), end.is_ok())));
    ///     t.await.unwrap();
    ///     sleep(Duration::from_secs(1)).await;
    /// }).unwrap();
    /// assert_eq!(*seen.borrow(), [(1.0, true)]);
    /// ```
    #[doc(alias = "add_done_callback")]
    pub fn on_done(&self, callback: impl FnOnce(Result<(), JoinError>) + 'static) {
        // Like every callback, it runs with the task-locals of whoever
        // registered it (asyncio: `add_done_callback` copies the context).
        let locals = try_with_core(|core| core.current_locals()).flatten();
        self.header()
            .add_done_hook(Box::new(move |header: &TaskHeader| {
                let Some(end) = ended(header) else { return };
                try_with_core(|core| {
                    let cell = core.schedule_callback(Box::new(move || callback(end)), None);
                    cell.locals.set(locals);
                });
            }));
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
        self.header().name().map(|n| &**n)
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
        // Nobody can await it any more: forget the last awaiter's waker, so
        // the task's end does not wake it for nothing.
        self.header().join_waker.take();
    }

    /// How the task ended, without taking its output: `Ready(Ok(()))` if it
    /// finished, `Ready(Err(..))` if it was cancelled or panicked. While it
    /// runs, registers `cx`'s waker to be woken when it ends.
    pub(crate) fn poll_end(&self, cx: &mut Context<'_>) -> Poll<Result<(), JoinError>> {
        poll_end(self.header(), cx)
    }

    /// Applies `f` to the output of a finished task (false if there is none).
    pub(crate) fn output_matches(&self, f: impl Fn(&T) -> bool) -> bool {
        let mut hit = false;
        self.cell.inspect_output(&mut |out| hit = f(out));
        hit
    }

    /// Runs `hook` synchronously when the task ends (now, if it has).
    pub(crate) fn add_done_hook(&self, hook: DoneHook) {
        self.header().add_done_hook(hook);
    }
}

impl<T: 'static> Task<T> {
    /// A handle that can watch and cancel the task, but not take its output,
    /// and whose drop does nothing.
    pub(crate) fn task_ref(&self) -> TaskRef {
        TaskRef {
            cell: Rc::new(Erased(self.cell.clone())),
        }
    }
}

/// Records a cancel request (and its reason), then asks the core to cancel.
pub(super) fn request_cancel(header: &TaskHeader, reason: Option<String>) {
    if header.state.get().is_final() {
        return;
    }
    let c = header.cancels();
    c.count.set(c.count.get().saturating_add(1));
    let first_reason = reason.is_some() && c.reason.borrow().is_none();
    if first_reason {
        *c.reason.borrow_mut() = reason.as_deref().map(Rc::from);
    }
    let in_runtime = try_with_core(|core| {
        core.cancel(header);
        if let (Some(reason), true) = (&reason, core.tracing()) {
            core.record(EventKind::object(
                format!("Task{}", header.id),
                "cancel reason",
                format!("{reason:?}{}", if first_reason { "" } else { " (ignored)" }),
            ));
        }
    });
    if in_runtime.is_none() {
        header.cancel_requested.set(true);
    }
}

/// Withdraws one cancel request; at zero the cancellation is called off.
pub(super) fn withdraw_cancel(header: &TaskHeader) -> u32 {
    let c = header.cancels();
    let n = c.count.get();
    if header.state.get().is_final() || n == 0 {
        return n;
    }
    c.count.set(n - 1);
    if n == 1 {
        header.cancel_requested.set(false);
        *c.reason.borrow_mut() = None;
    }
    try_with_core(|core| {
        core.record(EventKind::object(
            format!("Task{}", header.id),
            "uncancel",
            format!("{} pending", n - 1),
        ))
    });
    n - 1
}

/// How the task ended: `Ok` if it finished (its output waits in the
/// cell), the error an awaiter gets otherwise; `None` while it runs.
fn ended(header: &TaskHeader) -> Option<Result<(), JoinError>> {
    match header.state.get() {
        TaskState::Finished => Some(Ok(())),
        TaskState::Cancelled => Some(Err(match header.cancel_reason().as_deref() {
            Some(reason) => JoinError::CancelledWith {
                reason: reason.to_string(),
            },
            None => JoinError::Cancelled,
        })),
        TaskState::Panicked => Some(Err(JoinError::Panicked {
            message: header.panic_message().map_or("", |m| &**m).to_string(),
        })),
        TaskState::Waiting | TaskState::Running => None,
    }
}

fn poll_end(header: &TaskHeader, cx: &mut Context<'_>) -> Poll<Result<(), JoinError>> {
    if let Some(end) = ended(header) {
        return Poll::Ready(end);
    }
    let waker = match header.join_waker.take() {
        Some(old) if old.will_wake(cx.waker()) => old,
        _ => cx.waker().clone(),
    };
    header.join_waker.set(Some(waker));
    Poll::Pending
}

/// A task's header, whatever its output type.
trait HasHeader {
    fn header(&self) -> &TaskHeader;
}

struct Erased<T>(Rc<dyn OutputCell<T>>);

impl<T> HasHeader for Erased<T> {
    fn header(&self) -> &TaskHeader {
        self.0.header()
    }
}

/// A second, weaker handle to a task: it can watch the task end and cancel
/// it, but not take its output, and dropping it does nothing. Combinators
/// that own a task's [`Task`] give users one of these.
#[derive(Clone)]
pub(crate) struct TaskRef {
    cell: Rc<dyn HasHeader>,
}

impl TaskRef {
    fn header(&self) -> &TaskHeader {
        self.cell.header()
    }

    pub fn id(&self) -> TaskId {
        self.header().id
    }

    pub fn cancel(&self) {
        request_cancel(self.header(), None);
    }

    pub fn cancel_with(&self, reason: String) {
        request_cancel(self.header(), Some(reason));
    }

    pub fn cancelling(&self) -> u32 {
        self.header().cancel_count()
    }

    pub fn is_finished(&self) -> bool {
        self.header().state.get().is_final()
    }

    /// See [`Task::poll_end`]. Shares the task's single join waker slot:
    /// only one of `Task::poll`, `Task::poll_end` and this may wait at a time.
    pub fn poll_end(&self, cx: &mut Context<'_>) -> Poll<Result<(), JoinError>> {
        poll_end(self.header(), cx)
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let header = self.header();
        // The common case first: the task finished (no error to build).
        if header.state.get() == TaskState::Finished {
            return Poll::Ready(Ok(self.cell.take_output()));
        }
        let polled = match poll_end(header, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(self.cell.take_output())),
            Poll::Ready(Err(e)) => {
                if e.is_panic() {
                    self.header().panic_observed.set(true);
                }
                Poll::Ready(Err(e))
            }
            Poll::Pending => Poll::Pending,
        };
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
        let header = self.header();
        let waker = header.join_waker.take();
        drop(waker);
        // (A task that ended takes no cancel: skip the call.)
        if !self.detached && !header.state.get().is_final() {
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
