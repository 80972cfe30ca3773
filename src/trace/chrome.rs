//! Chrome trace-event JSON: open it in Perfetto (ui.perfetto.dev) or
//! chrome://tracing to see one track per task.
//!
//! Each task's track shows `waiting` spans from the moment a poll returned
//! `Pending` to its next poll, and every event as an instant with the same
//! words as the text trace. Timestamps are virtual microseconds.

use std::fmt::Write;

use super::record::View;
use super::{Actor, EventKind, Trace, TraceEvent};
use crate::runtime::ids::TaskId;

pub(super) fn render(trace: &Trace) -> String {
    let mut out = String::from("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    let mut first = true;
    let mut push = |out: &mut String, item: String| {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        out.push_str(&item);
    };
    push(&mut out, meta(0, "loop"));
    let mut seen: Vec<TaskId> = Vec::new();
    // The time each task last went idle, by id.
    let mut idle_since: Vec<Option<u64>> = Vec::new();
    for n in 0..trace.len() {
        let (time, actor, kind) = trace.records.get(n);
        let tid = tid(actor);
        if let Actor::Task(id) = actor {
            if !seen.contains(&id) {
                seen.push(id);
                push(
                    &mut out,
                    meta(tid, &format!("{} {id}", trace.task_name(id))),
                );
            }
            let i = id.as_u64() as usize;
            if idle_since.len() <= i {
                idle_since.resize(i + 1, None);
            }
            match kind.kind() {
                Some(EventKind::Pending) => idle_since[i] = Some(time.as_nanos()),
                Some(EventKind::Poll) => {
                    if let Some(start) = idle_since[i].take() {
                        push(&mut out, span(tid, "waiting", start, time.as_nanos()));
                    }
                }
                _ => {}
            }
        }
        push(
            &mut out,
            instant(tid, &describe(trace, &kind), time.as_nanos()),
        );
    }
    out.push_str("\n]}\n");
    out
}

fn tid(actor: Actor) -> u64 {
    match actor {
        Actor::Task(id) => id.as_u64(),
        Actor::Loop => 0,
    }
}

fn micros(nanos: u64) -> String {
    format!("{}.{:03}", nanos / 1000, nanos % 1000)
}

fn meta(tid: u64, name: &str) -> String {
    format!(
        "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":{tid},\"args\":{{\"name\":{}}}}}",
        json_string(name)
    )
}

fn span(tid: u64, name: &str, start: u64, end: u64) -> String {
    format!(
        "{{\"ph\":\"X\",\"name\":{},\"pid\":1,\"tid\":{tid},\"ts\":{},\"dur\":{}}}",
        json_string(name),
        micros(start),
        micros(end.saturating_sub(start))
    )
}

fn instant(tid: u64, name: &str, at: u64) -> String {
    format!(
        "{{\"ph\":\"i\",\"s\":\"t\",\"name\":{},\"pid\":1,\"tid\":{tid},\"ts\":{}}}",
        json_string(name),
        micros(at)
    )
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Used by `Trace::describe`: the words after the actor on a text line.
pub(super) fn words(trace: &Trace, e: &TraceEvent) -> String {
    describe(trace, &View::Kept(&e.kind))
}

fn describe(trace: &Trace, kind: &View<'_>) -> String {
    let mut out = String::new();
    super::render::words(trace, kind, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
