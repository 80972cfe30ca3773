//! `StopHandle`: asyncio's `loop.stop()`, callable from any thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// Whether a stop was asked for, and who waits for it.
#[derive(Default)]
pub(crate) struct StopState {
    requested: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl StopState {
    /// Clears a request once the run it ended has returned.
    pub fn reset(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }
}

/// Stops a [`Runtime::run_forever`](super::Runtime::run_forever) in progress.
/// asyncio: `loop.stop()`. Cheap to clone, `Send + Sync`: a task, a callback
/// or another thread may call [`stop`](StopHandle::stop).
///
/// ```
/// use seedloop::{real::Runtime, spawn, sleep};
/// use std::time::Duration;
/// let mut rt = Runtime::new().unwrap();
/// let stop = rt.stop_handle();
/// rt.run_forever(async move {
///     spawn(async move {
///         sleep(Duration::from_millis(1)).await;
///         stop.stop();
///     }).detach();
/// }).unwrap();
/// ```
#[derive(Clone)]
pub struct StopHandle {
    pub(crate) state: Arc<StopState>,
}

impl StopHandle {
    /// Asks the runtime's `run_forever` to return: at once if it is running
    /// (the main future is dropped, the remaining tasks cancelled), else
    /// right after the next `run_forever` has polled its setup future once.
    pub fn stop(&self) {
        self.state.requested.store(true, Ordering::SeqCst);
        let waker = self
            .state
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Whether a stop was asked for and not yet acted on.
    pub fn is_stop_requested(&self) -> bool {
        self.state.requested.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for StopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopHandle")
            .field("stop_requested", &self.is_stop_requested())
            .finish()
    }
}

/// `run_forever`'s main future: polls `setup` to completion, then waits for a stop.
pub(crate) struct UntilStopped<F> {
    pub setup: Option<Pin<Box<F>>>,
    pub state: Arc<StopState>,
}

impl<F: Future<Output = ()>> Future for UntilStopped<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(setup) = self.setup.as_mut() {
            if setup.as_mut().poll(cx).is_ready() {
                self.setup = None;
            }
        }
        // Waker first, flag second: a stop between the two is not lost.
        *self
            .state
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        if self.state.requested.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}
