//! Named primitives: traces and deadlock reports say `Lock "accounts"`;
//! unnamed ones keep `Lock#n`, and naming one never renumbers the others.

use std::rc::Rc;

use seedloop::queue::Queue;
use seedloop::sync::{Barrier, BoundedSemaphore, Condition, Event, Lock, Semaphore};
use seedloop::{spawn, Policy, Sim, SimError};

#[test]
fn a_named_lock_is_named_in_the_trace_and_the_deadlock_report() {
    let mut sim = Sim::new(1).policy(Policy::Fifo);
    let err = sim
        .run(async {
            let accounts = Rc::new(Lock::new(0).named("accounts"));
            let audit = Rc::new(Lock::new(0));
            let (a1, a2) = (accounts.clone(), audit.clone());
            let t = spawn(async move {
                let _g = a2.lock().await;
                seedloop::yield_now().await;
                let _h = a1.lock().await;
            });
            let _g = accounts.lock().await;
            seedloop::yield_now().await;
            let _h = audit.lock().await;
            t.await.unwrap();
        })
        .unwrap_err();
    let SimError::Deadlock(report) = &err else {
        panic!("{err}")
    };
    let text = report.to_string();
    assert!(text.contains("Lock \"accounts\""), "{text}");
    // The unnamed lock keeps its number: the named one took #1.
    assert!(text.contains("Lock#2"), "{text}");
    let trace = sim.trace().render();
    assert!(trace.contains("main Lock \"accounts\" acquire"), "{trace}");
}

#[test]
fn every_primitive_and_queue_takes_a_name() {
    Sim::new(1)
        .run(async {
            let shown = [
                format!("{:?}", Lock::new(()).named("l")),
                format!("{:?}", Condition::new(()).named("c")),
                format!("{:?}", Event::new().named("e")),
                format!("{:?}", Semaphore::new(1).named("s")),
                format!("{:?}", BoundedSemaphore::new(1).named("b")),
                format!("{:?}", Barrier::new(1).unwrap().named("r")),
                format!("{:?}", Queue::<u8>::new(1).named("q")),
            ];
            let expected = [
                r#"Lock \"l\""#,
                r#"Condition \"c\""#,
                r#"Event \"e\""#,
                r#"Semaphore \"s\""#,
                r#"BoundedSemaphore \"b\""#,
                r#"Barrier \"r\""#,
                r#"Queue \"q\""#,
            ];
            for (shown, expected) in shown.iter().zip(expected) {
                assert!(shown.contains(expected), "{shown} lacks {expected}");
            }
            // Unnamed ones keep their numbers, counted over the named ones (the
            // condition took two: itself and its lock).
            let unnamed = format!("{:?}", Lock::new(()));
            assert!(unnamed.contains("Lock#9"), "{unnamed}");
        })
        .unwrap();
}
