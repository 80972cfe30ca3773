//! Traces: every observable step of a run, in order, with its virtual time.
//!
//! A [`Trace`] renders to a stable text form (what insta snapshots hold) and
//! hashes to a stable `u64` (what determinism checks compare).

mod chrome;
mod event;
mod hash;
mod name;
mod record;
mod render;

#[allow(deprecated)]
pub use event::{
    Actor, BuggifyDraw, CancelCause, DrawEvent, Event, EventKind, ObjectEvent, TraceEvent,
};
pub(crate) use hash::Fnv64;
pub(crate) use name::{display_name, named_object, report_task_name, write_decimal};
pub(crate) use record::CompactEvent;

use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;

use crate::runtime::ids::TaskId;
use crate::time::Instant;
use record::Records;

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
#[derive(Default)]
pub struct Trace {
    /// The events, compactly (see `record.rs`).
    records: Records,
    /// Names of the named tasks, by increasing id.
    names: Vec<(TaskId, Rc<str>)>,
    /// The events as [`TraceEvent`]s, built on the first call to `events`.
    events: OnceCell<Vec<TraceEvent>>,
}

impl Clone for Trace {
    fn clone(&self) -> Self {
        Trace {
            records: self.records.clone(),
            names: self.names.clone(),
            events: OnceCell::new(),
        }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("events", &self.events())
            .field("names", &self.names)
            .finish()
    }
}

impl Drop for Trace {
    fn drop(&mut self) {
        self.records.recycle();
    }
}

impl Trace {
    /// The events, in order.
    ///
    /// The recorder keeps events in a compact form; the first call builds
    /// this slice from it (rendering and hashing do not need it).
    pub fn events(&self) -> &[TraceEvent] {
        self.events.get_or_init(|| {
            (0..self.records.len())
                .map(|i| {
                    let (time, actor, kind) = self.records.get(i);
                    TraceEvent {
                        seq: i as u64,
                        time,
                        actor,
                        kind: kind.to_kind(),
                    }
                })
                .collect()
        })
    }

    /// How many events were recorded.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing was recorded (tracing off, or nothing ran).
    pub fn is_empty(&self) -> bool {
        self.records.len() == 0
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.records.truncate(len);
        if let Some(events) = self.events.get_mut() {
            events.truncate(len);
        }
    }

    /// The display name of a task: its name if it has one, else `#id`.
    pub fn task_name(&self, id: TaskId) -> String {
        display_name(self.name_of(id).map(|n| &**n), "", Some(id.0))
    }

    /// Writes the display name of a task to `out` (as `task_name`, without
    /// allocating).
    pub(crate) fn write_task_name(&self, id: TaskId, out: &mut String) {
        name::write_display_name(self.name_of(id).map(|n| &**n), "", Some(id.0), out);
    }

    fn name_of(&self, id: TaskId) -> Option<&Rc<str>> {
        self.names
            .binary_search_by_key(&id, |(i, _)| *i)
            .ok()
            .map(|i| &self.names[i].1)
    }

    /// The last `n` events, rendered one per line.
    pub fn tail(&self, n: usize) -> String {
        let start = self.len().saturating_sub(n);
        render::record_lines(self, start..self.len())
    }

    /// A stable 64-bit hash of the events: equal traces hash equal on every
    /// machine and toolchain.
    pub fn hash(&self) -> u64 {
        // The hash of the rendered text, line by line, without building it whole.
        let mut h = Fnv64::new();
        let mut line = String::new();
        for i in 0..self.len() {
            line.clear();
            render::record_line(self, i, &mut line);
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
    pub fn describe(&self, event: &TraceEvent) -> String {
        chrome::words(self, event)
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
    /// `panic`, `block for`, `random` for a drawn value (`random 7 in 1..11`,
    /// `random true (chance 0.25)`), and `<Object#n> <action>` for primitives; an
    /// injected cancel (`Check::inject_cancels`) adds `choose to cancel
    /// <task> at await <k> (never, 1..=<n>)` (or `choose not to cancel
    /// <task> ...`) where the choice is made, and `cancelled by check at
    /// await <k>` (`... in a timeout`) where it lands.
    pub fn render(&self) -> String {
        render::record_lines(self, 0..self.len())
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
                records: if enabled {
                    Records::reusing_spare()
                } else {
                    Records::default()
                },
                names: Vec::new(),
                events: OnceCell::new(),
            },
        }
    }

    /// Remembers a task's name for rendering (`None`: the task renders as
    /// `#id`). Ids come in increasing order, so this is a push at most.
    #[inline]
    pub fn name_task(&mut self, id: TaskId, name: Option<Rc<str>>) {
        let names = &mut self.trace.names;
        if names.last().is_none_or(|(last, _)| *last < id) {
            if let Some(name) = name {
                names.push((id, name));
            }
            return;
        }
        self.rename_task(id, name);
    }

    /// `name_task` for an id at or below the last named one.
    #[inline(never)]
    fn rename_task(&mut self, id: TaskId, name: Option<Rc<str>>) {
        let names = &mut self.trace.names;
        match (names.binary_search_by_key(&id, |(i, _)| *i), name) {
            (Ok(i), Some(name)) => names[i].1 = name,
            (Ok(i), None) => {
                names.remove(i);
            }
            (Err(i), Some(name)) => names.insert(i, (id, name)),
            (Err(_), None) => {}
        }
    }

    pub fn record(&mut self, time: Instant, actor: Actor, kind: EventKind) {
        if self.enabled {
            self.trace.records.push(time, actor, kind);
        }
    }

    /// Records an event without owned data (the hot path).
    #[inline]
    pub fn record_compact(&mut self, time: Instant, actor: Actor, event: CompactEvent) {
        if self.enabled {
            self.trace
                .records
                .push_compact(time.as_nanos(), actor, event);
        }
    }

    /// Lends out the trace's detail text, for a primitive to write its
    /// event's detail at its end (see `Records::take_text`); give it back
    /// with [`record_object_written`](Recorder::record_object_written).
    #[inline]
    pub fn take_text(&mut self) -> String {
        self.trace.records.take_text()
    }

    /// Takes the detail text back and, if enabled, records a primitive's
    /// event whose detail is `text[start..]` (see
    /// `Records::push_object_written`).
    #[inline]
    pub fn record_object_written(
        &mut self,
        time: Instant,
        actor: Actor,
        object: &Rc<str>,
        action: &'static str,
        mut text: String,
        start: usize,
    ) {
        if self.enabled {
            self.trace
                .records
                .push_object_written(time, actor, object, action, text, start);
        } else {
            text.truncate(start);
            self.trace.records.restore_text(text);
        }
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn into_trace(self) -> Trace {
        self.trace
    }
}
