//! What a blocked task waits on, for the deadlock report.
//!
//! Primitives note a [`WaitOn`] for the current task each time they return
//! `Pending`; a task's notes are those of its last poll (see [`WaitNotes`]
//! for how a poll that repeats them keeps them at no cost). A deadlock
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

    /// Whether two notes name the same wait (an object by identity).
    fn is(&self, other: &WaitOn) -> bool {
        match (self, other) {
            (WaitOn::Sleep(a), WaitOn::Sleep(b)) => a == b,
            (WaitOn::Task(a), WaitOn::Task(b)) => a == b,
            (WaitOn::Object(a), WaitOn::Object(b)) => same_object(a, b),
            _ => false,
        }
    }
}

/// Whether two blockers are one object (addresses compared without their
/// vtables, which may differ between codegen units).
fn same_object(a: &Rc<dyn Blocker>, b: &Rc<dyn Blocker>) -> bool {
    std::ptr::addr_eq(Rc::as_ptr(a), Rc::as_ptr(b))
}

/// What a task noted it waits on during its last poll: nothing for most
/// tasks most of the time, so one pointer in the task's arena slot, and the
/// list is allocated at a task's first note (and kept after).
///
/// A poll usually notes what the poll before it noted (a task waiting on
/// a queue, woken, waiting on it again). So a poll does not clear the list
/// and build it anew: it starts a *fresh* count at 0 ([`restart`]), and a
/// note equal to the next kept one only moves the count on (no reference
/// count touched, nothing dropped). The notes are the first `fresh`; those
/// past it, which the last poll did not repeat, are dropped when the next
/// poll begins (so a blocker is let go one poll later than if every poll
/// cleared the list, and no poll's end has to find the task's slot).
///
/// [`restart`]: WaitNotes::restart
#[derive(Default)]
pub(crate) struct WaitNotes(Option<Box<NoteList>>);

/// A task's notes: the first inline (most polls note one wait), the others
/// after it.
#[derive(Default)]
struct NoteList {
    /// How many notes the current (or last) poll noted: the notes are the
    /// first `fresh`, the rest are the poll before's, not repeated.
    fresh: usize,
    first: Option<Note>,
    rest: Vec<Note>,
}

/// A note, with the address of the object it names (0 for a sleep or a
/// task) so that matching it against a blocker reads no vtable.
struct Note {
    object: usize,
    wait: WaitOn,
}

impl NoteList {
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    fn get(&self, i: usize) -> Option<&Note> {
        match i {
            0 => self.first.as_ref(),
            _ => self.rest.get(i - 1),
        }
    }

    /// Keeps the first `n` notes.
    fn truncate(&mut self, n: usize) {
        match n {
            0 => {
                self.first = None;
                self.rest.clear();
            }
            _ => self.rest.truncate(n - 1),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Note> {
        self.first.iter().chain(&self.rest)
    }
}

impl WaitNotes {
    /// Notes a wait: `is_it` tells whether a kept note is the same wait,
    /// and `make` builds the note if it is not.
    #[inline]
    fn note<W>(
        &mut self,
        wait: W,
        is_it: impl FnOnce(&W, &Note) -> bool,
        make: impl FnOnce(W) -> Note,
    ) {
        let list = self.0.get_or_insert_with(Box::default);
        let i = list.fresh;
        match list.get(i) {
            Some(kept) if is_it(&wait, kept) => {}
            _ => {
                list.truncate(i);
                let note = make(wait);
                match i {
                    0 => list.first = Some(note),
                    _ => list.rest.push(note),
                }
            }
        }
        list.fresh = i + 1;
    }

    /// Notes a wait.
    pub fn push(&mut self, wait: WaitOn) {
        self.note(
            wait,
            |w, kept| w.is(&kept.wait),
            |wait| Note {
                object: match &wait {
                    WaitOn::Object(b) => Rc::as_ptr(b) as *const () as usize,
                    _ => 0,
                },
                wait,
            },
        );
    }

    /// Notes a wait on `blocker`, cloning it only if the list does not
    /// already hold it there.
    #[inline]
    pub fn push_object<B: Blocker + 'static>(&mut self, blocker: &Rc<B>) {
        let object = Rc::as_ptr(blocker) as *const () as usize;
        self.note(
            blocker,
            |_, kept| kept.object == object,
            |b| Note {
                object,
                wait: WaitOn::Object(b.clone()),
            },
        );
    }

    /// A poll begins: the last poll's notes are kept to be matched, none is
    /// fresh yet; those the last poll did not repeat are dropped.
    #[inline]
    pub fn restart(&mut self) {
        if let Some(list) = &mut self.0 {
            if list.fresh < list.len() {
                list.truncate(list.fresh);
            }
            list.fresh = 0;
        }
    }

    /// The notes of the last poll (or of the running one, so far).
    pub fn iter(&self) -> impl Iterator<Item = &WaitOn> {
        self.0
            .iter()
            .flat_map(|list| list.iter().take(list.fresh).map(|n| &n.wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_keeps_the_notes_it_repeats_and_drops_the_rest() {
        let mut notes = WaitNotes::default();
        assert_eq!(notes.iter().count(), 0);
        notes.restart();
        notes.push(WaitOn::Task(TaskId(3)));
        notes.push(WaitOn::Task(TaskId(4)));
        let ids = |n: &WaitNotes| -> Vec<TaskId> { n.iter().flat_map(|w| w.holders()).collect() };
        assert_eq!(ids(&notes), vec![TaskId(3), TaskId(4)]);
        // The next poll repeats the first note and makes a new second one.
        notes.restart();
        notes.push(WaitOn::Task(TaskId(3)));
        notes.push(WaitOn::Task(TaskId(5)));
        assert_eq!(ids(&notes), vec![TaskId(3), TaskId(5)]);
        // One that notes a single wait leaves one.
        notes.restart();
        notes.push(WaitOn::Task(TaskId(3)));
        assert_eq!(ids(&notes), vec![TaskId(3)]);
        // One that notes nothing leaves none.
        notes.restart();
        assert_eq!(notes.iter().count(), 0);
    }

    #[test]
    fn a_poll_matches_each_note_against_the_kept_one_in_its_place() {
        // The second note is 4: it is matched against the kept second (2),
        // not against the third or the fourth kept note.
        for kept in [vec![1, 2, 4], vec![1, 2, 3, 4]] {
            let mut notes = WaitNotes::default();
            for id in kept {
                notes.push(WaitOn::Task(TaskId(id)));
            }
            notes.restart();
            notes.push(WaitOn::Task(TaskId(1)));
            notes.push(WaitOn::Task(TaskId(4)));
            let ids: Vec<TaskId> = notes.iter().flat_map(|w| w.holders()).collect();
            assert_eq!(ids, vec![TaskId(1), TaskId(4)]);
        }
    }

    struct Plain;
    impl Blocker for Plain {
        fn describe(&self, _: &dyn Fn(TaskId) -> String) -> String {
            "plain".into()
        }
    }

    #[test]
    fn an_object_noted_again_is_not_cloned_again() {
        let (a, b) = (Rc::new(Plain), Rc::new(Plain));
        let mut notes = WaitNotes::default();
        notes.restart();
        notes.push_object(&a);
        assert_eq!(Rc::strong_count(&a), 2);
        notes.restart();
        notes.push_object(&a);
        assert_eq!(Rc::strong_count(&a), 2, "the kept note serves");
        notes.restart();
        notes.push_object(&b);
        assert_eq!((Rc::strong_count(&a), Rc::strong_count(&b)), (1, 2));
        assert_eq!(notes.iter().count(), 1);
        // A poll that does not note `b` leaves no note, and the next poll
        // lets `b` go.
        notes.restart();
        assert_eq!((notes.iter().count(), Rc::strong_count(&b)), (0, 2));
        notes.restart();
        assert_eq!(Rc::strong_count(&b), 1);
        // Two notes, then a poll that repeats only the first: the second
        // goes when the poll after begins.
        notes.push_object(&a);
        notes.push_object(&b);
        notes.restart();
        notes.push_object(&a);
        assert_eq!(notes.iter().count(), 1);
        assert_eq!(Rc::strong_count(&b), 2);
        notes.restart();
        assert_eq!((Rc::strong_count(&a), Rc::strong_count(&b)), (2, 1));
    }
}
