//! Promise: set once, awaited by many, callbacks in order, deadlock reports.

use std::time::Duration;

use seedloop::task::{Promise, PromiseError};
use seedloop::time::Instant;
use seedloop::{sleep, spawn, task::Builder, timeout, yield_now, JoinError, SimError};

use crate::common::{fifo, Log};
use crate::snapshot;

/// The tutorial scenario: a future set by another task after one second.
#[test]
fn promise_set_by_another_task_after_one_second() {
    let log = Log::new();
    let l = log.clone();
    let mut sim = fifo();
    sim.run(async move {
        let p: Promise<&str> = Promise::new();
        let setter = p.clone();
        let l2 = l.clone();
        Builder::new()
            .name("setter")
            .spawn(async move {
                sleep(Duration::from_secs(1)).await;
                l2.say("set");
                setter.set("hello").unwrap();
            })
            .detach();
        let got = p.wait().await.unwrap();
        l.say(format!("main got {got}"));
    })
    .unwrap();
    assert_eq!(log.lines(), ["1.000 set", "1.000 main got hello"]);
    snapshot!("combinators_promise_set", sim.trace().render());
}

#[test]
fn every_awaiter_gets_the_value_in_the_order_they_started_waiting() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let p: Promise<u32> = Promise::new();
            let mut waiters = Vec::new();
            for i in 0..3u64 {
                let (p, l) = (p.clone(), l.clone());
                waiters.push(spawn(async move {
                    // Start waiting at 0.3, 0.2, 0.1: reverse order.
                    sleep(Duration::from_millis(300 - 100 * i)).await;
                    let v = p.wait().await.unwrap();
                    l.say(format!("waiter {i} got {v}"));
                }));
            }
            sleep(Duration::from_secs(1)).await;
            p.set(7).unwrap();
            for w in waiters {
                w.await.unwrap();
            }
            // Awaiting a done promise again gives the value at once.
            assert_eq!((&p).await, Ok(7));
            assert_eq!(p.clone().await, Ok(7));
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "1.000 waiter 2 got 7",
            "1.000 waiter 1 got 7",
            "1.000 waiter 0 got 7"
        ]
    );
}

#[test]
fn a_second_completion_is_an_error_value_and_changes_nothing() {
    fifo()
        .run(async {
            let p: Promise<u32, String> = Promise::new();
            p.set(1).unwrap();
            let err = p.set(2).unwrap_err();
            assert_eq!(
                err.to_string(),
                "Promise#1 is already set: a promise is completed once (by set, set_error or \
                 cancel); check is_done() first, or use an Event or a Queue for repeated signals"
            );
            assert_eq!(err.into_inner(), 2);
            let err = p.set_error("late".into()).unwrap_err();
            assert_eq!(err.into_inner(), "late");
            assert!(!p.cancel());
            assert!(!p.cancel_with("too late"));
            assert_eq!(p.result(), Some(Ok(1)));
            assert!(!p.is_cancelled());

            let failed: Promise<u32, String> = Promise::new();
            failed.set_error("boom".into()).unwrap();
            assert!(failed
                .set(3)
                .unwrap_err()
                .to_string()
                .contains("is already failed"));
            assert_eq!(
                failed.wait().await,
                Err(PromiseError::Failed("boom".into()))
            );

            let cancelled: Promise<u32> = Promise::new();
            assert!(cancelled.cancel_with("shutdown"));
            assert!(cancelled.is_cancelled() && cancelled.is_done());
            assert!(cancelled
                .set(3)
                .unwrap_err()
                .to_string()
                .contains("is already cancelled"));
            assert_eq!(
                cancelled.wait().await,
                Err(PromiseError::Cancelled {
                    reason: Some("shutdown".into())
                })
            );
        })
        .unwrap();
}

#[test]
fn callbacks_run_in_registration_order_in_the_next_turn() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let p: Promise<u32> = Promise::new();
            let waiter = {
                let (p, l) = (p.clone(), l.clone());
                spawn(async move {
                    let v = p.wait().await.unwrap();
                    l.say(format!("waiter got {v}"));
                })
            };
            yield_now().await; // the waiter is now blocked
            for i in 1..=3 {
                let l = l.clone();
                p.on_done(move |r| l.say(format!("callback {i} saw {r:?}")));
            }
            sleep(Duration::from_millis(500)).await;
            p.set(4).unwrap();
            l.say("set returned");
            yield_now().await;
            l.say("main after one turn");
            // Registered after completion: still the next turn, not now.
            let l2 = l.clone();
            p.on_done(move |_| l2.say("late callback"));
            l.say("late callback registered");
            yield_now().await;
            waiter.await.unwrap();
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "0.500 set returned",
            "0.500 waiter got 4",
            "0.500 callback 1 saw Ok(4)",
            "0.500 callback 2 saw Ok(4)",
            "0.500 callback 3 saw Ok(4)",
            "0.500 main after one turn",
            "0.500 late callback registered",
            "0.500 late callback",
        ]
    );
}

#[test]
fn a_dropped_awaiter_loses_nothing_for_the_others() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let p: Promise<u32> = Promise::new();
            let patient = {
                let (p, l) = (p.clone(), l.clone());
                spawn(async move { l.say(format!("patient got {:?}", p.wait().await)) })
            };
            let impatient = timeout(Duration::from_millis(100), p.wait()).await;
            l.say(format!("impatient gave up: {}", impatient.is_err()));
            sleep(Duration::from_millis(100)).await;
            p.set(1).unwrap();
            patient.await.unwrap();
            assert_eq!(p.wait().await, Ok(1));
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        ["0.100 impatient gave up: true", "0.200 patient got Ok(1)"]
    );
}

#[test]
fn cancelling_a_task_blocked_on_a_promise() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let p: Promise<u32> = Promise::new();
            let blocked = {
                let p = p.clone();
                spawn(async move { p.wait().await })
            };
            sleep(Duration::from_secs(1)).await;
            blocked.cancel_with("not needed");
            let r = blocked.await;
            l.say(format!("{r:?}"));
            assert_eq!(r.unwrap_err().cancel_reason(), Some("not needed"));
            // The promise is untouched and still works.
            assert!(!p.is_done());
            p.set(2).unwrap();
            assert_eq!(p.wait().await, Ok(2));
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [r#"1.000 Err(CancelledWith { reason: "not needed" })"#]
    );
}

#[test]
fn a_deadlock_report_names_the_unset_promise() {
    let err = fifo()
        .run(async {
            let p: Promise<u32> = Promise::new();
            let _never_set = p.clone();
            p.wait().await
        })
        .unwrap_err();
    let SimError::Deadlock(report) = &err else {
        panic!("expected a deadlock, got {err}");
    };
    assert_eq!(report.tasks.len(), 1);
    assert_eq!(report.tasks[0].waits, ["Promise#1 (unset)"]);
    assert!(err
        .to_string()
        .contains("\"main\" (#1) waits on Promise#1 (unset)"));
}

#[test]
fn a_promise_made_outside_a_runtime_is_numbered_at_first_use() {
    let p: Promise<u32> = Promise::new();
    assert_eq!(p.name(), "Promise#?");
    let p2 = p.clone();
    let at = fifo()
        .run(async move {
            let _first = Promise::<()>::new(); // takes #1
            assert_eq!(p2.name(), "Promise#2");
            spawn({
                let p2 = p2.clone();
                async move {
                    sleep(Duration::from_secs(2)).await;
                    p2.set(5).unwrap();
                }
            })
            .detach();
            assert_eq!(p2.wait().await, Ok(5));
            Instant::now()
        })
        .unwrap();
    assert_eq!(at.as_secs_f64(), 2.0);
    assert_eq!(p.result(), Some(Ok(5)));
    assert_eq!(p.name(), "Promise#2");
}

#[test]
fn a_promise_completed_outside_a_runtime_runs_its_callbacks_at_once() {
    let p: Promise<u32> = Promise::new();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let s = seen.clone();
    p.on_done(move |r| s.borrow_mut().push(format!("{r:?}")));
    assert!(seen.borrow().is_empty());
    p.set(1).unwrap();
    assert_eq!(*seen.borrow(), ["Ok(1)"]);
}

#[test]
fn join_error_cancelled_stays_a_unit_variant() {
    fifo()
        .run(async {
            let t = spawn(sleep(Duration::from_secs(1)));
            t.cancel();
            assert!(matches!(t.await, Err(JoinError::Cancelled)));
        })
        .unwrap();
}
