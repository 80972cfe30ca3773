//! **Lost update across an await.** Two deposits each read the balance
//! under the lock, let the lock go while a fraud check runs (an await),
//! then take it again to write `balance + amount`. The lock makes each
//! access safe but not the read-modify-write as a whole.
//!
//! Bob's deposit starts at 1 ms, the instant Alice's check completes. Under
//! FIFO Alice's timer was set first, so she writes before Bob reads. If Bob
//! runs first at that instant (one deviation), both start from 100 and
//! Alice's deposit is overwritten. Fix: hold the guard across the await.

use seedloop::sleep;
use seedloop::sync::Lock;

use super::{ms, spawn_as};

/// Alice deposits 10 at 0 ms, Bob 20 at 1 ms; the balance must end at 130.
pub async fn lost_update() {
    let account = Lock::new(100);
    let alice = spawn_as("alice", deposit(account.clone(), 10, 0));
    let bob = spawn_as("bob", deposit(account.clone(), 20, 1));
    alice.await.unwrap();
    bob.await.unwrap();
    assert_eq!(*account.lock().await, 130, "a deposit was lost");
}

async fn deposit(account: Lock<i64>, amount: i64, at_ms: u64) {
    sleep(ms(at_ms)).await;
    let balance = *account.lock().await; // the guard is dropped here
    sleep(ms(1)).await; // the fraud check
    *account.lock().await = balance + amount;
}

/// The fix: one guard for the whole read-modify-write.
pub async fn lost_update_fixed() {
    let account = Lock::new(100);
    let alice = spawn_as("alice", deposit_fixed(account.clone(), 10, 0));
    let bob = spawn_as("bob", deposit_fixed(account.clone(), 20, 1));
    alice.await.unwrap();
    bob.await.unwrap();
    assert_eq!(*account.lock().await, 130, "a deposit was lost");
}

async fn deposit_fixed(account: Lock<i64>, amount: i64, at_ms: u64) {
    sleep(ms(at_ms)).await;
    let mut balance = account.lock().await;
    sleep(ms(1)).await;
    *balance += amount;
}
