//! The one FIFO wait list every primitive builds on.
//!
//! A waiter is an *entry*: the primitive pushes it at the back when a task
//! must wait, and later *grants* it what it waited for (the lock, a permit,
//! an item, a notification) by taking it out of the queue order, storing the
//! grant in the entry's value and waking its task. The waiting future then
//! finds its entry granted at its next poll ([`WaitList::poll_granted`]) and
//! removes it.
//!
//! Because the grant is stored in the entry, nobody can take it away in
//! between: a newcomer never overtakes a queued waiter (no barging). And
//! because the waiting future removes its own entry when dropped, a waiter
//! that is cancelled leaves nothing behind; if it had already been granted,
//! [`WaitList::remove`] says so and the primitive hands the grant on.
//!
//! Entries live in the runtime's one generation-checked [`Slab`] and are
//! linked in FIFO order by their keys, so push, grant and remove are all
//! O(1), and a key kept past its entry's removal finds nothing.

use std::task::{Context, Poll, Waker};

use crate::slab::{Slab, SlabKey};

/// Where an entry stands.
///
/// ```text
///   push ──► Queued ──grant──► Granted ──remove──► (gone: the waiter took it,
///               │                                    or passes it on)
///               └──remove──► (gone: the waiter gave up, nothing to pass on)
/// ```
///
/// Only `Queued` entries are in FIFO order; a `Granted` entry waits for its
/// future to pick the grant up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting, in FIFO order.
    Queued,
    /// Out of the order: the primitive handed it its grant and woke it.
    Granted,
}

/// A waiter's handle to its entry: a slab key. Stale keys (of removed
/// entries) find nothing.
pub(crate) type WaitKey = SlabKey;

struct Entry<V> {
    value: V,
    waker: Option<Waker>,
    phase: Phase,
    prev: Option<SlabKey>,
    next: Option<SlabKey>,
}

/// A FIFO of waiters, each carrying a value `V` (who waits, and the grant
/// once it is granted). See the module docs.
pub(crate) struct WaitList<V> {
    entries: Slab<Entry<V>>,
    head: Option<SlabKey>,
    tail: Option<SlabKey>,
    queued: usize,
}

impl<V> Default for WaitList<V> {
    fn default() -> Self {
        WaitList {
            entries: Slab::default(),
            head: None,
            tail: None,
            queued: 0,
        }
    }
}

impl<V> WaitList<V> {
    /// Queues a waiter at the back.
    #[inline]
    pub fn push(&mut self, value: V, waker: &Waker) -> WaitKey {
        let key = self.entries.insert(Entry {
            value,
            waker: Some(waker.clone()),
            phase: Phase::Queued,
            prev: self.tail,
            next: None,
        });
        match self.tail {
            None => self.head = Some(key),
            Some(t) => self.linked_mut(t).next = Some(key),
        }
        self.tail = Some(key);
        self.queued += 1;
        key
    }

    /// How many entries are queued (granted ones not counted).
    #[inline]
    pub fn len(&self) -> usize {
        self.queued
    }

    /// Whether no entry is queued.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// The value of the first queued entry.
    #[cfg(test)]
    pub fn front(&self) -> Option<&V> {
        self.head.map(|h| &self.linked(h).value)
    }

    /// Grants the first queued entry: `grant` stores what it gets in its
    /// value. Returns the waker to wake (after the caller's borrows end), or
    /// `None` if nobody is queued.
    #[inline]
    pub fn grant_front(&mut self, grant: impl FnOnce(&mut V)) -> Option<Waker> {
        let h = self.head?;
        self.unlink(h);
        let e = self.linked_mut(h);
        e.phase = Phase::Granted;
        grant(&mut e.value);
        e.waker.take()
    }

    /// Grants every queued entry for which `grant` returns `true`, in FIFO
    /// order; the others stay queued in their order. Returns the wakers to
    /// wake, in FIFO order.
    pub fn grant_where(&mut self, mut grant: impl FnMut(&mut V) -> bool) -> Vec<Waker> {
        let mut wakers = Vec::new();
        let mut at = self.head;
        while let Some(key) = at {
            let e = self.linked_mut(key);
            at = e.next;
            if grant(&mut e.value) {
                self.unlink(key);
                let e = self.linked_mut(key);
                e.phase = Phase::Granted;
                wakers.extend(e.waker.take());
            }
        }
        wakers
    }

    /// Where the entry stands, or `None` for a stale key.
    #[cfg(test)]
    pub fn phase(&self, key: WaitKey) -> Option<Phase> {
        self.entries.get(key).map(|e| e.phase)
    }

    /// The entry's value, or `None` for a stale key.
    #[cfg(test)]
    pub fn value(&self, key: WaitKey) -> Option<&V> {
        self.entries.get(key).map(|e| &e.value)
    }

    /// The poll of a waiter that has queued its entry: once the entry is
    /// granted, removes it and gives its value (the grant) back; while it is
    /// still queued, remembers `cx`'s waker and stays pending.
    ///
    /// # Panics
    /// If `key` is stale: a waiter's entry is only removed by the waiter
    /// itself (here, or when it is dropped), so a stale key is a bug.
    #[inline]
    pub fn poll_granted(&mut self, key: WaitKey, cx: &mut Context<'_>) -> Poll<V> {
        let e = self
            .entries
            .get_mut(key)
            .expect("a waiter lost its wait-list entry");
        match e.phase {
            Phase::Granted => {
                let e = self.entries.remove(key).expect("found above");
                Poll::Ready(e.value)
            }
            Phase::Queued => {
                match &e.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => e.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Takes an entry out for good (its waiter took its grant, or gave up),
    /// returning where it stood and its value; `None` for a stale key.
    pub fn remove(&mut self, key: WaitKey) -> Option<(Phase, V)> {
        let phase = self.entries.get(key)?.phase;
        if phase == Phase::Queued {
            self.unlink(key);
        }
        let entry = self.entries.remove(key).expect("checked above");
        Some((phase, entry.value))
    }

    /// The values of the queued entries, in FIFO order.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &V> + '_ {
        let mut at = self.head;
        std::iter::from_fn(move || {
            let e = self.linked(at?);
            at = e.next;
            Some(&e.value)
        })
    }

    #[cfg(test)]
    fn linked(&self, key: SlabKey) -> &Entry<V> {
        self.entries.get(key).expect("linked entries are live")
    }

    #[inline]
    fn linked_mut(&mut self, key: SlabKey) -> &mut Entry<V> {
        self.entries.get_mut(key).expect("linked entries are live")
    }

    /// Takes a queued entry out of the FIFO links (it stays in the slab).
    #[inline]
    fn unlink(&mut self, key: SlabKey) {
        let e = self.linked_mut(key);
        let (prev, next) = (e.prev.take(), e.next.take());
        match prev {
            None => self.head = next,
            Some(p) => self.linked_mut(p).next = next,
        }
        match next {
            None => self.tail = prev,
            Some(n) => self.linked_mut(n).prev = prev,
        }
        self.queued -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    fn queued(list: &WaitList<u32>) -> Vec<u32> {
        list.iter().copied().collect()
    }

    #[test]
    fn grants_in_fifo_order_and_skips_removed_entries() {
        let (_, w) = waker();
        let mut list = WaitList::default();
        let keys: Vec<WaitKey> = (0..4).map(|i| list.push(i, &w)).collect();
        assert_eq!(list.remove(keys[1]), Some((Phase::Queued, 1)));
        assert_eq!(queued(&list), [0, 2, 3]);
        assert!(list.grant_front(|v| *v += 10).is_some());
        assert_eq!(list.phase(keys[0]), Some(Phase::Granted));
        assert_eq!(list.value(keys[0]), Some(&10));
        assert_eq!(queued(&list), [2, 3]);
        assert_eq!(list.len(), 2);
        assert_eq!(list.remove(keys[0]), Some((Phase::Granted, 10)));
        assert_eq!(list.remove(keys[0]), None, "a stale key finds nothing");
    }

    #[test]
    fn reused_slots_keep_order_and_reject_stale_keys() {
        let (_, w) = waker();
        let mut list = WaitList::default();
        let a = list.push(1, &w);
        list.remove(a);
        let b = list.push(2, &w);
        let c = list.push(3, &w);
        assert_eq!(list.phase(a), None);
        assert_eq!(list.front(), Some(&2));
        list.remove(b);
        assert_eq!(queued(&list), [3]);
        list.remove(c);
        assert!(list.is_empty());
        assert!(list.grant_front(|_| {}).is_none());
    }

    #[test]
    fn grant_where_keeps_the_rest_in_order_and_returns_wakers_in_fifo_order() {
        let (count, w) = waker();
        let mut list = WaitList::default();
        for i in 0..6 {
            list.push(i, &w);
        }
        let wakers = list.grant_where(|v| *v % 2 == 0);
        assert_eq!(wakers.len(), 3);
        assert_eq!(queued(&list), [1, 3, 5]);
        for w in wakers {
            w.wake();
        }
        assert_eq!(count.0.load(Ordering::Relaxed), 3);
        list.push(7, &w);
        assert_eq!(queued(&list), [1, 3, 5, 7]);
    }

    #[test]
    fn poll_granted_waits_while_queued_and_gives_the_grant_once_granted() {
        let (first, w1) = waker();
        let (second, w2) = waker();
        let mut list = WaitList::default();
        let a = list.push(1, &w1);
        let b = list.push(2, &w1);
        let mut cx = Context::from_waker(&w2);
        assert_eq!(list.poll_granted(a, &mut cx), Poll::Pending);
        // The latest poll's waker is the one woken at the grant.
        list.grant_front(|v| *v += 10).unwrap().wake();
        assert_eq!(second.0.load(Ordering::Relaxed), 1);
        assert_eq!(first.0.load(Ordering::Relaxed), 0);
        assert_eq!(list.poll_granted(a, &mut cx), Poll::Ready(11));
        assert_eq!(
            list.phase(a),
            None,
            "picking the grant up removes the entry"
        );
        assert_eq!(list.poll_granted(b, &mut cx), Poll::Pending);
        assert_eq!(queued(&list), [2]);
    }

    #[test]
    #[should_panic(expected = "lost its wait-list entry")]
    fn poll_granted_on_a_stale_key_is_a_bug() {
        let (_, w) = waker();
        let mut list = WaitList::default();
        let a = list.push(1, &w);
        list.remove(a);
        let _ = list.poll_granted(a, &mut Context::from_waker(&w));
    }
}
