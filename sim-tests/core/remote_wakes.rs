//! Wakes from outside the running loop reach their own run: from a thread
//! where another runtime is current, and from another thread while the loop
//! is firing timers, just before it would park.

use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use seedloop::{sleep, Policy, Sim};

/// Main's poll count when it returns.
fn polls_until_done(sim: &mut Sim, body: impl FnMut(&mut Context<'_>, u32) -> Poll<()>) -> u32 {
    let mut body = body;
    let mut polls = 0;
    sim.run(poll_fn(move |cx| {
        polls += 1;
        body(cx, polls).map(|()| polls)
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Main hands its waker to another thread, which runs a run of its own in
/// which that waker is woken, and waits for it to end. The wake is for this
/// run, not for the run current on the waking thread: main is polled again.
#[test]
fn a_wake_from_a_thread_running_another_runtime_reaches_its_own_run() {
    let mut sim = Sim::new(1).policy(Policy::Fifo);
    let polls = polls_until_done(&mut sim, |cx, polls| {
        if polls > 1 {
            return Poll::Ready(());
        }
        let waker = cx.waker().clone();
        std::thread::spawn(move || {
            Sim::new(2)
                .run(async move {
                    waker.wake();
                    sleep(Duration::from_millis(1)).await;
                })
                .unwrap();
        })
        .join()
        .unwrap();
        Poll::Pending
    });
    assert_eq!(polls, 2);
}

/// A waker that passes each wake on to `0` from a thread of its own,
/// returning once that thread has.
struct WakeFromAnotherThread(Waker);

impl Wake for WakeFromAnotherThread {
    fn wake(self: Arc<Self>) {
        let waker = self.0.clone();
        std::thread::spawn(move || waker.wake()).join().unwrap();
    }
}

/// Main waits on a sleep through a waker that wakes main from another
/// thread: the wake arrives while the loop fires the due timer, after it
/// took the earlier wakes from other threads and before it decides whether
/// anything is left to wait for. It is not lost (no deadlock).
#[test]
fn a_wake_from_another_thread_while_timers_fire_is_not_lost() {
    let mut sim = Sim::new(1).policy(Policy::Fifo);
    let mut waiting = None;
    let polls = polls_until_done(&mut sim, |cx, _| {
        let (slept, relay) = waiting.get_or_insert_with(|| {
            let relay = Waker::from(Arc::new(WakeFromAnotherThread(cx.waker().clone())));
            (Box::pin(sleep(Duration::from_millis(5))), relay)
        });
        slept.as_mut().poll(&mut Context::from_waker(relay))
    });
    assert_eq!(polls, 2);
}
