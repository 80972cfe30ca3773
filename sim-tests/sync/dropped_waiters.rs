//! A wait dropped while it waits in line (here by a timeout) leaves the
//! line: the trace says so, and a later wake-up goes only to the waiters
//! still there.

use seedloop::sync::{Event, Lock};
use seedloop::task::Builder;
use seedloop::{sleep, timeout};

use crate::common::{fifo, secs};

#[test]
fn an_event_wait_dropped_while_it_waits_is_not_woken_by_set() {
    let mut sim = fifo();
    sim.run(async {
        let event = Event::new();
        let waiter = |name: &'static str, patience: f64| {
            let e = event.clone();
            Builder::new().name(name).spawn(async move {
                let waited = timeout(secs(patience), e.wait()).await.is_ok();
                sleep(secs(10.0)).await;
                waited
            })
        };
        let (impatient, patient) = (waiter("impatient", 1.0), waiter("patient", 5.0));
        sleep(secs(2.0)).await;
        event.set();
        assert!(!impatient.await.unwrap());
        assert!(patient.await.unwrap());
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("impatient Event#1 leave"), "{trace}");
    assert!(trace.contains("main Event#1 set woke 1\n"), "{trace}");
    assert!(!trace.contains("main wake impatient"), "{trace}");
}

/// An explicit `acquire` given up on: the lock, released later, is free,
/// not handed to the waiter that left.
#[test]
fn a_lock_acquire_dropped_while_it_waits_is_not_handed_the_lock() {
    let mut sim = fifo();
    sim.run(async {
        let lock = Lock::new(());
        lock.acquire().await;
        let l = lock.clone();
        let impatient = Builder::new()
            .name("impatient")
            .spawn(async move { timeout(secs(1.0), l.acquire()).await.is_ok() });
        sleep(secs(2.0)).await;
        lock.release().unwrap();
        assert!(!lock.is_locked(), "nobody waits: the lock is free");
        assert!(!impatient.await.unwrap());
        lock.acquire().await;
        lock.release().unwrap();
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("impatient Lock#1 leave"), "{trace}");
}
