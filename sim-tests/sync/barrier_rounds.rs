//! Barrier rounds at their edges: a reset while broken parties are still
//! inside, and the round size a barrier reports.

use seedloop::sync::{Barrier, BrokenBarrier};
use seedloop::task::Builder;
use seedloop::{spawn, yield_now};

use crate::common::{fifo, poll_once};

#[test]
fn a_barrier_reports_its_round_size() {
    assert_eq!(Barrier::new(1).unwrap().parties(), 1);
    assert_eq!(Barrier::new(3).unwrap().parties(), 3);
}

/// `reset` breaks the party waiting, but until it has run it is still
/// inside: a newcomer waits for it to leave, and does not count it towards
/// the new round.
#[test]
fn after_a_reset_a_newcomer_waits_for_the_broken_parties_to_leave() {
    fifo()
        .run(async {
            let barrier = Barrier::new(2).unwrap();
            let b = barrier.clone();
            let a = Builder::new()
                .name("a")
                .spawn(async move { b.wait().await });
            yield_now().await; // a arrives: 1/2
            barrier.reset(); // a is broken, and has not left yet
            let mut newcomer = barrier.wait();
            assert!(
                poll_once(&mut newcomer).await.is_pending(),
                "a broken party is no part of the new round"
            );
            assert_eq!(barrier.n_waiting(), 0, "the barrier is resetting");
            assert_eq!(a.await.unwrap(), Err(BrokenBarrier));
            assert_eq!(barrier.n_waiting(), 1, "a left: the newcomer entered");
            let b = barrier.clone();
            let last = spawn(async move { b.wait().await });
            assert_eq!(newcomer.await, Ok(0));
            assert_eq!(last.await.unwrap(), Ok(1));
        })
        .unwrap();
}
