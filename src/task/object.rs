//! Trace details of the combinators. Their numbered display names
//! (`Gather#3`, `Promise#2`) are the one [`ObjectName`] type the sync
//! primitives use too.
//!
//! [`ObjectName`]: crate::sync::object::ObjectName

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
