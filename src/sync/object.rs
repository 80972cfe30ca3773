//! What every primitive shares about being observed: its display name
//! (`Lock#3`), recording its steps in the trace, and noting what a blocked
//! task waits on for the deadlock report.

use std::cell::OnceCell;
use std::rc::Rc;

use crate::runtime::blocker::{Blocker, WaitOn};
use crate::runtime::ids::TaskId;
use crate::runtime::Core;
use crate::trace::EventKind;

/// A primitive's display name: its kind and a number from the runtime,
/// given at construction inside a runtime, or at first use otherwise.
pub(crate) struct ObjectName {
    kind: &'static str,
    name: OnceCell<Rc<str>>,
}

impl ObjectName {
    pub fn new(kind: &'static str) -> ObjectName {
        let name = OnceCell::new();
        if let Some(n) = crate::runtime::context::try_with_core(|core| numbered(kind, core)) {
            let _ = name.set(n);
        }
        ObjectName { kind, name }
    }

    /// The name, numbering the object now if it has no number yet.
    pub fn get(&self, core: &Core) -> Rc<str> {
        self.numbered(core).clone()
    }

    fn numbered(&self, core: &Core) -> &Rc<str> {
        self.name.get_or_init(|| numbered(self.kind, core))
    }

    /// The name for a report: `Lock#?` if it was never numbered (it cannot
    /// be: blocking numbers it, but a report must not panic).
    pub fn show(&self) -> String {
        match self.name.get() {
            Some(n) => n.to_string(),
            None => format!("{}#?", self.kind),
        }
    }
}

fn numbered(kind: &'static str, core: &Core) -> Rc<str> {
    format!("{kind}#{}", core.new_object_id()).into()
}

/// Records `<name> <action> <detail>` by the current actor, if tracing is on.
/// `detail` is only built when it will be recorded.
pub(crate) fn record(
    core: &Core,
    name: &ObjectName,
    action: &'static str,
    detail: impl FnOnce() -> String,
) {
    if core.tracing() {
        core.record(EventKind::object(name.get(core), action, detail()));
    }
}

/// Notes that the current task waits on `blocker` (for the deadlock report),
/// numbering the object first so the report can name it.
pub(crate) fn note_wait(core: &Core, name: &ObjectName, blocker: Rc<dyn Blocker>) {
    name.numbered(core);
    core.note_wait(WaitOn::Object(blocker));
}

/// A task as a report names it: `"writer"` if it has a name, else `#3`.
pub(crate) fn task_label(name: &dyn Fn(TaskId) -> String, id: TaskId) -> String {
    let n = name(id);
    if n == id.to_string() {
        n
    } else {
        format!("{n:?}")
    }
}

/// A task as a trace detail names it (the trace's own naming: `writer`, `#3`).
pub(crate) fn task_name(core: &Core, id: Option<TaskId>) -> String {
    match id {
        Some(id) => core.task_name(id),
        None => "loop".to_string(),
    }
}

/// Runs `f` with the current runtime if there is one, `None` otherwise
/// (a primitive used outside a runtime, or dropped after its run ended).
pub(crate) fn with_runtime<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    let mut f = Some(f);
    let inside =
        crate::runtime::context::try_with_core(|core| (f.take().expect("called once"))(Some(core)));
    match inside {
        Some(r) => r,
        None => (f.take().expect("not called inside"))(None),
    }
}
