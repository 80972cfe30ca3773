//! A condition's lock seen through the condition: `try_lock` and
//! `is_locked` are its lock's, whether the lock is the condition's own or
//! one it shares.

use seedloop::sync::{Condition, Lock};

use crate::common::fifo;

#[test]
fn try_lock_and_is_locked_of_a_condition_are_its_locks() {
    fifo()
        .run(async {
            let cond = Condition::new(1);
            assert!(!cond.is_locked());
            let guard = cond.try_lock().expect("the lock is free");
            assert_eq!(*guard, 1);
            assert!(cond.is_locked());
            assert!(cond.try_lock().is_none(), "held");
            drop(guard);
            assert!(!cond.is_locked());

            let lock = Lock::new(2);
            let shared = Condition::with_lock(lock.clone());
            let held = lock.lock().await;
            assert!(shared.is_locked(), "held through the lock");
            assert!(shared.try_lock().is_none());
            drop(held);
            assert_eq!(shared.try_lock().map(|g| *g), Some(2));
        })
        .unwrap();
}
