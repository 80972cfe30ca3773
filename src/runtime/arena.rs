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

use std::rc::Rc;

use super::blocker::WaitNotes;
use super::ids::{TaskId, TaskKey, TaskStamp, WakeKey};
use super::raw_task::RawTask;
use crate::slab::Slab;

/// How many tasks may be alive at once in one runtime (a waker has 22 bits
/// for the slot index).
pub(crate) const MAX_LIVE_TASKS: usize = 1 << 22;

/// What the executor keeps per live task.
pub(crate) struct TaskSlot {
    pub id: TaskId,
    /// The task's stamp: what its wakers must name to reach it.
    pub stamp: TaskStamp,
    /// The task's cell. `None` for the main task, whose future lives on the
    /// stack of `run` (so it may borrow).
    pub task: Option<Rc<dyn RawTask>>,
    /// In the ready set right now, or about to be (a wake during the task's
    /// own poll, queued when the poll returns): a task is queued at most once.
    pub queued: bool,
    /// What the task waits on, as noted by the primitives during its last poll.
    pub waits: WaitNotes,
    /// The host the task belongs to (its spawner's; see `hosts.rs`).
    pub host: super::hosts::HostNumber,
    /// The sequence number of the task's resident sleep in the timer heap,
    /// or [`NO_SLEEP`] (see `timer_heap.rs`).
    pub sleep: u64,
}

/// A task slot's `sleep` when the task has no resident sleep.
pub(crate) const NO_SLEEP: u64 = u64::MAX;

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
        TaskSlot {
            id: TaskId(id),
            stamp,
            task: None,
            queued: false,
            waits: Default::default(),
            host: 0,
            sleep: NO_SLEEP,
        }
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
