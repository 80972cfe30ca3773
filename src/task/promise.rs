//! `Promise<T, E>`: a value set once and awaited by any number of tasks.
//! asyncio: `Future`.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::runtime::blocker::{Blocker, WaitOn};
use crate::runtime::context::try_with_core;
use crate::runtime::ids::TaskId;
use crate::sync::object::ObjectName;

/// Why a [`Promise`] holds no value.
///
/// ```
/// use seedloop::{Sim, task::{Promise, PromiseError}};
/// Sim::new(1).run(async {
///     let p: Promise<u32, String> = Promise::new();
///     p.set_error("no route".to_string()).unwrap();
///     assert_eq!(p.wait().await, Err(PromiseError::Failed("no route".to_string())));
/// }).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PromiseError<E> {
    /// [`Promise::set_error`] was called. asyncio: `set_exception`.
    Failed(E),
    /// [`Promise::cancel`] or [`Promise::cancel_with`] was called.
    Cancelled {
        /// The reason given to `cancel_with`.
        reason: Option<String>,
    },
}

impl<E> PromiseError<E> {
    /// Whether the promise was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, PromiseError::Cancelled { .. })
    }
}

impl<E: fmt::Display> fmt::Display for PromiseError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromiseError::Failed(e) => write!(f, "promise failed: {e}"),
            PromiseError::Cancelled { reason: None } => write!(f, "promise was cancelled"),
            PromiseError::Cancelled {
                reason: Some(reason),
            } => write!(f, "promise was cancelled: {reason}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> Error for PromiseError<E> {}

/// A second `set`, `set_error` on a promise that is already done. Holds
/// back what was offered. asyncio: `InvalidStateError`.
///
/// ```
/// use seedloop::{Sim, task::Promise};
/// Sim::new(1).run(async {
///     let p: Promise<u32> = Promise::new();
///     p.set(1).unwrap();
///     let err = p.set(2).unwrap_err();
///     assert_eq!(err.into_inner(), 2);
/// }).unwrap();
/// ```
pub struct AlreadyDone<V> {
    value: V,
    promise: Rc<str>,
    state: &'static str,
}

impl<V> AlreadyDone<V> {
    /// The value that was not stored.
    pub fn into_inner(self) -> V {
        self.value
    }
}

impl<V> fmt::Debug for AlreadyDone<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlreadyDone")
            .field("promise", &self.promise)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<V> fmt::Display for AlreadyDone<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is already {}: a promise is completed once (by set, set_error or cancel); \
             check is_done() first, or use an Event or a Queue for repeated signals",
            self.promise, self.state
        )
    }
}

impl<V> Error for AlreadyDone<V> {}

/// Where a promise is. Legal transitions: `Unset → Done`, once; `Done` is final.
enum PromiseState<T, E> {
    /// Nothing yet; awaiters wait.
    Unset,
    /// Set, failed or cancelled; awaiters get a clone of the result.
    Done(Result<T, PromiseError<E>>),
}

type DoneCallback<T, E> = Box<dyn FnOnce(&Result<T, PromiseError<E>>)>;

struct PromiseCell<T, E> {
    label: ObjectName,
    state: RefCell<PromiseState<T, E>>,
    /// Blocked awaiters, in the order they started waiting.
    waiters: RefCell<Vec<(u64, Waker)>>,
    next_waiter: Cell<u64>,
    callbacks: RefCell<Vec<DoneCallback<T, E>>>,
}

impl<T, E> Blocker for PromiseCell<T, E> {
    fn describe(&self, _name: &dyn Fn(TaskId) -> String) -> String {
        let state = match &*self.state.borrow() {
            PromiseState::Unset => "unset",
            PromiseState::Done(_) => "done",
        };
        format!("{} ({state})", self.label.name())
    }
}

/// A value that is set once and awaited by any number of tasks. asyncio:
/// `Future` (`loop.create_future()`).
///
/// A `Promise` is a handle: clones share the same value. It is completed
/// once, by [`set`](Promise::set), [`set_error`](Promise::set_error) or
/// [`cancel`](Promise::cancel); a second completion is an error value
/// ([`AlreadyDone`]), not a panic. Every awaiter gets a clone of the result
/// (`T: Clone`, `E: Clone`), and [`on_done`](Promise::on_done) callbacks run
/// on the loop, in registration order, in the next turn.
///
/// `E` defaults to [`Infallible`]: a promise that can only be set or
/// cancelled.
///
/// The trace shows `Promise#n set`, `set_error`, `cancel` and each awaiter's
/// `wait`; a task blocked on an unset promise is reported as waiting on
/// `Promise#n (unset)` in a deadlock report.
///
/// # Cancel safety
/// Awaiting is cancel-safe: a dropped awaiter loses nothing, and the
/// promise's value stays for the others.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, task::Promise, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let p: Promise<&str> = Promise::new();
///     let setter = p.clone();
///     spawn(async move {
///         sleep(Duration::from_secs(1)).await;
///         setter.set("ready").unwrap();
///     }).detach();
///     let (a, b) = (p.wait(), p.wait()); // any number of awaiters
///     assert_eq!(a.await, Ok("ready"));
///     assert_eq!(b.await, Ok("ready"));
///     assert_eq!(Instant::now().as_secs_f64(), 1.0);
/// }).unwrap();
/// ```
#[doc(alias = "Future")]
#[doc(alias = "create_future")]
pub struct Promise<T, E = Infallible> {
    cell: Rc<PromiseCell<T, E>>,
}

impl<T, E> Clone for Promise<T, E> {
    fn clone(&self) -> Self {
        Promise {
            cell: self.cell.clone(),
        }
    }
}

impl<T: 'static, E: 'static> Default for Promise<T, E> {
    fn default() -> Self {
        Promise::new()
    }
}

impl<T: 'static, E: 'static> Promise<T, E> {
    /// An unset promise. Numbered (`Promise#n`) by the current runtime, or at
    /// first use if created outside one.
    ///
    /// ```
    /// let p: seedloop::task::Promise<i32> = seedloop::task::Promise::new();
    /// assert!(!p.is_done());
    /// ```
    pub fn new() -> Promise<T, E> {
        Promise {
            cell: Rc::new(PromiseCell {
                label: ObjectName::new("Promise"),
                state: RefCell::new(PromiseState::Unset),
                waiters: RefCell::default(),
                next_waiter: Cell::new(0),
                callbacks: RefCell::default(),
            }),
        }
    }

    /// Sets the value and wakes every awaiter. asyncio: `set_result`.
    ///
    /// # Errors
    /// [`AlreadyDone`] (holding `value`) if the promise was already set,
    /// failed or cancelled; nothing changes then.
    ///
    /// ```
    /// use seedloop::{Sim, task::Promise};
    /// Sim::new(1).run(async {
    ///     let p: Promise<u8> = Promise::new();
    ///     assert!(p.set(1).is_ok());
    ///     assert!(p.set(2).is_err());
    ///     assert_eq!(p.wait().await, Ok(1));
    /// }).unwrap();
    /// ```
    #[doc(alias = "set_result")]
    pub fn set(&self, value: T) -> Result<(), AlreadyDone<T>> {
        if self.is_done() {
            return Err(self.already_done(value));
        }
        self.complete(Ok(value), "set", |_| {});
        Ok(())
    }

    /// Completes the promise with an error. asyncio: `set_exception`.
    ///
    /// # Errors
    /// [`AlreadyDone`] (holding `error`) if the promise was already done.
    ///
    /// ```
    /// use seedloop::{Sim, task::{Promise, PromiseError}};
    /// Sim::new(1).run(async {
    ///     let p: Promise<u8, &str> = Promise::new();
    ///     p.set_error("refused").unwrap();
    ///     assert_eq!(p.result(), Some(Err(PromiseError::Failed("refused"))));
    /// }).unwrap();
    /// ```
    #[doc(alias = "set_exception")]
    pub fn set_error(&self, error: E) -> Result<(), AlreadyDone<E>> {
        if self.is_done() {
            return Err(self.already_done(error));
        }
        self.complete(Err(PromiseError::Failed(error)), "set_error", |_| {});
        Ok(())
    }

    /// Cancels the promise: awaiters get `Err(PromiseError::Cancelled)`.
    /// Returns `false`, changing nothing, if it was already done. asyncio:
    /// `cancel()`.
    ///
    /// ```
    /// use seedloop::{Sim, task::Promise};
    /// Sim::new(1).run(async {
    ///     let p: Promise<u8> = Promise::new();
    ///     assert!(p.cancel());
    ///     assert!(!p.cancel());
    ///     assert!(p.is_cancelled());
    ///     assert!(p.wait().await.unwrap_err().is_cancelled());
    /// }).unwrap();
    /// ```
    pub fn cancel(&self) -> bool {
        if self.is_done() {
            return false;
        }
        self.complete(
            Err(PromiseError::Cancelled { reason: None }),
            "cancel",
            |_| {},
        );
        true
    }

    /// Cancels the promise with a reason, which awaiters see in
    /// [`PromiseError::Cancelled`]. Returns `false` if it was already done.
    /// asyncio: `cancel(msg)`.
    ///
    /// ```
    /// use seedloop::{Sim, task::{Promise, PromiseError}};
    /// Sim::new(1).run(async {
    ///     let p: Promise<u8> = Promise::new();
    ///     p.cancel_with("server went away");
    ///     assert_eq!(
    ///         p.wait().await,
    ///         Err(PromiseError::Cancelled { reason: Some("server went away".into()) })
    ///     );
    /// }).unwrap();
    /// ```
    pub fn cancel_with(&self, reason: impl Into<String>) -> bool {
        if self.is_done() {
            return false;
        }
        let reason = reason.into();
        let detail = format!("{reason:?}");
        self.complete(
            Err(PromiseError::Cancelled {
                reason: Some(reason),
            }),
            "cancel",
            |out| out.push_str(&detail),
        );
        true
    }

    /// Whether the promise was set, failed or cancelled. asyncio: `done()`.
    ///
    /// ```
    /// let p: seedloop::task::Promise<()> = seedloop::task::Promise::new();
    /// assert!(!p.is_done());
    /// p.set(()).unwrap();
    /// assert!(p.is_done());
    /// ```
    #[doc(alias = "done")]
    pub fn is_done(&self) -> bool {
        matches!(&*self.cell.state.borrow(), PromiseState::Done(_))
    }

    /// Whether the promise was cancelled. asyncio: `cancelled()`.
    ///
    /// ```
    /// let p: seedloop::task::Promise<()> = seedloop::task::Promise::new();
    /// p.cancel();
    /// assert!(p.is_cancelled());
    /// ```
    #[doc(alias = "cancelled")]
    pub fn is_cancelled(&self) -> bool {
        matches!(
            &*self.cell.state.borrow(),
            PromiseState::Done(Err(PromiseError::Cancelled { .. }))
        )
    }

    /// The promise's display name in traces and reports, e.g. `Promise#2`.
    ///
    /// ```
    /// use seedloop::{Sim, task::Promise};
    /// Sim::new(1).run(async {
    ///     let p: Promise<()> = Promise::new();
    ///     assert_eq!(p.name(), "Promise#1");
    /// }).unwrap();
    /// ```
    pub fn name(&self) -> String {
        self.cell.label.name().to_string()
    }

    /// Runs `callback` on the loop once the promise is done: in the next
    /// turn after it completes, or in the next turn if it already has.
    /// Callbacks run in registration order and see the result. asyncio:
    /// `add_done_callback`.
    ///
    /// Outside a runtime (a promise completed before or after a run) the
    /// callbacks run at once, inside `set`/`set_error`/`cancel`.
    ///
    /// ```
    /// use seedloop::{Sim, Policy, task::Promise, yield_now};
    /// use std::{cell::RefCell, rc::Rc};
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let s = seen.clone();
    /// Sim::new(1).policy(Policy::Fifo).run(async move {
    ///     let p: Promise<u8> = Promise::new();
    ///     let (s1, s2) = (s.clone(), s.clone());
    ///     p.on_done(move |r| s1.borrow_mut().push(format!("first {r:?}")));
    ///     p.on_done(move |r| s2.borrow_mut().push(format!("second {r:?}")));
    ///     p.set(5).unwrap();
    ///     assert!(s.borrow().is_empty()); // not yet: next loop turn
    ///     yield_now().await;
    /// }).unwrap();
    /// assert_eq!(*seen.borrow(), ["first Ok(5)", "second Ok(5)"]);
    /// ```
    #[doc(alias = "add_done_callback")]
    pub fn on_done(&self, callback: impl FnOnce(&Result<T, PromiseError<E>>) + 'static) {
        if self.is_done() {
            schedule(&self.cell, Box::new(callback));
        } else {
            self.cell.callbacks.borrow_mut().push(Box::new(callback));
        }
    }

    /// Moves `Unset → Done(result)` (the caller checked it was unset),
    /// wakes the awaiters and schedules the callbacks.
    fn complete(
        &self,
        result: Result<T, PromiseError<E>>,
        action: &'static str,
        detail: impl FnOnce(&mut String),
    ) {
        *self.cell.state.borrow_mut() = PromiseState::Done(result);
        self.cell.label.record(action, detail);
        let waiters = std::mem::take(&mut *self.cell.waiters.borrow_mut());
        for (_, w) in waiters {
            w.wake();
        }
        let callbacks = std::mem::take(&mut *self.cell.callbacks.borrow_mut());
        for cb in callbacks {
            schedule(&self.cell, cb);
        }
    }

    fn already_done<V>(&self, value: V) -> AlreadyDone<V> {
        let state = match &*self.cell.state.borrow() {
            PromiseState::Done(Ok(_)) => "set",
            PromiseState::Done(Err(PromiseError::Failed(_))) => "failed",
            PromiseState::Done(Err(PromiseError::Cancelled { .. })) => "cancelled",
            PromiseState::Unset => "unset",
        };
        AlreadyDone {
            value,
            promise: self.cell.label.name(),
            state,
        }
    }
}

/// Runs `cb` with the promise's result on the loop's next turn (or now,
/// outside a runtime).
fn schedule<T: 'static, E: 'static>(cell: &Rc<PromiseCell<T, E>>, cb: DoneCallback<T, E>) {
    let cell = cell.clone();
    let run = move || {
        if let PromiseState::Done(result) = &*cell.state.borrow() {
            cb(result);
        }
    };
    let mut run = Some(run);
    try_with_core(|core| {
        if let Some(run) = run.take() {
            core.schedule_callback(Box::new(run), None);
        }
    });
    if let Some(run) = run {
        run();
    }
}

impl<T: Clone + 'static, E: Clone + 'static> Promise<T, E> {
    /// The result if the promise is done, without waiting. asyncio:
    /// `result()` and `exception()`, without raising.
    ///
    /// ```
    /// let p: seedloop::task::Promise<u8> = seedloop::task::Promise::new();
    /// assert_eq!(p.result(), None);
    /// p.set(3).unwrap();
    /// assert_eq!(p.result(), Some(Ok(3)));
    /// ```
    pub fn result(&self) -> Option<Result<T, PromiseError<E>>> {
        match &*self.cell.state.borrow() {
            PromiseState::Unset => None,
            PromiseState::Done(r) => Some(r.clone()),
        }
    }

    /// Waits until the promise is done and gives a clone of its result.
    /// `promise.await` (on a `Promise` or a `&Promise`) does the same.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    ///
    /// ```
    /// use seedloop::{Sim, task::Promise};
    /// Sim::new(1).run(async {
    ///     let p: Promise<u8> = Promise::new();
    ///     p.set(9).unwrap();
    ///     assert_eq!(p.wait().await, Ok(9));
    ///     assert_eq!((&p).await, Ok(9));
    /// }).unwrap();
    /// ```
    pub fn wait(&self) -> PromiseWait<T, E> {
        PromiseWait {
            cell: self.cell.clone(),
            slot: None,
        }
    }
}

impl<T, E> fmt::Debug for Promise<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("name", &self.cell.label.name())
            .field(
                "done",
                &matches!(&*self.cell.state.borrow(), PromiseState::Done(_)),
            )
            .finish()
    }
}

impl<T: Clone + 'static, E: Clone + 'static> IntoFuture for Promise<T, E> {
    type Output = Result<T, PromiseError<E>>;
    type IntoFuture = PromiseWait<T, E>;

    fn into_future(self) -> PromiseWait<T, E> {
        self.wait()
    }
}

impl<T: Clone + 'static, E: Clone + 'static> IntoFuture for &Promise<T, E> {
    type Output = Result<T, PromiseError<E>>;
    type IntoFuture = PromiseWait<T, E>;

    fn into_future(self) -> PromiseWait<T, E> {
        self.wait()
    }
}

/// The future returned by [`Promise::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct PromiseWait<T, E = Infallible> {
    cell: Rc<PromiseCell<T, E>>,
    /// This awaiter's place in the waiter list, once it has waited.
    slot: Option<u64>,
}

impl<T: Clone + 'static, E: Clone + 'static> Future for PromiseWait<T, E> {
    type Output = Result<T, PromiseError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let PromiseState::Done(r) = &*this.cell.state.borrow() {
            this.slot = None; // `complete` already emptied the waiter list
            return Poll::Ready(r.clone());
        }
        let mut waiters = this.cell.waiters.borrow_mut();
        match this.slot {
            Some(slot) => {
                if let Some((_, w)) = waiters.iter_mut().find(|(s, _)| *s == slot) {
                    if !w.will_wake(cx.waker()) {
                        *w = cx.waker().clone();
                    }
                }
            }
            None => {
                let slot = this.cell.next_waiter.get();
                this.cell.next_waiter.set(slot + 1);
                waiters.push((slot, cx.waker().clone()));
                this.slot = Some(slot);
                drop(waiters);
                this.cell.label.record("wait", |_| {});
            }
        }
        let blocker: Rc<dyn Blocker> = this.cell.clone();
        try_with_core(|core| core.note_wait(WaitOn::Object(blocker)));
        Poll::Pending
    }
}

impl<T, E> Drop for PromiseWait<T, E> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.cell.waiters.borrow_mut().retain(|(s, _)| *s != slot);
        }
    }
}

impl<T, E> fmt::Debug for PromiseWait<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromiseWait")
            .field("promise", &self.cell.label.name())
            .finish()
    }
}
