//! Traces: every observable step of a run, in order, with its virtual time.
//!
//! A [`Trace`] renders to a stable text form (what insta snapshots hold) and
//! hashes to a stable `u64` (what determinism checks compare).

mod chrome;
mod event;
mod hash;
mod name;
mod render;

pub use event::{Actor, CancelCause, Event, EventKind, ObjectEvent};
pub(crate) use hash::Fnv64;
pub(crate) use name::{display_name, named_object};

use std::rc::Rc;

use crate::runtime::ids::TaskId;
use crate::time::Instant;

/// The events of one run, and the names of its tasks.
///
/// Obtained from [`Sim::trace`](crate::Sim::trace) after a run.
///
/// ```
/// use seedloop::{Sim, Policy, sleep};
/// use std::time::Duration;
/// let mut sim = Sim::new(7).policy(Policy::Fifo);
/// sim.run(async { sleep(Duration::from_secs(1)).await }).unwrap();
/// let text = sim.trace().render();
/// assert!(text.contains("1.000000 loop timer main"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Trace {
    events: Vec<Event>,
    /// Names by task id; index 0 is unused.
    names: Vec<Option<Rc<str>>>,
}

impl Trace {
    /// The events, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many events were recorded.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing was recorded (tracing off, or nothing ran).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.events.truncate(len);
    }

    /// The display name of a task: its name if it has one, else `#id`.
    pub fn task_name(&self, id: TaskId) -> String {
        let own = self.names.get(id.0 as usize).and_then(|n| n.as_deref());
        display_name(own, "", Some(id.0))
    }

    /// The last `n` events, rendered one per line.
    pub fn tail(&self, n: usize) -> String {
        let start = self.events.len().saturating_sub(n);
        render::lines(self, &self.events[start..])
    }

    /// A stable 64-bit hash of the events: equal traces hash equal on every
    /// machine and toolchain.
    pub fn hash(&self) -> u64 {
        let mut h = Fnv64::new();
        for line in self.render().lines() {
            h.write(line.as_bytes());
            h.write(b"\n");
        }
        h.finish()
    }

    /// The trace in Chrome trace-event JSON: one track per task, `waiting`
    /// spans between polls. Open it in Perfetto (ui.perfetto.dev).
    ///
    /// ```
    /// use seedloop::{Sim, sleep};
    /// use std::time::Duration;
    /// let mut sim = Sim::new(1);
    /// sim.run(async { sleep(Duration::from_millis(3)).await }).unwrap();
    /// let json = sim.trace().to_chrome_json();
    /// assert!(json.starts_with("{\"displayTimeUnit\""));
    /// assert!(json.contains("\"name\":\"waiting\",\"pid\":1,\"tid\":1,\"ts\":0.000,\"dur\":3000.000"));
    /// ```
    pub fn to_chrome_json(&self) -> String {
        chrome::render(self)
    }

    /// One event in words, without its time and actor (`sleep until 1.000000`).
    pub fn describe(&self, event: &Event) -> String {
        chrome::words(self, event)
    }

    pub(crate) fn tail_of(&self, events: &[Event]) -> String {
        render::lines(self, events)
    }

    /// The stable text form, one event per line:
    ///
    /// ```text
    /// 0.000000 main spawn #2 "worker-a"
    /// 0.000000 worker-a poll
    /// 0.000000 worker-a sleep until 1.000000
    /// 0.000000 worker-a pending
    /// 1.000000 loop timer worker-a
    /// 1.000000 loop wake worker-a
    /// 1.000000 worker-a finish
    /// ```
    ///
    /// Each line is `<seconds with 6 decimals> <actor> <verb> <arguments>`,
    /// where an actor is a task's name, `#id` for an unnamed task, or `loop`.
    /// The verbs: `spawn`, `poll`, `pending`, `wake`, `sleep until`, `timer`,
    /// `callback`, `cancel`, `cancelled`, `cancelled (run ended)`, `finish`,
    /// `panic`, `block for`, and `<Object#n> <action>` for primitives.
    pub fn render(&self) -> String {
        render::lines(self, &self.events)
    }
}

/// Collects events during a run. Owned by the executor core.
#[derive(Debug)]
pub(crate) struct Recorder {
    enabled: bool,
    trace: Trace,
}

impl Recorder {
    pub fn new(enabled: bool) -> Recorder {
        Recorder {
            enabled,
            trace: Trace {
                events: Vec::new(),
                names: vec![None],
            },
        }
    }

    /// Remembers a task's name for rendering (called for every task, named or not,
    /// so the table stays indexed by id).
    pub fn name_task(&mut self, id: TaskId, name: Option<Rc<str>>) {
        let i = id.0 as usize;
        if self.trace.names.len() <= i {
            self.trace.names.resize(i + 1, None);
        }
        self.trace.names[i] = name;
    }

    pub fn record(&mut self, time: Instant, actor: Actor, kind: EventKind) {
        if self.enabled {
            let seq = self.trace.events.len() as u64;
            self.trace.events.push(Event {
                seq,
                time,
                actor,
                kind,
            });
        }
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn into_trace(self) -> Trace {
        self.trace
    }
}
