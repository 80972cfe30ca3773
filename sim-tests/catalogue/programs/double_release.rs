//! **Double release.** A worker takes the pool's only permit asyncio-style
//! (`acquire` then `forget`, `release()` by hand) for a 10 ms job. A
//! watchdog checks at 10 ms: if the job is not done it assumes the worker is
//! stuck and releases the permit for it.
//!
//! Under FIFO the worker's timer was set first: the job is done when the
//! watchdog looks. If the watchdog runs first at 10 ms (one deviation), it
//! releases the permit and then the worker releases it again; the
//! `BoundedSemaphore` refuses the second release (a plain `Semaphore` would
//! silently grow to two permits). Fix: one owner per permit: the watchdog
//! cancels the stuck worker, whose permit guard releases it exactly once.

use std::cell::Cell;
use std::rc::Rc;

use seedloop::sleep;
use seedloop::sync::BoundedSemaphore;

use super::{ms, spawn_as};

/// A 10 ms job on a pool of one, watched by a watchdog.
pub async fn double_release() {
    let pool = BoundedSemaphore::new(1);
    let done = Rc::new(Cell::new(false));
    let (p, d) = (pool.clone(), done.clone());
    let worker = spawn_as("worker", async move {
        p.acquire().await.forget();
        sleep(ms(10)).await; // the job
        d.set(true);
        if let Err(e) = p.release() {
            panic!("the worker's release failed: {e}");
        }
    });
    let (p, d) = (pool.clone(), done.clone());
    let watchdog = spawn_as("watchdog", async move {
        sleep(ms(10)).await;
        if !d.get() {
            p.release().unwrap(); // the worker looks stuck: free its permit
        }
    });
    worker.await.unwrap();
    watchdog.await.unwrap();
    assert_eq!(pool.available(), 1);
}

/// The fix: the watchdog cancels a stuck worker; the permit guard is its
/// only release.
pub async fn double_release_fixed() {
    let pool = BoundedSemaphore::new(1);
    let done = Rc::new(Cell::new(false));
    let (p, d) = (pool.clone(), done.clone());
    let worker = spawn_as("worker", async move {
        let _permit = p.acquire().await;
        sleep(ms(10)).await;
        d.set(true);
    });
    let d = done.clone();
    let watchdog = spawn_as("watchdog", async move {
        sleep(ms(10)).await;
        if !d.get() {
            worker.cancel();
        }
        let _ = worker.await;
    });
    watchdog.await.unwrap();
    assert_eq!(pool.available(), 1);
}
