//! A semaphore's permits counted by `try_acquire`, `available` and
//! `is_locked`, bounded and not: locked exactly when no permit is free;
//! the trace says how many each acquire left.

use seedloop::sync::{BoundedSemaphore, Semaphore};

use crate::common::fifo;

#[test]
fn try_acquire_takes_free_permits_and_is_locked_says_when_none_is_left() {
    let mut sim = fifo();
    sim.run(async {
        let sem = Semaphore::new(2);
        let bounded = BoundedSemaphore::new(2);
        assert!(!sem.is_locked() && !bounded.is_locked());
        let first = (sem.try_acquire().unwrap(), bounded.try_acquire().unwrap());
        assert_eq!((sem.available(), bounded.available()), (1, 1));
        assert!(!sem.is_locked() && !bounded.is_locked(), "one permit left");
        let second = (sem.try_acquire().unwrap(), bounded.try_acquire().unwrap());
        assert!(sem.is_locked() && bounded.is_locked());
        assert!(sem.try_acquire().is_none() && bounded.try_acquire().is_none());
        drop(first);
        assert!(!sem.is_locked() && !bounded.is_locked());
        assert_eq!((sem.available(), bounded.available()), (1, 1));
        drop(second);
        assert_eq!((sem.available(), bounded.available()), (2, 2));
    })
    .unwrap();
    let trace = sim.trace().render();
    assert!(trace.contains("main Semaphore#1 acquire 1 left"), "{trace}");
    assert!(
        trace.contains("main BoundedSemaphore#2 acquire 0 left"),
        "{trace}"
    );
}
