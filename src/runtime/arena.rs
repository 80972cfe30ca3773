//! The task arena: a slab of live tasks addressed by generation-checked keys.

use std::rc::Rc;

use super::blocker::WaitOn;
use super::ids::{TaskId, TaskKey};
use super::raw_task::RawTask;

/// What the executor keeps per live task.
pub(crate) struct TaskSlot {
    pub id: TaskId,
    /// The task's cell. `None` for the main task, whose future lives on the
    /// stack of `run` (so it may borrow).
    pub task: Option<Rc<dyn RawTask>>,
    /// In the ready set right now (a task is queued at most once).
    pub queued: bool,
    /// What the task waits on, as noted by the primitives during its last poll.
    pub waits: Vec<WaitOn>,
}

struct Entry {
    generation: u16,
    slot: Option<TaskSlot>,
}

/// Live tasks. Keys of removed tasks go stale (their generation moves on).
#[derive(Default)]
pub(crate) struct TaskArena {
    entries: Vec<Entry>,
    free: Vec<u32>,
}

impl TaskArena {
    pub fn insert(&mut self, slot: TaskSlot) -> TaskKey {
        if let Some(index) = self.free.pop() {
            let e = &mut self.entries[index as usize];
            e.slot = Some(slot);
            TaskKey {
                index,
                generation: e.generation,
            }
        } else {
            let index = self.entries.len() as u32;
            self.entries.push(Entry {
                generation: 0,
                slot: Some(slot),
            });
            TaskKey {
                index,
                generation: 0,
            }
        }
    }

    pub fn get(&self, key: TaskKey) -> Option<&TaskSlot> {
        match self.entries.get(key.index as usize) {
            Some(e) if e.generation == key.generation => e.slot.as_ref(),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: TaskKey) -> Option<&mut TaskSlot> {
        match self.entries.get_mut(key.index as usize) {
            Some(e) if e.generation == key.generation => e.slot.as_mut(),
            _ => None,
        }
    }

    pub fn remove(&mut self, key: TaskKey) -> Option<TaskSlot> {
        let e = self.entries.get_mut(key.index as usize)?;
        if e.generation != key.generation {
            return None;
        }
        let slot = e.slot.take()?;
        e.generation = e.generation.wrapping_add(1);
        self.free.push(key.index);
        Some(slot)
    }

    /// Live tasks in id order (deterministic: ids are spawn order).
    pub fn keys_by_id(&self) -> Vec<(TaskId, TaskKey)> {
        let mut v: Vec<(TaskId, TaskKey)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                e.slot.as_ref().map(|s| {
                    (
                        s.id,
                        TaskKey {
                            index: i as u32,
                            generation: e.generation,
                        },
                    )
                })
            })
            .collect();
        v.sort_by_key(|(id, _)| *id);
        v
    }
}
