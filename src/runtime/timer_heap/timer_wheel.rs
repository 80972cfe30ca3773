//! A hierarchical timer wheel: a priority queue of `(deadline, seq)` items
//! for a clock that only moves forward.
//!
//! The wheel keeps a *floor*: a time never later than the clock, at or
//! before every item it holds in its slots. A deadline is read as 11 digits
//! of 6 bits (64 slots a level; 6 × 11 covers all 64 bits), and an item is
//! filed by the highest digit in which its deadline differs from the floor:
//!
//! ```text
//!   deadline <  floor   overdue      a binary heap (set for a time already
//!                                    past: rare, e.g. call_at in the past)
//!   deadline == floor   at_floor     a FIFO in seq order: these are due
//!   deadline >  floor   slot (l, s)  l = highest differing digit, s = the
//!                                    deadline's digit l (always above the
//!                                    floor's digit l)
//! ```
//!
//! Every item of a lower level is earlier than every item of a higher one,
//! and within a level every item of a lower slot is earlier. So the earliest
//! item lies in the lowest occupied slot of the lowest occupied level, found
//! with two `trailing_zeros` on occupancy bitmaps. Each slot remembers its
//! earliest deadline (kept on push), so finding the earliest deadline never
//! scans. When that slot is due, the floor moves to its earliest deadline
//! and the slot alone is filed anew: its items land on lower levels, or at
//! the floor. Moving the floor there keeps every other item in its slot (it
//! shares the floor's digits above the slot's level). An item moves down at
//! most once per level it starts above, so taking it out costs O(levels)
//! sequential steps, where a binary heap spends O(log n) scattered ones and
//! a binary radix heap up to one move per bit.
//!
//! Items are removed lazily: the owner (the timer heap) forgets a removed
//! timer's slab entry, and the wheel drops the stale item when it comes
//! across it (a `live` predicate tells it which items still stand). A slot's
//! earliest item is checked before its deadline is used; if it is stale,
//! the slot is purged and its earliest found again. [`retain`] purges every
//! stale item; the owner calls it when they outnumber the live ones, so
//! memory stays within a constant factor of the live timers.
//!
//! Looking at the earliest deadline never moves the floor: in real mode the
//! loop asks for it every turn, and a floor moved ahead of the clock would
//! file every timer set after that as overdue.
//!
//! [`retain`]: TimerWheel::retain

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

/// Bits of a deadline per level.
const DIGIT_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << DIGIT_BITS;
/// Levels: enough digits for every bit of a `u64`.
const LEVELS: usize = 64_usize.div_ceil(DIGIT_BITS as usize);

/// The slot of a deadline above `floor`: (level, index in the level).
#[inline]
fn slot_of(deadline: u64, floor: u64) -> (usize, usize) {
    debug_assert!(deadline > floor);
    let highest_bit = 63 - (deadline ^ floor).leading_zeros();
    let level = (highest_bit / DIGIT_BITS) as usize;
    let index = (deadline >> (level as u32 * DIGIT_BITS)) as usize & (SLOTS - 1);
    (level, index)
}

/// The items of one slot, unordered, with the earliest among them.
struct Slot<K> {
    items: Vec<Item<K>>,
    /// The earliest deadline of `items` (live or stale); `u64::MAX` when
    /// there are none.
    earliest: u64,
    /// Where an item due at `earliest` is in `items`.
    earliest_at: usize,
}

impl<K> Default for Slot<K> {
    fn default() -> Self {
        Slot {
            items: Vec::new(),
            earliest: u64::MAX,
            earliest_at: 0,
        }
    }
}

impl<K> Slot<K> {
    #[inline]
    fn push(&mut self, item: Item<K>) {
        // (An empty slot's `earliest` is `u64::MAX`, a deadline too.)
        if item.deadline < self.earliest || self.items.is_empty() {
            self.earliest = item.deadline;
            self.earliest_at = self.items.len();
        }
        self.items.push(item);
    }

    /// Drops the stale items and finds the earliest again. Returns how many
    /// went.
    fn purge(&mut self, live: &mut impl FnMut(&Item<K>) -> bool) -> usize {
        let before = self.items.len();
        self.items.retain(|item| live(item));
        self.earliest = u64::MAX;
        for (i, item) in self.items.iter().enumerate() {
            if item.deadline < self.earliest || i == 0 {
                self.earliest = item.deadline;
                self.earliest_at = i;
            }
        }
        before - self.items.len()
    }
}

/// See the module docs.
pub(crate) struct TimerWheel<K> {
    floor: u64,
    /// Items due exactly at the floor, in seq order.
    at_floor: VecDeque<Item<K>>,
    /// `LEVELS × SLOTS` slots, level-major; allocated at the first item
    /// filed (a run without timers, and a default wheel, cost nothing).
    slots: Vec<Slot<K>>,
    /// Per level, bit `s` is set iff slot `s` holds items.
    occupied: [u64; LEVELS],
    /// Items earlier than the floor.
    overdue: BinaryHeap<Reverse<Item<K>>>,
    /// Items held, live and stale.
    len: usize,
}

impl<K> Default for TimerWheel<K> {
    fn default() -> Self {
        TimerWheel {
            floor: 0,
            at_floor: VecDeque::new(),
            slots: Vec::new(),
            occupied: [0; LEVELS],
            overdue: BinaryHeap::new(),
            len: 0,
        }
    }
}

impl<K: Copy> TimerWheel<K> {
    /// Items held, including stale ones not purged yet.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Queues an item. Its `seq` must be greater than every `seq` pushed
    /// before (ties on the deadline are broken by it).
    pub fn push(&mut self, item: Item<K>) {
        self.len += 1;
        match item.deadline.cmp(&self.floor) {
            Ordering::Less => self.overdue.push(Reverse(item)),
            Ordering::Equal => self.at_floor.push_back(item),
            Ordering::Greater => self.file(item),
        }
    }

    /// Puts an item later than the floor in its slot.
    #[inline]
    fn file(&mut self, item: Item<K>) {
        if self.slots.is_empty() {
            self.slots = (0..LEVELS * SLOTS).map(|_| Slot::default()).collect();
        }
        self.file_allocated(item);
    }

    /// [`file`](TimerWheel::file), the slots being allocated already.
    #[inline]
    fn file_allocated(&mut self, item: Item<K>) {
        let (level, index) = slot_of(item.deadline, self.floor);
        self.slots[level * SLOTS + index].push(item);
        self.occupied[level] |= 1 << index;
    }

    /// The lowest occupied slot, with a live earliest item (a slot whose
    /// earliest item is stale is purged first).
    fn earliest_slot(&mut self, live: &mut impl FnMut(&Item<K>) -> bool) -> Option<usize> {
        loop {
            let level = self.occupied.iter().position(|&bits| bits != 0)?;
            let index = self.occupied[level].trailing_zeros() as usize;
            let at = level * SLOTS + index;
            let slot = &mut self.slots[at];
            if live(&slot.items[slot.earliest_at]) {
                return Some(at);
            }
            self.len -= slot.purge(live);
            if !slot.items.is_empty() {
                return Some(at);
            }
            self.occupied[level] &= !(1 << index);
        }
    }

    /// The earliest deadline among live items. Stale items met on the way
    /// are dropped; the floor does not move.
    pub fn peek_deadline(&mut self, mut live: impl FnMut(&Item<K>) -> bool) -> Option<u64> {
        while let Some(Reverse(top)) = self.overdue.peek() {
            if live(top) {
                return Some(top.deadline);
            }
            self.overdue.pop();
            self.len -= 1;
        }
        while let Some(front) = self.at_floor.front() {
            if live(front) {
                return Some(self.floor);
            }
            self.at_floor.pop_front();
            self.len -= 1;
        }
        let at = self.earliest_slot(&mut live)?;
        Some(self.slots[at].earliest)
    }

    /// Takes out the earliest live item if its deadline is at or before
    /// `now`, moving the floor up to it if it came from a slot.
    pub fn pop_due(&mut self, now: u64, mut live: impl FnMut(&Item<K>) -> bool) -> Option<Item<K>> {
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
            let at = self.earliest_slot(&mut live).expect("peek found a slot");
            self.refile(at);
        }
    }

    /// Moves the floor to the earliest deadline of slot `at` (the lowest
    /// occupied one) and files that slot's items anew: they all land lower,
    /// or at the floor.
    fn refile(&mut self, at: usize) {
        debug_assert!(self.at_floor.is_empty() && self.overdue.is_empty());
        let (level, index) = (at / SLOTS, at % SLOTS);
        let slot = &mut self.slots[at];
        let mut items = std::mem::take(&mut slot.items);
        self.floor = std::mem::replace(&mut slot.earliest, u64::MAX);
        self.occupied[level] &= !(1 << index);
        for item in items.drain(..) {
            if item.deadline == self.floor {
                self.at_floor.push_back(item);
            } else {
                debug_assert!(slot_of(item.deadline, self.floor).0 < level.max(1));
                self.file_allocated(item);
            }
        }
        // Keep the slot's allocation for the items to come.
        self.slots[at].items = items;
        // Items tied at the new floor came in slot order: put them in seq
        // order (later pushes at this floor have larger seqs, and append).
        // Usually there is one.
        if self.at_floor.len() > 1 {
            self.at_floor
                .make_contiguous()
                .sort_unstable_by_key(|item| item.seq);
        }
    }

    /// Every item held, live or stale, in no particular order.
    pub fn items(&self) -> impl Iterator<Item = &Item<K>> {
        let slotted = (0..LEVELS).flat_map(move |level| {
            let bits = self.occupied[level];
            (0..SLOTS)
                .filter(move |s| bits & (1 << s) != 0)
                .flat_map(move |s| &self.slots[level * SLOTS + s].items)
        });
        self.overdue
            .iter()
            .map(|Reverse(item)| item)
            .chain(&self.at_floor)
            .chain(slotted)
    }

    /// Drops every stale item.
    pub fn retain(&mut self, mut live: impl FnMut(&Item<K>) -> bool) {
        self.overdue.retain(|Reverse(item)| live(item));
        self.at_floor.retain(|item| live(item));
        let mut kept = self.overdue.len() + self.at_floor.len();
        for level in 0..LEVELS {
            let mut bits = self.occupied[level];
            while bits != 0 {
                let index = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let slot = &mut self.slots[level * SLOTS + index];
                slot.purge(&mut live);
                kept += slot.items.len();
                if slot.items.is_empty() {
                    self.occupied[level] &= !(1 << index);
                }
            }
        }
        self.len = kept;
    }

    /// Forgets everything, floor included (keeping the buffers).
    pub fn clear(&mut self) {
        self.floor = 0;
        self.at_floor.clear();
        for level in 0..LEVELS {
            let mut bits = std::mem::take(&mut self.occupied[level]);
            while bits != 0 {
                let index = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let slot = &mut self.slots[level * SLOTS + index];
                slot.items.clear();
                slot.earliest = u64::MAX;
            }
        }
        self.overdue.clear();
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
    fn slots_follow_the_highest_differing_digit() {
        assert_eq!(slot_of(1, 0), (0, 1));
        assert_eq!(slot_of(63, 0), (0, 63));
        assert_eq!(slot_of(64, 0), (1, 1));
        assert_eq!(slot_of(64 + 5, 64), (0, 5));
        assert_eq!(slot_of(u64::MAX, 0), (10, 15));
        assert_eq!(LEVELS, 11);
    }

    #[test]
    fn pops_in_deadline_then_seq_order_and_only_when_due() {
        let mut h = TimerWheel::default();
        for (seq, d) in [50u64, 7, 50, 1_000_000, 7, 3].into_iter().enumerate() {
            h.push(item(d, seq as u64));
        }
        let live = |_: &Item<u64>| true;
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
    fn ties_filed_through_different_levels_still_come_in_seq_order() {
        let mut h = TimerWheel::default();
        let live = |_: &Item<u64>| true;
        // Seq 0 is filed high (far from the floor 0), seq 2 low (near the
        // floor 4_000 after the first pop): both end at the floor 4_100.
        h.push(item(4_100, 0));
        h.push(item(4_000, 1));
        assert_eq!(h.pop_due(4_000, live).map(|i| i.seq), Some(1));
        h.push(item(4_100, 2));
        h.push(item(4_100, 3));
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(5_000, live))
            .map(|i| i.seq)
            .collect();
        assert_eq!(order, [0, 2, 3]);
    }

    #[test]
    fn items_below_the_floor_go_first_in_their_own_order() {
        let mut h = TimerWheel::default();
        h.push(item(10, 0));
        h.push(item(20, 1));
        let live = |_: &Item<u64>| true;
        assert_eq!(h.pop_due(10, live).map(|i| i.seq), Some(0));
        // The floor is 10 now: 4 and 9 are overdue, 10 ties at the floor.
        h.push(item(9, 2));
        h.push(item(10, 3));
        h.push(item(4, 4));
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(30, live))
            .map(|i| i.seq)
            .collect();
        assert_eq!(order, [4, 2, 3, 1]);
        assert_eq!(h.len(), 0, "every item popped, the overdue ones too");
    }

    #[test]
    fn a_stale_earliest_item_is_skipped_and_peek_never_moves_the_floor() {
        let mut h = TimerWheel::default();
        let mut dead = BTreeSet::new();
        h.push(item(100, 0));
        h.push(item(200, 1));
        h.push(item(300, 2));
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(100)
        );
        dead.insert(0);
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(200)
        );
        // A later push below the peeked minimum still comes first.
        h.push(item(150, 3));
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(150)
        );
        let order: Vec<u64> =
            std::iter::from_fn(|| h.pop_due(1_000, |i: &Item<u64>| !dead.contains(&i.key)))
                .map(|i| i.seq)
                .collect();
        assert_eq!(order, [3, 1, 2]);
        assert_eq!(h.len(), 0);
    }

    #[test]
    fn a_removed_earliest_item_in_a_shared_slot_leaves_the_next_one() {
        let mut h = TimerWheel::default();
        let mut dead = BTreeSet::new();
        // 1_000 and 1_001 share a level-1 slot from the floor 0.
        h.push(item(1_000, 0));
        h.push(item(1_001, 1));
        dead.insert(0);
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(1_001)
        );
        assert_eq!(h.len(), 1, "the stale item was purged");
    }

    #[test]
    fn a_stale_item_moved_down_a_level_is_still_never_the_earliest() {
        let mut h = TimerWheel::default();
        let mut dead = BTreeSet::new();
        // Both start in one level-1 slot; 70 is removed, then the slot is
        // refiled when 64 comes due: 70 lands alone in a level-0 slot.
        h.push(item(64, 0));
        h.push(item(70, 1));
        h.push(item(71, 2));
        dead.insert(1);
        assert_eq!(
            h.pop_due(64, |i: &Item<u64>| !dead.contains(&i.key))
                .map(|i| i.seq),
            Some(0)
        );
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(71)
        );
    }

    #[test]
    fn items_are_equal_by_deadline_and_seq() {
        assert_eq!(
            item(5, 1),
            Item {
                key: 9,
                ..item(5, 1)
            }
        );
        assert_ne!(item(5, 1), item(5, 2));
        assert_ne!(item(5, 1), item(6, 1));
    }

    #[test]
    fn len_counts_what_is_held_as_stale_items_are_dropped_everywhere() {
        let mut h = TimerWheel::default();
        let mut dead = BTreeSet::new();
        h.push(item(100, 0));
        h.push(item(200, 1));
        assert_eq!(h.pop_due(100, |_| true).map(|i| i.seq), Some(0));
        // Overdue (below the floor 100), at the floor, and in a slot.
        h.push(item(50, 2));
        h.push(item(60, 3));
        h.push(item(100, 4));
        h.push(item(100, 5));
        h.push(item(300, 6));
        assert_eq!(h.len(), 6);
        dead.extend([2, 3]);
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(100)
        );
        assert_eq!(h.len(), 4, "two stale overdue items dropped");
        dead.extend([4, 5]);
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(200)
        );
        assert_eq!(h.len(), 2, "two stale items at the floor dropped");
        dead.insert(1);
        assert_eq!(
            h.peek_deadline(|i: &Item<u64>| !dead.contains(&i.key)),
            Some(300)
        );
        assert_eq!(h.len(), 1, "a stale slot item dropped");
        h.retain(|i: &Item<u64>| !dead.contains(&i.key));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn a_slot_emptied_by_retain_is_no_longer_looked_at() {
        let mut h = TimerWheel::default();
        // Three slots of level 1 from the floor 0: [64..128), [128..192), [192..256).
        for (seq, d) in [70u64, 100, 130, 200].into_iter().enumerate() {
            h.push(item(d, seq as u64));
        }
        h.retain(|i| i.key >= 2);
        assert_eq!(h.len(), 2);
        assert_eq!(h.peek_deadline(|_| true), Some(130));
        let order: Vec<u64> = std::iter::from_fn(|| h.pop_due(1_000, |_| true))
            .map(|i| i.seq)
            .collect();
        assert_eq!(order, [2, 3]);
    }

    #[test]
    fn retain_purges_stale_items() {
        let mut h = TimerWheel::default();
        for seq in 0..100 {
            h.push(item(seq * 7 % 31, seq));
        }
        h.retain(|i| i.key % 2 == 0);
        assert_eq!(h.len(), 50);
        let seqs: Vec<u64> = std::iter::from_fn(|| h.pop_due(u64::MAX, |_| true))
            .map(|i| i.seq)
            .collect();
        assert_eq!(seqs.len(), 50);
        assert!(seqs.iter().all(|s| s % 2 == 0));
    }

    #[test]
    fn clear_forgets_everything_and_the_floor() {
        let mut h = TimerWheel::default();
        h.push(item(500, 0));
        assert!(h.pop_due(500, |_| true).is_some());
        h.push(item(900, 1));
        h.clear();
        assert_eq!(h.len(), 0);
        assert_eq!(h.peek_deadline(|_| true), None);
        // The floor is 0 again: 100 is not overdue but filed, and comes out.
        h.push(item(100, 2));
        assert_eq!(h.pop_due(100, |_| true).map(|i| i.seq), Some(2));
    }

    #[test]
    fn extreme_deadlines() {
        let mut h = TimerWheel::default();
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
