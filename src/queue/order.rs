//! The three orderings behind the one queue core: FIFO, LIFO, and
//! smallest-first, as one store ([`Items`]). Each keeps items with the
//! sequence number they were accepted with, so an item put back (handed to
//! a getter that was dropped before it took it) returns to the place it
//! would have had.
//!
//! One enum rather than a type parameter: the queue's futures
//! ([`QueuePut`](super::QueuePut) and the rest) are then one type for all
//! three queues, and the FIFO path stays a direct call.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// An item and the order in which the queue accepted it.
pub(crate) struct Sequenced<T> {
    pub seq: u64,
    pub item: T,
}

/// Where a queue keeps its items, in its ordering.
pub(crate) enum Items<T> {
    /// First in, first out: asyncio's `Queue`.
    Fifo(VecDeque<Sequenced<T>>),
    /// Last in, first out: asyncio's `LifoQueue`. In `seq` order, the
    /// newest at the end.
    Lifo(Vec<Sequenced<T>>),
    /// Smallest first, equal items in the order they were put: asyncio's
    /// `PriorityQueue` (whose heap leaves ties to the items' own order).
    /// The heap, and the items' comparison (`T::cmp`).
    Priority(BinaryHeap<Ranked<T>>, fn(&T, &T) -> Ordering),
}

impl<T> Items<T> {
    /// An empty FIFO store.
    pub fn fifo() -> Self {
        Items::Fifo(VecDeque::new())
    }

    /// An empty LIFO store.
    pub fn lifo() -> Self {
        Items::Lifo(Vec::new())
    }

    /// An empty smallest-first store.
    pub fn priority() -> Self
    where
        T: Ord,
    {
        Items::Priority(BinaryHeap::new(), T::cmp)
    }

    /// The queue's display name in traces (`Queue`, `PriorityQueue`, `LifoQueue`).
    pub fn kind(&self) -> &'static str {
        match self {
            Items::Fifo(_) => "Queue",
            Items::Lifo(_) => "LifoQueue",
            Items::Priority(..) => "PriorityQueue",
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Items::Fifo(q) => q.len(),
            Items::Lifo(v) => v.len(),
            Items::Priority(h, _) => h.len(),
        }
    }

    /// Adds a newly accepted item (its `seq` is the highest so far).
    #[inline]
    pub fn push(&mut self, item: Sequenced<T>) {
        match self {
            Items::Fifo(q) => q.push_back(item),
            Items::Lifo(v) => v.push(item),
            Items::Priority(h, compare) => h.push(Ranked {
                item,
                compare: *compare,
            }),
        }
    }

    /// Takes the next item in this ordering.
    #[inline]
    pub fn pop(&mut self) -> Option<Sequenced<T>> {
        match self {
            Items::Fifo(q) => q.pop_front(),
            Items::Lifo(v) => v.pop(),
            Items::Priority(h, _) => h.pop().map(|r| r.item),
        }
    }

    /// Puts back an item accepted earlier (any `seq`), where it belongs.
    pub fn put_back(&mut self, item: Sequenced<T>) {
        match self {
            Items::Fifo(q) => {
                let at = q.partition_point(|s| s.seq < item.seq);
                q.insert(at, item);
            }
            Items::Lifo(v) => {
                let at = v.partition_point(|s| s.seq < item.seq);
                v.insert(at, item);
            }
            Items::Priority(h, compare) => h.push(Ranked {
                item,
                compare: *compare,
            }),
        }
    }

    /// Takes every item out (for an immediate shutdown): a priority queue's
    /// smallest first, the others oldest first.
    pub fn drain(&mut self) -> Vec<T> {
        match self {
            Items::Fifo(q) => q.drain(..).map(|s| s.item).collect(),
            Items::Lifo(v) => v.drain(..).map(|s| s.item).collect(),
            Items::Priority(h, _) => std::iter::from_fn(|| h.pop().map(|r| r.item.item)).collect(),
        }
    }
}

/// A heap entry: `BinaryHeap` pops the greatest, so the smallest item (then
/// the oldest) compares greatest. It carries the item type's comparison, so
/// that the store needs no `T: Ord` bound of its own.
pub(crate) struct Ranked<T> {
    item: Sequenced<T>,
    compare: fn(&T, &T) -> Ordering,
}

impl<T> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.compare)(&other.item.item, &self.item.item).then(other.item.seq.cmp(&self.item.seq))
    }
}

impl<T> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Ranked<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(mut s: Items<u32>, items: &[u32]) -> Items<u32> {
        for (seq, &item) in items.iter().enumerate() {
            s.push(Sequenced {
                seq: seq as u64,
                item,
            });
        }
        s
    }

    fn order(mut s: Items<u32>) -> Vec<u32> {
        std::iter::from_fn(|| s.pop().map(|x| x.item)).collect()
    }

    #[test]
    fn each_ordering_pops_in_its_order() {
        assert_eq!(order(fill(Items::fifo(), &[3, 1, 2])), [3, 1, 2]);
        assert_eq!(order(fill(Items::lifo(), &[3, 1, 2])), [2, 1, 3]);
        assert_eq!(order(fill(Items::priority(), &[3, 1, 2])), [1, 2, 3]);
    }

    #[test]
    fn put_back_restores_the_place_by_sequence() {
        let mut f = fill(Items::fifo(), &[10, 11, 12]);
        let a = f.pop().unwrap();
        let b = f.pop().unwrap();
        f.put_back(b);
        f.put_back(a);
        assert_eq!(order(f), [10, 11, 12]);

        let mut l = fill(Items::lifo(), &[10, 11, 12]);
        let c = l.pop().unwrap();
        l.put_back(c);
        assert_eq!(order(l), [12, 11, 10]);
    }

    /// `Ranked`'s equality agrees with its ordering: the same item put at
    /// the same place, not merely an equal item.
    #[test]
    fn ranked_entries_are_equal_only_with_the_same_item_and_sequence() {
        let ranked = |seq, item| Ranked {
            item: Sequenced { seq, item },
            compare: u32::cmp,
        };
        let first = ranked(0, 5);
        assert!(first == ranked(0, 5));
        assert!(first != ranked(1, 5), "an equal item put later");
        assert!(first != ranked(0, 6));
    }

    /// Ordered by `prio` only: two jobs of equal priority compare equal.
    #[derive(Debug)]
    struct Job {
        prio: u8,
        name: &'static str,
    }
    impl PartialEq for Job {
        fn eq(&self, o: &Self) -> bool {
            self.prio == o.prio
        }
    }
    impl Eq for Job {}
    impl PartialOrd for Job {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Job {
        fn cmp(&self, o: &Self) -> Ordering {
            self.prio.cmp(&o.prio)
        }
    }

    #[test]
    fn priority_ties_come_out_in_put_order() {
        let mut p: Items<Job> = Items::priority();
        let jobs = [(1, "a"), (0, "b"), (1, "c"), (0, "d"), (1, "e")];
        for (seq, (prio, name)) in jobs.into_iter().enumerate() {
            p.push(Sequenced {
                seq: seq as u64,
                item: Job { prio, name },
            });
        }
        let got: Vec<_> = std::iter::from_fn(|| p.pop().map(|x| x.item.name)).collect();
        assert_eq!(got, ["b", "d", "a", "c", "e"]);
    }
}
