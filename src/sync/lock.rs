//! `Lock<T>`: asyncio's `Lock`, guarding data like a mutex. Strict FIFO.

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::LockReleaseError;
use super::object::{self, with_runtime, write_task_name, ObjectName};
use super::wait_list::{Phase, WaitKey, WaitList};
use crate::runtime::blocker::Blocker;
use crate::runtime::ids::TaskId;
use crate::runtime::Core;
use crate::time::Instant;

/// An async lock that guards a value: asyncio's `Lock`, shaped like a mutex.
///
/// [`lock`](Lock::lock)`.await` gives a [`LockGuard`] that derefs to the
/// value and releases the lock when dropped. Waiters get the lock in the
/// order they asked for it: a release hands it straight to the first waiter,
/// so a newcomer never overtakes a queued waiter (no barging), even with
/// [`try_lock`](Lock::try_lock).
///
/// `Lock<()>` also has asyncio's explicit style: [`acquire`](Lock::acquire)
/// and [`release`](Lock::release).
///
/// A `Lock` is a handle: clones share the same lock and value, so hand a
/// clone to each task. Traces name it `Lock#n` and record `acquire`,
/// `wait`, `release` (with the waiter it was handed to), `leave` and
/// `pass on`; a deadlock report shows who holds it and since when.
///
/// ```
/// use seedloop::{Sim, spawn, sync::Lock};
/// Sim::new(1).run(async {
///     let counter = Lock::new(0);
///     let tasks: Vec<_> = (0..3).map(|_| {
///         let c = counter.clone();
///         spawn(async move { *c.lock().await += 1 })
///     }).collect();
///     for t in tasks { t.await.unwrap(); }
///     assert_eq!(*counter.lock().await, 3);
/// }).unwrap();
/// ```
#[doc(alias = "asyncio.Lock")]
pub struct Lock<T> {
    core: Rc<LockCore>,
    data: Rc<RefCell<T>>,
}

impl<T> Clone for Lock<T> {
    fn clone(&self) -> Self {
        Lock {
            core: self.core.clone(),
            data: self.data.clone(),
        }
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Lock::new(T::default())
    }
}

impl<T> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("name", &self.core.name.show())
            .field("locked", &self.is_locked())
            .finish()
    }
}

impl<T> Lock<T> {
    /// Names it: traces and deadlock reports say `Lock "<name>"`
    /// instead of `Lock#<n>`. A by-value builder, for construction.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Lock};
    /// let lock = Lock::new(0).named("accounts");
    /// assert!(format!("{lock:?}").contains("Lock \\\"accounts\\\""));
    /// ```
    pub fn named(self, name: &str) -> Self {
        self.core.name.set_own(name);
        self
    }

    /// A new, unlocked lock guarding `value`.
    ///
    /// ```
    /// let lock = seedloop::sync::Lock::new(vec![1, 2]);
    /// assert!(!lock.is_locked());
    /// ```
    pub fn new(value: T) -> Lock<T> {
        Lock {
            core: LockCore::new(),
            data: Rc::new(RefCell::new(value)),
        }
    }

    /// Waits for the lock and returns a guard to the value. asyncio:
    /// `async with lock:`.
    ///
    /// # Cancel safety
    /// Cancel-correct: dropping the future before it completes gives up the
    /// place in line; if the lock had already been handed to it, it is
    /// handed on to the next waiter (or freed).
    ///
    /// ```
    /// use seedloop::{Sim, sync::Lock};
    /// Sim::new(1).run(async {
    ///     let lock = Lock::new(String::new());
    ///     lock.lock().await.push_str("hi");
    ///     assert_eq!(*lock.lock().await, "hi");
    /// }).unwrap();
    /// ```
    pub fn lock(&self) -> LockFuture<'_, T> {
        LockFuture {
            lock: self,
            waiter: Waiter::default(),
        }
    }

    /// The lock's guard now, if it is free and nobody waits for it.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Lock};
    /// Sim::new(1).run(async {
    ///     let lock = Lock::new(1);
    ///     let guard = lock.try_lock().unwrap();
    ///     assert!(lock.try_lock().is_none());
    ///     drop(guard);
    ///     assert!(lock.try_lock().is_some());
    /// }).unwrap();
    /// ```
    pub fn try_lock(&self) -> Option<LockGuard<'_, T>> {
        self.core.try_acquire(HoldKind::Guard).then(|| self.guard())
    }

    /// Whether someone holds the lock. asyncio: `locked()`.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Lock};
    /// Sim::new(1).run(async {
    ///     let lock = Lock::new(());
    ///     let guard = lock.lock().await;
    ///     assert!(lock.is_locked());
    ///     drop(guard);
    ///     assert!(!lock.is_locked());
    /// }).unwrap();
    /// ```
    #[doc(alias = "locked")]
    pub fn is_locked(&self) -> bool {
        matches!(self.core.state.borrow().owner, Owner::Held(_))
    }

    fn guard(&self) -> LockGuard<'_, T> {
        LockGuard {
            lock: self,
            data: self.data.borrow_mut(),
        }
    }
}

impl Lock<()> {
    /// Waits for the lock without a guard: asyncio's `await lock.acquire()`.
    /// The lock stays held until [`release`](Lock::release) is called (by
    /// anyone, as in asyncio), so a task that is cancelled while holding it
    /// keeps it locked: prefer [`lock`](Lock::lock) and its guard.
    ///
    /// # Cancel safety
    /// Cancel-correct, as [`lock`](Lock::lock): a dropped waiter passes a
    /// lock it was handed on.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Lock};
    /// Sim::new(1).run(async {
    ///     let lock = Lock::new(());
    ///     lock.acquire().await;
    ///     assert!(lock.is_locked());
    ///     lock.release().unwrap();
    ///     assert!(!lock.is_locked());
    /// }).unwrap();
    /// ```
    pub fn acquire(&self) -> LockAcquire<'_> {
        LockAcquire {
            core: &self.core,
            waiter: Waiter::default(),
        }
    }

    /// Releases a lock taken with [`acquire`](Lock::acquire), handing it to
    /// the first waiter if there is one. asyncio: `lock.release()`. Works
    /// from any task or callback.
    ///
    /// # Errors
    /// [`LockReleaseError::NotLocked`] if nobody holds the lock (or it was
    /// just handed to a waiter that has not run yet: a second release), and
    /// [`LockReleaseError::HeldByGuard`] if a [`LockGuard`] holds it (drop
    /// the guard instead).
    ///
    /// ```
    /// use seedloop::{Sim, sync::Lock};
    /// Sim::new(1).run(async {
    ///     let lock = Lock::new(());
    ///     let err = lock.release().unwrap_err();
    ///     assert!(err.to_string().contains("must follow an acquire().await"));
    /// }).unwrap();
    /// ```
    pub fn release(&self) -> Result<(), LockReleaseError> {
        let held = match &self.core.state.borrow().owner {
            Owner::Free => Err(LockReleaseError::NotLocked),
            Owner::Held(h) if h.kind == HoldKind::Guard => Err(LockReleaseError::HeldByGuard),
            // Handed to a waiter that has not run yet: not released by anyone.
            Owner::Held(h) if !h.resumed => Err(LockReleaseError::NotLocked),
            Owner::Held(_) => Ok(()),
        };
        held.map(|()| self.core.hand_over("release"))
    }
}

/// Access to the value of a held [`Lock`]; releases the lock when dropped.
///
/// ```
/// use seedloop::{Sim, sync::Lock};
/// Sim::new(1).run(async {
///     let lock = Lock::new(vec![1]);
///     let mut guard = lock.lock().await;
///     guard.push(2);
///     guard.release(); // the same as drop(guard)
///     assert_eq!(*lock.lock().await, [1, 2]);
/// }).unwrap();
/// ```
pub struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
    data: RefMut<'a, T>,
}

impl<'a, T> LockGuard<'a, T> {
    /// Releases the lock now, handing it to the first waiter if there is
    /// one: the explicit form of dropping the guard.
    ///
    /// ```
    /// use seedloop::{Sim, sync::Lock};
    /// Sim::new(1).run(async {
    ///     let lock = Lock::new(());
    ///     lock.lock().await.release();
    ///     assert!(!lock.is_locked());
    /// }).unwrap();
    /// ```
    pub fn release(self) {
        drop(self);
    }

    /// The lock this guard holds.
    pub(crate) fn lock(&self) -> &'a Lock<T> {
        self.lock
    }
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

impl<T> Drop for LockGuard<'_, T> {
    fn drop(&mut self) {
        // The value's borrow ends right after this, before any waiter runs.
        self.lock.core.hand_over("release");
    }
}

impl<T: fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.data, f)
    }
}

/// The future of [`Lock::lock`]: resolves to a [`LockGuard`].
///
/// # Cancel safety
/// Cancel-correct: dropped, it leaves the line; if it had been handed the
/// lock, it hands it on.
#[must_use = "futures do nothing unless awaited"]
pub struct LockFuture<'a, T> {
    lock: &'a Lock<T>,
    waiter: Waiter,
}

impl<'a, T> Future for LockFuture<'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let lock = self.lock;
        match lock
            .core
            .poll_acquire(&mut self.waiter, HoldKind::Guard, cx)
        {
            Poll::Ready(()) => Poll::Ready(lock.guard()),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for LockFuture<'_, T> {
    fn drop(&mut self) {
        self.lock.core.abandon(&mut self.waiter);
    }
}

impl<T> fmt::Debug for LockFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFuture")
            .field("lock", &self.lock.core.name.show())
            .finish()
    }
}

/// The future of [`Lock::acquire`]: the lock is held when it resolves.
///
/// # Cancel safety
/// Cancel-correct, as [`LockFuture`].
#[must_use = "futures do nothing unless awaited"]
pub struct LockAcquire<'a> {
    core: &'a Rc<LockCore>,
    waiter: Waiter,
}

impl Future for LockAcquire<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let core = self.core;
        core.poll_acquire(&mut self.waiter, HoldKind::Explicit, cx)
    }
}

impl Drop for LockAcquire<'_> {
    fn drop(&mut self) {
        self.core.abandon(&mut self.waiter);
    }
}

impl fmt::Debug for LockAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockAcquire")
            .field("lock", &self.core.name.show())
            .finish()
    }
}

/// Where a lock-waiting future stands.
///
/// `Idle` → `Queued` (the lock was taken: it joins the line) → `Done` (it was
/// handed the lock); `Idle` → `Done` (the lock was free). Dropped while
/// `Queued`, it leaves the line or passes on the lock it was handed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Waiter {
    /// Not polled yet.
    #[default]
    Idle,
    /// In the lock's wait list.
    Queued(WaitKey),
    /// Holds the lock (the future resolved).
    Done,
}

/// A lock's shared state: who holds it and who waits. Also what a blocked
/// task's report line describes.
pub(crate) struct LockCore {
    name: ObjectName,
    state: RefCell<LockState>,
}

struct LockState {
    owner: Owner,
    waiters: WaitList<Claim>,
}

/// Who holds the lock.
///
/// `Free` → `Held`: an acquire while nobody waits. `Held` → `Held`: a
/// release while someone waits hands the lock to the first waiter, which
/// holds it from then on, before it even runs. `Held` → `Free`: a release
/// while nobody waits. So `Free` never coexists with queued waiters.
#[derive(Clone, Copy, Debug)]
enum Owner {
    Free,
    Held(Holder),
}

#[derive(Clone, Copy, Debug)]
struct Holder {
    /// `None` when taken outside a task (a callback).
    task: Option<TaskId>,
    since: Instant,
    kind: HoldKind,
    /// `false` while the lock waits for the waiter it was handed to to run:
    /// an explicit `release()` then would release a lock its holder has not
    /// even seen, so it is refused (asyncio would find the lock unlocked).
    resumed: bool,
}

/// How the holder releases the lock: by dropping its guard, or by an explicit
/// [`Lock::release`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HoldKind {
    Guard,
    Explicit,
}

/// A queued waiter: who, and how it will hold the lock.
#[derive(Clone, Copy, Debug)]
struct Claim {
    task: Option<TaskId>,
    kind: HoldKind,
}

impl LockCore {
    fn new() -> Rc<LockCore> {
        Rc::new(LockCore {
            name: ObjectName::new("Lock"),
            state: RefCell::new(LockState {
                owner: Owner::Free,
                waiters: WaitList::default(),
            }),
        })
    }

    /// Takes the lock if it is free (then nobody waits either).
    pub(crate) fn try_acquire(&self, kind: HoldKind) -> bool {
        with_runtime(|core| {
            let mut st = self.state.borrow_mut();
            if !matches!(st.owner, Owner::Free) {
                return false;
            }
            st.owner = Owner::Held(holder(core, core.and_then(Core::current_task), kind, true));
            drop(st);
            if let Some(core) = core {
                object::record(core, &self.name, "acquire", object::no_detail);
            }
            true
        })
    }

    /// Polls a waiter for the lock: `Ready` once the waiter holds it.
    pub(crate) fn poll_acquire(
        self: &Rc<Self>,
        waiter: &mut Waiter,
        kind: HoldKind,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        with_runtime(|core| {
            let mut st = self.state.borrow_mut();
            match *waiter {
                Waiter::Done => panic!("a lock future was polled after it completed"),
                Waiter::Queued(key) => {
                    if st.waiters.poll_granted(key, cx).is_ready() {
                        if let Owner::Held(h) = &mut st.owner {
                            h.resumed = true;
                        }
                        *waiter = Waiter::Done;
                        drop(st);
                        if let Some(core) = core {
                            object::record(core, &self.name, "acquire", object::no_detail);
                        }
                        return Poll::Ready(());
                    }
                }
                Waiter::Idle => {
                    let task = core.and_then(Core::current_task);
                    if let Owner::Free = st.owner {
                        st.owner = Owner::Held(holder(core, task, kind, true));
                        *waiter = Waiter::Done;
                        drop(st);
                        if let Some(core) = core {
                            object::record(core, &self.name, "acquire", object::no_detail);
                        }
                        return Poll::Ready(());
                    }
                    *waiter = Waiter::Queued(st.waiters.push(Claim { task, kind }, cx.waker()));
                    if let (Some(core), Owner::Held(h)) = (core, st.owner) {
                        drop(st);
                        object::record(core, &self.name, "wait", |out| {
                            out.push_str("held by ");
                            write_task_name(core, h.task, out);
                        });
                    }
                }
            }
            if let Some(core) = core {
                object::note_wait(core, &self.name, self);
            }
            Poll::Pending
        })
    }

    /// A waiting future is dropped: it leaves the line, or passes on the lock
    /// it was handed.
    pub(crate) fn abandon(&self, waiter: &mut Waiter) {
        let Waiter::Queued(key) = std::mem::replace(waiter, Waiter::Done) else {
            return;
        };
        let removed = self.state.borrow_mut().waiters.remove(key);
        match removed {
            Some((Phase::Granted, _)) => self.hand_over("pass on"),
            Some((Phase::Queued, _)) => with_runtime(|core| {
                if let Some(core) = core {
                    object::record(core, &self.name, "leave", object::no_detail);
                }
            }),
            None => {}
        }
    }

    /// Releases a held lock: hands it to the first waiter, or frees it.
    /// `action` is what the trace calls it (`release`, `pass on`).
    pub(crate) fn hand_over(&self, action: &'static str) {
        with_runtime(|core| {
            let (waker, to) = {
                let mut st = self.state.borrow_mut();
                let mut to = None;
                let waker = st.waiters.grant_front(|c| to = Some(*c));
                st.owner = match to {
                    Some(c) => Owner::Held(holder(core, c.task, c.kind, false)),
                    None => Owner::Free,
                };
                (waker, to)
            };
            if let Some(core) = core {
                object::record(core, &self.name, action, |out| {
                    if let Some(c) = to {
                        out.push_str("to ");
                        write_task_name(core, c.task, out);
                    }
                });
            }
            if let Some(w) = waker {
                w.wake();
            }
        });
    }
}

fn holder(core: Option<&Core>, task: Option<TaskId>, kind: HoldKind, resumed: bool) -> Holder {
    Holder {
        task,
        since: core.map_or(Instant::ZERO, Core::now),
        kind,
        resumed,
    }
}

impl Blocker for LockCore {
    fn describe(&self, name: &dyn Fn(TaskId) -> String) -> String {
        match self.state.borrow().owner {
            Owner::Held(h) => {
                let who = match h.task {
                    Some(id) => name(id),
                    None => "the loop (a callback)".to_string(),
                };
                format!("{} held by {who} since {}", self.name.show(), h.since)
            }
            Owner::Free => format!("{} (free)", self.name.show()),
        }
    }

    fn holders(&self) -> Vec<TaskId> {
        match self.state.borrow().owner {
            Owner::Held(h) => h.task.into_iter().collect(),
            Owner::Free => Vec::new(),
        }
    }
}
