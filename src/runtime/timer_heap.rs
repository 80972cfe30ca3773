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
//! A task's own sleep (set by the running task with its own waker, its
//! first at a time) is *resident*: it has no slab entry, only its item in
//! the wheel and its sequence number in the task's arena slot. It is live
//! while the slot holds that number; firing it wakes the task by its key.
//! So firing a sleep reads the task's slot and nothing else at random: with
//! 100,000 sleeping tasks the slab entries were a third of the cache misses
//! (see `benches/RESULTS.md`, session 5). A resident sleep that another
//! task polls (moved into another task) becomes an entry with the same
//! deadline and sequence number, so it keeps its place.
//!
//! Both modes use it: sim with the virtual clock, real mode with the
//! monotonic clock (a deadline already past fires at the next turn).

#[cfg(test)]
mod tests;
mod timer_wheel;

use std::rc::Rc;
use std::task::Waker;

use super::arena::{TaskArena, TaskSlot, NO_SLEEP};
use super::callbacks::CallbackCell;
use super::ids::{TaskId, TaskKey, WakeKey};
use crate::slab::{Slab, SlabKey};
use crate::time::Instant;
use timer_wheel::{Item, TimerWheel};

/// What a timer does when it fires.
pub(crate) enum TimerTarget {
    /// Wake a sleeping future; `task` is who set it (for the trace).
    Wake { waker: Waker, task: Option<TaskId> },
    /// Move a `call_later`/`call_at` callback into the ready set.
    Callback(Rc<CallbackCell>),
    /// Wake a task whose resident sleep fired.
    WakeTask { wake: WakeKey, task: TaskId },
}

/// A handle to a timer in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerKey {
    /// A timer with a slab entry.
    Entry(SlabKey),
    /// A task's resident sleep: live while the task's slot holds `seq`.
    Resident { task: TaskKey, seq: u64 },
}

/// What an item of the wheel stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimerRef {
    Entry(SlabKey),
    Resident(TaskKey),
}

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
    order: TimerWheel<TimerRef>,
    /// Live resident sleeps (for the purge threshold).
    resident: usize,
    next_seq: u64,
    /// The earliest live deadline, while known (`Some(None)`: no timer).
    /// The loop asks for it twice a turn, and usually nothing changed.
    earliest: Option<Option<Instant>>,
}

/// Whether a wheel item still stands: its entry is there, or its task's
/// slot still holds its sequence number.
fn is_live(timers: &Slab<Timer>, tasks: &TaskArena, item: &Item<TimerRef>) -> bool {
    match item.key {
        TimerRef::Entry(k) => timers.contains(k),
        TimerRef::Resident(k) => tasks.get(k).is_some_and(|slot| slot.sleep() == item.seq),
    }
}

impl TimerHeap {
    /// Sets a timer; it fires after every timer set earlier for the same
    /// deadline.
    pub fn insert(&mut self, deadline: Instant, target: TimerTarget) -> TimerKey {
        let seq = self.take_seq(deadline);
        self.insert_entry(deadline, seq, target)
    }

    /// The next sequence number, for a timer due at `deadline`.
    fn take_seq(&mut self, deadline: Instant) -> u64 {
        if let Some(earliest) = &mut self.earliest {
            *earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn insert_entry(&mut self, deadline: Instant, seq: u64, target: TimerTarget) -> TimerKey {
        let key = self.timers.insert(Timer { deadline, target });
        self.order.push(Item {
            deadline: deadline.as_nanos(),
            seq,
            key: TimerRef::Entry(key),
        });
        TimerKey::Entry(key)
    }

    /// Sets a resident sleep for the task in `slot` (which has none).
    pub fn insert_resident(
        &mut self,
        deadline: Instant,
        task: TaskKey,
        slot: &mut TaskSlot,
    ) -> TimerKey {
        debug_assert_eq!(slot.sleep(), NO_SLEEP);
        let seq = self.take_seq(deadline);
        slot.set_sleep(seq);
        self.resident += 1;
        self.order.push(Item {
            deadline: deadline.as_nanos(),
            seq,
            key: TimerRef::Resident(task),
        });
        TimerKey::Resident { task, seq }
    }

    /// Turns a resident sleep into an entry that fires `target`, in the
    /// same place (deadline and sequence number), and returns its key. (If
    /// the resident item is stale, its task gone, the entry takes its place
    /// all the same: the stale item never fires.)
    pub fn make_entry(
        &mut self,
        key: TimerKey,
        deadline: Instant,
        target: TimerTarget,
        tasks: &mut TaskArena,
    ) -> TimerKey {
        let TimerKey::Resident { task, seq } = key else {
            return key;
        };
        if let Some(slot) = tasks.get_mut(task).filter(|s| s.sleep() == seq) {
            slot.set_sleep(NO_SLEEP);
            self.resident -= 1;
        }
        if let Some(earliest) = &mut self.earliest {
            *earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
        }
        self.insert_entry(deadline, seq, target)
    }

    /// A task that had a resident sleep pending left the arena: the sleep
    /// is gone.
    pub fn forget_resident(&mut self) {
        self.resident -= 1;
    }

    /// Replaces the waker of a pending wake timer (a future polled by a new waker).
    pub fn update_waker(&mut self, key: TimerKey, waker: &Waker) {
        let TimerKey::Entry(key) = key else {
            return;
        };
        if let Some(Timer {
            target: TimerTarget::Wake { waker: w, .. },
            ..
        }) = self.timers.get_mut(key)
        {
            if !w.will_wake(waker) {
                *w = waker.clone();
            }
        }
    }

    /// Forgets a timer that has not fired. Returns its target if it had one
    /// and was live.
    pub fn remove(&mut self, key: TimerKey, tasks: &mut TaskArena) -> Option<TimerTarget> {
        let target = match key {
            TimerKey::Entry(key) => {
                let timer = self.timers.remove(key)?;
                if self.earliest == Some(Some(timer.deadline)) {
                    self.earliest = None;
                }
                Some(timer.target)
            }
            TimerKey::Resident { task, seq } => {
                let slot = tasks.get_mut(task).filter(|s| s.sleep() == seq)?;
                slot.set_sleep(NO_SLEEP);
                self.resident -= 1;
                // (Its deadline is not at hand: the earliest is found again.)
                self.earliest = None;
                None
            }
        };
        if self.order.len() > 2 * self.live() + PURGE_SLACK {
            let timers = &self.timers;
            self.order.retain(|item| is_live(timers, tasks, item));
        }
        target
    }

    /// Live timers: entries and resident sleeps.
    fn live(&self) -> usize {
        self.timers.len() + self.resident
    }

    /// The earliest live deadline, if it is known without looking (the
    /// loop asks twice a turn, and usually nothing changed).
    #[inline]
    pub fn known_deadline(&self) -> Option<Option<Instant>> {
        self.earliest
    }

    /// The earliest live deadline, discarding removed timers on the way.
    pub fn next_deadline(&mut self, tasks: &TaskArena) -> Option<Instant> {
        if let Some(earliest) = self.earliest {
            return earliest;
        }
        let timers = &self.timers;
        let earliest = self
            .order
            .peek_deadline(|item| is_live(timers, tasks, item))
            .map(Instant::from_nanos);
        self.earliest = Some(earliest);
        earliest
    }

    /// Pops the next timer due at or before `now`.
    pub fn pop_due(&mut self, now: Instant, tasks: &mut TaskArena) -> Option<TimerTarget> {
        if self
            .next_deadline(tasks)
            .is_none_or(|earliest| earliest > now)
        {
            return None;
        }
        self.earliest = None;
        loop {
            let timers = &self.timers;
            let item = self
                .order
                .pop_due(now.as_nanos(), |item| is_live(timers, tasks, item))?;
            match item.key {
                TimerRef::Entry(key) => {
                    if let Some(timer) = self.timers.remove(key) {
                        return Some(timer.target);
                    }
                }
                TimerRef::Resident(task) => {
                    if let Some(slot) = tasks.get_mut(task).filter(|s| s.sleep() == item.seq) {
                        slot.set_sleep(NO_SLEEP);
                        self.resident -= 1;
                        return Some(TimerTarget::WakeTask {
                            wake: WakeKey {
                                index: task.index,
                                stamp: slot.stamp,
                            },
                            task: slot.id,
                        });
                    }
                }
            }
        }
    }

    /// Every pending wake-up timer a task set, with its deadline, in
    /// deadline order (for reports: what each task sleeps until).
    pub fn sleeping(&self, tasks: &TaskArena) -> Vec<(TaskId, Instant)> {
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
        if self.resident > 0 {
            v.extend(self.order.items().filter_map(|item| {
                match item.key {
                    TimerRef::Resident(k) => tasks
                        .get(k)
                        .filter(|slot| slot.sleep() == item.seq)
                        .map(|slot| (slot.id, Instant::from_nanos(item.deadline))),
                    TimerRef::Entry(_) => None,
                }
            }));
        }
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
        self.resident = 0;
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
        self.resident = 0;
        self.earliest = None;
        self.timers.drain().into_iter().map(|t| t.target).collect()
    }
}
