//! How the recorder stores events: 24-byte records without destructors.
//!
//! A traced run records several events per task step, so the recorder's
//! cost is mostly memory: an [`TraceEvent`](super::Event) is 64 bytes and may own
//! heap data. A [`Record`] keeps what almost every event is, a time, an actor
//! and a kind with at most one number, in 24 bytes of plain data.
//!
//! A primitive's event (`Queue#1 put to #2`) is a record too: its name and
//! verb are interned once in a table of labels (keyed by the name's `Rc`
//! and the verb's address, so a lookup never compares text), and its detail
//! text is appended to one shared string, the record keeping its offset and
//! length. A primitive writes its detail straight into that string
//! ([`Records::take_text`], [`Records::push_object_written`]): no copy, and
//! no `Box` or `String` per event.
//!
//! Events without owned data reach the recorder as a [`CompactEvent`] (a
//! tag and a number), converted where they are recorded, so the hot path
//! never dispatches on an [`EventKind`].
//!
//! The rare events that carry other owned data (a named spawn, a panic
//! message), a primitive's event with a detail over 64 KiB, or an actor id
//! beyond 32 bits, are kept whole in a side table their record points into.
//!
//! The buffers of a dropped trace are kept for the next traced run on the
//! same thread (up to [`SPARE_MAX_BYTES`]), so a sweep of traced runs does
//! not fault fresh pages in for every run.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use super::{Actor, CancelCause, EventKind, ObjectEvent};
use crate::runtime::ids::TaskId;
use crate::time::Instant;

/// What a record's `payload` means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    /// An unnamed spawn of task `payload`.
    Spawn,
    Poll,
    Pending,
    /// The actor yielded (`yield_now`).
    Yield,
    /// Woke task `payload`.
    Wake,
    /// Sleeps until `payload` nanoseconds.
    Sleep,
    /// The timer of task `payload` fired.
    TimerFired,
    /// Ran callback number `payload`.
    Callback,
    /// Asked task `payload` to cancel.
    CancelRequested,
    CancelledRequested,
    CancelledRunEnded,
    Finished,
    /// Blocked the loop for `payload` nanoseconds.
    Blocked,
    /// A primitive's event: label `payload >> 32`, detail at text offset
    /// `payload as u32`, `detail_len` bytes long.
    Object,
    /// The whole event is `escaped[payload]`.
    Escaped,
}

/// An actor as a record stores it: 0 for the loop, else the task id;
/// `None` for an id that does not fit (the event is then kept whole).
#[inline]
fn actor_word(actor: Actor) -> Option<u32> {
    match actor {
        Actor::Loop => Some(0),
        Actor::Task(id) => u32::try_from(id.0).ok().filter(|&n| n != 0),
    }
}

/// One recorded event. See the module docs.
#[derive(Clone, Copy, Debug)]
pub(super) struct Record {
    time: u64,
    payload: u64,
    /// 0 for the loop, else the task id.
    actor: u32,
    tag: Tag,
    /// An object event's detail length (in what would be padding).
    detail_len: u16,
}

/// An event without owned data, as a record keeps it: a tag and a number.
/// What the recorder's hot path handles: every event but a named spawn, a
/// panic, a draw, an injected cancel and a primitive's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CompactEvent {
    tag: Tag,
    payload: u64,
}

impl CompactEvent {
    /// The compact form of `kind`, if it has one. Inlined, so that at a
    /// call site where the kind is known the dispatch folds away.
    #[inline(always)]
    pub fn of(kind: &EventKind) -> Option<CompactEvent> {
        let (tag, payload) = match *kind {
            EventKind::Spawn {
                child, name: None, ..
            } => (Tag::Spawn, child.0),
            EventKind::Poll => (Tag::Poll, 0),
            EventKind::Pending => (Tag::Pending, 0),
            EventKind::Yield => (Tag::Yield, 0),
            EventKind::Wake { task } => (Tag::Wake, task.0),
            EventKind::Sleep { until } => (Tag::Sleep, until.as_nanos()),
            EventKind::TimerFired { task } => (Tag::TimerFired, task.0),
            EventKind::Callback { id } => (Tag::Callback, id),
            EventKind::CancelRequested { task } => (Tag::CancelRequested, task.0),
            EventKind::Cancelled {
                cause: CancelCause::Requested,
            } => (Tag::CancelledRequested, 0),
            EventKind::Cancelled {
                cause: CancelCause::RunEnded,
            } => (Tag::CancelledRunEnded, 0),
            EventKind::Finished => (Tag::Finished, 0),
            EventKind::Blocked { nanos } => (Tag::Blocked, nanos),
            _ => return None,
        };
        Some(CompactEvent { tag, payload })
    }

    /// The event kind back.
    fn kind(self) -> EventKind {
        let task = TaskId(self.payload);
        match self.tag {
            Tag::Spawn => EventKind::Spawn {
                child: task,
                name: None,
            },
            Tag::Poll => EventKind::Poll,
            Tag::Pending => EventKind::Pending,
            Tag::Yield => EventKind::Yield,
            Tag::Wake => EventKind::Wake { task },
            Tag::Sleep => EventKind::Sleep {
                until: Instant::from_nanos(self.payload),
            },
            Tag::TimerFired => EventKind::TimerFired { task },
            Tag::Callback => EventKind::Callback { id: self.payload },
            Tag::CancelRequested => EventKind::CancelRequested { task },
            Tag::CancelledRequested => EventKind::Cancelled {
                cause: CancelCause::Requested,
            },
            Tag::CancelledRunEnded => EventKind::Cancelled {
                cause: CancelCause::RunEnded,
            },
            Tag::Finished => EventKind::Finished,
            Tag::Blocked => EventKind::Blocked {
                nanos: self.payload,
            },
            Tag::Object | Tag::Escaped => {
                unreachable!("`CompactEvent::of` never makes an object or kept event")
            }
        }
    }
}

/// An event kept whole: its actor and kind (the time is in its record).
#[derive(Clone, Debug)]
struct Escaped {
    actor: Actor,
    kind: EventKind,
}

/// A primitive's name and verb, as interned.
#[derive(Clone, Debug)]
struct Label {
    object: Rc<str>,
    action: &'static str,
}

/// Identifies a label by addresses: the name's allocation (kept alive by
/// the label, so never reused while interned) and the verb's text.
type LabelKey = (usize, usize, usize);

/// A hasher for `LabelKey`s (addresses): one multiply per word.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// The events of a trace, in order.
#[derive(Clone, Debug, Default)]
pub(super) struct Records {
    records: Vec<Record>,
    labels: Vec<Label>,
    label_index: HashMap<LabelKey, u32, BuildHasherDefault<AddressHasher>>,
    /// The labels used last, in sets of two chosen by address, the latest
    /// first: most object events come from a handful of primitives, so
    /// most lookups end here. Empty until the first lookup (`RECENT`
    /// slots then): a `Records` is moved several times per run, traced or
    /// not, and a vector moves as three words.
    recent: Vec<Option<(LabelKey, u32)>>,
    /// Object events' details, one after the other.
    text: String,
    escaped: Vec<Escaped>,
}

/// An event as read back: its kind, or for a primitive's event its parts.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum View<'a> {
    /// An event without owned data, rebuilt from its record.
    Plain(EventKind),
    /// An event kept whole.
    Kept(&'a EventKind),
    /// A primitive's event ([`EventKind::Object`]).
    Object {
        object: &'a Rc<str>,
        action: &'static str,
        detail: &'a str,
    },
}

impl View<'_> {
    /// The event kind, unless it is a primitive's event.
    pub fn kind(&self) -> Option<&EventKind> {
        match self {
            View::Plain(kind) => Some(kind),
            View::Kept(kind) => Some(kind),
            View::Object { .. } => None,
        }
    }

    /// The event kind, owned.
    pub fn to_kind(&self) -> EventKind {
        match self {
            View::Plain(kind) => kind.clone(),
            View::Kept(kind) => (*kind).clone(),
            View::Object {
                object,
                action,
                detail,
            } => EventKind::Object(Box::new(ObjectEvent {
                object: Rc::clone(object),
                action,
                detail: detail.to_string(),
            })),
        }
    }
}

/// Slots of `Records::recent`: 16 sets of two.
const RECENT: usize = 32;
const _: () = assert!(RECENT.is_power_of_two());

/// The most memory a thread keeps for reuse by its next traced run.
pub(super) const SPARE_MAX_BYTES: usize = 64 << 20;

thread_local! {
    /// The buffers of the last dropped trace on this thread, emptied.
    static SPARE: RefCell<Records> = RefCell::new(Records::default());
}

impl Records {
    /// An empty log that starts from this thread's spare buffers, if any.
    pub fn reusing_spare() -> Records {
        SPARE
            .try_with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// The bytes the buffers hold on to.
    fn footprint(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<Record>()
            + self.text.capacity()
            + self.escaped.capacity() * std::mem::size_of::<Escaped>()
    }

    /// Empties the log and hands its buffers to this thread's spare slot if
    /// they are worth keeping (larger than the ones there, and not huge).
    pub fn recycle(&mut self) {
        let bytes = self.footprint();
        if bytes == 0 || bytes > SPARE_MAX_BYTES {
            return;
        }
        let mut buffers = std::mem::take(self);
        buffers.records.clear();
        buffers.text.clear();
        buffers.escaped.clear();
        // Labels hold names alive: never keep them past their trace.
        buffers.labels = Vec::new();
        buffers.label_index = HashMap::default();
        buffers.recent.clear();
        let _ = SPARE.try_with(|s| {
            if let Ok(mut spare) = s.try_borrow_mut() {
                if spare.footprint() < bytes {
                    *spare = buffers;
                }
            }
        });
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Records an event.
    pub fn push(&mut self, time: Instant, actor: Actor, kind: EventKind) {
        let time = time.as_nanos();
        if let Some(event) = CompactEvent::of(&kind) {
            return self.push_compact(time, actor, event);
        }
        match (kind, actor_word(actor)) {
            (EventKind::Object(o), Some(actor_word)) => self.push_object(time, actor_word, o),
            (kind, _) => self.escape(time, actor, kind),
        }
    }

    /// Records an event without owned data.
    #[inline]
    pub fn push_compact(&mut self, time: u64, actor: Actor, event: CompactEvent) {
        match actor_word(actor) {
            Some(actor_word) => self.records.push(Record {
                time,
                payload: event.payload,
                actor: actor_word,
                tag: event.tag,
                detail_len: 0,
            }),
            None => self.escape(time, actor, event.kind()),
        }
    }

    #[inline(never)]
    fn push_object(&mut self, time: u64, actor_word: u32, o: Box<ObjectEvent>) {
        let start = self.text.len();
        self.text.push_str(&o.detail);
        let len = self.text.len();
        if !self.push_object_record(time, actor_word, &o.object, o.action, start, len) {
            self.text.truncate(start);
            let actor = match actor_word {
                0 => Actor::Loop,
                n => Actor::Task(TaskId(u64::from(n))),
            };
            self.escape(time, actor, EventKind::Object(o));
        }
    }

    /// Lends out the detail text, for a primitive to write its event's
    /// detail at its end; [`push_object_written`](Records::push_object_written)
    /// takes it back. (Writing goes through a loan, not a borrow, so the
    /// writer may read the trace meanwhile: task names.)
    #[inline]
    pub fn take_text(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// Takes the detail text back from [`take_text`](Records::take_text),
    /// recording nothing.
    #[inline]
    pub fn restore_text(&mut self, text: String) {
        self.text = text;
    }

    /// Takes the detail text back from [`take_text`](Records::take_text)
    /// and records a primitive's event whose detail is `text[start..]`.
    #[inline]
    pub fn push_object_written(
        &mut self,
        time: Instant,
        actor: Actor,
        object: &Rc<str>,
        action: &'static str,
        text: String,
        start: usize,
    ) {
        // The length is read from the loan before it moves back: read back
        // from `self.text` just after the move, it waited on the store.
        let len = text.len();
        self.text = text;
        let written = actor_word(actor).is_some_and(|word| {
            self.push_object_record(time.as_nanos(), word, object, action, start, len)
        });
        if !written {
            let detail = self.text[start..].to_string();
            self.text.truncate(start);
            self.escape(
                time.as_nanos(),
                actor,
                EventKind::object(object.clone(), action, detail),
            );
        }
    }

    /// Pushes the record of a primitive's event whose detail is the text
    /// from `start` to `len` (the text's length); `false` (nothing pushed) past 2^32 labels or bytes
    /// of text, or for a detail over 64 KiB: the caller keeps it whole.
    #[inline]
    fn push_object_record(
        &mut self,
        time: u64,
        actor_word: u32,
        object: &Rc<str>,
        action: &'static str,
        start: usize,
        len: usize,
    ) -> bool {
        let (Ok(offset), Ok(detail_len), Some(label)) = (
            u32::try_from(start),
            u16::try_from(len - start),
            self.label(object, action),
        ) else {
            return false;
        };
        if u32::try_from(len).is_err() {
            return false;
        }
        self.records.push(Record {
            time,
            payload: u64::from(label) << 32 | u64::from(offset),
            actor: actor_word,
            tag: Tag::Object,
            detail_len,
        });
        true
    }

    /// The label of a primitive's name and verb, interned on first use;
    /// `None` past 2^32 labels.
    #[inline]
    fn label(&mut self, object: &Rc<str>, action: &'static str) -> Option<u32> {
        let key = (
            Rc::as_ptr(object).cast::<u8>() as usize,
            action.as_ptr() as usize,
            action.len(),
        );
        // A multiplicative hash of the addresses, its top bits the set.
        let mixed =
            (key.0 as u64 ^ (key.1 as u64).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let set = (mixed >> (64 - (RECENT / 2).trailing_zeros())) as usize * 2;
        match self.recent.get(set..set + 2) {
            Some(&[Some((k, label)), _]) if k == key => Some(label),
            Some(&[_, Some((k, label))]) if k == key => Some(label),
            _ => self.intern(key, object, action, set),
        }
    }

    #[inline(never)]
    fn intern(
        &mut self,
        key: LabelKey,
        object: &Rc<str>,
        action: &'static str,
        set: usize,
    ) -> Option<u32> {
        let label = match self.label_index.get(&key) {
            Some(&label) => label,
            None => {
                let label = u32::try_from(self.labels.len()).ok()?;
                self.labels.push(Label {
                    object: object.clone(),
                    action,
                });
                self.label_index.insert(key, label);
                label
            }
        };
        if self.recent.is_empty() {
            self.recent.resize(RECENT, None);
        }
        self.recent[set + 1] = self.recent[set];
        self.recent[set] = Some((key, label));
        Some(label)
    }

    #[inline(never)]
    fn escape(&mut self, time: u64, actor: Actor, kind: EventKind) {
        self.escaped.push(Escaped { actor, kind });
        self.records.push(Record {
            time,
            payload: (self.escaped.len() - 1) as u64,
            actor: 0,
            tag: Tag::Escaped,
            detail_len: 0,
        });
    }

    /// The detail text of an object event's record.
    fn detail(&self, r: &Record) -> &str {
        let start = r.payload as u32 as usize;
        &self.text[start..start + usize::from(r.detail_len)]
    }

    /// Keeps the first `len` events.
    pub fn truncate(&mut self, len: usize) {
        self.records.truncate(len);
        let mut escaped = None;
        let mut text = None;
        for r in self.records.iter().rev() {
            match r.tag {
                Tag::Escaped if escaped.is_none() => escaped = Some(r.payload as usize + 1),
                Tag::Object if text.is_none() => {
                    text = Some(r.payload as u32 as usize + usize::from(r.detail_len));
                }
                _ => {}
            }
            if escaped.is_some() && text.is_some() {
                break;
            }
        }
        self.escaped.truncate(escaped.unwrap_or(0));
        self.text.truncate(text.unwrap_or(0));
    }

    /// TraceEvent `i`: its time, actor and kind.
    pub fn get(&self, i: usize) -> (Instant, Actor, View<'_>) {
        let r = self.records[i];
        let time = Instant::from_nanos(r.time);
        let actor = match r.actor {
            0 => Actor::Loop,
            n => Actor::Task(TaskId(u64::from(n))),
        };
        let kind = match r.tag {
            Tag::Escaped => {
                let e = &self.escaped[r.payload as usize];
                return (time, e.actor, View::Kept(&e.kind));
            }
            Tag::Object => {
                let label = &self.labels[(r.payload >> 32) as usize];
                let view = View::Object {
                    object: &label.object,
                    action: label.action,
                    detail: self.detail(&r),
                };
                return (time, actor, view);
            }
            tag => CompactEvent {
                tag,
                payload: r.payload,
            }
            .kind(),
        };
        (time, actor, View::Plain(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<EventKind> {
        vec![
            EventKind::Spawn {
                child: TaskId(2),
                name: None,
            },
            EventKind::Spawn {
                child: TaskId(3),
                name: Some("named".into()),
            },
            EventKind::Poll,
            EventKind::Pending,
            EventKind::Yield,
            EventKind::Wake { task: TaskId(9) },
            EventKind::Sleep {
                until: Instant::from_nanos(u64::MAX),
            },
            EventKind::TimerFired {
                task: TaskId(u64::MAX),
            },
            EventKind::Callback { id: 77 },
            EventKind::CancelRequested { task: TaskId(5) },
            EventKind::Cancelled {
                cause: CancelCause::Requested,
            },
            EventKind::Cancelled {
                cause: CancelCause::RunEnded,
            },
            EventKind::Finished,
            EventKind::Panicked {
                message: Rc::from("boom"),
            },
            EventKind::Blocked { nanos: 12 },
            EventKind::CancelInjected {
                task: TaskId(4),
                at_await: 2,
                in_timeout: true,
            },
            EventKind::Object(Box::new(ObjectEvent {
                object: "Lock#1".into(),
                action: "acquire",
                detail: "now".into(),
            })),
            EventKind::Object(Box::new(ObjectEvent {
                object: "Queue#2".into(),
                action: "get",
                detail: String::new(),
            })),
            EventKind::Object(Box::new(ObjectEvent {
                object: "Queue#2".into(),
                action: "put",
                detail: "1 of 2".into(),
            })),
            EventKind::Object(Box::new(ObjectEvent {
                object: "Queue#3".into(),
                action: "put",
                // Text beyond ASCII.
                detail: "é".repeat(100),
            })),
            EventKind::Object(Box::new(ObjectEvent {
                object: "Queue#3".into(),
                action: "put",
                // Longer than a record's 16-bit length: kept whole.
                detail: "x".repeat(usize::from(u16::MAX) + 1),
            })),
            EventKind::Object(Box::new(ObjectEvent {
                object: "Queue#3".into(),
                action: "get",
                // The longest detail a record keeps.
                detail: "y".repeat(usize::from(u16::MAX)),
            })),
        ]
    }

    #[test]
    fn every_event_reads_back_as_recorded() {
        let actors = [
            Actor::Loop,
            Actor::Task(TaskId(1)),
            Actor::Task(TaskId(u64::from(u32::MAX) - 1)),
            Actor::Task(TaskId(u64::from(u32::MAX))),
            Actor::Task(TaskId(u64::MAX)),
        ];
        let mut records = Records::default();
        let mut expected = Vec::new();
        for (i, kind) in every_kind().into_iter().enumerate() {
            for actor in actors {
                let time = Instant::from_nanos(i as u64 * 1_000_003);
                records.push(time, actor, kind.clone());
                expected.push((time, actor, kind.clone()));
            }
        }
        assert_eq!(records.len(), expected.len());
        // Only the details the records point into are in the text.
        let kept: usize = (0..records.len())
            .filter(|&i| records.records[i].tag == Tag::Object)
            .map(|i| usize::from(records.records[i].detail_len))
            .sum();
        assert_eq!(records.text.len(), kept);
        for (i, (time, actor, kind)) in expected.iter().enumerate() {
            let (t, a, k) = records.get(i);
            assert_eq!((t, a, &k.to_kind()), (*time, *actor, kind), "event {i}");
        }
        assert_eq!(std::mem::size_of::<Record>(), 24);
    }

    #[test]
    fn truncate_keeps_a_prefix() {
        let mut records = Records::default();
        for kind in every_kind() {
            records.push(Instant::ZERO, Actor::Loop, kind);
        }
        let whole = records.clone();
        for len in (0..=whole.len()).rev() {
            records.truncate(len);
            assert_eq!(records.len(), len);
            for i in 0..len {
                assert_eq!(records.get(i), whole.get(i));
            }
            let mut again = records.clone();
            again.push(Instant::ZERO, Actor::Loop, every_kind().pop().unwrap());
            assert_eq!(again.get(len).2.to_kind(), every_kind().pop().unwrap());
        }
        assert!(records.text.is_empty() && records.escaped.is_empty());
    }

    /// The primitives' path: the detail written into the lent text. What
    /// a record cannot hold (a detail over 64 KiB, an actor id over 32
    /// bits) is kept whole, and its text leaves the shared string.
    #[test]
    fn a_detail_written_in_place_reads_back_or_is_kept_whole() {
        let object: Rc<str> = "Lock#1".into();
        let long = "z".repeat(usize::from(u16::MAX) + 1);
        let cases = [
            (Actor::Task(TaskId(2)), "held by #3".to_string()),
            (Actor::Task(TaskId(2)), long),
            (Actor::Task(TaskId(u64::MAX)), "to #4".to_string()),
            (Actor::Loop, String::new()),
        ];
        let mut records = Records::default();
        for (actor, detail) in &cases {
            let mut text = records.take_text();
            let start = text.len();
            text.push_str(detail);
            records.push_object_written(Instant::ZERO, *actor, &object, "wait", text, start);
        }
        for (i, (actor, detail)) in cases.iter().enumerate() {
            let (_, a, view) = records.get(i);
            let expected = EventKind::object(object.clone(), "wait", detail.as_str());
            assert_eq!((a, view.to_kind()), (*actor, expected), "event {i}");
        }
        assert_eq!(records.text, "held by #3");
        assert_eq!(records.escaped.len(), 2);
    }

    #[test]
    fn a_dropped_buffer_is_reused_on_the_same_thread() {
        let mut records = Records::reusing_spare();
        for _ in 0..1000 {
            records.push(Instant::ZERO, Actor::Loop, EventKind::Poll);
        }
        let capacity = records.records.capacity();
        records.recycle();
        let again = Records::reusing_spare();
        assert_eq!(again.len(), 0);
        assert!(again.records.capacity() >= capacity);
    }
}
