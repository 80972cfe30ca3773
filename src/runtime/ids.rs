//! Identifiers shared by the executor, the trace and the reports, and the
//! stamps that keep wakers from reaching the wrong task.
//!
//! A task has three names, each for one job:
//!
//! - its [`TaskId`] (`#7`), for people: traces, reports, `task::current()`.
//!   Ids restart at `#1` in every run (so traces of two runs compare), and
//!   are never reused within one.
//! - its [`TaskKey`], for the executor: a slot of the task arena and the
//!   generation of its occupant (a key of the crate's one slab,
//!   `crate::slab`), checked on every access.
//! - its stamp, for wakers: a 32-bit number drawn from a process-wide
//!   counter that never repeats, so no two tasks of the process share one
//!   until 2^32 stamps have been handed out. A waker carries the stamp of
//!   the task it was made for ([`WakeKey`]); the arena accepts a wake only if
//!   the slot's occupant has that same stamp. A waker kept past its run
//!   therefore finds nothing in any later run, and a waker kept past its task
//!   never reaches a later occupant of the slot, however often the slot is
//!   reused, before 2^32 more stamps have been handed out (see `waker.rs`
//!   for the exact limits).

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::slab::SlabKey;

/// A task's identity: `#1` is the main task, then `#2`, `#3`, … in spawn order.
///
/// Ids are never reused within a run, so a trace line naming `#7` always means
/// the same task.
///
/// ```
/// use seedloop::{Sim, spawn};
/// let id = Sim::new(1).run(async { spawn(async {}).id() }).unwrap();
/// assert_eq!(id.to_string(), "#2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub(crate) u64);

impl TaskId {
    /// The main task of every run: the future given to `run`.
    pub const MAIN: TaskId = TaskId(1);

    /// The number behind the `#`.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a task lives in the arena: a slot and the generation of its
/// occupant (32 bits: a stale key reaches a later occupant only after its
/// slot was reused 2^32 times).
pub(crate) type TaskKey = SlabKey;

/// A stamp: a task's number among every task the process ever spawned,
/// truncated to 32 bits (the part a waker carries).
pub(crate) type TaskStamp = u32;

/// What a task's waker carries: the arena slot and the stamp of the task it
/// was made for. The arena accepts it only while that task is the slot's
/// occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WakeKey {
    pub index: u32,
    pub stamp: TaskStamp,
}

/// How many stamps a thread takes from the global counter at once: spawning
/// costs no atomic operation but once per block, and a thread that ends
/// wastes at most one block.
const STAMP_BLOCK: u64 = 4096;

/// The next stamp block's start, for the whole process. 64 bits: it never
/// wraps (a thread would need centuries of spawning to exhaust it).
static NEXT_STAMP_BLOCK: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's block of stamps: `(next, end)`.
    static STAMPS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A stamp no other task of the process has had (until 2^32 stamps have
/// been handed out; then the 32-bit stamps repeat, in order).
pub(crate) fn next_stamp() -> TaskStamp {
    STAMPS.with(|s| {
        let (mut next, mut end) = s.get();
        if next == end {
            next = NEXT_STAMP_BLOCK.fetch_add(STAMP_BLOCK, Ordering::Relaxed);
            end = next + STAMP_BLOCK;
        }
        s.set((next + 1, end));
        next as TaskStamp
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_never_repeat_within_a_thread_or_across_threads() {
        let mine: Vec<TaskStamp> = (0..3 * STAMP_BLOCK).map(|_| next_stamp()).collect();
        let theirs: Vec<TaskStamp> = std::thread::spawn(|| {
            (0..3 * STAMP_BLOCK)
                .map(|_| next_stamp())
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        let mut all: Vec<TaskStamp> = mine.iter().chain(&theirs).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), mine.len() + theirs.len());
        // Within a thread, stamps only grow (blocks are taken in order).
        assert!(mine.windows(2).all(|w| w[0] < w[1]));
    }
}
