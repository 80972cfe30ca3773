//! `timeout` and `timeout_at`: give up on a future after a deadline.
//!
//! Nested timeouts that expire at the same poll: the outermost one reports
//! `Elapsed` (see `timeout_nesting.rs`), as in asyncio.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::timeout_handle::{Shared, TimeoutHandle};
use super::timeout_nesting::{defer_to_enclosing, wake_survivors, Deferred, EnclosingScope};
use super::{sleep, sleep_until, Instant, Sleep};
use crate::runtime::cancel_injection::TimeoutCancel;
use crate::runtime::context::{try_with_core, with_core};
use pin_project_lite::pin_project;

/// The error of a [`timeout`] whose deadline passed first.
///
/// ```
/// use seedloop::{Sim, sleep, timeout};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let err = timeout(Duration::from_secs(1), sleep(Duration::from_secs(2))).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed (at 1.000000)");
/// }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed {
    deadline: Instant,
}

impl Elapsed {
    pub(crate) fn new(deadline: Instant) -> Elapsed {
        Elapsed { deadline }
    }

    /// The deadline that passed.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadline has elapsed (at {})", self.deadline)
    }
}

impl Error for Elapsed {}

/// Runs `fut` for at most `duration`. asyncio: `wait_for(aw, timeout)` and
/// `async with timeout(d)`.
///
/// If the deadline passes first, `fut` is dropped (its destructors run) and
/// the result is `Err(Elapsed)`. If `fut` completes at the very instant of
/// the deadline, its output wins.
///
/// # Wrapping a `Task`: by value or by reference
/// `timeout(d, task)` owns the [`Task`](crate::Task): when the deadline
/// passes, the handle is dropped with everything else the timeout wraps,
/// and dropping a `Task` cancels it, as asyncio's `wait_for` cancels what it
/// waits for. `timeout(d, &mut task)` only borrows it: the timeout drops the
/// borrow, not the task, so the task runs on and can be awaited again
/// (asyncio: `wait_for(shield(task), d)`). That is Rust's ownership rule, not
/// a special case:
///
/// ```
/// use seedloop::{Sim, spawn, sleep, timeout, JoinError};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     // By value: the timeout cancels the task.
///     let slow = spawn(async { sleep(Duration::from_secs(2)).await; 1 });
///     let id = slow.id();
///     assert!(timeout(Duration::from_secs(1), slow).await.is_err());
///     # let _ = id;
///
///     // By reference: the task runs on; await it again later.
///     let mut slow = spawn(async { sleep(Duration::from_secs(2)).await; 2 });
///     assert!(timeout(Duration::from_secs(1), &mut slow).await.is_err());
///     assert!(!slow.is_finished());
///     assert_eq!(slow.await, Ok(2));
/// }).unwrap();
/// ```
///
/// # Nested timeouts
/// When several nested timeouts have all expired by the time their task is
/// polled (for instance two with the same deadline), the outermost one
/// reports `Err(Elapsed)` and the inner ones are dropped with the future it
/// wraps, as in asyncio (where the outer `timeout`'s timer, set first, fires
/// first, and the inner one's `CancelledError` propagates through it). An
/// inner timeout whose deadline passed strictly earlier, and was seen then,
/// reports first, as it should:
///
/// ```
/// use seedloop::{Sim, sleep, timeout};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let d = Duration::from_secs(1);
///     let out = timeout(d, timeout(d, sleep(Duration::from_secs(5)))).await;
///     assert!(out.is_err(), "the outer timeout expires, not Ok(Err(..))");
///     let out = timeout(2 * d, timeout(d, sleep(Duration::from_secs(5)))).await;
///     assert!(matches!(out, Ok(Err(_))), "the inner one expired first");
/// }).unwrap();
/// ```
///
/// To move the deadline while the timeout runs (asyncio's
/// `Timeout.reschedule`), use [`Timeout::reset`] or [`timeout_scope`](crate::time::timeout_scope).
///
/// # Cancel safety
/// As cancel-safe as `fut`: dropping the timeout drops `fut`.
///
/// # Cancel injection
/// Under [`Check::inject_cancels`](crate::check::Check::inject_cancels) a
/// spawned task that polls a timeout is a candidate for a cancel at one of
/// the suspensions of `fut`, chosen by the run when `fut` first suspends.
/// The task is cancelled (the timeout does not report `Elapsed`), as when
/// another task cancels it there. A timeout in the main task is no
/// candidate.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, timeout, JoinError};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let slow = spawn(async { sleep(Duration::from_secs(2)).await; 1 });
///     assert!(timeout(Duration::from_secs(1), slow).await.is_err()); // and `slow` is cancelled
///     let fast = timeout(Duration::from_secs(1), async { 2 }).await;
///     assert_eq!(fast, Ok(2));
/// }).unwrap();
/// ```
#[doc(alias = "wait_for")]
#[inline]
pub fn timeout<F: Future>(duration: Duration, fut: F) -> Timeout<F> {
    Timeout::new(sleep(duration), fut, None)
}

/// Runs `fut` until `deadline` at the latest. See [`timeout`].
///
/// # Cancel safety
/// As cancel-safe as `fut`.
///
/// ```
/// use seedloop::{Sim, sleep, time::{timeout_at, Instant}};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let at = Instant::now() + Duration::from_secs(1);
///     assert!(timeout_at(at, sleep(Duration::from_secs(5))).await.is_err());
///     assert_eq!(Instant::now(), at);
/// }).unwrap();
/// ```
#[inline]
pub fn timeout_at<F: Future>(deadline: Instant, fut: F) -> Timeout<F> {
    Timeout::new(sleep_until(deadline), fut, None)
}

pin_project! {
    /// The future returned by [`timeout`], [`timeout_at`] and
    /// [`timeout_scope`](crate::time::timeout_scope). asyncio: `Timeout`.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, timeout, time::Instant};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let t = timeout(Duration::from_secs(1), sleep(Duration::from_secs(5)));
    ///     assert_eq!(t.deadline().as_secs_f64(), 1.0);
    ///     assert!(t.await.is_err());
    /// }).unwrap();
    /// ```
    ///
    /// # Pinning
    /// The wrapped future lives inside the `Timeout` (no allocation), so a
    /// `Timeout` is `Unpin` only when that future is, as tokio's. To poll
    /// one by reference (`&mut t`, for instance across the turns of a
    /// loop), pin it first; take a [`handle`](Timeout::handle) before
    /// pinning if its deadline must move later:
    ///
    /// ```
    /// use seedloop::{Sim, sleep, timeout, time::Instant};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let mut t = timeout(Duration::from_secs(1), async {
    ///         sleep(Duration::from_secs(2)).await;
    ///         "done"
    ///     });
    ///     let handle = t.handle();
    ///     let mut t = std::pin::pin!(t);
    ///     handle.reset(Instant::now() + Duration::from_secs(3));
    ///     assert_eq!((&mut t).await, Ok("done"));
    /// }).unwrap();
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F: Future> {
        // Declared first: dropped before the timer.
        #[pin]
        inner: Option<F>,
        state: TimeoutState,
    }
}

/// Everything of a [`Timeout`] but the future it wraps: never pinned.
struct TimeoutState {
    sleep: Sleep,
    /// What only some timeouts need, boxed so that a plain timeout stays
    /// small (and its poll cheap).
    rare: Option<Box<Rare>>,
    /// Whether the run was asked, at the first suspension of the future
    /// this wraps, if it injects a cancel here (`Check::inject_cancels`).
    cancel_asked: bool,
}

#[derive(Default)]
struct Rare {
    /// The injected cancel chosen for this timeout's task, if any: at which
    /// await of the wrapped future it lands.
    cancel: Option<TimeoutCancel>,
    /// What the handles share, once one was made.
    shared: Option<Rc<Shared>>,
    /// Held while this timeout has stepped aside for an enclosing one that
    /// expired with it: that one wakes us if we outlive what it drops.
    stepped_aside: Option<Rc<()>>,
}

impl<F: Future> Timeout<F> {
    #[inline]
    pub(super) fn new(sleep: Sleep, fut: F, shared: Option<Rc<Shared>>) -> Timeout<F> {
        Timeout {
            inner: Some(fut),
            state: TimeoutState {
                sleep,
                rare: shared.map(|shared| {
                    Box::new(Rare {
                        cancel: None,
                        shared: Some(shared),
                        stepped_aside: None,
                    })
                }),
                cancel_asked: false,
            },
        }
    }

    /// When the timeout fires. asyncio: `Timeout.when()`.
    ///
    /// ```
    /// use seedloop::{Sim, timeout, time::Instant};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let t = timeout(Duration::from_secs(3), async {});
    ///     assert_eq!(t.deadline(), Instant::now() + Duration::from_secs(3));
    /// }).unwrap();
    /// ```
    #[doc(alias = "when")]
    pub fn deadline(&self) -> Instant {
        match self.state.shared() {
            Some(shared) => shared.deadline(),
            None => self.state.sleep.deadline(),
        }
    }

    /// Moves the deadline, earlier or later; the timer follows at the next
    /// poll. A deadline already past makes that poll report `Elapsed`
    /// (unless the inner future completes in it). Does nothing once the
    /// timeout has completed. asyncio: `Timeout.reschedule(when)`.
    ///
    /// From inside the future the timeout wraps, use a [`TimeoutHandle`]
    /// (from [`Timeout::handle`] or [`timeout_scope`](crate::time::timeout_scope)).
    ///
    /// ```
    /// use seedloop::{Sim, sleep, timeout, time::Instant};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let mut t = timeout(Duration::from_secs(1), sleep(Duration::from_secs(3)));
    ///     t.reset(Instant::now() + Duration::from_secs(5));
    ///     assert_eq!(t.await, Ok(()));
    ///     assert_eq!(Instant::now().as_secs_f64(), 3.0);
    /// }).unwrap();
    /// ```
    #[doc(alias = "reschedule")]
    pub fn reset(&mut self, deadline: Instant) {
        if self.inner.is_none() {
            return;
        }
        let state = &mut self.state;
        state.sleep.reset(deadline);
        if let Some(shared) = state.shared() {
            shared.set_deadline(deadline);
            shared.take_moved();
        }
    }

    /// A handle that can read and move this timeout's deadline from
    /// anywhere, for instance from inside the future it wraps (given to it
    /// through a channel or a cell), or from another task.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sleep, timeout, time::Instant};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let mut t = timeout(Duration::from_secs(1), sleep(Duration::from_secs(3)));
    ///     let handle = t.handle();
    ///     // Another task extends the deadline before it passes.
    ///     spawn(async move { handle.reset(Instant::now() + Duration::from_secs(10)) }).detach();
    ///     assert_eq!(t.await, Ok(()));
    /// }).unwrap();
    /// ```
    pub fn handle(&mut self) -> TimeoutHandle {
        let state = &mut self.state;
        let deadline = state.sleep.deadline();
        let shared = state
            .rare
            .get_or_insert_with(Box::default)
            .shared
            .get_or_insert_with(|| Rc::new(Shared::new(deadline)));
        TimeoutHandle::new(shared.clone())
    }
}

impl TimeoutState {
    /// The state the handles share, if a handle was made.
    #[inline]
    fn shared(&self) -> Option<&Rc<Shared>> {
        self.rare.as_ref().and_then(|r| r.shared.as_ref())
    }

    /// Applies a deadline moved through a handle.
    fn follow_handle(&mut self) {
        if let Some(shared) = self.shared() {
            if shared.take_moved() {
                let deadline = shared.deadline();
                self.sleep.reset(deadline);
            }
        }
    }

    /// The inner future returned `Pending`: has the deadline passed, and if
    /// so, does this timeout report or step aside for an enclosing one?
    /// `Ready` means it reports: the caller drops the inner future, then
    /// [`complete`](Self::complete)s with the timeouts handed back, which
    /// stepped aside for this one.
    /// Out of line: the hot path (the inner future completes) stays small.
    #[inline(never)]
    fn poll_deadline(
        &mut self,
        cx: &mut Context<'_>,
        mut deferred: Vec<Deferred>,
    ) -> Poll<Vec<Deferred>> {
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Pending => {
                if !self.cancel_asked || self.rare.as_ref().is_some_and(|r| r.cancel.is_some()) {
                    self.count_cancel_await();
                }
                if let Some(rare) = &mut self.rare {
                    if let Some(shared) = &rare.shared {
                        shared.set_waker(cx.waker());
                    }
                    rare.stepped_aside = None;
                }
                // Only when a reset moved a deadline that had passed:
                // whoever stepped aside for us must look again.
                wake_survivors(deferred);
                Poll::Pending
            }
            Poll::Ready(()) => {
                let now = with_core("seedloop::timeout", |core| core.now());
                let token = self
                    .rare
                    .get_or_insert_with(Box::default)
                    .stepped_aside
                    .get_or_insert_with(|| Rc::new(()));
                deferred.insert(0, (Rc::downgrade(token), cx.waker().clone()));
                if defer_to_enclosing(now, &mut deferred) {
                    return Poll::Pending;
                }
                deferred.remove(0);
                Poll::Ready(deferred)
            }
        }
    }

    /// The wrapped future suspended: at its first suspension, asks whether
    /// the run cancels this timeout's task at one of them (a choice only
    /// under `Check::inject_cancels`); then counts toward the chosen one,
    /// where the task's cancel is requested. See `runtime/cancel_injection.rs`.
    #[inline(never)]
    fn count_cancel_await(&mut self) {
        if !self.cancel_asked {
            self.cancel_asked = true;
            if let Some(plan) = try_with_core(|core| core.plan_timeout_cancel()).flatten() {
                self.rare.get_or_insert_with(Box::default).cancel = Some(plan);
            }
        }
        let Some(rare) = &mut self.rare else {
            return;
        };
        if let Some(plan) = &mut rare.cancel {
            if plan.counts_to_cancel() {
                let at = plan.at;
                rare.cancel = None;
                try_with_core(|core| core.inject_timeout_cancel(at));
            }
        }
    }

    /// After the caller dropped what we wrapped (cancelling it): wakes
    /// whoever stepped aside for us and outlived it.
    #[inline]
    fn complete(&mut self, deferred: Vec<Deferred>, expired: bool) {
        if let Some(rare) = &mut self.rare {
            rare.stepped_aside = None;
            if let Some(shared) = &rare.shared {
                shared.finish(expired);
            }
        }
        if !deferred.is_empty() {
            wake_survivors(deferred);
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let state = this.state;
        if let Some(shared) = state.shared() {
            shared.set_polling(true);
            state.follow_handle();
        }
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            polled_after_completion();
        };
        let scope = EnclosingScope::enter(state.sleep.deadline());
        let polled = inner.poll(cx);
        let deferred = scope.exit();
        if let Some(shared) = state.shared() {
            shared.set_polling(false);
            state.follow_handle();
        }
        match polled {
            Poll::Ready(out) => {
                this.inner.set(None);
                state.complete(deferred, false);
                Poll::Ready(Ok(out))
            }
            Poll::Pending => match state.poll_deadline(cx, deferred) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(deferred) => {
                    // Dropping what we wrap cancels it (a task passed by
                    // value), before those that stepped aside are woken.
                    this.inner.set(None);
                    state.complete(deferred, true);
                    Poll::Ready(Err(Elapsed {
                        deadline: state.sleep.deadline(),
                    }))
                }
            },
        }
    }
}

#[cold]
fn polled_after_completion() -> ! {
    panic!("a Timeout was polled again after it completed");
}

impl<F: Future> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.deadline())
            .field("done", &self.inner.is_none())
            .finish()
    }
}
