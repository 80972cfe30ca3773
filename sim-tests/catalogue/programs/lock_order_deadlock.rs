//! **Lock-order deadlock.** Two transfers lock the source account, check
//! the balance with the bank (1 ms), then lock the destination: one goes
//! a → b, the other b → a.
//!
//! The second transfer starts at 1 ms, the instant the first one wants its
//! second lock. Under FIFO the first one's timer was set first: it takes `b`
//! and finishes before the second starts. If the second runs first at that
//! instant (one deviation), it takes `b` while the first holds `a`, and each
//! waits for the other's lock. Fix: take locks in one global order.

use seedloop::sleep;
use seedloop::sync::Lock;

use super::{ms, spawn_as};

/// a → b at 0 ms and b → a at 1 ms; the total must stay 200.
pub async fn lock_order_deadlock() {
    let (a, b) = (Lock::new(100), Lock::new(100));
    let ab = spawn_as("a-to-b", transfer(a.clone(), b.clone(), 10, 0));
    let ba = spawn_as("b-to-a", transfer(b.clone(), a.clone(), 20, 1));
    ab.await.unwrap();
    ba.await.unwrap();
    assert_eq!(*a.lock().await + *b.lock().await, 200);
}

async fn transfer(from: Lock<i64>, to: Lock<i64>, amount: i64, at_ms: u64) {
    sleep(ms(at_ms)).await;
    let mut source = from.lock().await;
    sleep(ms(1)).await; // check the balance with the bank
    let mut destination = to.lock().await;
    *source -= amount;
    *destination += amount;
}

/// The fix: every transfer locks account `a` before account `b`.
pub async fn lock_order_deadlock_fixed() {
    let (a, b) = (Lock::new(100), Lock::new(100));
    let ab = spawn_as("a-to-b", transfer_ordered(a.clone(), b.clone(), 10, 0));
    let ba = spawn_as("b-to-a", transfer_ordered(a.clone(), b.clone(), -20, 1));
    ab.await.unwrap();
    ba.await.unwrap();
    assert_eq!(*a.lock().await + *b.lock().await, 200);
}

/// Moves `amount` from `a` to `b` (a negative amount goes the other way).
async fn transfer_ordered(a: Lock<i64>, b: Lock<i64>, amount: i64, at_ms: u64) {
    sleep(ms(at_ms)).await;
    let mut first = a.lock().await;
    sleep(ms(1)).await;
    let mut second = b.lock().await;
    *first -= amount;
    *second += amount;
}
