//! A retry that is not idempotent: the client deposits 10 and, when no
//! answer comes within 100 ms, sends the deposit again. If the first one
//! did reach the bank (its answer was what got held up, by a partition or
//! a crash), the money is deposited twice.
//!
//! The fix: every deposit carries an id, and the bank applies each id once.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io;
use std::rc::Rc;

use seedloop::net::{self, TcpListener};
use seedloop::sleep;

use super::{call, receive, send, with_faults};
use crate::programs::ms;

const DEPOSIT: u8 = 1;
const BALANCE: u8 = 2;
const DONE: u8 = 3;

pub fn network() -> net::Config {
    with_faults()
}

/// The bank's disk: the balance and the deposit ids applied.
#[derive(Default)]
struct Ledger {
    balance: u64,
    applied: BTreeSet<u64>,
}

/// `DEPOSIT id` adds 10 (once per id if `dedupe`); `BALANCE` answers it.
async fn bank(ledger: Rc<RefCell<Ledger>>, dedupe: bool) -> io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    loop {
        let (mut conn, _) = listener.accept().await?;
        let ledger = ledger.clone();
        seedloop::spawn(async move {
            while let Ok((tag, n)) = receive(&mut conn).await {
                let balance = {
                    let mut l = ledger.borrow_mut();
                    if tag == DEPOSIT && (!dedupe || l.applied.insert(n)) {
                        l.balance += 10;
                    }
                    l.balance
                };
                send(&mut conn, DONE, balance).await?;
            }
            Ok::<_, io::Error>(())
        })
        .detach();
    }
}

async fn run(dedupe: bool) {
    let ledger: Rc<RefCell<Ledger>> = Rc::default();
    net::host("bank", move || bank(ledger.clone(), dedupe));
    // One deposit, id 7, tried until it is confirmed (at most 20 times).
    let mut confirmed = false;
    for _ in 0..20 {
        if call("bank:7000", DEPOSIT, 7, ms(100)).await.is_ok() {
            confirmed = true;
            break;
        }
    }
    sleep(ms(5000)).await; // every outage is over
    if let (true, Ok((_, balance))) = (confirmed, call("bank:7000", BALANCE, 0, ms(500)).await) {
        assert_eq!(balance, 10, "one deposit of 10, balance {balance}");
    }
}

pub async fn retry_not_idempotent() {
    run(false).await;
}

pub async fn retry_not_idempotent_fixed() {
    run(true).await;
}
