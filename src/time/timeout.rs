//! `timeout` and `timeout_at`: give up on a future after a deadline.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{sleep, sleep_until, Instant, Sleep};

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
/// the result is `Err(Elapsed)`. Wrapping a [`Task`](crate::Task) therefore
/// cancels the task, as asyncio's `wait_for` does. If `fut` completes at the
/// very instant of the deadline, its output wins.
///
/// # Cancel safety
/// As cancel-safe as `fut`: dropping the timeout drops `fut`.
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
pub fn timeout<F: Future>(duration: Duration, fut: F) -> Timeout<F> {
    Timeout {
        inner: Some(Box::pin(fut)),
        sleep: sleep(duration),
    }
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
pub fn timeout_at<F: Future>(deadline: Instant, fut: F) -> Timeout<F> {
    Timeout {
        inner: Some(Box::pin(fut)),
        sleep: sleep_until(deadline),
    }
}

/// The future returned by [`timeout`] and [`timeout_at`].
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F: Future> {
    inner: Option<Pin<Box<F>>>,
    sleep: Sleep,
}

impl<F: Future> Timeout<F> {
    /// When the timeout fires.
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(inner) = this.inner.as_mut() else {
            panic!("a Timeout was polled again after it completed");
        };
        if let Poll::Ready(out) = inner.as_mut().poll(cx) {
            this.inner = None;
            return Poll::Ready(Ok(out));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => {
                this.inner = None; // drops (and so cancels) what we wrapped
                Poll::Ready(Err(Elapsed {
                    deadline: this.sleep.deadline(),
                }))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.deadline())
            .field("done", &self.inner.is_none())
            .finish()
    }
}
