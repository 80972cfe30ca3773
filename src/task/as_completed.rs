//! `as_completed`: run futures as tasks and take their outputs as they
//! finish. asyncio: `as_completed(aws, timeout=)`.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;

use super::completion::ChildTasks;
use super::object::id_list;
use super::{JoinError, Task};
use crate::runtime::context::with_core;
use crate::sync::object::ObjectName;
use crate::time::{sleep_until, Elapsed, Instant, Sleep};

/// An item of [`as_completed`] that is not an output.
///
/// ```
/// use seedloop::{Sim, sleep, task::{as_completed, AsCompletedError}};
/// use futures::StreamExt;
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let mut s = as_completed([sleep(Duration::from_secs(5))]).timeout(Duration::from_secs(1));
///     let item = s.next().await.unwrap();
///     assert!(matches!(item, Err(AsCompletedError::Elapsed(_))));
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AsCompletedError {
    /// The deadline passed: the last item of the stream. The futures that
    /// had not finished still run; [`AsCompleted::into_pending`] gives
    /// their handles. asyncio: `TimeoutError`.
    Elapsed(Elapsed),
    /// The task running the future at `index` panicked.
    Join {
        /// Its position among the arguments.
        index: usize,
        /// How it ended.
        error: JoinError,
    },
}

impl AsCompletedError {
    /// Whether this is the timeout.
    pub fn is_elapsed(&self) -> bool {
        matches!(self, AsCompletedError::Elapsed(_))
    }
}

impl fmt::Display for AsCompletedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsCompletedError::Elapsed(e) => write!(f, "as_completed: {e}"),
            AsCompletedError::Join { index, error } => {
                write!(f, "as_completed: future {index}: {error}")
            }
        }
    }
}

impl Error for AsCompletedError {}

/// Where the stream is. Legal transitions: `Yielding → Ended` (every output
/// handed out, or the deadline passed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StreamState {
    Yielding,
    Ended,
}

/// Runs every future as a task, at once, and streams their outputs in the
/// order they finish. asyncio: `as_completed(aws, timeout=)`.
///
/// Outputs that finish at the same virtual instant come out in the order
/// they finished in the schedule (the order of their `finish` events in the
/// trace), so a seed fixes the order completely. A panicking child (with
/// [`Sim::isolate_panics`](crate::Sim::isolate_panics), or in real mode)
/// yields `Err(AsCompletedError::Join { .. })` in its place; the others go on.
///
/// With [`AsCompleted::timeout`], the stream yields what finished before the
/// deadline, then `Err(AsCompletedError::Elapsed(..))`, then ends. It
/// cancels nothing: [`into_pending`](AsCompleted::into_pending) gives the
/// handles of the futures still running.
///
/// # Differences from asyncio
/// asyncio yields awaitables to await one by one; this is a `Stream` of the
/// outputs themselves, and its order is defined for simultaneous completions.
///
/// # Cancel safety
/// Dropping the stream cancels every child still running (their handles go
/// with it); take them first with [`into_pending`](AsCompleted::into_pending)
/// to keep them.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, sleep, task::as_completed};
/// use futures::StreamExt;
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let job = |v: u32, ms: u64| async move { sleep(Duration::from_millis(ms)).await; v };
///     let out: Vec<u32> = as_completed([job(1, 300), job(2, 100), job(3, 200)])
///         .map(Result::unwrap)
///         .collect()
///         .await;
///     assert_eq!(out, [2, 3, 1]);
/// }).unwrap();
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
    <I::Item as Future>::Output: 'static,
{
    let label = ObjectName::new("AsCompleted");
    let mut children = ChildTasks::new(label.name());
    with_core("seedloop::task::as_completed", |core| {
        for fut in futures {
            children.push(Task::spawn_on(core, None, fut));
        }
    });
    label.record("start", |out| {
        out.push_str(&{ id_list((0..children.len()).map(|i| children.id(i))) })
    });
    AsCompleted {
        label,
        children,
        deadline: None,
        state: StreamState::Yielding,
    }
}

/// The stream returned by [`as_completed`].
#[must_use = "streams do nothing unless polled; dropping AsCompleted cancels its children"]
pub struct AsCompleted<T> {
    label: ObjectName,
    children: ChildTasks<T>,
    deadline: Option<Sleep>,
    state: StreamState,
}

impl<T> AsCompleted<T> {
    /// Ends the stream `d` from now: see [`as_completed`].
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::as_completed, time::Instant};
    /// use futures::StreamExt;
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let job = |ms: u64| async move { sleep(Duration::from_millis(ms)).await; ms };
    ///     let mut s = as_completed([job(100), job(900)]).timeout(Duration::from_millis(500));
    ///     assert_eq!(s.next().await.unwrap(), Ok(100));
    ///     assert!(s.next().await.unwrap().unwrap_err().is_elapsed());
    ///     assert_eq!(Instant::now().as_secs_f64(), 0.5);
    ///     assert!(s.next().await.is_none());
    ///     let rest = s.into_pending(); // still running
    ///     assert_eq!(rest.len(), 1);
    /// }).unwrap();
    /// ```
    pub fn timeout(self, d: Duration) -> AsCompleted<T> {
        let now = with_core("seedloop::task::AsCompleted::timeout", |core| core.now());
        self.timeout_at(now + d)
    }

    /// Ends the stream at `deadline`: see [`as_completed`].
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::as_completed, time::Instant};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let s = as_completed([sleep(Duration::from_secs(1))])
    ///         .timeout_at(Instant::ZERO + Duration::from_secs(3));
    ///     assert_eq!(s.remaining(), 1);
    /// }).unwrap();
    /// ```
    pub fn timeout_at(mut self, deadline: Instant) -> AsCompleted<T> {
        self.label
            .record("deadline", |out| out.push_str(&format!("until {deadline}")));
        self.deadline = Some(sleep_until(deadline));
        self
    }

    /// How many outputs have not been handed out yet.
    pub fn remaining(&self) -> usize {
        self.children.unfinished() + self.children.ended_not_taken()
    }

    /// The handles of the futures whose output was not handed out, in
    /// argument order, still running (or finished and not yet collected).
    /// Ends the stream without cancelling them.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::as_completed};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let s = as_completed([async { sleep(Duration::from_secs(1)).await; 7 }]);
    ///     let tasks = s.into_pending();
    ///     assert_eq!(tasks.len(), 1);
    ///     for t in tasks { assert_eq!(t.await, Ok(7)); }
    /// }).unwrap();
    /// ```
    pub fn into_pending(mut self) -> Vec<Task<T>> {
        self.state = StreamState::Ended;
        let tasks = self.children.take_remaining();
        self.label.record("release", |out| {
            out.push_str(&id_list(tasks.iter().map(Task::id)))
        });
        tasks
    }
}

impl<T> Unpin for AsCompleted<T> {}

impl<T> Stream for AsCompleted<T> {
    type Item = Result<T, AsCompletedError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.state == StreamState::Ended {
            return Poll::Ready(None);
        }
        if let Some((index, out)) = this.children.next_ended() {
            let id = this.children.id(index);
            this.label
                .record("yield", |out| out.push_str(&format!("{index} ({id})")));
            return Poll::Ready(Some(
                out.map_err(|error| AsCompletedError::Join { index, error }),
            ));
        }
        if this.children.unfinished() == 0 {
            this.state = StreamState::Ended;
            this.label.record("done", |_| {});
            return Poll::Ready(None);
        }
        if let Some(timer) = this.deadline.as_mut() {
            if Pin::new(&mut *timer).poll(cx).is_ready() {
                this.state = StreamState::Ended;
                let deadline = timer.deadline();
                this.label.record("timeout", |out| {
                    out.push_str(&{
                        format!("pending [{}]", id_list(this.children.unfinished_ids()))
                    })
                });
                return Poll::Ready(Some(Err(AsCompletedError::Elapsed(Elapsed::new(deadline)))));
            }
        }
        this.children.wait_for_next(cx);
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.state {
            StreamState::Ended => (0, Some(0)),
            StreamState::Yielding => (0, Some(self.remaining() + 1)),
        }
    }
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        if self.children.holds_unfinished() {
            self.label.record("drop", |out| {
                out.push_str(&{ format!("cancels [{}]", id_list(self.children.unfinished_ids())) })
            });
        }
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("name", &self.label.name())
            .field("remaining", &self.remaining())
            .finish()
    }
}
