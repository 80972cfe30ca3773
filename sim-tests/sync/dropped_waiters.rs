//! A wait dropped while it waits in line (here by a timeout) leaves the
//! line: the trace says so, and a later wake-up goes only to the waiters
//! still there.

use seedloop::sync::Event;
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
