//! The stable text form of events.

use std::fmt::Write;

use super::{Actor, CancelCause, Event, EventKind, Trace};

pub(super) fn lines(trace: &Trace, events: &[Event]) -> String {
    let mut out = String::with_capacity(events.len() * 32);
    for e in events {
        line(trace, e, &mut out);
        out.push('\n');
    }
    out
}

fn line(trace: &Trace, e: &Event, out: &mut String) {
    let actor = match e.actor {
        Actor::Task(id) => trace.task_name(id),
        Actor::Loop => "loop".to_string(),
    };
    let _ = write!(out, "{} {} ", e.time, actor);
    let _ = match &e.kind {
        EventKind::Spawn { child, name } => match name {
            Some(n) => write!(out, "spawn {child} {n:?}"),
            None => write!(out, "spawn {child}"),
        },
        EventKind::Poll => write!(out, "poll"),
        EventKind::Pending => write!(out, "pending"),
        EventKind::Wake { task } => write!(out, "wake {}", trace.task_name(*task)),
        EventKind::Sleep { until } => write!(out, "sleep until {until}"),
        EventKind::TimerFired { task } => write!(out, "timer {}", trace.task_name(*task)),
        EventKind::Callback { id } => write!(out, "callback {id}"),
        EventKind::CancelRequested { task } => write!(out, "cancel {}", trace.task_name(*task)),
        EventKind::Cancelled { cause } => match cause {
            CancelCause::Requested => write!(out, "cancelled"),
            CancelCause::RunEnded => write!(out, "cancelled (run ended)"),
        },
        EventKind::Finished => write!(out, "finish"),
        EventKind::Panicked { message } => write!(out, "panic {message:?}"),
        EventKind::Blocked { nanos } => write!(
            out,
            "block for {}",
            crate::time::Instant::from_nanos(*nanos)
        ),
        EventKind::Object(o) => {
            if o.detail.is_empty() {
                write!(out, "{} {}", o.object, o.action)
            } else {
                write!(out, "{} {} {}", o.object, o.action, o.detail)
            }
        }
    };
    // Trailing spaces never appear: the verb always follows the actor.
}
