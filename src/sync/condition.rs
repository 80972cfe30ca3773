//! `Condition<T>`: waiting for a change to lock-guarded state. asyncio's `Condition`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::lock::{Lock, LockFuture, LockGuard};
use super::object::{self, with_runtime, write_task_name, ObjectName};
use super::wait_list::{Phase, WaitKey, WaitList};
use crate::runtime::blocker::Blocker;
use crate::runtime::ids::TaskId;
use crate::runtime::Core;

/// A condition variable that owns its lock: tasks hold the lock to look at
/// the value, [`wait`](Condition::wait) for another task to change it, and
/// are woken by [`notify`](Condition::notify) in the order they started
/// waiting.
///
/// `wait(guard)` releases the lock, waits to be notified, takes the lock
/// again and gives the guard back. A notified waiter that is cancelled before
/// it returns passes its wake-up on to the next waiter, so a notification is
/// never lost (and never doubled).
///
/// Unlike asyncio, [`notify`](Condition::notify) does not require holding
/// the lock (as with `std::sync::Condvar`). Two conditions can share one lock
/// through [`Condition::with_lock`], like asyncio's `Condition(lock)`.
///
/// A `Condition` is a handle: clones share the same lock and waiters. Traces
/// name it `Condition#n` and record `wait`, `notify` (whom it woke), `leave`
/// and `pass on`; its lock records its own steps.
///
/// ```
/// use seedloop::{Sim, spawn, sync::Condition};
/// Sim::new(1).run(async {
///     let ready = Condition::new(false);
///     let r = ready.clone();
///     let waiter = spawn(async move {
///         let guard = r.lock().await;
///         let guard = r.wait_for(guard, |ready| *ready).await;
///         *guard
///     });
///     seedloop::yield_now().await;
///     *ready.lock().await = true;
///     ready.notify_all();
///     assert!(waiter.await.unwrap());
/// }).unwrap();
/// ```
#[doc(alias = "asyncio.Condition")]
pub struct Condition<T> {
    lock: Lock<T>,
    core: Rc<CondCore>,
}

impl<T> Clone for Condition<T> {
    fn clone(&self) -> Self {
        Condition {
            lock: self.lock.clone(),
            core: self.core.clone(),
        }
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Condition::new(T::default())
    }
}

impl<T> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("name", &self.core.name.show())
            .field("lock", &self.lock)
            .field("waiting", &self.core.waiters.borrow().len())
            .finish()
    }
}

impl<T> Condition<T> {
    /// Names it: traces and deadlock reports say `Condition "<name>"`
    /// instead of `Condition#<n>`. A by-value builder, for construction.
    ///
    /// ```
    /// let c = seedloop::sync::Condition::new(()).named("ready");
    /// assert!(format!("{c:?}").contains("Condition \\\"ready\\\""));
    /// ```
    pub fn named(self, name: &str) -> Self {
        self.core.name.set_own(name);
        self
    }

    /// A condition with a new lock guarding `value`.
    ///
    /// ```
    /// let cond = seedloop::sync::Condition::new(Vec::<u32>::new());
    /// assert!(!cond.is_locked());
    /// ```
    pub fn new(value: T) -> Condition<T> {
        Condition::with_lock(Lock::new(value))
    }

    /// A condition over an existing lock (a clone of the handle), so that
    /// several conditions can share one lock. asyncio: `Condition(lock)`.
    ///
    /// ```
    /// use seedloop::sync::{Condition, Lock};
    /// let lock = Lock::new(0);
    /// let not_empty = Condition::with_lock(lock.clone());
    /// let not_full = Condition::with_lock(lock.clone());
    /// # drop((not_empty, not_full));
    /// ```
    pub fn with_lock(lock: Lock<T>) -> Condition<T> {
        Condition {
            lock,
            core: Rc::new(CondCore {
                name: ObjectName::new("Condition"),
                waiters: RefCell::default(),
            }),
        }
    }

    /// Waits for the lock. asyncio: `async with cond:`. See [`Lock::lock`].
    ///
    /// # Cancel safety
    /// Cancel-correct, as [`Lock::lock`].
    ///
    /// ```
    /// use seedloop::{Sim, sync::Condition};
    /// Sim::new(1).run(async {
    ///     let cond = Condition::new(1);
    ///     *cond.lock().await += 1;
    ///     assert_eq!(*cond.lock().await, 2);
    /// }).unwrap();
    /// ```
    pub fn lock(&self) -> LockFuture<'_, T> {
        self.lock.lock()
    }

    /// The lock's guard now, if it is free and nobody waits. See [`Lock::try_lock`].
    ///
    /// ```
    /// let cond = seedloop::sync::Condition::new(());
    /// # seedloop::Sim::new(1).run(async {
    /// assert!(cond.try_lock().is_some());
    /// # }).unwrap();
    /// ```
    pub fn try_lock(&self) -> Option<LockGuard<'_, T>> {
        self.lock.try_lock()
    }

    /// Whether someone holds the lock. asyncio: `locked()`.
    ///
    /// ```
    /// assert!(!seedloop::sync::Condition::new(()).is_locked());
    /// ```
    #[doc(alias = "locked")]
    pub fn is_locked(&self) -> bool {
        self.lock.is_locked()
    }

    /// Releases the lock held by `guard`, waits until notified, takes the
    /// lock again and returns the new guard.
    ///
    /// The guard's lock is the one released and re-taken: normally this
    /// condition's, or the shared lock of [`Condition::with_lock`].
    ///
    /// # Cancel safety
    /// Cancel-correct. Dropped before it was notified, it just leaves the
    /// wait list (the lock is already released). Dropped after it was
    /// notified but before it returned, it passes the notification on to the
    /// next waiter, and if it had been handed the lock, the lock too. Unlike
    /// asyncio, a cancelled wait does not re-take the lock: the guard is
    /// gone with the future, so there is nothing to release afterwards.
    ///
    /// ```
    /// use seedloop::{Sim, spawn, yield_now, sync::Condition};
    /// Sim::new(1).run(async {
    ///     let cond = Condition::new(0);
    ///     let c = cond.clone();
    ///     let waiter = spawn(async move {
    ///         let guard = c.lock().await;
    ///         let guard = c.wait(guard).await;
    ///         *guard
    ///     });
    ///     yield_now().await; // the waiter waits
    ///     *cond.lock().await = 7;
    ///     assert_eq!(cond.notify(1), 1);
    ///     assert_eq!(waiter.await.unwrap(), 7);
    /// }).unwrap();
    /// ```
    pub fn wait<'a>(&'a self, guard: LockGuard<'a, T>) -> ConditionWait<'a, T> {
        ConditionWait {
            core: &self.core,
            stage: Stage::Start(guard),
        }
    }

    /// Waits (as [`wait`](Condition::wait), as often as needed) until
    /// `predicate` holds for the value, checking it first; returns the guard
    /// with the predicate true. asyncio: `wait_for(predicate)`.
    ///
    /// # Cancel safety
    /// Cancel-correct, as [`wait`](Condition::wait).
    ///
    /// ```
    /// use seedloop::{Sim, spawn, sync::Condition};
    /// Sim::new(1).run(async {
    ///     let items = Condition::new(Vec::new());
    ///     let i = items.clone();
    ///     let adder = spawn(async move {
    ///         for x in 0..3 {
    ///             i.lock().await.push(x);
    ///             i.notify_all();
    ///             seedloop::yield_now().await;
    ///         }
    ///     });
    ///     let guard = items.lock().await;
    ///     let guard = items.wait_for(guard, |v| v.len() >= 2).await;
    ///     assert_eq!(guard.len(), 2);
    ///     drop(guard);
    ///     adder.await.unwrap();
    /// }).unwrap();
    /// ```
    pub async fn wait_for<'a, P>(
        &'a self,
        mut guard: LockGuard<'a, T>,
        mut predicate: P,
    ) -> LockGuard<'a, T>
    where
        P: FnMut(&T) -> bool,
    {
        while !predicate(&guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes the first `n` waiters (fewer if fewer wait), in the order they
    /// started waiting, and returns how many it woke. A notification with
    /// nobody waiting is lost, as in asyncio.
    ///
    /// ```
    /// let cond = seedloop::sync::Condition::new(());
    /// assert_eq!(cond.notify(1), 0); // nobody waits
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        self.core.notify(n, "notify", "woke")
    }

    /// Wakes every waiter, in FIFO order; returns how many.
    ///
    /// ```
    /// let cond = seedloop::sync::Condition::new(());
    /// assert_eq!(cond.notify_all(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.core.notify(usize::MAX, "notify", "woke")
    }
}

/// The future of [`Condition::wait`]: resolves to the guard, the lock held again.
///
/// # Cancel safety
/// Cancel-correct: see [`Condition::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'a, T> {
    core: &'a Rc<CondCore>,
    stage: Stage<'a, T>,
}

/// Where a condition wait stands.
///
/// `Start` → `Waiting` (first poll: joins the wait list, releases the lock)
/// → `Relocking` (notified: queues for the lock) → `Done` (holds the lock).
enum Stage<'a, T> {
    /// Not polled yet; holds the caller's guard.
    Start(LockGuard<'a, T>),
    /// In the condition's wait list, the lock released.
    Waiting { key: WaitKey, lock: &'a Lock<T> },
    /// Notified; waiting for the lock.
    Relocking(LockFuture<'a, T>),
    /// Returned the guard.
    Done,
}

impl<'a, T> Future for ConditionWait<'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let core = self.core;
        loop {
            match std::mem::replace(&mut self.stage, Stage::Done) {
                Stage::Start(guard) => {
                    let lock = guard.lock();
                    let key = with_runtime(|rt| {
                        let task = rt.and_then(Core::current_task);
                        let key = core.waiters.borrow_mut().push(task, cx.waker());
                        if let Some(rt) = rt {
                            object::record(rt, &core.name, "wait", object::no_detail);
                        }
                        key
                    });
                    self.stage = Stage::Waiting { key, lock };
                    drop(guard); // releases the lock: it may go to another waiter
                    core.note_wait();
                    return Poll::Pending;
                }
                Stage::Waiting { key, lock } => {
                    let mut waiters = core.waiters.borrow_mut();
                    let polled = waiters.poll_granted(key, cx);
                    drop(waiters);
                    if polled.is_pending() {
                        self.stage = Stage::Waiting { key, lock };
                        core.note_wait();
                        return Poll::Pending;
                    }
                    self.stage = Stage::Relocking(lock.lock());
                }
                Stage::Relocking(mut relock) => {
                    return match Pin::new(&mut relock).poll(cx) {
                        Poll::Ready(guard) => Poll::Ready(guard),
                        Poll::Pending => {
                            self.stage = Stage::Relocking(relock);
                            Poll::Pending
                        }
                    };
                }
                Stage::Done => panic!("a ConditionWait was polled after it completed"),
            }
        }
    }
}

impl<T> Drop for ConditionWait<'_, T> {
    fn drop(&mut self) {
        match &self.stage {
            Stage::Waiting { key, .. } => {
                let removed = self.core.waiters.borrow_mut().remove(*key);
                match removed {
                    Some((Phase::Granted, _)) => self.core.pass_on(),
                    Some((Phase::Queued, _)) => with_runtime(|rt| {
                        if let Some(rt) = rt {
                            object::record(rt, &self.core.name, "leave", object::no_detail);
                        }
                    }),
                    None => {}
                }
            }
            // Notified but never returned: the wake-up goes to the next
            // waiter; the lock future, dropped next, hands on the lock.
            Stage::Relocking(_) => self.core.pass_on(),
            Stage::Start(_) | Stage::Done => {}
        }
    }
}

impl<T> fmt::Debug for ConditionWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Start(_) => "start",
            Stage::Waiting { .. } => "waiting",
            Stage::Relocking(_) => "relocking",
            Stage::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("condition", &self.core.name.show())
            .field("stage", &stage)
            .finish()
    }
}

/// A condition's waiters (each entry: the waiting task, for the trace).
struct CondCore {
    name: ObjectName,
    waiters: RefCell<WaitList<Option<TaskId>>>,
}

impl CondCore {
    /// Grants the first `n` queued waiters; the trace line reads
    /// `<name> <action> <verb> <tasks>`.
    fn notify(&self, n: usize, action: &'static str, verb: &'static str) -> usize {
        let mut woken = Vec::new();
        let wakers = {
            let mut left = n;
            self.waiters.borrow_mut().grant_where(|task| {
                if left == 0 {
                    return false;
                }
                left -= 1;
                woken.push(*task);
                true
            })
        };
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::record(rt, &self.name, action, |out| {
                    if woken.is_empty() {
                        return out.push_str("(nobody waiting)");
                    }
                    out.push_str(verb);
                    for (i, t) in woken.iter().enumerate() {
                        out.push_str(if i == 0 { " " } else { ", " });
                        write_task_name(rt, *t, out);
                    }
                });
            }
        });
        for w in wakers {
            w.wake();
        }
        woken.len()
    }

    /// A notified waiter gave up: its wake-up goes to the next waiter.
    fn pass_on(&self) {
        self.notify(1, "pass on", "to");
    }

    fn note_wait(self: &Rc<Self>) {
        with_runtime(|rt| {
            if let Some(rt) = rt {
                object::note_wait(rt, &self.name, self);
            }
        });
    }
}

impl Blocker for CondCore {
    fn describe(&self, _name: &dyn Fn(TaskId) -> String) -> String {
        format!("{} wait", self.name.show())
    }
}
