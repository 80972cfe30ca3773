//! The timer heap: wake-ups and delayed callbacks ordered by (deadline, sequence).
//!
//! Two timers due at the same instant fire in the order they were set (asyncio
//! leaves this undefined; here it is part of the contract), whether they were
//! set long before, or for an instant the clock has already reached.
//!
//! Each timer is an entry of the runtime's one generation-checked
//! [`Slab`]: its key is the [`TimerKey`] its owner holds, so a key kept past
//! its timer (a fired sleep, a cancelled callback) finds nothing. The order
//! lives in a [`TimerWheel`] of `(deadline, seq, key)` items: the clock only
//! moves forward, and a hierarchical wheel takes monotone keys out in
//! O(levels) sequential steps (11 levels of 64 slots cover every `u64`),
//! where a binary heap spends O(log n) scattered ones.
//!
//! Removing a timer is O(1): its slab entry goes, and its item in the wheel
//! is dropped when the wheel comes across it, or in a purge once stale
//! items outnumber the live timers (amortised O(1) per removal).
//!
//! Both modes use it: sim with the virtual clock, real mode with the
//! monotonic clock (a deadline already past fires at the next turn).

#[cfg(test)]
mod tests;
mod timer_wheel;

use std::rc::Rc;
use std::task::Waker;

use super::callbacks::CallbackCell;
use super::ids::TaskId;
use crate::slab::{Slab, SlabKey};
use crate::time::Instant;
use timer_wheel::{Item, TimerWheel};

/// What a timer does when it fires.
pub(crate) enum TimerTarget {
    /// Wake a sleeping future; `task` is who set it (for the trace).
    Wake { waker: Waker, task: Option<TaskId> },
    /// Move a `call_later`/`call_at` callback into the ready set.
    Callback(Rc<CallbackCell>),
}

/// A handle to a timer in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey(SlabKey);

/// A pending timer, as the slab holds it.
struct Timer {
    deadline: Instant,
    target: TimerTarget,
}

/// Stale items are purged once there are more than this many beyond twice
/// the live timers.
const PURGE_SLACK: usize = 64;

#[derive(Default)]
pub(crate) struct TimerHeap {
    timers: Slab<Timer>,
    order: TimerWheel<SlabKey>,
    next_seq: u64,
    /// The earliest live deadline, while known (`Some(None)`: no timer).
    /// The loop asks for it twice a turn, and usually nothing changed.
    earliest: Option<Option<Instant>>,
}

impl TimerHeap {
    /// Sets a timer; it fires after every timer set earlier for the same
    /// deadline.
    pub fn insert(&mut self, deadline: Instant, target: TimerTarget) -> TimerKey {
        let key = self.timers.insert(Timer { deadline, target });
        if let Some(earliest) = &mut self.earliest {
            *earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push(Item {
            deadline: deadline.as_nanos(),
            seq,
            key,
        });
        TimerKey(key)
    }

    /// Replaces the waker of a pending wake timer (a future polled by a new waker).
    pub fn update_waker(&mut self, key: TimerKey, waker: &Waker) {
        if let Some(Timer {
            target: TimerTarget::Wake { waker: w, .. },
            ..
        }) = self.timers.get_mut(key.0)
        {
            if !w.will_wake(waker) {
                *w = waker.clone();
            }
        }
    }

    /// Forgets a timer that has not fired. Returns its target if it was live.
    pub fn remove(&mut self, key: TimerKey) -> Option<TimerTarget> {
        let timer = self.timers.remove(key.0)?;
        if self.earliest == Some(Some(timer.deadline)) {
            self.earliest = None;
        }
        if self.order.len() > 2 * self.timers.len() + PURGE_SLACK {
            let timers = &self.timers;
            self.order.retain(|k| timers.contains(*k));
        }
        Some(timer.target)
    }

    /// The earliest live deadline, discarding removed timers on the way.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        if let Some(earliest) = self.earliest {
            return earliest;
        }
        let timers = &self.timers;
        let earliest = self
            .order
            .peek_deadline(|k| timers.contains(*k))
            .map(Instant::from_nanos);
        self.earliest = Some(earliest);
        earliest
    }

    /// Pops the next timer due at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<TimerTarget> {
        if self.next_deadline().is_none_or(|earliest| earliest > now) {
            return None;
        }
        self.earliest = None;
        loop {
            let timers = &self.timers;
            let item = self
                .order
                .pop_due(now.as_nanos(), |k| timers.contains(*k))?;
            if let Some(timer) = self.timers.remove(item.key) {
                return Some(timer.target);
            }
        }
    }

    /// Every pending wake-up timer a task set, with its deadline, in
    /// deadline order (for reports: what each task sleeps until).
    pub fn sleeping(&self) -> Vec<(TaskId, Instant)> {
        let mut v: Vec<(TaskId, Instant)> = self
            .timers
            .iter()
            .filter_map(|(_, t)| match &t.target {
                TimerTarget::Wake {
                    task: Some(task), ..
                } => Some((*task, t.deadline)),
                _ => None,
            })
            .collect();
        v.sort_by_key(|&(task, deadline)| (deadline, task));
        v
    }

    /// Makes an empty heap fresh for another run (its buffers kept, its
    /// slab's generations moved on). Returns false, changing nothing, if a
    /// timer is still set.
    pub fn reset(&mut self) -> bool {
        if !self.timers.reorder_free_slots() {
            return false;
        }
        self.order.clear();
        self.next_seq = 0;
        self.earliest = None;
        true
    }

    /// How many slots the heap's slab has (live or free).
    pub fn capacity(&self) -> usize {
        self.timers.capacity()
    }

    /// Drops every timer (end of run). Returns the targets so their wakers and
    /// callbacks are dropped outside any borrow of the heap.
    pub fn drain(&mut self) -> Vec<TimerTarget> {
        self.order.clear();
        self.earliest = None;
        self.timers.drain().into_iter().map(|t| t.target).collect()
    }
}
