//! A task's own sleep lives in its arena slot, not in the timer slab (see
//! `src/runtime/timer_heap.rs`): what a program sees must not change. A
//! sleep that moves to another task, a sleep dropped before its deadline, a
//! task's second sleep and ties between the two kinds.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use seedloop::time::{sleep, sleep_until, Instant, Sleep};
use seedloop::{spawn, yield_now};

use crate::common::{fifo, poll_once, Log};

type Shared = Rc<RefCell<Option<Pin<Box<Sleep>>>>>;

/// Sleeps 5 s, counting in `polls` how often the task is polled meanwhile
/// (a wake by any other timer shows as a poll too many).
async fn sleep_5s_counting_polls(polls: &Cell<u32>) {
    let mut long = Box::pin(sleep(Duration::from_secs(5)));
    poll_fn(|cx| {
        polls.set(polls.get() + 1);
        long.as_mut().poll(cx)
    })
    .await;
}

/// A sleep set by one task (its own, resident) and then awaited by
/// another wakes the other, at its deadline, ahead of a sleep set later
/// for the same instant; the task that set it is not woken.
#[test]
fn a_sleep_moved_to_another_task_wakes_that_task_in_its_place() {
    let log = Log::new();
    let setter_polls = Rc::new(Cell::new(0));
    let at = Instant::ZERO + Duration::from_secs(1);
    fifo()
        .run({
            let (log, setter_polls) = (log.clone(), setter_polls.clone());
            async move {
                let handoff: Shared = Rc::default();
                let setter = spawn({
                    let (handoff, setter_polls) = (handoff.clone(), setter_polls.clone());
                    async move {
                        let mut s = Box::pin(sleep_until(at));
                        assert!(poll_once(&mut s).await.is_pending());
                        *handoff.borrow_mut() = Some(s);
                        // Wait far beyond the moved sleep, counting polls.
                        sleep_5s_counting_polls(&setter_polls).await;
                    }
                });
                yield_now().await;
                let taker = spawn({
                    let log = log.clone();
                    async move {
                        let s = handoff.borrow_mut().take().expect("handed off");
                        s.await;
                        log.say("taker");
                    }
                });
                let later = spawn({
                    let log = log.clone();
                    async move {
                        yield_now().await;
                        sleep_until(at).await;
                        log.say("later");
                    }
                });
                taker.await.unwrap();
                later.await.unwrap();
                setter.await.unwrap();
            }
        })
        .unwrap();
    assert_eq!(log.lines(), ["1.000 taker", "1.000 later"]);
    assert_eq!(setter_polls.get(), 2, "only its own long sleep woke it");
}

/// A sleep dropped before its deadline does not wake its task then.
#[test]
fn a_dropped_sleep_does_not_wake_its_task() {
    let polls = Rc::new(Cell::new(0));
    let end = fifo()
        .run({
            let polls = polls.clone();
            async move {
                {
                    let mut short = Box::pin(sleep(Duration::from_secs(1)));
                    assert!(poll_once(&mut short).await.is_pending());
                }
                sleep_5s_counting_polls(&polls).await;
                Instant::now()
            }
        })
        .unwrap();
    assert_eq!(end, Instant::ZERO + Duration::from_secs(5));
    assert_eq!(polls.get(), 2);
}

/// A task's second pending sleep is an ordinary timer; two sleeps due at
/// one instant fire in the order they were set, whichever kind each is.
#[test]
fn sleeps_due_together_fire_in_the_order_set_whatever_their_kind() {
    let log = Log::new();
    let at = Instant::ZERO + Duration::from_secs(2);
    fifo()
        .run({
            let log = log.clone();
            async move {
                let handoff: Shared = Rc::default();
                // The first sleep set is the setter's own (resident), the
                // second one it sets is an ordinary timer, awaited by `taker`.
                let setter = spawn({
                    let (log, handoff) = (log.clone(), handoff.clone());
                    async move {
                        let mut first = Box::pin(sleep_until(at));
                        assert!(poll_once(&mut first).await.is_pending());
                        let mut second = Box::pin(sleep_until(at));
                        assert!(poll_once(&mut second).await.is_pending());
                        *handoff.borrow_mut() = Some(second);
                        first.await;
                        log.say("first");
                    }
                });
                yield_now().await;
                let taker = spawn({
                    let log = log.clone();
                    async move {
                        let second = handoff.borrow_mut().take().expect("handed off");
                        second.await;
                        log.say("second");
                    }
                });
                setter.await.unwrap();
                taker.await.unwrap();
            }
        })
        .unwrap();
    assert_eq!(log.lines(), ["2.000 first", "2.000 second"]);
}

/// Cancelled while sleeping, tasks leave nothing behind: a thousand of
/// them, then one more sleep, end at that sleep's deadline.
#[test]
fn tasks_cancelled_while_sleeping_leave_nothing_to_fire() {
    let end = fifo()
        .run(async {
            for _ in 0..1000 {
                let t = spawn(sleep(Duration::from_secs(3600)));
                yield_now().await;
                t.cancel();
                assert!(t.await.unwrap_err().is_cancelled());
            }
            sleep(Duration::from_secs(1)).await;
            Instant::now()
        })
        .unwrap();
    assert_eq!(end, Instant::ZERO + Duration::from_secs(1));
}

/// A sleep polled with a stale waker (of the task that had the slot
/// before) wakes nobody: the running task is not taken for its owner.
#[test]
fn a_sleep_polled_with_a_stale_waker_does_not_wake_the_running_task() {
    use std::task::{Context, Waker};
    let polls = Rc::new(Cell::new(0));
    fifo()
        .run({
            let polls = polls.clone();
            async move {
                let stale: Rc<RefCell<Option<Waker>>> = Rc::default();
                let first = spawn({
                    let stale = stale.clone();
                    poll_fn(move |cx| {
                        *stale.borrow_mut() = Some(cx.waker().clone());
                        std::task::Poll::Ready(())
                    })
                });
                first.await.unwrap();
                // The next task takes the slot the first one left.
                let second = spawn(async move {
                    let stale = stale.borrow_mut().take().expect("kept");
                    let mut s = Box::pin(sleep(Duration::from_secs(1)));
                    let mut cx = Context::from_waker(&stale);
                    assert!(s.as_mut().poll(&mut cx).is_pending());
                    sleep_5s_counting_polls(&polls).await;
                    drop(s);
                });
                second.await.unwrap();
            }
        })
        .unwrap();
    assert_eq!(polls.get(), 2, "the sleep at 1 s woke nobody");
}

/// A report lists what a task sleeps until, from its resident sleep and
/// from its other sleeps alike.
#[test]
fn a_report_lists_a_tasks_sleeps_of_both_kinds() {
    use seedloop::{Sim, SimError};
    let err = Sim::new(1)
        .time_limit(Duration::from_secs(60))
        .run(async {
            // The first is the task's own sleep, the second an ordinary timer.
            let mut far = Box::pin(sleep(Duration::from_secs(70)));
            assert!(poll_once(&mut far).await.is_pending());
            sleep(Duration::from_secs(63)).await;
            far.await;
        })
        .unwrap_err();
    let SimError::TimeLimit(report) = &err else {
        panic!("expected a time limit, got {err}");
    };
    assert_eq!(
        report.tasks[0].waits,
        ["sleep until 63.000000", "sleep until 70.000000"],
        "{err}"
    );
}
