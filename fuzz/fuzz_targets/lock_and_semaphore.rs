//! Tasks contending for a `Lock` and a `Semaphore(2)`, their waits cancelled
//! by random timeouts, on a schedule chosen by the fuzzer. Mutual exclusion
//! holds, at most two tasks are ever inside the semaphore, every increment
//! made under the lock is kept, permits are all returned at the end, and the
//! run never deadlocks or panics.
//!
//! `cargo fuzz run -s none lock_and_semaphore -- -max_total_time=30 -timeout=5`

#![no_main]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use seedloop::sync::{Lock, Semaphore};
use seedloop::{random, sleep, spawn, timeout, yield_now, Sim};

fn ms(max: u64) -> Duration {
    Duration::from_millis(random::range(0..max + 1))
}

fuzz_target!(|data: &[u8]| {
    let outcome = Sim::fuzz(data).run(async {
        let lock = Lock::new(0u32);
        let sem = Semaphore::new(2);
        let increments = Rc::new(Cell::new(0u32));
        let inside = Rc::new(Cell::new(0u32));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (lock, sem) = (lock.clone(), sem.clone());
                let (increments, inside) = (increments.clone(), inside.clone());
                spawn(async move {
                    for _ in 0..3 {
                        if let Ok(mut guard) = timeout(ms(2), lock.lock()).await {
                            let seen = *guard;
                            yield_now().await;
                            *guard = seen + 1;
                            increments.set(increments.get() + 1);
                        }
                        if let Ok(permit) = timeout(ms(2), sem.acquire()).await {
                            inside.set(inside.get() + 1);
                            assert!(inside.get() <= 2, "three tasks inside Semaphore(2)");
                            sleep(ms(1)).await;
                            inside.set(inside.get() - 1);
                            drop(permit);
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*lock.lock().await, increments.get(), "an increment was lost");
        assert_eq!(sem.available(), 2, "a permit was lost");
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
});
