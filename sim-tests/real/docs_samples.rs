//! The samples of docs/real-mode.md's debug mode, as snapshots (the core
//! tests' `docs_samples` checks the doc against them). What varies from run
//! to run, a measured duration, is replaced by `…`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use seedloop::real::{DebugEvent, Runtime};
use seedloop::task::Builder;
use seedloop::time::block_for;
use seedloop::yield_now;

use crate::snapshot;

fn debug_runtime(threshold: Duration) -> (Runtime, Rc<RefCell<Vec<DebugEvent>>>) {
    let events: Rc<RefCell<Vec<DebugEvent>>> = Rc::default();
    let sink = events.clone();
    let rt = Runtime::builder()
        .debug(true)
        .slow_poll_threshold(threshold)
        .debug_sink(move |e| sink.borrow_mut().push(e.clone()))
        .build()
        .unwrap();
    (rt, events)
}

/// The measured duration in a slow-poll line replaced by `…`.
fn without_duration(line: &str) -> String {
    let (before, rest) = line
        .split_once("held the loop for ")
        .expect("a slow-poll line");
    let (took, after) = rest.split_once(" ms").expect("a duration in ms");
    assert!(took.parse::<f64>().is_ok(), "{took:?} is not a number");
    format!("{before}held the loop for … ms{after}")
}

/// A task that blocks the loop for 2 ms, above a 1 ms threshold: reported
/// (block_for blocks at least that long, so the report never depends on
/// timing; other polls may be reported too on a loaded machine, so only
/// the task's own report is taken).
#[test]
fn real_docs_slow_poll_sample() {
    let (mut rt, events) = debug_runtime(Duration::from_millis(1));
    rt.block_on(async {
        Builder::new()
            .name("parser")
            .spawn(async { block_for(Duration::from_millis(2)) })
            .await
            .unwrap();
    })
    .unwrap();
    let events = events.borrow();
    let report = events
        .iter()
        .find(|e| matches!(e, DebugEvent::SlowPoll { task, .. } if task == "parser"))
        .unwrap_or_else(|| panic!("no slow poll of parser in {events:?}"));
    snapshot!("docs_real_slow_poll", without_duration(&report.to_string()));
}

/// A detached task that panics: reported when the run ends.
#[test]
fn real_docs_panic_not_observed_sample() {
    let (mut rt, events) = debug_runtime(Duration::from_secs(30));
    rt.block_on(async {
        Builder::new()
            .name("orphan")
            .spawn(async { panic!("nobody listens") })
            .detach();
        yield_now().await;
    })
    .unwrap();
    let events = events.borrow();
    assert_eq!(events.len(), 1, "{events:?}");
    snapshot!("docs_real_panic_not_observed", events[0].to_string());
}
