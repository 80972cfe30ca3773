//! What every primitive shares about being observed: its display name
//! (`Lock#3`), recording its steps in the trace, and noting what a blocked
//! task waits on for the deadlock report.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use crate::runtime::blocker::Blocker;
use crate::runtime::ids::TaskId;
use crate::runtime::Core;
use crate::trace::{display_name, named_object};

/// The display name of an object the trace and the reports talk about: a
/// primitive (`Lock#3`, `Queue#1`, or `Lock "accounts"` once named) or a
/// combinator (`Gather#2`, `Promise#4`). The one such type: numbered by the
/// runtime (`Core::new_object_id`) at construction inside a runtime, or at
/// first use inside one otherwise; until then it reads `Kind#?`. A named
/// object still takes its number, so naming one object never renumbers the
/// others.
pub(crate) struct ObjectName {
    kind: &'static str,
    name: OnceCell<Rc<str>>,
    /// The user's name for it (`.named("accounts")`), shown instead.
    own: RefCell<Option<Rc<str>>>,
}

impl ObjectName {
    pub fn new(kind: &'static str) -> ObjectName {
        let name = OnceCell::new();
        if let Some(n) = crate::runtime::context::try_with_core(|core| numbered(kind, core)) {
            let _ = name.set(n);
        }
        ObjectName {
            kind,
            name,
            own: RefCell::new(None),
        }
    }

    /// Gives the object the user's name: traces and reports say
    /// `Lock "accounts"` from now on.
    pub fn set_own(&self, name: &str) {
        *self.own.borrow_mut() = Some(named_object(self.kind, name).into());
    }

    /// Runs `f` with the name (numbering the object now if it has no
    /// number yet), without cloning it.
    #[inline]
    pub fn with<R>(&self, core: &Core, f: impl FnOnce(&Rc<str>) -> R) -> R {
        let own = self.own.borrow();
        match &*own {
            Some(own) => f(own),
            None => f(self.numbered(core)),
        }
    }

    /// The name, numbering the object now if it has no number yet.
    pub fn get(&self, core: &Core) -> Rc<str> {
        if let Some(own) = &*self.own.borrow() {
            return own.clone();
        }
        self.numbered(core).clone()
    }

    #[inline]
    fn numbered(&self, core: &Core) -> &Rc<str> {
        self.name.get_or_init(|| numbered(self.kind, core))
    }

    /// The name, numbering it now if it has no number yet and a runtime is
    /// current; outside a runtime an unnumbered object reads `Kind#?` (and
    /// is numbered later).
    pub fn name(&self) -> Rc<str> {
        if let Some(own) = &*self.own.borrow() {
            return own.clone();
        }
        if let Some(name) = self.name.get() {
            return name.clone();
        }
        crate::runtime::context::try_with_core(|core| self.get(core))
            .unwrap_or_else(|| display_name(None, self.kind, None).into())
    }

    /// The name for a report, never numbering: `Lock#?` if it was never
    /// numbered (blocking numbers it, but a report must not panic).
    pub fn show(&self) -> String {
        if let Some(own) = &*self.own.borrow() {
            return own.to_string();
        }
        match self.name.get() {
            Some(n) => n.to_string(),
            None => display_name(None, self.kind, None),
        }
    }

    /// Records `<name> <action> <detail>` for the current actor of the
    /// current runtime, if any; `detail` writes the detail, only when
    /// tracing is on.
    pub fn record(&self, action: &'static str, detail: impl FnOnce(&mut String)) {
        crate::runtime::context::try_with_core(|core| record(core, self, action, detail));
    }
}

fn numbered(kind: &'static str, core: &Core) -> Rc<str> {
    display_name(None, kind, Some(core.new_object_id())).into()
}

/// Records `<name> <action> <detail>` by the current actor, if tracing is on.
/// `detail` writes the detail (into a buffer the core reuses), only when it
/// will be recorded; [`no_detail`] writes none.
///
/// Only the check whether tracing is on is inlined at the call site: an
/// untraced run pays that branch and nothing more, and the primitive's own
/// code stays small enough to be inlined where it is used.
#[inline(always)]
pub(crate) fn record(
    core: &Core,
    name: &ObjectName,
    action: &'static str,
    detail: impl FnOnce(&mut String),
) {
    if core.tracing() {
        record_traced(core, name, action, detail);
    }
}

#[inline(never)]
fn record_traced(
    core: &Core,
    name: &ObjectName,
    action: &'static str,
    detail: impl FnOnce(&mut String),
) {
    name.with(core, |object| core.record_object(object, action, detail));
}

/// Notes that the current task waits on `blocker` (for the deadlock report),
/// numbering the object first so the report can name it.
#[inline]
pub(crate) fn note_wait<B: Blocker + 'static>(core: &Core, name: &ObjectName, blocker: &Rc<B>) {
    name.numbered(core);
    core.note_wait_on(blocker);
}

/// An event with no detail.
pub(crate) fn no_detail(_: &mut String) {}

/// Writes a task as a trace detail names it (the trace's own naming:
/// `writer`, `#3`; `loop` for none).
pub(crate) fn write_task_name(core: &Core, id: Option<TaskId>, out: &mut String) {
    match id {
        Some(id) => core.write_task_name(id, out),
        None => out.push_str("loop"),
    }
}

/// Writes a number into a trace detail, as `write!(out, "{n}")` would,
/// without the formatting machinery.
#[inline]
pub(crate) fn write_number(n: usize, out: &mut String) {
    crate::trace::write_decimal(n as u64, out);
}

/// Runs `f` with the current runtime if there is one, `None` otherwise
/// (a primitive used outside a runtime, or dropped after its run ended).
/// One thread-local access; `f` runs outside it, so it may enter the
/// runtime again (wake tasks, record events).
#[inline]
pub(crate) fn with_runtime<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    crate::runtime::context::with_current(f)
}
