//! The one queue core behind `Queue`, `PriorityQueue` and `LifoQueue`: its
//! state and the operations that do not wait. The waiting futures are in
//! `futures.rs`.
//!
//! Getters and putters wait in FIFO wait lists, and both sides are served
//! by hand-over, so a newcomer never overtakes a waiter:
//!
//! - An item put while getters wait is handed to the first of them (it is
//!   *in flight* until that getter runs, and counts in `len` meanwhile, as in
//!   asyncio). A getter dropped before it took its item puts it back where
//!   it was, or hands it to the next getter.
//! - A putter waits with its item. When room frees, the first waiting
//!   putter's item enters the queue at once, in that putter's turn (so a
//!   `put_nowait` that comes after it cannot go first), and the putter is
//!   woken only to learn that its put is done. A putter dropped while it
//!   still waits takes its item away with it; one dropped after its item
//!   entered leaves it there (the put happened).
//!
//! So no item and no room is ever lost.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::task::Waker;

use super::error::{QueueEmpty, QueueFull, TooManyTaskDone};
use super::futures::{QueueGet, QueueJoin, QueuePut};
use super::order::{Items, Sequenced};
use super::status::{QueueWait, QueueWaits};
use crate::runtime::ids::TaskId;
use crate::runtime::Core;
use crate::sync::object::{self, with_runtime, write_task_name};
use crate::sync::wait_list::WaitList;

/// A shared handle to one queue.
pub(crate) struct QueueCore<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Clone for QueueCore<T> {
    fn clone(&self) -> Self {
        QueueCore {
            shared: self.shared.clone(),
        }
    }
}

/// One queue: what never changes, and its state.
pub(crate) struct Shared<T> {
    pub(super) waits: QueueWaits,
    pub(super) maxsize: usize,
    pub(super) state: RefCell<QueueState<T>>,
}

/// Everything that changes. Invariants: getters are queued only while the
/// store is empty; putters are queued only while the queue is full
/// (`len >= maxsize`); `unfinished` counts accepted items not yet marked
/// done.
pub(crate) struct QueueState<T> {
    pub(super) items: Items<T>,
    next_seq: u64,
    /// Items handed to getters that have not run yet.
    pub(super) in_flight: usize,
    pub(super) getters: WaitList<GetSeat<T>>,
    pub(super) putters: WaitList<PutSeat<T>>,
    pub(super) joiners: WaitList<()>,
    pub(super) unfinished: usize,
    pub(super) shut_down: bool,
}

/// A waiting getter: `Waiting` → `Item` (handed an item) or `ShutDown`.
pub(crate) enum GetSeat<T> {
    Waiting(Option<TaskId>),
    Item(Sequenced<T>),
    ShutDown,
}

/// A waiting putter, with its item: `Waiting` → `Put` (its item entered
/// the queue) or `ShutDown` (its item was dropped).
pub(crate) enum PutSeat<T> {
    Waiting(Option<TaskId>, T),
    Put,
    ShutDown,
}

/// A task to wake, and who it is (for the trace).
pub(super) type Woken = Option<(Waker, Option<TaskId>)>;

#[inline]
pub(super) fn wake(w: Woken) {
    if let Some((w, _)) = w {
        w.wake();
    }
}

/// A waiting putter's item that entered the queue when room freed: the
/// putter to wake, and the getter the item was handed to, if one waited.
pub(super) struct Admitted {
    putter: (Waker, Option<TaskId>),
    handed: Woken,
}

impl Admitted {
    #[inline]
    pub fn wake(self) {
        self.putter.0.wake();
        wake(self.handed);
    }
}

impl<T> QueueState<T> {
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len() + self.in_flight
    }

    #[inline]
    pub fn is_full(&self, maxsize: usize) -> bool {
        maxsize > 0 && self.len() >= maxsize
    }

    /// Takes in a new item: it counts as unfinished, and goes to the first
    /// waiting getter or into the store.
    #[inline]
    pub fn accept(&mut self, item: T) -> Woken {
        self.unfinished += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.deliver(Sequenced { seq, item }, false)
    }

    /// Hands an item to the first waiting getter, or stores it (`back`: it
    /// is an earlier item coming back).
    #[inline]
    pub fn deliver(&mut self, item: Sequenced<T>, back: bool) -> Woken {
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

    /// Room was freed: the first waiting putter's item enters the queue.
    #[inline]
    pub fn admit(&mut self, maxsize: usize) -> Option<Admitted> {
        if self.putters.is_empty() || self.is_full(maxsize) {
            return None;
        }
        self.admit_first()
    }

    fn admit_first(&mut self) -> Option<Admitted> {
        let mut entering = None;
        let waker = self.putters.grant_front(|seat| {
            if let PutSeat::Waiting(t, item) = std::mem::replace(seat, PutSeat::Put) {
                entering = Some((t, item));
            }
        })?;
        let (task, item) = entering.expect("a queued putter holds its item");
        let handed = self.accept(item);
        Some(Admitted {
            putter: (waker, task),
            handed,
        })
    }

    /// Takes the next stored item; its room goes to the first waiting putter.
    #[inline]
    pub fn take(&mut self, maxsize: usize) -> Option<(T, Option<Admitted>)> {
        let item = self.items.pop()?;
        Some((item.item, self.admit(maxsize)))
    }
}

impl<T> Shared<T> {
    /// Keeps the deadlock report's copy of the counts current.
    #[inline]
    pub fn publish(&self, st: &QueueState<T>) {
        let s = &self.waits.status;
        s.len.set(st.len());
        s.unfinished.set(st.unfinished);
        s.getters.set(st.getters.len());
        s.putters.set(st.putters.len());
    }

    /// `size 3` (unbounded) or `size 3/5`, as trace details say it.
    pub fn write_size(&self, len: usize, out: &mut String) {
        out.push_str("size ");
        object::write_number(len, out);
        if self.maxsize != 0 {
            out.push('/');
            object::write_number(self.maxsize, out);
        }
    }

    /// Records a step, if tracing is on. The recording itself is out of
    /// line: the untraced operations stay small.
    #[inline]
    pub fn record(
        &self,
        rt: Option<&Core>,
        action: &'static str,
        detail: impl FnOnce(&mut String),
    ) {
        if let Some(rt) = rt.filter(|rt| rt.tracing()) {
            self.record_traced(rt, action, detail);
        }
    }

    #[inline(never)]
    fn record_traced(&self, rt: &Core, action: &'static str, detail: impl FnOnce(&mut String)) {
        object::record(rt, &self.waits.status.name, action, detail);
    }

    #[inline]
    pub fn note_wait(&self, rt: Option<&Core>, view: &Rc<QueueWait>) {
        if let Some(rt) = rt {
            object::note_wait(rt, &self.waits.status.name, view);
        }
    }

    /// Records an accepted item: whom it was handed to, or the new size.
    #[inline]
    pub fn record_put(&self, rt: Option<&Core>, handed: &Woken, len: usize) {
        if rt.is_some_and(Core::tracing) {
            self.record_put_traced(rt, handed, len);
        }
    }

    #[inline(never)]
    fn record_put_traced(&self, rt: Option<&Core>, handed: &Woken, len: usize) {
        self.record(rt, "put", |out| match (handed, rt) {
            (Some((_, to)), Some(rt)) => {
                out.push_str("to ");
                write_task_name(rt, *to, out);
            }
            _ => self.write_size(len, out),
        });
    }

    /// Records a get that left `len` items, and the waiting putter's item
    /// that entered in its place (the queue then holds `len + 1`).
    #[inline]
    pub fn record_get(&self, rt: Option<&Core>, len: usize, admitted: &Option<Admitted>) {
        if rt.is_some_and(Core::tracing) {
            self.record_get_traced(rt, len, admitted);
        }
    }

    #[inline(never)]
    fn record_get_traced(&self, rt: Option<&Core>, len: usize, admitted: &Option<Admitted>) {
        self.record(rt, "get", |out| self.write_size(len, out));
        if let (Some(a), Some(rt)) = (admitted, rt) {
            self.record(Some(rt), "put", |out| {
                out.push_str("from ");
                write_task_name(rt, a.putter.1, out);
                match &a.handed {
                    Some((_, to)) => {
                        out.push_str(" to ");
                        write_task_name(rt, *to, out);
                    }
                    None => {
                        out.push_str(", ");
                        self.write_size(len + 1, out);
                    }
                }
            });
        }
    }
}

impl<T> QueueCore<T> {
    pub fn new(maxsize: usize, items: Items<T>) -> QueueCore<T> {
        QueueCore {
            shared: Rc::new(Shared {
                waits: QueueWaits::new(items.kind(), maxsize),
                maxsize,
                state: RefCell::new(QueueState {
                    items,
                    next_seq: 0,
                    in_flight: 0,
                    getters: WaitList::default(),
                    putters: WaitList::default(),
                    joiners: WaitList::default(),
                    unfinished: 0,
                    shut_down: false,
                }),
            }),
        }
    }

    pub fn set_name(&self, name: &str) {
        self.shared.waits.status.name.set_own(name);
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

    pub fn put(&self, item: T) -> QueuePut<'_, T> {
        QueuePut::new(&self.shared, item)
    }

    pub fn get(&self) -> QueueGet<'_, T> {
        QueueGet::new(&self.shared)
    }

    pub fn join(&self) -> QueueJoin<'_, T> {
        QueueJoin::new(&self.shared)
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
        let (item, admitted) = st.take(sh.maxsize).ok_or(QueueEmpty)?;
        let len = st.len() - usize::from(admitted.is_some());
        sh.publish(&st);
        drop(st);
        with_runtime(|rt| sh.record_get(rt, len, &admitted));
        if let Some(a) = admitted {
            a.wake();
        }
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
            sh.record(rt, "task_done", |out| match left {
                0 => out.push_str("all done"),
                n => {
                    let _ = write!(out, "{n} unfinished");
                }
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
        // The waiting putters' items are not put: they are dropped, after
        // the borrow (an item's destructor may use the queue).
        let mut not_put = Vec::new();
        wakers.extend(st.putters.grant_where(|seat| {
            if let PutSeat::Waiting(_, item) = std::mem::replace(seat, PutSeat::ShutDown) {
                not_put.push(item);
            }
            true
        }));
        sh.publish(&st);
        drop(st);
        let dropped = drained.len();
        with_runtime(|rt| {
            sh.record(rt, "shutdown", |out| {
                if immediate {
                    let _ = write!(out, "immediate, {dropped} item(s) dropped");
                }
            })
        });
        drop(drained);
        drop(not_put);
        for w in wakers {
            w.wake();
        }
    }
}
