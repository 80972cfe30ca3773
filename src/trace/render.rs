//! The stable text form of events.

use std::fmt::Write;
use std::ops::Range;

use super::record::View;
use super::{Actor, CancelCause, DrawEvent, EventKind, Trace};
use crate::runtime::ids::TaskId;
use crate::runtime::sched::ChoiceKind;
use crate::time::Instant;

/// The recorded events `range` of `trace`, one line each.
pub(super) fn record_lines(trace: &Trace, range: Range<usize>) -> String {
    let mut out = String::with_capacity(range.len() * 32);
    for i in range {
        record_line(trace, i, &mut out);
        out.push('\n');
    }
    out
}

/// Recorded event `i` of `trace`, without its newline.
pub(super) fn record_line(trace: &Trace, i: usize, out: &mut String) {
    let (time, actor, view) = trace.records.get(i);
    line(trace, time, actor, &view, out);
}

/// `<time> <actor> <words>`.
fn line(trace: &Trace, time: Instant, actor: Actor, view: &View<'_>, out: &mut String) {
    let _ = write!(out, "{time} ");
    match actor {
        Actor::Task(id) => name(trace, id, out),
        Actor::Loop => out.push_str("loop"),
    }
    out.push(' ');
    words(trace, view, out);
    // Trailing spaces never appear: the verb always follows the actor.
}

/// A task's display name: its name, or `#id`.
fn name(trace: &Trace, id: TaskId, out: &mut String) {
    match trace.name_of(id) {
        Some(n) => out.push_str(n),
        None => {
            let _ = write!(out, "{id}");
        }
    }
}

/// The words after the actor: the verb and its arguments.
pub(super) fn words(trace: &Trace, view: &View<'_>, out: &mut String) {
    let Some(kind) = view.kind() else {
        if let View::Object {
            object,
            action,
            detail,
        } = view
        {
            object_words(object, action, detail, out);
        }
        return;
    };
    let _ = match kind {
        EventKind::Spawn { child, name } => match name {
            Some(n) => write!(out, "spawn {child} {n:?}"),
            None => write!(out, "spawn {child}"),
        },
        EventKind::Poll => write!(out, "poll"),
        EventKind::Pending => write!(out, "pending"),
        EventKind::Yield => write!(out, "yield"),
        EventKind::Wake { task } => {
            out.push_str("wake ");
            name(trace, *task, out);
            Ok(())
        }
        EventKind::Sleep { until } => write!(out, "sleep until {until}"),
        EventKind::TimerFired { task } => {
            out.push_str("timer ");
            name(trace, *task, out);
            Ok(())
        }
        EventKind::Callback { id } => write!(out, "callback {id}"),
        EventKind::CancelRequested { task } => {
            out.push_str("cancel ");
            name(trace, *task, out);
            Ok(())
        }
        EventKind::Cancelled { cause } => match cause {
            CancelCause::Requested => write!(out, "cancelled"),
            CancelCause::RunEnded => write!(out, "cancelled (run ended)"),
        },
        EventKind::Finished => write!(out, "finish"),
        EventKind::Panicked { message } => write!(out, "panic {message:?}"),
        EventKind::Blocked { nanos } => {
            write!(out, "block for {}", Instant::from_nanos(*nanos))
        }
        EventKind::Object(o) => {
            object_words(&o.object, o.action, &o.detail, out);
            Ok(())
        }
        EventKind::CancelInjected {
            at_await,
            in_timeout,
            ..
        } => write!(
            out,
            "cancelled by check at await {at_await}{}",
            if *in_timeout { " in a timeout" } else { "" }
        ),
        EventKind::Drew(d) => draw_words(trace, d, out),
    };
}

/// `random 7 in 1..11`, `random true (chance 0.25)`, `fault yes`,
/// a `buggify!` site's decisions: `buggify enabled at src/store.rs:42` (or
/// `disabled`), `buggify fired at src/store.rs:42` (or `did not fire`); an
/// injected cancel's: `choose to cancel #3 at await 2 (never, 1..=8)`,
/// `choose not to cancel #3 (never, 1..=8)`.
fn draw_words(trace: &Trace, d: &DrawEvent, out: &mut String) -> std::fmt::Result {
    if let Some(b) = d.buggify {
        let what = match (b.enabling, d.picked == 1) {
            (true, true) => "enabled",
            (true, false) => "disabled",
            (false, true) => "fired",
            (false, false) => "did not fire",
        };
        return write!(out, "buggify {what} at {}:{}", b.site.file(), b.site.line());
    }
    match (d.kind, d.chance) {
        (ChoiceKind::Value, Some(p)) => write!(out, "random {} (chance {p})", d.picked == 1),
        (ChoiceKind::Value, None) => write!(
            out,
            "random {} in {}..{}",
            d.value(),
            d.start,
            d.start as u128 + d.options as u128
        ),
        (ChoiceKind::Cancel, _) => {
            out.push_str(if d.picked == 0 {
                "choose not to cancel "
            } else {
                "choose to cancel "
            });
            match d.task {
                Some(task) => name(trace, task, out),
                None => out.push_str("a task"),
            }
            if d.picked > 0 {
                write!(out, " at await {}", d.picked)?;
            }
            write!(out, " (never, 1..={})", d.options - 1)
        }
        (ChoiceKind::Fault, _) => {
            write!(out, "fault {}", if d.picked == 1 { "yes" } else { "no" })
        }
        (kind, _) => write!(out, "choose {} of {} ({kind:?})", d.picked, d.options),
    }
}

/// `<object> [<action>] [<detail>]` (the network's events, like
/// `server crash` or `partition main | server`, are all object).
fn object_words(object: &str, action: &str, detail: &str, out: &mut String) {
    out.push_str(object);
    if !action.is_empty() {
        out.push(' ');
        out.push_str(action);
    }
    if !detail.is_empty() {
        out.push(' ');
        out.push_str(detail);
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use crate::runtime::ids::TaskId;
    use crate::time::Instant;
    use crate::trace::{Actor, CancelCause, EventKind, Fnv64, Recorder};

    /// Every kind of event, by named and unnamed actors, renders in the
    /// documented form; `events()` gives them back; the hash is the hash of
    /// the rendered lines.
    /// A `buggify!` site's two decisions, each way, name the site by file
    /// and line.
    #[test]
    fn buggify_decisions_render_with_their_site() {
        use crate::runtime::sched::ChoiceKind;
        use crate::trace::{BuggifyDraw, DrawEvent};
        let site = std::panic::Location::caller();
        let draw = |enabling, picked| DrawEvent {
            kind: ChoiceKind::Fault,
            picked,
            options: 2,
            start: 0,
            chance: Some(0.5),
            buggify: Some(BuggifyDraw { site, enabling }),
            task: None,
        };
        let mut words = Vec::new();
        for (enabling, picked) in [(true, 1), (true, 0), (false, 1), (false, 0)] {
            let mut out = String::new();
            super::draw_words(
                &crate::trace::Trace::default(),
                &draw(enabling, picked),
                &mut out,
            )
            .unwrap();
            words.push(out);
        }
        let at = format!("at {}:{}", site.file(), site.line());
        assert_eq!(
            words,
            [
                format!("buggify enabled {at}"),
                format!("buggify disabled {at}"),
                format!("buggify fired {at}"),
                format!("buggify did not fire {at}"),
            ]
        );
        assert!(at.starts_with("at src/trace/render.rs:"), "{at}");
        assert_eq!(at.matches(':').count(), 1, "file and line, no column: {at}");
    }

    #[test]
    fn every_event_kind_renders_as_documented() {
        let mut r = Recorder::new(true);
        r.name_task(TaskId(1), Some("main".into()));
        r.name_task(TaskId(2), None);
        r.name_task(TaskId(3), Some("worker a".into()));
        let far = Actor::Task(TaskId(u64::from(u32::MAX) + 7));
        let at = |s: u64| Instant::from_nanos(s * 1_000_000_000 + 1_500);
        let main = Actor::Task(TaskId(1));
        let events = vec![
            (
                at(0),
                main,
                EventKind::Spawn {
                    child: TaskId(2),
                    name: None,
                },
            ),
            (
                at(0),
                main,
                EventKind::Spawn {
                    child: TaskId(3),
                    name: Some("worker a".into()),
                },
            ),
            (at(0), Actor::Task(TaskId(2)), EventKind::Poll),
            (
                at(0),
                Actor::Task(TaskId(2)),
                EventKind::Sleep { until: at(2) },
            ),
            (at(0), Actor::Task(TaskId(2)), EventKind::Pending),
            (at(1), Actor::Loop, EventKind::Callback { id: 4 }),
            (
                at(1),
                Actor::Task(TaskId(3)),
                EventKind::object("Queue#1", "put", "to #2"),
            ),
            (
                at(1),
                Actor::Task(TaskId(3)),
                EventKind::object("Lock#2", "acquire", ""),
            ),
            (
                at(1),
                Actor::Task(TaskId(3)),
                EventKind::Wake { task: TaskId(3) },
            ),
            (
                at(1),
                Actor::Task(TaskId(3)),
                EventKind::CancelRequested { task: TaskId(2) },
            ),
            (
                at(2),
                Actor::Loop,
                EventKind::TimerFired { task: TaskId(2) },
            ),
            (
                at(2),
                Actor::Task(TaskId(2)),
                EventKind::Cancelled {
                    cause: CancelCause::Requested,
                },
            ),
            (
                at(2),
                Actor::Task(TaskId(3)),
                EventKind::Blocked { nanos: 2_000_000 },
            ),
            (
                at(2),
                Actor::Task(TaskId(3)),
                EventKind::Panicked {
                    message: Rc::from("bad \"x\""),
                },
            ),
            (at(3), far, EventKind::Finished),
            (
                at(3),
                main,
                EventKind::Cancelled {
                    cause: CancelCause::RunEnded,
                },
            ),
        ];
        for (time, actor, kind) in events.iter().cloned() {
            r.record(time, actor, kind);
        }
        let trace = r.into_trace();
        let text = trace.render();
        assert_eq!(
            text,
            "0.000001 main spawn #2\n\
             0.000001 main spawn #3 \"worker a\"\n\
             0.000001 #2 poll\n\
             0.000001 #2 sleep until 2.000001\n\
             0.000001 #2 pending\n\
             1.000001 loop callback 4\n\
             1.000001 worker a Queue#1 put to #2\n\
             1.000001 worker a Lock#2 acquire\n\
             1.000001 worker a wake worker a\n\
             1.000001 worker a cancel #2\n\
             2.000001 loop timer #2\n\
             2.000001 #2 cancelled\n\
             2.000001 worker a block for 0.002000\n\
             2.000001 worker a panic \"bad \\\"x\\\"\"\n\
             3.000001 #4294967302 finish\n\
             3.000001 main cancelled (run ended)\n"
        );
        assert_eq!(trace.len(), events.len());
        for (i, (e, (time, actor, kind))) in trace.events().iter().zip(&events).enumerate() {
            assert_eq!(
                (e.seq, e.time, e.actor, &e.kind),
                (i as u64, *time, *actor, kind)
            );
        }
        let mut h = Fnv64::new();
        for line in text.lines() {
            h.write(line.as_bytes());
            h.write(b"\n");
        }
        assert_eq!(trace.hash(), h.finish());
        assert_eq!(
            trace.tail(2),
            text.lines()
                .skip(14)
                .map(|l| format!("{l}\n"))
                .collect::<String>()
        );
        assert_eq!(trace.describe(&trace.events()[6]), "Queue#1 put to #2");
    }

    /// The choice of an injected cancel names the task it may cancel, and
    /// the cancel names the await where it lands.
    #[test]
    fn injected_cancels_render_as_documented() {
        use crate::runtime::sched::ChoiceKind;
        use crate::trace::DrawEvent;
        let mut r = Recorder::new(true);
        r.name_task(TaskId(1), Some("main".into()));
        r.name_task(TaskId(2), Some("worker".into()));
        r.name_task(TaskId(3), None);
        let main = Actor::Task(TaskId(1));
        let choice = |task, picked| {
            EventKind::Drew(Box::new(DrawEvent {
                kind: ChoiceKind::Cancel,
                picked,
                options: 9,
                start: 0,
                chance: None,
                buggify: None,
                task,
            }))
        };
        for (actor, kind) in [
            (main, choice(Some(TaskId(2)), 2)),
            (main, choice(Some(TaskId(3)), 0)),
            (main, choice(None, 8)),
            (
                Actor::Task(TaskId(2)),
                EventKind::CancelInjected {
                    task: TaskId(2),
                    at_await: 2,
                    in_timeout: false,
                },
            ),
            (
                Actor::Task(TaskId(3)),
                EventKind::CancelInjected {
                    task: TaskId(3),
                    at_await: 1,
                    in_timeout: true,
                },
            ),
        ] {
            r.record(Instant::ZERO, actor, kind);
        }
        assert_eq!(
            r.into_trace().render(),
            "0.000000 main choose to cancel worker at await 2 (never, 1..=8)\n\
             0.000000 main choose not to cancel #3 (never, 1..=8)\n\
             0.000000 main choose to cancel a task at await 8 (never, 1..=8)\n\
             0.000000 worker cancelled by check at await 2\n\
             0.000000 #3 cancelled by check at await 1 in a timeout\n"
        );
    }
}

#[cfg(test)]
mod object_without_action {
    use crate::runtime::ids::TaskId;
    use crate::time::Instant;
    use crate::trace::{Actor, EventKind, Recorder};

    /// The network's events are whole objects (`server crash`): no verb,
    /// and no double space where it would be.
    #[test]
    fn an_object_event_without_an_action_renders_without_a_gap() {
        let mut r = Recorder::new(true);
        r.name_task(TaskId(1), Some("main".into()));
        let main = Actor::Task(TaskId(1));
        r.record(
            Instant::ZERO,
            main,
            EventKind::object("server crash", "", ""),
        );
        r.record(
            Instant::ZERO,
            main,
            EventKind::object("a -> b", "tcp", "1 byte"),
        );
        assert_eq!(
            r.into_trace().render(),
            "0.000000 main server crash\n0.000000 main a -> b tcp 1 byte\n"
        );
    }
}
