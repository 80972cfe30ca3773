//! **Starvation under a specific interleaving.** A hog runs ten 1 ms jobs
//! under a lock, yielding between them so others get a turn. A reporter
//! polls the lock with `try_lock` every millisecond and must get it within
//! 10 ms.
//!
//! At 1 ms both wake. Under FIFO the hog (whose timer was set first) lets go
//! of the lock and the reporter's `try_lock` succeeds. If the reporter runs
//! first (one deviation), it finds the lock held and sets its next timer
//! before the hog's: from then on FIFO itself keeps it checking just before
//! each release, every millisecond. Fix: wait in line (`lock().await`): a
//! release hands the lock to the first waiter.

use seedloop::sync::Lock;
use seedloop::{sleep, timeout, yield_now};

use super::{ms, spawn_as};

/// The reporter must get the lock within 10 ms.
pub async fn starvation() {
    let stats = Lock::new(0u32);
    let hog = spawn_as("hog", hog(stats.clone()));
    let s = stats.clone();
    let reporter = spawn_as("reporter", async move {
        timeout(ms(10), async {
            loop {
                if let Some(stats) = s.try_lock() {
                    return *stats;
                }
                sleep(ms(1)).await; // back off, try again
            }
        })
        .await
        .unwrap_or_else(|e| panic!("the reporter starved: {e}"))
    });
    hog.await.unwrap();
    reporter.await.unwrap();
}

async fn hog(stats: Lock<u32>) {
    for _ in 0..10 {
        let mut guard = stats.lock().await;
        sleep(ms(1)).await; // a job
        *guard += 1;
        drop(guard);
        yield_now().await; // let the others in
    }
}

/// The fix: the reporter queues for the lock instead of polling it.
pub async fn starvation_fixed() {
    let stats = Lock::new(0u32);
    let hog = spawn_as("hog", hog(stats.clone()));
    let s = stats.clone();
    let reporter = spawn_as("reporter", async move {
        timeout(ms(10), async { *s.lock().await })
            .await
            .expect("the reporter starved")
    });
    hog.await.unwrap();
    reporter.await.unwrap();
}
