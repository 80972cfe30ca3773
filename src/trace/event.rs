//! What a trace is made of: one [`TraceEvent`] per observable step.

use std::rc::Rc;

use crate::runtime::ids::TaskId;
use crate::runtime::sched::ChoiceKind;
use crate::time::Instant;

/// Who did something: a task, or the loop itself (timers, callbacks, teardown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A task, by id.
    Task(TaskId),
    /// The event loop: timers firing, callbacks, the end of the run.
    Loop,
}

/// One observable step of a run. (Named apart from
/// [`sync::Event`](crate::sync::Event), the primitive.)
///
/// ```
/// use seedloop::{Sim, trace::{Actor, EventKind, TraceEvent}};
/// let mut sim = Sim::new(1);
/// sim.run(async {}).unwrap();
/// let first: &TraceEvent = &sim.trace().events()[0];
/// assert_eq!((first.seq, first.actor), (0, Actor::Task(seedloop::TaskId::MAIN)));
/// assert!(matches!(first.kind, EventKind::Poll));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEvent {
    /// Position in the trace, from 0.
    pub seq: u64,
    /// Virtual (sim) or monotonic (real) time at which it happened.
    pub time: Instant,
    /// Who did it.
    pub actor: Actor,
    /// What happened.
    pub kind: EventKind,
}

/// The old name of [`TraceEvent`].
#[deprecated(
    since = "0.1.0",
    note = "renamed `TraceEvent`, so that it is not mistaken for `seedloop::sync::Event`"
)]
pub type Event = TraceEvent;

/// Why a task's future was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelCause {
    /// `Task::cancel`, a dropped `Task`, or a timeout around it.
    Requested,
    /// The main task finished while this one was still pending.
    RunEnded,
}

/// The kinds of events. The text form of each is documented on
/// [`Trace::render`](crate::trace::Trace::render).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// The actor spawned `child`, optionally named.
    Spawn {
        /// The new task.
        child: TaskId,
        /// Its name, if it was given one.
        name: Option<Rc<str>>,
    },
    /// The task is about to be polled.
    Poll,
    /// The poll returned `Pending`.
    Pending,
    /// The running task gave the others a turn (`yield_now`, asyncio's
    /// `sleep(0)`): it joins the ready set's tail.
    Yield,
    /// The actor woke `task` (it joins the ready set).
    Wake {
        /// The task woken.
        task: TaskId,
    },
    /// The task started sleeping until the given instant.
    Sleep {
        /// When it will wake.
        until: Instant,
    },
    /// A timer of the task fired (its sleep or timeout is due).
    TimerFired {
        /// The task whose timer it was.
        task: TaskId,
    },
    /// The loop ran callback number `id` (`call_soon`, `call_later`, `call_at`).
    Callback {
        /// The callback's number, in registration order from 1.
        id: u64,
    },
    /// The actor asked for `task` to be cancelled.
    CancelRequested {
        /// The task to cancel.
        task: TaskId,
    },
    /// The task's future was dropped; awaiting it gives `JoinError::Cancelled`.
    Cancelled {
        /// Why.
        cause: CancelCause,
    },
    /// The task's future returned `Ready`.
    Finished,
    /// The task's future panicked with this message.
    Panicked {
        /// The panic payload, if it was a string.
        message: Rc<str>,
    },
    /// The task blocked the loop for a modelled duration of CPU work
    /// ([`time::block_for`](crate::time::block_for)).
    Blocked {
        /// How long the loop was held.
        nanos: u64,
    },
    /// A synchronization object or combinator did something.
    Object(Box<ObjectEvent>),
    /// The check cancelled `task` (`Check::inject_cancels`) as it suspended
    /// at its `at_await`-th await (counted from its first poll, or, with
    /// `in_timeout`, among the awaits of the future a `timeout` wraps). A
    /// cancel request like [`Task::cancel`](crate::Task::cancel)'s: the
    /// task's future is dropped at its next scheduling point.
    ///
    /// ```
    /// use seedloop::{Sim, sleep, task::Builder, trace::EventKind};
    /// use std::time::Duration;
    /// let mut sim = Sim::guided(0, vec![2]).inject_cancels(true);
    /// sim.run(async {
    ///     let t = Builder::new().cancellable_by_check(true).spawn(async {
    ///         sleep(Duration::from_secs(1)).await;
    ///         sleep(Duration::from_secs(1)).await;
    ///     });
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// }).unwrap();
    /// assert!(sim.trace().events().iter().any(|e| matches!(
    ///     e.kind,
    ///     EventKind::CancelInjected { at_await: 2, in_timeout: false, .. }
    /// )));
    /// ```
    CancelInjected {
        /// The task cancelled.
        task: TaskId,
        /// At which of its awaits, from 1.
        at_await: u32,
        /// Whether the awaits counted are those inside a `timeout`.
        in_timeout: bool,
    },
    /// The actor drew a value: a logged choice (`seedloop::random`, a fault
    /// site, an injected cancel).
    Drew(Box<DrawEvent>),
}

/// A value the program drew, as the trace shows it: `random 7 in 1..11`,
/// `random true (chance 0.25)`.
///
/// ```
/// use seedloop::{Sim, trace::EventKind};
/// let mut sim = Sim::new(2);
/// let ms = sim.run(async { seedloop::random::range(1..11) }).unwrap();
/// let drew = sim.trace().events().iter().find_map(|e| match &e.kind {
///     EventKind::Drew(d) => Some(d.value()),
///     _ => None,
/// });
/// assert_eq!(drew, Some(ms));
/// assert!(sim.trace().render().contains(&format!("random {ms} in 1..11")));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DrawEvent {
    /// What kind of choice it was.
    pub kind: ChoiceKind,
    /// The option picked, from 0 (the domain's first value).
    pub picked: u64,
    /// How many values the domain has.
    pub options: u64,
    /// The domain's first value as the program sees it.
    pub start: u64,
    /// For a coin (`random::chance`): the probability of `true`.
    pub chance: Option<f64>,
    /// For a `buggify!` decision: the site and which decision it was.
    pub buggify: Option<BuggifyDraw>,
    /// For an injected-cancel choice ([`ChoiceKind::Cancel`]): the task it
    /// may cancel; option `k > 0` cancels it at its `k`-th await.
    pub task: Option<TaskId>,
}

/// A `buggify!` site's decision as the trace shows it: `buggify enabled at
/// src/store.rs:42` (once per run and site), `buggify fired at
/// src/store.rs:42` (each hit of an enabled site).
///
/// ```
/// use seedloop::{Sim, trace::EventKind};
/// let mut sim = Sim::new(0);
/// sim.run(async { for _ in 0..20 { seedloop::buggify!(); } }).unwrap();
/// let decisions = sim.trace().events().iter().filter(|e| matches!(
///     &e.kind,
///     EventKind::Drew(d) if d.buggify.is_some_and(|b| b.enabling),
/// )).count();
/// assert_eq!(decisions, 1); // the site is enabled or not once per run
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuggifyDraw {
    /// The `buggify!` call site.
    pub site: &'static std::panic::Location<'static>,
    /// `true` for the run's once-per-site decision whether the site is
    /// enabled; `false` for a hit's decision whether it fires.
    pub enabling: bool,
}

impl DrawEvent {
    /// The value as the program got it: `start + picked`.
    ///
    /// ```
    /// use seedloop::{Sim, trace::EventKind};
    /// let mut sim = Sim::guided(0, vec![3]);
    /// sim.run(async { seedloop::random::range(10..20) }).unwrap();
    /// let EventKind::Drew(d) = &sim.trace().events()[1].kind else { panic!() };
    /// assert_eq!((d.picked, d.value()), (3, 13));
    /// ```
    pub fn value(&self) -> u64 {
        self.start + self.picked
    }
}

/// What a primitive did: `object` names it (`Lock#3`), `action` says what
/// (`acquire`, `wait`, `put`), and `detail` adds context. Boxed inside
/// [`EventKind::Object`] to keep every other event small.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectEvent {
    /// The object's display name, e.g. `Queue#1`.
    pub object: Rc<str>,
    /// The verb, e.g. `acquire`.
    pub action: &'static str,
    /// Extra words; empty when there is nothing to add.
    pub detail: String,
}

impl EventKind {
    /// An [`EventKind::Object`] event.
    pub fn object(
        object: impl Into<Rc<str>>,
        action: &'static str,
        detail: impl Into<String>,
    ) -> EventKind {
        EventKind::Object(Box::new(ObjectEvent {
            object: object.into(),
            action,
            detail: detail.into(),
        }))
    }
}
