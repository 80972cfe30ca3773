//! The tables a finished run leaves to the next run on the same thread.
//!
//! A sweep runs thousands to millions of runs on one thread, and each would
//! otherwise grow its task arena, ready set, timer heap and choice log from
//! empty: the reallocation copies and the fresh pages the kernel zeroes cost
//! more than a small run's own work. A core takes the thread's spare tables
//! when it is made and gives them back, emptied, when it is dropped. The
//! choice log outlives the core (it becomes the run's `Schedule`): a chooser
//! takes the spare log buffer when it is made, and a schedule gives its
//! buffer back when it is dropped.
//!
//! Nothing of a run survives in them but capacity, and the slabs'
//! generations: a key of an earlier run names a slot whose generation has
//! moved on, so it finds nothing, as a key kept past its entry never does.
//! Tables that held more than [`KEEP_AT_MOST`] entries at once are not kept,
//! so one huge run does not pin its memory to the thread.

use std::cell::RefCell;

use super::arena::TaskArena;
use super::ready_set::ReadySet;
use super::sched::Choice;
use super::timer_heap::TimerHeap;

/// The largest table (in entries of capacity) worth keeping for the next run.
pub(crate) const KEEP_AT_MOST: usize = 1 << 20;

/// A run's tables, empty between runs.
#[derive(Default)]
pub(crate) struct Tables {
    pub tasks: TaskArena,
    pub ready: ReadySet,
    pub timers: TimerHeap,
}

thread_local! {
    static SPARE: RefCell<Option<Tables>> = const { RefCell::new(None) };
    static SPARE_LOG: RefCell<Vec<Choice>> = const { RefCell::new(Vec::new()) };
}

/// The thread's spare choice log buffer (empty), or a new one.
pub(crate) fn take_choice_log() -> Vec<Choice> {
    SPARE_LOG
        .try_with(|spare| std::mem::take(&mut *spare.borrow_mut()))
        .unwrap_or_default()
}

/// Keeps `log`'s buffer for the next run's chooser on this thread, if it is
/// larger than the one kept now and not too large.
pub(crate) fn give_back_choice_log(mut log: Vec<Choice>) {
    if log.capacity() > KEEP_AT_MOST {
        return;
    }
    log.clear();
    let _ = SPARE_LOG.try_with(|spare| {
        let mut spare = spare.borrow_mut();
        if log.capacity() > spare.capacity() {
            *spare = log;
        }
    });
}

/// The thread's spare tables, or new ones.
pub(crate) fn take() -> Tables {
    SPARE
        .try_with(|spare| spare.borrow_mut().take())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Keeps `tables` for the next run on this thread, if they are empty and
/// not too large; drops them otherwise.
pub(crate) fn give_back(mut tables: Tables) {
    let reusable = tables.tasks.reset()
        && tables.ready.reset()
        && tables.timers.reset()
        && tables.tasks.capacity() <= KEEP_AT_MOST
        && tables.timers.capacity() <= KEEP_AT_MOST;
    if reusable {
        // During the thread's own teardown the slot is gone: drop them then.
        let _ = SPARE.try_with(|spare| *spare.borrow_mut() = Some(tables));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::arena::TaskSlot;
    use crate::runtime::ids::TaskId;

    fn slot(id: u64) -> TaskSlot {
        TaskSlot::new(TaskId(id), id as u32, 0, false)
    }

    #[test]
    fn a_key_of_an_earlier_run_finds_nothing_in_the_reused_arena() {
        let _ = take();
        let mut tables = take();
        let old = tables.tasks.insert(slot(1));
        tables.tasks.remove(old);
        give_back(tables);
        let mut tables = take();
        let new = tables.tasks.insert(slot(1));
        assert_eq!(new.index, old.index, "the slot is reused");
        assert!(tables.tasks.get(old).is_none());
        assert!(tables.tasks.get(new).is_some());
    }

    #[test]
    fn a_choice_log_buffer_comes_back_empty_and_the_larger_one_is_kept() {
        let _ = take_choice_log();
        let mut log = Vec::with_capacity(100);
        log.push(Choice {
            kind: crate::runtime::sched::ChoiceKind::Run,
            options: 2,
            picked: 1,
        });
        give_back_choice_log(log);
        give_back_choice_log(Vec::with_capacity(10));
        let log = take_choice_log();
        assert!(log.is_empty());
        assert!(log.capacity() >= 100);
        assert_eq!(take_choice_log().capacity(), 0, "taken once");
    }

    #[test]
    fn a_choice_log_buffer_too_large_to_keep_is_dropped() {
        let _ = take_choice_log();
        give_back_choice_log(Vec::with_capacity(KEEP_AT_MOST + 1));
        assert_eq!(take_choice_log().capacity(), 0);
        give_back_choice_log(Vec::with_capacity(KEEP_AT_MOST));
        assert_eq!(take_choice_log().capacity(), KEEP_AT_MOST);
    }

    #[test]
    fn a_finished_run_leaves_its_tables_to_the_next_run_on_the_thread() {
        use std::future::{poll_fn, Future};
        use std::task::Poll;
        use std::time::Duration;
        let _ = take();
        // Main and three tasks at once, and a timer in the slab (main's
        // second sleep: its first is resident, in its slot).
        crate::runtime::CoreConfig::run_for_tests(async {
            crate::runtime::context::with_core("the test", |core| {
                for _ in 0..3 {
                    core.spawn(None, async {});
                }
            });
            let mut own = Box::pin(crate::time::sleep(Duration::from_millis(1)));
            let polled = poll_fn(|cx| Poll::Ready(own.as_mut().poll(cx))).await;
            assert!(polled.is_pending());
            crate::time::sleep(Duration::from_millis(2)).await;
        });
        let tables = take();
        assert!(tables.tasks.capacity() >= 4, "the run's task arena");
        assert!(tables.timers.capacity() >= 1, "the run's timer heap");
    }

    #[test]
    fn tables_still_in_use_are_not_kept() {
        let _ = take();
        let mut tables = take();
        tables.tasks.insert(slot(1));
        give_back(tables);
        assert!(SPARE.with(|s| s.borrow().is_none()));
    }
}
