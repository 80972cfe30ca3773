//! Debug mode: slow polls and panics nobody observed are reported.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use seedloop::real::{DebugEvent, Runtime};
use seedloop::task::Builder;
use seedloop::time::block_for;
use seedloop::{spawn, yield_now};

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

#[test]
fn real_a_slow_poll_is_reported_with_the_task_name_and_duration() {
    let (mut rt, events) = debug_runtime(Duration::from_millis(1));
    rt.block_on(async {
        Builder::new()
            .name("hog")
            .spawn(async { block_for(Duration::from_millis(20)) })
            .await
            .unwrap();
    })
    .unwrap();
    let events = events.borrow();
    let slow: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            DebugEvent::SlowPoll { task, took, .. } => Some((task.clone(), *took)),
            _ => None,
        })
        .collect();
    assert!(
        slow.iter()
            .any(|(task, took)| task == "hog" && *took >= Duration::from_millis(20)),
        "{events:?}"
    );
    let line = events
        .iter()
        .find(|e| matches!(e, DebugEvent::SlowPoll { task, .. } if task == "hog"))
        .unwrap()
        .to_string();
    assert!(
        line.starts_with("seedloop debug: task `hog` (#2) held the loop for"),
        "{line}"
    );
}

#[test]
fn real_quick_polls_are_not_reported() {
    let (mut rt, events) = debug_runtime(Duration::from_secs(30));
    rt.block_on(async {
        for _ in 0..100 {
            spawn(yield_now()).await.unwrap();
        }
    })
    .unwrap();
    assert!(events.borrow().is_empty(), "{:?}", events.borrow());
}

#[test]
fn real_a_panic_nobody_awaited_is_reported_at_the_end_and_an_awaited_one_is_not() {
    let (mut rt, events) = debug_runtime(Duration::from_secs(30));
    rt.block_on(async {
        Builder::new()
            .name("orphan")
            .spawn(async { panic!("nobody listens") })
            .detach();
        let dropped = Builder::new()
            .name("dropped")
            .spawn(async { panic!("handle dropped") });
        let awaited = Builder::new()
            .name("awaited")
            .spawn(async { panic!("seen") });
        yield_now().await;
        drop(dropped);
        assert!(awaited.await.is_err());
    })
    .unwrap();
    let reported: Vec<String> = events
        .borrow()
        .iter()
        .map(|e| match e {
            DebugEvent::PanicNotObserved { task, message, .. } => format!("{task}: {message}"),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        reported,
        ["orphan: nobody listens", "dropped: handle dropped"]
    );
}

#[test]
fn real_without_debug_nothing_is_timed_or_reported() {
    let events: Rc<RefCell<Vec<DebugEvent>>> = Rc::default();
    let sink = events.clone();
    let mut rt = Runtime::builder()
        .slow_poll_threshold(Duration::ZERO)
        .debug_sink(move |e| sink.borrow_mut().push(e.clone()))
        .build()
        .unwrap();
    rt.block_on(async {
        spawn(async { panic!("quiet") }).detach();
        block_for(Duration::from_millis(2));
        yield_now().await;
    })
    .unwrap();
    assert!(events.borrow().is_empty());
}
