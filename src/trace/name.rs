//! The one naming rule of traces, reports and debug output: a thing's own
//! name if it has one, else its kind and number (`#3` for a task, `Lock#3`
//! for a primitive), or `Lock#?` while it has no number yet.

/// `name` if there is one, else `kind#number` (`kind#?` without a number).
/// Tasks have no kind: an unnamed task is `#3`.
pub(crate) fn display_name(name: Option<&str>, kind: &str, number: Option<u64>) -> String {
    let mut out = String::with_capacity(name.map_or(kind.len() + 4, str::len));
    write_display_name(name, kind, number, &mut out);
    out
}

/// [`display_name`], written to `out`.
pub(crate) fn write_display_name(
    name: Option<&str>,
    kind: &str,
    number: Option<u64>,
    out: &mut String,
) {
    if let Some(name) = name {
        return out.push_str(name);
    }
    out.push_str(kind);
    match number {
        Some(n) => {
            out.push('#');
            write_decimal(n, out);
        }
        None => out.push_str("#?"),
    }
}

/// Writes `n` in decimal: what `write!(out, "{n}")` writes, without the
/// formatting machinery (task names are written for many trace events).
#[inline]
pub(crate) fn write_decimal(n: u64, out: &mut String) {
    if n < 10 {
        // Most numbers in details: queue sizes, small task ids.
        return out.push(char::from(b'0' + n as u8));
    }
    write_long_decimal(n, out);
}

fn write_long_decimal(mut n: u64, out: &mut String) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

/// A named object as traces and reports show it: `Lock "accounts"`. The
/// name is quoted like a named task in a report (`"writer"`), so it never
/// reads as a kind or a number.
pub(crate) fn named_object(kind: &str, name: &str) -> String {
    format!("{kind} {name:?}")
}

/// A task as reports name it: a name the task was given is quoted, like a
/// named object's (`"writer"`, `Lock "accounts"`); an unnamed task is its
/// id (`#3`). `name` is its display name (`display_name`'s rule).
pub(crate) fn report_task_name(name: &str, id: crate::runtime::ids::TaskId) -> String {
    if name == id.to_string() {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::{display_name, named_object, report_task_name};

    #[test]
    fn reports_quote_a_given_name_and_not_an_id() {
        let id = crate::runtime::ids::TaskId(3);
        assert_eq!(report_task_name("writer", id), "\"writer\"");
        assert_eq!(report_task_name("#3", id), "#3");
    }

    #[test]
    fn a_named_object_quotes_its_name_after_its_kind() {
        assert_eq!(named_object("Lock", "accounts"), "Lock \"accounts\"");
    }

    #[test]
    fn decimals_are_written_as_format_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut out = String::from("x");
            super::write_decimal(n, &mut out);
            assert_eq!(out, format!("x{n}"));
        }
    }

    #[test]
    fn an_own_name_wins_else_kind_and_number() {
        assert_eq!(display_name(Some("writer"), "", Some(3)), "writer");
        assert_eq!(display_name(None, "", Some(3)), "#3");
        assert_eq!(display_name(None, "Lock", Some(3)), "Lock#3");
        assert_eq!(display_name(None, "Lock", None), "Lock#?");
    }
}
