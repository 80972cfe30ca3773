//! `ObjectLabel`: the numbered display name of a combinator or promise
//! (`Promise#2`, `TaskGroup#1`), and the trace events it records.

use std::cell::OnceCell;
use std::rc::Rc;

use crate::runtime::context::try_with_core;
use crate::trace::EventKind;

/// A display name such as `Gather#3`. Numbered by the runtime at
/// construction (`Core::new_object_id`), or at first use when constructed
/// outside a runtime.
pub(crate) struct ObjectLabel {
    kind: &'static str,
    name: OnceCell<Rc<str>>,
}

impl ObjectLabel {
    pub fn new(kind: &'static str) -> ObjectLabel {
        let label = ObjectLabel {
            kind,
            name: OnceCell::new(),
        };
        let _ = label.name();
        label
    }

    /// The name, numbering it now if it has no number yet. Outside a runtime
    /// an unnumbered label reads `Kind#?` (and is numbered later).
    pub fn name(&self) -> Rc<str> {
        if let Some(name) = self.name.get() {
            return name.clone();
        }
        match try_with_core(|core| core.new_object_id()) {
            Some(n) => self
                .name
                .get_or_init(|| format!("{}#{n}", self.kind).into())
                .clone(),
            None => format!("{}#?", self.kind).into(),
        }
    }

    /// Records `<name> <action> <detail>` for the current actor; `detail` is
    /// only built when tracing is on.
    pub fn record(&self, action: &'static str, detail: impl FnOnce() -> String) {
        let name = self.name();
        try_with_core(|core| {
            if core.tracing() {
                core.record(EventKind::object(name, action, detail()));
            }
        });
    }
}

/// `#3 #4 #5`: task ids for a trace detail.
pub(crate) fn id_list(ids: impl IntoIterator<Item = crate::TaskId>) -> String {
    let mut out = String::new();
    for id in ids {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&id.to_string());
    }
    out
}
