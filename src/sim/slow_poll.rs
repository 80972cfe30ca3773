//! Blocking calls in a sim: a poll that takes long in *wall* time.
//!
//! `std::thread::sleep(300 ms)` (or blocking I/O, or a long computation) in
//! a task holds the thread while the virtual clock stands still: the run
//! means something else than the code says. A traced sim run times every
//! poll with the real clock, and a poll over the threshold (default
//! [`DEFAULT_SLOW_POLL_THRESHOLD`]) is recorded in the trace as
//! `alice blocking: a poll held the thread over 100 ms ...`, listed by
//! [`Sim::slow_polls`](super::Sim::slow_polls), and summed up in one line on
//! standard error after the run.
//!
//! Only whether a poll passed the threshold enters the trace, never how
//! long it took, so a consistently blocking task gives the same trace every
//! time. Untraced runs (a `Check` sweep) pay nothing: their failures are
//! re-run traced, which reports them.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use crate::runtime::context::try_with_core;
use crate::runtime::hooks::PollHooks;
use crate::runtime::ids::TaskId;
use crate::runtime::raw_task::{RawTask, TaskHeader};
use crate::time::Instant;
use crate::trace::EventKind;

/// The default wall-time threshold of a sim poll: asyncio's
/// `slow_callback_duration`.
pub const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

/// A poll that held the thread longer than the threshold.
///
/// ```
/// use seedloop::Sim;
/// use std::time::Duration;
/// let mut sim = Sim::new(1).slow_poll_threshold(Duration::from_millis(5));
/// sim.run(async { std::thread::sleep(Duration::from_millis(20)) }).unwrap();
/// let slow = &sim.slow_polls()[0];
/// assert_eq!(slow.task_name, "main");
/// assert!(slow.wall >= Duration::from_millis(20));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowPoll {
    /// The task.
    pub task: TaskId,
    /// Its display name.
    pub task_name: String,
    /// Virtual time of the poll (it did not move during it).
    pub at: Instant,
    /// How long the poll held the thread, in wall time.
    pub wall: Duration,
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} ({}) held the thread for {:.1} ms in one poll at virtual time {}",
            self.task_name,
            self.task,
            self.wall.as_secs_f64() * 1e3,
            self.at
        )
    }
}

/// The hooks a traced sim run installs.
///
/// One wall-clock read per poll, not two: the reading at the end of a poll
/// is the start of the next one, unless the loop ran other code in between
/// (a callback, a cancelled task's drop), which the loop says
/// (`not_polling`). Between two polls the loop only does its own
/// bookkeeping, microseconds; a poll is charged that too, far below any
/// threshold.
pub(crate) struct SlowPollWatch {
    threshold: Duration,
    /// When the current poll started: the last reading, if only the loop's
    /// bookkeeping ran since.
    mark: std::cell::Cell<Option<std::time::Instant>>,
    found: Rc<RefCell<Vec<SlowPoll>>>,
}

impl SlowPollWatch {
    pub fn new(threshold: Duration, found: Rc<RefCell<Vec<SlowPoll>>>) -> SlowPollWatch {
        SlowPollWatch {
            threshold,
            mark: std::cell::Cell::new(None),
            found,
        }
    }
}

impl PollHooks for SlowPollWatch {
    fn poll_started(&self) {
        if self.mark.get().is_none() {
            self.mark.set(Some(std::time::Instant::now()));
        }
    }

    fn not_polling(&self) {
        self.mark.set(None);
    }

    fn poll_ended(&self, header: &TaskHeader, panicked: bool) {
        let now = std::time::Instant::now();
        let Some(started) = self.mark.replace(Some(now)) else {
            return;
        };
        if panicked {
            // The panic hook (printing, a backtrace) is what took the time.
            return;
        }
        let wall = now - started;
        if wall <= self.threshold {
            return;
        }
        let threshold = self.threshold;
        let found = try_with_core(|core| {
            core.record(EventKind::object(
                "blocking:",
                "a poll held the thread over",
                format!(
                    "{} ms of wall time while the virtual clock stood still (std::thread::sleep or \
                     blocking I/O in a task? see docs/determinism.md)",
                    threshold.as_millis()
                ),
            ));
            SlowPoll {
                task: header.id,
                task_name: core.task_name(header.id),
                at: core.now(),
                wall,
            }
        });
        if let Some(slow) = found {
            self.found.borrow_mut().push(slow);
        }
    }

    fn task_panicked(&self, _task: &Rc<dyn RawTask>) {}
}

/// The summary line for a run that had slow polls.
pub(crate) fn summary(slow: &[SlowPoll], threshold: Duration) -> String {
    format!(
        "seedloop: {} poll(s) held the thread over {} ms of wall time in a sim run, the first: {}. \
         A blocking call (std::thread::sleep, blocking I/O) does not move the virtual clock: use \
         seedloop::sleep or seedloop::to_thread (docs/determinism.md)",
        slow.len(),
        threshold.as_millis(),
        slow[0]
    )
}
