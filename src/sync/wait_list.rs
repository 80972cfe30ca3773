//! The one FIFO wait list every primitive builds on.
//!
//! A waiter is an *entry*: the primitive pushes it at the back when a task
//! must wait, and later *grants* it what it waited for (the lock, a permit,
//! an item, a notification) by taking it out of the queue order, storing the
//! grant in the entry's value and waking its task. The waiting future then
//! finds its entry granted at its next poll and removes it.
//!
//! Because the grant is stored in the entry, nobody can take it away in
//! between: a newcomer never overtakes a queued waiter (no barging). And
//! because the waiting future removes its own entry when dropped, a waiter
//! that is cancelled leaves nothing behind; if it had already been granted,
//! [`WaitList::remove`] says so and the primitive hands the grant on.
//!
//! Entries live in a slab with generation-checked keys and are linked in
//! FIFO order, so push, grant and remove are all O(1).

use std::task::Waker;

/// "No entry" in the links.
const NIL: u32 = u32::MAX;

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

/// A waiter's handle to its entry. Stale keys (of removed entries) find nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitKey {
    index: u32,
    generation: u32,
}

struct Entry<V> {
    value: V,
    waker: Option<Waker>,
    phase: Phase,
    prev: u32,
    next: u32,
}

struct Slot<V> {
    generation: u32,
    entry: Option<Entry<V>>,
}

/// A FIFO of waiters, each carrying a value `V` (who waits, and the grant
/// once it is granted). See the module docs.
pub(crate) struct WaitList<V> {
    slots: Vec<Slot<V>>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    queued: usize,
}

impl<V> Default for WaitList<V> {
    fn default() -> Self {
        WaitList {
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            queued: 0,
        }
    }
}

impl<V> WaitList<V> {
    /// Queues a waiter at the back.
    pub fn push(&mut self, value: V, waker: &Waker) -> WaitKey {
        let entry = Entry {
            value,
            waker: Some(waker.clone()),
            phase: Phase::Queued,
            prev: self.tail,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].entry = Some(entry);
                i
            }
            None => {
                let i = u32::try_from(self.slots.len()).expect("fewer than 2^32 waiters");
                self.slots.push(Slot {
                    generation: 0,
                    entry: Some(entry),
                });
                i
            }
        };
        match self.tail {
            NIL => self.head = index,
            t => self.entry_mut(t).next = index,
        }
        self.tail = index;
        self.queued += 1;
        WaitKey {
            index,
            generation: self.slots[index as usize].generation,
        }
    }

    /// How many entries are queued (granted ones not counted).
    pub fn len(&self) -> usize {
        self.queued
    }

    /// Whether no entry is queued.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// The value of the first queued entry.
    #[cfg(test)]
    pub fn front(&self) -> Option<&V> {
        match self.head {
            NIL => None,
            h => Some(&self.entry(h).value),
        }
    }

    /// Grants the first queued entry: `grant` stores what it gets in its
    /// value. Returns the waker to wake (after the caller's borrows end), or
    /// `None` if nobody is queued.
    pub fn grant_front(&mut self, grant: impl FnOnce(&mut V)) -> Option<Waker> {
        let h = self.head;
        if h == NIL {
            return None;
        }
        self.unlink(h);
        let e = self.entry_mut(h);
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
        while at != NIL {
            let next = self.entry(at).next;
            if grant(&mut self.entry_mut(at).value) {
                self.unlink(at);
                let e = self.entry_mut(at);
                e.phase = Phase::Granted;
                wakers.extend(e.waker.take());
            }
            at = next;
        }
        wakers
    }

    /// Where the entry stands, or `None` for a stale key.
    pub fn phase(&self, key: WaitKey) -> Option<Phase> {
        self.get(key).map(|e| e.phase)
    }

    /// The entry's value, or `None` for a stale key.
    #[cfg(test)]
    pub fn value(&self, key: WaitKey) -> Option<&V> {
        self.get(key).map(|e| &e.value)
    }

    /// Remembers the waker of the entry's latest poll.
    pub fn set_waker(&mut self, key: WaitKey, waker: &Waker) {
        if let Some(e) = self.get_mut(key) {
            match &e.waker {
                Some(w) if w.will_wake(waker) => {}
                _ => e.waker = Some(waker.clone()),
            }
        }
    }

    /// Takes an entry out for good (its waiter took its grant, or gave up),
    /// returning where it stood and its value; `None` for a stale key.
    pub fn remove(&mut self, key: WaitKey) -> Option<(Phase, V)> {
        let phase = self.get(key)?.phase;
        if phase == Phase::Queued {
            self.unlink(key.index);
        }
        let slot = &mut self.slots[key.index as usize];
        let entry = slot.entry.take().expect("checked above");
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.index);
        Some((phase, entry.value))
    }

    /// The values of the queued entries, in FIFO order.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &V> + '_ {
        let mut at = self.head;
        std::iter::from_fn(move || {
            if at == NIL {
                return None;
            }
            let e = self.entry(at);
            at = e.next;
            Some(&e.value)
        })
    }

    fn get(&self, key: WaitKey) -> Option<&Entry<V>> {
        match self.slots.get(key.index as usize) {
            Some(s) if s.generation == key.generation => s.entry.as_ref(),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: WaitKey) -> Option<&mut Entry<V>> {
        match self.slots.get_mut(key.index as usize) {
            Some(s) if s.generation == key.generation => s.entry.as_mut(),
            _ => None,
        }
    }

    fn entry(&self, index: u32) -> &Entry<V> {
        self.slots[index as usize]
            .entry
            .as_ref()
            .expect("linked entries are live")
    }

    fn entry_mut(&mut self, index: u32) -> &mut Entry<V> {
        self.slots[index as usize]
            .entry
            .as_mut()
            .expect("linked entries are live")
    }

    /// Takes a queued entry out of the FIFO links (it stays in its slot).
    fn unlink(&mut self, index: u32) {
        let (prev, next) = {
            let e = self.entry(index);
            (e.prev, e.next)
        };
        match prev {
            NIL => self.head = next,
            p => self.entry_mut(p).next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.entry_mut(n).prev = prev,
        }
        let e = self.entry_mut(index);
        e.prev = NIL;
        e.next = NIL;
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
        let (_, other) = waker();
        let k = list.push(7, &w);
        list.set_waker(k, &other);
        assert_eq!(queued(&list), [1, 3, 5, 7]);
    }
}
