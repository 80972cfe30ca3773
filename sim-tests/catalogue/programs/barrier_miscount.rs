//! **Barrier miscount.** Three workers start up, taking 0, 1 and 2 ms (in
//! an order drawn from the seed), and register; a coordinator closes
//! registration at 2 ms, sizes the barrier from the count it sees, and every
//! worker then waits on the barrier.
//!
//! The slowest worker registers at 2 ms, the instant registration closes.
//! Under FIFO its timer was set before the coordinator's, so the count is 3.
//! If the coordinator runs first (one deviation), the barrier is sized for 2:
//! two workers pass, the third waits for a round that never fills. Fix: size
//! the barrier from the number of workers started, not from a racy count.

use std::cell::Cell;
use std::rc::Rc;

use seedloop::sleep;
use seedloop::sync::Barrier;
use seedloop::task::Promise;

use super::{ms, spawn_as};

/// Three workers meet at a barrier sized by a coordinator.
pub async fn barrier_miscount() {
    run(false).await;
}

/// The fix: the barrier is sized for the workers that were started.
pub async fn barrier_miscount_fixed() {
    run(true).await;
}

async fn run(size_from_workers_started: bool) {
    let mut startup = [0, 1, 2];
    for i in (1..startup.len()).rev() {
        startup.swap(i, seedloop::random::range(0..i as u64 + 1) as usize);
    }
    let registered = Rc::new(Cell::new(0));
    let barrier = Promise::new();
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let work = work(startup[i], registered.clone(), barrier.clone());
            spawn_as(&format!("worker-{i}"), work)
        })
        .collect();
    let (started, r, b) = (workers.len(), registered.clone(), barrier.clone());
    let coordinator = spawn_as("coordinator", async move {
        sleep(ms(2)).await; // registration closes
        let parties = if size_from_workers_started {
            started
        } else {
            r.get()
        };
        b.set(Barrier::new(parties).unwrap()).unwrap();
    });
    coordinator.await.unwrap();
    for w in workers {
        w.await.unwrap();
    }
    assert_eq!(registered.get(), 3);
}

async fn work(startup_ms: u64, registered: Rc<Cell<usize>>, barrier: Promise<Barrier>) {
    sleep(ms(startup_ms)).await;
    registered.set(registered.get() + 1);
    let barrier = barrier.wait().await.unwrap();
    barrier.wait().await.unwrap();
}
