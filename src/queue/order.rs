//! The three orderings behind the one queue core: FIFO, LIFO, and
//! smallest-first. Each keeps items with the sequence number they were
//! accepted with, so an item put back (handed to a getter that was dropped
//! before it took it) returns to the place it would have had.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// An item and the order in which the queue accepted it.
pub(crate) struct Sequenced<T> {
    pub seq: u64,
    pub item: T,
}

/// Where a queue keeps its items.
pub(crate) trait Store<T> {
    /// The queue's display name in traces (`Queue`, `PriorityQueue`, `LifoQueue`).
    const KIND: &'static str;
    fn new() -> Self;
    fn len(&self) -> usize;
    /// Adds a newly accepted item (its `seq` is the highest so far).
    fn push(&mut self, item: Sequenced<T>);
    /// Takes the next item in this ordering.
    fn pop(&mut self) -> Option<Sequenced<T>>;
    /// Puts back an item accepted earlier (any `seq`), where it belongs.
    fn put_back(&mut self, item: Sequenced<T>);
    /// Takes every item out (for an immediate shutdown).
    fn drain(&mut self) -> Vec<T>;
}

/// First in, first out: asyncio's `Queue`.
pub(crate) struct Fifo<T>(VecDeque<Sequenced<T>>);

impl<T> Store<T> for Fifo<T> {
    const KIND: &'static str = "Queue";
    fn new() -> Self {
        Fifo(VecDeque::new())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push(&mut self, item: Sequenced<T>) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<Sequenced<T>> {
        self.0.pop_front()
    }
    fn put_back(&mut self, item: Sequenced<T>) {
        let at = self.0.partition_point(|s| s.seq < item.seq);
        self.0.insert(at, item);
    }
    fn drain(&mut self) -> Vec<T> {
        self.0.drain(..).map(|s| s.item).collect()
    }
}

/// Last in, first out: asyncio's `LifoQueue`. The vector is in `seq` order,
/// the newest at the end.
pub(crate) struct Lifo<T>(Vec<Sequenced<T>>);

impl<T> Store<T> for Lifo<T> {
    const KIND: &'static str = "LifoQueue";
    fn new() -> Self {
        Lifo(Vec::new())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push(&mut self, item: Sequenced<T>) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<Sequenced<T>> {
        self.0.pop()
    }
    fn put_back(&mut self, item: Sequenced<T>) {
        let at = self.0.partition_point(|s| s.seq < item.seq);
        self.0.insert(at, item);
    }
    fn drain(&mut self) -> Vec<T> {
        self.0.drain(..).map(|s| s.item).collect()
    }
}

/// Smallest first, equal items in the order they were put: asyncio's
/// `PriorityQueue` (whose heap leaves ties to the items' own order).
pub(crate) struct Priority<T>(BinaryHeap<Ranked<T>>);

/// A heap entry: `BinaryHeap` pops the greatest, so the smallest item (then
/// the oldest) compares greatest.
pub(crate) struct Ranked<T>(Sequenced<T>);

impl<T: Ord> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .item
            .cmp(&self.0.item)
            .then(other.0.seq.cmp(&self.0.seq))
    }
}

impl<T: Ord> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Ranked<T> {}

impl<T: Ord> Store<T> for Priority<T> {
    const KIND: &'static str = "PriorityQueue";
    fn new() -> Self {
        Priority(BinaryHeap::new())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn push(&mut self, item: Sequenced<T>) {
        self.0.push(Ranked(item));
    }
    fn pop(&mut self) -> Option<Sequenced<T>> {
        self.0.pop().map(|r| r.0)
    }
    fn put_back(&mut self, item: Sequenced<T>) {
        self.0.push(Ranked(item));
    }
    fn drain(&mut self) -> Vec<T> {
        // Smallest first, so an immediate shutdown drops them in queue order.
        std::iter::from_fn(|| self.0.pop().map(|r| r.0.item)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill<S: Store<u32>>(items: &[u32]) -> S {
        let mut s = S::new();
        for (seq, &item) in items.iter().enumerate() {
            s.push(Sequenced {
                seq: seq as u64,
                item,
            });
        }
        s
    }

    fn order<S: Store<u32>>(mut s: S) -> Vec<u32> {
        std::iter::from_fn(|| s.pop().map(|x| x.item)).collect()
    }

    #[test]
    fn each_ordering_pops_in_its_order() {
        assert_eq!(order(fill::<Fifo<u32>>(&[3, 1, 2])), [3, 1, 2]);
        assert_eq!(order(fill::<Lifo<u32>>(&[3, 1, 2])), [2, 1, 3]);
        assert_eq!(order(fill::<Priority<u32>>(&[3, 1, 2])), [1, 2, 3]);
    }

    #[test]
    fn put_back_restores_the_place_by_sequence() {
        let mut f = fill::<Fifo<u32>>(&[10, 11, 12]);
        let a = f.pop().unwrap();
        let b = f.pop().unwrap();
        f.put_back(b);
        f.put_back(a);
        assert_eq!(order(f), [10, 11, 12]);

        let mut l = fill::<Lifo<u32>>(&[10, 11, 12]);
        let c = l.pop().unwrap();
        l.put_back(c);
        assert_eq!(order(l), [12, 11, 10]);
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
        let mut p: Priority<Job> = Priority::new();
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
