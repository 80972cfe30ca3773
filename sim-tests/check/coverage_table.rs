//! The coverage table a check prints, as the docs show it (its own file, so
//! that the places it names do not move when other tests change).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use seedloop::check::Check;
use seedloop::{assert_always, assert_reachable, assert_sometimes, buggify, sleep, spawn, Policy};

/// A reader waits 10 ms for a writer whose disk may stall (a fault site).
async fn reader_and_writer() {
    let flag = Rc::new(Cell::new(false));
    let f = flag.clone();
    let writer = spawn(async move {
        if buggify!() {
            sleep(Duration::from_millis(20)).await; // a slow disk
        }
        f.set(true);
    });
    let early = seedloop::timeout(Duration::from_millis(10), async {
        while !flag.get() {
            sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_sometimes!(early.is_err(), "the reader timed out");
    assert_always!(writer.await.is_ok(), "the writer finishes");
    assert_reachable!("the end");
    if buggify!(0.0) {
        unreachable!("a site with chance 0 never fires");
    }
}

#[test]
fn the_table_reads_as_documented() {
    let check = || Check::new().threads(1);
    let summary = check().seeds(0..100).run(reader_and_writer);
    crate::snapshot!("check_coverage_table", summary.to_string());
    let err = check()
        .policy(Policy::Fifo)
        .seeds(0..1)
        .try_run(|| async { assert_sometimes!(false, "something rare") })
        .unwrap_err();
    crate::snapshot!("check_unexercised_report", err.to_string());
}
