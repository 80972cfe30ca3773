//! Debug mode (asyncio's debug mode): slow polls and panics nobody looked at.
//!
//! With [`Builder::debug`](super::Builder::debug) on, the loop times every
//! poll with the real clock; a poll longer than the threshold (default
//! 100 ms, asyncio's `slow_callback_duration`) is reported with the task's
//! name and how long it held the loop. A spawned task that panicked and
//! whose [`JoinError`](crate::JoinError) nobody observed (no one awaited the
//! task) is reported when the run ends.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use crate::runtime::hooks::PollHooks;
use crate::runtime::raw_task::{RawTask, TaskHeader};
use crate::task::TaskId;

/// Something debug mode noticed. Its `Display` is the line printed to stderr
/// (unless [`Builder::debug_sink`](super::Builder::debug_sink) sends it elsewhere).
///
/// ```
/// use seedloop::real::DebugEvent;
/// use std::time::Duration;
/// let e = DebugEvent::SlowPoll {
///     task: "parser".into(),
///     id: seedloop::TaskId::MAIN,
///     took: Duration::from_millis(250),
///     threshold: Duration::from_millis(100),
/// };
/// assert!(e.to_string().starts_with("seedloop debug: task `parser` (#1) held the loop for 250.000 ms"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DebugEvent {
    /// One poll of a task took longer than the threshold.
    SlowPoll {
        /// The task's name, or `#id`.
        task: String,
        /// The task's id.
        id: TaskId,
        /// How long the poll took.
        took: Duration,
        /// The threshold it passed.
        threshold: Duration,
    },
    /// A task panicked and nobody awaited it, so its `JoinError` was never seen.
    PanicNotObserved {
        /// The task's name, or `#id`.
        task: String,
        /// The task's id.
        id: TaskId,
        /// What it panicked with.
        message: String,
    },
}

impl fmt::Display for DebugEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DebugEvent::SlowPoll {
                task,
                id,
                took,
                threshold,
            } => write!(
                f,
                "seedloop debug: task `{task}` ({id}) held the loop for {:.3} ms in one poll \
                 (slow_poll_threshold is {:.3} ms); no other task ran meanwhile. Move blocking \
                 work into seedloop::to_thread, or yield more often",
                took.as_secs_f64() * 1e3,
                threshold.as_secs_f64() * 1e3
            ),
            DebugEvent::PanicNotObserved { task, id, message } => write!(
                f,
                "seedloop debug: task `{task}` ({id}) panicked with {message:?} and nobody awaited \
                 it: its JoinError was never observed. Await the Task, or handle the failure \
                 inside the task"
            ),
        }
    }
}

/// Where debug events go.
pub(crate) type DebugSink = Rc<dyn Fn(&DebugEvent)>;

/// The debug mode's state for one run; the core calls it through [`PollHooks`].
pub(crate) struct DebugMonitor {
    threshold: Duration,
    sink: DebugSink,
    poll_started: Cell<Option<std::time::Instant>>,
    panicked: RefCell<Vec<Rc<dyn RawTask>>>,
}

impl DebugMonitor {
    pub fn new(threshold: Duration, sink: DebugSink) -> DebugMonitor {
        DebugMonitor {
            threshold,
            sink,
            poll_started: Cell::new(None),
            panicked: RefCell::default(),
        }
    }

    /// End of run: reports every isolated panic whose `JoinError` nobody saw.
    pub fn report_unobserved_panics(&self) {
        let panicked = std::mem::take(&mut *self.panicked.borrow_mut());
        for task in panicked {
            let header = task.header();
            if header.panic_observed.get() {
                continue;
            }
            (self.sink)(&DebugEvent::PanicNotObserved {
                task: display_name(header),
                id: header.id,
                message: header.panic_message().map_or("", |m| &**m).to_string(),
            });
        }
    }
}

fn display_name(header: &TaskHeader) -> String {
    crate::trace::display_name(header.name().map(|n| &**n), "", Some(header.id.0))
}

/// The hook object the core holds; the runtime keeps the monitor too.
pub(crate) struct DebugHooks(pub Rc<DebugMonitor>);

impl PollHooks for DebugHooks {
    fn poll_started(&self) {
        self.0.poll_started.set(Some(std::time::Instant::now()));
    }

    fn poll_ended(&self, header: &TaskHeader, _panicked: bool) {
        let Some(started) = self.0.poll_started.take() else {
            return;
        };
        let took = started.elapsed();
        if took > self.0.threshold {
            (self.0.sink)(&DebugEvent::SlowPoll {
                task: display_name(header),
                id: header.id,
                took,
                threshold: self.0.threshold,
            });
        }
    }

    fn task_panicked(&self, task: &Rc<dyn RawTask>) {
        // Kept (the cell only: its future is gone) until the run ends, when
        // those nobody awaited are reported.
        let mut panicked = self.0.panicked.borrow_mut();
        // Forget those observed since, so a long run keeps only the suspects.
        panicked.retain(|t| !t.header().panic_observed.get());
        panicked.push(task.clone());
    }
}
