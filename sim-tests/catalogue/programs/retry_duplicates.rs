//! **A bug that needs a fault: a retried deposit applied twice.** A client
//! deposits 10 through a link that may lose the server's reply (a
//! `buggify!()` site on the reply). The server applies the deposit and
//! replies; a client that hears nothing in 20 ms sends the deposit again,
//! and the server applies it a second time: the balance is 20.
//!
//! No schedule alone shows it: every order of the tasks delivers the reply
//! in time. It takes two fault decisions: the reply site enabled in the run
//! and one reply lost. Fix: each deposit carries an id, and the server
//! applies an id once and answers a duplicate from what it applied (an
//! idempotency key).
//!
//! It is not in [`CATALOGUE`](super::CATALOGUE): every program there passes
//! under `Policy::Fifo` for every seed, while a fault site decides from the
//! seed under any policy. Its tests are in `sim-tests/catalogue/bugs.rs`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use seedloop::queue::Queue;
use seedloop::{assert_always, assert_reachable, buggify, sleep, timeout};

use super::{ms, spawn_as};

/// A deposit: its id (the same for a retry) and amount.
type Deposit = (u64, u64);

/// After one deposit of 10 the balance is 10.
pub async fn retry_duplicates() {
    run(false).await;
}

/// The fix: the server applies each deposit id once.
pub async fn retry_duplicates_fixed() {
    run(true).await;
}

async fn run(idempotent: bool) {
    let requests: Rc<Queue<Deposit>> = Rc::new(Queue::new(0));
    let replies: Rc<Queue<u64>> = Rc::new(Queue::new(0));
    let balance = Rc::new(Cell::new(0));
    let (q, r, b) = (requests.clone(), replies.clone(), balance.clone());
    let server = spawn_as("server", async move {
        let applied = RefCell::new(BTreeSet::new());
        loop {
            let (id, amount) = q.get().await.unwrap();
            if !idempotent || applied.borrow_mut().insert(id) {
                b.set(b.get() + amount);
            } else {
                assert_reachable!("a duplicate deposit is answered, not applied");
            }
            sleep(ms(5)).await; // the reply crosses the network
            if buggify!() {
                continue; // the reply is lost
            }
            r.put(id).await.unwrap();
        }
    });
    let client = spawn_as("client", async move {
        let id = 1;
        loop {
            requests.put((id, 10)).await.unwrap();
            if timeout(ms(20), replies.get()).await.is_ok() {
                return;
            }
        }
    });
    client.await.unwrap();
    server.cancel();
    assert_always!(balance.get() >= 10, "a deposit is never lost");
    assert!(balance.get() == 10, "the deposit was applied twice");
}
