//! Runs do not leak into each other, and a task's waker reaches only that
//! task: a waker kept from an ended run (locally, or woken from another
//! thread) or from an earlier occupant of a slot wakes nothing.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use seedloop::trace::{Actor, EventKind};
use seedloop::{sleep, spawn, yield_now, Policy, Sim, TaskId};

thread_local! {
    /// Where code under test keeps a waker across runs (a static channel or
    /// registry in real programs).
    static KEPT: RefCell<Option<Waker>> = const { RefCell::new(None) };
}

/// The waker of the task that awaits this.
async fn own_waker() -> Waker {
    poll_fn(|cx| Poll::Ready(cx.waker().clone())).await
}

/// Run 1: main keeps its waker in `KEPT` and ends.
fn run_that_keeps_its_waker() {
    let mut sim = Sim::new(1).policy(Policy::Fifo);
    sim.run(async {
        let w = own_waker().await;
        KEPT.with(|k| *k.borrow_mut() = Some(w));
    })
    .unwrap();
}

/// How the stale waker is woken during run 2.
#[derive(Clone, Copy)]
enum StaleWake {
    Not,
    Here,
    FromAnotherThread,
}

/// Run 2: main sleeps 1 s while a helper wakes the kept waker (or not).
fn run_with_a_helper(how: StaleWake) -> Sim {
    let mut sim = Sim::new(2).policy(Policy::Fifo);
    sim.run(async move {
        let helper = spawn(async move {
            let stale = KEPT
                .with(|k| k.borrow().clone())
                .expect("run 1 kept a waker");
            match how {
                StaleWake::Not => {}
                StaleWake::Here => stale.wake(),
                StaleWake::FromAnotherThread => {
                    std::thread::spawn(move || stale.wake()).join().unwrap();
                }
            }
        });
        sleep(Duration::from_secs(1)).await;
        helper.await.unwrap();
    })
    .unwrap();
    sim
}

fn polls_of(sim: &Sim, task: TaskId) -> usize {
    sim.trace()
        .events()
        .iter()
        .filter(|e| e.actor == Actor::Task(task) && matches!(e.kind, EventKind::Poll))
        .count()
}

fn assert_the_stale_wake_changes_nothing(how: StaleWake) {
    run_that_keeps_its_waker();
    let clean = run_with_a_helper(StaleWake::Not);
    let woken = run_with_a_helper(how);
    assert_eq!(polls_of(&clean, TaskId::MAIN), 2);
    assert_eq!(
        woken.trace().render(),
        clean.trace().render(),
        "a waker of an ended run woke a task of a later run"
    );
    assert_eq!(woken.trace().hash(), clean.trace().hash());
    assert_eq!(polls_of(&woken, TaskId::MAIN), 2);
}

#[test]
fn a_waker_of_an_ended_run_wakes_nothing_in_a_later_run() {
    assert_the_stale_wake_changes_nothing(StaleWake::Here);
}

#[test]
fn a_waker_of_an_ended_run_woken_from_another_thread_wakes_nothing() {
    assert_the_stale_wake_changes_nothing(StaleWake::FromAnotherThread);
}

/// Many later runs on the same thread (a sweep), each waking the kept waker
/// while its own main waits: none is disturbed.
#[test]
fn a_waker_of_an_ended_run_stays_dead_through_thousands_of_runs() {
    run_that_keeps_its_waker();
    let stale = KEPT.with(|k| k.borrow().clone()).unwrap();
    for run in 0..3_000u64 {
        let mut sim = Sim::new(run).tracing(false);
        let main_polls = Rc::new(Cell::new(0u32));
        let counted = main_polls.clone();
        let stale = stale.clone();
        sim.run(async move {
            let mut slept = Box::pin(sleep(Duration::from_millis(1)));
            let mut first = true;
            poll_fn(|cx| {
                counted.set(counted.get() + 1);
                if first {
                    first = false;
                    if run % 100 == 0 {
                        let s = stale.clone();
                        std::thread::spawn(move || s.wake()).join().unwrap();
                    } else {
                        stale.wake_by_ref();
                    }
                }
                slept.as_mut().poll(cx)
            })
            .await;
        })
        .unwrap();
        assert_eq!(
            main_polls.get(),
            2,
            "run {run}: main was woken by a stale waker"
        );
    }
}

/// One slot of the arena, occupied 70,000 times in turn. The waker of its
/// first occupant is woken during the life of every later occupant, while
/// that occupant waits: not one of them is polled before its own wake.
#[test]
fn a_slot_reused_70_000_times_is_never_woken_by_its_first_occupant() {
    let mut sim = Sim::new(3).policy(Policy::Fifo).tracing(false);
    let spurious = sim
        .run(async {
            let first = spawn(own_waker()).await.unwrap();
            let spurious = Rc::new(Cell::new(0u32));
            for _ in 0..70_000 {
                let released = Rc::new(Cell::new(false));
                let own = Rc::new(RefCell::new(None::<Waker>));
                let occupant = {
                    let (released, own, spurious) =
                        (released.clone(), own.clone(), spurious.clone());
                    spawn(poll_fn(move |cx| {
                        if own.borrow().is_none() {
                            *own.borrow_mut() = Some(cx.waker().clone());
                            return Poll::Pending;
                        }
                        if !released.get() {
                            spurious.set(spurious.get() + 1);
                        }
                        Poll::Ready(())
                    }))
                };
                yield_now().await; // the occupant polls once and waits
                first.wake_by_ref();
                yield_now().await; // a wrongly woken occupant would run now
                released.set(true);
                own.borrow().as_ref().expect("polled once").wake_by_ref();
                occupant.await.unwrap();
            }
            spurious.get()
        })
        .unwrap();
    assert_eq!(spurious, 0);
}
