//! The one queue core behind `Queue`, `PriorityQueue` and `LifoQueue`:
//! its state, its operations and its waiting futures, generic over the
//! ordering ([`Store`]).
//!
//! Getters and putters wait in FIFO wait lists. An item put while getters
//! wait is handed to the first of them (it is *in flight* until that getter
//! runs, and counts in `len` meanwhile, as in asyncio); a getter dropped
//! before it took its item puts it back where it was. Room freed while
//! putters wait is *reserved* for the first of them; a putter dropped
//! before it used its reservation passes it on. So no item and no room is
//! ever lost, and a newcomer never overtakes a waiter.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::error::{QueueEmpty, QueueFull, QueueShutDown, TooManyTaskDone};
use super::order::{Sequenced, Store};
use super::status::{QueueWait, QueueWaits};
use crate::runtime::ids::TaskId;
use crate::runtime::Core;
use crate::sync::object::{self, task_name, with_runtime};
use crate::sync::wait_list::{Phase, WaitKey, WaitList};

/// A shared handle to one queue.
pub(crate) struct QueueCore<T, S> {
    shared: Rc<Shared<T, S>>,
}

impl<T, S> Clone for QueueCore<T, S> {
    fn clone(&self) -> Self {
        QueueCore {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<T, S> {
    waits: QueueWaits,
    maxsize: usize,
    state: RefCell<QueueState<T, S>>,
}

/// Everything that changes. Invariants: getters are queued only while the
/// store is empty; putters are queued only while the queue is full
/// (`len + reserved >= maxsize`); `unfinished` counts accepted items not yet
/// marked done.
struct QueueState<T, S> {
    items: S,
    next_seq: u64,
    /// Items handed to getters that have not run yet.
    in_flight: usize,
    /// Room reserved for putters that have not run yet.
    reserved: usize,
    getters: WaitList<GetSeat<T>>,
    putters: WaitList<PutSeat>,
    joiners: WaitList<()>,
    unfinished: usize,
    shut_down: bool,
}

/// A waiting getter: `Waiting` → `Item` (handed an item) or `ShutDown`.
enum GetSeat<T> {
    Waiting(Option<TaskId>),
    Item(Sequenced<T>),
    ShutDown,
}

/// A waiting putter: `Waiting` → `Room` (room reserved for it) or `ShutDown`.
enum PutSeat {
    Waiting(Option<TaskId>),
    Room,
    ShutDown,
}

/// A task to wake, and who it is (for the trace).
type Woken = Option<(Waker, Option<TaskId>)>;

fn wake(w: Woken) {
    if let Some((w, _)) = w {
        w.wake();
    }
}

impl<T, S: Store<T>> QueueState<T, S> {
    fn len(&self) -> usize {
        self.items.len() + self.in_flight
    }

    fn is_full(&self, maxsize: usize) -> bool {
        maxsize > 0 && self.len() + self.reserved >= maxsize
    }

    /// Takes in a new item: it counts as unfinished, and goes to the first
    /// waiting getter or into the store.
    fn accept(&mut self, item: T) -> Woken {
        self.unfinished += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.deliver(Sequenced { seq, item }, false)
    }

    /// Hands an item to the first waiting getter, or stores it (`back`: it
    /// is an earlier item coming back).
    fn deliver(&mut self, item: Sequenced<T>, back: bool) -> Woken {
        if self.getters.is_empty() {
            if back {
                self.items.put_back(item);
            } else {
                self.items.push(item);
            }
            return None;
        }
        let mut to = None;
        let waker = self.getters.grant_front(|seat| {
            if let GetSeat::Waiting(t) = std::mem::replace(seat, GetSeat::Item(item)) {
                to = t;
            }
        });
        self.in_flight += 1;
        waker.map(|w| (w, to))
    }

    /// Room was freed: reserves it for the first waiting putter.
    fn refill(&mut self, maxsize: usize) -> Woken {
        if self.putters.is_empty() || self.is_full(maxsize) {
            return None;
        }
        let mut to = None;
        let waker = self.putters.grant_front(|seat| {
            if let PutSeat::Waiting(t) = std::mem::replace(seat, PutSeat::Room) {
                to = t;
            }
        })?;
        self.reserved += 1;
        Some((waker, to))
    }

    fn take(&mut self, maxsize: usize) -> Option<(T, Woken)> {
        let item = self.items.pop()?;
        Some((item.item, self.refill(maxsize)))
    }
}

impl<T, S: Store<T>> Shared<T, S> {
    fn publish(&self, st: &QueueState<T, S>) {
        let s = &self.waits.status;
        s.len.set(st.len());
        s.unfinished.set(st.unfinished);
        s.getters.set(st.getters.len());
        s.putters.set(st.putters.len());
    }

    fn size(&self, len: usize) -> String {
        match self.maxsize {
            0 => format!("size {len}"),
            m => format!("size {len}/{m}"),
        }
    }

    fn record(&self, rt: Option<&Core>, action: &'static str, detail: impl FnOnce() -> String) {
        if let Some(rt) = rt {
            object::record(rt, &self.waits.status.name, action, detail);
        }
    }

    fn note_wait(&self, rt: Option<&Core>, view: &Rc<QueueWait>) {
        if let Some(rt) = rt {
            object::note_wait(rt, &self.waits.status.name, view.clone());
        }
    }

    /// Records an accepted item: whom it was handed to, or the new size.
    fn record_put(&self, rt: Option<&Core>, handed: &Woken, len: usize) {
        self.record(rt, "put", || match (handed, rt) {
            (Some((_, to)), Some(rt)) => format!("to {}", task_name(rt, *to)),
            _ => self.size(len),
        });
    }
}

impl<T, S: Store<T>> QueueCore<T, S> {
    pub fn new(maxsize: usize) -> QueueCore<T, S> {
        QueueCore {
            shared: Rc::new(Shared {
                waits: QueueWaits::new(S::KIND, maxsize),
                maxsize,
                state: RefCell::new(QueueState {
                    items: S::new(),
                    next_seq: 0,
                    in_flight: 0,
                    reserved: 0,
                    getters: WaitList::default(),
                    putters: WaitList::default(),
                    joiners: WaitList::default(),
                    unfinished: 0,
                    shut_down: false,
                }),
            }),
        }
    }

    pub fn name(&self) -> String {
        self.shared.waits.status.name.show()
    }

    pub fn maxsize(&self) -> usize {
        self.shared.maxsize
    }

    pub fn len(&self) -> usize {
        self.shared.state.borrow().len()
    }

    pub fn is_full(&self) -> bool {
        self.shared.state.borrow().is_full(self.shared.maxsize)
    }

    pub fn is_shut_down(&self) -> bool {
        self.shared.state.borrow().shut_down
    }

    pub fn put(&self, item: T) -> Put<'_, T, S> {
        Put {
            shared: &self.shared,
            item: Some(item),
            key: None,
        }
    }

    pub fn get(&self) -> Get<'_, T, S> {
        Get {
            shared: &self.shared,
            key: None,
        }
    }

    pub fn join(&self) -> Join<'_, T, S> {
        Join {
            shared: &self.shared,
            key: None,
        }
    }

    pub fn put_nowait(&self, item: T) -> Result<(), QueueFull<T>> {
        let sh = &*self.shared;
        let mut st = sh.state.borrow_mut();
        if st.shut_down || st.is_full(sh.maxsize) {
            return Err(QueueFull(item));
        }
        let handed = st.accept(item);
        sh.publish(&st);
        let len = st.len();
        drop(st);
        with_runtime(|rt| sh.record_put(rt, &handed, len));
        wake(handed);
        Ok(())
    }

    pub fn get_nowait(&self) -> Result<T, QueueEmpty> {
        let sh = &*self.shared;
        let mut st = sh.state.borrow_mut();
        let (item, woken) = st.take(sh.maxsize).ok_or(QueueEmpty)?;
        sh.publish(&st);
        let len = st.len();
        drop(st);
        with_runtime(|rt| sh.record(rt, "get", || sh.size(len)));
        wake(woken);
        Ok(item)
    }

    pub fn task_done(&self) -> Result<(), TooManyTaskDone> {
        let sh = &*self.shared;
        let mut st = sh.state.borrow_mut();
        st.unfinished = st.unfinished.checked_sub(1).ok_or(TooManyTaskDone)?;
        let left = st.unfinished;
        let wakers = if left == 0 {
            st.joiners.grant_where(|()| true)
        } else {
            Vec::new()
        };
        sh.publish(&st);
        drop(st);
        with_runtime(|rt| {
            sh.record(rt, "task_done", || match left {
                0 => "all done".to_string(),
                n => format!("{n} unfinished"),
            })
        });
        for w in wakers {
            w.wake();
        }
        Ok(())
    }

    pub fn shutdown(&self, immediate: bool) {
        let sh = &*self.shared;
        let mut st = sh.state.borrow_mut();
        st.shut_down = true;
        let mut wakers = Vec::new();
        let drained = if immediate {
            let drained = st.items.drain();
            st.unfinished = st.unfinished.saturating_sub(drained.len());
            if st.unfinished == 0 {
                wakers.extend(st.joiners.grant_where(|()| true));
            }
            drained
        } else {
            Vec::new()
        };
        wakers.extend(st.getters.grant_where(|seat| {
            *seat = GetSeat::ShutDown;
            true
        }));
        wakers.extend(st.putters.grant_where(|seat| {
            *seat = PutSeat::ShutDown;
            true
        }));
        sh.publish(&st);
        drop(st);
        let dropped = drained.len();
        with_runtime(|rt| {
            sh.record(rt, "shutdown", || match (immediate, dropped) {
                (false, _) => String::new(),
                (true, n) => format!("immediate, {n} item(s) dropped"),
            })
        });
        drop(drained);
        for w in wakers {
            w.wake();
        }
    }
}

/// Waits to put an item. See the module docs.
pub(crate) struct Put<'a, T, S: Store<T>> {
    shared: &'a Shared<T, S>,
    item: Option<T>,
    key: Option<WaitKey>,
}

// Never pinned through: the item is only ever moved out by value.
impl<T, S: Store<T>> Unpin for Put<'_, T, S> {}

impl<T, S: Store<T>> Future for Put<'_, T, S> {
    type Output = Result<(), QueueShutDown>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let sh = this.shared;
        with_runtime(|rt| {
            let mut st = sh.state.borrow_mut();
            match this.key {
                None if st.shut_down => {}
                None if st.is_full(sh.maxsize) => {
                    let task = rt.and_then(Core::current_task);
                    this.key = Some(st.putters.push(PutSeat::Waiting(task), cx.waker()));
                    sh.publish(&st);
                    let len = st.len();
                    drop(st);
                    sh.record(rt, "wait", || format!("to put: full, {}", sh.size(len)));
                    sh.note_wait(rt, &sh.waits.put);
                    return Poll::Pending;
                }
                None => {
                    let item = this
                        .item
                        .take()
                        .expect("a Put was polled after it completed");
                    let handed = st.accept(item);
                    sh.publish(&st);
                    let len = st.len();
                    drop(st);
                    sh.record_put(rt, &handed, len);
                    wake(handed);
                    return Poll::Ready(Ok(()));
                }
                Some(key) => match st.putters.phase(key) {
                    Some(Phase::Queued) => {
                        st.putters.set_waker(key, cx.waker());
                        drop(st);
                        sh.note_wait(rt, &sh.waits.put);
                        return Poll::Pending;
                    }
                    Some(Phase::Granted) => {
                        this.key = None;
                        let seat = st.putters.remove(key).map(|(_, s)| s);
                        if let Some(PutSeat::Room) = seat {
                            st.reserved -= 1;
                            if !st.shut_down {
                                let item = this.item.take().expect("a waiting Put holds its item");
                                let handed = st.accept(item);
                                sh.publish(&st);
                                let len = st.len();
                                drop(st);
                                sh.record_put(rt, &handed, len);
                                wake(handed);
                                return Poll::Ready(Ok(()));
                            }
                        }
                    }
                    None => unreachable!("a queued putter lost its entry"),
                },
            }
            // Shut down: the item is not put.
            sh.publish(&st);
            drop(st);
            this.item = None;
            Poll::Ready(Err(QueueShutDown))
        })
    }
}

impl<T, S: Store<T>> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let sh = self.shared;
        let mut st = sh.state.borrow_mut();
        let removed = st.putters.remove(key).map(|(_, s)| s);
        let passed = match removed {
            None | Some(PutSeat::ShutDown) => return,
            Some(PutSeat::Waiting(_)) => None,
            Some(PutSeat::Room) => {
                st.reserved -= 1;
                Some(st.refill(sh.maxsize))
            }
        };
        sh.publish(&st);
        drop(st);
        with_runtime(|rt| match &passed {
            None => sh.record(rt, "leave", String::new),
            Some(next) => sh.record(rt, "pass on", || match (next, rt) {
                (Some((_, to)), Some(rt)) => format!("room to {}", task_name(rt, *to)),
                _ => "room".to_string(),
            }),
        });
        if let Some(next) = passed {
            wake(next);
        }
        // The item, never put, is dropped with the future, after the borrow.
    }
}

/// Waits to get an item. See the module docs.
pub(crate) struct Get<'a, T, S: Store<T>> {
    shared: &'a Shared<T, S>,
    key: Option<WaitKey>,
}

impl<T, S: Store<T>> Future for Get<'_, T, S> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let sh = self.shared;
        with_runtime(|rt| {
            let mut st = sh.state.borrow_mut();
            let (result, woken) = match self.key {
                None => match st.take(sh.maxsize) {
                    Some((item, woken)) => (Ok(item), woken),
                    None if st.shut_down => (Err(QueueShutDown), None),
                    None => {
                        let task = rt.and_then(Core::current_task);
                        self.key = Some(st.getters.push(GetSeat::Waiting(task), cx.waker()));
                        sh.publish(&st);
                        drop(st);
                        sh.record(rt, "wait", || "to get: empty".to_string());
                        sh.note_wait(rt, &sh.waits.get);
                        return Poll::Pending;
                    }
                },
                Some(key) => match st.getters.phase(key) {
                    Some(Phase::Queued) => {
                        st.getters.set_waker(key, cx.waker());
                        drop(st);
                        sh.note_wait(rt, &sh.waits.get);
                        return Poll::Pending;
                    }
                    Some(Phase::Granted) => {
                        self.key = None;
                        match st.getters.remove(key).map(|(_, s)| s) {
                            Some(GetSeat::Item(item)) => {
                                st.in_flight -= 1;
                                (Ok(item.item), st.refill(sh.maxsize))
                            }
                            _ => (Err(QueueShutDown), None),
                        }
                    }
                    None => unreachable!("a queued getter lost its entry"),
                },
            };
            sh.publish(&st);
            let len = st.len();
            drop(st);
            if result.is_ok() {
                sh.record(rt, "get", || sh.size(len));
            }
            wake(woken);
            Poll::Ready(result)
        })
    }
}

impl<T, S: Store<T>> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
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
            None => sh.record(rt, "leave", String::new),
            Some(next) => sh.record(rt, "pass on", || match (next, rt) {
                (Some((_, to)), Some(rt)) => format!("item to {}", task_name(rt, *to)),
                _ => "item back".to_string(),
            }),
        });
        if let Some(next) = passed {
            wake(next);
        }
    }
}

/// Waits until every accepted item is marked done.
pub(crate) struct Join<'a, T, S> {
    shared: &'a Shared<T, S>,
    key: Option<WaitKey>,
}

impl<T, S: Store<T>> Future for Join<'_, T, S> {
    type Output = ();

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
                    sh.record(rt, "wait", || format!("to join: {n} unfinished"));
                }
                Some(key) => match st.joiners.phase(key) {
                    Some(Phase::Granted) => {
                        st.joiners.remove(key);
                        self.key = None;
                        return Poll::Ready(());
                    }
                    Some(Phase::Queued) => st.joiners.set_waker(key, cx.waker()),
                    None => unreachable!("a queued joiner lost its entry"),
                },
            }
            sh.note_wait(rt, &sh.waits.join);
            Poll::Pending
        })
    }
}

impl<T, S> Drop for Join<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.state.borrow_mut().joiners.remove(key);
        }
    }
}
