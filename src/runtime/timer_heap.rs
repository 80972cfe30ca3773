//! The timer heap: wake-ups and delayed callbacks ordered by (deadline, sequence).
//!
//! Two timers due at the same instant fire in the order they were set (asyncio
//! leaves this undefined; here it is part of the contract). Removing a timer
//! is O(1): its slab entry goes, and the heap entry is skipped when it surfaces.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::task::Waker;

use super::callbacks::CallbackCell;
use super::ids::TaskId;
use crate::time::Instant;

/// What a timer does when it fires.
pub(crate) enum TimerTarget {
    /// Wake a sleeping future; `task` is who set it (for the trace).
    Wake { waker: Waker, task: Option<TaskId> },
    /// Move a `call_later`/`call_at` callback into the ready set.
    Callback(Rc<CallbackCell>),
}

/// A handle to a timer in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    generation: u32,
}

struct Slot {
    generation: u32,
    target: Option<TimerTarget>,
}

#[derive(Default)]
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Reverse<(Instant, u64, u32, u32)>>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    next_seq: u64,
}

impl TimerHeap {
    pub fn insert(&mut self, deadline: Instant, target: TimerTarget) -> TimerKey {
        let index = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].target = Some(target);
                i
            }
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    target: Some(target),
                });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = self.slots[index as usize].generation;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse((deadline, seq, index, generation)));
        TimerKey { index, generation }
    }

    /// Replaces the waker of a pending wake timer (a future polled by a new waker).
    pub fn update_waker(&mut self, key: TimerKey, waker: &Waker) {
        if let Some(TimerTarget::Wake { waker: w, .. }) = self.slot_mut(key) {
            if !w.will_wake(waker) {
                *w = waker.clone();
            }
        }
    }

    fn slot_mut(&mut self, key: TimerKey) -> Option<&mut TimerTarget> {
        let s = self.slots.get_mut(key.index as usize)?;
        if s.generation != key.generation {
            return None;
        }
        s.target.as_mut()
    }

    /// Forgets a timer that has not fired. Returns its target if it was live.
    pub fn remove(&mut self, key: TimerKey) -> Option<TimerTarget> {
        let s = self.slots.get_mut(key.index as usize)?;
        if s.generation != key.generation {
            return None;
        }
        let t = s.target.take()?;
        s.generation = s.generation.wrapping_add(1);
        self.free.push(key.index);
        Some(t)
    }

    /// The earliest live deadline, discarding removed timers on the way.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((deadline, _, index, generation))) = self.heap.peek().copied() {
            if self.slots[index as usize].generation == generation {
                return Some(deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// Pops the next timer due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<TimerTarget> {
        loop {
            let deadline = self.next_deadline()?;
            if deadline > now {
                return None;
            }
            let Reverse((_, _, index, generation)) = self.heap.pop().expect("peeked");
            if let Some(t) = self.remove(TimerKey { index, generation }) {
                return Some(t);
            }
        }
    }

    /// Drops every timer (end of run). Returns the targets so their wakers and
    /// callbacks are dropped outside any borrow of the heap.
    pub fn drain(&mut self) -> Vec<TimerTarget> {
        self.heap.clear();
        self.free.clear();
        self.slots.drain(..).filter_map(|s| s.target).collect()
    }
}
