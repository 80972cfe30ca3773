//! What a blocked task waits on, for the deadlock report.
//!
//! Primitives note a [`WaitOn`] for the current task each time they return
//! `Pending`; the note is cleared when the task is next polled. A deadlock
//! report reads the notes of every live task and draws the wait-for graph.

use std::rc::Rc;

use super::ids::TaskId;
use crate::time::Instant;

/// Something that can block a task and describe itself in a report.
pub(crate) trait Blocker {
    /// One line for the report, e.g. `Lock#3 held by "writer" since 1.250000`.
    /// `name` turns a task id into its display name.
    fn describe(&self, name: &dyn Fn(TaskId) -> String) -> String;

    /// The tasks that must act before the waiter can go on (a lock's holder).
    /// Used to find cycles in the wait-for graph.
    fn holders(&self) -> Vec<TaskId> {
        Vec::new()
    }
}

/// One thing a task waits on.
#[derive(Clone)]
pub(crate) enum WaitOn {
    /// A sleep or timeout due at this instant.
    Sleep(Instant),
    /// Another task's completion (awaiting its `Task` handle).
    Task(TaskId),
    /// A synchronization object or a promise.
    Object(Rc<dyn Blocker>),
}

impl WaitOn {
    pub fn describe(&self, name: &dyn Fn(TaskId) -> String) -> String {
        match self {
            WaitOn::Sleep(t) => format!("sleep until {t}"),
            WaitOn::Task(id) => match name(*id) {
                n if n == id.to_string() => format!("task {id} to finish"),
                n => format!("task {n} ({id}) to finish"),
            },
            WaitOn::Object(b) => b.describe(name),
        }
    }

    pub fn holders(&self) -> Vec<TaskId> {
        match self {
            WaitOn::Sleep(_) => Vec::new(),
            WaitOn::Task(id) => vec![*id],
            WaitOn::Object(b) => b.holders(),
        }
    }
}

/// What a task noted it waits on during its last poll: nothing for most
/// tasks most of the time, so one pointer in the task's arena slot, and the
/// list is allocated at a task's first note (and kept, cleared, after).
#[derive(Default)]
#[allow(clippy::box_collection)] // one pointer in the slot, not three words
pub(crate) struct WaitNotes(Option<Box<Vec<WaitOn>>>);

impl WaitNotes {
    pub fn push(&mut self, wait: WaitOn) {
        self.0.get_or_insert_with(Box::default).push(wait);
    }

    /// Forgets the notes (the task is polled again).
    pub fn clear(&mut self) {
        if let Some(notes) = &mut self.0 {
            notes.clear();
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &WaitOn> {
        self.0.iter().flat_map(|notes| notes.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_listed_in_order_and_cleared() {
        let mut notes = WaitNotes::default();
        assert_eq!(notes.iter().count(), 0);
        notes.push(WaitOn::Task(TaskId(3)));
        notes.push(WaitOn::Task(TaskId(4)));
        let ids: Vec<TaskId> = notes.iter().flat_map(|w| w.holders()).collect();
        assert_eq!(ids, vec![TaskId(3), TaskId(4)]);
        notes.clear();
        assert_eq!(notes.iter().count(), 0);
    }
}
