//! **A read-modify-write cut in two by a cancel.** Two bookkeepers each
//! append an entry to their own ledger. Not to hold a `RefCell` borrow
//! across an await, each takes the entries out of the ledger
//! (`mem::take`), appends, writes the whole ledger to disk (2 ms), and only
//! then puts the entries back.
//!
//! Nothing else touches a ledger, so no order of the tasks breaks it: the
//! program passes under every schedule that cancels nothing. A cancel that
//! lands while a bookkeeper waits for the disk (its first await; one
//! deviation, found with `Check::inject_cancels`) drops the entries it
//! holds: the ledger is left empty. Fix: modify the ledger in place, with
//! no await between the read and the write, and write a copy to disk after.

use std::cell::RefCell;
use std::rc::Rc;

use seedloop::sleep;
use seedloop::task::Builder;

use super::ms;

type Ledger = Rc<RefCell<Vec<&'static str>>>;

/// Two ledgers with their opening entries; each gets one more. A cancel
/// may drop the new entry, never the old ones.
pub async fn cancelled_read_modify_write() {
    run(record).await;
}

/// The fix: the same bookkeepers, cancel-safe.
pub async fn cancelled_read_modify_write_fixed() {
    run(record_fixed).await;
}

async fn run<F, Fut>(record: F)
where
    F: Fn(Ledger, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let ledgers: Vec<Ledger> = (0..2)
        .map(|_| Rc::new(RefCell::new(vec!["opening balance"])))
        .collect();
    let bookkeepers: Vec<_> = ledgers
        .iter()
        .zip(["bookkeeper-a", "bookkeeper-b"])
        .map(|(ledger, name)| {
            Builder::new()
                .name(name)
                .cancellable_by_check(true)
                .spawn(record(ledger.clone(), "invoice 17"))
        })
        .collect();
    for b in bookkeepers {
        let _ = b.await; // finished or cancelled: both are fine
    }
    for ledger in &ledgers {
        assert!(
            ledger.borrow().first() == Some(&"opening balance"),
            "the ledger lost its entries: {:?}",
            ledger.borrow()
        );
    }
}

/// The bug: the entries are out of the ledger while the disk write waits.
async fn record(ledger: Ledger, entry: &'static str) {
    let mut entries = std::mem::take(&mut *ledger.borrow_mut());
    entries.push(entry);
    write_to_disk(entries.clone()).await;
    *ledger.borrow_mut() = entries;
}

/// The fix: read, modify and write the ledger with no await between; the
/// disk gets a copy.
async fn record_fixed(ledger: Ledger, entry: &'static str) {
    ledger.borrow_mut().push(entry);
    let copy = ledger.borrow().clone();
    write_to_disk(copy).await;
}

async fn write_to_disk(entries: Vec<&'static str>) {
    sleep(ms(2)).await;
    drop(entries);
}
