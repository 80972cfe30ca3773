//! Timeouts beyond the tutorial: nested timeouts that expire together (the
//! outermost reports, as in asyncio), moving a running timeout's deadline
//! (asyncio's `Timeout.reschedule`), and a timeout around a borrowed task.
//! Expected lines are CPython's on a virtual clock
//! (`sim-tests/asyncio/asyncio_extras.py SCENARIO`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use seedloop::time::{timeout_at, timeout_scope, Elapsed, Instant};
use seedloop::{sleep, spawn, timeout, yield_now};

use crate::common::{fifo, secs, Log};
use crate::task_extras::assert_cpython;

/// Says `msg` when dropped.
struct SayOnDrop(Log, &'static str);

impl Drop for SayOnDrop {
    fn drop(&mut self) {
        self.0.say(self.1);
    }
}

#[test]
fn nested_timeouts_with_the_same_deadline_the_outer_one_expires() {
    // python3 asyncio_extras.py nested_timeouts_same_deadline
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let body = async move {
                let _guard = SayOnDrop(l2, "sleep dropped");
                sleep(secs(5.0)).await;
            };
            match timeout(secs(1.0), timeout(secs(1.0), body)).await {
                Err(e) => {
                    assert_eq!(e.deadline().as_secs_f64(), 1.0);
                    l.say("outer expired");
                }
                Ok(Err(_)) => l.say("inner expired"),
                Ok(Ok(())) => l.say("finished"),
            }
        })
        .unwrap();
    // CPython also prints "inner passes the cancel on": its inner timeout
    // sees the cancel go by; seedloop's inner timeout is simply dropped.
    assert_eq!(log.lines(), ["1.000 sleep dropped", "1.000 outer expired"]);
    if let Some(mut cpython) = crate::task_extras::cpython_lines("nested_timeouts_same_deadline") {
        cpython.retain(|l| !l.ends_with("inner passes the cancel on"));
        assert_eq!(cpython, log.lines());
    }
}

#[test]
fn nested_timeouts_with_an_earlier_inner_deadline_the_inner_one_expires() {
    // python3 asyncio_extras.py nested_timeouts_inner_first
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let out = timeout(secs(2.0), async move {
                if timeout(secs(1.0), sleep(secs(5.0))).await.is_err() {
                    l2.say("inner expired");
                }
                sleep(secs(5.0)).await;
            })
            .await;
            if out.is_err() {
                l.say("outer expired");
            }
        })
        .unwrap();
    assert_cpython(
        "nested_timeouts_inner_first",
        log.lines(),
        &["1.000 inner expired", "2.000 outer expired"],
    );
}

#[test]
fn three_nested_timeouts_with_the_same_deadline_the_outermost_reports() {
    fifo()
        .run(async {
            let d = secs(1.0);
            let out = timeout(d, timeout(d, timeout(d, sleep(secs(9.0))))).await;
            assert!(out.is_err(), "got {out:?}");
            // Only the two outer ones share a deadline: the outer of them reports.
            let out = timeout(secs(3.0), timeout(d, timeout(d, sleep(secs(9.0))))).await;
            assert!(matches!(out, Ok(Err(_))), "got {out:?}");
            assert_eq!(Instant::now().as_secs_f64(), 2.0);
        })
        .unwrap();
}

#[test]
fn an_inner_timeout_inside_a_join_steps_aside_for_the_outer_one() {
    fifo()
        .run(async {
            let d = secs(1.0);
            let out = timeout(d, async {
                futures::join!(timeout(d, sleep(secs(5.0))), sleep(secs(5.0))).0
            })
            .await;
            assert!(out.is_err(), "got {out:?}");
        })
        .unwrap();
}

#[test]
fn an_inner_output_at_the_deadline_still_wins() {
    fifo()
        .run(async {
            let d = secs(1.0);
            let out = timeout(d, timeout(d, sleep(d))).await;
            assert_eq!(out, Ok(Ok(())));
        })
        .unwrap();
}

#[test]
fn the_same_deadline_from_a_zero_timeout_expires_the_outer_one() {
    fifo()
        .run(async {
            let z = secs(0.0);
            let out = timeout(z, timeout(z, yield_now())).await;
            assert!(out.is_err(), "got {out:?}");
            assert_eq!(Instant::now(), Instant::ZERO);
        })
        .unwrap();
}

/// Counts its wake-ups.
#[derive(Default)]
struct CountWakes(AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls a borrowed future once with its own waker, then stays pending.
struct PollOnceWith<'a, F> {
    inner: &'a mut F,
    waker: Waker,
}

impl<F: Future + Unpin> Future for PollOnceWith<'_, F> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let waker = self.waker.clone();
        let mut cx = Context::from_waker(&waker);
        let _ = Pin::new(&mut *self.inner).poll(&mut cx);
        Poll::Pending
    }
}

#[test]
fn an_inner_timeout_that_outlives_the_outer_one_is_woken_to_report() {
    fifo()
        .run(async {
            let d = secs(1.0);
            let wakes = Arc::new(CountWakes::default());
            let mut inner = timeout(d, sleep(secs(5.0)));
            let waker = Waker::from(wakes.clone());
            // The outer timeout wraps a future that borrows `inner`: when the
            // outer one reports, `inner` (which stepped aside) lives on, and
            // only a wake-up tells its owner to poll it again.
            let out = timeout(
                d,
                PollOnceWith {
                    inner: &mut inner,
                    waker,
                },
            )
            .await;
            assert!(out.is_err());
            // Once by its own timer at 1 s (which woke the task, whose poll
            // saw both deadlines passed), once after stepping aside.
            assert_eq!(wakes.0.load(Ordering::SeqCst), 2);
            assert_eq!(inner.await, Err(Elapsed::clone(&out.unwrap_err())));
        })
        .unwrap();
}

#[test]
fn an_owned_inner_timeout_that_stepped_aside_is_not_woken() {
    let mut sim = fifo();
    sim.run(async {
        let d = secs(1.0);
        assert!(timeout(d, timeout(d, sleep(secs(5.0)))).await.is_err());
    })
    .unwrap();
    // main: polled at 0 (arms both timers) and at 1 (reports), nothing more.
    let polls = sim
        .trace()
        .render()
        .lines()
        .filter(|l| l.contains("poll"))
        .count();
    assert_eq!(polls, 2, "{}", sim.trace().render());
}

#[test]
fn a_timeout_moved_from_inside_expires_at_the_new_deadline() {
    // python3 asyncio_extras.py reschedule_from_inside
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let l2 = l.clone();
            let mut scope = timeout_scope(secs(1.0), |cm| async move {
                for _ in 0..3 {
                    sleep(secs(0.9)).await;
                    l2.say("message");
                    cm.reset(Instant::now() + secs(1.0));
                }
                sleep(secs(5.0)).await;
            });
            let cm = scope.handle();
            if scope.await.is_err() {
                l.say(format!("expired: {}", crate::common::py(cm.is_expired())));
            }
        })
        .unwrap();
    assert_cpython(
        "reschedule_from_inside",
        log.lines(),
        &[
            "0.900 message",
            "1.800 message",
            "2.700 message",
            "3.700 expired: True",
        ],
    );
}

#[test]
fn a_timeout_moved_earlier_by_another_task_fires_then() {
    fifo()
        .run(async {
            let mut t = timeout(secs(10.0), sleep(secs(20.0)));
            let cm = t.handle();
            spawn(async move {
                sleep(secs(2.0)).await;
                cm.reset(Instant::now() + secs(1.0));
            })
            .detach();
            let err = t.await.unwrap_err();
            assert_eq!(err.deadline().as_secs_f64(), 3.0);
            assert_eq!(Instant::now().as_secs_f64(), 3.0);
        })
        .unwrap();
}

#[test]
fn a_timeout_moved_into_the_past_from_inside_reports_at_once() {
    fifo()
        .run(async {
            let out = timeout_scope(secs(10.0), |cm| async move {
                sleep(secs(1.0)).await;
                cm.reset(Instant::ZERO);
                assert_eq!(cm.deadline(), Instant::ZERO);
                sleep(secs(1.0)).await;
            })
            .await;
            assert_eq!(out.unwrap_err().deadline(), Instant::ZERO);
            assert_eq!(Instant::now().as_secs_f64(), 1.0);
        })
        .unwrap();
}

#[test]
fn resetting_a_finished_timeout_does_nothing() {
    fifo()
        .run(async {
            let mut t = timeout(secs(1.0), async { 5 });
            let cm = t.handle();
            assert_eq!(t.await, Ok(5));
            cm.reset(Instant::ZERO);
            assert_eq!(cm.deadline().as_secs_f64(), 1.0);
            assert!(!cm.is_expired());
        })
        .unwrap();
}

#[test]
fn reset_before_the_first_poll_and_timeout_at() {
    fifo()
        .run(async {
            let mut t = timeout_at(Instant::ZERO + secs(1.0), sleep(secs(3.0)));
            t.reset(Instant::ZERO + secs(2.0));
            assert_eq!(t.deadline().as_secs_f64(), 2.0);
            assert!(t.await.is_err());
            assert_eq!(Instant::now().as_secs_f64(), 2.0);
        })
        .unwrap();
}

#[test]
fn a_timeout_around_a_borrowed_task_leaves_it_running() {
    let log = Log::new();
    let l = log.clone();
    fifo()
        .run(async move {
            let ran = Rc::new(Cell::new(false));
            let r = ran.clone();
            let mut task = spawn(async move {
                sleep(secs(2.0)).await;
                r.set(true);
                7
            });
            assert!(timeout(secs(1.0), &mut task).await.is_err());
            l.say("timed out, task still running");
            assert!(!task.is_finished() && !task.is_cancelled());
            assert_eq!(task.await, Ok(7));
            assert!(ran.get());
            l.say("task finished");
            let owned = spawn(sleep(secs(2.0)));
            assert!(timeout(secs(1.0), owned).await.is_err());
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        ["1.000 timed out, task still running", "2.000 task finished"]
    );
}

#[test]
fn a_panic_inside_a_timeout_leaves_no_stale_enclosing_timeout() {
    seedloop::Sim::new(0)
        .policy(seedloop::Policy::Fifo)
        .isolate_panics(true)
        .run(async {
            let t = spawn(async { timeout(secs(1.0), async { panic!("inside a timeout") }).await });
            assert!(t.await.unwrap_err().is_panic());
            // A stale entry (deadline 1 s) would make this lone timeout step
            // aside for a timeout that no longer exists, and never report.
            sleep(secs(1.0)).await;
            let out = timeout(secs(0.0), std::future::pending::<()>()).await;
            assert!(out.is_err());
        })
        .unwrap();
}
