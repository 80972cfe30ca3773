//! `Semaphore` and `BoundedSemaphore`: a count of permits. asyncio's
//! `Semaphore` and `BoundedSemaphore`. Strict FIFO.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::TooManyReleases;
use super::object::{self, with_runtime, write_task_name, ObjectName};
use super::wait_list::{Phase, WaitKey, WaitList};
use crate::runtime::blocker::Blocker;
use crate::runtime::ids::TaskId;
use crate::runtime::Core;

/// A count of permits: [`acquire`](Semaphore::acquire) takes one (waiting
/// while there is none) and the [`SemaphorePermit`] gives it back when
/// dropped. Waiters get permits in the order they asked: a release hands the
/// permit straight to the first waiter (no barging).
///
/// asyncio's explicit style is [`SemaphorePermit::forget`] followed later by
/// [`release`](Semaphore::release), which may also raise the count past its
/// initial value (use [`BoundedSemaphore`] to forbid that).
///
/// A `Semaphore` is a handle: clones share the same permits. Traces name it
/// `Semaphore#n` and record `acquire`, `wait`, `release`, `leave` and
/// `pass on`.
///
/// ```
/// use seedloop::{Sim, spawn, sleep, sync::Semaphore, time::Instant};
/// use std::time::Duration;
/// Sim::new(1).run(async {
///     let sem = Semaphore::new(2);
///     let tasks: Vec<_> = (0..4).map(|_| {
///         let sem = sem.clone();
///         spawn(async move {
///             let _permit = sem.acquire().await;
///             sleep(Duration::from_secs(1)).await;
///         })
///     }).collect();
///     for t in tasks { t.await.unwrap(); }
///     assert_eq!(Instant::now().as_secs_f64(), 2.0); // two at a time
/// }).unwrap();
/// ```
#[doc(alias = "asyncio.Semaphore")]
#[derive(Clone)]
pub struct Semaphore {
    core: Rc<SemCore>,
}

/// A [`Semaphore`] whose count may never exceed its initial value: a
/// [`release`](BoundedSemaphore::release) too many is an error.
///
/// ```
/// use seedloop::{Sim, sync::BoundedSemaphore};
/// Sim::new(1).run(async {
///     let sem = BoundedSemaphore::new(1);
///     sem.acquire().await.forget();
///     assert!(sem.release().is_ok());
///     assert!(sem.release().is_err()); // would make 2 of 1
/// }).unwrap();
/// ```
#[doc(alias = "asyncio.BoundedSemaphore")]
#[derive(Clone)]
pub struct BoundedSemaphore {
    core: Rc<SemCore>,
}

impl Semaphore {
    /// Names it: traces and deadlock reports say `Semaphore "<name>"`
    /// instead of `Semaphore#<n>`. A by-value builder, for construction.
    ///
    /// ```
    /// let s = seedloop::sync::Semaphore::new(2).named("db pool");
    /// assert!(format!("{s:?}").contains("db pool"));
    /// ```
    pub fn named(self, name: &str) -> Self {
        self.core.name.set_own(name);
        self
    }

    /// A semaphore with `permits` permits. asyncio: `Semaphore(value)`.
    ///
    /// ```
    /// assert_eq!(seedloop::sync::Semaphore::new(3).available(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            core: SemCore::new("Semaphore", permits, false),
        }
    }

    /// Waits for a permit.
    ///
    /// # Cancel safety
    /// Cancel-correct: dropped, it leaves the line; if a permit had been
    /// handed to it, it hands it on.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Semaphore};
    /// Sim::new(1).run(async {
    ///     let sem = Semaphore::new(1);
    ///     let permit = sem.acquire().await;
    ///     assert!(sem.is_locked());
    ///     drop(permit);
    ///     assert_eq!(sem.available(), 1);
    /// }).unwrap();
    /// ```
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            core: &self.core,
            key: None,
        }
    }

    /// A permit now, if one is free.
    ///
    /// ```
    /// let sem = seedloop::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_none());
    /// drop(p);
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit> {
        self.core.try_acquire()
    }

    /// Adds a permit: hands it to the first waiter, or raises the count.
    /// asyncio: `release()`.
    ///
    /// ```
    /// let sem = seedloop::sync::Semaphore::new(0);
    /// sem.release();
    /// assert_eq!(sem.available(), 1);
    /// ```
    pub fn release(&self) {
        self.core.release("release");
    }

    /// How many permits are free.
    ///
    /// ```
    /// assert_eq!(seedloop::sync::Semaphore::new(2).available(), 2);
    /// ```
    pub fn available(&self) -> usize {
        self.core.state.borrow().available
    }

    /// Whether no permit is free (an `acquire` would wait). asyncio: `locked()`.
    ///
    /// ```
    /// assert!(seedloop::sync::Semaphore::new(0).is_locked());
    /// ```
    #[doc(alias = "locked")]
    pub fn is_locked(&self) -> bool {
        self.available() == 0
    }
}

impl BoundedSemaphore {
    /// Names it: traces and deadlock reports say `BoundedSemaphore "<name>"`
    /// instead of `BoundedSemaphore#<n>`. A by-value builder, for construction.
    ///
    /// ```
    /// let s = seedloop::sync::BoundedSemaphore::new(2).named("db pool");
    /// assert!(format!("{s:?}").contains("db pool"));
    /// ```
    pub fn named(self, name: &str) -> Self {
        self.core.name.set_own(name);
        self
    }

    /// A bounded semaphore with `permits` permits, which is also its bound.
    ///
    /// ```
    /// assert_eq!(seedloop::sync::BoundedSemaphore::new(3).available(), 3);
    /// ```
    pub fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            core: SemCore::new("BoundedSemaphore", permits, true),
        }
    }

    /// Waits for a permit. See [`Semaphore::acquire`].
    ///
    /// # Cancel safety
    /// Cancel-correct, as [`Semaphore::acquire`].
    ///
    /// ```
    /// use seedloop::{Sim, sync::BoundedSemaphore};
    /// Sim::new(1).run(async {
    ///     let sem = BoundedSemaphore::new(1);
    ///     let _p = sem.acquire().await;
    ///     assert!(sem.is_locked());
    /// }).unwrap();
    /// ```
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            core: &self.core,
            key: None,
        }
    }

    /// A permit now, if one is free.
    ///
    /// ```
    /// let sem = seedloop::sync::BoundedSemaphore::new(1);
    /// assert!(sem.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit> {
        self.core.try_acquire()
    }

    /// Adds a permit back: hands it to the first waiter, or raises the count.
    ///
    /// # Errors
    /// [`TooManyReleases`] if the count would exceed the initial value
    /// (nothing changes then).
    ///
    /// ```
    /// let sem = seedloop::sync::BoundedSemaphore::new(1);
    /// let err = sem.release().unwrap_err();
    /// assert!(err.to_string().starts_with("BoundedSemaphore released too many times"));
    /// ```
    pub fn release(&self) -> Result<(), TooManyReleases> {
        {
            let st = self.core.state.borrow();
            if st.waiters.is_empty() && st.available >= self.core.initial {
                return Err(TooManyReleases {
                    bound: self.core.initial,
                });
            }
        }
        self.core.release("release");
        Ok(())
    }

    /// How many permits are free.
    ///
    /// ```
    /// assert_eq!(seedloop::sync::BoundedSemaphore::new(2).available(), 2);
    /// ```
    pub fn available(&self) -> usize {
        self.core.state.borrow().available
    }

    /// Whether no permit is free. asyncio: `locked()`.
    ///
    /// ```
    /// assert!(!seedloop::sync::BoundedSemaphore::new(1).is_locked());
    /// ```
    #[doc(alias = "locked")]
    pub fn is_locked(&self) -> bool {
        self.available() == 0
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.debug("Semaphore", f)
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.debug("BoundedSemaphore", f)
    }
}

/// A permit of a [`Semaphore`] or [`BoundedSemaphore`]; gives it back when dropped.
///
/// ```
/// use seedloop::{Sim, sync::Semaphore};
/// Sim::new(1).run(async {
///     let sem = Semaphore::new(1);
///     {
///         let _permit = sem.acquire().await;
///         assert_eq!(sem.available(), 0);
///     }
///     assert_eq!(sem.available(), 1);
/// }).unwrap();
/// ```
#[must_use = "dropping a permit releases it at once"]
pub struct SemaphorePermit {
    core: Rc<SemCore>,
    forgotten: bool,
}

impl SemaphorePermit {
    /// Keeps the permit taken without a guard: the count stays lower until
    /// someone calls `release()`. This is asyncio's explicit
    /// `await sem.acquire()` … `sem.release()` style.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Semaphore};
    /// Sim::new(1).run(async {
    ///     let sem = Semaphore::new(1);
    ///     sem.acquire().await.forget();
    ///     assert_eq!(sem.available(), 0);
    ///     sem.release();
    ///     assert_eq!(sem.available(), 1);
    /// }).unwrap();
    /// ```
    pub fn forget(mut self) {
        self.forgotten = true;
    }
}

impl Drop for SemaphorePermit {
    fn drop(&mut self) {
        if !self.forgotten {
            self.core.release("release");
        }
    }
}

impl fmt::Debug for SemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("semaphore", &self.core.name.show())
            .finish()
    }
}

/// The future of `acquire`: resolves to a [`SemaphorePermit`].
///
/// # Cancel safety
/// Cancel-correct: dropped, it leaves the line, or hands on a permit it was given.
#[must_use = "futures do nothing unless awaited"]
pub struct SemaphoreAcquire<'a> {
    core: &'a Rc<SemCore>,
    key: Option<WaitKey>,
}

impl Future for SemaphoreAcquire<'_> {
    type Output = SemaphorePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit> {
        let core = self.core;
        let mut key = self.key;
        let polled = core.poll_acquire(&mut key, cx);
        self.key = key;
        polled
    }
}

impl Drop for SemaphoreAcquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let removed = self.core.state.borrow_mut().waiters.remove(key);
        match removed {
            Some((Phase::Granted, _)) => self.core.release("pass on"),
            Some((Phase::Queued, _)) => with_runtime(|rt| {
                if let Some(rt) = rt {
                    object::record(rt, &self.core.name, "leave", object::no_detail);
                }
            }),
            None => {}
        }
    }
}

impl fmt::Debug for SemaphoreAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreAcquire")
            .field("semaphore", &self.core.name.show())
            .finish()
    }
}

/// A semaphore's shared state.
struct SemCore {
    name: ObjectName,
    initial: usize,
    bounded: bool,
    state: RefCell<SemState>,
}

/// Free permits and waiters. A release with someone queued grants the first
/// waiter (the count stays); with nobody queued it raises the count. So a
/// free permit never coexists with a queued waiter.
struct SemState {
    available: usize,
    waiters: WaitList<Option<TaskId>>,
}

impl SemCore {
    fn new(kind: &'static str, permits: usize, bounded: bool) -> Rc<SemCore> {
        Rc::new(SemCore {
            name: ObjectName::new(kind),
            initial: permits,
            bounded,
            state: RefCell::new(SemState {
                available: permits,
                waiters: WaitList::default(),
            }),
        })
    }

    fn permit(self: &Rc<Self>) -> SemaphorePermit {
        SemaphorePermit {
            core: self.clone(),
            forgotten: false,
        }
    }

    fn try_acquire(self: &Rc<Self>) -> Option<SemaphorePermit> {
        let left = {
            let mut st = self.state.borrow_mut();
            st.available = st.available.checked_sub(1)?;
            st.available
        };
        self.record_acquire(left);
        Some(self.permit())
    }

    fn record_acquire(&self, left: usize) {
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::record(rt, &self.name, "acquire", |out| {
                    let _ = write!(out, "{left} left");
                });
            }
        });
    }

    fn poll_acquire(
        self: &Rc<Self>,
        key: &mut Option<WaitKey>,
        cx: &mut Context<'_>,
    ) -> Poll<SemaphorePermit> {
        let mut st = self.state.borrow_mut();
        match *key {
            Some(k) => {
                if st.waiters.poll_granted(k, cx).is_ready() {
                    let left = st.available;
                    drop(st);
                    *key = None;
                    self.record_acquire(left);
                    return Poll::Ready(self.permit());
                }
                drop(st);
            }
            None => {
                if let Some(left) = st.available.checked_sub(1) {
                    st.available = left;
                    drop(st);
                    self.record_acquire(left);
                    return Poll::Ready(self.permit());
                }
                with_runtime(|rt| {
                    *key = Some(st.waiters.push(rt.and_then(Core::current_task), cx.waker()));
                    drop(st);
                    if let Some(rt) = rt {
                        object::record(rt, &self.name, "wait", object::no_detail);
                    }
                });
            }
        }
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::note_wait(rt, &self.name, self);
            }
        });
        Poll::Pending
    }

    /// Gives a permit back: to the first waiter, or to the count. A bounded
    /// semaphore's count stops at its bound (only `BoundedSemaphore::release`
    /// reports going past it; a permit dropped after an extra release does not).
    fn release(&self, action: &'static str) {
        let (waker, to, available) = {
            let mut st = self.state.borrow_mut();
            let mut to = None;
            let waker = st.waiters.grant_front(|t| to = Some(*t));
            if waker.is_none() && !(self.bounded && st.available >= self.initial) {
                st.available += 1;
            }
            (waker, to, st.available)
        };
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::record(rt, &self.name, action, |out| match to {
                    Some(t) => {
                        out.push_str("to ");
                        write_task_name(rt, t, out);
                    }
                    None => {
                        let _ = write!(out, "{available} available");
                    }
                });
            }
        });
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn debug(&self, kind: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct(kind)
            .field("name", &self.name.show())
            .field("available", &st.available)
            .field("waiting", &st.waiters.len())
            .finish()
    }
}

impl Blocker for SemCore {
    fn describe(&self, _name: &dyn Fn(TaskId) -> String) -> String {
        let st = self.state.borrow();
        format!(
            "{} acquire: no permit free ({} at start, {} waiting)",
            self.name.show(),
            self.initial,
            st.waiters.len()
        )
    }
}
