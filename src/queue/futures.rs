//! The futures of the queue operations that wait: [`QueuePut`],
//! [`QueueGet`] and [`QueueJoin`], one type each for all three queues.

use std::fmt::{self, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::QueueShutDown;
use super::shared::{wake, GetSeat, PutSeat, Shared};
use crate::runtime::Core;
use crate::sync::object::{with_runtime, write_task_name};
use crate::sync::wait_list::{Phase, WaitKey};

/// The future of `put` ([`Queue::put`](super::Queue::put) and the same on
/// `PriorityQueue` and `LifoQueue`): resolves once the item is in the queue
/// (or handed to a waiting getter). asyncio: `await queue.put(item)`.
///
/// While the queue is full the putter waits in line with its item; when
/// room frees, the first waiting putter's item enters the queue at once, so
/// no later `put` or `put_nowait` can go before it.
///
/// # Errors
/// Resolves to [`QueueShutDown`] if the queue is (or, while it waits, gets)
/// shut down; the item is dropped.
///
/// # Cancel safety
/// Cancel-correct. Dropped while it still waits for room, the item was not
/// put (it is dropped with the future) and the putter leaves the line.
/// Dropped after room freed for it but before it ran, the put *has*
/// happened: the item is in the queue (or with a getter) in its turn, and
/// the room stays used. [`timeout`](crate::timeout) never loses this case:
/// it polls the put before its timer, so a put done in time reports `Ok`.
///
/// ```
/// use seedloop::{Sim, spawn, queue::{Queue, QueuePut}};
/// Sim::new(1).run(async {
///     let q = Queue::new(1);
///     q.put_nowait(1).unwrap();
///     let q2 = q.clone();
///     let putter = spawn(async move {
///         let put: QueuePut<'_, i32> = q2.put(2);
///         put.await
///     });
///     seedloop::yield_now().await; // the putter waits: the queue is full
///     assert_eq!(q.get_nowait(), Ok(1)); // its item enters now...
///     assert_eq!(q.put_nowait(3), Err(seedloop::queue::QueueFull(3))); // ...so 3 must wait
///     assert_eq!(putter.await.unwrap(), Ok(()));
///     assert_eq!(q.get_nowait(), Ok(2));
/// }).unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct QueuePut<'a, T> {
    shared: &'a Shared<T>,
    item: Option<T>,
    key: Option<WaitKey>,
}

// Never pinned through: the item is only ever moved out by value.
impl<T> Unpin for QueuePut<'_, T> {}

impl<'a, T> QueuePut<'a, T> {
    pub(super) fn new(shared: &'a Shared<T>, item: T) -> Self {
        QueuePut {
            shared,
            item: Some(item),
            key: None,
        }
    }
}

impl<T> Future for QueuePut<'_, T> {
    type Output = Result<(), QueueShutDown>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let sh = this.shared;
        with_runtime(|rt| {
            let mut st = sh.state.borrow_mut();
            if let Some(key) = this.key {
                return match st.putters.poll_granted(key, cx) {
                    Poll::Pending => {
                        drop(st);
                        sh.note_wait(rt, &sh.waits.put);
                        Poll::Pending
                    }
                    Poll::Ready(seat) => {
                        this.key = None;
                        match seat {
                            PutSeat::Put => Poll::Ready(Ok(())),
                            _ => Poll::Ready(Err(QueueShutDown)),
                        }
                    }
                };
            }
            let item = this
                .item
                .take()
                .expect("a QueuePut was polled after it completed");
            if st.shut_down {
                drop(st);
                drop(item); // not put; dropped after the borrow
                return Poll::Ready(Err(QueueShutDown));
            }
            if st.is_full(sh.maxsize) {
                let task = rt.and_then(Core::current_task);
                this.key = Some(st.putters.push(PutSeat::Waiting(task, item), cx.waker()));
                sh.publish(&st);
                let len = st.len();
                drop(st);
                sh.record(rt, "wait", |out| {
                    out.push_str("to put: full, ");
                    sh.write_size(len, out);
                });
                sh.note_wait(rt, &sh.waits.put);
                return Poll::Pending;
            }
            let handed = st.accept(item);
            sh.publish(&st);
            let len = st.len();
            drop(st);
            sh.record_put(rt, &handed, len);
            wake(handed);
            Poll::Ready(Ok(()))
        })
    }
}

impl<T> Drop for QueuePut<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.abandon(key);
        }
    }
}

impl<T> QueuePut<'_, T> {
    /// Dropped while it had an entry in the wait list.
    fn abandon(&mut self, key: WaitKey) {
        let sh = self.shared;
        let mut st = sh.state.borrow_mut();
        let removed = st.putters.remove(key);
        let Some((Phase::Queued, PutSeat::Waiting(_, item))) = removed else {
            // Granted: its item entered the queue (or was dropped by a
            // shutdown). Nothing to hand on: the room stays used.
            return;
        };
        sh.publish(&st);
        drop(st);
        with_runtime(|rt| sh.record(rt, "leave", |_| {}));
        drop(item); // never put: dropped with the future, after the borrow
    }
}

impl<T> fmt::Debug for QueuePut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueuePut")
            .field("queue", &self.shared.waits.status.name.show())
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// The future of `get` ([`Queue::get`](super::Queue::get) and the same on
/// `PriorityQueue` and `LifoQueue`): resolves to the next item. asyncio:
/// `await queue.get()`.
///
/// Getters are served in the order they started waiting, each with the
/// item handed to it: no newcomer takes it first (CPython gh-83055).
///
/// # Errors
/// Resolves to [`QueueShutDown`] if the queue is shut down and empty.
///
/// # Cancel safety
/// Cancel-correct: if dropped before it completes, no item was taken; an
/// item already handed to it goes back where it was (or to the next
/// waiting getter).
///
/// ```
/// use seedloop::{Sim, spawn, queue::{Queue, QueueGet}};
/// Sim::new(1).run(async {
///     let q = Queue::new(0);
///     let q2 = q.clone();
///     let getter = spawn(async move {
///         let get: QueueGet<'_, &str> = q2.get();
///         get.await
///     });
///     q.put("hello").await.unwrap();
///     assert_eq!(getter.await.unwrap(), Ok("hello"));
/// }).unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct QueueGet<'a, T> {
    shared: &'a Shared<T>,
    key: Option<WaitKey>,
}

impl<'a, T> QueueGet<'a, T> {
    pub(super) fn new(shared: &'a Shared<T>) -> Self {
        QueueGet { shared, key: None }
    }
}

impl<T> Future for QueueGet<'_, T> {
    type Output = Result<T, QueueShutDown>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let sh = self.shared;
        with_runtime(|rt| {
            let mut st = sh.state.borrow_mut();
            let (item, admitted) = match self.key {
                Some(key) => match st.getters.poll_granted(key, cx) {
                    Poll::Pending => {
                        drop(st);
                        sh.note_wait(rt, &sh.waits.get);
                        return Poll::Pending;
                    }
                    Poll::Ready(seat) => {
                        self.key = None;
                        match seat {
                            GetSeat::Item(item) => {
                                st.in_flight -= 1;
                                (item.item, st.admit(sh.maxsize))
                            }
                            _ => return Poll::Ready(Err(QueueShutDown)),
                        }
                    }
                },
                None => match st.take(sh.maxsize) {
                    Some(taken) => taken,
                    None if st.shut_down => return Poll::Ready(Err(QueueShutDown)),
                    None => {
                        let task = rt.and_then(Core::current_task);
                        self.key = Some(st.getters.push(GetSeat::Waiting(task), cx.waker()));
                        sh.publish(&st);
                        drop(st);
                        sh.record(rt, "wait", |out| out.push_str("to get: empty"));
                        sh.note_wait(rt, &sh.waits.get);
                        return Poll::Pending;
                    }
                },
            };
            let len = st.len() - usize::from(admitted.is_some());
            sh.publish(&st);
            drop(st);
            sh.record_get(rt, len, &admitted);
            if let Some(a) = admitted {
                a.wake();
            }
            Poll::Ready(Ok(item))
        })
    }
}

impl<T> Drop for QueueGet<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.abandon(key);
        }
    }
}

impl<T> QueueGet<'_, T> {
    /// Dropped while it had an entry in the wait list.
    fn abandon(&mut self, key: WaitKey) {
        let sh = self.shared;
        let mut st = sh.state.borrow_mut();
        let passed = match st.getters.remove(key).map(|(_, s)| s) {
            None | Some(GetSeat::ShutDown) => return,
            Some(GetSeat::Waiting(_)) => None,
            Some(GetSeat::Item(item)) => {
                st.in_flight -= 1;
                Some(st.deliver(item, true))
            }
        };
        sh.publish(&st);
        drop(st);
        with_runtime(|rt| match &passed {
            None => sh.record(rt, "leave", |_| {}),
            Some(next) => sh.record(rt, "pass on", |out| match (next, rt) {
                (Some((_, to)), Some(rt)) => {
                    out.push_str("item to ");
                    write_task_name(rt, *to, out);
                }
                _ => out.push_str("item back"),
            }),
        });
        if let Some(next) = passed {
            wake(next);
        }
    }
}

impl<T> fmt::Debug for QueueGet<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueGet")
            .field("queue", &self.shared.waits.status.name.show())
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// The future of `join` ([`Queue::join`](super::Queue::join) and the same
/// on `PriorityQueue` and `LifoQueue`): resolves once every item put has
/// been marked with `task_done`. asyncio: `await queue.join()`.
///
/// # Cancel safety
/// Cancel-safe: dropping it just stops waiting.
///
/// ```
/// use seedloop::{Sim, queue::{Queue, QueueJoin}};
/// Sim::new(1).run(async {
///     let q = Queue::new(0);
///     q.put_nowait(1).unwrap();
///     q.get_nowait().unwrap();
///     q.task_done().unwrap();
///     let join: QueueJoin<'_, i32> = q.join();
///     join.await; // nothing unfinished: at once
/// }).unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct QueueJoin<'a, T> {
    shared: &'a Shared<T>,
    key: Option<WaitKey>,
}

impl<'a, T> QueueJoin<'a, T> {
    pub(super) fn new(shared: &'a Shared<T>) -> Self {
        QueueJoin { shared, key: None }
    }
}

impl<T> Future for QueueJoin<'_, T> {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let sh = self.shared;
        with_runtime(|rt| {
            let mut st = sh.state.borrow_mut();
            match self.key {
                None if st.unfinished == 0 => return Poll::Ready(()),
                None => {
                    self.key = Some(st.joiners.push((), cx.waker()));
                    let n = st.unfinished;
                    drop(st);
                    sh.record(rt, "wait", |out| {
                        let _ = write!(out, "to join: {n} unfinished");
                    });
                }
                Some(key) => {
                    if st.joiners.poll_granted(key, cx).is_ready() {
                        self.key = None;
                        return Poll::Ready(());
                    }
                }
            }
            sh.note_wait(rt, &sh.waits.join);
            Poll::Pending
        })
    }
}

impl<T> Drop for QueueJoin<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.state.borrow_mut().joiners.remove(key);
        }
    }
}

impl<T> fmt::Debug for QueueJoin<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueJoin")
            .field("queue", &self.shared.waits.status.name.show())
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
