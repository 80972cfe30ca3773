//! The task arena: the live tasks of one run, on the crate's one
//! generation-checked [`Slab`].
//!
//! Two ways in, for two kinds of caller:
//!
//! - the executor holds [`TaskKey`]s (slab keys): `get`, `get_mut` and
//!   `remove` check the slot's generation, so a key kept past its task finds
//!   nothing even after the slot is reused (until 2^32 reuses);
//! - a waker holds a [`WakeKey`] (slot and stamp, see `ids.rs`): `resolve`
//!   answers only while the slot's occupant is the task the waker was made
//!   for. Stamps never repeat in the process (before 2^32 spawns), so a
//!   waker of an earlier run, or of an earlier occupant of the slot, resolves
//!   to nothing.
//!
//! # Limits
//! At most [`MAX_LIVE_TASKS`] (2^22 = 4,194,304) tasks alive at once in one
//! runtime: a waker packs the slot index into 22 bits. Spawning one more
//! panics with a message that says so.

use std::num::NonZeroU64;
use std::rc::Rc;

use super::blocker::WaitNotes;
use super::ids::{TaskId, TaskKey, TaskStamp, WakeKey};
use super::raw_task::RawTask;
use crate::slab::Slab;

/// How many tasks may be alive at once in one runtime (a waker has 22 bits
/// for the slot index).
pub(crate) const MAX_LIVE_TASKS: usize = 1 << 22;

/// What the executor keeps per live task (48 bytes).
pub(crate) struct TaskSlot {
    pub id: TaskId,
    /// The task's stamp: what its wakers must name to reach it.
    pub stamp: TaskStamp,
    /// The task's cell. `None` for the main task, whose future lives on the
    /// stack of `run` (so it may borrow).
    pub task: Option<Rc<dyn RawTask>>,
    /// What the task waits on, as noted by the primitives during its last poll.
    pub waits: WaitNotes,
    /// The host the task belongs to (its spawner's; see `hosts.rs`).
    pub host: super::hosts::HostNumber,
    /// Two things in one word: whether the task is queued (bit 63) and its
    /// resident sleep's sequence number plus one (the other bits; see
    /// `queued` and `sleep`). Never zero, so that an empty slab slot needs
    /// no flag of its own: the slot stays 48 bytes, 56 with its generation.
    marks: NonZeroU64,
}

/// A task slot's `sleep` when the task has no resident sleep.
pub(crate) const NO_SLEEP: u64 = QUEUED - 2;
const QUEUED: u64 = 1 << 63;

impl TaskSlot {
    /// A task's slot, without its cell yet.
    pub fn new(
        id: TaskId,
        stamp: TaskStamp,
        host: super::hosts::HostNumber,
        queued: bool,
    ) -> TaskSlot {
        TaskSlot {
            id,
            stamp,
            task: None,
            waits: WaitNotes::default(),
            host,
            marks: marks(queued, NO_SLEEP),
        }
    }

    /// In the ready set right now, or about to be (a wake during the task's
    /// own poll, queued when the poll returns): a task is queued at most once.
    #[inline]
    pub fn queued(&self) -> bool {
        self.marks.get() & QUEUED != 0
    }

    #[inline]
    pub fn set_queued(&mut self, queued: bool) {
        if queued {
            self.marks |= QUEUED;
        } else {
            // The sleep's bits are never all zero: neither is the word.
            self.marks = NonZeroU64::new(self.marks.get() & !QUEUED).unwrap_or(self.marks);
        }
    }

    /// The sequence number of the task's resident sleep in the timer heap,
    /// or [`NO_SLEEP`] (see `timer_heap.rs`).
    #[inline]
    pub fn sleep(&self) -> u64 {
        (self.marks.get() & !QUEUED) - 1
    }

    /// Sets the resident sleep (a sequence number below [`NO_SLEEP`], or
    /// `NO_SLEEP`).
    #[inline]
    pub fn set_sleep(&mut self, seq: u64) {
        self.marks = marks(self.queued(), seq);
    }
}

/// The marks word of a slot.
#[inline]
fn marks(queued: bool, sleep: u64) -> NonZeroU64 {
    assert!(sleep <= NO_SLEEP, "timer sequence numbers fit in 62 bits");
    let queued = if queued { QUEUED } else { 0 };
    NonZeroU64::new(queued | (sleep + 1)).expect("sleep + 1 is not zero")
}

/// Live tasks. Keys of removed tasks go stale; so do wakers (see the module
/// docs).
#[derive(Default)]
pub(crate) struct TaskArena {
    slab: Slab<TaskSlot>,
}

impl TaskArena {
    /// Stores a new task.
    ///
    /// # Panics
    /// With [`MAX_LIVE_TASKS`] tasks alive already.
    pub fn insert(&mut self, slot: TaskSlot) -> TaskKey {
        assert!(
            self.slab.len() < MAX_LIVE_TASKS,
            "more than {MAX_LIVE_TASKS} seedloop tasks alive at once in one runtime \
             (a task waker has 22 bits for the task's slot)"
        );
        self.slab.insert(slot)
    }

    #[inline]
    pub fn get(&self, key: TaskKey) -> Option<&TaskSlot> {
        self.slab.get(key)
    }

    #[inline]
    pub fn get_mut(&mut self, key: TaskKey) -> Option<&mut TaskSlot> {
        self.slab.get_mut(key)
    }

    /// The key of the task a waker names, if that task is still the occupant
    /// of its slot.
    #[inline]
    pub fn resolve(&mut self, wake: WakeKey) -> Option<(TaskKey, &mut TaskSlot)> {
        match self.slab.get_at_mut(wake.index) {
            Some((key, slot)) if slot.stamp == wake.stamp => Some((key, slot)),
            _ => None,
        }
    }

    /// Readies an empty arena for another run: new tasks fill the slots from
    /// the first up. Returns false, changing nothing, if a task is alive.
    pub fn reset(&mut self) -> bool {
        self.slab.reorder_free_slots()
    }

    /// How many slots the arena has (live or free).
    pub fn capacity(&self) -> usize {
        self.slab.capacity()
    }

    pub fn remove(&mut self, key: TaskKey) -> Option<TaskSlot> {
        self.slab.remove(key)
    }

    /// Live tasks in id order (deterministic: ids are spawn order).
    pub fn keys_by_id(&self) -> Vec<(TaskId, TaskKey)> {
        let mut v: Vec<(TaskId, TaskKey)> = self.slab.iter().map(|(k, s)| (s.id, k)).collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(id: u64, stamp: TaskStamp) -> TaskSlot {
        TaskSlot::new(TaskId(id), stamp, 0, false)
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_slot_is_48_bytes_and_its_marks_keep_apart() {
        assert_eq!(std::mem::size_of::<TaskSlot>(), 48);
        assert_eq!(std::mem::size_of::<Option<TaskSlot>>(), 48);
        let mut s = slot(1, 1);
        assert!(!s.queued() && s.sleep() == NO_SLEEP);
        s.set_sleep(7);
        s.set_queued(true);
        assert!(s.queued() && s.sleep() == 7);
        s.set_sleep(NO_SLEEP);
        assert!(s.queued() && s.sleep() == NO_SLEEP);
        s.set_queued(false);
        s.set_sleep(0);
        assert!(!s.queued() && s.sleep() == 0);
    }

    #[test]
    fn a_wake_key_resolves_only_to_the_task_it_was_made_for() {
        let mut arena = TaskArena::default();
        let first = arena.insert(slot(1, 10));
        let first_wake = WakeKey {
            index: first.index,
            stamp: 10,
        };
        assert_eq!(arena.resolve(first_wake).map(|(k, _)| k), Some(first));
        arena.remove(first);
        assert!(arena.resolve(first_wake).is_none());
        let second = arena.insert(slot(2, 11));
        assert_eq!(second.index, first.index);
        assert!(arena.resolve(first_wake).is_none());
        let second_wake = WakeKey {
            index: second.index,
            stamp: 11,
        };
        assert_eq!(arena.resolve(second_wake).map(|(k, _)| k), Some(second));
        assert!(arena
            .resolve(WakeKey {
                index: 99,
                stamp: 11
            })
            .is_none());
    }

    #[test]
    fn keys_come_in_id_order_whatever_the_slots() {
        let mut arena = TaskArena::default();
        let a = arena.insert(slot(1, 0));
        let b = arena.insert(slot(2, 1));
        arena.remove(a);
        let c = arena.insert(slot(3, 2)); // reuses a's slot, before b's
        assert_eq!(arena.keys_by_id(), vec![(TaskId(2), b), (TaskId(3), c)]);
    }
}
