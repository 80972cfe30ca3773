//! `wait` and `try_wait`: wait for some or all of a set of tasks, without
//! cancelling any. asyncio: `wait(aws, return_when=, timeout=)`.

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::object::id_list;
use super::{JoinError, Task};
use crate::runtime::blocker::{Blocker, WaitOn};
use crate::runtime::context::try_with_core;
use crate::runtime::ids::TaskId;
use crate::sync::object::ObjectName;
use crate::time::{sleep, Sleep};

/// When [`wait`] returns. asyncio: `FIRST_COMPLETED`, `FIRST_EXCEPTION`,
/// `ALL_COMPLETED`.
///
/// ```
/// use seedloop::task::ReturnWhen;
/// assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
/// assert_eq!(ReturnWhen::FirstError.to_string(), "first_error");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as one task has ended (finished, panicked or was cancelled).
    #[doc(alias = "FIRST_COMPLETED")]
    FirstCompleted,
    /// As soon as one task has failed: panicked, or (with [`try_wait`])
    /// returned `Err`; or when all have ended. A cancelled task is not a
    /// failure (as in asyncio).
    #[doc(alias = "FIRST_EXCEPTION")]
    FirstError,
    /// When every task has ended.
    #[doc(alias = "ALL_COMPLETED")]
    #[default]
    AllCompleted,
}

impl fmt::Display for ReturnWhen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReturnWhen::FirstCompleted => "first_completed",
            ReturnWhen::FirstError => "first_error",
            ReturnWhen::AllCompleted => "all_completed",
        })
    }
}

/// Misuse of [`wait`].
///
/// ```
/// use seedloop::{Sim, Task, task::{wait, ReturnWhen, WaitError}};
/// Sim::new(1).run(async {
///     let none: Vec<Task<()>> = Vec::new();
///     assert_eq!(wait(none, ReturnWhen::AllCompleted, None).await.unwrap_err(), WaitError::Empty);
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitError {
    /// No tasks were given.
    Empty,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::Empty => write!(
                f,
                "wait() was given no tasks: pass at least one (with nothing to wait for it \
                 could only return at once or hang; asyncio raises ValueError here too)"
            ),
        }
    }
}

impl Error for WaitError {}

/// Which tasks a blocked `wait` waits on, for deadlock reports.
struct WaitStatus {
    label: Rc<str>,
    when: ReturnWhen,
    /// The tasks still running, updated at every poll.
    waiting: RefCell<Vec<TaskId>>,
}

impl Blocker for WaitStatus {
    fn describe(&self, name: &dyn Fn(TaskId) -> String) -> String {
        let names: Vec<String> = self.waiting.borrow().iter().map(|id| name(*id)).collect();
        format!("{} ({}: {})", self.label, self.when, names.join(", "))
    }

    fn holders(&self) -> Vec<TaskId> {
        self.waiting.borrow().clone()
    }
}

/// Waits until some or all of `tasks` have ended, as `when` says, or until
/// `timeout` passes; gives the tasks back as `(done, pending)`, each in the
/// order given. asyncio: `wait(aws, return_when=, timeout=)`.
///
/// `wait` never cancels anything: the pending tasks are still running when
/// it returns, and their handles are yours again. The done ones can be
/// awaited for their output at once. A timeout is not an error: it returns
/// what is done so far. Tasks that end in the same turn as the one `wait`
/// returns for are all in `done`.
///
/// # Errors
/// [`WaitError::Empty`] if `tasks` is empty.
///
/// # Cancel safety
/// `wait` holds the handles while it waits: if it is dropped (its owner is
/// cancelled, a timeout around it fires), the handles are dropped with it,
/// and dropping a [`Task`] cancels it. Detach tasks that must outlive the
/// waiter, or use the `timeout` argument, which gives them back.
///
/// # Panics
/// With a timeout, outside a runtime.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, task::{wait, ReturnWhen}, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let fast = spawn(async { sleep(Duration::from_millis(100)).await; "fast" });
///     let slow = spawn(async { sleep(Duration::from_millis(200)).await; "slow" });
///     let (done, pending) = wait([fast, slow], ReturnWhen::FirstCompleted, None).await.unwrap();
///     assert_eq!(Instant::now().as_secs_f64(), 0.1);
///     assert_eq!((done.len(), pending.len()), (1, 1));
///     for t in done { assert_eq!(t.await, Ok("fast")); }
///     for t in pending { assert_eq!(t.await, Ok("slow")); } // still running
/// }).unwrap();
/// ```
pub fn wait<T, I>(tasks: I, when: ReturnWhen, timeout: Option<Duration>) -> Wait<T>
where
    I: IntoIterator<Item = Task<T>>,
{
    Wait::new(tasks, when, timeout, |_| false)
}

/// Like [`wait`], for tasks that return `Result`: with
/// [`ReturnWhen::FirstError`] a task that returned `Err` counts as failed,
/// as a panicking one does.
///
/// # Errors
/// [`WaitError::Empty`] if `tasks` is empty.
///
/// # Cancel safety
/// As [`wait`].
///
/// # Panics
/// With a timeout, outside a runtime.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, task::{try_wait, ReturnWhen}, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let a = spawn(async { sleep(Duration::from_millis(300)).await; Ok(1) });
///     let b = spawn(async { sleep(Duration::from_millis(100)).await; Err("refused") });
///     let (done, pending) = try_wait([a, b], ReturnWhen::FirstError, None).await.unwrap();
///     assert_eq!(Instant::now().as_secs_f64(), 0.1);
///     assert_eq!((done.len(), pending.len()), (1, 1));
/// }).unwrap();
/// ```
pub fn try_wait<T, E, I>(
    tasks: I,
    when: ReturnWhen,
    timeout: Option<Duration>,
) -> Wait<Result<T, E>>
where
    I: IntoIterator<Item = Task<Result<T, E>>>,
{
    Wait::new(tasks, when, timeout, Result::is_err)
}

/// The future returned by [`wait`] and [`try_wait`].
#[must_use = "futures do nothing unless awaited; dropping a Wait cancels the tasks it holds"]
pub struct Wait<T> {
    tasks: Vec<Task<T>>,
    when: ReturnWhen,
    timer: Option<Sleep>,
    is_error: fn(&T) -> bool,
    label: ObjectName,
    status: Rc<WaitStatus>,
    returned: bool,
}

impl<T> Wait<T> {
    fn new<I>(
        tasks: I,
        when: ReturnWhen,
        timeout: Option<Duration>,
        is_error: fn(&T) -> bool,
    ) -> Self
    where
        I: IntoIterator<Item = Task<T>>,
    {
        let tasks: Vec<Task<T>> = tasks.into_iter().collect();
        let label = ObjectName::new("Wait");
        let timer = timeout.map(sleep);
        label.record("start", |out| {
            out.push_str(&{
                let until = timer
                    .as_ref()
                    .map_or(String::new(), |t| format!(" until {}", t.deadline()));
                format!("{when} [{}]{until}", id_list(tasks.iter().map(Task::id)))
            })
        });
        Wait {
            status: Rc::new(WaitStatus {
                label: label.name(),
                when,
                waiting: RefCell::default(),
            }),
            timer,
            tasks,
            when,
            is_error,
            label,
            returned: false,
        }
    }

    /// Whether task `i` counts as failed for `FirstError`.
    fn failed(&self, i: usize, end: &Result<(), JoinError>) -> bool {
        match end {
            Err(e) => e.is_panic(),
            Ok(()) => self.tasks[i].output_matches(self.is_error),
        }
    }

    fn split(&mut self) -> (Vec<Task<T>>, Vec<Task<T>>) {
        self.returned = true;
        let (done, pending): (Vec<Task<T>>, Vec<Task<T>>) = std::mem::take(&mut self.tasks)
            .into_iter()
            .partition(Task::is_finished);
        (done, pending)
    }
}

impl<T> Unpin for Wait<T> {}

impl<T> Future for Wait<T> {
    type Output = Result<(Vec<Task<T>>, Vec<Task<T>>), WaitError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.returned, "a Wait was polled after it completed");
        if this.tasks.is_empty() {
            this.returned = true;
            return Poll::Ready(Err(WaitError::Empty));
        }
        let mut ended = 0;
        let mut failed = false;
        for i in 0..this.tasks.len() {
            if let Poll::Ready(end) = this.tasks[i].poll_end(cx) {
                ended += 1;
                failed |= this.failed(i, &end);
            }
        }
        let all = ended == this.tasks.len();
        let ready = match this.when {
            ReturnWhen::FirstCompleted => ended > 0,
            ReturnWhen::FirstError => failed || all,
            ReturnWhen::AllCompleted => all,
        };
        let timed_out = !ready
            && this
                .timer
                .as_mut()
                .is_some_and(|t| Pin::new(t).poll(cx).is_ready());
        if ready || timed_out {
            let (done, pending) = this.split();
            let action = if ready { "return" } else { "timeout" };
            this.label.record(action, |out| {
                out.push_str(&format!(
                    "done [{}] pending [{}]",
                    id_list(done.iter().map(Task::id)),
                    id_list(pending.iter().map(Task::id))
                ))
            });
            return Poll::Ready(Ok((done, pending)));
        }
        *this.status.waiting.borrow_mut() = this
            .tasks
            .iter()
            .filter(|t| !t.is_finished())
            .map(Task::id)
            .collect();
        let blocker: Rc<dyn Blocker> = this.status.clone();
        try_with_core(|core| core.note_wait(WaitOn::Object(blocker)));
        Poll::Pending
    }
}

impl<T> Drop for Wait<T> {
    fn drop(&mut self) {
        if !self.returned && self.tasks.iter().any(|t| !t.is_finished()) {
            // The handles go with us, which cancels their tasks.
            self.label.record("drop", |out| {
                out.push_str(&{
                    format!(
                        "cancels [{}]",
                        id_list(self.tasks.iter().filter(|t| !t.is_finished()).map(Task::id))
                    )
                })
            });
        }
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("name", &self.label.name())
            .field("when", &self.when)
            .field("tasks", &self.tasks.len())
            .finish()
    }
}
