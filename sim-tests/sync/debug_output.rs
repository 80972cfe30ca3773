//! What `{:?}` shows of each primitive, its futures, guards and permits:
//! the primitive's name and its state (held, set, permits, waiters, the
//! barrier's phase, the stage of a condition wait).

use seedloop::sync::{Barrier, BoundedSemaphore, Condition, Event, Lock, Semaphore};
use seedloop::yield_now;

use crate::common::{fifo, poll_once};

#[test]
fn every_primitive_and_its_futures_show_their_name_and_state() {
    fifo()
        .run(async {
            let lock = Lock::new(5).named("l");
            let named_lock = r#""Lock \"l\"""#;
            assert_eq!(
                format!("{lock:?}"),
                format!("Lock {{ name: {named_lock}, locked: false }}")
            );
            assert_eq!(format!("{:?}", lock.lock()), format!("LockFuture {{ lock: {named_lock} }}"));
            let guard = lock.lock().await;
            assert_eq!(format!("{guard:?}"), "5", "a guard shows the value");
            assert_eq!(
                format!("{lock:?}"),
                format!("Lock {{ name: {named_lock}, locked: true }}")
            );
            drop(guard);
            let unit = Lock::new(()).named("u");
            assert_eq!(
                format!("{:?}", unit.acquire()),
                r#"LockAcquire { lock: "Lock \"u\"" }"#
            );

            let cond = Condition::new(0).named("c");
            assert_eq!(
                format!("{cond:?}"),
                r#"Condition { name: "Condition \"c\"", lock: Lock { name: "Lock#3", locked: false }, waiting: 0 }"#
            );
            let guard = cond.lock().await;
            let mut wait = cond.wait(guard);
            assert_eq!(
                format!("{wait:?}"),
                r#"ConditionWait { condition: "Condition \"c\"", stage: "start" }"#
            );
            assert!(poll_once(&mut wait).await.is_pending());
            assert_eq!(
                format!("{wait:?}"),
                r#"ConditionWait { condition: "Condition \"c\"", stage: "waiting" }"#
            );
            assert!(format!("{cond:?}").ends_with("waiting: 1 }"), "{cond:?}");
            let held = cond.lock().await;
            assert_eq!(cond.notify(1), 1);
            assert!(poll_once(&mut wait).await.is_pending(), "the lock is held");
            assert_eq!(
                format!("{wait:?}"),
                r#"ConditionWait { condition: "Condition \"c\"", stage: "relocking" }"#
            );
            drop(held);
            drop(wait.await);

            let event = Event::new().named("e");
            assert_eq!(format!("{event:?}"), r#"Event { name: "Event \"e\"", set: false }"#);
            assert_eq!(format!("{:?}", event.wait()), r#"EventWait { event: "Event \"e\"" }"#);
            event.set();
            assert_eq!(format!("{event:?}"), r#"Event { name: "Event \"e\"", set: true }"#);

            let sem = Semaphore::new(1).named("s");
            assert_eq!(
                format!("{sem:?}"),
                r#"Semaphore { name: "Semaphore \"s\"", available: 1, waiting: 0 }"#
            );
            let permit = sem.acquire().await;
            assert_eq!(format!("{permit:?}"), r#"SemaphorePermit { semaphore: "Semaphore \"s\"" }"#);
            let mut acquire = sem.acquire();
            assert_eq!(
                format!("{acquire:?}"),
                r#"SemaphoreAcquire { semaphore: "Semaphore \"s\"" }"#
            );
            assert!(poll_once(&mut acquire).await.is_pending());
            assert_eq!(
                format!("{sem:?}"),
                r#"Semaphore { name: "Semaphore \"s\"", available: 0, waiting: 1 }"#
            );
            drop(acquire);
            drop(permit);
            let bounded = BoundedSemaphore::new(2).named("b");
            assert_eq!(
                format!("{bounded:?}"),
                r#"BoundedSemaphore { name: "BoundedSemaphore \"b\"", available: 2, waiting: 0 }"#
            );

            let barrier = Barrier::new(2).unwrap().named("r");
            let mut arrive = barrier.wait();
            assert_eq!(format!("{arrive:?}"), r#"BarrierWait { barrier: "Barrier \"r\"" }"#);
            assert!(poll_once(&mut arrive).await.is_pending());
            assert_eq!(
                format!("{barrier:?}"),
                r#"Barrier { name: "Barrier \"r\"", parties: 2, phase: Filling, inside: 1 }"#
            );
            yield_now().await;
        })
        .unwrap();
}
