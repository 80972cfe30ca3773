//! Moving a running timeout's deadline: [`TimeoutHandle`] and
//! [`timeout_scope`]. asyncio: `async with timeout(d) as cm:
//! cm.reschedule(when)`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use super::{sleep, Instant, Timeout};

/// What a [`Timeout`] shares with its handles.
pub(super) struct Shared {
    deadline: Cell<Instant>,
    /// The deadline moved through a handle since the timeout last looked.
    moved: Cell<bool>,
    /// The timeout is polling the future it wraps right now (a reset from
    /// inside it needs no wake-up: the timeout looks again after the poll).
    polling: Cell<bool>,
    done: Cell<bool>,
    expired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Shared {
    pub fn new(deadline: Instant) -> Shared {
        Shared {
            deadline: Cell::new(deadline),
            moved: Cell::new(false),
            polling: Cell::new(false),
            done: Cell::new(false),
            expired: Cell::new(false),
            waker: RefCell::new(None),
        }
    }

    pub fn deadline(&self) -> Instant {
        self.deadline.get()
    }

    pub fn set_deadline(&self, deadline: Instant) {
        self.deadline.set(deadline);
    }

    pub fn take_moved(&self) -> bool {
        self.moved.replace(false)
    }

    pub fn set_polling(&self, polling: bool) {
        self.polling.set(polling);
    }

    pub fn set_waker(&self, waker: &Waker) {
        let mut w = self.waker.borrow_mut();
        match &*w {
            Some(old) if old.will_wake(waker) => {}
            _ => *w = Some(waker.clone()),
        }
    }

    pub fn finish(&self, expired: bool) {
        self.done.set(true);
        self.expired.set(expired);
        let waker = self.waker.borrow_mut().take();
        drop(waker);
    }
}

/// A handle to a running [`Timeout`]: reads and moves its deadline.
/// asyncio: the `Timeout` object of `async with timeout(d) as cm`.
///
/// Cloning it is cheap; dropping it does nothing. Get one from
/// [`timeout_scope`] (inside the future the timeout wraps) or
/// [`Timeout::handle`].
///
/// ```
/// use seedloop::{Sim, sleep, time::{timeout_scope, Instant}};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let out = timeout_scope(Duration::from_secs(1), |cm| async move {
///         cm.reset(cm.deadline() + Duration::from_secs(1)); // 2 s now
///         sleep(Duration::from_millis(1500)).await;
///         "in time"
///     }).await;
///     assert_eq!(out, Ok("in time"));
/// }).unwrap();
/// ```
#[derive(Clone)]
pub struct TimeoutHandle {
    shared: Rc<Shared>,
}

impl TimeoutHandle {
    pub(super) fn new(shared: Rc<Shared>) -> TimeoutHandle {
        TimeoutHandle { shared }
    }

    /// When the timeout fires. asyncio: `Timeout.when()`.
    ///
    /// ```
    /// use seedloop::{Sim, time::{timeout_scope, Instant}};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     timeout_scope(Duration::from_secs(4), |cm| async move {
    ///         assert_eq!(cm.deadline().as_secs_f64(), 4.0);
    ///     }).await.unwrap();
    /// }).unwrap();
    /// ```
    #[doc(alias = "when")]
    pub fn deadline(&self) -> Instant {
        self.shared.deadline()
    }

    /// Moves the deadline, earlier or later. asyncio: `Timeout.reschedule(when)`.
    ///
    /// Called from inside the future the timeout wraps, it takes effect when
    /// that poll returns: a deadline already past then reports `Elapsed`
    /// at once (unless the future completed). Called from elsewhere (another
    /// task, a callback), it wakes the timeout's task so that its timer
    /// follows. Does nothing once the timeout has completed.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, time::{timeout_scope, Instant}};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let out = timeout_scope(Duration::from_secs(10), |cm| async move {
    ///         sleep(Duration::from_secs(1)).await;
    ///         cm.reset(Instant::now()); // give up now
    ///         sleep(Duration::from_secs(1)).await;
    ///     }).await;
    ///     assert!(out.is_err());
    ///     assert_eq!(Instant::now().as_secs_f64(), 1.0);
    /// }).unwrap();
    /// ```
    #[doc(alias = "reschedule")]
    pub fn reset(&self, deadline: Instant) {
        let s = &self.shared;
        if s.done.get() {
            return;
        }
        s.deadline.set(deadline);
        s.moved.set(true);
        if !s.polling.get() {
            let waker = s.waker.borrow().clone();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Whether the timeout ended by reporting `Elapsed`. asyncio:
    /// `Timeout.expired()`.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, timeout};
    /// use std::time::Duration;
    /// Sim::new(1).run(async {
    ///     let mut t = timeout(Duration::from_secs(1), sleep(Duration::from_secs(2)));
    ///     let cm = t.handle();
    ///     assert!(!cm.is_expired());
    ///     assert!(t.await.is_err());
    ///     assert!(cm.is_expired());
    /// }).unwrap();
    /// ```
    #[doc(alias = "expired")]
    pub fn is_expired(&self) -> bool {
        self.shared.expired.get()
    }
}

impl fmt::Debug for TimeoutHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutHandle")
            .field("deadline", &self.deadline())
            .field("done", &self.shared.done.get())
            .field("expired", &self.is_expired())
            .finish()
    }
}

/// Runs the future `body` makes for at most `duration`, giving `body` a
/// [`TimeoutHandle`] through which the future can read and move its own
/// deadline. asyncio: `async with asyncio.timeout(d) as cm:` with
/// `cm.reschedule(when)`.
///
/// Otherwise the same as [`timeout`](crate::timeout).
///
/// # Cancel safety
/// As cancel-safe as the future `body` returns.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use seedloop::{Sim, sleep, time::{timeout_scope, Instant}};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     // Each message received extends the deadline by a second.
///     let out = timeout_scope(Duration::from_secs(1), |cm| async move {
///         for _ in 0..3 {
///             sleep(Duration::from_millis(900)).await; // a message arrives
///             cm.reset(Instant::now() + Duration::from_secs(1));
///         }
///         sleep(Duration::from_secs(5)).await; // then silence
///     }).await;
///     assert!(out.is_err());
///     assert_eq!(Instant::now().as_secs_f64(), 3.7);
/// }).unwrap();
/// ```
#[doc(alias = "asyncio.timeout")]
pub fn timeout_scope<F, B>(duration: Duration, body: B) -> Timeout<F>
where
    F: Future,
    B: FnOnce(TimeoutHandle) -> F,
{
    let sleep = sleep(duration);
    let shared = Rc::new(Shared::new(sleep.deadline()));
    let fut = body(TimeoutHandle::new(shared.clone()));
    Timeout::new(sleep, fut, Some(shared))
}
