//! **Cancellation between two steps that should be atomic.** A transfer
//! withdraws, writes a journal entry (2 ms), then deposits. At 1 ms a
//! shutdown is requested; the supervisor gives in-flight work a 1 ms grace
//! period, then cancels the worker.
//!
//! The grace period ends at 2 ms, the instant the journal write completes.
//! Under FIFO the worker's timer was set first: it deposits and finishes
//! before the supervisor cancels. If the supervisor runs first at 2 ms (one
//! deviation), the worker is dropped between withdrawal and deposit and the
//! money is gone. Fix: `shield` the two steps, so cancelling the worker does
//! not cut them apart.

use std::cell::Cell;
use std::rc::Rc;

use seedloop::sleep;
use seedloop::task::shield;

use super::{ms, spawn_as};

/// Moves 30 from one account to the other; cancellation may stop the
/// transfer, but the total must stay 100.
pub async fn cancel_between_steps() {
    let (from, to) = (Rc::new(Cell::new(100)), Rc::new(Cell::new(0)));
    let worker = spawn_as("worker", transfer(from.clone(), to.clone(), 30));
    sleep(ms(1)).await; // shutdown requested
    sleep(ms(1)).await; // grace period
    worker.cancel();
    let _ = worker.await;
    assert_eq!(from.get() + to.get(), 100, "money vanished");
}

async fn transfer(from: Rc<Cell<i64>>, to: Rc<Cell<i64>>, amount: i64) {
    from.set(from.get() - amount);
    sleep(ms(2)).await; // write the journal entry
    to.set(to.get() + amount);
}

/// The fix: the transfer runs shielded; cancelling the worker leaves it whole.
pub async fn cancel_between_steps_fixed() {
    let (from, to) = (Rc::new(Cell::new(100)), Rc::new(Cell::new(0)));
    let (f, t) = (from.clone(), to.clone());
    let worker = spawn_as("worker", async move {
        let _ = shield(transfer(f, t, 30)).await;
    });
    sleep(ms(1)).await;
    sleep(ms(1)).await;
    worker.cancel();
    let _ = worker.await;
    assert_eq!(from.get() + to.get(), 100, "money vanished");
}
