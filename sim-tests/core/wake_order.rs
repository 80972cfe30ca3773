//! A task woken during its own poll joins the ready set's tail when the poll
//! returns: whatever that poll made ready runs first (asyncio reschedules a
//! task at the end of its step; `yield_now` promises every ready task runs
//! before the caller goes on).

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use seedloop::{spawn, timeout, yield_now};

use crate::common::fifo;

type Order = Rc<RefCell<Vec<&'static str>>>;

/// Spawns a child that notes it ran, yields, and notes that main went on.
async fn spawn_then_yield(order: Order) {
    let child = {
        let order = order.clone();
        spawn(async move { order.borrow_mut().push("child") })
    };
    yield_now().await;
    order.borrow_mut().push("main after yield");
    child.await.unwrap();
}

/// The case: an elapsed `timeout(ZERO, yield_now())` woke main and
/// was dropped in the same poll.
#[test]
fn a_yield_after_an_elapsed_zero_timeout_lets_the_new_child_run_first() {
    let order: Order = Rc::default();
    let o = order.clone();
    fifo()
        .run(async move {
            let elapsed = timeout(Duration::ZERO, yield_now()).await;
            assert!(elapsed.is_err(), "the zero timeout elapses");
            spawn_then_yield(o).await;
        })
        .unwrap();
    assert_eq!(*order.borrow(), ["child", "main after yield"]);
}

/// The same with a select-like drop: a yielding future polled once and
/// dropped within the poll that woke the task.
#[test]
fn a_yield_dropped_by_a_select_does_not_keep_the_task_ahead() {
    let order: Order = Rc::default();
    let o = order.clone();
    fifo()
        .run(async move {
            {
                let mut yielding = pin!(yield_now());
                poll_fn(|cx| {
                    assert!(yielding.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
            }
            spawn_then_yield(o).await;
        })
        .unwrap();
    assert_eq!(*order.borrow(), ["child", "main after yield"]);
}

/// Everything a poll makes ready (a spawned task, a woken task, a
/// `call_soon` callback) goes before the task that woke itself in it.
#[test]
fn a_task_that_wakes_itself_goes_behind_what_its_poll_made_ready() {
    let order: Order = Rc::default();
    let o = order.clone();
    fifo()
        .run(async move {
            let first_spawned = {
                let o = o.clone();
                spawn(async move { o.borrow_mut().push("spawned before the wake") })
            };
            let o2 = o.clone();
            let later = Rc::new(RefCell::new(None));
            let later_slot = later.clone();
            let mut once = false;
            poll_fn(move |cx| {
                if once {
                    o2.borrow_mut().push("main again");
                    return Poll::Ready(());
                }
                once = true;
                cx.waker().wake_by_ref();
                let o3 = o2.clone();
                seedloop::call_soon(move || o3.borrow_mut().push("callback"));
                let o4 = o2.clone();
                *later_slot.borrow_mut() = Some(spawn(async move {
                    o4.borrow_mut().push("spawned after the wake")
                }));
                // Woken again in the same poll: still queued once, at the tail.
                cx.waker().wake_by_ref();
                Poll::Pending
            })
            .await;
            first_spawned.await.unwrap();
            let later = later
                .borrow_mut()
                .take()
                .expect("spawned in the first poll");
            later.await.unwrap();
        })
        .unwrap();
    assert_eq!(
        *order.borrow(),
        [
            "spawned before the wake",
            "callback",
            "spawned after the wake",
            "main again"
        ]
    );
}
