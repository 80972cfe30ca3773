//! A radix heap: a priority queue of `(deadline, seq)` items for a clock that
//! only moves forward.
//!
//! The heap keeps a *floor*: the deadline of the last item it handed out by
//! moving past its bucket (always a deadline that was due, so never later
//! than the clock). Every other item is filed by how far its deadline is from
//! the floor:
//!
//! ```text
//!   deadline <  floor   overdue   a binary heap (set for a time already past:
//!                                 rare, e.g. call_at in the past)
//!   deadline == floor   at_floor  a FIFO in seq order: these are due
//!   deadline >  floor   buckets[b], b = the highest bit in which the deadline
//!                                 differs from the floor (0..64)
//! ```
//!
//! Every item in a lower bucket is earlier than every item in a higher one.
//! When the earliest item lies in bucket `b` and is due, the floor moves to
//! it and bucket `b` alone is redistributed: its items fall into lower
//! buckets (or `at_floor`); higher buckets stay put. An item only ever moves
//! down, so taking it out costs amortised O(number of buckets it crosses),
//! with sequential memory access, instead of a binary heap's O(log n) random
//! ones.
//!
//! Items are removed lazily: the owner (the timer heap) forgets a removed
//! timer's slab entry, tells the heap its deadline ([`note_removed`]), and
//! the heap drops the stale item when it comes across it (a `live` predicate
//! tells it which keys still stand). [`retain`] purges every stale item; the
//! owner calls it when they outnumber the live ones, so memory stays within
//! a constant factor of the live timers.
//!
//! Looking at the earliest deadline never moves the floor: in real mode the
//! loop asks for it every turn, and a floor moved ahead of the clock would
//! file every timer set after that as overdue. Instead the earliest deadline
//! among the buckets is found by one scan of the lowest non-empty bucket and
//! cached until a push goes below it, a removal hits it, or the floor moves.
//!
//! [`note_removed`]: RadixHeap::note_removed
//! [`retain`]: RadixHeap::retain

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

/// One queued item: its deadline (in clock units), its sequence number
/// (strictly increasing in push order) and the owner's key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item<K> {
    pub deadline: u64,
    pub seq: u64,
    pub key: K,
}

impl<K> PartialEq for Item<K> {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}

impl<K> Eq for Item<K> {}

impl<K> PartialOrd for Item<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Item<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

const BUCKETS: usize = 64;

/// The bucket of a deadline that differs from the floor by `diff` (non-zero):
/// the index of the highest differing bit.
#[inline]
fn bucket_of(diff: u64) -> usize {
    debug_assert_ne!(diff, 0);
    63 - diff.leading_zeros() as usize
}

/// See the module docs.
pub(crate) struct RadixHeap<K> {
    floor: u64,
    /// Items due exactly at the floor, in seq order.
    at_floor: VecDeque<Item<K>>,
    /// Items later than the floor, by highest differing bit; unordered inside.
    buckets: [Vec<Item<K>>; BUCKETS],
    /// Bit `b` is set iff `buckets[b]` is not empty.
    occupied: u64,
    /// Items earlier than the floor.
    overdue: BinaryHeap<Reverse<Item<K>>>,
    /// The earliest live deadline among the buckets, and its bucket, when
    /// known. Every bucket below it is empty.
    bucket_min: Option<(u64, usize)>,
    /// Items held, live and stale.
    len: usize,
}

impl<K> Default for RadixHeap<K> {
    fn default() -> Self {
        RadixHeap {
            floor: 0,
            at_floor: VecDeque::new(),
            buckets: std::array::from_fn(|_| Vec::new()),
            occupied: 0,
            overdue: BinaryHeap::new(),
            bucket_min: None,
            len: 0,
        }
    }
}

impl<K: Copy> RadixHeap<K> {
    /// Items held, including stale ones not purged yet.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Queues an item. Its `seq` must be greater than every `seq` pushed
    /// before (ties on the deadline are broken by it).
    pub fn push(&mut self, item: Item<K>) {
        self.len += 1;
        let d = item.deadline;
        match d.cmp(&self.floor) {
            Ordering::Less => self.overdue.push(Reverse(item)),
            Ordering::Equal => self.at_floor.push_back(item),
            Ordering::Greater => {
                let b = bucket_of(d ^ self.floor);
                self.buckets[b].push(item);
                self.occupied |= 1 << b;
                if let Some((min, _)) = self.bucket_min {
                    if d < min {
                        self.bucket_min = Some((d, b));
                    }
                }
            }
        }
    }

    /// The owner removed an item due at `deadline` (it stays queued, stale,
    /// until purged).
    pub fn note_removed(&mut self, deadline: u64) {
        if matches!(self.bucket_min, Some((min, _)) if min == deadline) {
            self.bucket_min = None;
        }
    }

    /// The earliest deadline among live items. Stale items met on the way
    /// are dropped; the floor does not move.
    pub fn peek_deadline(&mut self, mut live: impl FnMut(&K) -> bool) -> Option<u64> {
        while let Some(Reverse(top)) = self.overdue.peek() {
            if live(&top.key) {
                return Some(top.deadline);
            }
            self.overdue.pop();
            self.len -= 1;
        }
        while let Some(front) = self.at_floor.front() {
            if live(&front.key) {
                return Some(self.floor);
            }
            self.at_floor.pop_front();
            self.len -= 1;
        }
        self.bucket_min(&mut live).map(|(min, _)| min)
    }

    /// The earliest live deadline in the buckets and its bucket (the lowest
    /// non-empty one), from the cache or by scanning that bucket.
    fn bucket_min(&mut self, live: &mut impl FnMut(&K) -> bool) -> Option<(u64, usize)> {
        if self.bucket_min.is_some() {
            return self.bucket_min;
        }
        while self.occupied != 0 {
            let b = self.occupied.trailing_zeros() as usize;
            let bucket = &mut self.buckets[b];
            // The earliest item, live or not: one sequential pass.
            let (i, min) = bucket
                .iter()
                .enumerate()
                .min_by_key(|(_, item)| item.deadline)
                .map(|(i, item)| (i, item.deadline))
                .expect("an occupied bucket is not empty");
            if live(&bucket[i].key) {
                self.bucket_min = Some((min, b));
                return self.bucket_min;
            }
            // Stale: purge the whole bucket once, then look again.
            let before = bucket.len();
            bucket.retain(|item| live(&item.key));
            self.len -= before - bucket.len();
            if bucket.is_empty() {
                self.occupied &= !(1 << b);
            }
        }
        None
    }

    /// Takes out the earliest live item if its deadline is at or before
    /// `now`, moving the floor up to it if it came from a bucket.
    pub fn pop_due(&mut self, now: u64, mut live: impl FnMut(&K) -> bool) -> Option<Item<K>> {
        loop {
            let next = self.peek_deadline(&mut live)?;
            if next > now {
                return None;
            }
            // `peek_deadline` left a live item at the front of whichever
            // part holds the earliest one.
            if !self.overdue.is_empty() {
                self.len -= 1;
                return self.overdue.pop().map(|Reverse(item)| item);
            }
            if let Some(item) = self.at_floor.pop_front() {
                self.len -= 1;
                return Some(item);
            }
            let (min, b) = self.bucket_min.take().expect("peek found it in a bucket");
            self.redistribute(b, min);
        }
    }

    /// Moves the floor to `min`, the earliest live deadline, which lies in
    /// bucket `b` (the lowest non-empty one), and files that bucket's items
    /// anew: they all land lower, or at the floor.
    fn redistribute(&mut self, b: usize, min: u64) {
        debug_assert!(self.at_floor.is_empty() && self.overdue.is_empty());
        debug_assert_eq!(self.occupied & ((1 << b) - 1), 0);
        self.floor = min;
        let mut items = std::mem::take(&mut self.buckets[b]);
        self.occupied &= !(1 << b);
        for item in items.drain(..) {
            let d = item.deadline;
            if d > min {
                let nb = bucket_of(d ^ min);
                debug_assert!(nb < b);
                self.buckets[nb].push(item);
                self.occupied |= 1 << nb;
            } else if d == min {
                self.at_floor.push_back(item);
            } else {
                // Earlier than the earliest live item: stale, drop it.
                self.len -= 1;
            }
        }
        // Keep the bucket's allocation for the items to come.
        self.buckets[b] = items;
        // Items tied at the new floor came in bucket order: put them in seq
        // order (later pushes at this floor have larger seqs, and append).
        self.at_floor
            .make_contiguous()
            .sort_unstable_by_key(|item| item.seq);
    }

    /// Drops every stale item.
    pub fn retain(&mut self, mut live: impl FnMut(&K) -> bool) {
        let mut kept = 0;
        self.overdue.retain(|Reverse(item)| live(&item.key));
        kept += self.overdue.len();
        self.at_floor.retain(|item| live(&item.key));
        kept += self.at_floor.len();
        for (b, bucket) in self.buckets.iter_mut().enumerate() {
            if !bucket.is_empty() {
                bucket.retain(|item| live(&item.key));
                kept += bucket.len();
                if bucket.is_empty() {
                    self.occupied &= !(1 << b);
                }
            }
        }
        self.len = kept;
        // The cached minimum was live when cached and removals of it clear
        // it, so it still holds; dropping it keeps the argument local.
        self.bucket_min = None;
    }

    /// Forgets everything, floor included (keeping the buffers).
    pub fn clear(&mut self) {
        self.floor = 0;
        self.at_floor.clear();
        for bucket in &mut self.buckets {
            bucket.clear();
        }
        self.occupied = 0;
        self.overdue.clear();
        self.bucket_min = None;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn item(deadline: u64, seq: u64) -> Item<u64> {
        Item {
            deadline,
            seq,
            key: seq,
        }
    }

    #[test]
    fn pops_in_deadline_then_seq_order_and_only_when_due() {
        let mut h = RadixHeap::default();
        for (seq, d) in [50u64, 7, 50, 1_000_000, 7, 3].into_iter().enumerate() {
            h.push(item(d, seq as u64));
        }
        let live = |_: &u64| true;
        assert_eq!(h.peek_deadline(live), Some(3));
        assert_eq!(h.pop_due(2, live), None);
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(100, live))
            .map(|i| i.seq)
            .collect();
        assert_eq!(order, [5, 1, 4, 0, 2]);
        assert_eq!(h.peek_deadline(live), Some(1_000_000));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn items_below_the_floor_go_first_in_their_own_order() {
        let mut h = RadixHeap::default();
        h.push(item(10, 0));
        h.push(item(20, 1));
        let live = |_: &u64| true;
        assert_eq!(h.pop_due(10, live).map(|i| i.seq), Some(0));
        // The floor is 10 now: 4 and 9 are overdue, 10 ties at the floor.
        h.push(item(9, 2));
        h.push(item(10, 3));
        h.push(item(4, 4));
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(30, live))
            .map(|i| i.seq)
            .collect();
        assert_eq!(order, [4, 2, 3, 1]);
    }

    #[test]
    fn a_stale_earliest_item_is_skipped_and_peek_never_moves_the_floor() {
        let mut h = RadixHeap::default();
        let mut dead = BTreeSet::new();
        h.push(item(100, 0));
        h.push(item(200, 1));
        h.push(item(300, 2));
        assert_eq!(h.peek_deadline(|k| !dead.contains(k)), Some(100));
        dead.insert(0);
        h.note_removed(100);
        assert_eq!(h.peek_deadline(|k| !dead.contains(k)), Some(200));
        // A later push below the peeked minimum still comes first.
        h.push(item(150, 3));
        assert_eq!(h.peek_deadline(|k| !dead.contains(k)), Some(150));
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(1_000, |k| !dead.contains(k)))
            .map(|i| i.seq)
            .collect();
        assert_eq!(order, [3, 1, 2]);
        assert_eq!(h.len(), 0);
    }

    #[test]
    fn retain_purges_stale_items() {
        let mut h = RadixHeap::default();
        for seq in 0..100 {
            h.push(item(seq * 7 % 31, seq));
        }
        h.retain(|k| k % 2 == 0);
        assert_eq!(h.len(), 50);
        let seqs: Vec<u64> = std::iter::from_fn(|| h.pop_due(u64::MAX, |_| true))
            .map(|i| i.seq)
            .collect();
        assert_eq!(seqs.len(), 50);
        assert!(seqs.iter().all(|s| s % 2 == 0));
    }

    #[test]
    fn extreme_deadlines() {
        let mut h = RadixHeap::default();
        h.push(item(u64::MAX, 0));
        h.push(item(0, 1));
        h.push(item(u64::MAX - 1, 2));
        h.push(item(u64::MAX, 3));
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(u64::MAX, |_| true))
            .map(|i| i.seq)
            .collect();
        assert_eq!(order, [1, 2, 0, 3]);
    }
}
